"""Composition root: build the services' `Deps` from settings with the real adapters.

The only place (with `cli`) allowed to import `db` and `printing`; it does so lazily, inside the
function, so importing the domain stays light.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from teller.config import Settings
from teller.domain import CertKind
from teller.ports import Clock, OnlineRegistrar, OnlineRegistration, RegistrationState, SystemClock
from teller.services.context import Deps


class _EmbeddedRegistrar:
    """The CA's registration desk in this home's CA database, opened on first use (most commands never need it,
    and opening it runs the CA schema's migrations)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings, self._clock = settings, clock
        self._desk: OnlineRegistrar | None = None

    def _open(self) -> OnlineRegistrar:
        if self._desk is None:
            from ca_service.cmp_store import CmpStore
            from ca_service.registrar import CaRegistrar

            self._desk = CaRegistrar(CmpStore(self._settings.ca_database_url, self._settings.ca_dir), self._clock,
                                     self._settings.branch_id)
        return self._desk

    def register(self, real_name: str, kind: CertKind, rrn: str, valid_for: timedelta) -> OnlineRegistration:
        return self._open().register(real_name, kind, rrn, valid_for)

    def cancel(self, reference: str) -> bool:
        return self._open().cancel(reference)

    def state(self, reference: str, now: datetime) -> RegistrationState | None:
        return self._open().state(reference, now)

    def day_summary(self, since: datetime, until: datetime, now: datetime) -> dict[RegistrationState, int]:
        return self._open().day_summary(since, until, now)


def build_deps(settings: Settings, *, clock: Clock | None = None) -> Deps:
    """Open (creating on first use) the master key, branch database, embedded CA, ID registry and printer."""
    from db.store import open_store
    from printing.printers import make_printer
    from printing.renderer import PdfDocuments
    from teller.identity.authenticity import TrainingRegistry
    from teller.pki.ca import EmbeddedCA
    from teller.security.field_crypto import FieldCrypto, load_or_create_master_key

    clock = clock or SystemClock()
    settings.home.mkdir(parents=True, exist_ok=True)
    field_crypto = FieldCrypto(load_or_create_master_key(settings.secrets_dir))
    store = open_store(settings)
    ca = EmbeddedCA.open(settings.ca_dir, settings.ca, field_crypto.ca_passphrase(), settings.rsa_bits, clock)
    id_check = TrainingRegistry(settings.home / "id-registry.json", field_crypto.id_registry_key(), clock)
    return Deps(
        settings=settings,
        store=store,
        ca=ca,
        id_check=id_check,
        renderer=PdfDocuments(),
        printer=make_printer(settings),
        clock=clock,
        field_crypto=field_crypto,
        registrar=_EmbeddedRegistrar(settings, clock),
    )
