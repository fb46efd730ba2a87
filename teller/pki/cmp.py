"""CMP (RFC 4210) messages: parse, protect, verify and build them with pyasn1-modules' specifications.

The domain half of CMP: no HTTP, no storage. Everything a peer sends goes through `decode` and the `verify_*`
functions, which raise one typed error, `CmpError`, carrying the PKIFailureInfo bit a server answers with; a pyasn1
error never escapes. Protection is password-based MAC (PBM, RFC 4210 §5.1.3.1; the Korean online path: 참조번호 as
senderKID, 인가코드 as secret) or a signature by a certificate's key (kur/rr, the branch's RA certificate).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import char, univ
from pyasn1_modules import rfc2314, rfc2459, rfc2511, rfc4210

from teller.errors import ErrorKind, TellerError

MAX_MESSAGE_BYTES = 64 * 1024  # a CMP request of ours is ~2 KB; anything far larger is refused before parsing
PBM_MIN_ITERATIONS = 100  # RFC 9481 §6.1.1: at least 100
PBM_MAX_ITERATIONS = 10_000  # denial-of-service guard: the peer chooses the count and the server pays for it
PBM_SALT_BYTES = 16
PBM_ITERATIONS = 500  # what we send (OpenSSL's default)

OID_PBM = univ.ObjectIdentifier("1.2.840.113533.7.66.13")
_OWF = {"2.16.840.1.101.3.4.2.1": "sha256", "1.3.14.3.2.26": "sha1"}
_OID_SHA256 = "2.16.840.1.101.3.4.2.1"
_MAC = {"1.3.6.1.5.5.8.1.2": "sha1", "1.2.840.113549.2.7": "sha1", "1.2.840.113549.2.9": "sha256"}
_OID_HMAC_SHA256 = "1.2.840.113549.2.9"
_SIG: dict[str, hashes.HashAlgorithm] = {
    "1.2.840.113549.1.1.11": hashes.SHA256(), "1.2.840.113549.1.1.12": hashes.SHA384(),
    "1.2.840.113549.1.1.13": hashes.SHA512(), "1.2.840.113549.1.1.5": hashes.SHA1(),
}
_OID_SHA256_RSA = "1.2.840.113549.1.1.11"
PVNO_CMP2000 = 2
# what pyasn1 and cryptography raise on malformed input (pyasn1 lets some Python errors through, e.g. an
# OverflowError for a length that does not fit in memory): all of it is badDataFormat to the peer
_MALFORMED = (PyAsn1Error, ValueError, TypeError, IndexError, KeyError, OverflowError, AttributeError, EOFError)


class FailInfo(enum.IntEnum):
    """PKIFailureInfo bits (RFC 4210 §5.2.3)."""

    BAD_ALG = 0
    BAD_MESSAGE_CHECK = 1
    BAD_REQUEST = 2
    BAD_TIME = 3
    BAD_CERT_ID = 4
    BAD_DATA_FORMAT = 5
    WRONG_AUTHORITY = 6
    INCORRECT_DATA = 7
    MISSING_TIME_STAMP = 8
    BAD_POP = 9
    CERT_REVOKED = 10
    CERT_CONFIRMED = 11
    WRONG_INTEGRITY = 12
    BAD_RECIPIENT_NONCE = 13
    TIME_NOT_AVAILABLE = 14
    UNACCEPTED_POLICY = 15
    UNACCEPTED_EXTENSION = 16
    ADD_INFO_NOT_AVAILABLE = 17
    BAD_SENDER_NONCE = 18
    BAD_CERT_TEMPLATE = 19
    SIGNER_NOT_TRUSTED = 20
    TRANSACTION_ID_IN_USE = 21
    UNSUPPORTED_VERSION = 22
    NOT_AUTHORIZED = 23
    SYSTEM_UNAVAIL = 24
    SYSTEM_FAILURE = 25
    DUPLICATE_CERT_REQ = 26


class Status(enum.IntEnum):
    """PKIStatus."""

    ACCEPTED = 0
    GRANTED_WITH_MODS = 1
    REJECTION = 2
    WAITING = 3


class CmpError(TellerError):
    """A CMP message that is malformed, badly protected or not acceptable; `fail_info` is what the peer is told."""

    kind = ErrorKind.CMP_ERROR

    def __init__(self, fail_info: FailInfo, message: str, message_en: str) -> None:
        super().__init__(message, message_en)
        self.fail_info = fail_info


def _bad_format(what: str) -> CmpError:
    return CmpError(FailInfo.BAD_DATA_FORMAT, f"CMP 메시지 형식이 올바르지 않습니다: {what}", f"malformed CMP message: {what}")


# ------------------------------------------------------------------------------------------------ parsing
def decode(der: bytes) -> Any:
    """The PKIMessage in der (size-capped, nothing trailing), or CmpError(badDataFormat)."""
    if len(der) > MAX_MESSAGE_BYTES:
        raise CmpError(FailInfo.BAD_REQUEST, "CMP 메시지가 너무 큽니다", f"CMP message larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        msg, rest = decoder.decode(der, asn1Spec=rfc4210.PKIMessage())
        if rest:
            raise _bad_format("trailing bytes")
        # only DER is accepted: the protection is checked over our re-encoding, which must be the sender's bytes
        if encode(msg) != der:
            raise _bad_format("not DER")
        body_type = msg["body"].getName()
        if not body_type:
            raise _bad_format("no body")
    except _MALFORMED as exc:
        raise _bad_format(type(exc).__name__) from None
    if int(msg["header"]["pvno"]) != PVNO_CMP2000:
        raise CmpError(FailInfo.UNSUPPORTED_VERSION, "지원하지 않는 CMP 버전입니다", "unsupported CMP version")
    return msg


def encode(msg: Any) -> bytes:
    return bytes(encoder.encode(msg))


def _octets(header: Any, name: str) -> bytes | None:
    value = header[name]
    return bytes(value) if value.isValue else None


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What a server decides on in a PKIHeader."""

    body_type: str  # "ir", "cr", "p10cr", "kur", "rr", "certConf", "genm", …
    transaction_id: bytes | None
    sender_nonce: bytes | None
    recip_nonce: bytes | None
    sender_kid: bytes | None
    protection: str | None  # "pbm", "signature" or None (unprotected)
    sender_der: bytes  # the sender GeneralName, DER


