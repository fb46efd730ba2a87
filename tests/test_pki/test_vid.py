"""VID: computation against an independent encoding, and the identifyData of the real yessign test certificate."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509

from teller.errors import CertificateError, ValidationError
from teller.pki import vid

RRN = "9001011234568"


def _independent_vid(idn: str, r: bytes) -> bytes:
    # HashContent ::= SEQUENCE { PrintableString idn, BIT STRING r } written out by hand (short lengths only)
    printable = b"\x13" + bytes([len(idn)]) + idn.encode("ascii")
    bits = b"\x03" + bytes([len(r) + 1]) + b"\x00" + r
    body = printable + bits
    der = b"\x30" + bytes([len(body)]) + body
    return hashlib.sha256(hashlib.sha256(der).digest()).digest()


def test_new_random_num_is_160_bits_and_fresh() -> None:
    a, b = vid.new_random_num(), vid.new_random_num()
    assert len(a) == 20 and len(b) == 20 and a != b


def test_compute_vid_matches_independent_encoding() -> None:
    r = bytes(range(20))
    assert vid.compute_vid(RRN, r) == _independent_vid(RRN, r)
    assert vid.compute_vid(RRN, r) != vid.compute_vid("9001012234567", r)
    assert len(vid.compute_vid(RRN, r, "sha1")) == 20


@pytest.mark.parametrize("bad", ["900101-1234568", "90010112345", "abcdefghijklm", ""])
def test_compute_vid_rejects_malformed_idn(bad: str) -> None:
    with pytest.raises(ValidationError):
        vid.compute_vid(bad, bytes(20))


def test_read_identify_data_of_real_certificate(yessign_cert: x509.Certificate) -> None:
    data = vid.read_identify_data(yessign_cert)
    assert data.real_name == "HKD"
    assert data.hash_name == "sha256"
    assert len(data.vid) == 32


def test_identify_data_encoding_equals_real_certificate_bytes(yessign_cert: x509.Certificate) -> None:
    san = yessign_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    (other,) = san.get_values_for_type(x509.OtherName)
    data = vid.read_identify_data(yessign_cert)
    assert vid.build_identify_data_der(data.real_name, data.vid) == other.value


def test_vid_matches_only_right_rrn_and_random(pki_world) -> None:  # type: ignore[no-untyped-def]
    issued = pki_world.bank_legacy
    assert vid.vid_matches(issued.cert, issued.rrn, issued.random_num)
    assert not vid.vid_matches(issued.cert, "9001012234567", issued.random_num)
    assert not vid.vid_matches(issued.cert, issued.rrn, bytes(20))


def test_certificate_without_san_is_a_clear_error(pki_world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CertificateError):
        vid.read_identify_data(pki_world.ca.issuing_cert)
