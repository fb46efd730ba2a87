"""The generic-client setting, in process: `refuse` issues nothing to a request without VID material."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ca_service.cmp_service import CmpService, CmpSettings
from ca_service.cmp_store import CmpStore
from teller.pki import cmp

from .cmp_server import PASSPHRASE
from .conftest import CmpServer

CN = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hong")])


def test_refuse_policy_issues_nothing(cmp_server: CmpServer, tmp_path: Path) -> None:
    ca = cmp_server.ca()
    store = CmpStore(f"sqlite:///{tmp_path / 'cmp.db'}", cmp_server.ca_dir)
    service = CmpService(ca, store, ca.cmp_signer(PASSPHRASE), CmpSettings(generic_client="refuse"))
    store.add_registration("REF-POLICY", b"code", "홍길동", "bank", datetime.now(timezone.utc) + timedelta(days=1))
    key = rsa.generate_private_key(65537, 2048)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = cmp.new_header(sender=CN, recipient=CN, transaction_id=b"p" * 16, sender_kid=b"REF-POLICY")
    before = set(ca.issued_serials())
    answer = cmp.decode(service.handle(cmp.encode(cmp.protect_pbm(header, cmp.cert_req_body("ir", spki, key, CN), b"code"))))
    assert cmp.failure_of(answer)[:2] == (cmp.Status.REJECTION, cmp.FailInfo.BAD_REQUEST)
    cmp.verify_pbm(answer, b"code")  # the refusal is protected: the MAC verified, so the client can trust it
    assert set(ca.issued_serials()) == before
    registration = store.registration("REF-POLICY")
    store.close()
    assert registration is not None and registration.status == "open"  # refused before the redemption


def test_the_authorization_code_is_not_in_the_database_bytes(cmp_server: CmpServer, tmp_path: Path) -> None:
    store = CmpStore(f"sqlite:///{tmp_path / 'cmp.db'}", cmp_server.ca_dir)
    store.add_registration("REF-BYTES", b"7391-SEALED-0442", "홍길동", "bank", datetime.now(timezone.utc) + timedelta(days=1))
    assert store.registration("REF-BYTES") is not None
    store.close()
    files = [p for p in tmp_path.iterdir() if p.name.startswith("cmp.db")]
    assert files and not any(b"7391-SEALED-0442" in p.read_bytes() for p in files)
    assert any(b"REF-BYTES" in p.read_bytes() for p in files)  # the search itself can find what is there
