"""폐지 / 효력정지 / 효력회복: revoke, hold and release a certificate; expire holds after `hold_max_days`.

Revocation is permanent: the CA revokes first (the security-relevant step), then the database records it in the
same unit of work that consumed the approval; a database failure after the CA step is repaired by
reconciliation (CRL says revoked, database says active → recorded as revoked).

Holds: where the CA declares `supports_hold` (the embedded CA does), a hold is published on the CRL as
certificateHold and lifted there by `release_hold`; with a CA without it, the hold is kept in the branch database
only (status HELD, `hold_until`) and becomes a CA revocation when it expires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from teller.domain import Action, CertificateRecord, CertStatus, CustomerRecord, RevocationReason, StaffSession
from teller.errors import ApprovalError, ErrorKind, LifecycleError, TellerError, ValidationError
from teller.services.approvals import binding_for, check_gate
from teller.ports import UnitOfWork
from teller.services.confirmations import print_confirmation, record_confirmation
from teller.services.context import Deps
from teller.services.receipts import ReceiptOutcome
from teller.services.support import (
    COUNTER_ROLES,
    audit,
    audit_alone,
    certificate_or_404,
    new_transaction,
    normalise_serial,
    require_role,
)

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StatusChangeResult:
    certificate: CertificateRecord
    transaction: str
    receipt: ReceiptOutcome | None  # None when not printed
    message: str  # Korean, for the teller to tell the customer


def revoke_at_ca(deps: Deps, serial: str, reason: RevocationReason, when: datetime) -> bool:
    """Revoke at the CA; an already revoked serial counts as done. False (logged) when the CA failed: the
    database already says revoked, and reconciliation retries."""
    try:
        deps.ca.revoke(int(serial, 16), reason, when)
        return True
    except TellerError as exc:
        if exc.kind is ErrorKind.ALREADY_REVOKED:
            return True
        log.error("CA revocation of %s failed: %s", serial, exc.message_en)
        return False
    except Exception as exc:
        log.error("CA revocation of %s failed: %s", serial, type(exc).__name__)
        return False


def revoke_binding(serial: str, reason: RevocationReason) -> str:
    return binding_for("revoke", serial=serial, reason=reason)


def hold_binding(serial: str) -> str:
    return binding_for("hold", serial=serial)


def _gated(deps: Deps, session: StaffSession, gate: str, binding: str, fn: Callable[[], StatusChangeResult],
           action: Action, serial: str) -> StatusChangeResult:
    """Run `fn`; audit approval refusals and lifecycle refusals in their own transaction (fn's rolled back)."""
    try:
        return fn()
    except ApprovalError as exc:
        audit_alone(deps, session.staff_id, Action.APPROVAL_REFUSED, "refused", subject=gate, why=exc.message_en,
                    binding=binding)
        raise
    except LifecycleError as exc:
        audit_alone(deps, session.staff_id, action, "refused", subject=serial, why=exc.code, message=exc.message_en)
        raise


def revoke_in(uow: UnitOfWork, deps: Deps, session: StaffSession, cert: CertificateRecord, reason: RevocationReason,
              now: datetime, *, receipt: bool, **details: Any) -> tuple[str, CustomerRecord | None]:
    """The revocation itself, in the caller's unit of work (the caller has checked who may and commits): the CA
    first (permanent), then the record, the confirmation (when the customer is at the counter) and the audit."""
    customer = uow.customers.get(cert.customer_id)
    transaction = new_transaction(uow, deps, now)
    deps.ca.revoke(int(cert.serial, 16), reason, now)  # permanent, before the database says so
    cert.status = CertStatus.REVOKED
    cert.revoked_at = now
    cert.revocation_reason = reason
    uow.certificates.update(cert)
    if customer is not None and receipt:
        record_confirmation(deps, uow, session, action=Action.REVOKE, transaction=transaction,
                            customer=customer, cert=cert, fee_krw=0, notes=[], at=now)
    audit(uow, deps, session.staff_id, Action.REVOKE, "ok", at=now, customer_ref=cert.customer_id,
          subject=cert.serial, transaction=transaction, reason=reason.value, **details)
    return transaction, customer if receipt else None


def hold_in(uow: UnitOfWork, deps: Deps, session: StaffSession, cert: CertificateRecord, now: datetime, *,
            receipt: bool, **details: Any) -> tuple[str, CustomerRecord | None]:
    """The hold itself, in the caller's unit of work (as `revoke_in`)."""
    customer = uow.customers.get(cert.customer_id)
    transaction = new_transaction(uow, deps, now)
    if deps.ca.supports_hold:
        deps.ca.revoke(int(cert.serial, 16), RevocationReason.CERTIFICATE_HOLD, now)
    cert.status = CertStatus.HELD
    cert.held_at = now
    cert.hold_until = now + timedelta(days=deps.settings.hold_max_days)
    uow.certificates.update(cert)
    if customer is not None and receipt:
        record_confirmation(deps, uow, session, action=Action.HOLD, transaction=transaction,
                            customer=customer, cert=cert, fee_krw=0,
                            notes=[f"효력정지 만료 {cert.hold_until.date().isoformat()} 이후 자동 폐지"], at=now)
    audit(uow, deps, session.staff_id, Action.HOLD, "ok", at=now, customer_ref=cert.customer_id,
          subject=cert.serial, transaction=transaction, hold_until=cert.hold_until.isoformat(), **details)
    return transaction, customer if receipt else None


def revoke(deps: Deps, session: StaffSession, serial: str, reason: RevocationReason,
           approval_id: str | None = None) -> StatusChangeResult:
    require_role(session, COUNTER_ROLES, "인증서 폐지", "revoke certificates")
    reason = RevocationReason(reason)
    if reason is RevocationReason.CERTIFICATE_HOLD:
        raise ValidationError("효력정지는 폐지 사유가 아닙니다. 효력정지 기능을 사용하십시오",
                              "use hold for a certificate hold, not revoke")
    now = deps.clock.now()
    binding = revoke_binding(normalise_serial(serial), reason)

    def run() -> StatusChangeResult:
        with deps.store.unit_of_work() as uow:
            cert = certificate_or_404(uow, serial)
            if cert.status not in (CertStatus.ACTIVE, CertStatus.HELD):
                raise LifecycleError(f"폐지할 수 없는 상태입니다 ({cert.status.value})",
                                     f"a {cert.status.value} certificate cannot be revoked")
            approval = check_gate(uow, deps, session, approval_id, "revoke", revoke_binding(cert.serial, reason), now)
            transaction, customer = revoke_in(uow, deps, session, cert, reason, now, receipt=True,
                                              approval_id=approval.approval_id if approval else None)
            uow.commit()
        receipt = print_confirmation(deps, session, transaction) if customer is not None else None
        return StatusChangeResult(cert, transaction, receipt,
                                  f"인증서가 폐지되었습니다 (사유: {reason.label_ko}). 폐지는 되돌릴 수 없습니다")

    return _gated(deps, session, "revoke", binding, run, Action.REVOKE, serial)


def hold(deps: Deps, session: StaffSession, serial: str, approval_id: str | None = None) -> StatusChangeResult:
    require_role(session, COUNTER_ROLES, "효력정지", "hold certificates")
    now = deps.clock.now()
    binding = hold_binding(normalise_serial(serial))

    def run() -> StatusChangeResult:
        with deps.store.unit_of_work() as uow:
            cert = certificate_or_404(uow, serial)
            if cert.status is not CertStatus.ACTIVE:
                raise LifecycleError(f"유효한 인증서만 효력정지할 수 있습니다 ({cert.status.value})",
                                     f"only an active certificate can be held (status {cert.status.value})")
            approval = check_gate(uow, deps, session, approval_id, "hold", hold_binding(cert.serial), now)
            transaction, customer = hold_in(uow, deps, session, cert, now, receipt=True,
                                            approval_id=approval.approval_id if approval else None)
            uow.commit()
        receipt = print_confirmation(deps, session, transaction) if customer is not None else None
        return StatusChangeResult(cert, transaction, receipt,
                                  f"효력정지되었습니다. {deps.settings.hold_max_days}일 안에 효력회복하지 않으면 "
                                  "자동으로 폐지됩니다")

    return _gated(deps, session, "hold", binding, run, Action.HOLD, serial)


def release(deps: Deps, session: StaffSession, serial: str) -> StatusChangeResult:
    require_role(session, COUNTER_ROLES, "효력회복", "release held certificates")
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        cert = certificate_or_404(uow, serial)
        if cert.status is not CertStatus.HELD:
            raise LifecycleError("효력정지된 인증서가 아닙니다", "the certificate is not on hold")
        if cert.hold_until is not None and now >= cert.hold_until:
            raise LifecycleError("효력정지 기간이 지나 폐지 대상입니다", "the hold has expired: it is revoked")
        if cert.not_after <= now:
            raise LifecycleError("만료된 인증서입니다", "the certificate has expired")
        customer = uow.customers.get(cert.customer_id)
        transaction = new_transaction(uow, deps, now)
        if deps.ca.supports_hold:
            deps.ca.release_hold(int(cert.serial, 16))
        cert.status = CertStatus.ACTIVE
        cert.held_at = None
        cert.hold_until = None
        uow.certificates.update(cert)
        if customer is not None:
            record_confirmation(deps, uow, session, action=Action.RELEASE, transaction=transaction,
                                customer=customer, cert=cert, fee_krw=0, notes=[], at=now)
        audit(uow, deps, session.staff_id, Action.RELEASE, "ok", at=now, customer_ref=cert.customer_id,
              subject=cert.serial, transaction=transaction)
        uow.commit()
    receipt = print_confirmation(deps, session, transaction) if customer is not None else None
    return StatusChangeResult(cert, transaction, receipt, "효력회복되었습니다. 인증서를 다시 사용할 수 있습니다")


def expire_holds(deps: Deps) -> list[str]:
    """Revoke every hold past its `hold_until` (domain-rules §5: at most 6 months). Run at start-up."""
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        due = [c.serial for c in uow.certificates.with_status(CertStatus.HELD)
               if c.hold_until is not None and c.hold_until <= now]
    done: list[str] = []
    for serial in due:
        with deps.store.unit_of_work() as uow:
            cert = uow.certificates.get(serial)
            if cert is None or cert.status is not CertStatus.HELD:
                continue  # another terminal got there first
            reason = RevocationReason.CESSATION_OF_OPERATION
            ok = revoke_at_ca(deps, cert.serial, reason, now)
            cert.status = CertStatus.REVOKED
            cert.revoked_at = now
            cert.revocation_reason = reason
            uow.certificates.update(cert)
            audit(uow, deps, None, Action.REVOKE, "ok", at=now, customer_ref=cert.customer_id, subject=cert.serial,
                  reason=reason.value, why="hold_expired",
                  hold_until=cert.hold_until.isoformat() if cert.hold_until else None, revoked_at_ca=ok)
            uow.commit()
        done.append(serial)
    return done
