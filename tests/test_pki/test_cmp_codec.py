"""The CMP codec (teller.pki.cmp): a real `openssl cmp` request parses and verifies; our messages round-trip; bad
input is one typed CmpError with a failInfo, never a pyasn1 error."""

from __future__ import annotations

import random
import subprocess
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyasn1.codec.der import decoder
from pyasn1.type import univ
from pyasn1_modules import rfc4210

from teller.pki import cmp


SECRET = b"1234-5678-9012"
REF = b"REF00001"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@pytest.fixture(scope="module")
def client_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


@pytest.fixture(scope="module")
def openssl_ir(tmp_path_factory: pytest.TempPathFactory, client_key: rsa.RSAPrivateKey) -> bytes:
    """An ir as `openssl cmp` writes it (-reqout) before failing to reach a closed port."""
    base = tmp_path_factory.mktemp("cmpreq")
    key_pem = base / "k.pem"
    key_pem.write_bytes(client_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    subprocess.run(["openssl", "cmp", "-cmd", "ir", "-server", "127.0.0.1:1/pkix/", "-ref", REF.decode(),
                    "-secret", "pass:" + SECRET.decode(), "-newkey", str(key_pem), "-subject", "/CN=Hong",
                    "-recipient", "/CN=CA", "-certout", str(base / "got.crt"), "-reqout", str(base / "ir.der")],
                   capture_output=True, timeout=30, check=False)
    return (base / "ir.der").read_bytes()


def _spki(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _our_ir(key: rsa.RSAPrivateKey, *, iterations: int = cmp.PBM_ITERATIONS) -> bytes:
    header = cmp.new_header(sender=_name("Hong"), recipient=_name("CA"), transaction_id=b"t" * 16, sender_kid=REF)
    body = cmp.cert_req_body("ir", _spki(key), key, _name("Hong"), reg_info={"1.2.3.4": b"\x04\x02hi"})
    return cmp.encode(cmp.protect_pbm(header, body, SECRET, iterations=iterations))


def test_openssl_ir_parses_and_its_pbm_and_pop_verify(openssl_ir: bytes, client_key: rsa.RSAPrivateKey) -> None:
    msg = cmp.decode(openssl_ir)
    info = cmp.header_info(msg)
    assert (info.body_type, info.sender_kid, info.protection) == ("ir", REF, "pbm")
    assert info.transaction_id and info.sender_nonce
    cmp.verify_pbm(msg, SECRET)
    (req,) = cmp.cert_requests(msg)
    assert req.public_key_der == _spki(client_key)
    assert req.subject_der is not None and b"Hong" in req.subject_der


def test_wrong_secret_is_bad_message_check(openssl_ir: bytes) -> None:
    with pytest.raises(cmp.CmpError) as err:
        cmp.verify_pbm(cmp.decode(openssl_ir), b"wrong")
    assert err.value.fail_info is cmp.FailInfo.BAD_MESSAGE_CHECK


def test_our_ir_round_trips(client_key: rsa.RSAPrivateKey) -> None:
    msg = cmp.decode(_our_ir(client_key))
    cmp.verify_pbm(msg, SECRET)
    (req,) = cmp.cert_requests(msg)
    assert req.public_key_der == _spki(client_key)
    assert req.reg_info == {"1.2.3.4": b"\x04\x02hi"}


def test_absurd_iteration_count_is_refused_before_any_hashing(client_key: rsa.RSAPrivateKey) -> None:
    # 2**31 iterations would take minutes; the cap refuses it from the parameters alone
    msg = cmp.decode(_absurd(client_key))
    with pytest.raises(cmp.CmpError) as err:
        cmp.verify_pbm(msg, SECRET)
    assert err.value.fail_info is cmp.FailInfo.BAD_MESSAGE_CHECK


def _absurd(key: rsa.RSAPrivateKey) -> bytes:
    # protect with a legal count, then swap in an absurd count in the parameters: the MAC is then wrong anyway, so
    # only the cap (checked first) keeps the server from hashing 2**31 times
    msg = cmp.decode(_our_ir(key))
    params = decoder.decode(bytes(msg["header"]["protectionAlg"]["parameters"]),
                                asn1Spec=rfc4210.PBMParameter())[0]
    params["iterationCount"] = 2**31 - 1
    msg["header"]["protectionAlg"]["parameters"] = univ.Any(cmp.encode(params))
    return cmp.encode(msg)


def test_tampered_pop_is_bad_pop(client_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(65537, 2048)
    header = cmp.new_header(sender=_name("Hong"), recipient=_name("CA"), transaction_id=b"t" * 16, sender_kid=REF)
    body = cmp.cert_req_body("ir", _spki(client_key), other, _name("Hong"))  # signed by a key that is not the request's
    with pytest.raises(cmp.CmpError) as err:
        cmp.cert_requests(cmp.decode(cmp.encode(cmp.protect_pbm(header, body, SECRET))))
    assert err.value.fail_info is cmp.FailInfo.BAD_POP


def test_signature_protection_round_trips(pki_world: Any) -> None:
    issued = pki_world.bank_legacy
    header = cmp.new_header(sender=issued.cert.subject, recipient=_name("CA"), transaction_id=b"r" * 16)
    body = cmp.rr_body(issued.cert.serial_number, issued.cert.issuer, 1)
    msg = cmp.decode(cmp.encode(cmp.protect_signature(header, body, issued.key, [issued.cert])))
    assert cmp.header_info(msg).protection == "signature"
    (signer,) = cmp.extra_certs(msg)
    assert signer == issued.cert
    cmp.verify_signature(msg, issued.cert)
    (rev,) = cmp.revocation_requests(msg)
    assert (rev.serial, rev.reason) == (issued.cert.serial_number, 1)
    with pytest.raises(cmp.CmpError) as err:
        cmp.verify_signature(msg, pki_world.general_pbes2.cert)
    assert err.value.fail_info is cmp.FailInfo.BAD_MESSAGE_CHECK


def test_cert_response_and_confirm_round_trip(pki_world: Any) -> None:
    cert = pki_world.bank_legacy.cert
    request = cmp.decode(_our_ir(pki_world.bank_legacy.key))
    reply = cmp.unprotected(cmp.reply_header(request, sender=_name("CA")), cmp.cert_rep_body("ip", 0, cert, []))
    parsed = cmp.decode(cmp.encode(reply))
    info = cmp.header_info(parsed)
    assert info.transaction_id == b"t" * 16 and info.recip_nonce == cmp.header_info(request).sender_nonce
    assert cmp.issued_certificate(parsed) == (0, cert)
    conf = cmp.decode(cmp.encode(cmp.unprotected(cmp.new_header(sender=_name("Hong"), recipient=_name("CA"),
                                                                  transaction_id=b"t" * 16), cmp.cert_conf_body(0, cert))))
    (confirm,) = cmp.cert_confirms(conf)
    assert confirm.accepted and confirm.cert_hash == cmp.cert_hash(cert)


def test_error_body_carries_status_and_fail_info() -> None:
    msg = cmp.unprotected(cmp.new_header(sender=_name("CA"), recipient=_name("x"), transaction_id=b"e" * 16),
                          cmp.error_body(cmp.FailInfo.TRANSACTION_ID_IN_USE, "replayed"))
    assert cmp.failure_of(cmp.decode(cmp.encode(msg))) == (cmp.Status.REJECTION, cmp.FailInfo.TRANSACTION_ID_IN_USE,
                                                            "replayed")


def test_truncated_fuzzed_and_oversized_input_is_one_typed_error(openssl_ir: bytes) -> None:
    rng = random.Random(14)
    samples = [openssl_ir[:n] for n in range(0, len(openssl_ir), 7)] + [b"", b"\x30\x80", b"\xff" * 40]
    for _ in range(300):
        data = bytearray(openssl_ir)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        samples.append(bytes(data))
    for sample in samples:
        try:
            msg = cmp.decode(sample)
            cmp.header_info(msg)
            cmp.verify_pbm(msg, SECRET)
            cmp.cert_requests(msg)
        except cmp.CmpError:
            continue
    with pytest.raises(cmp.CmpError) as err:
        cmp.decode(b"\x30" + b"\x00" * (cmp.MAX_MESSAGE_BYTES + 1))
    assert err.value.fail_info is cmp.FailInfo.BAD_REQUEST

