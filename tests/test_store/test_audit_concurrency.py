"""Appends from several threads and processes keep the sequence gap-free and the chain valid."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from db.store import SqlBranchStore
from teller.audit_chain import verify_chain
from teller.domain import Action, AuditDraft

from .conftest import BRANCH, T0

PER_WRITER = 40

APPENDER = """
import sys
from datetime import datetime, timezone
from db.store import SqlBranchStore
from teller.domain import Action, AuditDraft
url, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = SqlBranchStore(url, "0815")
for i in range(n):
    with store.unit_of_work() as uow:
        uow.audit.append(AuditDraft(at=datetime.now(timezone.utc), terminal_id=name, staff_id="s1001",
                                    action=Action.SIGN_IN, result="ok", details={"i": i}))
        uow.branch.next_number("transaction:20261125")
        uow.commit()
store.dispose()
"""


def _check(store: SqlBranchStore, total: int) -> None:
    events = list(store.iter_audit())
    assert [e.seq for e in events] == list(range(1, total + 1))
    assert verify_chain(events)[0] == total
    with store.unit_of_work() as uow:  # the transaction counter moved in step: no lost update either
        assert uow.branch.next_number("transaction:20261125") == total + 1


def test_two_threads_append_without_gaps(store: SqlBranchStore) -> None:
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for i in range(PER_WRITER):
                with store.unit_of_work() as uow:
                    uow.audit.append(AuditDraft(at=T0, terminal_id=name, staff_id="s1001", action=Action.SIGN_IN,
                                                result="ok", details={"i": i}))
                    uow.branch.next_number("transaction:20261125")
                    uow.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"T0{k}",)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _check(store, 2 * PER_WRITER)


def test_two_processes_append_without_gaps(store: SqlBranchStore) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, store.url, f"T0{k}", str(PER_WRITER)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (1, 2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    _check(store, 2 * PER_WRITER)
    terminals = {e.terminal_id for e in store.iter_audit()}
    assert terminals == {"T01", "T02"}


def test_rolled_back_append_leaves_no_gap(store: SqlBranchStore) -> None:
    with store.unit_of_work() as uow:
        uow.audit.append(AuditDraft(at=T0, terminal_id="T01", staff_id=None, action=Action.INIT, result="ok"))
        uow.commit()
    with store.unit_of_work() as uow:  # abandoned
        uow.audit.append(AuditDraft(at=T0, terminal_id="T01", staff_id=None, action=Action.ISSUE, result="ok"))
    with store.unit_of_work() as uow:
        event = uow.audit.append(AuditDraft(at=T0, terminal_id="T01", staff_id=None, action=Action.ISSUE,
                                            result="ok"))
        uow.commit()
    assert event.seq == 2
    assert verify_chain(store.iter_audit())[0] == 2
