"""갱신: renew an active certificate within the renewal window, with a new key.

Choice (documented): the renewed certificate replaces the old one on the media, but the old certificate is NOT
revoked — it stays ACTIVE until its own expiry, as real CAs do, with `replaced_by_serial` pointing at the new
one. Expiry follows `settings.renewal_base`: "old_expiry" (default: old expiry + validity, the customer loses no
days) or "renewal_day" (renewal day + validity − 1 day).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

from teller.domain import Action, AuthenticityResult, CertStatus, StaffSession
from teller.errors import ErrorKind, ApprovalError, LifecycleError, NotFound, TellerError
from teller.services.approvals import binding_for, check_gate
from teller.services.certificate_pipeline import produce_certificate, undo_written
from teller.services.confirmations import print_confirmation, record_confirmation
from teller.services.context import Deps, Progress, no_progress
from teller.services.customers import todays_evidence
from teller.services.issuance import IssueResult, fee_for, unverified_binding
from teller.services.support import (
    supersede_once,
    COUNTER_ROLES,
    add_years,
    audit,
    audit_alone,
    certificate_or_404,
    kst_day,
    new_transaction,
    require_role,
)

log = logging.getLogger(__name__)


def window_of(not_after_kst_day: date, window_days: int) -> tuple[date, date]:
    """(first day, last day) in KST on which a certificate ending on `not_after_kst_day` may be renewed: the one
    rule, for the counter and for the customer's own renewal at home."""
    return not_after_kst_day - timedelta(days=window_days), not_after_kst_day


def renewal_window(deps: Deps, not_after_kst_day: date) -> tuple[date, date]:
    return window_of(not_after_kst_day, deps.settings.renewal_window_days)


def remove_old_folder(media_root: Path, old_folder: str | None, new_folder: Path) -> str | None:
    """Take the replaced certificate's folder off this media (best effort); returns a note for the teller."""
    if not old_folder:
        return None
    path = media_root / old_folder
    if not path.exists() or path.resolve() == new_folder.resolve():
        return None
    try:
        from teller.media import delete_certificate_folder

        delete_certificate_folder(media_root, path)
        return "이전 인증서 폴더를 매체에서 삭제했습니다"
    except TellerError as exc:
        log.warning("old certificate folder not removed: %s", exc.message_en)
        return "이전 인증서 폴더를 매체에서 삭제하지 못했습니다"


def renew(deps: Deps, session: StaffSession, serial: str, media_root: Path, password: str, confirm: str,
          approval_id: str | None = None, progress: Progress = no_progress) -> IssueResult:
    from teller.pki.profile import kst_validity
    from teller.security.password_policy import validate_certificate_password

    require_role(session, COUNTER_ROLES, "인증서 갱신", "renew certificates")
    validate_certificate_password(password, confirm)
    media_root = Path(media_root)
    now = deps.clock.now()
    today = kst_day(now)
    binding = None
    gate = None
    try:
        with deps.store.unit_of_work() as uow:
            old = certificate_or_404(uow, serial)
            if old.status is not CertStatus.ACTIVE:
                raise LifecycleError(f"유효한 인증서만 갱신할 수 있습니다 (현재 상태: {old.status.value})",
                                     f"only an active certificate can be renewed (status {old.status.value})")
            if old.replaced_by_serial:
                raise LifecycleError(f"이미 갱신·재발급된 인증서입니다 (새 일련번호 {old.replaced_by_serial})",
                                     f"already replaced by {old.replaced_by_serial}")
            expiry_day = kst_day(old.not_after)
            first, last = renewal_window(deps, expiry_day)
            if not first <= today <= last:
                raise LifecycleError(
                    f"갱신 기간이 아닙니다. 갱신은 {first.isoformat()}부터 만료일 {last.isoformat()}까지 "
                    "가능합니다" + (" (만료 후에는 신규 발급)" if today > last else ""),
                    f"outside the renewal window {first.isoformat()} to {last.isoformat()}"
                    + (" (expired: issue a new certificate)" if today > last else ""),
                    kind=ErrorKind.OUTSIDE_RENEWAL_WINDOW)
            customer = uow.customers.get(old.customer_id)
            if customer is None:
                raise NotFound("고객을 찾을 수 없습니다", f"no customer {old.customer_id}")
            evidence = todays_evidence(uow, deps, customer.customer_id, now)
            approval = None
            if evidence.result is not AuthenticityResult.VERIFIED:
                gate, binding = "issue_unverified", unverified_binding(
                    customer.customer_id, evidence.evidence_id, "renew", serial=old.serial)
                approval = check_gate(uow, deps, session, approval_id, gate, binding, now)
            else:
                gate, binding = "renew", binding_for("renew", serial=old.serial, customer=customer.customer_id)
                approval = check_gate(uow, deps, session, approval_id, gate, binding, now)
            transaction = new_transaction(uow, deps, now)
            fee = fee_for(deps.settings, old.kind)
            audit(uow, deps, session.staff_id, Action.RENEW, "started", at=now, customer_ref=customer.customer_id,
                  subject=transaction, transaction=transaction, old_serial=old.serial, fee_krw=fee,
                  approval_id=approval.approval_id if approval else None)
            uow.commit()
    except ApprovalError as exc:
        audit_alone(deps, session.staff_id, Action.APPROVAL_REFUSED, "refused", subject=gate, why=exc.message_en,
                    binding=binding)
        raise
    except (LifecycleError, NotFound) as exc:
        audit_alone(deps, session.staff_id, Action.RENEW, "refused", subject=serial, why=exc.code,
                    message=exc.message_en)
        raise

    if deps.settings.renewal_base == "old_expiry":
        last_day = add_years(expiry_day, deps.settings.validity_years)
    else:
        last_day = add_years(today, deps.settings.validity_years) - timedelta(days=1)
    not_before, not_after = kst_validity(today, last_day)
    new = produce_certificate(
        deps, session, action=Action.RENEW, customer=customer, kind=old.kind, not_before=not_before,
        not_after=not_after, media_root=media_root, password=password, transaction=transaction, fee_krw=fee,
        replace=True, replaces_serial=old.serial, progress=progress)

    progress("receipt", 0.9)
    record = new.record
    notes = ["이전 인증서는 만료일까지 유효합니다"]
    try:
        done = deps.clock.now()
        with deps.store.unit_of_work() as uow:
            old = certificate_or_404(uow, old.serial)
            supersede_once(old, record)
            uow.certificates.update(old)  # the old one first: the one-in-force index is checked per statement
            record.status = CertStatus.ACTIVE
            record.confirmed_at = done
            uow.certificates.update(record)
            record_confirmation(deps, uow, session, action=Action.RENEW, transaction=transaction,
                                customer=customer, cert=record, fee_krw=fee, notes=notes, at=done)
            audit(uow, deps, session.staff_id, Action.RENEW, "ok", at=done, customer_ref=customer.customer_id,
                  subject=record.serial, transaction=transaction, old_serial=old.serial, fee_krw=fee,
                  folder=record.folder, not_after=record.not_after.isoformat())
            uow.commit()
    except BaseException as exc:
        why = exc.message_en if isinstance(exc, TellerError) else type(exc).__name__
        undo_written(deps, session, new, media_root, Action.RENEW, why)
        raise
    note = remove_old_folder(media_root, old.folder, new.folder)
    if note:
        notes.append(note)
    progress("print", 0.95)
    receipt = print_confirmation(deps, session, transaction)
    progress("done", 1.0)
    return IssueResult(record, new.folder, transaction, fee, receipt, previous=old, notes=notes)
