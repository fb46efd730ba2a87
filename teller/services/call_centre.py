"""고객센터: the call-centre desk holds (효력정지) or revokes for loss by phone, as the bank's guide offers.

The agent asks the caller for their name and resident number and for facts only the customer knows (the day of
their last issuance and the branch that did it); the system checks the answers without showing them, and the agent
sees only masked data. A passed check opens a short call window (`CALL_WINDOW`) for this agent and this customer,
in which the agent may hold or revoke for loss — never issue, renew, reissue or see a full resident number. Every
check is an audit record with its outcome; repeated failures for one customer raise an alert the manager's screen
shows (`identity_alerts`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from teller.domain import Action, AuditFilter, CertKind, CertStatus, RevocationReason, Role, StaffSession
from teller.errors import ErrorKind, LifecycleError
from teller.identity.names import mask_stored_name
from teller.identity.rrn import parse_rrn
from teller.ports import UnitOfWork
from teller.services.context import Deps
from teller.services.revocation import hold_in, revoke_in
from teller.services.support import audit, certificate_or_404, kst_day, require_role

CALL_WINDOW = timedelta(minutes=15)  # a verified caller: the actions must follow within the call
ALERT_AFTER = 3  # failed checks for one customer within ALERT_PERIOD
ALERT_PERIOD = timedelta(hours=24)
CALL_ROLES = (Role.CALL_CENTRE,)


@dataclass(frozen=True, slots=True)
class CallerCertificate:
    serial: str
    kind: CertKind
    status: CertStatus
    not_after: datetime


@dataclass(frozen=True, slots=True)
class VerifiedCaller:
    call_id: int  # the seq of the passed check: what the hold or revocation refers to
    customer_id: str
    name_masked: str
    rrn_masked: str
    certificates: tuple[CallerCertificate, ...]
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IdentityAlert:
    customer_ref: str
    failures: int
    last_at: datetime


def _same_name(a: str, b: str) -> bool:
    return unicodedata.normalize("NFC", a).replace(" ", "").casefold() == \
        unicodedata.normalize("NFC", b).replace(" ", "").casefold()


def _failures(uow: UnitOfWork, customer_id: str, since: datetime) -> int:
    events = uow.audit.page(AuditFilter(since=since, action=Action.CALL_IDENTITY_CHECK.value,
                                        customer_ref=customer_id), limit=200)
    return sum(1 for e in events if e.result == "failed")


def verify_caller(deps: Deps, session: StaffSession, *, name: str, rrn: str, last_issue_date: date,
                  issuing_branch: str) -> VerifiedCaller:
    """Check the caller's answers; a failure says only that the check failed (never which answer)."""
    require_role(session, CALL_ROLES, "고객센터 본인확인", "check a caller's identity")
    digits = parse_rrn(rrn).digits  # a malformed number is the agent's typing: say so, audit nothing
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        customer = uow.customers.find_by_rrn_hash(deps.field_crypto.lookup_hash(digits))
        certs = uow.certificates.by_customer(customer.customer_id) if customer is not None else []
        issued = [c for c in certs if c.status is not CertStatus.FAILED and c.status is not CertStatus.PENDING]
        last = max(issued, key=lambda c: c.created_at or c.not_before, default=None)
        passed = (customer is not None and _same_name(customer.name, name) and last is not None
                  and kst_day(last.created_at or last.not_before) == last_issue_date
                  and issuing_branch.strip() == deps.settings.branch_id)
        ref = customer.customer_id if customer is not None else None
        audit(uow, deps, session.staff_id, Action.CALL_IDENTITY_CHECK, "ok" if passed else "failed", at=now,
              customer_ref=ref, channel="phone")
        seq, _ = uow.audit.head()  # this check's own seq (the chain is locked until commit)
        failures = _failures(uow, ref, now - ALERT_PERIOD) if not passed and ref is not None else 0  # this one too
        if ref is not None and failures >= ALERT_AFTER:
            audit(uow, deps, session.staff_id, Action.CALL_IDENTITY_ALERT, "alert", at=now, customer_ref=ref,
                  failures=failures)
        uow.commit()
    if not passed or customer is None:
        raise LifecycleError("본인확인에 실패했습니다. 고객에게 영업점 방문을 안내하십시오",
                             "the caller's identity check failed: ask the customer to visit a branch",
                             kind=ErrorKind.CALLER_NOT_VERIFIED)
    return VerifiedCaller(seq, customer.customer_id, mask_stored_name(customer.name), customer.rrn_masked,
                          tuple(CallerCertificate(c.serial, c.kind, c.status, c.not_after) for c in issued),
                          now + CALL_WINDOW)