def header_info(msg: Any) -> HeaderInfo:
    header = msg["header"]
    alg = header["protectionAlg"]
    protection: str | None = None
    if alg.isValue:
        oid = str(alg["algorithm"])
        protection = "pbm" if oid == str(OID_PBM) else "signature" if oid in _SIG else None
        if protection is None:
            raise CmpError(FailInfo.BAD_ALG, "지원하지 않는 보호 알고리즘입니다", f"unsupported protection algorithm {oid}")
    return HeaderInfo(
        body_type=msg["body"].getName(), transaction_id=_octets(header, "transactionID"),
        sender_nonce=_octets(header, "senderNonce"), recip_nonce=_octets(header, "recipNonce"),
        sender_kid=_octets(header, "senderKID"), protection=protection, sender_der=encode(header["sender"]))


def protected_part(header: Any, body: Any) -> bytes:
    """DER of ProtectedPart {header, body}: the bytes a protection covers."""
    part = rfc4210.ProtectedPart()
    part["header"] = header
    part["infoValue"] = body
    return encode(part)


# ------------------------------------------------------------------------------------------------ PBM
@dataclass(frozen=True, slots=True)
class PbmParams:
    salt: bytes
    owf: str  # hashlib name
    iterations: int
    mac: str  # hashlib name for HMAC


