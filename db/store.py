"""`SqlBranchStore`: the `teller.ports.BranchStore` adapter over SQLite (embedded default) or PostgreSQL.

    store = open_store(settings)            # creates the home dir, migrates to head
    with store.unit_of_work() as uow:       # one business transaction (SQLite: BEGIN IMMEDIATE)
        uow.customers.add(...)
        uow.audit.append(draft)
        uow.commit()                        # leaving the block without commit rolls back
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, exc, select

from db.engine import DEFAULT_BUSY_TIMEOUT_MS, make_engine, make_session_factory, sqlite_file
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
from teller.audit_chain import GENESIS, VerifiedRun, canonical_json
from teller.config import Settings
from teller.domain import AuditEvent
from teller.errors import StorageError, UnreadableAuditEvent


_SQLITE_AUDIT_BATCH = (
    "SELECT branch_id, seq, event_id, at, terminal_id, staff_id, action, result, customer_ref, subject, details, "
    "prev_hash, hash FROM audit_events WHERE branch_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)

# The canonical content of each event (teller.audit_chain.canonical_content) rendered by SQLite, but for the
# details: `head` is the object of the keys before "details", `tail` that of the keys after it, in canonical
# (sorted) order; json_object quotes text as json.dumps(ensure_ascii=False) does (`_renders_like_python` checks
# the SQLite linked). Python joins head[:-1] + ',"details":' + the canonical details + ',' + tail[1:] (cheaper
# than SQLite's own string functions). The raw columns after them let `_fast_checked` confirm that
# `_sqlite_batch` would decode the row to exactly these bytes.
_SQLITE_AUDIT_RENDERED = (
    "SELECT CAST(json_object('action', action, 'at', replace(at, ' ', 'T') || 'Z', 'branch_id', branch_id, "
    "'customer_ref', customer_ref) AS BLOB), "
    "CAST(json_object('event_id', event_id, 'result', result, 'seq', seq, 'staff_id', staff_id, "
    "'subject', subject, 'terminal_id', terminal_id) AS BLOB), "
    "details, at, event_id, prev_hash, hash, seq "
    "FROM audit_events WHERE branch_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)
_SQLITE_AUDIT_HEAD = (
    "SELECT seq FROM audit_events WHERE branch_id = ? AND seq <= 9223372036854775807 ORDER BY seq DESC LIMIT 1"
)
# The form UTCDateTime stores on SQLite (naive UTC, always with microseconds), the one form for which `_utc` +
# `_utc_iso` give back the stored text with "T" and "Z" (what SQLite renders): a year from 1000 (strftime does
# not pad %Y), field values in range; days 29-31 are also checked against the calendar (`_real_day`).
_AT = r"[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]) (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}"
_STORED_AT = re.compile(_AT)
_STORED_ATS = re.compile(f"(?:{_AT}\n)*{_AT}")  # a batch's values joined by newlines: one regex call per batch
_AT_LEN = 26
# details text → ',"details":' + canonical details + ','. Trails repeat a few texts ({} above all); bounded
# so that unique ones do not grow it.
_DETAILS_CACHE: dict[str, bytes] = {}
_DETAILS_CACHE_MAX = 4096
_HELPER_MIN_ROWS = 200_000  # below this, starting the helper process costs more than it saves
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Every ASCII character (controls, quote, backslash, DEL) and non-ASCII ones json.dumps leaves alone.
_QUOTE_PROBE = "".join(map(chr, range(0x80))) + "\u00e9\u2028\u2029\ud55c\ufeff\U0001f600"


@functools.lru_cache(maxsize=1024)
def _real_day(day: str) -> bool:
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True


def _stored_at_prefix(ats: list[Any]) -> int:
    """How many leading values are in UTCDateTime's stored form (`_AT`, a real day)."""
    try:
        block = "\n".join(ats)
    except TypeError:  # not all text
        block = ""
    # n matches of _AT, 26 characters each, in 27n - 1 characters: no value holds a newline, each is one match
    if ats and len(block) == (_AT_LEN + 1) * len(ats) - 1 and _STORED_ATS.fullmatch(block):
        if "-29 " not in block and "-30 " not in block and "-31 " not in block:
            return len(ats)
        if all(_real_day(day) for day in {at[:10] for at in ats if at[8:10] > "28"}):
            return len(ats)
    n = 0
    for at in ats:
        if type(at) is not str or not _STORED_AT.fullmatch(at) or (at[8:10] > "28" and not _real_day(at[:10])):
            break
        n += 1
    return n