def _verified_call(uow: UnitOfWork, session: StaffSession, call_id: int, customer_id: str, now: datetime) -> None:
    event = uow.audit.get(call_id)
    if (event is None or event.action != Action.CALL_IDENTITY_CHECK.value or event.result != "ok"
            or event.staff_id != session.staff_id or event.customer_ref != customer_id):
        raise LifecycleError("이 고객에 대한 본인확인 기록이 없습니다. 먼저 본인확인을 하십시오",
                             "no passed identity check of this caller for this customer", kind=ErrorKind.CALLER_NOT_VERIFIED)
    at = event.at if event.at.tzinfo is not None else event.at.replace(tzinfo=timezone.utc)
    if now - at > CALL_WINDOW:
        raise LifecycleError("본인확인 후 시간이 지났습니다. 다시 본인확인을 하십시오",
                             "the identity check has lapsed: check again", kind=ErrorKind.CALLER_CHECK_LAPSED)


def _phone_action(deps: Deps, session: StaffSession, call_id: int, serial: str,
                  allowed: tuple[CertStatus, ...], act: str) -> str:
    """The verified caller's own certificate, in a state the action accepts, changed in one unit of work."""
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        cert = certificate_or_404(uow, serial)
        _verified_call(uow, session, call_id, cert.customer_id, now)
        if cert.status not in allowed and act == "hold":
            raise LifecycleError(f"유효한 인증서만 효력정지할 수 있습니다 ({cert.status.value})",
                                 f"only an active certificate can be held (status {cert.status.value})")
        if cert.status not in allowed:
            raise LifecycleError(f"폐지할 수 없는 상태입니다 ({cert.status.value})",
                                 f"a {cert.status.value} certificate cannot be revoked")
        if act == "hold":
            transaction, _ = hold_in(uow, deps, session, cert, now, receipt=False, channel="phone", call_id=call_id)
        else:
            transaction, _ = revoke_in(uow, deps, session, cert, RevocationReason.KEY_COMPROMISE, now,
                                       receipt=False, channel="phone", call_id=call_id)
        uow.commit()
    return transaction


def phone_hold(deps: Deps, session: StaffSession, call_id: int, serial: str) -> str:
    """효력정지 by phone, for the verified caller's own active certificate; returns the transaction."""
    require_role(session, CALL_ROLES, "전화 효력정지", "hold by phone")
    return _phone_action(deps, session, call_id, serial, (CertStatus.ACTIVE,), "hold")


def phone_revoke_for_loss(deps: Deps, session: StaffSession, call_id: int, serial: str) -> str:
    """폐지 (분실) by phone: keyCompromise, for the verified caller's own certificate; returns the transaction."""
    require_role(session, CALL_ROLES, "전화 분실 폐지", "revoke for loss by phone")
    return _phone_action(deps, session, call_id, serial, (CertStatus.ACTIVE, CertStatus.HELD), "revoke")


def identity_alerts(deps: Deps, session: StaffSession, since: datetime) -> list[IdentityAlert]:
    """The customers whose identity checks failed repeatedly, for the manager's screen."""
    require_role(session, (Role.MANAGER, Role.AUDITOR), "고객센터 경보 조회", "review call-centre alerts")
    with deps.store.unit_of_work() as uow:
        events = uow.audit.page(AuditFilter(since=since, action=Action.CALL_IDENTITY_ALERT.value), limit=500)
    latest: dict[str, IdentityAlert] = {}
    for e in events:
        if e.customer_ref is None:
            continue
        failures = int(e.details.get("failures", ALERT_AFTER))
        seen = latest.get(e.customer_ref)
        if seen is None or e.at > seen.last_at:
            latest[e.customer_ref] = IdentityAlert(e.customer_ref, failures, e.at)
    return sorted(latest.values(), key=lambda a: a.last_at, reverse=True)
