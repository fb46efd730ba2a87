"""The customer manages the certificate at home with the certificate itself (signature protection, no codes):

- `renew_online`: from 30 days before expiry, a `kur` signed with the current key; the new key keeps the old
  randomNum (so the CA carries the VID over, and it still matches the resident number) and is written as a replace
  that keeps the old folder until the new one is verified; confirmed with certConf.
- `revoke_online`: `rr` signed by the certificate (a loss report); the CA's signed answer is checked.
- `delete_from_media`: the folder removed from the customer's own media; the certificate stays valid until revoked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from teller.errors import (
    CertificateError,
    ErrorKind,
    LifecycleError,
    MediaError,
    TellerError,
    UpstreamError,
    ValidationError,
)
from teller.online.enrolment import RSA_BITS, OnlineIssued, _ca_pubs, _refusal
from teller.pki import cmp, keyfile, npki, profile
from teller.ports import CmpTransport
from teller.security.password_policy import validate_certificate_password
from teller.services.renewal import window_of
from teller.services.support import serial_hex

RENEWAL_WINDOW_DAYS = 30  # domain-rules §renewal: from 30 days before expiry until the expiry day
LossReason = Literal["loss", "no_longer_needed", "details_changed"]
_RFC5280_REASON: dict[str, int] = {"loss": 1, "no_longer_needed": 5, "details_changed": 3}


@dataclass(frozen=True, slots=True)
class Current:
    folder: Path
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    random_num: bytes | None


def find_folder(media_root: Path, folder: Path | None) -> Path:
    """The one certificate folder on the media, or the one named; several without a name is a question."""
    from teller.media import list_certificate_folders

    if folder is not None:
        return Path(folder)
    found = [f for f in list_certificate_folders(Path(media_root)) if f.has_cert and f.has_key]
    if not found:
        raise MediaError("이 매체에 인증서가 없습니다", f"no certificate on {media_root}")
    if len(found) > 1:
        raise ValidationError("이 매체에 인증서가 여러 개 있습니다: --folder 로 하나를 고르십시오",
                              "several certificates on this media: choose one with --folder", kind=ErrorKind.SEVERAL_FOLDERS)
    return found[0].path


def open_current(folder: Path, password: str) -> Current:
    cert = npki.load_certificate(folder / "signCert.der")
    decrypted = keyfile.decrypt_private_key((folder / "signPri.key").read_bytes()[:64 * 1024], password)
    if decrypted.private_key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise CertificateError("개인키가 인증서와 맞지 않습니다", "the private key does not match the certificate")
    return Current(folder, cert, decrypted.private_key, decrypted.random_num)


def _check_ca_signed(answer: Any, root: x509.Certificate, transaction_id: bytes, nonce: bytes) -> None:
    """A signed answer from our CA's CMP signer (issued by the issuing CA, itself by the trusted root)."""
    info = cmp.header_info(answer)
    if info.transaction_id != transaction_id or info.recip_nonce != nonce:
        raise CertificateError("인증기관의 응답이 이 요청에 대한 것이 아닙니다",
                               "the CA's answer does not belong to this request")
    if info.protection != "signature":
        if answer["body"].getName() == "error":
            raise _refusal(answer)
        raise CertificateError("인증기관의 응답이 서명되어 있지 않습니다", "the CA's answer is not signed")
    certs = cmp.extra_certs(answer)
    try:
        signer, issuing = certs[0], next(c for c in certs[1:] if c.subject == certs[0].issuer)
        issuing.verify_directly_issued_by(root)
        signer.verify_directly_issued_by(issuing)
        cmp.verify_signature(answer, signer)
    except (StopIteration, IndexError, ValueError, TypeError, InvalidSignature, cmp.CmpError):
        raise CertificateError("인증기관의 응답 서명을 확인할 수 없습니다", "the CA's answer signature does not verify") from None


def _signed_request(current: Current, root: x509.Certificate, body: Any) -> tuple[bytes, bytes, bytes]:
    transaction_id, nonce = secrets.token_bytes(16), secrets.token_bytes(16)
    header = cmp.new_header(sender=current.cert.subject, recipient=root.subject, transaction_id=transaction_id,
                            sender_nonce=nonce)
    der = cmp.encode(cmp.protect_signature(header, body, current.key, [current.cert]))
    return der, transaction_id, nonce


def revoke_online(transport: CmpTransport, root: x509.Certificate, *, folder: Path, password: str,
                  reason: LossReason) -> str:
    """Revoke the certificate in `folder` with its own key; returns its serial."""
    if reason not in _RFC5280_REASON:
        raise ValidationError("폐지 사유가 올바르지 않습니다", "unknown revocation reason", kind=ErrorKind.BAD_REASON)
    current = open_current(folder, password)
    body = cmp.rr_body(current.cert.serial_number, current.cert.issuer, _RFC5280_REASON[reason])
    der, transaction_id, nonce = _signed_request(current, root, body)
    answer = cmp.decode(transport.exchange(der))
    _check_ca_signed(answer, root, transaction_id, nonce)
    status, _, _ = cmp.failure_of(answer)
    if status not in (cmp.Status.ACCEPTED, cmp.Status.GRANTED_WITH_MODS):
        raise _refusal(answer)
    return serial_hex(current.cert.serial_number)