def _canonical_details(text: object) -> bytes | None:
    """The canonical bytes of the details as `_sqlite_batch` decodes them; None where that decoding or the
    encoding fails (the batch then goes through `_sqlite_batch` and `verify_chain`, which fail the same way)."""
    if type(text) is not str:
        return None
    try:
        return canonical_json({} if text == "{}" else json.loads(text))
    except Exception:  # noqa: BLE001 - whatever it is, the decoding path reproduces it
        return None


def _utf8(*parts: bytes) -> bool:
    try:
        for part in parts:
            part.decode("utf-8")
    except UnicodeDecodeError:  # the driver refuses such text columns when `_sqlite_batch` reads them
        return False
    return True


def _fast_checked(rows: Sequence[Sequence[Any]], seq: int, prev: str) -> int:
    """How many leading rows (of `_SQLITE_AUDIT_RENDERED`) continue the chain from (seq, prev) and hash to their
    stored hash. A row counts only if `_sqlite_batch` would decode it to the very bytes hashed here, so each
    verdict is the one `verify_chain` gives on the decoded event; the first row that fails any test ends the run."""
    good_at = _stored_at_prefix([row[3] for row in rows])
    try:
        digest = bytes.fromhex(prev)
    except ValueError:
        return 0
    sha256, cache = hashlib.sha256, _DETAILS_CACHE
    n = 0
    for head, tail, details, _at, event_id, prev_hash, own_hash, row_seq in rows[:good_at]:
        if row_seq != seq or prev_hash != prev or head is None or tail is None:
            break
        if type(event_id) is not str or len(event_id) != 32:  # other forms are normalised by uuid.UUID
            break
        middle = cache.get(details)
        if middle is None:
            body = _canonical_details(details)
            if body is None:
                break
            if len(cache) >= _DETAILS_CACHE_MAX:
                cache.clear()
            middle = cache[details] = b',"details":' + body + b","
        if not (head.isascii() and tail.isascii()) and not _utf8(head, tail):
            break
        digest = sha256(digest + head[:-1] + middle + tail[1:]).digest()  # digest == fromhex(prev_hash)
        if digest.hex() != own_hash:
            break
        prev = own_hash
        seq += 1
        n += 1
    return n


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

    def iter_audit_checked(self, batch: int = 5000, *,
                           helper_min_rows: int = _HELPER_MIN_ROWS) -> Iterator[AuditEvent | VerifiedRun]:
        """`iter_audit()` for chain verification (`teller.services.audit.verify_audit_chain`).

        On SQLite, SQLite renders each batch's canonical bytes; a batch whose rows all hash right comes back as
        one `VerifiedRun`. A batch with any other row is re-read in the same read transaction by `_sqlite_batch`
        (raising as `iter_audit` would) and its rows from the first such one come back as events, for
        `verify_chain` to judge. Batches are the keyset batches of `iter_audit`, so verdicts, errors and the
        first bad seq are the same. On a file with at least `helper_min_rows` events a helper process checks
        batches from the top down meanwhile (`_Helper`). PostgreSQL: `iter_audit()`.
        """
        if self.engine.dialect.name != "sqlite":
            yield from self.iter_audit(batch=batch)
            return
        helper = self._start_helper(batch, helper_min_rows)
        try:
            seq, prev, last = 1, GENESIS, 0
            while True:
                done = None if helper is None else helper.done.get(last)
                if (done is not None and seq == last + 1 and done.first_prev == prev
                        and done.last_seq == last + done.rows):
                    helper.stop()  # it is below us now: let it not compete for the CPU
                    yield VerifiedRun(seq, prev, done.last_seq, done.last_hash)
                    seq, prev, last = done.last_seq + 1, done.last_hash, done.last_seq
                    if done.rows < batch:
                        return
                    continue
                unreadable: UnreadableAuditEvent | None = None
                try:
                    with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
                        conn.begin()  # the deferred BEGIN, before the driver cursor reads
                        rows = self._rendered_batch(conn, last, batch)
                        fast = 0 if rows is None else _fast_checked(rows, seq, prev)
                        try:
                            events = (None if rows is not None and fast == len(rows)
                                      else self._sqlite_batch(conn, last, batch))
                        except UnreadableAuditEvent as bad:
                            unreadable, events = bad, bad.before
                except exc.SQLAlchemyError as error:
                    raise storage_error(error) from None
                if fast:
                    assert rows is not None
                    run = VerifiedRun(seq, prev, rows[fast - 1][-1], rows[fast - 1][-2])
                    yield run
                    seq, prev = run.last_seq + 1, run.last_hash
                if events is None:
                    assert rows is not None
                    if len(rows) < batch:
                        return
                    last = rows[-1][-1]
                    continue
                for event in events[fast:]:
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
            _DETAILS_CACHE.clear()  # keep no audit details in memory past the verification

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

    def _rendered_batch(self, conn: Connection, after_seq: int, batch: int) -> list[tuple[Any, ...]] | None:
        """One batch of `_SQLITE_AUDIT_RENDERED`; None where SQLite cannot render it (e.g. a BLOB in a text
        column) or renders text differently from Python. Read through the driver's cursor, inside the
        connection's transaction: result rows would cost about as much as the hashing."""
        if self._renders_like_python is None:
            self._renders_like_python = _renders_like_python(conn.connection.dbapi_connection)
        if not self._renders_like_python:
            return None
        cursor = conn.connection.cursor()
        try:
            cursor.execute(_SQLITE_AUDIT_RENDERED, (self.branch_id, after_seq, batch))
            return cursor.fetchall()
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


