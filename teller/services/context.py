"""The services' dependencies, wired once by `cli.wiring.build_deps` (or by tests with real parts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from teller.config import Settings
from teller.ports import (
    BranchStore,
    CertificateAuthority,
    Clock,
    DocumentRenderer,
    IdAuthenticityService,
    OnlineRegistrar,
    Printer,
)

if TYPE_CHECKING:
    from teller.security.field_crypto import FieldCrypto

# Progress callback for long actions: step key ("keygen", "sign", "encrypt", "write", "verify", "receipt",
# "print") and a 0..1 fraction. Called from the worker thread: the UI must marshal it to its own thread.
Progress = Callable[[str, float], None]


def no_progress(step: str, fraction: float) -> None:
    return None


@dataclass
class Deps:
    settings: Settings
    store: BranchStore
    ca: CertificateAuthority
    id_check: IdAuthenticityService
    renderer: DocumentRenderer
    printer: Printer
    clock: Clock
    field_crypto: "FieldCrypto"
    registrar: OnlineRegistrar | None = None  # the CA's registration desk; None: this terminal cannot register
    extras: dict[str, Any] = field(default_factory=dict)  # optional adapters (e.g. the upstream for sync)

    @property
    def terminal_id(self) -> str:
        return self.settings.terminal_id

    @property
    def branch_id(self) -> str:
        return self.settings.branch_id
