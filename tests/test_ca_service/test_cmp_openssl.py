"""`openssl cmp` (a client nobody here wrote) against our CMP service in a real uvicorn process."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ca_service.cmp_store import CmpStore
from teller.config import load_settings
from teller.domain import RevocationReason
from teller.pki import cmp

from .cmp_server import PASSPHRASE
from .conftest import CaHome, CmpServer, Service


def _key(path: Path) -> Path:
    key = rsa.generate_private_key(65537, 2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def openssl_cmp(server: CmpServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", "cmp", "-server", server.endpoint, "-recipient", "/CN=CA",
                           "-unprotected_errors", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60, check=False)


def ir(server: CmpServer, tmp: Path, ref: str, code: str) -> subprocess.CompletedProcess[str]:
    return openssl_cmp(server, "-cmd", "ir", "-ref", ref, "-secret", f"pass:{code}", "-newkey", str(_key(tmp / "k.pem")),
                       "-subject", "/CN=Hong", "-certout", str(tmp / "got.crt"))


def test_ir_with_pbm_gets_a_confirmed_certificate(cmp_server: CmpServer, tmp_path: Path) -> None:
    cmp_server.register("REF-IR-1", "1111-2222-3333")
    done = ir(cmp_server, tmp_path, "REF-IR-1", "1111-2222-3333")
    assert done.returncode == 0, done.stdout
    cert = x509.load_pem_x509_certificate((tmp_path / "got.crt").read_bytes())
    key = serialization.load_pem_private_key((tmp_path / "k.pem").read_bytes(), None)
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    ca = cmp_server.ca()
    assert ca.knows(cert.serial_number) and cert.serial_number not in ca.revoked_serials()
    store = cmp_server.store()
    assert store.counts().get("confirmed", 0) >= 1
    store.close()
    # single use: the same codes a second time are refused with the PKIStatus printed
    again = ir(cmp_server, tmp_path / "..", "REF-IR-1", "1111-2222-3333")
    assert again.returncode != 0
    assert "rejection" in again.stdout and "registration used" in again.stdout, again.stdout


@pytest.mark.parametrize("ref, code, why", [("REF-WRONG", "bad-code", "badMessageCheck"),
                                            ("REF-NOBODY", "1111-2222-3333", "notAuthorized")])
def test_wrong_secret_and_unknown_reference_are_refused(cmp_server: CmpServer, tmp_path: Path, ref: str, code: str,
                                                        why: str) -> None:
    if ref == "REF-WRONG":
        cmp_server.register(ref, "right-code")
    before = set(cmp_server.ca().issued_serials())
    done = ir(cmp_server, tmp_path, ref, code)
    assert done.returncode != 0
    assert "rejection" in done.stdout and why in done.stdout, done.stdout
    assert set(cmp_server.ca().issued_serials()) == before


def test_five_wrong_codes_lock_the_registration(cmp_server: CmpServer, tmp_path: Path) -> None:
    cmp_server.register("REF-LOCK", "the-code")
    for _ in range(5):
        assert ir(cmp_server, tmp_path, "REF-LOCK", "not-the-code").returncode != 0
    done = ir(cmp_server, tmp_path, "REF-LOCK", "the-code")
    assert done.returncode != 0 and "registration locked" in done.stdout, done.stdout


def test_replayed_request_is_refused(cmp_server: CmpServer, tmp_path: Path) -> None:
    cmp_server.register("REF-REPLAY", "code-replay")
    done = openssl_cmp(cmp_server, "-cmd", "ir", "-ref", "REF-REPLAY", "-secret", "pass:code-replay", "-newkey",
                       str(_key(tmp_path / "k.pem")), "-subject", "/CN=Hong", "-certout", str(tmp_path / "got.crt"),
                       "-reqout", str(tmp_path / "ir.der"))
    assert done.returncode == 0, done.stdout
    replay = httpx.post(f"http://{cmp_server.endpoint}", content=(tmp_path / "ir.der").read_bytes(),
                        headers={"content-type": "application/pkixcmp"}, timeout=30)
    status, fail, _ = cmp.failure_of(cmp.decode(replay.content))
    assert (status, fail) == (cmp.Status.REJECTION, cmp.FailInfo.BAD_SENDER_NONCE)


def test_http_errors_for_what_is_not_cmp(cmp_server: CmpServer) -> None:
    url = f"http://{cmp_server.endpoint}"
    assert httpx.post(url, content=b"x", headers={"content-type": "text/plain"}, timeout=30).status_code == 415
    big = httpx.post(url, content=b"\x30" * (70 * 1024), headers={"content-type": "application/pkixcmp"}, timeout=30)
    assert big.status_code == 413
    for junk in (b"", b"\x30\x03\x02\x01", b"\xff" * 64):
        answer = httpx.post(url, content=junk, headers={"content-type": "application/pkixcmp"}, timeout=30)
        assert answer.status_code == 200
        assert cmp.failure_of(cmp.decode(answer.content))[1] is cmp.FailInfo.BAD_DATA_FORMAT


def test_teller_ca_serve_with_two_workers_issues_over_cmp(ca_home: CaHome, service: Service, tmp_path: Path) -> None:
    settings = load_settings(ca_home.home, env={})
    store = CmpStore(settings.ca_database_url, settings.ca_dir)
    store.add_registration("REF-SERVE", b"serve-code", "홍길동", "bank", datetime.now(timezone.utc) + timedelta(days=7))
    store.close()
    endpoint = service.url.removeprefix("http://") + "/pkix/"
    done = subprocess.run(["openssl", "cmp", "-server", endpoint, "-recipient", "/CN=CA", "-cmd", "ir",
                           "-ref", "REF-SERVE", "-secret", "pass:serve-code", "-newkey", str(_key(tmp_path / "k.pem")),
                           "-subject", "/CN=Hong", "-certout", str(tmp_path / "got.crt")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout
    cert = x509.load_pem_x509_certificate((tmp_path / "got.crt").read_bytes())
    assert ca_home.ca.knows(cert.serial_number) and cert.serial_number not in ca_home.ca.revoked_serials()


def test_rr_signed_by_the_certificate_revokes_it(cmp_server: CmpServer, tmp_path: Path) -> None:
    cmp_server.register("REF-RR", "rr-code")
    assert ir(cmp_server, tmp_path, "REF-RR", "rr-code").returncode == 0
    ca = cmp_server.ca()
    srvcert = tmp_path / "cmp.crt"
    srvcert.write_bytes(ca.cmp_signer(PASSPHRASE)[0].public_bytes(serialization.Encoding.PEM))
    cert = x509.load_pem_x509_certificate((tmp_path / "got.crt").read_bytes())
    done = openssl_cmp(cmp_server, "-cmd", "rr", "-cert", str(tmp_path / "got.crt"), "-key", str(tmp_path / "k.pem"),
                       "-oldcert", str(tmp_path / "got.crt"), "-revreason", "1", "-srvcert", str(srvcert))
    assert done.returncode == 0, done.stdout
    assert cmp_server.ca().revoked_serials().get(cert.serial_number) is RevocationReason.KEY_COMPROMISE
    again = openssl_cmp(cmp_server, "-cmd", "rr", "-cert", str(tmp_path / "got.crt"), "-key", str(tmp_path / "k.pem"),
                        "-oldcert", str(tmp_path / "got.crt"), "-revreason", "1", "-srvcert", str(srvcert))
    assert again.returncode != 0 and "certRevoked" in again.stdout, again.stdout


def test_kur_signed_with_the_current_certificate_renews_it(cmp_server: CmpServer, tmp_path: Path) -> None:
    cmp_server.register("REF-KUR", "kur-code", name="김철수")
    assert ir(cmp_server, tmp_path, "REF-KUR", "kur-code").returncode == 0
    srvcert = tmp_path / "cmp.crt"
    srvcert.write_bytes(cmp_server.ca().cmp_signer(PASSPHRASE)[0].public_bytes(serialization.Encoding.PEM))
    done = openssl_cmp(cmp_server, "-cmd", "kur", "-cert", str(tmp_path / "got.crt"), "-key", str(tmp_path / "k.pem"),
                       "-newkey", str(_key(tmp_path / "new.pem")), "-srvcert", str(srvcert),
                       "-certout", str(tmp_path / "new.crt"))
    assert done.returncode == 0, done.stdout
    old = x509.load_pem_x509_certificate((tmp_path / "got.crt").read_bytes())
    new = x509.load_pem_x509_certificate((tmp_path / "new.crt").read_bytes())
    new_key = serialization.load_pem_private_key((tmp_path / "new.pem").read_bytes(), None)
    assert new.public_key().public_numbers() == new_key.public_key().public_numbers()  # type: ignore[union-attr]
    assert new.serial_number != old.serial_number and "김철수" in new.subject.rfc4514_string()
    store = cmp_server.store()
    assert store.counts().get("pending", 0) == 0  # the kup was confirmed (certConf under signature protection)
    store.close()
