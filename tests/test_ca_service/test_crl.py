"""CRLs over HTTP from `teller ca serve` (two workers): `openssl verify -crl_check_all` with both CRLs fetched from
the addresses the certificates name; always fresh, CRL numbers rising, the same CRL from every worker."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from teller.domain import RevocationReason

from .conftest import TELLER, CaHome, Service, make_ca_home, openssl, serve, teller_env

pytestmark = pytest.mark.xdist_group("ca_service")


@pytest.fixture(scope="module")
def crl_home(tmp_path_factory: pytest.TempPathFactory) -> CaHome:
    return make_ca_home(tmp_path_factory.mktemp("crl"), certs=3)


@pytest.fixture(scope="module")
def crl_service(crl_home: CaHome) -> Iterator[Service]:
    with serve(crl_home.home, 2, crl_home.home.parent / "service.log") as running:
        yield running


def fetch(service: Service, path: str, out: Path) -> x509.CertificateRevocationList:
    reply = httpx.get(service.url + path, timeout=10)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pkix-crl"
    out.write_bytes(reply.content)
    return x509.load_der_x509_crl(reply.content)


def number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def verify(home: CaHome, index: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return openssl("verify", "-crl_check_all", "-CRLfile", tmp_path / "root.crl", "-CRLfile", tmp_path / "issuing.crl",
                   "-CAfile", home.root_pem, "-untrusted", home.issuing_pem, home.certs[index])


def test_openssl_verify_with_crls_fetched_over_http(crl_home: CaHome, crl_service: Service, tmp_path: Path) -> None:
    cert = x509.load_pem_x509_certificate(crl_home.certs[0].read_bytes())
    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value
    issuing_cdp = crl_home.ca.issuing_cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    # the certificates name the default service address; this test's service listens on a free port
    paths = [cdp.removeprefix("http://127.0.0.1:8829"), issuing_cdp[0].full_name[0].value.removeprefix("http://127.0.0.1:8829")]
    assert paths == ["/crl/issuing.crl", "/crl/root.crl"]
    issuing_crl = fetch(crl_service, paths[0], tmp_path / "issuing.crl")
    root_crl = fetch(crl_service, paths[1], tmp_path / "root.crl")
    assert issuing_crl.is_signature_valid(crl_home.ca.issuing_cert.public_key())
    assert root_crl.is_signature_valid(crl_home.ca.root_cert.public_key())
    for index in (0, 1):
        run = verify(crl_home, index, tmp_path)
        assert run.returncode == 0 and run.stdout.strip().endswith(": OK"), run.stdout + run.stderr

    crl_home.ca.revoke(crl_home.serial(1), RevocationReason.KEY_COMPROMISE, datetime.now(timezone.utc))
    after = fetch(crl_service, paths[0], tmp_path / "issuing.crl")
    assert number(after) > number(issuing_crl)
    run = verify(crl_home, 1, tmp_path)
    assert run.returncode != 0 and "certificate revoked" in run.stdout + run.stderr, run.stdout + run.stderr
    run = verify(crl_home, 0, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


def test_fresh_and_the_same_from_every_worker(crl_home: CaHome, crl_service: Service, tmp_path: Path) -> None:
    first = fetch(crl_service, "/crl/issuing.crl", tmp_path / "a.crl")
    same = [fetch(crl_service, "/crl/issuing.crl", tmp_path / "a.crl") for _ in range(6)]
    assert {c.public_bytes(serialization.Encoding.DER) for c in same} == \
        {first.public_bytes(serialization.Encoding.DER)}  # nothing changed: no new CRL, no new number
    crl_home.ca.revoke(crl_home.serial(2), RevocationReason.CERTIFICATE_HOLD, datetime.now(timezone.utc))
    held = [fetch(crl_service, "/crl/issuing.crl", tmp_path / "a.crl") for _ in range(6)]
    assert {number(c) for c in held} == {number(first) + 1}  # one new CRL, served by both workers
    assert held[0].get_revoked_certificate_by_serial_number(crl_home.serial(2)) is not None
    crl_home.ca.release_hold(crl_home.serial(2))
    released = fetch(crl_service, "/crl/issuing.crl", tmp_path / "a.crl")
    assert number(released) > number(held[0])
    assert released.get_revoked_certificate_by_serial_number(crl_home.serial(2)) is None


def test_ca_certificates_and_cps_published(crl_home: CaHome, crl_service: Service) -> None:
    for path, cert in (("/certs/issuing.der", crl_home.ca.issuing_cert), ("/certs/root.der", crl_home.ca.root_cert)):
        reply = httpx.get(crl_service.url + path, timeout=10)
        assert x509.load_der_x509_certificate(reply.content) == cert
    assert "TEST" in httpx.get(crl_service.url + "/cps", timeout=10).text


def test_ca_status_counts_per_status(crl_home: CaHome, crl_service: Service) -> None:
    run = subprocess.run([str(TELLER), "--home", str(crl_home.home), "ca", "status", "--json"], capture_output=True,
                         text=True, timeout=60, env=teller_env())
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"issued": 3, "good": 2, "held": 0, "revoked": 1,
                                      "revoked_by_reason": {"key_compromise": 1}}


def test_serve_refuses_a_home_without_a_ca(tmp_path: Path) -> None:
    run = subprocess.run([str(TELLER), "--home", str(tmp_path), "ca", "serve", "--listen", "127.0.0.1:0"],
                         capture_output=True, text=True, timeout=60, env=teller_env())
    assert run.returncode == 1 and "teller init" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run([str(TELLER), "--home", str(tmp_path), "--lang", "en", "ca", "serve", "--listen", "nowhere"],
                         capture_output=True, text=True, timeout=60, env=teller_env())
    assert run.returncode == 1 and run.stderr.count("\n") == 1
