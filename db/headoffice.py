"""Head office: the schema that receives every branch's audit trail, and the batch apply (the `Upstream` adapter).

Invariant: for each branch, `ho_events` holds exactly seq 1..watermark, every hash re-verified on arrival from
the stored chain head. A batch is applied in ONE transaction with the branch row locked (`SELECT … FOR UPDATE`
on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so two terminals of a branch syncing at once serialise and the
second sees the first's events as duplicates.

- A resent event (same seq, same event_id, same hash) is a duplicate: counted, ignored.
- A resent event whose content differs from what head office holds = the branch rewrote synced history: tamper.
- A batch that does not continue the stored chain (prev_hash ≠ stored head) = tamper.
- A gap (seq jumps) = refused and reported; the contiguous, verified prefix before it is applied.
- A payload carrying a secret (details key like "rrn"/"password", or a full RRN value) = refused.
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
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
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

from teller.audit_chain import GENESIS, ChainBreak, event_hash, verify_chain
from teller.config import Settings
from teller.domain import AuditEvent
from teller.errors import UpstreamError
from teller.services.sync import ApplyResult, payload_event

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

EVENT_FIELDS = (
    "branch_id", "seq", "event_id", "at", "terminal_id", "staff_id", "action", "result", "customer_ref",
    "subject", "details", "prev_hash", "hash",
)

# Details keys that would carry a secret; compared after lower-casing and dropping "-"/"_".
FORBIDDEN_DETAIL_KEYS = frozenset({
    "rrn", "residentnumber", "residentregistrationnumber", "jumin", "password", "passwd", "pwd", "pin",
    "certpassword", "privatekey", "signpri", "secret", "secretkey", "key", "keypassword", "passphrase",
})
# A full resident number: YYMMDD-GNNNNNN (masked values have "*" and never match).
_FULL_RRN = re.compile(r"(?<!\d)\d{6}-?[1-8]\d{6}(?!\d)")


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


class _Refusal(Exception):
    def __init__(self, kind: str, seq: int | None, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.seq, self.detail = kind, seq, detail


def _now() -> datetime:
    return datetime.now(timezone.utc)


@lru_cache(maxsize=4096)
def _forbidden_key(key: str) -> bool:
    return key.lower().replace("_", "").replace("-", "") in FORBIDDEN_DETAIL_KEYS


def secret_in_details(details: Any, path: str = "details") -> str | None:
    """Where a payload's details would leak a secret (forbidden key or full RRN value), else None."""
    if isinstance(details, dict):
        for key, value in details.items():
            if _forbidden_key(str(key)):
                return f"{path}.{key}"
            if isinstance(value, (dict, list, tuple)) or (isinstance(value, str) and _FULL_RRN.search(value)):
                found = secret_in_details(value, f"{path}.{key}")
                if found:
                    return found
    elif isinstance(details, (list, tuple)):
        for i, value in enumerate(details):
            found = secret_in_details(value, f"{path}[{i}]")
            if found:
                return found
    elif isinstance(details, str) and _FULL_RRN.search(details):
        return path
    return None


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
                raise UpstreamError(f"{ko}: {detail}", f"{en}: {detail}", code="upstream_unreachable") from exc
            raise

    def _record_incident(self, branch_id: str, refusal: _Refusal) -> None:
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
            incoming = self._parse(branch_id, events)
            with self._translate("본점에 연결할 수 없습니다", "head office unreachable"):
                with self.engine.begin() as conn:  # a _Refusal raised inside rolls the whole batch back
                    watermark, head = self._lock_branch(conn, branch_id)
                    duplicates, new = self._check_duplicates(conn, branch_id, watermark, incoming)
                    prefix, last_hash, gap = self._verified_prefix(new, watermark, head)
                    if prefix:
                        watermark = self._insert_prefix(conn, branch_id, watermark, prefix, last_hash)
        except _Refusal as refusal:
            return self._refuse(branch_id, refusal)
        reason = None
        if gap is not None:  # the prefix is committed; the rest waits for the missing event
            reason = f"{gap.kind}: {gap.detail}"
            with self._translate("본점에 보고할 수 없습니다", "cannot report to head office"):
                self._record_incident(branch_id, gap)
        return ApplyResult(watermark, len(prefix), duplicates, reason)

    def _refuse(self, branch_id: str, refusal: _Refusal) -> ApplyResult:
        with self._translate("본점에 보고할 수 없습니다", "cannot report to head office"):
            self._record_incident(branch_id, refusal)
            return ApplyResult(self.branch_status(branch_id).watermark, 0, 0, f"{refusal.kind}: {refusal.detail}")

    def _insert_prefix(
        self, conn: Connection, branch_id: str, watermark: int, prefix: list[AuditEvent], last_hash: str
    ) -> int:
        now = _now()
        if self._dialect == "postgresql":
            _copy_insert_ignore(conn, prefix, now)
        else:
            rows = [_row(e, now) for e in prefix]
            for start in range(0, len(rows), INSERT_CHUNK):
                conn.execute(self._insert_ignore(ho_events), rows[start:start + INSERT_CHUNK])
        new_watermark = prefix[-1].seq
        stored = conn.execute(
            select(func.count()).select_from(ho_events).where(
                ho_events.c.branch_id == branch_id, ho_events.c.seq > watermark,
                ho_events.c.seq <= new_watermark)).scalar_one()
        if stored != len(prefix):  # insert-or-ignore skipped a row: its event_id is already held elsewhere
            raise _Refusal("tamper", prefix[0].seq, "event_id already held by another event")
        conn.execute(update(ho_branches).where(ho_branches.c.branch_id == branch_id)
                     .values(watermark=new_watermark, head_hash=last_hash, last_received_at=now))
        return new_watermark

    def _parse(self, branch_id: str, events: list[dict[str, Any]]) -> list[AuditEvent]:
        parsed: list[AuditEvent] = []
        for payload in events:
            seq = payload.get("seq") if isinstance(payload, dict) else None
            missing = [f for f in EVENT_FIELDS if not isinstance(payload, dict) or f not in payload]
            if missing:
                raise _Refusal("refused", seq, f"event without {', '.join(missing)}")
            if payload["branch_id"] != branch_id:
                raise _Refusal("refused", seq, f"event of branch {payload['branch_id']} in a batch of {branch_id}")
            leak = secret_in_details(payload["details"])
            if leak:
                raise _Refusal("refused", seq, f"payload carries a secret at {leak}")
            for text_field in ("staff_id", "customer_ref", "subject"):
                if isinstance(payload[text_field], str) and _FULL_RRN.search(payload[text_field]):
                    raise _Refusal("refused", seq, f"payload carries a secret in {text_field}")
            try:
                parsed.append(payload_event(payload))
            except (TypeError, ValueError) as exc:
                raise _Refusal("refused", seq, f"malformed event: {exc}") from None
        parsed.sort(key=lambda e: e.seq)
        unique: list[AuditEvent] = []
        for e in parsed:  # the same event twice in one batch is harmless; two versions of one seq are not
            if unique and unique[-1].seq == e.seq:
                if (unique[-1].event_id, unique[-1].hash) != (e.event_id, e.hash):
                    raise _Refusal("tamper", e.seq, "two different events with the same seq in one batch")
                continue
            unique.append(e)
        return unique

    def _check_duplicates(
        self, conn: Connection, branch_id: str, watermark: int, incoming: list[AuditEvent]
    ) -> tuple[int, list[AuditEvent]]:
        """Events at or below the watermark must be byte-identical to what is held (compared by hash, which the
        incoming content must also match). Returns (duplicates, events above the watermark)."""
        old = [e for e in incoming if e.seq <= watermark]
        new = [e for e in incoming if e.seq > watermark]
        if old:
            held = {
                r.seq: (r.event_id, r.hash)
                for r in conn.execute(
                    select(ho_events.c.seq, ho_events.c.event_id, ho_events.c.hash).where(
                        ho_events.c.branch_id == branch_id,
                        ho_events.c.seq.between(old[0].seq, old[-1].seq)))
            }
            for e in old:
                if held.get(e.seq) != (e.event_id, e.hash) or event_hash(e) != e.hash:
                    raise _Refusal("tamper", e.seq, "already synced event differs from head office's copy "
                                                    "(branch history rewritten)")
        return len(old), new

    @staticmethod
    def _verified_prefix(
        new: list[AuditEvent], watermark: int, head: str
    ) -> tuple[list[AuditEvent], str, _Refusal | None]:
        """The longest prefix of `new` that continues the stored chain; the refusal for the rest, if any."""
        if not new:
            return [], head, None
        try:
            _, last = verify_chain(new, start_seq=watermark + 1, start_prev_hash=head)
            return new, last, None
        except ChainBreak as brk:
            prefix = [e for e in new if e.seq < brk.seq]
            last = prefix[-1].hash if prefix else head
            by_seq = {e.seq: e for e in new}
            if brk.seq not in by_seq or brk.why.startswith("expected seq"):
                return prefix, last, _Refusal("gap", brk.seq, f"missing event seq {brk.seq} ({brk.why})")
            if brk.seq == watermark + 1 and brk.why.startswith("prev_hash"):
                why = "batch does not continue head office's chain (branch history rewritten)"
            else:
                why = brk.why
            raise _Refusal("tamper", brk.seq, why) from None

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

    def incidents(self, branch_id: str | None = None) -> list[Incident]:
        query = select(ho_incidents).order_by(ho_incidents.c.id)
        if branch_id is not None:
            query = query.where(ho_incidents.c.branch_id == branch_id)
        with self._translate("본점에 연결할 수 없습니다", "head office unreachable"):
            with self.engine.connect() as conn:
                return [Incident(r.branch_id, r.kind, r.seq, r.detail, r.detected_at, r.last_seen_at, r.count)
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
                    if not rows:
                        break
                    try:
                        last_seq, last_hash = verify_chain((_event(branch_id, r) for r in rows),
                                                           start_seq=last_seq + 1, start_prev_hash=last_hash)
                    except ChainBreak as brk:
                        bad, last_seq = brk.seq, brk.seq - 1  # last_seq: the verified head
                        break
            if bad is None and (last_seq, last_hash) != (status.watermark, status.head_hash):
                bad = min(last_seq, status.watermark) + 1
            if bad is not None:
                self._record_incident(branch_id, _Refusal("tamper", bad, "head office copy does not verify"))
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
