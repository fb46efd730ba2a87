"""The OCSP responder (RFC 6960; GET with the request base64 in the path, POST as application/ocsp-request).

Status comes from the embedded CA's journal, which other processes (terminals, the other workers) append to: each
request stats the journal file, and only when it changed is the CA's status book re-read. Responses to requests
without a nonce are pre-signed and cached per certificate, the way production responders work, until that
certificate's status changes or half their validity has passed; a request with a nonce gets a response signed
for it, echoing the nonce. Signed by the CA's delegated responder certificate (EmbeddedCA.ocsp_signer).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ca_service.limits import BodyTooLarge, read_body
from teller.config import OCSP_PATH
from teller.domain import RevocationReason
from teller.pki.ca import JOURNAL_NAME, REASON_FLAGS, EmbeddedCA, Revocation, StatusBook
from teller.ports import Clock

log = logging.getLogger("ca_service.ocsp")

OCSP_VALIDITY = timedelta(hours=1)  # nextUpdate - thisUpdate of every response
MAX_REQUEST_BYTES = 8 * 1024  # an OCSP request for one certificate is ~100 bytes
MAX_NONCE_BYTES = 32  # RFC 8954
REQUEST_TYPE = "application/ocsp-request"
RESPONSE_TYPE = "application/ocsp-response"
_HASHES: tuple[hashes.HashAlgorithm, ...] = (hashes.SHA1(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512())


def _error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


MALFORMED = _error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
UNAUTHORIZED = _error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
INTERNAL_ERROR = _error(ocsp.OCSPResponseStatus.INTERNAL_ERROR)


@dataclass(frozen=True, slots=True)
class _Signed:
    der: bytes
    refresh_at: datetime  # half the validity: then signed again
    status: Revocation | None


class OcspResponder:
    """Answers DER OCSP requests for one issuing CA. Thread-safe; one per worker process."""

    def __init__(self, ca: EmbeddedCA, signer: tuple[x509.Certificate, rsa.RSAPrivateKey], clock: Clock) -> None:
        self._ca = ca
        self._signer_cert, self._signer_key = signer
        self._clock = clock
        issuer = ca.issuing_cert
        name_der = issuer.subject.public_bytes()
        key_bits = issuer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        self._issuer_ids: dict[str, tuple[bytes, bytes]] = {}
        for algorithm in _HASHES:
            self._issuer_ids[algorithm.name] = (_digest(algorithm, name_der), _digest(algorithm, key_bits))
        self._lock = threading.Lock()
        self._journal = ca.ca_dir / JOURNAL_NAME
        self._seen: tuple[int, int, int] | None = None
        self._book = StatusBook(frozenset(), {})
        self._cache: dict[tuple[str, int], _Signed] = {}

    def respond(self, der: bytes) -> bytes:
        try:
            request = ocsp.load_der_ocsp_request(der)
            algorithm = request.hash_algorithm
            serial = request.serial_number
            nonce = _nonce(request)
        except Exception:  # cryptography raises ValueError/UnsupportedAlgorithm/NotImplementedError on bad input
            return MALFORMED
        if nonce is not None and not 0 < len(nonce) <= MAX_NONCE_BYTES:
            return MALFORMED
        ids = self._issuer_ids.get(algorithm.name)
        if ids is None or ids != (request.issuer_name_hash, request.issuer_key_hash):
            return UNAUTHORIZED  # not a certificate of our issuing CA: we cannot answer authoritatively
        book = self._current_book()
        if serial not in book.issued:
            return self._sign(request, algorithm, None, nonce, unknown=True)
        status = book.revoked.get(serial)
        if nonce is not None:
            return self._sign(request, algorithm, status, nonce)
        key = (algorithm.name, serial)
        now = self._clock.now()
        cached = self._cache.get(key)
        if cached is not None and cached.status == status and now < cached.refresh_at:
            return cached.der
        der_out = self._sign(request, algorithm, status, None)
        self._cache[key] = _Signed(der_out, now + OCSP_VALIDITY / 2, status)
        return der_out

    def _current_book(self) -> StatusBook:
        """The CA's status book, re-read only when the journal file changed since last look (one stat a request)."""
        st = os.stat(self._journal)
        seen = (st.st_ino, st.st_size, st.st_mtime_ns)
        if seen != self._seen:
            with self._lock:
                if seen != self._seen:  # stat taken before the read: an append after it shows as a change next time
                    self._book = self._ca.status_book()
                    self._seen = seen
        return self._book

    def _sign(self, request: ocsp.OCSPRequest, algorithm: hashes.HashAlgorithm, status: Revocation | None,
              nonce: bytes | None, *, unknown: bool = False) -> bytes:
        now = self._clock.now()
        if unknown:
            cert_status, when, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        elif status is None:
            cert_status, when, reason = ocsp.OCSPCertStatus.GOOD, None, None
        else:
            cert_status, when, reason = ocsp.OCSPCertStatus.REVOKED, status.when, (
                None if status.reason is RevocationReason.UNSPECIFIED else REASON_FLAGS[status.reason])  # as in the CRL
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(request.issuer_name_hash, request.issuer_key_hash, request.serial_number, algorithm,
                                  cert_status, now, now + OCSP_VALIDITY, when, reason)
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self._signer_cert)
            .certificates([self._signer_cert])
        )
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        return builder.sign(self._signer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def _ocsp_response(der: bytes) -> Response:
    return Response(der, media_type=RESPONSE_TYPE, headers={"Cache-Control": "no-store"})


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def routes(responder: OcspResponder) -> list[BaseRoute]:
    """POST {OCSP_PATH} and GET {OCSP_PATH}/<base64 DER request>."""

    def answer(der: bytes) -> bytes:
        try:
            return responder.respond(der)
        except Exception:  # a state nobody foresaw: the client gets an OCSP internalError, the log one line
            log.error("OCSP responder failed", exc_info=True)
            return INTERNAL_ERROR

    async def post(request: Request) -> Response:
        if _media_type(request) != REQUEST_TYPE:
            return Response(f"Content-Type must be {REQUEST_TYPE}\n", status_code=415, media_type="text/plain")
        try:
            body = await read_body(request, MAX_REQUEST_BYTES)
        except BodyTooLarge:
            return Response(f"an OCSP request is at most {MAX_REQUEST_BYTES} bytes\n", status_code=413,
                            media_type="text/plain")
        return _ocsp_response(answer(body))

    async def get(request: Request) -> Response:
        encoded = str(request.path_params["encoded"])
        if len(encoded) > MAX_REQUEST_BYTES * 4 // 3 + 4:
            return Response("request too long\n", status_code=414, media_type="text/plain")
        try:
            der = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            return _ocsp_response(MALFORMED)
        return _ocsp_response(answer(der))

    return [Route(OCSP_PATH, post, methods=["POST"]), Route(OCSP_PATH + "/{encoded:path}", get, methods=["GET"])]
