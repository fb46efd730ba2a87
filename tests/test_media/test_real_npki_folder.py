"""An NPKI folder with a real certificate and a real SEED-encrypted signPri.key, checked the way the issue service
checks it: decrypt the key from the temporary folder and compare it with the certificate before it goes live.
Uses teller.pki's key-file code (another area); skipped if that module is not there."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from media_testkit import CA, SUBJECT, read_folder

from teller.errors import MediaError
from teller.media import list_certificate_folders, write_certificate_folder

keyfile = pytest.importorskip("teller.pki.keyfile")

PASSWORD = "test-pw-1234!"


def _npki_files(key: rsa.RSAPrivateKey) -> dict[str, bytes]:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "kr"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "personal4IB"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "KMB"),
            x509.NameAttribute(NameOID.COMMON_NAME, "홍길동()0004042702050694"),
        ]
    )
    now = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4562037)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return {
        "signCert.der": cert.public_bytes(serialization.Encoding.DER),
        "signPri.key": keyfile.encrypt_private_key(key, PASSWORD, os.urandom(20)),
    }


def _verify_with(password: str) -> Callable[[Path], None]:
    def verify(folder: Path) -> None:
        cert = x509.load_der_x509_certificate((folder / "signCert.der").read_bytes())
        decrypted = keyfile.decrypt_private_key((folder / "signPri.key").read_bytes(), password)
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        mine = decrypted.private_key.public_key().public_bytes(serialization.Encoding.DER, spki)
        if mine != cert.public_key().public_bytes(serialization.Encoding.DER, spki):
            raise ValueError("key does not belong to the certificate")
        if decrypted.random_num is None:
            raise ValueError("randomNum missing from the key")

    return verify


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_real_npki_folder_is_written_and_verified(media: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    files = _npki_files(rsa_key)
    path = write_certificate_folder(media, CA, SUBJECT, files, _verify_with(PASSWORD))
    assert read_folder(path) == files
    assert [(f.has_cert, f.has_key) for f in list_certificate_folders(media)] == [(True, True)]


def test_wrong_password_in_verify_cancels_the_write_with_its_message(media: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(MediaError) as err:
        write_certificate_folder(media, CA, SUBJECT, _npki_files(rsa_key), _verify_with("not-the-password"))
    assert "비밀번호" in err.value.message and "password" in err.value.message_en
    assert list(media.iterdir()) == []
