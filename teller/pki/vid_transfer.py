"""The VID material of an online enrolment: the customer's client made the randomNum R (it goes into the key file),
so the CA must learn R to put a VID in the certificate, and must check it against the resident number the branch
registered. KISA's VID specification has the client send it encrypted for the CA; its exact ASN.1 inside the CMP
request is unconfirmed here (../shared/protocols.md), so this project carries it as one regInfo attribute under a
private OID, sealed with a key only the customer and the CA hold: HKDF-SHA256 of the 인가코드 (the PBM secret),
salted with the transactionID, AES-256-GCM with the reference number as associated data.

Plaintext: R (20 bytes) ‖ the VID the client computed from the resident number the customer typed. The CA computes
the VID from the registered resident number and refuses the request when they differ, before anything is signed.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ

from teller.errors import ValidationError
from teller.pki.vid import RANDOM_NUM_BYTES

# Project-private OID (an arc of no registry): stands in for the unconfirmed KCAC.TS.SIVID structure. Documented in
# docs/architecture.md; a real deployment replaces it with yessign's.
VID_MATERIAL_OID = "1.3.6.1.4.1.55555.1.1"
_INFO = b"branch-teller/vid-material/v1"
_MAX = 512


def _key(code: bytes, transaction_id: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=transaction_id, info=_INFO).derive(code)


def seal(code: bytes, transaction_id: bytes, reference: bytes, random_num: bytes, vid: bytes) -> bytes:
    """The regInfo value (DER OCTET STRING)."""
    if len(random_num) != RANDOM_NUM_BYTES:
        raise ValidationError("randomNum 길이가 올바르지 않습니다", "randomNum has the wrong length")
    nonce = secrets.token_bytes(12)
    sealed = nonce + AESGCM(_key(code, transaction_id)).encrypt(nonce, random_num + vid, reference)
    return bytes(encoder.encode(univ.OctetString(sealed)))


def open_sealed(code: bytes, transaction_id: bytes, reference: bytes, der: bytes) -> tuple[bytes, bytes]:
    """(R, the client's VID); ValidationError for anything that is not our sealed material."""
    try:
        value, rest = decoder.decode(der[:_MAX + 16], asn1Spec=univ.OctetString())
        raw = bytes(value)
    except (PyAsn1Error, ValueError, TypeError):
        raise ValidationError("VID 자료 형식이 올바르지 않습니다", "malformed VID material") from None
    if rest or len(der) > _MAX or len(raw) < 12 + 16 + RANDOM_NUM_BYTES:
        raise ValidationError("VID 자료 형식이 올바르지 않습니다", "malformed VID material")
    try:
        plain = AESGCM(_key(code, transaction_id)).decrypt(raw[:12], raw[12:], reference)
    except InvalidTag:
        raise ValidationError("VID 자료를 열 수 없습니다", "the VID material does not open with this code") from None
    return plain[:RANDOM_NUM_BYTES], plain[RANDOM_NUM_BYTES:]
