"""Head office: the schema that receives every branch's audit trail, and the batch apply (the `Upstream` adapter).

Invariant: for each branch, `ho_events` holds exactly seq 1..watermark, every hash re-verified on arrival from
the stored chain head. A batch is applied in ONE transaction with the branch row locked (`SELECT … FOR UPDATE`
on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so two terminals of a branch syncing at once serialise and the
second sees the first's events as duplicates.

- A resent event (same seq, same event_id, same hash) is a duplicate: counted, ignored.
- A resent event whose content differs from what head office holds = the branch rewrote synced history: tamper.
- A batch that does not continue the stored chain (prev_hash ≠ stored head) = tamper.
- A gap (seq jumps) = refused and reported; the contiguous, verified prefix before it is applied.
- An event carrying a secret (details key like "rrn"/"password", or a structurally valid resident number in a
  text field) is quarantined: `ho_quarantine` keeps its seq, event_id, prev_hash and hash (never its content),
  the watermark moves past it and the events behind it are applied.
The verdicts are pure functions in `teller.headoffice.rules`; this module only stores what they decide.
Every refusal writes an `ho_incidents` row (repeats of the same incident bump its count) in its own
transaction, and leaves the watermark where it was.

Why no Alembic here: the head-office database is a different database with a different owner than the branch
database, whose Alembic history belongs to the branch schema. Putting these tables in that history would create
them in every branch file. Version 1 is created idempotently with `create_all` and a `ho_meta` schema-version
row; the first change to this schema should start a separate Alembic branch (its own version table,
`version_table="ho_alembic_version"`) stamped at version 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url

from teller.audit_chain import GENESIS, ChainBreak, VerifiedRun, verify_chain
from teller.config import Settings
from teller.domain import AuditEvent
from teller.errors import ErrorKind, UpstreamError
from teller.headoffice.rules import Refusal, check_resent, parse_batch, split_at_watermark, verified_prefix
from teller.ports import ApplyResult, QuarantinedEvent

SCHEMA_VERSION = "1"
INSERT_CHUNK = 2000  # rows per executemany call


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out. SQLite drops zones and PostgreSQL reads naive values in the session zone, so
    only aware values are accepted and the zone is re-attached on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store UTC with an explicit zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ho_meta = Table(
    "ho_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

ho_events = Table(
    "ho_events",
    metadata,
    Column("branch_id", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("terminal_id", String(64), nullable=False),
    Column("staff_id", String(64)),
    Column("action", String(64), nullable=False),
    Column("result", String(32), nullable=False),
    Column("customer_ref", String(64)),
    Column("subject", String(200)),
    Column("details", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("branch_id", "seq"),
)

ho_branches = Table(
    "ho_branches",
    metadata,
    Column("branch_id", String(32), primary_key=True),
    Column("watermark", BigInteger, nullable=False, default=0),
    Column("head_hash", String(64), nullable=False, default=GENESIS),
    Column("last_received_at", UtcDateTime),
    Column("last_verified_at", UtcDateTime),
    Column("tamper_detected_at", UtcDateTime),
    Column("tamper_detail", Text),
)

# Events head office refused to store (a leaked secret) but keeps in the chain: their place, never their content.
ho_quarantine = Table(
    "ho_quarantine",
    metadata,
    Column("branch_id", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("branch_id", "seq"),
)

ho_incidents = Table(
    "ho_incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("branch_id", String(32), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # gap | tamper | refused
    Column("seq", BigInteger),
    Column("detail", Text, nullable=False),
    Column("detected_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("count", Integer, nullable=False, default=1),
)

@dataclass(frozen=True, slots=True)
class BranchStatus:
    branch_id: str
    watermark: int
    head_hash: str
    last_received_at: datetime | None
    last_verified_at: datetime | None
    tamper_detected_at: datetime | None
    tamper_detail: str | None
    incidents: int


@dataclass(frozen=True, slots=True)
class Incident:
    branch_id: str
    kind: str
    seq: int | None
    detail: str
    detected_at: datetime
    last_seen_at: datetime
    count: int


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _connection_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [sa_exc.OperationalError, sa_exc.InterfaceError]
    try:
        import psycopg

        errors += [psycopg.OperationalError, psycopg.InterfaceError]
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    return tuple(errors)


_CONNECTION_ERRORS = _connection_errors()


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, _CONNECTION_ERRORS):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def make_engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "postgresql":
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        return create_engine(u, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    if u.get_backend_name() != "sqlite":
        raise UpstreamError(f"지원하지 않는 본점 DB 주소입니다: {u.get_backend_name()}",
                            f"unsupported head-office database: {u.get_backend_name()}")
    engine = create_engine(u, connect_args={"timeout": 30.0, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_connection.cursor()
        try:
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # the write lock up front: the SQLite stand-in for the branch-row lock
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class HeadOffice:
    """The `Upstream` adapter over a head-office database (PostgreSQL, or SQLite as the embedded stand-in)."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._dialect = self.engine.dialect.name
        with self._translate("본점 DB를 준비할 수 없습니다", "cannot prepare the head-office database"):
            self._ensure_schema()

    # ------------------------------------------------------------------------------------------ schema

    def _ensure_schema(self) -> None:
        metadata.create_all(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            conn.execute(self._insert_ignore(ho_meta, [{"key": "schema_version", "value": SCHEMA_VERSION}]))
            found = conn.execute(select(ho_meta.c.value).where(ho_meta.c.key == "schema_version")).scalar_one()
        if found != SCHEMA_VERSION:
            raise UpstreamError(f"본점 DB 스키마 버전이 다릅니다 ({found} ≠ {SCHEMA_VERSION})",
                                f"head-office schema version {found}, this code expects {SCHEMA_VERSION}")

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------------------------------ helpers

    def _insert_ignore(self, table: Table, rows: Sequence[dict[str, Any]] | None = None) -> Any:
        ins = postgresql.insert(table) if self._dialect == "postgresql" else sqlite.insert(table)
        if rows is not None:
            ins = ins.values(list(rows))
        return ins.on_conflict_do_nothing()

    @contextmanager
    def _translate(self, ko: str, en: str) -> Iterator[None]:
        """Connection-type failures → UpstreamError (retryable); anything else propagates as a bug."""
        try:
            yield
        except UpstreamError:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
                raise UpstreamError(f"{ko}: {detail}", f"{en}: {detail}", kind=ErrorKind.UPSTREAM_UNREACHABLE) from exc
            raise

    def _record_incident(self, branch_id: str, refusal: Refusal) -> None:
        now = _now()
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(ho_incidents.c.id).where(
                    ho_incidents.c.branch_id == branch_id, ho_incidents.c.kind == refusal.kind,
                    ho_incidents.c.seq == refusal.seq if refusal.seq is not None else ho_incidents.c.seq.is_(None),
                    ho_incidents.c.detail == refusal.detail,
                )
            ).scalar()
            if existing is not None:  # the branch retries every interval: one row, a count
                conn.execute(update(ho_incidents).where(ho_incidents.c.id == existing)
                             .values(count=ho_incidents.c.count + 1, last_seen_at=now))
            else:
                conn.execute(ho_incidents.insert().values(
                    branch_id=branch_id, kind=refusal.kind, seq=refusal.seq, detail=refusal.detail,
                    detected_at=now, last_seen_at=now, count=1))
            if refusal.kind == "tamper":
                conn.execute(self._insert_ignore(ho_branches, [{"branch_id": branch_id, "watermark": 0,
                                                                 "head_hash": GENESIS}]))
                conn.execute(update(ho_branches).where(ho_branches.c.branch_id == branch_id,
                                                       ho_branches.c.tamper_detected_at.is_(None))
                             .values(tamper_detected_at=now))
                conn.execute(update(ho_branches).where(ho_branches.c.branch_id == branch_id)
                             .values(tamper_detail=f"seq {refusal.seq}: {refusal.detail}"))

    def _lock_branch(self, conn: Connection, branch_id: str) -> tuple[int, str]:
        conn.execute(self._insert_ignore(ho_branches, [{"branch_id": branch_id, "watermark": 0,
                                                         "head_hash": GENESIS}]))
        row = conn.execute(
            select(ho_branches.c.watermark, ho_branches.c.head_hash)
            .where(ho_branches.c.branch_id == branch_id).with_for_update()
        ).one()
        return int(row.watermark), str(row.head_hash)

    # ------------------------------------------------------------------------------------------ apply

    def apply_batch(self, branch_id: str, events: list[dict[str, Any]]) -> ApplyResult:
        """Apply one batch in one transaction; return the watermark (the acknowledgement)."""
        try:
            batch = parse_batch(branch_id, events)
            with self._translate("본점에 연결할 수 없습니다", "head office unreachable"):
                with self.engine.begin() as conn:  # a Refusal raised inside rolls the whole batch back
                    watermark, head = self._lock_branch(conn, branch_id)
                    old, new = split_at_watermark(batch.events, watermark)
                    if old:
                        check_resent(old, self._held(conn, branch_id, old[0].seq, old[-1].seq))
                    prefix, last_hash, gap = verified_prefix(new, watermark, head)
                    quarantined = tuple(QuarantinedEvent(e.seq, batch.quarantined[e.seq])
                                        for e in prefix if e.seq in batch.quarantined)
                    if prefix:
                        watermark = self._insert_prefix(conn, branch_id, watermark, prefix, last_hash,
                                                        batch.quarantined)
        except Refusal as refusal:
            return self._refuse(branch_id, refusal)
        reason = None
        if gap is not None:  # the prefix is committed; the rest waits for the missing event
            reason = f"{gap.kind}: {gap.detail}"
            with self._translate("본점에 보고할 수 없습니다", "cannot report to head office"):
                self._record_incident(branch_id, gap)
        return ApplyResult(watermark, len(prefix) - len(quarantined), len(old), reason, quarantined)

    def _refuse(self, branch_id: str, refusal: Refusal) -> ApplyResult:
        with self._translate("본점에 보고할 수 없습니다", "cannot report to head office"):
            self._record_incident(branch_id, refusal)
            return ApplyResult(self.branch_status(branch_id).watermark, 0, 0, f"{refusal.kind}: {refusal.detail}")

    @staticmethod
    def _held(conn: Connection, branch_id: str, first: int, last: int) -> dict[int, tuple[str, str]]:
        """seq → (event_id, hash) of what head office holds or quarantined in [first, last]."""
        held: dict[int, tuple[str, str]] = {}
        for table in (ho_events, ho_quarantine):
            for r in conn.execute(select(table.c.seq, table.c.event_id, table.c.hash).where(
                    table.c.branch_id == branch_id, table.c.seq.between(first, last))):
                held[int(r.seq)] = (r.event_id, r.hash)
        return held

    def _insert_prefix(
        self, conn: Connection, branch_id: str, watermark: int, prefix: list[AuditEvent], last_hash: str,
        quarantined: dict[int, str],
    ) -> int:
        now = _now()
        kept = [e for e in prefix if e.seq not in quarantined]
        if kept:
            if self._dialect == "postgresql":
                _copy_insert_ignore(conn, kept, now)
            else:
                rows = [_row(e, now) for e in kept]
                for start in range(0, len(rows), INSERT_CHUNK):
                    conn.execute(self._insert_ignore(ho_events), rows[start:start + INSERT_CHUNK])
        held_out = [{"branch_id": branch_id, "seq": e.seq, "event_id": e.event_id, "prev_hash": e.prev_hash,
                     "hash": e.hash, "reason": quarantined[e.seq], "received_at": now}
                    for e in prefix if e.seq in quarantined]
        if held_out:
            conn.execute(self._insert_ignore(ho_quarantine), held_out)
        new_watermark = prefix[-1].seq
        stored = sum(conn.execute(
            select(func.count()).select_from(table).where(
                table.c.branch_id == branch_id, table.c.seq > watermark,
                table.c.seq <= new_watermark)).scalar_one() for table in (ho_events, ho_quarantine))
        if stored != len(prefix):  # insert-or-ignore skipped a row: its event_id is already held elsewhere
            raise Refusal("tamper", prefix[0].seq, "event_id already held by another event")
        conn.execute(update(ho_branches).where(ho_branches.c.branch_id == branch_id)
                     .values(watermark=new_watermark, head_hash=last_hash, last_received_at=now))
        return new_watermark

    # ------------------------------------------------------------------------------------------ status

    def branch_status(self, branch_id: str) -> BranchStatus:
        with self._translate("본점에 연결할 수 없습니다", "head office unreachable"):
            with self.engine.connect() as conn:
                row = conn.execute(select(ho_branches).where(ho_branches.c.branch_id == branch_id)).first()
                incidents = conn.execute(select(func.count()).select_from(ho_incidents)
                                         .where(ho_incidents.c.branch_id == branch_id)).scalar_one()
        if row is None:
            return BranchStatus(branch_id, 0, GENESIS, None, None, None, None, int(incidents))
        return BranchStatus(branch_id, int(row.watermark), row.head_hash, row.last_received_at,
                            row.last_verified_at, row.tamper_detected_at, row.tamper_detail, int(incidents))

    def quarantined(self, branch_id: str) -> list[QuarantinedEvent]:
        """The events of a branch head office keeps out of its store, oldest first."""
        query = (select(ho_quarantine.c.seq, ho_quarantine.c.reason).where(ho_quarantine.c.branch_id == branch_id)
                 .order_by(ho_quarantine.c.seq))
        with self._translate("본점에 연결할 수 없습니다", "head office unreachable"):
            with self.engine.connect() as conn:
                return [QuarantinedEvent(int(r.seq), r.reason) for r in conn.execute(query)]

    def incidents(self, branch_id: str | None = None) -> list[Incident]:
        query = select(ho_incidents).order_by(ho_incidents.c.id)
        if branch_id is not None:
            query = query.where(ho_incidents.c.branch_id == branch_id)
        with self._translate("본점에 연결할 수 없습니다", "head office unreachable"):
            with self.engine.connect() as conn:
                return [Incident(r.branch_id, r.kind, r.seq, r.detail, r.detected_at, r.last_seen_at,
                                 r._mapping[ho_incidents.c.count])
                        for r in conn.execute(query)]

    def events(self, branch_id: str, after_seq: int = 0, limit: int = 10_000) -> list[AuditEvent]:
        """Held events of a branch, oldest first (rebuilt as `AuditEvent`s)."""
        query = (select(ho_events).where(ho_events.c.branch_id == branch_id, ho_events.c.seq > after_seq)
                 .order_by(ho_events.c.seq).limit(limit))
        with self._translate("본점에 연결할 수 없습니다", "head office unreachable"):
            with self.engine.connect() as conn:
                return [_event(branch_id, r) for r in conn.execute(query)]

    def verify_branch(self, branch_id: str, *, page: int = 5000) -> tuple[bool, int, int | None]:
        """Re-verify every held event of a branch from genesis: (ok, head seq, first bad seq or None).

        Also checks the stored watermark/head agree with the rows. A failure is recorded as a tamper incident
        (head-office data altered); success stamps `last_verified_at`."""
        status = self.branch_status(branch_id)
        last_seq, last_hash, bad = 0, GENESIS, None
        with self._translate("본점에 연결할 수 없습니다", "head office unreachable"):
            with self.engine.connect() as conn:
                while True:
                    rows = conn.execute(
                        select(ho_events).where(ho_events.c.branch_id == branch_id, ho_events.c.seq > last_seq)
                        .order_by(ho_events.c.seq).limit(page)).all()
                    held_out = select(ho_quarantine).where(ho_quarantine.c.branch_id == branch_id,
                                                           ho_quarantine.c.seq > last_seq)
                    if len(rows) == page:  # the next page starts after this one's last event
                        held_out = held_out.where(ho_quarantine.c.seq < rows[-1].seq)
                    # A quarantined event was hash-checked on arrival: it stands in the chain by prev_hash and hash.
                    chain: list[AuditEvent | VerifiedRun] = [_event(branch_id, r) for r in rows]
                    chain += [VerifiedRun(int(q.seq), q.prev_hash, int(q.seq), q.hash)
                              for q in conn.execute(held_out)]
                    if not chain:
                        break
                    chain.sort(key=lambda e: e.seq if isinstance(e, AuditEvent) else e.first_seq)
                    try:
                        last_seq, last_hash = verify_chain(chain, start_seq=last_seq + 1, start_prev_hash=last_hash)
                    except ChainBreak as brk:
                        bad, last_seq = brk.seq, brk.seq - 1  # last_seq: the verified head
                        break
            if bad is None and (last_seq, last_hash) != (status.watermark, status.head_hash):
                bad = min(last_seq, status.watermark) + 1
            if bad is not None:
                self._record_incident(branch_id, Refusal("tamper", bad, "head office copy does not verify"))
                return False, last_seq, bad
            with self.engine.begin() as conn:
                conn.execute(update(ho_branches).where(ho_branches.c.branch_id == branch_id)
                             .values(last_verified_at=_now()))
        return True, last_seq, None


