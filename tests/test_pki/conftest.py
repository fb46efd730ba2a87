"""PKI fixtures: one embedded CA per test session, a few issued certificates written to a media folder.

RSA key generation is slow on the shared 2-core box, so certificates are issued once and shared (read-only).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from teller.config import CAIdentity
from teller.domain import CertKind
from teller.pki import keyfile, npki, profile, vid
from teller.pki.ca import EmbeddedCA
from teller.ports import CertificateRequest

FIXTURES = Path(__file__).parent / "fixtures"
YESSIGN_DIR = FIXTURES / "yessign-test"
TEST_RRN = "9001011234568"  # fake: born 1990-01-01, valid check digit
OTHER_RRN = "9001012234567"
PASSWORD = "Teller!2345"
CA_PASSPHRASE = b"ca-test-passphrase"


class FixedClock:
    def __init__(self, when: datetime) -> None:
        self.when = when

    def now(self) -> datetime:
        return self.when


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    random_num: bytes
    scheme: str
    folder: Path  # <media>/NPKI/<ca>/USER/<user>
    rrn: str
    password: str


@dataclass(frozen=True)
class PkiWorld:
    ca: EmbeddedCA
    ca_dir: Path
    media: Path
    bank_legacy: Issued
    general_pbes2: Issued


def issue_one(ca: EmbeddedCA, name: str, kind: CertKind, rrn: str, scheme: str, media: Path) -> Issued:
    key = rsa.generate_private_key(65537, 2048)
    random_num = vid.new_random_num()
    not_before, not_after = profile.kst_validity(date(2026, 11, 25), date(2027, 11, 25))
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    cert = ca.issue(CertificateRequest(spki, name, kind, vid.compute_vid(rrn, random_num), not_before, not_after))
    folder = media / "NPKI" / npki.ca_folder_name(cert) / "USER" / npki.user_folder_name(cert)
    folder.mkdir(parents=True)
    for file_name, data in npki.make_bundle(cert, keyfile.encrypt_private_key(key, PASSWORD, random_num, scheme)).items():
        (folder / file_name).write_bytes(data)
    return Issued(cert, key, random_num, scheme, folder, rrn, PASSWORD)


@pytest.fixture(scope="session")
def pki_world(tmp_path_factory: pytest.TempPathFactory) -> PkiWorld:
    base = tmp_path_factory.mktemp("pki")
    clock = FixedClock(datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc))
    ca = EmbeddedCA.open(base / "ca", CAIdentity(), CA_PASSPHRASE, clock=clock, bank_code="004", bank_ou="KMB")
    media = base / "media"
    media.mkdir()
    return PkiWorld(
        ca=ca,
        ca_dir=base / "ca",
        media=media,
        bank_legacy=issue_one(ca, "홍길동", CertKind.BANK, TEST_RRN, "seedCBCWithSHA1", media),
        general_pbes2=issue_one(ca, "김철수", CertKind.GENERAL, OTHER_RRN, "pbes2", media),
    )


@pytest.fixture(scope="session")
def yessign_cert() -> x509.Certificate:
    return x509.load_der_x509_certificate((YESSIGN_DIR / "signCert.der").read_bytes())


@pytest.fixture(scope="session")
def yessign() -> dict[str, object]:
    """The public yessign test certificate folder, its password and its randomNum (from pypinksign's tests)."""
    from pypinksign import test_pinkSign

    data = test_pinkSign.TEST_CERT
    return {"dir": YESSIGN_DIR, "password": data["signPw"].decode(), "random_num": data["r"],
            "plain_key": base64.b64decode(data["plainSignPriFullB64"]), "pfx": base64.b64decode(data["pfx"]),
            "n": data["n"], "p": data["p"], "q": data["q"]}
