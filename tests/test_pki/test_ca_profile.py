"""Embedded CA and the Korean profile: issued certificates checked field by field, by openssl, and the CRL."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID
from pyasn1.codec.der import decoder

from teller.config import PRODUCTION_CA_DOMAINS, CAIdentity, load_settings
from teller.domain import CertKind, RevocationReason
from teller.errors import CertificateError, LifecycleError, NotFound
from teller.pki import asn1, profile
from teller.pki.ca import EmbeddedCA

KST = timezone(timedelta(hours=9))


def test_kst_validity_is_midnight_aligned() -> None:
    nb, na = profile.kst_validity(date(2026, 11, 25), date(2027, 11, 25))
    assert nb == datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)
    assert na.astimezone(KST).replace(tzinfo=None) == datetime(2027, 11, 25, 23, 59, 59)


def test_subject_in_korean_order_and_types(pki_world) -> None:  # type: ignore[no-untyped-def]
    cert = pki_world.bank_legacy.cert
    rdns = [rdn for rdn in cert.subject.rdns]
    oids = [next(iter(rdn)).oid for rdn in rdns]
    assert oids == [NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME,
                    NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME]
    values = [next(iter(rdn)).value for rdn in rdns]
    assert values[:4] == ["kr", "yessign", "personal4IB", "KMB"]
    name, digits = values[4].split("()")
    assert name == "홍길동"
    # "0" + bank code 004 + "04" + 1 digit + issue date (KST) + serial digits
    assert digits.startswith("000404") and digits[7:15] == "20261125" and digits.isdigit()
    # C as PrintableString (0x13), CN as UTF8String (0x0c), read from the raw DER
    raw = cert.subject.public_bytes()
    assert b"\x13\x02kr" in raw and b"\x0c" + bytes([len(values[4].encode())]) + values[4].encode() in raw


def test_extensions_follow_the_profile(pki_world) -> None:  # type: ignore[no-untyped-def]
    cert = pki_world.bank_legacy.cert
    exts = cert.extensions
    ku = exts.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.content_commitment and not ku.value.key_encipherment
    pol = exts.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES)
    assert pol.critical
    assert profile.policy_oid_of(cert) == CertKind.BANK.policy_oid
    aki = exts.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    issuing = pki_world.ca.issuing_cert
    assert aki.key_identifier == issuing.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert aki.authority_cert_serial_number == issuing.serial_number
    assert aki.authority_cert_issuer == [x509.DirectoryName(issuing.issuer)]
    ski = exts.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    crl_dp = exts.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name[0].value == "http://127.0.0.1:8829/crl/issuing.crl"
    aia = exts.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [(a.access_method, a.access_location.value) for a in aia] == [
        (AuthorityInformationAccessOID.OCSP, "http://127.0.0.1:8829/ocsp"),
        (AuthorityInformationAccessOID.CA_ISSUERS, "http://127.0.0.1:8829/certs/issuing.der")]
    assert cert.not_valid_before_utc.astimezone(KST).time().isoformat() == "00:00:00"
    assert cert.signature_hash_algorithm.name == "sha256"
    assert 2**24 <= cert.serial_number < 2**63


def test_no_production_yessign_address_in_any_certificate_of_the_test_ca(pki_world) -> None:  # type: ignore[no-untyped-def]
    issuing, root = pki_world.ca.chain()
    for cert in (pki_world.bank_legacy.cert, pki_world.general_pbes2.cert, issuing, root):
        der = cert.public_bytes(serialization.Encoding.DER)
        assert [d for d in PRODUCTION_CA_DOMAINS if d.encode() in der] == []
    # the issuing CA's own addresses: the root's CRL and certificate, on our service
    cdp = issuing.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == "http://127.0.0.1:8829/crl/root.crl"
    aia = issuing.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [a.access_location.value for a in aia] == ["http://127.0.0.1:8829/certs/root.der"]


def test_service_url_is_a_setting_and_never_yessign(home: Path) -> None:
    from teller.errors import ValidationError

    (home / "settings.toml").write_text('[ca]\nservice_url = "https://ca.branch.example:8443"\n')
    ca = load_settings(home, env={}).ca
    assert (ca.ocsp_uri, ca.crl_uri) == ("https://ca.branch.example:8443/ocsp", "https://ca.branch.example:8443/crl/issuing.crl")
    for bad in ("http://ocsp.yessign.org:4612", "ldap://127.0.0.1", "http://127.0.0.1:8829/ocsp", 'x"\ncrl_uri = "y'):
        (home / "settings.toml").write_text(f'[ca]\nservice_url = "{bad}"\n')
        with pytest.raises(ValidationError):
            load_settings(home, env={})
    (home / "settings.toml").write_text('[ca]\nocsp_uri = "http://ocsp.yessign.org:4612"\n')  # an older setting
    with pytest.raises(ValidationError):
        load_settings(home, env={})


def _raw_extension_value(cert: x509.Certificate, oid: str) -> bytes:
    tbs, _ = decoder.decode(cert.tbs_certificate_bytes)
    for ext in tbs[7]:
        if str(ext[0]) == oid:
            return bytes(ext[-1])
    raise AssertionError(oid)


def test_policy_notice_is_bmpstring(pki_world) -> None:  # type: ignore[no-untyped-def]
    raw = _raw_extension_value(pki_world.general_pbes2.cert, "2.5.29.32")
    policies, _ = decoder.decode(raw, asn1Spec=asn1.CertificatePolicies())
    info = policies[0]
    assert str(info["policyIdentifier"]) == CertKind.GENERAL.policy_oid
    notice_q, cps_q = info["policyQualifiers"]
    assert notice_q["policyQualifierId"] == asn1.OID_QT_UNOTICE
    notice_der = bytes(notice_q["qualifier"])
    assert notice_der[2] == 0x1E  # BMPString tag inside UserNotice
    assert notice_der[4:].decode("utf-16-be") == CAIdentity().notice
    assert cps_q["policyQualifierId"] == asn1.OID_QT_CPS


def test_policy_encoder_reproduces_real_yessign_extension(yessign_cert: x509.Certificate) -> None:
    raw = _raw_extension_value(yessign_cert, "2.5.29.32")
    ours = profile.certificate_policies_der("1.2.410.200005.1.1.4", "이 인증서는 시험용 인증서입니다",
                                            "http://snoopy.yessign.or.kr/cps.htm")
    assert ours == raw


def test_corporate_kind_uses_corporate_ou() -> None:
    params = profile.SubjectParams(org="yessign", bank_ou="KMB", bank_code="004")
    name = profile.subject_name("(주)테스트", CertKind.CORPORATE, params, date(2026, 11, 25), 7)
    assert name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == profile.CORPORATE_OU


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_openssl_verifies_chain(pki_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pem = serialization.Encoding.PEM
    issuing, root = pki_world.ca.chain()
    (tmp_path / "root.pem").write_bytes(root.public_bytes(pem))
    (tmp_path / "issuing.pem").write_bytes(issuing.public_bytes(pem))
    for issued in (pki_world.bank_legacy, pki_world.general_pbes2):
        (tmp_path / "cert.pem").write_bytes(issued.cert.public_bytes(pem))
        # -attime: the certificates start at 00:00 KST of a fixed day
        run = subprocess.run(["openssl", "verify", "-attime", str(int(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp())),
                              "-CAfile", "root.pem", "-untrusted", "issuing.pem", "cert.pem"],
                             cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "cert.pem: OK" in run.stdout


def test_ca_files_and_reopen(pki_world) -> None:  # type: ignore[no-untyped-def]
    ca_dir: Path = pki_world.ca_dir
    for name in ("root.key.pem", "issuing.key.pem", "ca-journal.jsonl"):
        assert (ca_dir / name).stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED" in (ca_dir / "issuing.key.pem").read_bytes()
    again = EmbeddedCA.open(ca_dir, CAIdentity(), b"ca-test-passphrase")
    assert again.issuing_cert == pki_world.ca.issuing_cert
    assert again.knows(pki_world.bank_legacy.cert.serial_number)
    assert not again.knows(12345)
    with pytest.raises(CertificateError):
        EmbeddedCA.open(ca_dir, CAIdentity(), b"wrong passphrase")


def test_crl_reasons_hold_and_release(tmp_path: Path, pki_world) -> None:  # type: ignore[no-untyped-def]
    # a copy of the session CA so revocations do not leak into other tests
    ca_dir = tmp_path / "ca"
    shutil.copytree(pki_world.ca_dir, ca_dir)
    ca = EmbeddedCA.open(ca_dir, CAIdentity(), b"ca-test-passphrase")
    a, b = pki_world.bank_legacy.cert.serial_number, pki_world.general_pbes2.cert.serial_number
    when = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
    ca.revoke(a, RevocationReason.KEY_COMPROMISE, when)
    ca.revoke(b, RevocationReason.CERTIFICATE_HOLD, when)
    crl = x509.load_der_x509_crl(ca.crl())
    assert crl.is_signature_valid(ca.issuing_cert.public_key())
    got = {r.serial_number: r.extensions.get_extension_for_class(x509.CRLReason).value.reason for r in crl}
    assert got == {a: x509.ReasonFlags.key_compromise, b: x509.ReasonFlags.certificate_hold}
    assert crl.get_revoked_certificate_by_serial_number(a).revocation_date_utc == when
    with pytest.raises(LifecycleError):
        ca.revoke(a, RevocationReason.SUPERSEDED, when)
    with pytest.raises(NotFound):
        ca.revoke(99999999, RevocationReason.UNSPECIFIED, when)
    ca.release_hold(b)
    crl2 = x509.load_der_x509_crl(ca.crl())
    assert [r.serial_number for r in crl2] == [a]
    assert crl2.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > \
        crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    # a hold may become a permanent revocation; unspecified carries no reasonCode (RFC 5280)
    ca.revoke(b, RevocationReason.UNSPECIFIED, when)
    entry = x509.load_der_x509_crl(ca.crl()).get_revoked_certificate_by_serial_number(b)
    with pytest.raises(x509.ExtensionNotFound):
        entry.extensions.get_extension_for_class(x509.CRLReason)


def test_two_processes_issue_into_one_database(tmp_path: Path, pki_world) -> None:  # type: ignore[no-untyped-def]
    ca_dir = tmp_path / "ca"
    shutil.copytree(pki_world.ca_dir, ca_dir)
    script = textwrap.dedent(f"""
        import sys
        from datetime import datetime, timezone, timedelta
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives import serialization
        from teller.config import PRODUCTION_CA_DOMAINS, CAIdentity, load_settings
        from teller.domain import CertKind
        from teller.pki.ca import EmbeddedCA
        from teller.ports import CertificateRequest
        ca = EmbeddedCA.open({str(ca_dir)!r}, CAIdentity(), b"ca-test-passphrase")
        spki = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        now = datetime.now(timezone.utc)
        for _ in range(4):
            print(ca.issue(CertificateRequest(spki, "병렬", CertKind.BANK, bytes(32), now, now + timedelta(days=1))).serial_number)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    serials = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        serials += [int(line) for line in out.split()]
    ca = EmbeddedCA.open(ca_dir, CAIdentity(), b"ca-test-passphrase")
    assert len(set(serials)) == 8
    assert set(serials) <= set(ca.issued_serials())
    issued = [json.loads(line) for line in (ca_dir / "ca-journal.jsonl").read_text().splitlines()]
    assert max(r["sequence"] for r in issued if r["op"] == "issued") == 2 + 8


@pytest.mark.parametrize("bad_name", ["", "   ", "홍/길동", "a\x00b", "가" * 65])
def test_issue_rejects_bad_real_name(pki_world, bad_name: str) -> None:  # type: ignore[no-untyped-def]
    from teller.errors import ValidationError
    from teller.ports import CertificateRequest

    spki = pki_world.bank_legacy.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    nb, na = profile.kst_validity(date(2026, 11, 25), date(2027, 11, 25))
    before = list(pki_world.ca.issued_serials())
    with pytest.raises(ValidationError):
        pki_world.ca.issue(CertificateRequest(spki, bad_name, CertKind.BANK, bytes(32), nb, na))
    assert list(pki_world.ca.issued_serials()) == before  # nothing half-recorded
