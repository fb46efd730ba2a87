"""Read-only views for screens: certificate search, expiring certificates, today's work at this terminal."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from teller.domain import Action, AuditFilter, CertificateRecord, CertStatus, StaffSession
from teller.services.context import Deps
from teller.services.support import READ_ROLES, audit, kst_day, kst_day_start, normalise_serial, require_role

_HEX = re.compile(r"^(0x)?[0-9a-fA-F:]{2,}$")


def search_certificates(deps: Deps, session: StaffSession, *, text: str | None = None,
                        status: CertStatus | None = None, limit: int = 100) -> list[CertificateRecord]:
    """By serial prefix (hex) or customer (name / masked-RRN prefix); newest first. Customer look-ups are
    audited."""
    require_role(session, READ_ROLES, "인증서 조회", "search certificates")
    text = (text or "").strip()
    status = CertStatus(status) if status else None
    with deps.store.unit_of_work() as uow:
        if not text:
            return uow.certificates.search(status=status, limit=limit)
        found: dict[str, CertificateRecord] = {}
        if _HEX.match(text):
            for c in uow.certificates.search(status=status, serial_prefix=normalise_serial(text), limit=limit):
                found[c.serial] = c
        if not found or not text.isdigit():
            customers = uow.customers.search(text, limit=20)
            for customer in customers:
                for c in uow.certificates.search(status=status, customer_id=customer.customer_id, limit=limit):
                    found[c.serial] = c
            if customers:
                audit(uow, deps, session.staff_id, Action.CUSTOMER_LOOKUP, "ok", via="certificate_search",
                      results=len(customers))
                uow.commit()
    return sorted(found.values(), key=lambda c: c.created_at, reverse=True)[:limit]


def expiring_certificates(deps: Deps, session: StaffSession, within_days: int = 30) -> list[CertificateRecord]:
    """Active or held certificates expiring within `within_days` (KST days), soonest first."""
    require_role(session, READ_ROLES, "만료 예정 인증서 조회", "list expiring certificates")
    now = deps.clock.now()
    before = kst_day_start(kst_day(now) + timedelta(days=within_days + 1))
    with deps.store.unit_of_work() as uow:
        return [c for c in uow.certificates.expiring(before) if c.not_after > now]


@dataclass(slots=True)
class TodaySummary:
    day: date  # KST
    terminal_id: str
    counts: dict[str, int] = field(default_factory=dict)  # action value → successful count at this terminal
    fees_krw: int = 0
    approvals_granted: int = 0
    approvals_refused: int = 0
    sign_in_failures: int = 0
    failed_actions: int = 0
    pending_certificates: int = 0  # signed, not yet confirmed on media (reconciliation will settle them)
    expiring_within_30_days: int = 0

    @property
    def issued(self) -> int:
        return self.counts.get(Action.ISSUE.value, 0)


_COUNTED = {Action.ISSUE, Action.RENEW, Action.REISSUE, Action.REVOKE, Action.HOLD, Action.RELEASE,
            Action.DELETE_FROM_MEDIA, Action.CUSTOMER_IDENTIFIED}


def today_summary(deps: Deps, session: StaffSession) -> TodaySummary:
    """Counts of today's (KST) events at this terminal, for the home screen."""
    require_role(session, READ_ROLES, "오늘 업무 조회", "see today's work")
    now = deps.clock.now()
    day = kst_day(now)
    summary = TodaySummary(day=day, terminal_id=deps.terminal_id)
    counted = {a.value for a in _COUNTED}
    flt = AuditFilter(since=kst_day_start(day), until=now + timedelta(seconds=1))
    with deps.store.unit_of_work() as uow:
        before: int | None = None
        while True:
            page = uow.audit.page(flt, before_seq=before, limit=500)
            for ev in page:
                if ev.terminal_id != deps.terminal_id:
                    continue
                if ev.action in counted and ev.result == "ok":
                    summary.counts[ev.action] = summary.counts.get(ev.action, 0) + 1
                    if ev.action in (Action.ISSUE.value, Action.RENEW.value):
                        summary.fees_krw += int(ev.details.get("fee_krw", 0) or 0)
                elif ev.action in counted and ev.result == "failed":
                    summary.failed_actions += 1
                elif ev.action == Action.APPROVAL_GRANTED.value:
                    summary.approvals_granted += 1
                elif ev.action == Action.APPROVAL_REFUSED.value:
                    summary.approvals_refused += 1
                elif ev.action == Action.SIGN_IN_FAILED.value:
                    summary.sign_in_failures += 1
            if len(page) < 500:
                break
            before = page[-1].seq
        summary.pending_certificates = len(uow.certificates.with_status(CertStatus.PENDING))
        soon = kst_day_start(day + timedelta(days=31))
        summary.expiring_within_30_days = sum(1 for c in uow.certificates.expiring(soon) if c.not_after > now)
    return summary
