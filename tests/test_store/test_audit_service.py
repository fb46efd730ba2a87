"""teller.services.audit over the real store: chain report, paging, exports, retention; and the export CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from db.store import SqlBranchStore
from teller.config import load_settings
from teller.domain import Action, AuditFilter
from teller.errors import ValidationError
from teller.services.audit import (
    audit_page,
    export_audit,
    record_export,
    retention_cutoff,
    verify_audit_chain,
)

from .conftest import BRANCH, T0, append_events, draft


def _fill(store: SqlBranchStore) -> None:
    with store.unit_of_work() as uow:
        for i in range(1, 31):
            uow.audit.append(draft(i, staff="s1" if i % 2 else "s2",
                                   action=Action.REVOKE if i % 5 == 0 else Action.ISSUE,
                                   at=T0 + timedelta(hours=i), customer="c7" if i in (3, 4) else None))
        uow.commit()


def test_chain_report_and_progress(store: SqlBranchStore) -> None:
    assert verify_audit_chain(store).ok  # empty trail is intact
    _fill(store)
    seen: list[int] = []
    report = verify_audit_chain(store, seen.append, every=7)
    assert (report.ok, report.head_seq, report.bad_seq, report.checked) == (True, 30, None, 30)
    assert seen == [7, 14, 21, 28, 30]
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET subject = 'x' WHERE seq = 12"))
    broken = verify_audit_chain(store)
    assert (broken.ok, broken.bad_seq, broken.head_seq) == (False, 12, 11)
    assert "seq 12" in broken.summary_ko()


def test_audit_page_walks_newest_first(store: SqlBranchStore) -> None:
    _fill(store)
    flt = AuditFilter(staff_id="s2", action="issue")
    seqs: list[int] = []
    before = None
    while page := audit_page(store, flt, before, limit=4):
        seqs += [e.seq for e in page]
        before = page[-1].seq
    assert seqs == [i for i in range(30, 0, -1) if i % 2 == 0 and i % 5 != 0]


def test_export_jsonl_and_csv_with_filters(store: SqlBranchStore) -> None:
    _fill(store)
    flt = AuditFilter(since=T0 + timedelta(hours=10), until=T0 + timedelta(hours=20), action="revoke")
    out = io.StringIO()
    assert export_audit(store, flt, "jsonl", out) == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["seq"] for r in lines] == [10, 15]  # oldest first; until is exclusive (seq 20 is out)
    assert lines[0]["details"]["rrn"] == "900101-1******"
    assert datetime.fromisoformat(lines[0]["at"]) == T0 + timedelta(hours=10)

    out = io.StringIO()
    assert export_audit(store, AuditFilter(customer_ref="c7"), "csv", out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["seq"] for r in rows] == ["3", "4"] and rows[0]["customer_ref"] == "c7"
    assert json.loads(rows[0]["details"])["이름"] == "홍길동"
    with pytest.raises(ValidationError):
        export_audit(store, AuditFilter(), "xml", io.StringIO())


def test_csv_cells_cannot_become_formulas(store: SqlBranchStore) -> None:
    with store.unit_of_work() as uow:
        d = draft(1)
        d.subject = "=HYPERLINK(\"http://x\")"
        uow.audit.append(d)
        uow.commit()
    out = io.StringIO()
    export_audit(store, AuditFilter(), "csv", out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["subject"].startswith("'=")


def test_export_is_recorded(store: SqlBranchStore) -> None:
    _fill(store)
    event = record_export(store, AuditFilter(staff_id="s1"), "csv", 15, terminal_id="T02", staff_id=None, at=T0)
    assert (event.seq, event.action, event.terminal_id) == (31, "audit_exported", "T02")
    assert event.details == {"format": "csv", "count": 15, "filter": {"staff_id": "s1"}}
    assert verify_audit_chain(store).ok


def test_retention_cutoff(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert retention_cutoff(settings, now) == now - timedelta(days=settings.audit_retention_days)
    assert retention_cutoff(settings, now) <= datetime(2021, 11, 26, tzinfo=timezone.utc)  # at least 5 years


def test_export_cli_writes_the_file_and_audits_itself(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    store = SqlBranchStore(f"sqlite:///{home / 'teller.db'}", BRANCH)
    store.migrate()
    append_events(store, 5, staff="s1")
    with store.unit_of_work() as uow:
        uow.audit.append(draft(6, staff="s2", at=T0 + timedelta(days=1)))  # 2026-11-26 10:00 KST
        uow.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELLER_")}
    target = tmp_path / "audit.csv"
    cmd = [sys.executable, "-m", "cli", "--home", str(home), "audit", "export", "--format", "csv",
           "--since", "2026-11-25", "--until", "2026-11-25", "--staff", "s1", "--out", str(target)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [r["seq"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert not list(tmp_path.glob(".audit.csv.*"))  # no temporary file left behind
    with store.unit_of_work() as uow:
        last = uow.audit.get(7)
    store.dispose()
    assert last is not None and last.action == "audit_exported" and last.details["count"] == 5

    bad = subprocess.run(cmd[:-1] + [str(tmp_path / "missing-dir" / "x.csv")], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    bad_date = subprocess.run(cmd[:10] + ["2026-02-30"], capture_output=True, text=True, env=env, timeout=120)
    assert bad_date.returncode == 1 and "날짜" in bad_date.stderr


def test_floats_in_details_survive_every_database(store: SqlBranchStore) -> None:
    """PostgreSQL's JSONB rewrites numbers (1e16 → 10000000000000000): the chain would then break on an intact
    trail. Floats are kept as text, so both databases read back what was hashed."""
    from dataclasses import replace

    with store.unit_of_work() as uow:
        event = uow.audit.append(replace(draft(1), details={"big": 1e16, "small": 0.1, "nested": [{"x": -0.0}],
                                                           "count": 3}))
        uow.commit()
    assert event.details == {"big": "1e+16", "small": "0.1", "nested": [{"x": "-0.0"}], "count": 3}
    report = verify_audit_chain(store)
    assert report.ok, report
    with store.unit_of_work() as uow:
        assert uow.audit.get(1).details == event.details