def _renders_like_python(dbapi_connection: Any) -> bool:
    """Whether this SQLite's json_object writes text, NULL and integers exactly as canonical_json does."""
    try:
        rendered = dbapi_connection.execute("SELECT json_object('i', ?, 'n', NULL, 's', ?)",
                                            (-(2 ** 62), _QUOTE_PROBE)).fetchone()[0]
    except sqlite3.Error:
        return False
    return bool(rendered == canonical_json({"i": -(2 ** 62), "n": None, "s": _QUOTE_PROBE}).decode("utf-8"))


@dataclass(frozen=True, slots=True)
class _HelperBatch:
    rows: int
    first_prev: str
    last_seq: int
    last_hash: str


class _Helper:
    """A second process (`_helper_main`) checking keyset batches from the top of the trail down with
    `_fast_checked`, while `iter_audit_checked` goes up: about half the time on two cores, and nothing waits for
    it. It reports only batches whose every row passed, each linked to its own first prev_hash;
    `iter_audit_checked` takes one only where that prev_hash is the hash it has reached, and checks any other
    batch itself. Started with `-I` on this interpreter; reads the file read-only."""

    def __init__(self, path: Path, branch_id: str, batch: int, top: int) -> None:
        self.done: dict[int, _HelperBatch] = {}  # keyset position (after_seq) → batch that passed
        root = str(Path(__file__).resolve().parent.parent)
        args = json.dumps([str(path), branch_id, batch, top])
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _HELPER_COMMAND, root, args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, name="audit-verify-helper", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                after, rows, first_prev, last_seq, last_hash = line.split()
                batch = _HelperBatch(int(rows), first_prev, int(last_seq), last_hash)
            except ValueError:
                return
            if not (_HEX64.fullmatch(first_prev) and _HEX64.fullmatch(last_hash)):
                return
            self.done[int(after)] = batch

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._reader.join()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


_HELPER_COMMAND = "import sys; sys.path.insert(0, sys.argv[1]); from db.store import _helper_main; _helper_main()"


def _helper_main() -> None:
    """The helper process: one line per batch that passed, "after_seq rows first_prev last_seq last_hash"."""
    path, branch_id, batch, top = json.loads(sys.argv[2])
    try:
        conn = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True, isolation_level=None,
                               timeout=DEFAULT_BUSY_TIMEOUT_MS / 1000)
        if not _renders_like_python(conn):
            return
        for k in range(top, -1, -1):
            rows = conn.execute(_SQLITE_AUDIT_RENDERED, (branch_id, k * batch, batch)).fetchall()
            first_prev = rows[0][5] if rows else None
            # first_prev is checked against the chain by the parent; here it only has to be a hash
            if (type(first_prev) is str and _HEX64.fullmatch(first_prev)
                    and _fast_checked(rows, k * batch + 1, first_prev) == len(rows)):
                print(k * batch, len(rows), first_prev, rows[-1][-1], rows[-1][-2], flush=True)
    except (sqlite3.Error, OSError):  # the parent checks what is left itself
        return


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
