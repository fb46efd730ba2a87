"""`SqlBranchStore`: the `teller.ports.BranchStore` adapter over SQLite (embedded default) or PostgreSQL.

    store = open_store(settings)            # creates the home dir, migrates to head
    with store.unit_of_work() as uow:       # one business transaction (SQLite: BEGIN IMMEDIATE)
        uow.customers.add(...)
        uow.audit.append(draft)
        uow.commit()                        # leaving the block without commit rolls back
"""

from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, exc, select

from db.engine import make_engine, make_session_factory, sqlite_file
from db.repositories import (
    AUDIT_COLUMNS,
    T_AUDIT,
    Db,
    SqlApprovalRepository,
    SqlAuditRepository,
    SqlBranchRepository,
    SqlCertificateRepository,
    SqlCustomerRepository,
    SqlReceiptRepository,
    SqlStaffRepository,
    audit_event,
    storage_error,
)
from db.fast_verify import (
    _AS_STORED,
    _DETAILS_CACHE,
    _HELPER_MIN_ROWS,
    _SQLITE_AUDIT_BATCH_RENDERED,
    _SQLITE_AUDIT_HEAD,
    _batch_checked,
    _Helper,
    _renders_like_python,
    _steady_malloc,
)
from teller.audit_chain import GENESIS, VerifiedRun
from teller.config import Settings
from teller.domain import AuditEvent
from teller.errors import StorageError, UnreadableAuditEvent