def make_upstream(settings: Settings) -> HeadOffice:
    """The head office for these settings: `TELLER_UPSTREAM_URL` / `upstream_url`, else the embedded SQLite
    stand-in `<home>/headoffice.db`."""
    url = settings.upstream
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return HeadOffice(url)


_COPY_COLUMNS = ", ".join(c.name for c in ho_events.columns)


def _copy_insert_ignore(conn: Connection, events: list[AuditEvent], received_at: datetime) -> None:
    """PostgreSQL bulk path, same semantics as the executemany one: COPY the batch into a per-connection
    staging table (rows vanish at commit or rollback), then `INSERT … SELECT … ON CONFLICT DO NOTHING` — one
    round trip for the rows instead of one statement per event, inside the batch's transaction."""
    raw = conn.connection.driver_connection  # the psycopg connection of this transaction
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS ho_events_in (LIKE ho_events) ON COMMIT DELETE ROWS")
        with cur.copy(f"COPY ho_events_in ({_COPY_COLUMNS}) FROM STDIN") as copy:
            dumps = json.dumps
            for e in events:
                copy.write_row((e.branch_id, e.seq, e.event_id, e.at, e.terminal_id, e.staff_id, str(e.action),
                                e.result, e.customer_ref, e.subject, dumps(e.details, ensure_ascii=False),
                                e.prev_hash, e.hash, received_at))
        cur.execute(f"INSERT INTO ho_events ({_COPY_COLUMNS}) SELECT {_COPY_COLUMNS} FROM ho_events_in "
                    "ON CONFLICT DO NOTHING")


def _row(e: AuditEvent, received_at: datetime) -> dict[str, Any]:
    return {
        "branch_id": e.branch_id, "seq": e.seq, "event_id": e.event_id, "at": e.at, "terminal_id": e.terminal_id,
        "staff_id": e.staff_id, "action": str(e.action), "result": e.result, "customer_ref": e.customer_ref,
        "subject": e.subject, "details": e.details, "prev_hash": e.prev_hash, "hash": e.hash,
        "received_at": received_at,
    }


def _event(branch_id: str, r: Any) -> AuditEvent:
    return AuditEvent(
        branch_id=branch_id, seq=int(r.seq), event_id=r.event_id, at=r.at, terminal_id=r.terminal_id,
        staff_id=r.staff_id, action=r.action, result=r.result, customer_ref=r.customer_ref, subject=r.subject,
        details=r.details, prev_hash=r.prev_hash, hash=r.hash,
    )