def pbm_params(msg: Any) -> PbmParams:
    """The PBMParameter of a PBM-protected message, checked against the caps before any work is done."""
    alg = msg["header"]["protectionAlg"]
    if not alg.isValue or str(alg["algorithm"]) != str(OID_PBM) or not alg["parameters"].isValue:
        raise CmpError(FailInfo.BAD_ALG, "PBM 보호가 아닙니다", "not protected by PBM")
    try:
        params, rest = decoder.decode(bytes(alg["parameters"]), asn1Spec=rfc4210.PBMParameter())
    except _MALFORMED as exc:
        raise _bad_format(f"PBMParameter {type(exc).__name__}") from None
    if rest:
        raise _bad_format("PBMParameter trailing bytes")
    owf, mac = _OWF.get(str(params["owf"]["algorithm"])), _MAC.get(str(params["mac"]["algorithm"]))
    if owf is None or mac is None:
        raise CmpError(FailInfo.BAD_ALG, "지원하지 않는 PBM 알고리즘입니다", "unsupported PBM one-way function or MAC")
    iterations = int(params["iterationCount"])
    if not PBM_MIN_ITERATIONS <= iterations <= PBM_MAX_ITERATIONS:
        raise CmpError(FailInfo.BAD_MESSAGE_CHECK, "PBM 반복 횟수가 허용 범위를 벗어났습니다",
                       f"PBM iteration count {iterations} outside {PBM_MIN_ITERATIONS}..{PBM_MAX_ITERATIONS}")
    return PbmParams(salt=bytes(params["salt"]), owf=owf, iterations=iterations, mac=mac)


def pbm_mac(secret: bytes, params: PbmParams, data: bytes) -> bytes:
    """RFC 4210 §5.1.3.1: K = OWF^iterations(secret || salt), then MAC_K(data)."""
    key = hashlib.new(params.owf, secret + params.salt).digest()
    for _ in range(params.iterations - 1):
        key = hashlib.new(params.owf, key).digest()
    return hmac.new(key, data, params.mac).digest()


def verify_pbm(msg: Any, secret: bytes) -> None:
    params = pbm_params(msg)
    expected = pbm_mac(secret, params, protected_part(msg["header"], msg["body"]))
    if not msg["protection"].isValue or not hmac.compare_digest(expected, msg["protection"].asOctets()):
        raise CmpError(FailInfo.BAD_MESSAGE_CHECK, "메시지 보호(MAC) 검증에 실패했습니다", "PBM protection does not verify")


def _algorithm(oid: str, parameters: bytes | None = None) -> Any:
    alg = rfc2459.AlgorithmIdentifier()
    alg["algorithm"] = univ.ObjectIdentifier(oid)
    if parameters is not None:
        alg["parameters"] = univ.Any(parameters)
    return alg


def _pbm_algorithm(salt: bytes, iterations: int) -> Any:
    params = rfc4210.PBMParameter()
    params["salt"] = salt
    params["owf"] = _algorithm(_OID_SHA256)
    params["iterationCount"] = iterations
    params["mac"] = _algorithm(_OID_HMAC_SHA256)
    return _algorithm(str(OID_PBM), encode(params))


