"""Upstream sync: push the branch's audit trail (the transactional outbox) to head office, oldest first.

Every action's audit event is written in the same local transaction as the action, with a per-branch gap-free
`seq` and a hash chain. Sync sends events from `acked_seq + 1` and sets `acked_seq` to the watermark head office
returns — so a lost acknowledgement only means a resend, which head office recognises as duplicates.

Each run also re-sends the last acknowledged event (one event of overlap): head office compares it with what it
holds, so a branch that rewrote already-synced history and recomputed its chain is caught even when nothing new
is pending (every hash after the rewritten event changes, including the acknowledged one).

Retries (exponential backoff, full jitter) happen only on connection-type failures (`UpstreamError`); a refusal
(gap, tamper, forbidden payload) is reported and stops the run.

Sync outcomes go to the branch's sync state, not the audit trail — an audit event is itself a new event to send.
The audit trail gets one SYNC summary per run that sent real events (not only SYNC events, or sync would feed
itself forever) and one SYNC_FAILED event when the error changes.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from teller.domain import Action, AuditDraft, AuditEvent, AuditFilter, SyncState
from teller.errors import UpstreamError
from teller.headoffice.payload import event_payload as event_payload
from teller.headoffice.payload import payload_event as payload_event
from teller.ports import ApplyResult as ApplyResult
from teller.ports import QuarantinedEvent
from teller.ports import Upstream as Upstream
from teller.services.context import SyncDeps

log = logging.getLogger(__name__)

SYSTEM_STAFF: str | None = None  # sync events are the terminal's own, not a staff member's


# ---------------------------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class SyncReport:
    sent: int  # new events head office took or already held (the overlap event not counted)
    acked_seq: int
    local_seq: int
    pending: int
    error: str | None = None
    retryable: bool = False  # True for connection-type failures (retry), False for refusals (stop, report)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class SyncStatus:
    local_seq: int
    acked_seq: int
    pending: int
    last_success: datetime | None
    last_error: str | None
    last_attempt: datetime | None = None
    quarantined: tuple[QuarantinedEvent, ...] = ()  # newest first: events head office refused to store

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.astimezone(timezone.utc).isoformat() if value else None

        return {"local_seq": self.local_seq, "acked_seq": self.acked_seq, "pending": self.pending,
                "last_success": iso(self.last_success), "last_error": self.last_error,
                "last_attempt": iso(self.last_attempt),
                "quarantined": [{"seq": q.seq, "reason": q.reason} for q in self.quarantined]}


# ---------------------------------------------------------------------------------------------- sync


def sync_status(deps: SyncDeps) -> SyncStatus:
    """Local view: how far head office has acknowledged (needs only `deps.store`)."""
    with deps.store.unit_of_work() as uow:
        local_seq, _ = uow.audit.head()
        state = uow.branch.sync_state()
        quarantined = uow.audit.page(AuditFilter(action=Action.SYNC_QUARANTINED.value), limit=QUARANTINE_SHOWN)
    return SyncStatus(local_seq, state.acked_seq, max(local_seq - state.acked_seq, 0), state.last_success,
                      state.last_error, state.last_attempt,
                      tuple(QuarantinedEvent(int(e.details["seq"]), str(e.details["reason"])) for e in quarantined))


QUARANTINE_SHOWN = 50  # the newest quarantined events a status shows (each is also in the audit trail)


def _record_quarantined(deps: SyncDeps, quarantined: Sequence[QuarantinedEvent]) -> None:
    """One audit event per event head office quarantined: the manager's screen and `teller sync status` show
    them, and the remedy (find what leaked into that event) starts from its seq."""
    if not quarantined:
        return
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        for q in quarantined:
            uow.audit.append(AuditDraft(at=now, terminal_id=deps.settings.terminal_id, staff_id=SYSTEM_STAFF,
                                        action=Action.SYNC_QUARANTINED, result="refused",
                                        details={"seq": q.seq, "reason": q.reason[:300]}))
        uow.commit()


def _error_text(exc: UpstreamError) -> str:
    return f"{exc.message} ({exc.message_en})" if exc.message_en != exc.message else exc.message


def _record(deps: SyncDeps, *, acked_seq: int | None, error: str | None, sent_real: int = 0) -> None:
    """One local UoW: the sync state (every run) and, sparingly, an audit event."""
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        state = uow.branch.sync_state()
        previous_error = state.last_error
        new_state = SyncState(
            acked_seq=state.acked_seq if acked_seq is None else acked_seq,
            last_success=now if error is None else state.last_success,
            last_error=error,
            last_attempt=now,
        )
        uow.branch.set_sync_state(new_state)
        if error is not None and error != previous_error:  # a failure once per distinct error, not per retry
            uow.audit.append(AuditDraft(at=now, terminal_id=deps.settings.terminal_id, staff_id=SYSTEM_STAFF,
                                        action=Action.SYNC_FAILED, result="failed", details={"error": error[:500]}))
        elif error is None and sent_real:
            uow.audit.append(AuditDraft(at=now, terminal_id=deps.settings.terminal_id, staff_id=SYSTEM_STAFF,
                                        action=Action.SYNC, result="ok",
                                        details={"sent": sent_real, "acked_seq": new_state.acked_seq}))
        uow.commit()


def sync_once(deps: SyncDeps, upstream: Upstream, *, batch_size: int = 500, max_batches: int | None = None) -> SyncReport:
    """Push pending events to head office, batch by batch, until none are pending (or `max_batches`).

    Needs only `deps.store`, `deps.settings` and `deps.clock`. Never raises for upstream trouble: the error is
    recorded in the sync state and returned in the report (`retryable` tells `retry_sync` whether to retry).
    """
    branch_id = deps.settings.branch_id
    sent = sent_real = batches = 0
    while True:
        with deps.store.unit_of_work() as uow:  # one read UoW per batch
            local_seq, _ = uow.audit.head()
            acked = uow.branch.sync_state().acked_seq
            overlap = 1 if acked > 0 else 0
            events = uow.audit.range(acked - overlap, batch_size + overlap) if acked <= local_seq else []
        if acked > local_seq:
            error = (f"본점 확인 번호({acked})가 지점 기록({local_seq})보다 큽니다 — 지점 DB 복원 여부를 확인하십시오",
                     f"acknowledged seq {acked} is beyond the branch's last event {local_seq} (restored branch DB?)")
            text = f"{error[0]} ({error[1]})"
            _record(deps, acked_seq=None, error=text)
            return SyncReport(sent, acked, local_seq, 0, text, retryable=False)
        fresh = [e for e in events if e.seq > acked]
        try:
            result = upstream.apply_batch(branch_id, [event_payload(e) for e in events])
        except UpstreamError as exc:
            text = _error_text(exc)
            _record(deps, acked_seq=None, error=text)
            return SyncReport(sent, acked, local_seq, local_seq - acked, text, retryable=True)
        if result.watermark > local_seq:  # another terminal may have appended and sent meanwhile: look again
            with deps.store.unit_of_work() as uow:
                local_seq = max(local_seq, uow.audit.head()[0])
        if result.watermark > local_seq:  # head office holds events this branch no longer has
            text = (f"본점에 지점보다 많은 기록({result.watermark})이 있습니다 — 지점 DB 복원·교체 여부를 확인하십시오 "
                    f"(head office holds seq {result.watermark}, the branch only {local_seq}: restored branch DB?)")
            _record(deps, acked_seq=None, error=text)
            return SyncReport(sent, acked, local_seq, local_seq - acked, text, retryable=False)
        watermark = result.watermark
        took = max(watermark - acked, 0)
        sent += took
        sent_real += sum(1 for e in fresh if e.seq <= watermark and str(e.action) not in _SYNC_ACTIONS)
        batches += 1
        _record_quarantined(deps, result.quarantined)
        if result.refused_reason is not None:
            text = f"본점이 기록을 거부했습니다: {result.refused_reason} (head office refused the batch)"
            _record(deps, acked_seq=watermark, error=text)
            return SyncReport(sent, watermark, local_seq, local_seq - watermark, text, retryable=False)
        done = watermark >= local_seq or not fresh or (max_batches is not None and batches >= max_batches)
        if done:
            _record(deps, acked_seq=watermark, error=None, sent_real=sent_real)
            return SyncReport(sent, watermark, local_seq, local_seq - watermark)
        if took == 0:  # head office accepted nothing and refused nothing: do not spin
            text = "본점이 기록을 받지 않았습니다 (head office acknowledged nothing)"
            _record(deps, acked_seq=watermark, error=text)
            return SyncReport(sent, watermark, local_seq, local_seq - watermark, text, retryable=True)
        _record_progress(deps, watermark)


_SYNC_ACTIONS = frozenset({a for action in (Action.SYNC, Action.SYNC_FAILED, Action.SYNC_QUARANTINED)
                          for a in (action.value, str(action))})


def _record_progress(deps: SyncDeps, acked_seq: int) -> None:
    """Between batches: store the ack at once so a crash does not resend what head office holds."""
    with deps.store.unit_of_work() as uow:
        state = uow.branch.sync_state()
        uow.branch.set_sync_state(SyncState(acked_seq=acked_seq, last_success=state.last_success,
                                            last_error=state.last_error, last_attempt=deps.clock.now()))
        uow.commit()


def backoff_delays(attempts: int, base_delay: float, max_delay: float,
                   rand: Callable[[], float] = random.random) -> list[float]:
    """Exponential backoff with full jitter: attempt i waits uniform(0, min(max_delay, base·2^i))."""
    return [rand() * min(max_delay, base_delay * (2 ** i)) for i in range(attempts)]


def retry_sync(deps: SyncDeps, upstream: Upstream, attempts: int = 6, base_delay: float = 0.5, max_delay: float = 30.0,
               sleep: Callable[[float], None] = time.sleep, *, batch_size: int = 500,
               rand: Callable[[], float] = random.random) -> SyncReport:
    """`sync_once`, retried only on connection-type failures; a refusal returns at once."""
    report = sync_once(deps, upstream, batch_size=batch_size)
    for delay in backoff_delays(max(attempts - 1, 0), base_delay, max_delay, rand):
        if report.ok or not report.retryable:
            break
        sleep(delay)
        report = sync_once(deps, upstream, batch_size=batch_size)
    return report


# ---------------------------------------------------------------------------------------------- worker


class SyncWorker:
    """Background sync for the TUI: runs `sync_once` every `settings.sync_interval_s` (sooner on `wake()`), backs
    off with full jitter after connection failures, keeps the last status, never raises out of the thread."""

    def __init__(self, deps: SyncDeps, connect: Callable[[], Upstream], *, interval_s: float | None = None,
                 batch_size: int = 500, on_status: Callable[[SyncStatus], None] | None = None) -> None:
        self._deps = deps
        self._connect = connect
        self._upstream: Upstream | None = None
        self._interval = float(interval_s if interval_s is not None else deps.settings.sync_interval_s)
        self._batch_size = batch_size
        self._on_status = on_status
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._status: SyncStatus | None = None
        self._report: SyncReport | None = None
        self._failures = 0
        self.runs = 0

    @property
    def status(self) -> SyncStatus | None:
        with self._lock:
            return self._status

    @property
    def last_report(self) -> SyncReport | None:
        with self._lock:
            return self._report

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="teller-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        upstream = self._upstream
        if upstream is not None and (self._thread is None or not self._thread.is_alive()):
            self._upstream = None
            try:
                upstream.close()
            except Exception:  # noqa: BLE001 - closing a connection to a head office that is gone
                log.exception("closing the upstream failed")

    def _resolve_upstream(self) -> Upstream:
        if self._upstream is None:
            self._upstream = self._connect()  # connect lazily, in the sync thread, once
        return self._upstream

    def run_once(self) -> None:
        """One cycle (also callable directly). Catches everything: the thread must survive any failure."""
        report: SyncReport | None = None
        try:
            report = sync_once(self._deps, self._resolve_upstream(), batch_size=self._batch_size)
        except UpstreamError as exc:  # e.g. the factory could not reach head office: the home screen says so
            report = SyncReport(0, 0, 0, 0, _error_text(exc), retryable=True)
            try:
                _record(self._deps, acked_seq=None, error=report.error)
            except Exception:  # noqa: BLE001 - a locked database: the next cycle records it
                log.exception("recording the sync failure failed")
        except Exception:  # noqa: BLE001 - a background thread must not die; the log keeps the detail
            log.exception("sync run failed")
            report = SyncReport(0, 0, 0, 0, "동기화 중 예기치 않은 오류 (unexpected sync error)", retryable=True)
        status: SyncStatus | None = None
        try:
            status = sync_status(self._deps)
        except Exception:  # noqa: BLE001
            log.exception("sync status failed")
        with self._lock:
            self._report = report
            if status is not None:
                self._status = status
            self._failures = 0 if report.ok else self._failures + 1
            self.runs += 1
        if status is not None and self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:  # noqa: BLE001
                log.exception("sync status callback failed")

    def _next_wait(self) -> float:
        with self._lock:
            failures, report = self._failures, self._report
        if failures and report is not None and report.retryable:
            return min(self._interval, backoff_delays(1, 0.5 * 2 ** min(failures - 1, 10), self._interval)[0])
        return self._interval

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._wake.wait(self._next_wait())
            self._wake.clear()
