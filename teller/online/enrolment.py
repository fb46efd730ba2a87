"""The customer's own issuance at home (`teller online issue`): redeem the 참조번호 + 인가코드 from the branch's sealed
slip over CMP and write the certificate to the customer's media, with nothing but the request leaving the PC.

    check inputs and media → key, randomNum R, VID made here → ir (PBM: reference as senderKID, code as secret; the
    VID material sealed for the CA) → ip checked (our key, our CA, the VID of the resident number typed) → NPKI
    folder written atomically and read back → certConf → pkiConf.

Anything wrong with the certificate or the media after the CA signed is answered with a rejecting certConf, so the
CA revokes it at once (and an unconfirmed one is revoked by the CA's timeout anyway): a certificate counts as issued
only once it is on the media and verified.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from teller.errors import CertificateError, ErrorKind, MediaError, TellerError, UpstreamError, ValidationError
from teller.identity.rrn import parse_rrn
from teller.pki import cmp, keyfile, npki, vid, vid_transfer
from teller.ports import CmpTransport
from teller.security.password_policy import validate_certificate_password
from teller.services.support import serial_hex

RSA_BITS = 2048
# What the customer is told for each refusal of the CA (the CMP statusString names the case).
_REFUSALS: tuple[tuple[str, ErrorKind, str, str], ...] = (
    ("registration used", ErrorKind.ALREADY_REDEEMED, "이미 사용된 참조번호입니다. 다시 발급하려면 은행에서 새로 등록하십시오",
     "these codes were already used; register again at the bank to get new ones"),
    ("registration locked", ErrorKind.REGISTRATION_LOCKED, "인가코드를 5회 잘못 입력하여 등록이 잠겼습니다. 은행에서 다시 등록하십시오",
     "five wrong authorization codes locked this registration; register again at the bank"),
    ("registration cancelled", ErrorKind.REGISTRATION_CANCELLED, "은행에서 취소한 등록입니다", "the bank cancelled this registration"),
    ("registration expired", ErrorKind.REGISTRATION_EXPIRED, "사용 기한이 지난 참조번호입니다. 은행에서 다시 등록하십시오",
     "the registration has expired; register again at the bank"),
    ("unknown reference", ErrorKind.UNKNOWN_REFERENCE, "없는 참조번호입니다. 봉투의 숫자를 다시 확인하십시오",
     "unknown reference number; check the digits on the slip"),
    ("resident number does not match", ErrorKind.RRN_MISMATCH, "주민등록번호가 등록 정보와 다릅니다",
     "the resident number does not match the registration"),
)


class OnlineRefused(TellerError):
    """The CA refused the request (codes used, locked, expired, wrong, …)."""

    kind = ErrorKind.REFUSED


@dataclass(frozen=True, slots=True)
class OnlineIssued:
    serial: str
    subject: str
    not_before: datetime
    not_after: datetime
    folder: Path
    issuer: str
    certificate: x509.Certificate


def normalise_code(code: str) -> str:
    """What the customer typed, as the CA holds it: spaces and hyphens dropped, upper case."""
    return "".join(ch for ch in code if ch not in " -\t").upper()


def _refusal(msg: Any) -> OnlineRefused:
    status, fail, text = cmp.failure_of(msg)
    for needle, code, ko, en in _REFUSALS:
        if needle in text:
            return OnlineRefused(ko, en, kind=code)
    if fail is cmp.FailInfo.BAD_MESSAGE_CHECK:
        return OnlineRefused("인가코드가 맞지 않습니다 (5회 틀리면 등록이 잠깁니다)",
                             "the authorization code is wrong (five wrong codes lock the registration)",
                             kind=ErrorKind.WRONG_CODE)
    return OnlineRefused(f"인증기관이 요청을 거절했습니다: {text or status.name}",
                         f"the CA refused the request: {text or status.name}")


def _check_answer(answer: Any, code: bytes, transaction_id: bytes, our_nonce: bytes) -> None:
    """The CA's answer is ours: same transaction, our nonce echoed, PBM under the code (else it is not the CA)."""
    info = cmp.header_info(answer)
    if info.transaction_id != transaction_id or info.recip_nonce != our_nonce:
        raise CertificateError("인증기관의 응답이 이 요청에 대한 것이 아닙니다",
                               "the CA's answer does not belong to this request")
    if info.protection != "pbm":
        if answer["body"].getName() == "error":
            raise _refusal(answer)  # unprotected errors come before the code was checked (unknown reference, …)
        raise CertificateError("인증기관의 응답이 보호되어 있지 않습니다", "the CA's answer is not protected")
    cmp.verify_pbm(answer, code)


