"""The OCSP responder of `teller ca serve` (two worker processes) asked by `openssl ocsp`, GET and POST; status
changes made by another process (this test's own EmbeddedCA, as a terminal would) seen by both workers."""

from __future__ import annotations

import base64
import os
import random
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from teller.domain import RevocationReason

from .conftest import CaHome, Service, openssl

pytestmark = pytest.mark.xdist_group("ca_service")
ASKS = 4  # asked several times so both workers answer (new connection each time)


def ask(ca_home: CaHome, service: Service, index: int, tmp_path: Path, *extra: str) -> str:
    """`openssl ocsp -url` for certificate `index`; the response verified against the CA; returns its output."""
    run = openssl("ocsp", "-issuer", ca_home.issuing_pem, "-cert", ca_home.certs[index], "-url", service.ocsp,
                  "-CAfile", ca_home.root_pem, "-reqout", tmp_path / "req.der", "-respout", tmp_path / "resp.der",
                  *extra)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Response verify OK" in run.stderr, run.stderr
    return str(run.stdout)


def statuses(ca_home: CaHome, service: Service, index: int, tmp_path: Path) -> set[str]:
    """The distinct answers (without their This/Next Update lines) to ASKS questions."""
    return {"\n".join(line.strip() for line in ask(ca_home, service, index, tmp_path).splitlines() if "Update:" not in line)
            for _ in range(ASKS)}


def test_good_hold_release_and_key_compromise(ca_home: CaHome, service: Service, tmp_path: Path) -> None:
    held, compromised = 0, 1
    name = str(ca_home.certs[held])
    assert statuses(ca_home, service, held, tmp_path) == {f"{name}: good"}
    when = datetime(2026, 12, 1, 3, 4, 5, tzinfo=timezone.utc)
    ca_home.ca.revoke(ca_home.serial(held), RevocationReason.CERTIFICATE_HOLD, when)
    (out,) = statuses(ca_home, service, held, tmp_path)
    assert out.startswith(f"{name}: revoked") and "Reason: certificateHold" in out
    assert "Revocation Time: Dec  1 03:04:05 2026 GMT" in out
    ca_home.ca.release_hold(ca_home.serial(held))
    assert statuses(ca_home, service, held, tmp_path) == {f"{name}: good"}

    ca_home.ca.revoke(ca_home.serial(compromised), RevocationReason.KEY_COMPROMISE, when)
    (out,) = statuses(ca_home, service, compromised, tmp_path)
    assert out.startswith(f"{ca_home.certs[compromised]}: revoked") and "Reason: keyCompromise" in out


def test_nonce_echoed_and_signed_by_the_delegated_responder(ca_home: CaHome, service: Service, tmp_path: Path) -> None:
    ask(ca_home, service, 2, tmp_path)
    request = ocsp.load_der_ocsp_request((tmp_path / "req.der").read_bytes())
    response = ocsp.load_der_ocsp_response((tmp_path / "resp.der").read_bytes())
    nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    (signer,) = response.certificates
    assert signer.issuer == ca_home.ca.issuing_cert.subject and signer != ca_home.ca.issuing_cert
    eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.OCSP_SIGNING in eku
    assert response.next_update_utc is not None and response.this_update_utc < response.next_update_utc
    # kept like the CA keys: encrypted, 0600
    assert b"ENCRYPTED" in (ca_home.home / "ca" / "ocsp.key.pem").read_bytes()
    assert (ca_home.home / "ca" / "ocsp.key.pem").stat().st_mode & 0o777 == 0o600


def test_get_with_base64_in_the_path_and_the_cache_refreshed_by_a_revocation(
        ca_home: CaHome, service: Service, tmp_path: Path) -> None:
    index = 3
    run = openssl("ocsp", "-issuer", ca_home.issuing_pem, "-cert", ca_home.certs[index], "-no_nonce",
                  "-reqout", tmp_path / "req.der")
    assert run.returncode == 0, run.stderr
    encoded = urllib.parse.quote(base64.b64encode((tmp_path / "req.der").read_bytes()).decode(), safe="")

    def get() -> bytes:
        reply = httpx.get(f"{service.ocsp}/{encoded}", timeout=10)
        assert reply.status_code == 200 and reply.headers["content-type"] == "application/ocsp-response"
        (tmp_path / "resp.der").write_bytes(reply.content)
        check = openssl("ocsp", "-respin", tmp_path / "resp.der", "-issuer", ca_home.issuing_pem,
                        "-cert", ca_home.certs[index], "-CAfile", ca_home.root_pem)
        assert check.returncode == 0 and "Response verify OK" in check.stderr, check.stdout + check.stderr
        assert check.stdout.startswith(f"{ca_home.certs[index]}: "), check.stdout
        return reply.content

    first = [get() for _ in range(ASKS)]
    assert "good" in openssl("ocsp", "-respin", tmp_path / "resp.der", "-issuer", ca_home.issuing_pem, "-cert",
                             ca_home.certs[index], "-CAfile", ca_home.root_pem).stdout
    assert len(set(first)) <= 2  # pre-signed: at most one response per worker, not one per request
    ca_home.ca.revoke(ca_home.serial(index), RevocationReason.SUPERSEDED, datetime.now(timezone.utc))
    after = get()
    assert after not in first
    assert ocsp.load_der_ocsp_response(after).certificate_status is ocsp.OCSPCertStatus.REVOKED


