"""Manager reports: the daily close-out per teller and the audit extract for a date range.

Domain side: reads the store through the UnitOfWork port, renders through `deps.renderer`, writes the PDF to
`settings.reports_dir` and records REPORT_PRINTED. Only managers and auditors may produce them.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from teller.action_labels import action_label
from teller.documents import AuditExtractData, AuditExtractRow, DailyReportData, ExceptionLine, TellerDayLine
from teller.domain import Action, AuditEvent, AuditFilter, Role, StaffSession
from teller.errors import StorageError, TellerError, ValidationError
from teller.ports import UnitOfWork
from teller.services.context import Deps
from teller.services.support import KST, audit, kst_day_start, require_role

log = logging.getLogger(__name__)

REPORT_ROLES = (Role.MANAGER, Role.AUDITOR)
COUNTER_ACTIONS = ("issue", "renew", "reissue", "revoke", "hold", "release", "delete_from_media")
FEE_ACTIONS = ("issue", "renew", "reissue")
PAGE = 500


def _events(uow: UnitOfWork, flt: AuditFilter) -> Iterator[AuditEvent]:
    """Every event matching `flt`, oldest first (the port pages newest first)."""
    collected: list[AuditEvent] = []
    before: int | None = None
    while True:
        page = uow.audit.page(flt, before_seq=before, limit=PAGE)
        collected.extend(page)
        if len(page) < PAGE:
            break
        before = page[-1].seq
    return iter(sorted(collected, key=lambda e: e.seq))


def _chain_status(deps: Deps) -> tuple[bool, int, bool]:
    """(ok, head seq, checked). Unknown (checked=False) when the verifier is missing or fails to run."""
    try:
        from teller.services.audit import verify_audit_chain
    except ImportError:
        return False, 0, False
    try:
        report = verify_audit_chain(deps.store)
    except Exception as exc:  # noqa: BLE001 - the report must still come out, marked "not verified"
        log.warning("audit chain not verified for the report: %s", exc)
        return False, 0, False
    return report.ok, report.head_seq, True


def _write_atomic(path: Path, content: bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise StorageError(f"보고서를 저장하지 못했습니다: {exc.strerror or exc}",
                           f"could not save the report {path.name}: {exc}") from exc
    return path


def _kst_hm(at: datetime) -> str:
    return at.astimezone(KST).strftime("%H:%M")


def _exceptions(deps: Deps, events: list[AuditEvent]) -> list[ExceptionLine]:
    open_h, close_h = deps.settings.business_hours
    out: list[ExceptionLine] = []
    reissues: dict[str, list[AuditEvent]] = defaultdict(list)
    for ev in events:
        d = ev.details
        if ev.action == Action.APPROVAL_GRANTED.value:
            out.append(ExceptionLine(ev.at, ev.staff_id, "approval",
                                     f"{ev.subject or ''} 승인: 책임자 {d.get('approver', '-')} · 사유 {d.get('reason', '-')}"))
        elif ev.action == Action.CUSTOMER_IDENTIFIED.value and ev.result != "ok":
            out.append(ExceptionLine(ev.at, ev.staff_id, "authenticity_failed",
                                     f"{d.get('check_result', ev.result)} · {d.get('name_masked', '')} "
                                     f"{d.get('rrn_masked', '')} · 고객 {(ev.customer_ref or '-')[:8]}"))
        elif ev.action == Action.PRINT_FAILED.value or (
                ev.action == Action.RECEIPT_REPRINTED.value and ev.result != "ok"):
            out.append(ExceptionLine(ev.at, ev.staff_id, "print_failed",
                                     f"영수증 미인쇄 {ev.subject or ''}: {d.get('error', '')}"[:200]))
        elif ev.action == Action.CALL_IDENTITY_ALERT.value:
            out.append(ExceptionLine(ev.at, ev.staff_id, "call_identity_alert",
                                     f"고객센터 본인확인 {d.get('failures', '?')}회 실패 · 고객 {(ev.customer_ref or '-')[:8]}"))
        if ev.action in COUNTER_ACTIONS and ev.result == "ok":
            hour = ev.at.astimezone(KST).hour
            if not open_h <= hour < close_h:
                out.append(ExceptionLine(ev.at, ev.staff_id, "after_hours",
                                         f"{_kst_hm(ev.at)} KST {action_label(ev.action)} {d.get('transaction', ev.subject or '')}"))
            if ev.action == Action.REISSUE.value and ev.customer_ref:
                reissues[ev.customer_ref].append(ev)
    for customer_ref, evs in reissues.items():
        if len(evs) >= 2:
            last = evs[-1]
            out.append(ExceptionLine(last.at, last.staff_id, "repeated_reissue",
                                     f"같은 고객 {len(evs)}회 재발급 (고객 {customer_ref[:8]}): "
                                     + ", ".join(str(e.details.get("transaction", e.subject)) for e in evs)))
    return sorted(out, key=lambda e: e.at)


def build_daily_report(deps: Deps, session: StaffSession, day: date) -> DailyReportData:
    since = kst_day_start(day)
    until = kst_day_start(day + timedelta(days=1))
    with deps.store.unit_of_work() as uow:
        events = list(_events(uow, AuditFilter(since=since, until=until)))
        receipts = uow.receipts.between(since, until)
        names = {}
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        fees: Counter[str] = Counter()
        for ev in events:
            if ev.staff_id and ev.action in COUNTER_ACTIONS and ev.result == "ok":
                counts[ev.staff_id][ev.action] += 1
                if ev.action in FEE_ACTIONS:
                    fees[ev.staff_id] += int(ev.details.get("fee_krw", 0) or 0)
        printed: Counter[str] = Counter(r.staff_id for r in receipts if r.printed_at is not None)
        expected: Counter[str] = Counter(r.staff_id for r in receipts)
        staff_ids = sorted(set(counts) | set(expected))
        for staff_id in staff_ids:
            staff = uow.staff.get(staff_id)
            names[staff_id] = staff.name if staff else "-"
    ok, head, checked = _chain_status(deps)
    online: dict[str, int] | None = None
    if deps.registrar is not None:
        try:
            online = {str(k): v for k, v in deps.registrar.day_summary(since, until, deps.clock.now()).items()}
        except TellerError as exc:  # the report still comes out; the line says the CA was not asked
            log.warning("online registrations not counted: %s", exc.message_en)
    tellers = [TellerDayLine(s, names[s], dict(counts[s]), fees[s], printed[s], expected[s]) for s in staff_ids]
    return DailyReportData(
        bank_name=deps.settings.bank_name, branch_name=deps.settings.branch_name, branch_id=deps.settings.branch_id,
        day=day, generated_at=deps.clock.now(), generated_by=f"{session.staff_id} {session.name}",
        tellers=tellers, exceptions=_exceptions(deps, events), chain_ok=ok, chain_head_seq=head,
        total_fees_krw=sum(fees.values()), chain_checked=checked, online_registrations=online,
    )


def daily_report(deps: Deps, session: StaffSession, day: date, out: Path | None = None) -> Path:
    """Render the close-out of KST `day` to `out` or `<reports_dir>/daily-<day>.pdf`; audited."""
    require_role(session, REPORT_ROLES, "일일 마감 보고서", "print the daily report")
    data = build_daily_report(deps, session, day)
    path = _write_atomic(out or deps.settings.reports_dir / f"daily-{day.isoformat()}.pdf",
                         deps.renderer.daily_report(data))
    with deps.store.unit_of_work() as uow:
        audit(uow, deps, session.staff_id, Action.REPORT_PRINTED, "ok", subject=f"daily:{day.isoformat()}",
              report="daily", file=path.name, chain_ok=data.chain_ok if data.chain_checked else None)
        uow.commit()
    return path


def audit_extract_report(deps: Deps, session: StaffSession, since: datetime, until: datetime,
                         out: Path | None = None) -> Path:
    """Every audit event in [since, until) as a paged PDF table; audited."""
    require_role(session, REPORT_ROLES, "감사 기록 추출", "extract the audit trail")
    if since.tzinfo is None or until.tzinfo is None or until <= since:
        raise ValidationError("기간이 올바르지 않습니다 (시작 < 끝, 시간대 포함)", "invalid period (aware since < until)")
    with deps.store.unit_of_work() as uow:
        rows = [AuditExtractRow(seq=e.seq, at=e.at, staff_id=e.staff_id, terminal_id=e.terminal_id,
                                action=e.action, result=e.result, customer_ref=e.customer_ref, subject=e.subject)
                for e in _events(uow, AuditFilter(since=since, until=until))]
    ok, _, checked = _chain_status(deps)
    data = AuditExtractData(
        bank_name=deps.settings.bank_name, branch_name=deps.settings.branch_name, since=since, until=until,
        generated_at=deps.clock.now(), generated_by=f"{session.staff_id} {session.name}", rows=rows,
        chain_ok=ok, chain_checked=checked,
    )
    name = f"audit-{since.astimezone(KST):%Y%m%d%H%M}-{until.astimezone(KST):%Y%m%d%H%M}.pdf"
    path = _write_atomic(out or deps.settings.reports_dir / name, deps.renderer.audit_extract(data))
    with deps.store.unit_of_work() as uow:
        audit(uow, deps, session.staff_id, Action.REPORT_PRINTED, "ok", subject="audit_extract",
              report="audit_extract", file=path.name, since=since.isoformat(), until=until.isoformat(),
              rows=len(rows))
        uow.commit()
    return path
