"""`SqlBranchStore`: the `teller.ports.BranchStore` adapter over SQLite (embedded default) or PostgreSQL.

    store = open_store(settings)            # creates the home dir, migrates to head
    with store.unit_of_work() as uow:       # one business transaction (SQLite: BEGIN IMMEDIATE)
        uow.customers.add(...)
        uow.audit.append(draft)
        uow.commit()                        # leaving the block without commit rolls back
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from types import TracebackType

from sqlalchemy import Connection, Engine, exc, select

from db.engine import make_engine, make_session_factory, sqlite_file
from db.migrate import upgrade_to_head
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
from teller.config import Settings
from teller.domain import AuditEvent
from teller.errors import StorageError


_SQLITE_AUDIT_BATCH = (
    "SELECT branch_id, seq, event_id, at, terminal_id, staff_id, action, result, customer_ref, subject, details, "
    "prev_hash, hash FROM audit_events WHERE branch_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


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
            yield from events
            if len(events) < batch:
                return
            last = events[-1].seq

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
        return [
            AuditEvent(b, seq, eid if len(eid) == 32 else uuid.UUID(eid).hex, _utc(at), term, staff, action,
                       result, cref, subj, {} if details == "{}" else loads(details), prev, h)
            for (b, seq, eid, at, term, staff, action, result, cref, subj, details, prev, h) in rows
        ]

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
