"""A database held locked by another process beyond the busy timeout is a StorageError, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.store import SqlBranchStore
from teller.domain import Action, AuditDraft
from teller.errors import StorageError

from .conftest import BRANCH, T0, append_events

HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO counters (name, value) VALUES ('held', 1)")
print("locked", flush=True)
sys.stdin.read()  # hold the lock until the test closes our stdin
conn.rollback()
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    store = SqlBranchStore(f"sqlite:///{h / 'teller.db'}", BRANCH)
    store.migrate()
    append_events(store, 3)
    store.dispose()
    return h


@pytest.fixture
def lock_holder(home: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(home / "teller.db")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    try:
        yield proc
    finally:
        proc.communicate(timeout=30)


def test_store_reports_a_locked_database(home: Path, lock_holder: subprocess.Popen[str]) -> None:
    store = SqlBranchStore(f"sqlite:///{home / 'teller.db'}", BRANCH, busy_timeout_ms=200)
    with pytest.raises(StorageError) as caught:
        with store.unit_of_work() as uow:
            uow.audit.append(AuditDraft(at=T0, terminal_id="T01", staff_id="s1", action=Action.ISSUE, result="ok"))
            uow.commit()
    assert caught.value.message.startswith("지점 데이터베이스를 사용할 수 없습니다")
    assert "locked" in caught.value.message_en
    store.dispose()


def test_lock_released_in_time_is_waited_for(home: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(home / "teller.db")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    store = SqlBranchStore(f"sqlite:///{home / 'teller.db'}", BRANCH)  # default 10 s busy timeout
    import threading

    threading.Timer(0.3, lambda: proc.communicate(timeout=30)).start()
    with store.unit_of_work() as uow:  # BEGIN IMMEDIATE waits for the other terminal, then proceeds
        event = uow.audit.append(AuditDraft(at=T0, terminal_id="T01", staff_id="s1", action=Action.ISSUE,
                                            result="ok"))
        uow.commit()
    assert event.seq == 4
    store.dispose()


def test_cli_prints_a_korean_error_when_locked(home: Path, lock_holder: subprocess.Popen[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELLER_")}
    env["TELLER_DB_URL"] = f"sqlite:///{home / 'teller.db'}?busy_timeout=200"
    result = subprocess.run([sys.executable, "-m", "cli", "--home", str(home), "audit", "verify"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert "지점 데이터베이스를 사용할 수 없습니다" in result.stderr
    assert "Traceback" not in result.stderr
