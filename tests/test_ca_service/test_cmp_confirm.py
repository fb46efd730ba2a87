"""A certificate is final only after certConf: the service killed between signature and certConf leaves it revoked
once the confirmation period is over; an absurd PBM iteration count is refused before any hashing."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyasn1.codec.der import decoder
from pyasn1.type import univ
from pyasn1_modules import rfc4210

from teller.domain import RevocationReason
from teller.pki import cmp

from .conftest import CmpServer, start_server

CN = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hong")])


def _post(server: CmpServer, der: bytes) -> object:
    answer = httpx.post(f"http://{server.endpoint}", content=der, headers={"content-type": "application/pkixcmp"},
                        timeout=30)
    assert answer.status_code == 200
    return cmp.decode(answer.content)


def _ir(ref: str, code: str, key: rsa.RSAPrivateKey) -> object:
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = cmp.new_header(sender=CN, recipient=CN, transaction_id=secrets.token_bytes(16), sender_kid=ref.encode())
    return cmp.protect_pbm(header, cmp.cert_req_body("ir", spki, key, CN), code.encode())


def test_killed_before_cert_conf_the_certificate_is_revoked(cmp_ca_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cmp.db'}"
    server = start_server(cmp_ca_dir, url, confirm_s=1)
    try:
        server.register("REF-KILL", "kill-code")
        ip = _post(server, cmp.encode(_ir("REF-KILL", "kill-code", rsa.generate_private_key(65537, 2048))))
        _, cert = cmp.issued_certificate(ip)
    finally:
        server.stop()  # SIGKILL: no certConf, no shutdown handler
    assert server.ca().knows(cert.serial_number)  # signed and in the CA journal …
    assert cert.serial_number not in server.ca().revoked_serials()
    time.sleep(1.1)  # the confirmation period (1 s) is over; the deadline was stored at signing
    restarted = start_server(cmp_ca_dir, url)  # … and the next request any worker serves revokes it
    try:
        _post(restarted, cmp.encode(cmp.unprotected(cmp.new_header(sender=CN, recipient=CN,
                                                                     transaction_id=b"g" * 16), cmp.genm_body())))
    finally:
        restarted.stop()
    assert server.ca().revoked_serials().get(cert.serial_number) is RevocationReason.CESSATION_OF_OPERATION
    store = server.store()
    assert store.counts() == {"revoked": 1}
    store.close()


def test_absurd_iteration_count_is_refused_and_not_counted(cmp_server: CmpServer) -> None:
    cmp_server.register("REF-ITER", "iter-code")
    msg = _ir("REF-ITER", "iter-code", rsa.generate_private_key(65537, 2048))
    params = decoder.decode(bytes(msg["header"]["protectionAlg"]["parameters"]),  # type: ignore[index]
                            asn1Spec=rfc4210.PBMParameter())[0]
    params["iterationCount"] = 2**31 - 1
    msg["header"]["protectionAlg"]["parameters"] = univ.Any(cmp.encode(params))  # type: ignore[index]
    before = set(cmp_server.ca().issued_serials())
    status, fail, _ = cmp.failure_of(_post(cmp_server, cmp.encode(msg)))
    assert (status, fail) == (cmp.Status.REJECTION, cmp.FailInfo.BAD_MESSAGE_CHECK)
    assert set(cmp_server.ca().issued_serials()) == before
    store = cmp_server.store()
    registration = store.registration("REF-ITER")
    store.close()
    assert registration is not None and (registration.attempts, registration.status) == (0, "open")
