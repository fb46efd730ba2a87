"""Tamper evidence: change the audit trail behind the store's back with raw SQL, then run the real
`teller audit verify` in a subprocess. It must exit non-zero naming the first bad sequence number."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from db.models import AuditEventRow
from db.store import SqlBranchStore
from teller.audit_chain import canonical_content, chain_hash

from .conftest import BRANCH, T0, append_events

N = 10


def _build(db_url: str, tmp_path: Path) -> tuple[SqlBranchStore, Path, dict[str, str]]:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELLER_")}
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{home / 'teller.db'}"
    else:
        url = db_url
        env["TELLER_DB_URL"] = url
    store = SqlBranchStore(url, BRANCH)
    store.migrate()
    append_events(store, N)
    return store, home, env


def _verify(home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", "--home", str(home), "audit", "verify"],
                          capture_output=True, text=True, env=env, timeout=120)


def _sql(store: SqlBranchStore, *statements: str) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def _forge_insert(store: SqlBranchStore) -> None:
    """An insider who knows the algorithm slips a well-chained event in after seq 4."""
    table = AuditEventRow.__table__
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET seq = seq + 1000 WHERE seq > 4"))
        conn.execute(sa.text("UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000"))
        prev = conn.execute(sa.select(table.c.hash).where(table.c.seq == 4)).scalar_one()
        fields = dict(branch_id=BRANCH, seq=5, event_id=uuid.uuid4().hex, at=T0, terminal_id="T09", staff_id="s9",
                      action="revoke", result="ok", customer_ref=None, subject="forged", details={})
        conn.execute(table.insert().values(**fields, prev_hash=prev,
                                           hash=chain_hash(prev, canonical_content(**fields))))


def _edit_record(store: SqlBranchStore, seq: int, old: str, new: str) -> None:
    """Rewrite the stored record bytes of one event (the hash no longer covers them)."""
    if store.engine.dialect.name == "sqlite":
        edited = f"CAST(replace(CAST(record AS TEXT), '{old}', '{new}') AS BLOB)"
    else:
        edited = f"convert_to(replace(convert_from(record, 'UTF8'), '{old}', '{new}'), 'UTF8')"
    _sql(store, f"UPDATE audit_events SET record = {edited} WHERE seq = {seq}")


def _garble_record(store: SqlBranchStore, seq: int) -> None:
    garbage = "x'7b'" if store.engine.dialect.name == "sqlite" else "'\\x7b'::bytea"
    _sql(store, f"UPDATE audit_events SET record = {garbage} WHERE seq = {seq}")


TAMPERS: dict[str, tuple[Callable[[SqlBranchStore], None], int]] = {
    "modify record": (lambda s: _edit_record(s, 5, '"result":"ok"', '"result":"no"'), 5),
    "record not JSON": (lambda s: _garble_record(s, 7), 7),
    "modify column and record alike": (lambda s: (_edit_record(s, 5, '"result":"ok"', '"result":"no"'),
                                                  _sql(s, "UPDATE audit_events SET result = 'no' WHERE seq = 5")), 5),
    "modify an older event (no record)": (lambda s: _sql(s, "UPDATE audit_events SET record = NULL",
                                                          "UPDATE audit_events SET result = 'x' WHERE seq = 8"), 8),
    "modify result": (lambda s: _sql(s, "UPDATE audit_events SET result = 'refused' WHERE seq = 5"), 5),
    "modify staff": (lambda s: _sql(s, "UPDATE audit_events SET staff_id = 's9999' WHERE seq = 1"), 1),
    "modify hash": (lambda s: _sql(s, f"UPDATE audit_events SET hash = '{'f' * 64}' WHERE seq = {N}"), N),
    "delete middle": (lambda s: _sql(s, "DELETE FROM audit_events WHERE seq = 6"), 6),
    "delete first": (lambda s: _sql(s, "DELETE FROM audit_events WHERE seq = 1"), 1),
    "insert forged": (_forge_insert, 6),
    "reorder": (lambda s: _sql(s, "UPDATE audit_events SET seq = -1 WHERE seq = 3",
                               "UPDATE audit_events SET seq = 3 WHERE seq = 4",
                               "UPDATE audit_events SET seq = 4 WHERE seq = -1"), 3),
    "delete acknowledged tail": (lambda s: _sql(s, f"UPDATE sync_state SET acked_seq = {N}",
                                                f"DELETE FROM audit_events WHERE seq = {N}"), N),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tampering_is_found_at_the_right_seq(db_url: str, tmp_path: Path, name: str) -> None:
    store, home, env = _build(db_url, tmp_path)
    tamper, bad_seq = TAMPERS[name]
    tamper(store)
    store.dispose()
    result = _verify(home, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"seq {bad_seq} " in result.stderr
    assert "Traceback" not in result.stderr
    assert "정상" not in result.stdout


def test_untouched_trail_verifies_and_the_check_is_audited(db_url: str, tmp_path: Path) -> None:
    store, home, env = _build(db_url, tmp_path)
    first = _verify(home, env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"감사 기록 무결성 확인: {N}건 정상 (intact)"
    second = _verify(home, env)  # the verification event itself is chained and checked next time
    assert second.returncode == 0 and f"{N + 1}건 정상" in second.stdout
    with store.unit_of_work() as uow:
        last = uow.audit.get(N + 2)
    store.dispose()
    assert last is not None and last.action == "audit_verified" and last.staff_id is None
    assert last.details == {"checked": N + 1, "head_seq": N + 1}


SQLITE_GARBAGE = {  # SQLite stores what it is given: a row overwritten with values that do not even decode
    "garbage time": ("UPDATE audit_events SET at = 'garbage' WHERE seq = 3", 3),
    "garbage details": ("UPDATE audit_events SET details = '{not json' WHERE seq = 4", 4),
    "garbage event id": ("UPDATE audit_events SET event_id = 'x' WHERE seq = 7", 7),
}


@pytest.mark.parametrize("name", list(SQLITE_GARBAGE))
def test_an_undecodable_row_is_a_break_at_its_seq_not_a_crash(tmp_path: Path, name: str) -> None:
    store, home, env = _build("sqlite://", tmp_path)
    statement, bad_seq = SQLITE_GARBAGE[name]
    _sql(store, statement)
    store.dispose()
    result = _verify(home, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"seq {bad_seq} " in result.stderr and "unreadable" in result.stderr
    assert "Traceback" not in result.stderr
