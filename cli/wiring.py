"""Composition root: build the services' `Deps` from settings with the real adapters.

The only place (with `cli`) allowed to import `db` and `printing`; it does so lazily, inside the
function, so importing the domain stays light.
"""

from __future__ import annotations

from teller.config import Settings
from teller.ports import Clock, SystemClock
from teller.services.context import Deps


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
    )
