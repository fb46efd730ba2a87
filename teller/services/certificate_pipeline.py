"""The steps every new certificate goes through (issue, renew, reissue), crash-consistent with the CA.

1. the caller commits its intent (audit event with the transaction number) before anything is signed;
2. key + randomNum generated here, VID from the customer's RRN (decrypted in memory only);
3. the CA signs; at once a PENDING row with the serial is committed (so reconciliation knows it);
4. the key is encrypted under the customer's password and written atomically to the media, the folder read back
   and checked (key decrypts, matches the certificate, VID matches) before it is renamed into place;
5. the caller marks the row ACTIVE in its final unit of work.
Any failure after signing revokes the certificate at the CA and marks the row FAILED. A process killed between
3 and 5 leaves a PENDING row (or, between the signature and the PENDING row, a serial unknown to the database):
`teller.services.reconcile.reconcile` revokes both at the next start.

The private key and the password exist only in memory and are never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from teller.domain import (
    Action,
    CertificateRecord,
    CertKind,
    CertStatus,
    CustomerRecord,
    RevocationReason,
    StaffSession,
)
from teller.errors import CertificateError, MediaError, TellerError
from teller.media import check_media, delete_certificate_folder, write_certificate_folder
from teller.pki import keyfile, npki, vid
from teller.ports import CertificateRequest
from teller.services.context import Deps, Progress
from teller.services.customers import decrypt_rrn
from teller.services.support import audit, audit_alone, serial_hex

log = logging.getLogger(__name__)

@dataclass(slots=True)
class NewCertificate:
    record: CertificateRecord  # PENDING, folder filled in
    folder: Path  # absolute path of the user folder on the media


def _revoke_quietly(deps: Deps, serial: int, reason: RevocationReason) -> bool:
    try:
        deps.ca.revoke(serial, reason, deps.clock.now())
        return True
    except Exception as exc:  # reconciliation retries what is left
        log.error("CA revocation of %x failed: %s", serial, type(exc).__name__)
        return False


def fail_certificate(deps: Deps, session: StaffSession, record: CertificateRecord, action: Action, why: str) -> None:
    """Revoke a signed-but-unconfirmed certificate at the CA and mark it FAILED, audited."""
    revoked = _revoke_quietly(deps, int(record.serial, 16), RevocationReason.CESSATION_OF_OPERATION)
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        current = uow.certificates.get(record.serial) or record
        current.status = CertStatus.FAILED
        if revoked:
            current.revoked_at = now
            current.revocation_reason = RevocationReason.CESSATION_OF_OPERATION
        uow.certificates.update(current)
        audit(uow, deps, session.staff_id, action, "failed", at=now, customer_ref=record.customer_id,
              subject=record.serial, transaction=record.transaction, why=why, revoked_at_ca=revoked)
        uow.commit()
    record.status = CertStatus.FAILED


def produce_certificate(
    deps: Deps,
    session: StaffSession,
    *,
    action: Action,
    customer: CustomerRecord,
    kind: CertKind,
    not_before: datetime,
    not_after: datetime,
    media_root: Path,
    password: str,
    transaction: str,
    fee_krw: int,
    replace: bool,
    replaces_serial: str | None,
    progress: Progress,
) -> NewCertificate:
    try:  # a medium that cannot take the folder is refused before a key is made or a signature spent
        check_media(media_root)
    except MediaError as exc:
        audit_alone(deps, session.staff_id, action, "failed", customer_ref=customer.customer_id,
                    subject=transaction, transaction=transaction, kind=kind.value, why="media_refused",
                    message=exc.message_en)
        raise
    progress("keygen", 0.0)
    rrn_digits = decrypt_rrn(deps, customer)
    key = rsa.generate_private_key(public_exponent=65537, key_size=deps.settings.rsa_bits)
    random_num = vid.new_random_num()
    request = CertificateRequest(
        public_key_der=key.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo),
        real_name=customer.name,
        kind=kind,
        vid=vid.compute_vid(rrn_digits, random_num),
        not_before=not_before,
        not_after=not_after,
    )
    progress("sign", 0.2)
    cert = deps.ca.issue(request)
    serial = serial_hex(cert.serial_number)

    now = deps.clock.now()
    record = CertificateRecord(
        serial=serial,
        customer_id=customer.customer_id,
        kind=kind,
        subject_dn=cert.subject.rfc4514_string(),
        issuer_dn=cert.issuer.rfc4514_string(),
        policy_oid=kind.policy_oid,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        status=CertStatus.PENDING,
        transaction=transaction,
        fee_krw=fee_krw,
        issued_by=session.staff_id,
        created_at=now,
        media_label=media_root.name or str(media_root),
        replaces_serial=replaces_serial,
    )
    try:
        with deps.store.unit_of_work() as uow:
            uow.certificates.add(record)
            audit(uow, deps, session.staff_id, action, "signed", at=now, customer_ref=customer.customer_id,
                  subject=serial, transaction=transaction, kind=kind.value)
            uow.commit()
    except BaseException:
        _revoke_quietly(deps, cert.serial_number, RevocationReason.CESSATION_OF_OPERATION)
        raise

    try:
        progress("encrypt", 0.4)
        encrypted = keyfile.encrypt_private_key(key, password, random_num, deps.settings.key_encoding)
        files = npki.make_bundle(cert, encrypted)

        def verify(tmp_folder: Path) -> None:
            progress("verify", 0.8)
            check = npki.verify_folder(tmp_folder, password, rrn_digits)
            if not (check.key_matches and check.vid_matches):
                raise CertificateError("매체에 쓴 인증서를 다시 읽어 확인하지 못했습니다",
                                       f"read-back check failed (key_matches={check.key_matches}, "
                                       f"vid_matches={check.vid_matches})")

        progress("write", 0.6)
        folder = write_certificate_folder(media_root, npki.ca_folder_name(cert), npki.user_folder_name(cert),
                                          files, verify, replace=replace)
    except BaseException as exc:
        why = exc.message_en if isinstance(exc, TellerError) else type(exc).__name__
        try:
            fail_certificate(deps, session, record, action, why)
        except Exception as cleanup:  # the row stays PENDING: reconciliation settles it at the next start
            log.error("could not mark %s failed: %s", record.serial, type(cleanup).__name__)
        if isinstance(exc, TellerError) and not isinstance(exc, MediaError):
            raise MediaError(f"인증서를 매체에 저장하지 못했습니다: {exc.message}",
                             f"could not store the certificate on the media: {exc.message_en}") from exc
        raise
    try:
        record.folder = str(folder.relative_to(media_root))
    except ValueError:
        record.folder = str(folder)
    return NewCertificate(record, folder)


def undo_written(deps: Deps, session: StaffSession, new: NewCertificate, media_root: Path, action: Action,
                 why: str) -> None:
    """The final unit of work failed after the media write: take the folder off the media, revoke, FAILED."""
    try:
        delete_certificate_folder(media_root, new.folder)
    except Exception as exc:
        log.error("could not remove %s after a failed %s: %s", new.record.serial, action.value, type(exc).__name__)
    try:
        fail_certificate(deps, session, new.record, action, why)
    except Exception as exc:  # the row stays PENDING: reconciliation settles it at the next start
        log.error("could not mark %s failed: %s", new.record.serial, type(exc).__name__)
