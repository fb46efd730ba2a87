"""Audit trail use cases: verify the hash chain, page through events, export them, retention.

Domain side: talks only to the `BranchStore` port (no database library here). Exports carry exactly what the
trail stores: customer references and masked values, never a resident number.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from teller.audit_chain import ChainBreak, VerifiedRun, verify_chain
from teller.config import Settings
from teller.domain import Action, AuditDraft, AuditEvent, AuditFilter, text_value
from teller.errors import UnreadableAuditEvent, ValidationError
from teller.ports import BranchStore

PROGRESS_EVERY = 10_000
EXPORT_FORMATS = ("csv", "jsonl")
EXPORT_COLUMNS = (
    "seq", "at", "terminal_id", "staff_id", "action", "result", "customer_ref", "subject", "details",
    "event_id", "prev_hash", "hash",
)


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    head_seq: int  # last sequence number that verified
    bad_seq: int | None  # first bad sequence number, None when intact
    why: str | None
    checked: int  # events read

    def summary_ko(self) -> str:
        if self.ok:
            return f"감사 기록 무결성 확인: {self.checked}건 정상 (intact)"
        return f"감사 기록 무결성 오류: seq {self.bad_seq} — {self.why} (audit chain broken)"


def _counted(items: Iterable[AuditEvent | VerifiedRun], progress: Callable[[int], None] | None,
             every: int, tally: list[int]) -> Iterator[AuditEvent | VerifiedRun]:
    n = 0
    for item in items:
        if isinstance(item, VerifiedRun):
            # if the run does not continue the chain, the break is at its first event: count just that one
            tally[0] = n + 1
            if progress is not None and (n + 1) % every == 0:
                progress(n + 1)
            yield item
            start, n = n + 1, n + item.count
            tally[0] = n
            if progress is not None:
                for k in range(start // every + 1, n // every + 1):
                    progress(k * every)
            continue
        n += 1
        tally[0] = n
        if progress is not None and n % every == 0:
            progress(n)
        yield item


def verify_audit_chain(store: BranchStore, progress: Callable[[int], None] | None = None, *,
                       every: int = PROGRESS_EVERY) -> ChainReport:
    """Stream every event through `teller.audit_chain.verify_chain`; report the first bad sequence number.

    Reads `store.iter_audit_checked()`: the same events, runs the store has already checked over their stored
    record bytes as `VerifiedRun`s.

    Also refuses a trail shorter than what head office already acknowledged (a deleted tail leaves no gap in
    the chain itself).
    """
    tally = [0]
    items = store.iter_audit_checked()
    try:
        head_seq, _ = verify_chain(_counted(items, progress, every, tally))
    except ChainBreak as br:
        return ChainReport(False, br.seq - 1, br.seq, br.why, tally[0])
    except UnreadableAuditEvent as bad:  # overwritten with something that is not even a value: also a break
        return ChainReport(False, bad.seq - 1, bad.seq, f"unreadable: {bad.why}", tally[0] + 1)
    finally:
        items.close()  # a generator left at a break: end its read transaction now
    if progress is not None:
        progress(tally[0])
    with store.unit_of_work() as uow:
        acked = uow.branch.sync_state().acked_seq
    if acked > head_seq:
        return ChainReport(False, head_seq, head_seq + 1,
                           f"head office acknowledged up to seq {acked}, the trail ends at seq {head_seq}",
                           tally[0])
    return ChainReport(True, head_seq, None, None, tally[0])


def audit_page(store: BranchStore, flt: AuditFilter, before_seq: int | None = None,
               limit: int = 50) -> list[AuditEvent]:
    """One page, newest first; pass the last row's seq as `before_seq` for the next page."""
    with store.unit_of_work() as uow:
        return uow.audit.page(flt, before_seq=before_seq, limit=limit)


def matches(event: AuditEvent, flt: AuditFilter) -> bool:
    """Same semantics as the store's filter: `since` inclusive, `until` exclusive."""
    return (
        (flt.since is None or event.at >= flt.since)
        and (flt.until is None or event.at < flt.until)
        and (flt.staff_id is None or event.staff_id == flt.staff_id)
        and (flt.action is None or event.action == text_value(flt.action))
        and (flt.customer_ref is None or event.customer_ref == flt.customer_ref)
    )


def _csv_cell(value: str) -> str:
    # a cell starting with = + - @ would run as a formula in a spreadsheet
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _record(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq, "at": event.at.isoformat(), "terminal_id": event.terminal_id,
        "staff_id": event.staff_id, "action": event.action, "result": event.result,
        "customer_ref": event.customer_ref, "subject": event.subject, "details": event.details,
        "event_id": event.event_id, "prev_hash": event.prev_hash, "hash": event.hash,
    }


def export_audit(store: BranchStore, flt: AuditFilter, fmt: str, out: IO[str]) -> int:
    """Write the matching events oldest first as CSV or JSON lines; return how many were written.

    Streams the trail in batches (constant memory for any size)."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"내보내기 형식은 csv 또는 jsonl 입니다: {fmt}", f"format must be csv or jsonl, not {fmt}")
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(EXPORT_COLUMNS)
    count = 0
    for event in store.iter_audit():
        if not matches(event, flt):
            continue
        record = _record(event)
        if writer is not None:
            row = []
            for column in EXPORT_COLUMNS:
                value = record[column]
                if column == "details":
                    value = json.dumps(value, ensure_ascii=False, sort_keys=True)
                row.append("" if value is None else _csv_cell(str(value)))
            writer.writerow(row)
        else:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def describe_filter(flt: AuditFilter) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("since", "until", "staff_id", "action", "customer_ref"):
        value = getattr(flt, name)
        if value is not None:
            out[name] = value.isoformat() if isinstance(value, datetime) else text_value(value)
    return out


def record_verification(store: BranchStore, report: ChainReport, *, terminal_id: str, staff_id: str | None,
                        at: datetime) -> AuditEvent:
    """Audit the verification itself (call after the chain was read, so the new event is not part of it)."""
    details: dict[str, Any] = {"checked": report.checked, "head_seq": report.head_seq}
    if not report.ok:
        details.update(bad_seq=report.bad_seq, why=report.why)
    return _append(store, AuditDraft(at=at, terminal_id=terminal_id, staff_id=staff_id,
                                     action=Action.AUDIT_VERIFIED, result="ok" if report.ok else "failed",
                                     details=details))


def record_export(store: BranchStore, flt: AuditFilter, fmt: str, count: int, *, terminal_id: str,
                  staff_id: str | None, at: datetime, target: str | None = None) -> AuditEvent:
    details: dict[str, Any] = {"format": fmt, "count": count, "filter": describe_filter(flt)}
    if target:
        details["target"] = target
    return _append(store, AuditDraft(at=at, terminal_id=terminal_id, staff_id=staff_id,
                                     action=Action.AUDIT_EXPORTED, result="ok", details=details))


def _append(store: BranchStore, draft: AuditDraft) -> AuditEvent:
    with store.unit_of_work() as uow:
        event = uow.audit.append(draft)
        uow.commit()
    return event


def retention_cutoff(settings: Settings, now: datetime) -> datetime:
    """Audit events at or after this instant must still be kept (전자금융거래법 art. 22: 5 years by default)."""
    return now - timedelta(days=settings.audit_retention_days)


def access_log_cutoff(settings: Settings, now: datetime) -> datetime:
    """Access-log retention floor (안전성 확보조치 기준 art. 8: at least 2 years)."""
    return now - timedelta(days=settings.access_log_retention_days)
