"""The services' dependencies, wired once by `cli.wiring.build_deps` (or by tests with real parts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from teller.config import Settings
from teller.ports import (
    BranchStore,
    CertificateAuthority,
    Clock,
    DocumentRenderer,
    IdAuthenticityService,
    OnlineRegistrar,
    Printer,
    Upstream,
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
    # head office for the terminal's background sync, connected lazily in the sync thread; None: no background sync
    upstream_factory: Callable[[], Upstream] | None = None
    registrar: OnlineRegistrar | None = None  # the CA's registration desk; None: this terminal cannot register

    @property
    def terminal_id(self) -> str:
        return self.settings.terminal_id

    @property
    def branch_id(self) -> str:
        return self.settings.branch_id


class SyncDeps(Protocol):
    """What sync and its status need: `Deps` has it, and so has the smaller `SyncContext`."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> BranchStore: ...

    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, slots=True)
class SyncContext:
    """`SyncDeps` without the rest of `Deps`: `teller sync` (often run by a scheduler) must not open, or on a fresh
    home create, the master key, the embedded CA and the printer."""

    settings: Settings
    store: BranchStore
    clock: Clock