def renewal_opens(cert: x509.Certificate) -> tuple[date, date]:
    return window_of(cert.not_valid_after_utc.astimezone(profile.KST).date(), RENEWAL_WINDOW_DAYS)


def renew_online(transport: CmpTransport, root: x509.Certificate, *, media_root: Path, folder: Path, password: str,
                 new_password: str, confirm: str, today: date, key_encoding: str = "seedCBCWithSHA1") -> OnlineIssued:
    from teller.media import check_media, write_certificate_folder

    validate_certificate_password(new_password, confirm)
    current = open_current(folder, password)
    first, last = renewal_opens(current.cert)
    if not first <= today <= last:
        raise LifecycleError(
            f"갱신 기간이 아닙니다: {first.isoformat()}부터 {last.isoformat()}까지 갱신할 수 있습니다"
            if today < first else "만료된 인증서는 갱신할 수 없습니다: 은행에서 새로 발급받으십시오",
            f"not in the renewal window ({first.isoformat()} to {last.isoformat()})" if today < first
            else "an expired certificate cannot be renewed: get a new one", kind=ErrorKind.OUTSIDE_RENEWAL_WINDOW)
    if current.random_num is None:
        raise CertificateError("이 인증서의 개인키에 본인확인 난수가 없어 온라인 갱신을 할 수 없습니다",
                               "this key file holds no randomNum: renew at the bank")
    check_media(Path(media_root))
    key = rsa.generate_private_key(65537, RSA_BITS)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    der, transaction_id, nonce = _signed_request(current, root, cmp.cert_req_body("kur", spki, key, None))
    answer = cmp.decode(transport.exchange(der))
    _check_ca_signed(answer, root, transaction_id, nonce)
    if answer["body"].getName() == "error":
        raise _refusal(answer)
    cert_req_id, cert = cmp.issued_certificate(answer)
    their_nonce = cmp.header_info(answer).sender_nonce or b""

    def conclude(rejected: str | None) -> Any:
        header = cmp.new_header(sender=current.cert.subject, recipient=root.subject, transaction_id=transaction_id,
                                recip_nonce=their_nonce)
        body = cmp.cert_conf_body(cert_req_id, cert, rejected=rejected)
        return cmp.decode(transport.exchange(cmp.encode(cmp.protect_signature(header, body, current.key,
                                                                               [current.cert]))))

    try:
        if cert.public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
            raise CertificateError("받은 인증서의 공개키가 이 PC에서 만든 키와 다릅니다",
                                   "public key in new certificate does not match our enrollment key")
        issuer = next((c for c in _ca_pubs(answer) if c.subject == cert.issuer), None)
        if issuer is None or issuer.subject != current.cert.issuer:
            raise CertificateError("받은 인증서의 발급기관이 다릅니다", "the new certificate has another issuer")
        try:
            cert.verify_directly_issued_by(issuer)
            issuer.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            raise CertificateError("받은 인증서가 신뢰하는 인증기관에서 발급된 것이 아닙니다",
                                   "the certificate does not chain to the trusted root") from None
        encrypted = keyfile.encrypt_private_key(key, new_password, current.random_num, key_encoding)

        def verify(tmp_folder: Path) -> None:
            check = npki.verify_folder(tmp_folder, new_password)
            if not check.key_matches:
                raise CertificateError("매체에 쓴 인증서를 다시 읽어 확인하지 못했습니다", "read-back check failed")

        new_folder = write_certificate_folder(Path(media_root), npki.ca_folder_name(cert), npki.user_folder_name(cert),
                                              npki.make_bundle(cert, encrypted), verify)
    except TellerError as exc:
        try:
            conclude(exc.message_en[:200])
        except (TellerError, OSError):
            pass
        raise
    done = conclude(None)
    if done["body"].getName() != "pkiconf":
        raise _refusal(done) if done["body"].getName() == "error" else UpstreamError(
            "인증기관이 갱신 확인을 받지 않았습니다", "the CA did not accept the confirmation")
    if new_folder.resolve() != Path(folder).resolve():  # the old folder goes only once the new one is final
        from teller.media import delete_certificate_folder

        try:
            delete_certificate_folder(Path(media_root), Path(folder))
        except MediaError:
            pass  # both on the media: the old one expires by itself
    return OnlineIssued(serial_hex(cert.serial_number), cert.subject.rfc4514_string(), cert.not_valid_before_utc,
                        cert.not_valid_after_utc, new_folder, cert.issuer.rfc4514_string(), cert)


def delete_from_media(media_root: Path, folder: Path) -> str:
    """Remove the folder from the customer's media; the certificate stays valid until revoked or expired."""
    from teller.media import delete_certificate_folder

    cert = npki.load_certificate(Path(folder) / "signCert.der")
    delete_certificate_folder(Path(media_root), Path(folder))
    return serial_hex(cert.serial_number)

