"""Small helpers every use case shares: role guards, KST days, transaction numbers, audit drafts.

Kept free of storage details: everything goes through the `UnitOfWork` port.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from teller.domain import Action, AuditDraft, CertificateRecord, Role, StaffSession
from teller.errors import CertificateInForce, NotFound, PermissionDenied
from teller.ports import UnitOfWork
from teller.services.context import Deps

KST = timezone(timedelta(hours=9), "KST")

# Roles allowed to change things at the counter. Auditors only read.
COUNTER_ROLES = (Role.TELLER, Role.MANAGER)
READ_ROLES = (Role.TELLER, Role.MANAGER, Role.AUDITOR)
MANAGER_ONLY = (Role.MANAGER,)


def require_role(session: StaffSession, allowed: Iterable[Role], what_ko: str, what_en: str) -> None:
    """Refuse unless the signed-in staff member's role is one of `allowed`."""
    allowed = tuple(allowed)
    if session.role not in allowed:
        roles_ko = ", ".join(r.label_ko for r in allowed)
        roles_en = ", ".join(r.value for r in allowed)
        raise PermissionDenied(
            f"{what_ko}은(는) {roles_ko}만 할 수 있습니다 (현재: {session.role.label_ko})",
            f"only {roles_en} may {what_en} (you are {session.role.value})",
        )


# ---------------------------------------------------------------------------------------------- time


def kst_day(when: datetime) -> date:
    """The Korean calendar day of an aware instant (validity, windows and counters follow KST)."""
    return when.astimezone(KST).date()


def kst_day_start(day: date) -> datetime:
    """00:00 KST of `day` as an aware UTC instant."""
    return datetime.combine(day, time(0, 0), tzinfo=KST).astimezone(timezone.utc)


def add_years(day: date, years: int) -> date:
    """Same month/day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# ---------------------------------------------------------------------------------------------- numbers


def new_transaction(uow: UnitOfWork, deps: Deps, now: datetime) -> str:
    """Gap-free per-branch, per-KST-day transaction number, e.g. "0815-20261125-00007".

    Allocated inside the caller's unit of work, so a rolled-back action leaves no gap."""
    day = kst_day(now).strftime("%Y%m%d")
    number = uow.branch.next_number(f"transaction:{day}")
    return f"{deps.branch_id}-{day}-{number:05d}"


def serial_hex(serial: int) -> str:
    return format(serial, "x")


# ---------------------------------------------------------------------------------------------- audit


def audit(
    uow: UnitOfWork,
    deps: Deps,
    staff_id: str | None,
    action: Action,
    result: str,
    *,
    at: datetime | None = None,
    customer_ref: str | None = None,
    subject: str | None = None,
    **details: Any,
) -> None:
    """Append one audit event in the caller's transaction. `details` must hold masked values only."""
    uow.audit.append(
        AuditDraft(
            at=at or deps.clock.now(),
            terminal_id=deps.terminal_id,
            staff_id=staff_id,
            action=action,
            result=result,
            customer_ref=customer_ref,
            subject=subject,
            details={k: v for k, v in details.items() if v is not None},
        )
    )


def audit_alone(
    deps: Deps,
    staff_id: str | None,
    action: Action,
    result: str,
    **kw: Any,
) -> None:
    """Record a refusal or failure in its own transaction (the action's own transaction was rolled back)."""
    with deps.store.unit_of_work() as uow:
        audit(uow, deps, staff_id, action, result, **kw)
        uow.commit()


def certificate_or_404(uow: UnitOfWork, serial: str) -> CertificateRecord:
    key = normalise_serial(serial)
    cert = uow.certificates.get(key)
    if cert is None:
        raise NotFound(f"인증서를 찾을 수 없습니다 (일련번호 {key})", f"no certificate with serial {key}")
    return cert


def supersede_once(old: CertificateRecord, new: CertificateRecord) -> None:
    """Mark `old` (re-read in the confirming unit of work) as replaced by `new`, exactly once: a counter that
    renewed or reissued it meanwhile wins, this one is refused (and the caller undoes its new certificate)."""
    if old.replaced_by_serial and old.replaced_by_serial != new.serial:
        raise CertificateInForce(
            f"이 인증서는 다른 창구에서 이미 갱신·재발급되었습니다 (새 일련번호 {old.replaced_by_serial})",
            f"certificate {old.serial} was already replaced by {old.replaced_by_serial} at another counter")
    old.replaced_by_serial = new.serial


def normalise_serial(serial: str) -> str:
    """Accept "AB:12:…", "0xab12" or "ab12"; the store keys serials as lower-case hex without separators."""
    text = serial.strip().lower().replace(":", "").replace(" ", "")
    if text.startswith("0x"):
        text = text[2:]
    return text.lstrip("0") or "0"
