"""VID (virtual identifier, KCAC.TS.SIVID): binds a certificate to a resident number without revealing it.

vid = H(H(DER(HashContent{PrintableString idn, BIT STRING randomNum}))) — npki-format.md §4.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography import x509
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ

from teller.errors import CertificateError, ValidationError
from teller.pki import asn1

RANDOM_NUM_BYTES = 20  # ≥160 bits (KCAC.TS.SIVID)
_HASH_BY_OID = {str(oid): name for name, oid in asn1.HASH_OIDS.items()}


@dataclass(frozen=True, slots=True)
class IdentifyData:
    real_name: str
    hash_name: str  # "sha256" or "sha1"
    vid: bytes


def new_random_num() -> bytes:
    return secrets.token_bytes(RANDOM_NUM_BYTES)


def _check_idn(idn: str) -> None:
    if len(idn) not in (10, 13) or not idn.isdigit():  # 13-digit RRN, 10-digit business number
        raise ValidationError("식별번호는 하이픈 없는 숫자 13자리(법인: 10자리)입니다",
                              "the identification number must be 13 digits (10 for a business), no hyphen")


def compute_vid(idn: str, random_num: bytes, hash_name: str = "sha256") -> bytes:
    _check_idn(idn)
    if hash_name not in asn1.HASH_OIDS:
        raise ValidationError(f"지원하지 않는 VID 해시: {hash_name}", f"unsupported VID hash: {hash_name}")
    content = asn1.HashContent()
    content["idn"] = idn
    content["randomNum"] = univ.BitString.fromOctetString(random_num)
    inner = hashlib.new(hash_name, encoder.encode(content)).digest()
    return hashlib.new(hash_name, inner).digest()


def build_identify_data_der(real_name: str, vid: bytes, hash_name: str = "sha256") -> bytes:
    """DER of IdentifyData (the otherName value, without the [0] EXPLICIT wrapper)."""
    vid_value = asn1.VID()
    vid_value["hashAlg"]["algorithm"] = asn1.HASH_OIDS[hash_name]  # parameters absent, as observed
    vid_value["vid"] = vid
    info = asn1.UserInfo()
    info["type"] = asn1.OID_VID
    info["value"] = vid_value
    data = asn1.IdentifyData()
    data["realName"] = real_name
    data["userInfos"].append(info)
    return asn1.der(data)


def parse_identify_data_der(der: bytes) -> IdentifyData:
    try:
        data, rest = decoder.decode(der, asn1Spec=asn1.IdentifyData())
        if rest:
            raise PyAsn1Error("trailing bytes")
        for info in data["userInfos"]:
            if info["type"] == asn1.OID_VID:
                oid = str(info["value"]["hashAlg"]["algorithm"])
                if oid not in _HASH_BY_OID:
                    raise PyAsn1Error(f"unknown VID hash {oid}")
                return IdentifyData(str(data["realName"]), _HASH_BY_OID[oid], bytes(info["value"]["vid"]))
    except PyAsn1Error as exc:
        raise CertificateError("인증서의 식별정보(VID)를 읽을 수 없습니다", f"cannot parse the certificate's VID: {exc}") from None
    raise CertificateError("인증서에 VID가 없습니다", "the certificate carries no VID")


def read_identify_data(cert: x509.Certificate) -> IdentifyData:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise CertificateError("인증서에 식별정보(subjectAltName)가 없습니다",
                               "the certificate has no subjectAltName identifyData") from None
    for name in san.get_values_for_type(x509.OtherName):
        if name.type_id.dotted_string == str(asn1.OID_IDENTIFY_DATA):
            return parse_identify_data_der(name.value)
    raise CertificateError("인증서에 식별정보(identifyData)가 없습니다", "the certificate has no identifyData otherName")


def vid_matches(cert: x509.Certificate, rrn_digits: str, random_num: bytes) -> bool:
    data = read_identify_data(cert)
    return hmac.compare_digest(compute_vid(rrn_digits, random_num, data.hash_name), data.vid)