# ------------------------------------------------------------------------------------------------ signature
def verify_signature(msg: Any, cert: x509.Certificate) -> None:
    """The message's protection is a signature by cert's (RSA) key."""
    alg = msg["header"]["protectionAlg"]
    algorithm = _SIG.get(str(alg["algorithm"])) if alg.isValue else None
    if algorithm is None:
        raise CmpError(FailInfo.BAD_ALG, "서명 보호가 아닙니다", "not protected by a supported signature")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or not msg["protection"].isValue:
        raise CmpError(FailInfo.BAD_MESSAGE_CHECK, "서명 보호를 확인할 수 없습니다", "signature protection cannot be checked")
    try:
        key.verify(msg["protection"].asOctets(), protected_part(msg["header"], msg["body"]), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise CmpError(FailInfo.BAD_MESSAGE_CHECK, "메시지 서명 검증에 실패했습니다", "signature protection does not verify") from None


def extra_certs(msg: Any) -> list[x509.Certificate]:
    """The extraCerts of msg (the signer's certificate first, by RFC 4210 §5.1.1 convention)."""
    if not msg["extraCerts"].isValue:
        return []
    try:
        return [x509.load_der_x509_certificate(encode(c)) for c in msg["extraCerts"]]
    except ValueError:
        raise _bad_format("extraCerts") from None


# ------------------------------------------------------------------------------------------------ requests
@dataclass(frozen=True, slots=True)
class CertReq:
    """One certificate request of an ir/cr/kur/p10cr, its proof of possession already verified."""

    cert_req_id: int
    subject_der: bytes | None  # Name DER, when the template has one
    public_key_der: bytes  # SubjectPublicKeyInfo DER
    reg_info: dict[str, bytes]  # regInfo attribute OID → value DER (carries the VID material, see docs)


def _template_key(template: Any) -> bytes:
    if not template["publicKey"].isValue:
        raise CmpError(FailInfo.BAD_CERT_TEMPLATE, "요청에 공개키가 없습니다", "the certificate template has no public key")
    spki = rfc2459.SubjectPublicKeyInfo()
    for name in ("algorithm", "subjectPublicKey"):
        spki[name] = template["publicKey"][name]
    return encode(spki)


def _verify_pop(msg_req: Any, public_key_der: bytes) -> None:
    pop = msg_req["pop"]
    if not pop.isValue or pop.getName() != "signature":
        raise CmpError(FailInfo.BAD_POP, "개인키 보유 증명(POP)이 없습니다", "no signature proof of possession")
    posk = pop["signature"]
    if posk["poposkInput"].isValue:  # only for templates without subject/key (RFC 4211 §4.1); we always need both
        raise CmpError(FailInfo.BAD_POP, "지원하지 않는 POP 형식입니다", "POPOSigningKeyInput is not supported")
    algorithm = _SIG.get(str(posk["algorithmIdentifier"]["algorithm"]))
    key = serialization.load_der_public_key(public_key_der)
    if algorithm is None or not isinstance(key, rsa.RSAPublicKey):
        raise CmpError(FailInfo.BAD_ALG, "지원하지 않는 POP 알고리즘입니다", "unsupported POP algorithm or key type")
    try:
        key.verify(posk["signature"].asOctets(), encode(msg_req["certReq"]), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise CmpError(FailInfo.BAD_POP, "개인키 보유 증명(POP) 검증에 실패했습니다", "proof of possession does not verify") from None


def _untagged(tagged: Any, plain: Any) -> Any:
    """plain filled with the components of tagged: the same SEQUENCE without its explicit context tag."""
    for i in range(len(tagged)):
        plain.setComponentByPosition(i, tagged[i])
    return plain


def cert_requests(msg: Any) -> list[CertReq]:
    """The requests of an ir/cr/kur (CRMF) or p10cr (PKCS#10), each with its POP verified."""
    body = msg["body"]
    kind = body.getName()
    try:
        if kind == "p10cr":
            csr = x509.load_der_x509_csr(encode(_untagged(body["p10cr"], rfc2314.CertificationRequest())))
            if not csr.is_signature_valid:
                raise CmpError(FailInfo.BAD_POP, "PKCS#10 서명 검증에 실패했습니다", "the PKCS#10 signature does not verify")
            spki = csr.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            return [CertReq(cert_req_id=0, subject_der=csr.subject.public_bytes(), public_key_der=spki, reg_info={})]
        if kind not in ("ir", "cr", "kur"):
            raise CmpError(FailInfo.BAD_REQUEST, "인증서 요청이 아닙니다", f"{kind} is not a certificate request")
        out: list[CertReq] = []
        for req_msg in body[kind]:
            template = req_msg["certReq"]["certTemplate"]
            key_der = _template_key(template)
            _verify_pop(req_msg, key_der)
            subject = encode(template["subject"]) if template["subject"].isValue else None
            reg = {str(a["type"]): bytes(a["value"]) for a in req_msg["regInfo"]} if req_msg["regInfo"].isValue else {}
            out.append(CertReq(cert_req_id=int(req_msg["certReq"]["certReqId"]), subject_der=subject,
                               public_key_der=key_der, reg_info=reg))
    except _MALFORMED as exc:
        raise _bad_format(f"{kind} {type(exc).__name__}") from None
    if not out:
        raise CmpError(FailInfo.BAD_REQUEST, "인증서 요청이 비어 있습니다", "no certificate request in the message")
    return out


@dataclass(frozen=True, slots=True)
class RevReq:
    serial: int
    issuer_der: bytes | None
    reason: int | None  # CRLReason code from crlEntryDetails, when given


def revocation_requests(msg: Any) -> list[RevReq]:
    if msg["body"].getName() != "rr":
        raise CmpError(FailInfo.BAD_REQUEST, "폐지 요청이 아닙니다", "not a revocation request")
    out: list[RevReq] = []
    try:
        for details in msg["body"]["rr"]:
            template = details["certDetails"]
            if not template["serialNumber"].isValue:
                raise CmpError(FailInfo.BAD_CERT_ID, "폐지할 인증서 일련번호가 없습니다", "no serial number to revoke")
            reason: int | None = None
            if details["crlEntryDetails"].isValue:
                for ext in details["crlEntryDetails"]:
                    if str(ext["extnID"]) == "2.5.29.21":
                        value, _ = decoder.decode(bytes(ext["extnValue"]), asn1Spec=univ.Enumerated())
                        reason = int(value)
            issuer = encode(template["issuer"]) if template["issuer"].isValue else None
            out.append(RevReq(serial=int(template["serialNumber"]), issuer_der=issuer, reason=reason))
    except _MALFORMED as exc:
        raise _bad_format(f"rr {type(exc).__name__}") from None
    if not out:
        raise CmpError(FailInfo.BAD_REQUEST, "폐지 요청이 비어 있습니다", "empty revocation request")
    return out


@dataclass(frozen=True, slots=True)
class CertConfirm:
    cert_req_id: int
    cert_hash: bytes
    accepted: bool  # False when the client rejected the certificate (statusInfo rejection)


def cert_confirms(msg: Any) -> list[CertConfirm]:
    if msg["body"].getName() != "certConf":
        raise CmpError(FailInfo.BAD_REQUEST, "인증서 확인(certConf)이 아닙니다", "not a certConf")
    try:
        return [CertConfirm(cert_req_id=int(s["certReqId"]), cert_hash=bytes(s["certHash"]),
                            accepted=not s["statusInfo"].isValue or int(s["statusInfo"]["status"]) in (0, 1))
                for s in msg["body"]["certConf"]]
    except _MALFORMED as exc:
        raise _bad_format(f"certConf {type(exc).__name__}") from None


def cert_hash(cert: x509.Certificate) -> bytes:
    """certHash of a certConf: the hash of the certificate with its signature's hash algorithm (RFC 4210 §5.3.18)."""
    algorithm = cert.signature_hash_algorithm or hashes.SHA256()
    digest = hashes.Hash(algorithm)
    digest.update(cert.public_bytes(serialization.Encoding.DER))
    return digest.finalize()


# ------------------------------------------------------------------------------------------------ building
def _directory_name(name: x509.Name) -> Any:
    general = rfc2459.GeneralName()
    rdn, _ = decoder.decode(name.public_bytes(), asn1Spec=rfc2459.Name())
    general["directoryName"].setComponentByPosition(0, rdn[0])
    return general


def new_header(*, sender: x509.Name, recipient: x509.Name, transaction_id: bytes, sender_nonce: bytes | None = None,
               recip_nonce: bytes | None = None, sender_kid: bytes | None = None, when: datetime | None = None) -> Any:
    header = rfc4210.PKIHeader()
    header["pvno"] = PVNO_CMP2000
    header["sender"] = _directory_name(sender)
    header["recipient"] = _directory_name(recipient)
    moment = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    header["messageTime"] = header["messageTime"].clone(moment.strftime("%Y%m%d%H%M%SZ"))
    if sender_kid is not None:
        header["senderKID"] = header["senderKID"].clone(sender_kid)
    header["transactionID"] = header["transactionID"].clone(transaction_id)
    header["senderNonce"] = header["senderNonce"].clone(sender_nonce or secrets.token_bytes(16))
    if recip_nonce is not None:
        header["recipNonce"] = header["recipNonce"].clone(recip_nonce)
    return header


def reply_header(request: Any, *, sender: x509.Name, sender_kid: bytes | None = None) -> Any:
    """A response header for request: same transactionID, its senderNonce as our recipNonce, a fresh nonce."""
    info = header_info(request)
    header = new_header(sender=sender, recipient=x509.Name([]), transaction_id=info.transaction_id or secrets.token_bytes(16),
                        recip_nonce=info.sender_nonce, sender_kid=sender_kid)
    header["recipient"] = request["header"]["sender"]
    return header


def _message(header: Any, body: Any) -> Any:
    msg = rfc4210.PKIMessage()
    msg["header"] = header
    msg["body"] = body
    return msg


def protect_pbm(header: Any, body: Any, secret: bytes, *, iterations: int = PBM_ITERATIONS) -> Any:
    """A PKIMessage of header and body protected with PBM (SHA-256, HMAC-SHA256, fresh salt). The iteration count is
    not capped here: a test client may send an absurd one to see the server refuse it."""
    salt = secrets.token_bytes(PBM_SALT_BYTES)
    alg = _pbm_algorithm(salt, iterations)
    header["protectionAlg"]["algorithm"] = OID_PBM
    header["protectionAlg"]["parameters"] = alg["parameters"]
    msg = _message(header, body)
    params = PbmParams(salt=salt, owf="sha256", iterations=iterations, mac="sha256")
    mac = pbm_mac(secret, params, protected_part(header, body))
    msg["protection"] = msg["protection"].clone(univ.BitString.fromOctetString(mac))
    return msg


def protect_signature(header: Any, body: Any, key: rsa.RSAPrivateKey, certs: list[x509.Certificate]) -> Any:
    """A PKIMessage signed with key (SHA-256 RSA), certs (signer's first) in extraCerts."""
    header["protectionAlg"]["algorithm"] = univ.ObjectIdentifier(_OID_SHA256_RSA)
    header["protectionAlg"]["parameters"] = univ.Any(encode(univ.Null("")))
    msg = _message(header, body)
    signature = key.sign(protected_part(header, body), padding.PKCS1v15(), hashes.SHA256())
    msg["protection"] = msg["protection"].clone(univ.BitString.fromOctetString(signature))
    if certs:
        extra = msg["extraCerts"]
        for cert in certs:
            extra.append(decoder.decode(cert.public_bytes(serialization.Encoding.DER), asn1Spec=rfc4210.CMPCertificate())[0])
    return msg


def unprotected(header: Any, body: Any) -> Any:
    return _message(header, body)


def _body(name: str) -> tuple[Any, Any]:
    body = rfc4210.PKIBody()
    return body, body[name]


def _free_text(text: str) -> Any:
    free = rfc4210.PKIFreeText()
    free.append(char.UTF8String(text))
    return free


def status_info(status: Status, fail_info: FailInfo | None = None, text: str | None = None) -> Any:
    info = rfc4210.PKIStatusInfo()
    info["status"] = int(status)
    if text is not None:
        info["statusString"] = _free_text(text)
    if fail_info is not None:
        bits = [0] * (int(fail_info) + 1)
        bits[int(fail_info)] = 1
        info["failInfo"] = rfc4210.PKIFailureInfo(tuple(bits))
    return info


def error_body(fail_info: FailInfo, text: str) -> Any:
    body, content = _body("error")
    content["pKIStatusInfo"] = status_info(Status.REJECTION, fail_info, text)
    return body


def failure_of(msg: Any) -> tuple[Status, FailInfo | None, str]:
    """The status, first failInfo bit and text of an error body, or of the first response of ip/cp/kup/rp."""
    body = msg["body"]
    kind = body.getName()
    if kind == "error":
        info = body["error"]["pKIStatusInfo"]
    elif kind in ("ip", "cp", "kup"):
        info = body[kind]["response"][0]["status"]
    elif kind == "rp":
        info = body["rp"]["status"][0]
    else:
        raise CmpError(FailInfo.BAD_REQUEST, "응답 형식이 예상과 다릅니다", f"unexpected response body {kind}")
    fail: FailInfo | None = None
    if info["failInfo"].isValue:
        bits = list(info["failInfo"])
        fail = next((FailInfo(i) for i, b in enumerate(bits) if b and i <= max(FailInfo)), None)
    text = " ".join(str(t) for t in info["statusString"]) if info["statusString"].isValue else ""
    return Status(int(info["status"])) if int(info["status"]) in tuple(Status) else Status.REJECTION, fail, text


def cert_rep_body(kind: str, cert_req_id: int, cert: x509.Certificate, ca_pubs: list[x509.Certificate]) -> Any:
    """ip/cp/kup with one accepted certificate and the CA certificates in caPubs."""
    body, content = _body(kind)
    for ca in ca_pubs:
        content["caPubs"].append(decoder.decode(ca.public_bytes(serialization.Encoding.DER), asn1Spec=rfc4210.CMPCertificate())[0])
    response = rfc4210.CertResponse()
    response["certReqId"] = cert_req_id
    response["status"] = status_info(Status.ACCEPTED)
    cmp_cert, _ = decoder.decode(cert.public_bytes(serialization.Encoding.DER), asn1Spec=rfc4210.CMPCertificate())
    certificate = response["certifiedKeyPair"]["certOrEncCert"]["certificate"]
    for i in range(len(cmp_cert)):
        certificate.setComponentByPosition(i, cmp_cert[i])
    content["response"].append(response)
    return body


def issued_certificate(msg: Any) -> tuple[int, x509.Certificate]:
    """certReqId and certificate of an accepted ip/cp/kup."""
    body = msg["body"]
    kind = body.getName()
    status, fail, text = failure_of(msg)
    if status not in (Status.ACCEPTED, Status.GRANTED_WITH_MODS):
        raise CmpError(fail or FailInfo.BAD_REQUEST, f"CA가 요청을 거절했습니다: {text}", f"the CA refused: {text}")
    try:
        response = body[kind]["response"][0]
        plain = _untagged(response["certifiedKeyPair"]["certOrEncCert"]["certificate"], rfc4210.CMPCertificate())
        return int(response["certReqId"]), x509.load_der_x509_certificate(encode(plain))
    except _MALFORMED as exc:
        raise _bad_format(f"{kind} {type(exc).__name__}") from None


def rev_rep_body(accepted: int) -> Any:
    body, content = _body("rp")
    for _ in range(accepted):
        content["status"].append(status_info(Status.ACCEPTED))
    return body


def pki_conf_body() -> Any:
    body, content = _body("pkiconf")
    body["pkiconf"] = content.clone("")
    return body


def genp_body(ca_certs: list[x509.Certificate]) -> Any:
    """genp answering a genm with the CA certificates (id-it-caCerts, RFC 9483 §4.3.1)."""
    body, content = _body("gen")
    itav = rfc4210.InfoTypeAndValue()
    itav["infoType"] = univ.ObjectIdentifier("1.3.6.1.5.5.7.4.17")
    seq = univ.SequenceOf(componentType=rfc4210.CMPCertificate())
    for ca in ca_certs:
        seq.append(decoder.decode(ca.public_bytes(serialization.Encoding.DER), asn1Spec=rfc4210.CMPCertificate())[0])
    itav["infoValue"] = univ.Any(encode(seq))
    content.append(itav)
    return body


def cert_req_body(kind: str, public_key_der: bytes, private_key: rsa.RSAPrivateKey, subject: x509.Name | None,
                  *, cert_req_id: int = 0, reg_info: dict[str, bytes] | None = None) -> Any:
    """ir/cr/kur with one CRMF request and a signature POP by private_key."""
    body, content = _body(kind)
    req_msg = rfc2511.CertReqMsg()
    cert_req = req_msg["certReq"]
    cert_req["certReqId"] = cert_req_id
    template = cert_req["certTemplate"]
    if subject is not None:
        name, _ = decoder.decode(subject.public_bytes(), asn1Spec=rfc2459.Name())
        template["subject"].setComponentByPosition(0, name[0])
    spki, _ = decoder.decode(public_key_der, asn1Spec=rfc2459.SubjectPublicKeyInfo())
    template["publicKey"]["algorithm"] = spki["algorithm"]
    template["publicKey"]["subjectPublicKey"] = spki["subjectPublicKey"]
    signature = private_key.sign(encode(cert_req), padding.PKCS1v15(), hashes.SHA256())
    posk = req_msg["pop"]["signature"]
    posk["algorithmIdentifier"] = _algorithm(_OID_SHA256_RSA, encode(univ.Null("")))
    posk["signature"] = univ.BitString.fromOctetString(signature)
    for oid, value in (reg_info or {}).items():
        attr = rfc2511.AttributeTypeAndValue()
        attr["type"] = univ.ObjectIdentifier(oid)
        attr["value"] = univ.Any(value)
        req_msg["regInfo"].append(attr)
    content.append(req_msg)
    return body


def p10cr_body(csr: x509.CertificateSigningRequest) -> Any:
    body, _ = _body("p10cr")
    req, _ = decoder.decode(csr.public_bytes(serialization.Encoding.DER), asn1Spec=rfc2314.CertificationRequest())
    target = body["p10cr"]
    for i in range(len(req)):
        target.setComponentByPosition(i, req[i])
    return body


def cert_conf_body(cert_req_id: int, cert: x509.Certificate, *, rejected: str | None = None) -> Any:
    """certConf accepting the certificate, or with `rejected` (the reason) refusing it: the CA then revokes it."""
    body, content = _body("certConf")
    status = rfc4210.CertStatus()
    status["certHash"] = cert_hash(cert)
    status["certReqId"] = cert_req_id
    if rejected is not None:
        info = status_info(Status.REJECTION, FailInfo.BAD_CERT_TEMPLATE, rejected)
        target = status["statusInfo"]
        for i in range(len(info)):
            if info[i].isValue:
                target.setComponentByPosition(i, info[i])
    content.append(status)
    return body


def rr_body(serial: int, issuer: x509.Name, reason: int) -> Any:
    body, content = _body("rr")
    details = rfc4210.RevDetails()
    template = details["certDetails"]
    template["serialNumber"] = serial
    name, _ = decoder.decode(issuer.public_bytes(), asn1Spec=rfc2459.Name())
    template["issuer"].setComponentByPosition(0, name[0])
    ext = rfc2459.Extension()
    ext["extnID"] = univ.ObjectIdentifier("2.5.29.21")
    ext["extnValue"] = univ.OctetString(encode(univ.Enumerated(reason)))
    details["crlEntryDetails"].append(ext)
    content.append(details)
    return body


def genm_body() -> Any:
    body, content = _body("genm")
    itav = rfc4210.InfoTypeAndValue()
    itav["infoType"] = univ.ObjectIdentifier("1.3.6.1.5.5.7.4.17")
    content.append(itav)
    return body

