"""sync_once / retry_sync / sync_status / SyncWorker against a real SQLite branch store and SQLite head office."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from db.headoffice import HeadOffice, make_upstream
from teller.domain import Action, SyncState
from teller.errors import UpstreamError
from teller.services.sync import ApplyResult, SyncWorker, backoff_delays, retry_sync, sync_once, sync_status


@pytest.fixture
def ho(tmp_path: Any) -> HeadOffice:
    office = HeadOffice(f"sqlite:///{tmp_path / 'ho.db'}")
    yield office
    office.close()


def test_sync_pushes_everything_in_batches_and_acks(make_branch: Any, add_events: Any, branch_events: Any,
                                                     ho: HeadOffice) -> None:
    branch = make_branch()
    add_events(branch, 1234)
    report = sync_once(branch, ho, batch_size=100)
    assert report.ok and (report.sent, report.acked_seq, report.local_seq, report.pending) == (1234, 1234, 1234, 0)
    assert ho.events("0815") == branch_events(branch)[:1234]
    status = sync_status(branch)
    # the run appended one SYNC summary: itself pending, to go next time
    assert (status.local_seq, status.acked_seq, status.pending, status.last_error) == (1235, 1234, 1, None)
    assert status.last_success is not None
    assert branch_events(branch)[-1].action == Action.SYNC.value


def test_sync_summary_does_not_feed_itself(make_branch: Any, add_events: Any, ho: HeadOffice) -> None:
    branch = make_branch()
    add_events(branch, 3)
    sync_once(branch, ho)  # 3 real events → one SYNC summary
    second = sync_once(branch, ho)  # sends only the SYNC summary → no new summary
    third = sync_once(branch, ho)
    assert (second.sent, second.pending) == (1, 0)
    assert (third.sent, third.local_seq, third.pending) == (0, 4, 0)
    assert ho.verify_branch("0815") == (True, 4, None)


def test_max_batches_stops_early_and_keeps_progress(make_branch: Any, add_events: Any, ho: HeadOffice) -> None:
    branch = make_branch()
    add_events(branch, 250)
    report = sync_once(branch, ho, batch_size=100, max_batches=2)
    assert (report.acked_seq, report.pending) == (200, 50)
    assert sync_status(branch).acked_seq == 200


def test_lost_local_ack_resend_is_duplicate(make_branch: Any, add_events: Any, ho: HeadOffice) -> None:
    branch = make_branch()
    add_events(branch, 40)
    sync_once(branch, ho)
    with branch.store.unit_of_work() as uow:  # as if the acknowledgement was never stored
        uow.branch.set_sync_state(SyncState(acked_seq=0))
        uow.commit()
    report = sync_once(branch, ho)
    assert report.ok and report.acked_seq == 41
    assert ho.verify_branch("0815") == (True, 41, None)
    assert [e.seq for e in ho.events("0815")] == list(range(1, 42))


class Unreachable:
    def __init__(self) -> None:
        self.calls = 0

    def apply_batch(self, branch_id: str, events: list[dict[str, Any]]) -> ApplyResult:
        self.calls += 1
        raise UpstreamError("본점에 연결할 수 없습니다", "head office unreachable")

    def close(self) -> None:
        pass


def test_connection_failure_is_recorded_retried_with_backoff_and_audited_once(make_branch: Any, add_events: Any,
                                                                             branch_events: Any) -> None:
    branch = make_branch()
    add_events(branch, 5)
    upstream = Unreachable()
    slept: list[float] = []
    report = retry_sync(branch, upstream, attempts=4, base_delay=1.0, max_delay=3.0, sleep=slept.append,
                        rand=lambda: 1.0)
    assert upstream.calls == 4 and slept == [1.0, 2.0, 3.0]  # doubling, capped
    assert not report.ok and report.retryable and report.acked_seq == 0
    status = sync_status(branch)
    assert status.last_error is not None and "unreachable" in status.last_error and status.last_success is None
    failures = [e for e in branch_events(branch) if e.action == Action.SYNC_FAILED.value]
    assert len(failures) == 1  # one audit event per distinct error, not per retry


def test_full_jitter_stays_within_the_cap() -> None:
    delays = backoff_delays(8, 0.5, 10.0)
    caps = [min(10.0, 0.5 * 2 ** i) for i in range(8)]
    assert all(0 <= d <= c for d, c in zip(delays, caps))


def test_gap_refusal_is_not_retried_then_heals(make_branch: Any, add_events: Any, ho: HeadOffice) -> None:
    branch = make_branch()
    add_events(branch, 5)
    sync_once(branch, ho)  # head office holds 1..5; the SYNC summary (6) is local only
    add_events(branch, 4)  # local 7..10
    with branch.store.unit_of_work() as uow:  # a wrong local ack: 6 and 7 never reached head office
        uow.branch.set_sync_state(SyncState(acked_seq=8))
        uow.commit()
    slept: list[float] = []
    report = retry_sync(branch, ho, attempts=5, sleep=slept.append)
    assert not report.ok and not report.retryable and slept == []
    assert report.error is not None and "gap" in report.error
    assert report.acked_seq == 5 and sync_status(branch).acked_seq == 5  # head office's watermark is the truth
    assert [i.kind for i in ho.incidents("0815")] == ["gap"]
    healed = sync_once(branch, ho)
    assert healed.ok and healed.acked_seq == 11  # 10 + the SYNC_FAILED event the refusal left
    assert ho.verify_branch("0815") == (True, 11, None)


def test_branch_behind_head_office_is_an_error(make_branch: Any, add_events: Any, ho: HeadOffice) -> None:
    original = make_branch()
    add_events(original, 5)
    assert sync_once(original, ho).ok
    replaced = make_branch()  # same branch id, empty database (e.g. restored from an old backup)
    report = sync_once(replaced, ho)
    assert not report.ok and not report.retryable and "restored" in (report.error or "")
    assert sync_status(replaced).acked_seq == 0
    assert ho.branch_status("0815").watermark == 5


def test_tamper_after_sync_is_detected_and_shown(make_branch: Any, add_events: Any, rewrite_history: Any,
                                                 ho: HeadOffice) -> None:
    branch = make_branch()
    add_events(branch, 20)
    assert sync_once(branch, ho).ok
    rewrite_history(branch, seq=5)
    report = sync_once(branch, ho)  # nothing new pending: the overlap event alone reveals the rewrite
    assert not report.ok and not report.retryable and report.error is not None and "tamper" in report.error
    [incident] = ho.incidents("0815")
    assert incident.kind == "tamper"
    assert ho.branch_status("0815").tamper_detected_at is not None
    assert "tamper" in (sync_status(branch).last_error or "")
    # more actions and syncs: still refused, head office's copy unchanged, one incident row counting repeats
    add_events(branch, 3)
    assert not sync_once(branch, ho).ok
    assert ho.verify_branch("0815")[0] is True
    assert len(ho.incidents("0815")) == 1


def test_worker_syncs_in_background_and_survives_errors(make_branch: Any, add_events: Any, ho: HeadOffice) -> None:
    branch = make_branch()
    add_events(branch, 30)

    class Flaky:
        calls = 0
        closed = False

        def apply_batch(self, branch_id: str, events: list[dict[str, Any]]) -> ApplyResult:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("a bug in an adapter must not kill the thread")
            return ho.apply_batch(branch_id, events)

        def close(self) -> None:
            Flaky.closed = True

    seen = threading.Event()
    worker = SyncWorker(branch, Flaky, interval_s=3600,
                        on_status=lambda s: seen.set() if s.acked_seq >= 30 else None)
    worker.start()
    try:
        for _ in range(3):
            worker.wake()
            if seen.wait(20):
                break
    finally:
        worker.stop()
    assert seen.is_set()
    assert worker.status is not None and worker.status.acked_seq >= 30
    assert ho.verify_branch("0815")[0]
    assert Flaky.closed  # the worker closes the connection it opened


def test_cli_sync_and_status_with_embedded_head_office(make_branch: Any, add_events: Any, capsys: Any,
                                                       monkeypatch: Any, rewrite_history: Any) -> None:
    from cli import main

    for var in ("TELLER_UPSTREAM_URL", "TELLER_DB_URL", "TELLER_BRANCH_ID", "TELLER_HOME"):
        monkeypatch.delenv(var, raising=False)
    branch = make_branch()
    add_events(branch, 12)
    home = str(branch.settings.home)
    assert main(["--home", home, "sync", "--once"]) == 0
    assert "12" in capsys.readouterr().out
    assert main(["--home", home, "sync", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out.strip())
    assert status["acked_seq"] == 12 and status["local_seq"] == 13 and status["pending"] == 1
    assert status["last_error"] is None and status["last_success"]
    office = make_upstream(branch.settings)  # the embedded stand-in at <home>/headoffice.db
    assert office.verify_branch("0815") == (True, 12, None)
    # tamper → `sync --once` fails with one line, `sync status` shows the error
    rewrite_history(branch, seq=2)
    assert main(["--home", home, "sync", "--once"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "tamper" in err
    assert main(["--home", home, "sync", "status", "--json"]) == 0
    assert "tamper" in json.loads(capsys.readouterr().out)["last_error"]


def test_cli_unreachable_head_office_is_one_line(make_branch: Any, add_events: Any, capsys: Any, monkeypatch: Any,
                                                 tmp_path: Any) -> None:
    from cli import main

    branch = make_branch()
    add_events(branch, 2)
    # a PostgreSQL head office whose socket directory has no server
    monkeypatch.setenv("TELLER_UPSTREAM_URL", f"postgresql+psycopg://postgres@/ho?host={tmp_path}")
    assert main(["--home", str(branch.settings.home), "--lang", "en", "sync", "--once"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "head-office" in err and "Traceback" not in err
