"""Fault tests against a REAL PostgreSQL head office: server crashes mid-batch, lost acknowledgements, resends,
concurrent branches, tamper after sync. Afterwards head office must hold exactly each branch's events: no
duplicates, no gaps, every chain verifying."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, func, select

from db.headoffice import HeadOffice, ho_events
from teller.errors import UpstreamError
from teller.services.sync import ApplyResult, retry_sync, sync_once, sync_status

pytestmark = pytest.mark.postgres


def assert_exact_copy(ho: HeadOffice, branch: Any, branch_events: Any) -> None:
    """Head office holds exactly the branch's acknowledged events, in order, verifying."""
    acked = sync_status(branch).acked_seq
    local = [e for e in branch_events(branch) if e.seq <= acked]
    held = ho.events(branch.settings.branch_id, limit=10**6)
    assert held == local
    assert ho.verify_branch(branch.settings.branch_id) == (True, acked, None)
    with ho.engine.connect() as conn:
        total, distinct = conn.execute(
            select(func.count(), func.count(func.distinct(ho_events.c.event_id)))
            .where(ho_events.c.branch_id == branch.settings.branch_id)).one()
    assert total == distinct == acked


def test_server_killed_at_commit_repeatedly_then_restarted(faulty_pg: Any, make_branch: Any, add_events: Any,
                                                           branch_events: Any) -> None:
    ho = HeadOffice(faulty_pg.new_database())
    branch = make_branch()
    add_events(branch, 1200)
    commits = {"n": 0}
    stops_before = faulty_pg.stops

    @event.listens_for(ho.engine, "commit")
    def kill_on_every_third_commit(conn: Any) -> None:  # runs just before COMMIT is sent: the batch is in flight
        commits["n"] += 1
        if commits["n"] % 3 == 0 and faulty_pg.stops - stops_before < 4:
            faulty_pg.stop()

    restarts: list[float] = []

    def sleep_then_restart(delay: float) -> None:  # the backoff wait: the server comes back meanwhile
        restarts.append(delay)
        faulty_pg.start()

    report = retry_sync(branch, ho, attempts=20, base_delay=0.01, max_delay=0.05, sleep=sleep_then_restart,
                        batch_size=100)
    assert faulty_pg.stops - stops_before == 4 and len(restarts) >= 4
    # 1200 actions + the SYNC_FAILED event(s) the failures left, all sent
    assert report.ok and report.pending == 0 and report.acked_seq == report.local_seq > 1200
    event.remove(ho.engine, "commit", kill_on_every_third_commit)
    assert_exact_copy(ho, branch, branch_events)
    ho.close()


def test_server_down_between_runs_records_error_then_recovers(faulty_pg: Any, make_branch: Any, add_events: Any,
                                                              branch_events: Any) -> None:
    ho = HeadOffice(faulty_pg.new_database())
    branch = make_branch()
    add_events(branch, 50)
    faulty_pg.stop()
    try:
        down = sync_once(branch, ho)
    finally:
        faulty_pg.start()
    assert not down.ok and down.retryable and sync_status(branch).last_error
    up = sync_once(branch, ho)
    assert up.ok and up.acked_seq == 51 and sync_status(branch).last_error is None  # + the SYNC_FAILED event
    assert_exact_copy(ho, branch, branch_events)
    ho.close()


class LosesAcknowledgements:
    """Head office commits, then the connection drops before the branch hears back (the first `n` calls)."""

    def __init__(self, real: HeadOffice, n: int) -> None:
        self.real, self.n, self.calls = real, n, 0

    def apply_batch(self, branch_id: str, events: list[dict[str, Any]]) -> ApplyResult:
        self.calls += 1
        result = self.real.apply_batch(branch_id, events)
        if self.calls <= self.n:
            raise UpstreamError("본점 응답이 끊겼습니다", "connection lost after head office committed")
        return result

    def close(self) -> None:
        self.real.close()


def test_connection_lost_after_upstream_commit_before_local_ack(pg_url: str, make_branch: Any, add_events: Any,
                                                                branch_events: Any) -> None:
    ho = HeadOffice(pg_url)
    branch = make_branch()
    add_events(branch, 300)
    lossy = LosesAcknowledgements(ho, n=3)
    report = retry_sync(branch, lossy, attempts=10, sleep=lambda _d: None, batch_size=100)
    assert report.ok and report.acked_seq == 301  # + the SYNC_FAILED event of the first lost ack
    assert lossy.calls > 3
    assert_exact_copy(ho, branch, branch_events)
    ho.close()


# (these two also run against the embedded SQLite head office: `ho_url` is parametrised)
def test_same_batch_sent_twice(ho_url: str, make_branch: Any, add_events: Any, branch_events: Any) -> None:
    from teller.services.sync import event_payload

    ho = HeadOffice(ho_url)
    branch = make_branch()
    add_events(branch, 80)
    batch = [event_payload(e) for e in branch_events(branch)]
    first = ho.apply_batch("0815", batch)
    second = ho.apply_batch("0815", batch)
    assert (first.inserted, first.duplicates) == (80, 0)
    assert (second.watermark, second.inserted, second.duplicates, second.refused_reason) == (80, 0, 80, None)
    assert sync_once(branch, ho).ok  # the branch's own sync agrees with what was pushed by hand
    assert_exact_copy(ho, branch, branch_events)
    ho.close()


def test_branches_and_terminals_syncing_at_once(ho_url: str, make_branch: Any, add_events: Any,
                                                branch_events: Any) -> None:
    ho = HeadOffice(ho_url)
    a, b = make_branch("0815"), make_branch("0816")
    add_events(a, 400)
    add_events(b, 300)
    errors: list[BaseException] = []

    def run(branch: Any) -> None:
        try:
            for _ in range(3):
                report = retry_sync(branch, ho, attempts=5, sleep=lambda _d: None, batch_size=37)
                assert report.error is None, report.error
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    # two threads per branch: two terminals of one branch race on the same head-office row
    threads = [threading.Thread(target=run, args=(br,)) for br in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for branch in (a, b):
        sync_once(branch, ho)  # drain the SYNC summaries
        assert_exact_copy(ho, branch, branch_events)
    assert ho.incidents() == []
    ho.close()


def test_tamper_after_sync_on_postgres(pg_url: str, make_branch: Any, add_events: Any,
                                      rewrite_history: Any) -> None:
    ho = HeadOffice(pg_url)
    branch = make_branch()
    add_events(branch, 25)
    assert sync_once(branch, ho).ok
    rewrite_history(branch, seq=10)  # deep in synced history
    add_events(branch, 2)
    report = sync_once(branch, ho)
    assert not report.ok and not report.retryable and "tamper" in (report.error or "")
    assert "tamper" in (sync_status(branch).last_error or "")
    [incident] = ho.incidents("0815")
    # found at the overlap event (the last acknowledged, seq 25): recomputing the chain changed its hash too
    assert incident.kind == "tamper" and incident.seq == 25
    assert ho.branch_status("0815").watermark == 25  # unchanged
    assert ho.verify_branch("0815") == (True, 25, None)
    ho.close()
