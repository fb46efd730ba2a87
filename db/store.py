"""`SqlBranchStore`: the `teller.ports.BranchStore` adapter over SQLite (embedded default) or PostgreSQL.

    store = open_store(settings)            # creates the home dir, migrates to head
    with store.unit_of_work() as uow:       # one business transaction (SQLite: BEGIN IMMEDIATE)
        uow.customers.add(...)
        uow.audit.append(draft)
        uow.commit()                        # leaving the block without commit rolls back
"""

from __future__ import annotations

import bisect
import hashlib
import json
import uuid
from collections.abc import Generator, Iterator, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, exc, select, text

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
from db.audit_records import LINKS, mismatches
from teller.audit_chain import GENESIS, VerifiedRun
from teller.config import Settings
from teller.domain import AuditEvent
from teller.errors import StorageError, UnreadableAuditEvent


_SQLITE_AUDIT_BATCH = (
    "SELECT branch_id, seq, event_id, at, terminal_id, staff_id, action, result, customer_ref, subject, details, "
    "prev_hash, hash, record FROM audit_events WHERE branch_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)

def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _sqlite_event(row: Any) -> AuditEvent:
    """One row of `_SQLITE_AUDIT_BATCH` decoded as `_sqlite_batch` does (its slow path, to find a bad row)."""
    b, seq, eid, at, term, staff, action, result, cref, subj, details, prev, h, record = row
    return AuditEvent(b, seq, eid if len(eid) == 32 else uuid.UUID(eid).hex, _utc(at), term, staff, action, result,
                      cref, subj, {} if details == "{}" else json.loads(details), prev, h, _record(record))


def _record(value: object) -> bytes | None:
    if value is None or type(value) is bytes:
        return value
    raise TypeError(f"record is {type(value).__name__}, not bytes")


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

    def iter_audit_checked(self, batch: int = 5000) -> Generator[AuditEvent | VerifiedRun, None, None]:
        """`iter_audit()` for chain verification (`teller.services.audit.verify_audit_chain`), same verdicts.

        One consistency query first finds the seqs whose columns do not match their stored records. Then each
        keyset batch of (seq, prev_hash, hash, record) whose events all carry records and are none of those, continue
        the chain and hash right over their stored bytes comes back as one `VerifiedRun`; any other batch is
        read again decoded, in the same read transaction, as events for `verify_chain` to judge (events written
        before revision 0004 have no record and always go that way).
        """
        flagged = self._mismatches()
        seq, prev, last = 1, GENESIS, 0
        while True:
            unreadable: UnreadableAuditEvent | None = None
            events: list[AuditEvent] = []
            run: tuple[int, str] | None = None
            try:
                with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
                    conn.begin()  # one read transaction for the links and, if needed, the decoded batch
                    links = conn.execute(text(LINKS), {"branch": self.branch_id, "after": last, "n": batch}).all()
                    run = _hashed_run(links, seq, prev, flagged)
                    if run is None:
                        try:
                            events = self._batch(conn, last, batch)
                        except UnreadableAuditEvent as bad:
                            unreadable, events = bad, bad.before
            except exc.SQLAlchemyError as error:
                raise storage_error(error) from None
            if run is not None:
                count, last_hash = run
                yield VerifiedRun(seq, prev, seq + count - 1, last_hash)
                seq, prev, last = seq + count, last_hash, last + count
                if count < batch:
                    return
                continue
            for event in events:
                yield event  # the consumer stops at a bad one, so past it the chain stands as these say
                seq, prev = event.seq + 1, event.hash
            if unreadable is not None:
                raise unreadable
            if len(events) < batch:
                return
            last = events[-1].seq

    def _mismatches(self) -> list[int] | None:
        """The seqs whose columns do not match their records, in order; None (trust no batch) where the query
        fails, e.g. on PostgreSQL for a record that is no longer JSON."""
        try:
            with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
                return [int(s) for (s,) in conn.execute(text(mismatches(self.engine.dialect.name)),
                                                        {"branch": self.branch_id})]
        except (exc.DBAPIError, TypeError, ValueError):  # TypeError, ValueError: a seq that is not a number
            return None

    def _batch(self, conn: Connection, after_seq: int, batch: int) -> list[AuditEvent]:
        if self.engine.dialect.name == "sqlite":
            return self._sqlite_batch(conn, after_seq, batch)
        return self._core_batch(conn, after_seq, batch)

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
                           result, cref, subj, {} if details == "{}" else loads(details), prev, h, _record(record))
                for (b, seq, eid, at, term, staff, action, result, cref, subj, details, prev, h, record) in rows
            ]
        except (ValueError, TypeError, AttributeError):  # a row overwritten with garbage: name it
            before: list[AuditEvent] = []
            for row in rows:
                try:
                    before.append(_sqlite_event(row))
                except (ValueError, TypeError, AttributeError) as error:
                    raise UnreadableAuditEvent(int(row[1]), f"{type(error).__name__}: {error}"[:200],
                                               before) from None
            raise

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlBranchStore({self.engine.url.render_as_string(hide_password=True)!r}, {self.branch_id!r})"




def _hashed_run(links: Sequence[Any], seq: int, prev: str, flagged: list[int] | None) -> tuple[int, str] | None:
    """(count, last hash) when these (seq, prev_hash, hash, record) rows are seq, seq + 1, …, none of them
    `flagged`, each carrying record bytes, linked to `prev` and each other, each hash SHA-256 over the previous
    hash and its record; None otherwise (the decoding path then names the first bad event)."""
    if not links or flagged is None:
        return None
    at = bisect.bisect_left(flagged, seq)
    if at < len(flagged) and flagged[at] < seq + len(links):
        return None
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    try:
        for expected, (s, p, h, record) in enumerate(links, seq):
            if s != expected or p != prev or type(record) is not bytes:
                return None
            if sha256(fromhex(p) + record).hexdigest() != h:
                return None
            prev = h
    except (TypeError, ValueError):  # a hash column that is not hex text
        return None
    return len(links), prev


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