_SQLITE_AUDIT_BATCH = (
    "SELECT branch_id, seq, event_id, at, terminal_id, staff_id, action, result, customer_ref, subject, details, "
    "prev_hash, hash FROM audit_events WHERE branch_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)

def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _sqlite_event(row: Any) -> AuditEvent:
    """One row of `_SQLITE_AUDIT_BATCH` decoded as `_sqlite_batch` does (its slow path, to find a bad row)."""
    b, seq, eid, at, term, staff, action, result, cref, subj, details, prev, h = row
    return AuditEvent(b, seq, eid if len(eid) == 32 else uuid.UUID(eid).hex, _utc(at), term, staff, action, result,
                      cref, subj, {} if details == "{}" else json.loads(details), prev, h)


class SqlUnitOfWork:
    """Repositories sharing one session and one database transaction."""

    def __init__(self, store: "SqlBranchStore") -> None:
        self._session = store.session_factory()
        db = Db(self._session, store.branch_id)
        self.branch = SqlBranchRepository(db)
        self.staff = SqlStaffRepository(db)
        self.customers = SqlCustomerRepository(db)
        self.certificates = SqlCertificateRepository(db)
        self.approvals = SqlApprovalRepository(db)
        self.audit = SqlAuditRepository(db)
        self.receipts = SqlReceiptRepository(db)
        self._committed = False

    def __enter__(self) -> "SqlUnitOfWork":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc_value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if not self._committed:
                self.rollback()
        finally:
            self._session.close()

    def commit(self) -> None:
        try:
            self._session.commit()
        except exc.SQLAlchemyError as error:
            self._safe_rollback()
            raise storage_error(error) from None
        self._committed = True

    def rollback(self) -> None:
        self._safe_rollback()

    def _safe_rollback(self) -> None:
        try:
            self._session.rollback()
        except exc.SQLAlchemyError:  # the connection is already gone: nothing was committed
            pass


class SqlBranchStore:
    def __init__(self, url: str, branch_id: str, *, busy_timeout_ms: int | None = None) -> None:
        self.url = url
        self.branch_id = branch_id
        try:
            self.engine: Engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        except (exc.SQLAlchemyError, ImportError, ValueError) as error:
            raise StorageError(f"지점 데이터베이스 주소가 잘못되었습니다: {error}",
                               f"invalid branch database URL: {error}") from None
        self.session_factory = make_session_factory(self.engine)
        self._renders_like_python: bool | None = None  # SQLite json_object vs json.dumps, probed on first use

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self)

    def migrate(self) -> None:
        from db.migrate import upgrade_to_head  # here: Alembic is a third of this module's import time (helper)

        try:
            upgrade_to_head(self.engine)
        except exc.SQLAlchemyError as error:
            raise storage_error(error) from None
        except (OSError, RuntimeError) as error:
            raise StorageError(f"지점 데이터베이스를 갱신할 수 없습니다: {error}",
                               f"branch database migration failed: {error}") from None

    def iter_audit(self, after_seq: int = 0, batch: int = 5000) -> Iterator[AuditEvent]:
        """Every event oldest first, keyset batches, each in its own short read transaction (SQLite: a
        deferred BEGIN, so terminals keep appending meanwhile)."""
        fetch = self._sqlite_batch if self.engine.dialect.name == "sqlite" else self._core_batch
        last = after_seq
        while True:
            try:
                with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
                    events = fetch(conn, last, batch)
            except exc.SQLAlchemyError as error:
                raise storage_error(error) from None
            except UnreadableAuditEvent as bad:
                yield from bad.before  # what precedes it is judged first (an earlier break is the first break)
                raise
            yield from events
            if len(events) < batch:
                return
            last = events[-1].seq

    def iter_audit_checked(self, batch: int = 2000, *,
                           helper_min_rows: int = _HELPER_MIN_ROWS) -> Iterator[AuditEvent | VerifiedRun]:
        """`iter_audit()` for chain verification (`teller.services.audit.verify_audit_chain`).

        On SQLite, SQLite renders each batch (the events with seq in (last, last + batch]); a batch whose events
        all continue the chain and hash right comes back as one `VerifiedRun` (`db.fast_verify._batch_checked`).
        Any other batch is read in the same read transaction by `_sqlite_batch` (the keyset batch of
        `iter_audit`, raising as it would) and comes back as events, for `verify_chain` to judge; so verdicts,
        errors and the first bad seq are the same. On a file with at least `helper_min_rows` events a helper
        process checks batches from the top down meanwhile (`_Helper`). PostgreSQL: `iter_audit()`.

        Batches of 2000 events: about a megabyte of strings each, which glibc is asked to reuse from batch to
        batch (`_steady_malloc`).
        """
        if self.engine.dialect.name != "sqlite":
            yield from self.iter_audit(batch=batch)
            return
        helper = self._start_helper(batch, helper_min_rows)
        _steady_malloc(True)
        try:
            seq, prev, last = 1, GENESIS, 0
            while True:
                done = None if helper is None else helper.done.get(last)
                if (done is not None and seq == last + 1 and done.first_prev == prev
                        and done.last_seq == last + done.rows):
                    helper.stop()  # it is below us now: let it not compete for the CPU
                    yield VerifiedRun(seq, prev, done.last_seq, done.last_hash)
                    seq, prev, last = done.last_seq + 1, done.last_hash, done.last_seq
                    continue
                unreadable: UnreadableAuditEvent | None = None
                events: list[AuditEvent] = []
                try:
                    with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
                        conn.begin()  # the deferred BEGIN, before the driver cursor reads
                        checked = self._checked_batch(conn, last, batch, seq, prev)
                        if checked is None:
                            try:
                                events = self._sqlite_batch(conn, last, batch)
                            except UnreadableAuditEvent as bad:
                                unreadable, events = bad, bad.before
                except exc.SQLAlchemyError as error:
                    raise storage_error(error) from None
                if checked is not None:
                    # a short batch may still have events above a gap: the next window or `_sqlite_batch` says
                    count, last_hash = checked
                    yield VerifiedRun(seq, prev, seq + count - 1, last_hash)
                    seq, prev, last = seq + count, last_hash, last + count
                    continue
                for event in events:
                    yield event  # the consumer stops at a bad one, so past it the chain stands as these say
                    seq, prev = event.seq + 1, event.hash
                if unreadable is not None:
                    raise unreadable
                if len(events) < batch:
                    return
                last = events[-1].seq
        finally:
            if helper is not None:
                helper.stop()
            _steady_malloc(False)
            _DETAILS_CACHE.clear()  # keep no audit details in memory past the verification
            _AS_STORED.clear()

    def _start_helper(self, batch: int, min_rows: int) -> _Helper | None:
        path = sqlite_file(self.engine.url)
        if path is None or not sys.executable or getattr(sys, "frozen", False):  # frozen: not a Python to run
            return None
        try:
            with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
                head = conn.exec_driver_sql(_SQLITE_AUDIT_HEAD, (self.branch_id,)).scalar()
                if self._renders_like_python is None:
                    self._renders_like_python = _renders_like_python(conn.connection.dbapi_connection)
        except exc.SQLAlchemyError:
            return None  # the batches will say what is wrong
        if not self._renders_like_python or not isinstance(head, int) or head < max(min_rows, 2 * batch):
            return None
        try:
            return _Helper(path.resolve(), self.branch_id, batch, (head - 1) // batch)
        except OSError:
            return None

    def _checked_batch(self, conn: Connection, after_seq: int, batch: int, seq: int,
                       prev: str) -> tuple[int, str] | None:
        """`_batch_checked` on the events with seq in (after_seq, after_seq + batch]; None where SQLite cannot
        render them (e.g. a BLOB in a text column), renders text differently from Python, or any event fails.
        Read through the driver's cursor, inside the connection's transaction."""
        if self._renders_like_python is None:
            self._renders_like_python = _renders_like_python(conn.connection.dbapi_connection)
        if not self._renders_like_python or seq != after_seq + 1:  # the seqs come relative to after_seq
            return None
        window = (self.branch_id, after_seq, after_seq + batch)
        cursor = conn.connection.cursor()
        try:
            row = cursor.execute(_SQLITE_AUDIT_BATCH_RENDERED, window).fetchone()
            return _batch_checked(row, prev, lambda sql: cursor.execute(sql, window).fetchone()[0])
        except sqlite3.Error:
            return None
        finally:
            cursor.close()

    def _core_batch(self, conn: Connection, after_seq: int, batch: int) -> list[AuditEvent]:
        stmt = (select(*AUDIT_COLUMNS)
                .where(T_AUDIT.c.branch_id == self.branch_id, T_AUDIT.c.seq > after_seq)
                .order_by(T_AUDIT.c.seq).limit(batch))
        return [audit_event(row) for row in conn.execute(stmt)]

    def _sqlite_batch(self, conn: Connection, after_seq: int, batch: int) -> list[AuditEvent]:
        """Same rows as `_core_batch`, decoded by hand: chain verification maps millions of rows and the
        generic type processors cost several times the hashing itself. The stored forms are the ones the
        column types write on SQLite: naive UTC ISO text, 32-digit hex UUID, JSON text."""
        rows = conn.exec_driver_sql(_SQLITE_AUDIT_BATCH, (self.branch_id, after_seq, batch)).all()
        loads = json.loads
        try:
            return [
                AuditEvent(b, seq, eid if len(eid) == 32 else uuid.UUID(eid).hex, _utc(at), term, staff, action,
                           result, cref, subj, {} if details == "{}" else loads(details), prev, h)
                for (b, seq, eid, at, term, staff, action, result, cref, subj, details, prev, h) in rows
            ]
        except (ValueError, TypeError, AttributeError):  # a row overwritten with garbage: name it
            before: list[AuditEvent] = []
            for row in rows:
                try:
                    before.append(_sqlite_event(row))
                except (ValueError, TypeError, AttributeError) as error:
                    bad = UnreadableAuditEvent(int(row[1]), f"{type(error).__name__}: {error}"[:200])
                    bad.before = before  # the rows before it still go through the chain check first
                    raise bad from None
            raise

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlBranchStore({self.engine.url.render_as_string(hide_password=True)!r}, {self.branch_id!r})"




def open_store(settings: Settings, *, busy_timeout_ms: int | None = None) -> SqlBranchStore:
    """The branch store for these settings: home dir created, schema at head."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(f"데이터 폴더를 만들 수 없습니다: {settings.home} ({error.strerror})",
                           f"cannot create data directory {settings.home}: {error.strerror}") from None
    store = SqlBranchStore(settings.database_url, settings.branch_id, busy_timeout_ms=busy_timeout_ms)
    path = sqlite_file(store.engine.url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    store.migrate()
    return store
