"""Asking an OCSP responder about one certificate (RFC 6960): the request, and the checks on its answer.

The HTTP transfer is the caller's (the composition root); this module only builds and judges DER.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from teller.domain import RevocationReason
from teller.errors import CertificateError

CertStatus = Literal["good", "revoked", "unknown"]
_REASONS = {x509.ReasonFlags[reason.value]: reason for reason in RevocationReason}  # same names


@dataclass(frozen=True, slots=True)
class OcspQuestion:
    der: bytes
    nonce: bytes
    serial: int


@dataclass(frozen=True, slots=True)
class OcspAnswer:
    serial: int
    status: CertStatus
    reason: RevocationReason | None  # revoked only; None when the responder gave none (unspecified)
    revoked_at: datetime | None
    this_update: datetime
    next_update: datetime | None


def question(serial: int, issuer: x509.Certificate) -> OcspQuestion:
    """A request for `serial` of `issuer` (SHA-1 CertID, as RFC 5019 clients send) with a fresh 16-byte nonce."""
    name_hash = _digest(issuer.subject.public_bytes())
    key_hash = _digest(issuer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
    nonce = os.urandom(16)
    req = (ocsp.OCSPRequestBuilder().add_certificate_by_hash(name_hash, key_hash, serial, hashes.SHA1())
           .add_extension(x509.OCSPNonce(nonce), critical=False).build())
    return OcspQuestion(req.public_bytes(serialization.Encoding.DER), nonce, serial)


def judge(der: bytes, asked: OcspQuestion, issuer: x509.Certificate, now: datetime) -> OcspAnswer:
    """The answer, once the response is checked: successful, signed by the issuer or its delegated responder,
    our nonce echoed, about our serial, current."""
    try:
        resp = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        raise CertificateError("OCSP 응답을 해석할 수 없습니다", f"the OCSP response is malformed: {exc}") from None
    if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise CertificateError(f"OCSP 응답기가 거절했습니다: {resp.response_status.name}",
                               f"the OCSP responder refused: {resp.response_status.name}")
    signer = _signer(resp, issuer)
    algorithm = resp.signature_hash_algorithm
    public_key = signer.public_key()
    if algorithm is None or not isinstance(public_key, rsa.RSAPublicKey):
        raise CertificateError("OCSP 응답 서명 방식을 지원하지 않습니다", "unsupported OCSP response signature")
    try:
        public_key.verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise CertificateError("OCSP 응답 서명이 올바르지 않습니다", "the OCSP response signature is invalid") from None
    try:
        echoed = resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        echoed = None
    if echoed != asked.nonce:
        raise CertificateError("OCSP 응답의 nonce가 요청과 다릅니다 (재전송 의심)", "the OCSP response does not echo our nonce")
    if resp.serial_number != asked.serial:
        raise CertificateError("OCSP 응답이 다른 인증서에 대한 것입니다", "the OCSP response is about another certificate")
    this_update, next_update = resp.this_update_utc, resp.next_update_utc
    if this_update > now or (next_update is not None and next_update < now):
        raise CertificateError("OCSP 응답의 유효 시간이 지났거나 이릅니다", "the OCSP response is not current")
    status = resp.certificate_status
    if status is ocsp.OCSPCertStatus.GOOD:
        return OcspAnswer(asked.serial, "good", None, None, this_update, next_update)
    if status is ocsp.OCSPCertStatus.UNKNOWN:
        return OcspAnswer(asked.serial, "unknown", None, None, this_update, next_update)
    flag = resp.revocation_reason
    reason = _REASONS.get(flag) if flag is not None else None
    return OcspAnswer(asked.serial, "revoked", reason, resp.revocation_time_utc, this_update, next_update)


def _signer(resp: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate:
    """The issuer itself, or a certificate it issued for OCSP signing (RFC 6960 §4.2.2.2) sent in the response."""
    for cert in [issuer, *resp.certificates]:
        if not _is_responder(resp, cert):
            continue
        if cert == issuer:
            return cert
        try:
            cert.verify_directly_issued_by(issuer)
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in eku:
            return cert
    raise CertificateError("OCSP 응답에 이 CA가 위임한 서명 인증서가 없습니다",
                           "the OCSP response is not signed by the CA or a responder it delegated")


def _is_responder(resp: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if resp.responder_name is not None:
        return resp.responder_name == cert.subject
    key_hash = _digest(cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
    return resp.responder_key_hash == key_hash


def _digest(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SHA1())
    h.update(data)
    return h.finalize()
