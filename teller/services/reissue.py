"""재발급: a new key and certificate with the SAME expiry, after loss, a forgotten password or broken media.

Gated by dual control. Free. The old certificate is revoked (superseded) in the database in the same unit of work
that activates the new one, then at the CA; if the CA step fails, reconciliation finishes it (it revokes at the
CA every serial the database holds as revoked). A certificate already revoked (e.g. for loss) may be reissued
while its validity lasts.
"""

from __future__ import annotations

from pathlib import Path

from teller.domain import Action, CertStatus, RevocationReason, StaffSession
from teller.errors import ApprovalError, LifecycleError, NotFound, TellerError
from teller.services.approvals import binding_for, check_gate
from teller.services.certificate_pipeline import produce_certificate, undo_written
from teller.services.confirmations import print_confirmation, record_confirmation
from teller.services.context import Deps, Progress, no_progress
from teller.services.customers import todays_evidence
from teller.services.issuance import IssueResult
from teller.services.renewal import remove_old_folder
from teller.services.revocation import revoke_at_ca
from teller.services.support import (
    supersede_once,
    COUNTER_ROLES,
    audit,
    audit_alone,
    certificate_or_404,
    kst_day,
    new_transaction,
    require_role,
)

REISSUABLE = (CertStatus.ACTIVE, CertStatus.HELD, CertStatus.REVOKED)


def reissue_binding(serial: str, customer_id: str) -> str:
    return binding_for("reissue", serial=serial, customer=customer_id)


def reissue(deps: Deps, session: StaffSession, serial: str, media_root: Path, password: str, confirm: str,
            approval_id: str | None = None, progress: Progress = no_progress) -> IssueResult:
    from teller.pki.profile import kst_validity
    from teller.security.password_policy import validate_certificate_password

    require_role(session, COUNTER_ROLES, "인증서 재발급", "reissue certificates")
    validate_certificate_password(password, confirm)
    media_root = Path(media_root)
    now = deps.clock.now()
    today = kst_day(now)
    binding = None
    try:
        with deps.store.unit_of_work() as uow:
            old = certificate_or_404(uow, serial)
            if old.status not in REISSUABLE:
                raise LifecycleError(f"재발급할 수 없는 상태입니다 ({old.status.value})",
                                     f"a {old.status.value} certificate cannot be reissued")
            if old.replaced_by_serial:
                raise LifecycleError(f"이미 갱신·재발급된 인증서입니다 (새 일련번호 {old.replaced_by_serial})",
                                     f"already replaced by {old.replaced_by_serial}")
            if kst_day(old.not_after) < today:
                raise LifecycleError("만료된 인증서는 재발급할 수 없습니다. 신규 발급하십시오",
                                     "the certificate has expired: issue a new one")
            customer = uow.customers.get(old.customer_id)
            if customer is None:
                raise NotFound("고객을 찾을 수 없습니다", f"no customer {old.customer_id}")
            todays_evidence(uow, deps, customer.customer_id, now)
            binding = reissue_binding(old.serial, customer.customer_id)
            approval = check_gate(uow, deps, session, approval_id, "reissue", binding, now)
            transaction = new_transaction(uow, deps, now)
            audit(uow, deps, session.staff_id, Action.REISSUE, "started", at=now, customer_ref=customer.customer_id,
                  subject=transaction, transaction=transaction, old_serial=old.serial, fee_krw=0,
                  approval_id=approval.approval_id if approval else None)
            uow.commit()
    except ApprovalError as exc:
        audit_alone(deps, session.staff_id, Action.APPROVAL_REFUSED, "refused", subject="reissue",
                    why=exc.message_en, binding=binding)
        raise
    except (LifecycleError, NotFound) as exc:
        audit_alone(deps, session.staff_id, Action.REISSUE, "refused", subject=serial, why=exc.code,
                    message=exc.message_en)
        raise

    # same expiry instant as the old certificate; validity starts today 00:00 KST
    not_before, _ = kst_validity(today, kst_day(old.not_after))
    new = produce_certificate(
        deps, session, action=Action.REISSUE, customer=customer, kind=old.kind, not_before=not_before,
        not_after=old.not_after, media_root=media_root, password=password, transaction=transaction, fee_krw=0,
        replace=True, replaces_serial=old.serial, progress=progress)

    progress("receipt", 0.9)
    record = new.record
    notes = [f"이전 인증서(일련번호 {old.serial})는 폐지되었습니다"]
    try:
        done = deps.clock.now()
        with deps.store.unit_of_work() as uow:
            old = certificate_or_404(uow, old.serial)
            supersede_once(old, record)
            revoke_old = old.status is not CertStatus.REVOKED
            if revoke_old:
                old.status = CertStatus.REVOKED
                old.revoked_at = done
                old.revocation_reason = RevocationReason.SUPERSEDED
            uow.certificates.update(old)  # the old one first: the one-in-force index is checked per statement
            record.status = CertStatus.ACTIVE
            record.confirmed_at = done
            uow.certificates.update(record)
            record_confirmation(deps, uow, session, action=Action.REISSUE, transaction=transaction,
                                customer=customer, cert=record, fee_krw=0, notes=notes, at=done)
            audit(uow, deps, session.staff_id, Action.REISSUE, "ok", at=done, customer_ref=customer.customer_id,
                  subject=record.serial, transaction=transaction, old_serial=old.serial, fee_krw=0,
                  folder=record.folder, not_after=record.not_after.isoformat(), old_revoked=revoke_old)
            uow.commit()
    except BaseException as exc:
        why = exc.message_en if isinstance(exc, TellerError) else type(exc).__name__
        undo_written(deps, session, new, media_root, Action.REISSUE, why)
        raise
    if revoke_old:
        revoke_at_ca(deps, old.serial, RevocationReason.SUPERSEDED, done)
    note = remove_old_folder(media_root, old.folder, new.folder)
    if note:
        notes.append(note)
    progress("print", 0.95)
    receipt = print_confirmation(deps, session, transaction)
    progress("done", 1.0)
    return IssueResult(record, new.folder, transaction, 0, receipt, previous=old, notes=notes)