def _check_certificate(cert: x509.Certificate, key: rsa.RSAPrivateKey, ca_certs: list[x509.Certificate],
                       root: x509.Certificate, rrn_digits: str, random_num: bytes) -> None:
    ours = key.public_key().public_numbers()
    if not isinstance(cert.public_key(), rsa.RSAPublicKey) or cert.public_key().public_numbers() != ours:  # type: ignore[union-attr]
        raise CertificateError("받은 인증서의 공개키가 이 PC에서 만든 키와 다릅니다",
                               "public key in new certificate does not match our enrollment key")
    issuer = next((c for c in ca_certs if c.subject == cert.issuer), None)
    try:
        if issuer is None:
            raise ValueError("issuer not sent")
        cert.verify_directly_issued_by(issuer)
        issuer.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        raise CertificateError("받은 인증서가 신뢰하는 인증기관에서 발급된 것이 아닙니다",
                               "the certificate does not chain to the trusted root") from None
    if not vid.vid_matches(cert, rrn_digits, random_num):
        raise CertificateError("받은 인증서의 본인확인정보(VID)가 주민등록번호와 맞지 않습니다",
                               "the certificate's VID does not match the resident number")


def _ca_pubs(answer: Any) -> list[x509.Certificate]:
    body = answer["body"][answer["body"].getName()]
    out = []
    for item in body["caPubs"]:
        out.append(x509.load_der_x509_certificate(cmp.encode(item)))
    return out


def issue_online(transport: CmpTransport, root: x509.Certificate, *, reference: str, auth_code: str, rrn: str,
                 password: str, confirm: str, media_root: Path, key_encoding: str = "seedCBCWithSHA1") -> OnlineIssued:
    from teller.media import check_media, write_certificate_folder

    reference = reference.strip()
    if not (reference.isdigit() and 6 <= len(reference) <= 16):
        raise ValidationError("참조번호는 봉투에 적힌 숫자입니다", "the reference number is the digits on the slip",
                              kind=ErrorKind.BAD_REFERENCE)
    code = normalise_code(auth_code)
    if not code.isalnum() or not 8 <= len(code) <= 64:
        raise ValidationError("인가코드 형식이 올바르지 않습니다", "the authorization code is malformed", kind=ErrorKind.BAD_CODE)
    rrn_digits = parse_rrn(rrn).digits
    validate_certificate_password(password, confirm)
    media_root = Path(media_root)
    check_media(media_root)  # before a key is made or the CA asked

    key = rsa.generate_private_key(65537, RSA_BITS)
    random_num = vid.new_random_num()
    transaction_id, nonce = secrets.token_bytes(16), secrets.token_bytes(16)
    material = vid_transfer.seal(code.encode(), transaction_id, reference.encode(), random_num,
                                 vid.compute_vid(rrn_digits, random_num))
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = cmp.new_header(sender=x509.Name([]), recipient=root.subject, transaction_id=transaction_id,
                            sender_nonce=nonce, sender_kid=reference.encode())
    body = cmp.cert_req_body("ir", spki, key, None, reg_info={vid_transfer.VID_MATERIAL_OID: material})
    answer = cmp.decode(transport.exchange(cmp.encode(cmp.protect_pbm(header, body, code.encode()))))
    _check_answer(answer, code.encode(), transaction_id, nonce)
    if answer["body"].getName() == "error":
        raise _refusal(answer)
    cert_req_id, cert = cmp.issued_certificate(answer)
    their_nonce = cmp.header_info(answer).sender_nonce or b""

    def conclude(rejected: str | None) -> Any:
        conf_header = cmp.new_header(sender=x509.Name([]), recipient=root.subject, transaction_id=transaction_id,
                                     recip_nonce=their_nonce, sender_kid=reference.encode())
        conf = cmp.protect_pbm(conf_header, cmp.cert_conf_body(cert_req_id, cert, rejected=rejected), code.encode())
        return cmp.decode(transport.exchange(cmp.encode(conf)))

    try:
        _check_certificate(cert, key, _ca_pubs(answer), root, rrn_digits, random_num)
        encrypted = keyfile.encrypt_private_key(key, password, random_num, key_encoding)

        def verify(tmp_folder: Path) -> None:
            check = npki.verify_folder(tmp_folder, password, rrn_digits)
            if not (check.key_matches and check.vid_matches):
                raise CertificateError("매체에 쓴 인증서를 다시 읽어 확인하지 못했습니다", "read-back check failed")

        folder = write_certificate_folder(media_root, npki.ca_folder_name(cert), npki.user_folder_name(cert),
                                          npki.make_bundle(cert, encrypted), verify)
    except TellerError as exc:
        try:
            conclude(exc.message_en[:200])  # the CA revokes it now rather than at its timeout
        except (TellerError, OSError):
            pass
        raise
    done = conclude(None)
    if done["body"].getName() != "pkiconf":
        # the folder is on the media but the CA did not take the confirmation: it will revoke the certificate
        from teller.media import delete_certificate_folder

        try:
            delete_certificate_folder(media_root, folder)
        except MediaError:
            pass
        raise _refusal(done) if done["body"].getName() == "error" else UpstreamError(
            "인증기관이 발급 확인을 받지 않았습니다", "the CA did not accept the confirmation")
    return OnlineIssued(serial_hex(cert.serial_number), cert.subject.rfc4514_string(), cert.not_valid_before_utc,
                        cert.not_valid_after_utc, folder, cert.issuer.rfc4514_string(), cert)