def test_unknown_serial_and_another_issuer(ca_home: CaHome, service: Service, tmp_path: Path) -> None:
    run = openssl("ocsp", "-issuer", ca_home.issuing_pem, "-serial", "12345", "-url", service.ocsp,
                  "-CAfile", ca_home.root_pem)
    assert run.returncode == 0 and "Response verify OK" in run.stderr, run.stderr
    assert run.stdout.splitlines()[0].strip() == "12345: unknown"
    # a CertID naming the root as issuer: not ours to answer
    run = openssl("ocsp", "-issuer", ca_home.root_pem, "-serial", "12345", "-url", service.ocsp, "-respout",
                  tmp_path / "r.der")
    assert ocsp.load_der_ocsp_response((tmp_path / "r.der").read_bytes()).response_status is \
        ocsp.OCSPResponseStatus.UNAUTHORIZED


def _post(service: Service, body: bytes, content_type: str = "application/ocsp-request") -> httpx.Response:
    return httpx.post(service.ocsp, content=body, headers={"Content-Type": content_type}, timeout=10)


def test_bad_input_gets_an_ocsp_error_or_an_http_error_never_a_traceback(
        ca_home: CaHome, service: Service, tmp_path: Path) -> None:
    openssl("ocsp", "-issuer", ca_home.issuing_pem, "-cert", ca_home.certs[4], "-reqout", tmp_path / "req.der")
    good = (tmp_path / "req.der").read_bytes()
    rng = random.Random(14)
    bodies = [good[:n] for n in range(0, len(good), 7)] + [b"", b"\x30\x80", b"\x30\x84\xff\xff\xff\xff"]
    for _ in range(60):  # one to four bytes flipped anywhere
        mutated = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        bodies.append(bytes(mutated))
    bodies += [os.urandom(rng.randint(1, 300)) for _ in range(20)]
    for body in bodies:
        reply = _post(service, body)
        assert reply.status_code == 200, (body, reply.text)
        response = ocsp.load_der_ocsp_response(reply.content)  # always a well-formed OCSP response
        assert response.response_status in (ocsp.OCSPResponseStatus.SUCCESSFUL,
                                            ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
                                            ocsp.OCSPResponseStatus.UNAUTHORIZED), body
    assert ocsp.load_der_ocsp_response(_post(service, b"junk").content).response_status is \
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert _post(service, good, "text/plain").status_code == 415
    assert _post(service, good, "application/x-www-form-urlencoded").status_code == 415
    assert _post(service, b"\x30" * 100_000).status_code == 413
    bad_get = httpx.get(service.ocsp + "/not%20base64!", timeout=10)
    assert ocsp.load_der_ocsp_response(bad_get.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert httpx.get(service.ocsp + "/" + "A" * 20_000, timeout=10).status_code in (414, 431)
    # and the service still answers properly
    assert "good" in ask(ca_home, service, 4, tmp_path)
    assert "Traceback" not in service.log.read_text(errors="replace")


def test_cert_status_asks_the_responder(ca_home: CaHome, service: Service, tmp_path: Path) -> None:
    import json
    import subprocess

    from .conftest import TELLER, teller_env

    def status(target: str) -> tuple[int, dict[str, object]]:
        run = subprocess.run([str(TELLER), "--home", str(ca_home.home), "cert", "status", target, "--url", service.ocsp,
                              "--json"], capture_output=True, text=True, timeout=60, env=teller_env())
        assert run.stderr == ""
        return run.returncode, json.loads(run.stdout)

    rc, out = status(str(ca_home.certs[5]))
    assert (rc, out["status"]) == (0, "good")
    ca_home.ca.revoke(ca_home.serial(5), RevocationReason.CERTIFICATE_HOLD, datetime.now(timezone.utc))
    rc, out = status(str(ca_home.serial(5)))
    assert (rc, out["status"], out["reason"]) == (3, "held", "certificate_hold")
    rc, out = status("0x3039")
    assert (rc, out["status"]) == (4, "unknown")
