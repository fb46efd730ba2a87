"""Chain verification over stored record bytes (`SqlBranchStore.iter_audit_checked`: SHA-256 over each stored
record, one consistency query of the columns against the records) against the decoding path (`iter_audit` +
`verify_chain`): the same report, first bad seq, `checked` count and errors for awkward contents, for every
column or record changed behind the store's back, and for rows written before records were stored."""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.models import AuditEventRow
from db.store import SqlBranchStore, _utc
from teller.audit_chain import (
    GENESIS,
    VerifiedRun,
    _utc_iso,
    canonical_content,
    canonical_json,
    chain_hash,
    event_content,
    event_hash,
)
from teller.domain import Action, AuditDraft, AuditEvent
from teller.services.audit import ChainReport, verify_audit_chain

from .conftest import T0, draft

N = 12
BATCH = 5  # several keyset batches even for a dozen events


# --------------------------------------------------------------------------------------------- harness


class Decoding:
    """The store as `verify_audit_chain` read it before the fast path: decoded events from `iter_audit`."""

    def __init__(self, store: SqlBranchStore, batch: int = BATCH) -> None:
        self.store, self.batch = store, batch

    def iter_audit_checked(self) -> Iterator[AuditEvent | VerifiedRun]:
        yield from self.store.iter_audit(batch=self.batch)

    def unit_of_work(self) -> Any:
        return self.store.unit_of_work()


class Checked(Decoding):
    """The same store through `iter_audit_checked`, with small batches."""

    def iter_audit_checked(self) -> Iterator[AuditEvent | VerifiedRun]:
        return self.store.iter_audit_checked(self.batch)


Outcome = tuple[str, Any]


def outcome(store: Any, progress: Callable[[int], None] | None = None, every: int = 3) -> Outcome:
    try:
        return "report", verify_audit_chain(store, progress, every=every)
    except Exception as error:  # noqa: BLE001 - errors must match too
        return "error", (type(error).__name__, str(error))


def compare(store: SqlBranchStore, **kw: Any) -> Outcome:
    """Both paths' outcome, asserted equal."""
    old, new = outcome(Decoding(store)), outcome(Checked(store, **kw))
    assert new == old
    return new


def fast_share(store: SqlBranchStore, **kw: Any) -> tuple[int, int]:
    """(events inside VerifiedRuns, events yielded one by one) for an intact trail."""
    runs = singles = 0
    for item in Checked(store, **kw).iter_audit_checked():
        if isinstance(item, VerifiedRun):
            runs += item.count
        else:
            singles += 1
    return runs, singles


def sql(store: SqlBranchStore, statements: str, **params: Any) -> None:
    with store.engine.begin() as conn:
        for statement in statements.split("; "):
            conn.exec_driver_sql(statement, params or ())  # SQLite parses it: ':' inside literals is text


def ok(n: int) -> Outcome:
    return "report", ChainReport(True, n, None, None, n)


def bad(seq: int, why: str) -> Outcome:
    return "report", ChainReport(False, seq - 1, seq, why, seq)  # `checked` counts the bad event too


@dataclass(frozen=True)
class Unreadable:
    seq: int
    error: str


def unreadable(seq: int, error: str) -> Unreadable:
    return Unreadable(seq, error)


CONTENT = "content does not match its hash"
PREV = "prev_hash does not match the previous event"


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlBranchStore]:
    s = SqlBranchStore(f"sqlite:///{tmp_path / 'teller.db'}", "0815")
    s.migrate()
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture
def filled(sqlite_store: SqlBranchStore) -> SqlBranchStore:
    with sqlite_store.unit_of_work() as uow:
        for i in range(1, N + 1):
            uow.audit.append(draft(i))
        uow.commit()
    return sqlite_store


def rechain(store: SqlBranchStore, after_seq: int, prev: str) -> None:
    """Give the events after `after_seq` records of their columns and correct hashes again, starting from `prev`
    (the forger's last step)."""
    events = list(store.iter_audit(after_seq))
    with store.engine.begin() as conn:
        for event in events:
            event.prev_hash = prev
            event.record = event_content(event)
            event.hash = prev = event_hash(event)
            conn.execute(sa.text("UPDATE audit_events SET prev_hash = :p, hash = :h, record = :r WHERE seq = :s"),
                         {"p": event.prev_hash, "h": event.hash, "r": event.record, "s": event.seq})


# ------------------------------------------------------------------------------------ the rendering itself


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_canonical_json_is_what_canonical_content_embeds(value: Any) -> None:
    content = canonical_content(branch_id="b", seq=1, event_id="e", at=T0, terminal_id="t", staff_id=None,
                                action="a", result="r", customer_ref=None, subject=None, details=value)
    assert b',"details":' + canonical_json(value) + b',"event_id":"e",' in content


AWKWARD = ["", '"', "\\", '\\"', "\x00", "\x1f\x7f", "\n\r\t\b\f", "\u2028\u2029", "홍길동", "😀", "\ufeff",
           '{"a":1}', "null", "é", "a'b", "</script>"]
TEXT = st.sampled_from(AWKWARD) | st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@st.composite
def drafts(draw: st.DrawFn) -> AuditDraft:
    at = draw(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 30),
                           timezones=st.just(timezone.utc)))
    if draw(st.booleans()):
        at = at.replace(microsecond=0)
    return AuditDraft(
        at=at, terminal_id=draw(TEXT), staff_id=draw(st.none() | TEXT), action=draw(TEXT), result=draw(TEXT),
        customer_ref=draw(st.none() | TEXT), subject=draw(st.none() | TEXT),
        details=draw(st.dictionaries(st.text(max_size=8), JSON, max_size=5)),
    )


@pytest.fixture(scope="module")
def shared_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('fast') / 'teller.db'}"
    s = SqlBranchStore(url, "0815")
    s.migrate()
    s.dispose()
    return url


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(drafts(), min_size=1, max_size=12))
def test_awkward_events_verify_on_the_fast_path(shared_url: str, events: list[AuditDraft]) -> None:
    store = SqlBranchStore(shared_url, uuid.uuid4().hex[:16])  # a fresh chain in the same file
    try:
        with store.unit_of_work() as uow:
            for d in events:
                uow.audit.append(d)
            uow.commit()
        assert compare(store) == ok(len(events))
        if "\\u0000" not in json.dumps([dataclasses.asdict(d) for d in events], default=str):
            # SQLite's json_extract ends text at a NUL: such events verify on the decoding path instead
            assert fast_share(store) == (len(events), 0)
    finally:
        store.dispose()


@pytest.mark.parametrize("details", [
    {}, {"b": 1, "a": {"d": [1, 2.5, None], "c": "x"}}, {"f": 0.1, "g": 1e16, "h": -0.0, "i": 1e-7, "j": 2**70},
    {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}, {"s": '"\\\x00\x1f\u2028😀홍'}, {"list": []},
    {"": ""}, {"t": True, "n": None},
])
@pytest.mark.parametrize("at", [T0, T0.replace(microsecond=0), datetime(1000, 1, 1, tzinfo=timezone.utc),
                                datetime(2028, 2, 29, 23, 59, 59, 999999, tzinfo=timezone.utc),
                                datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=9)))])
def test_table_of_awkward_details_and_times(sqlite_store: SqlBranchStore, details: dict[str, Any],
                                            at: datetime) -> None:
    with sqlite_store.unit_of_work() as uow:
        for i in range(3):
            uow.audit.append(AuditDraft(at=at, terminal_id="T01", staff_id=None, action="issue", result="ok",
                                        customer_ref=None, subject=None, details=details | {"i": i}))
        uow.commit()
    assert compare(sqlite_store) == ok(3)
    assert fast_share(sqlite_store) == (3, 0)


def test_times_before_year_1000_verify_by_decoding(sqlite_store: SqlBranchStore) -> None:
    # strftime writes year 999 as "999", not as the stored "0999": the consistency query flags it
    with sqlite_store.unit_of_work() as uow:
        for i in range(1, 11):
            uow.audit.append(draft(i, at=datetime(999, 12, 31, tzinfo=timezone.utc) if i == 3 else None))
        uow.commit()
    assert compare(sqlite_store) == ok(10)
    assert fast_share(sqlite_store) == (5, 5)  # batch 1 decoded, batch 2 fast


@pytest.mark.parametrize("dumps", [
    json.dumps,  # what SQLAlchemy's JSON type writes: unsorted keys, spaces, \\u escapes
    lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    lambda v: json.dumps(dict(reversed(list(v.items()))), indent=2),
])
def test_rows_with_any_details_text_verify(sqlite_store: SqlBranchStore, dumps: Callable[[Any], str]) -> None:
    table = AuditEventRow.__table__
    prev = GENESIS
    with sqlite_store.engine.begin() as conn:
        for seq in range(1, N + 1):
            details = {"z": seq, "이름": "홍길동", "a": [1.5, None, "\u2028"], "m": {"y": 1, "b": 2}}
            fields = dict(branch_id="0815", seq=seq, event_id=uuid.uuid4().hex, at=T0 + timedelta(seconds=seq),
                          terminal_id="T01", staff_id="s1", action="issue", result="ok", customer_ref=None,
                          subject=f"tx-{seq}", details=details)
            own = chain_hash(prev, canonical_content(**fields))  # type: ignore[arg-type]
            conn.execute(table.insert().values(**fields, prev_hash=prev, hash=own))
            conn.execute(sa.text("UPDATE audit_events SET details = :d WHERE seq = :s"),
                         {"d": dumps(details), "s": seq})
            prev = own
    assert compare(sqlite_store) == ok(N)
    assert fast_share(sqlite_store) == (0, N)  # rows written without records verify by decoding


# ---------------------------------------------------------------------------------- tampering, column by column


H = "f" * 64
TAMPERS: dict[str, tuple[str, Outcome | str]] = {
    # changed values: both paths find the event
    "action": ("UPDATE audit_events SET action = 'revoke' WHERE seq = 7", bad(7, CONTENT)),
    "at +1us": ("UPDATE audit_events SET at = substr(at, 1, 25) || '1' WHERE seq = 7", bad(7, CONTENT)),
    "branch_id": ("UPDATE audit_events SET branch_id = '9999' WHERE seq = 7",
                  bad(7, "expected seq 7, found 8")),
    "seq 6.5": ("UPDATE audit_events SET seq = 6.5 WHERE seq = 7",
                ("report", ChainReport(False, 5.5, 6.5, "expected seq 7, found 6.5", 7))),  # type: ignore[arg-type]
    "seq text": ("UPDATE audit_events SET seq = 'x' WHERE seq = 7", bad(7, "expected seq 7, found 8")),
    "event_id": (f"UPDATE audit_events SET event_id = '{uuid.uuid4().hex}' WHERE seq = 7", bad(7, CONTENT)),
    "event_id upper": ("UPDATE audit_events SET event_id = upper(event_id) WHERE seq = 7", bad(7, CONTENT)),
    "terminal_id": ("UPDATE audit_events SET terminal_id = 'T02' WHERE seq = 7", bad(7, CONTENT)),
    "staff_id null": ("UPDATE audit_events SET staff_id = NULL WHERE seq = 7", bad(7, CONTENT)),
    "result": ("UPDATE audit_events SET result = 'refused' WHERE seq = 7", bad(7, CONTENT)),
    "customer_ref": ("UPDATE audit_events SET customer_ref = 'c1' WHERE seq = 7", bad(7, CONTENT)),
    "subject": ("UPDATE audit_events SET subject = '\"\\' || char(10) WHERE seq = 7", bad(7, CONTENT)),
    "details value": ("UPDATE audit_events SET details = replace(details, '900101', '900102') WHERE seq = 7",
                      bad(7, CONTENT)),
    "details dropped key": ("UPDATE audit_events SET details = json_remove(details, '$.rrn') WHERE seq = 7",
                            bad(7, CONTENT)),
    "details {}": ("UPDATE audit_events SET details = '{}' WHERE seq = 7", bad(7, CONTENT)),
    "details blob": ("UPDATE audit_events SET details = CAST('{}' AS BLOB) WHERE seq = 7", bad(7, CONTENT)),
    "prev_hash": (f"UPDATE audit_events SET prev_hash = '{H}' WHERE seq = 7",
                  bad(7, PREV)),
    "hash": (f"UPDATE audit_events SET hash = '{H}' WHERE seq = 7", bad(7, CONTENT)),
    "hash of last": (f"UPDATE audit_events SET hash = '{H}' WHERE seq = {N}", bad(N, CONTENT)),
    "delete": ("DELETE FROM audit_events WHERE seq = 7", bad(7, "expected seq 7, found 8")),
    "delete first": ("DELETE FROM audit_events WHERE seq = 1", bad(1, "expected seq 1, found 2")),
    "delete batch end": ("DELETE FROM audit_events WHERE seq = 5", bad(5, "expected seq 5, found 6")),
    "swap": ("UPDATE audit_events SET seq = -1 WHERE seq = 7; UPDATE audit_events SET seq = 7 WHERE seq = 8; "
             "UPDATE audit_events SET seq = 8 WHERE seq = -1", bad(7, PREV)),
    # the same content in another stored form: decoded the same, so intact on both paths
    "at with T": ("UPDATE audit_events SET at = replace(at, ' ', 'T') WHERE seq = 7", ok(N)),
    "at with offset": ("UPDATE audit_events SET at = at || '+00:00' WHERE seq = 7", ok(N)),
    "event_id with dashes": ("UPDATE audit_events SET event_id = substr(event_id, 1, 8) || '-' || "
                             "substr(event_id, 9, 4) || '-' || substr(event_id, 13, 4) || '-' || "
                             "substr(event_id, 17, 4) || '-' || substr(event_id, 21) WHERE seq = 7", ok(N)),
    "details reordered": ("UPDATE audit_events SET details = json_object('이름', '홍길동', 'rrn', "
                          "'900101-1******', 'i', 7) WHERE seq = 7", ok(N)),
    "details escaped": ("UPDATE audit_events SET details = '{\"\\u0069\":7,\"rrn\":\"900101-1******\","
                        "\"이름\":\"\\ud64d\\uae38\\ub3d9\"}' WHERE seq = 7", ok(N)),
    "details duplicate key": ("UPDATE audit_events SET details = '{\"i\": 0, ' || substr(details, 2) "
                              "WHERE seq = 7", ok(N)),
    # stored forms the decoder refuses: a break at that seq on both paths, naming what could not be read
    "at invalid day": ("UPDATE audit_events SET at = '2026-02-30 01:00:00.000000' WHERE seq = 7",
                       unreadable(7, "ValueError")),
    "at number": ("UPDATE audit_events SET at = 20261125 WHERE seq = 7", unreadable(7, "TypeError")),
    "event_id short": ("UPDATE audit_events SET event_id = 'abc' WHERE seq = 7", unreadable(7, "ValueError")),
    "details not json": ("UPDATE audit_events SET details = '{' WHERE seq = 7", unreadable(7, "JSONDecodeError")),
    "details number": ("UPDATE audit_events SET details = '5' WHERE seq = 7", unreadable(7, "TypeError")),
    "action blob": ("UPDATE audit_events SET action = x'6f6b' WHERE seq = 7", unreadable(7, "TypeError")),
    "at blob": ("UPDATE audit_events SET at = CAST(at AS BLOB) WHERE seq = 7", unreadable(7, "TypeError")),
    "event_id blob": ("UPDATE audit_events SET event_id = CAST(event_id AS BLOB) WHERE seq = 7",
                      unreadable(7, "TypeError")),
    # the stored record itself: its hash no longer covers it, or it is not bytes at all
    "record": ("UPDATE audit_events SET record = CAST(replace(CAST(record AS TEXT), 'T01', 'T02') AS BLOB) "
               "WHERE seq = 7", bad(7, CONTENT)),
    "record not json": ("UPDATE audit_events SET record = x'7b' WHERE seq = 7", bad(7, CONTENT)),
    "record text": ("UPDATE audit_events SET record = CAST(record AS TEXT) WHERE seq = 7",
                    unreadable(7, "TypeError")),
    "record and columns, hash kept": ("UPDATE audit_events SET record = CAST(replace(CAST(record AS TEXT), "
                                      "'T01', 'T02') AS BLOB), terminal_id = 'T02' WHERE seq = 7", bad(7, CONTENT)),
    # events written before records were stored verify by rendering their columns, tampered or not
    "older events": ("UPDATE audit_events SET record = NULL", ok(N)),
    "older event changed": ("UPDATE audit_events SET record = NULL WHERE seq < 9; "
                            "UPDATE audit_events SET terminal_id = 'T02' WHERE seq = 7", bad(7, CONTENT)),
    "older event hash": (f"UPDATE audit_events SET record = NULL WHERE seq = 7; "
                         f"UPDATE audit_events SET hash = '{H}' WHERE seq = 7", bad(7, CONTENT)),
    # a BLOB holding the very hash text is not that text
    "hash blob": ("UPDATE audit_events SET hash = CAST(hash AS BLOB) WHERE seq = 7", bad(7, CONTENT)),
    "prev_hash blob": ("UPDATE audit_events SET prev_hash = CAST(prev_hash AS BLOB) WHERE seq = 7", bad(7, PREV)),
    "details blob of the same text": ("UPDATE audit_events SET details = CAST(details AS BLOB) WHERE seq = 7", ok(N)),
    # text the driver cannot decode fails the whole read: a storage error (one clear message), on both paths
    "subject not utf-8": ("UPDATE audit_events SET subject = CAST(x'ff' AS TEXT) WHERE seq = 7", "StorageError"),
    # an earlier break in the same batch is still the first break, before a later undecodable row
    "break then undecodable": ("UPDATE audit_events SET result = 'x', at = CASE seq WHEN 7 THEN at ELSE "
                               "'nonsense' END WHERE seq IN (7, 8)", bad(7, CONTENT)),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_each_tamper_gives_the_same_outcome(filled: SqlBranchStore, name: str) -> None:
    statement, expected = TAMPERS[name]
    sql(filled, statement)
    result = compare(filled)
    if isinstance(expected, str):
        assert result[0] == "error" and result[1][0] == expected, result
    elif isinstance(expected, Unreadable):
        report = result[1]
        assert result[0] == "report" and not report.ok and report.bad_seq == expected.seq, result
        assert report.why.startswith(f"unreadable: {expected.error}") and report.checked == expected.seq, result
    else:
        assert result == expected


def test_forged_insert_is_accepted_by_both(filled: SqlBranchStore) -> None:
    """An insider who knows the algorithm and writes canonical hashes is not caught by either path."""
    sql(filled, "UPDATE audit_events SET subject = 'forged' WHERE seq = 7")
    e = next(e for e in filled.iter_audit() if e.seq == 7)
    rechain(filled, 6, e.prev_hash)
    assert compare(filled) == ok(N)
    assert fast_share(filled) == (N, 0)


# Stored forms SQLite renders otherwise than the decoding path does (the decoding path normalises them, or
# refuses them). A forger who hashes SQLite's rendering of them must be found exactly where the decoding path
# finds them. True: the rendering keeps the raw details text, as a verifier splicing json(details) would.
UNTYPED = ("ALTER TABLE audit_events RENAME TO audit_events_typed; "
           "CREATE TABLE audit_events (id INTEGER PRIMARY KEY, branch_id, seq, event_id, at, terminal_id, staff_id, "
           "action, result, customer_ref, subject, details, prev_hash, hash, record); "
           "INSERT INTO audit_events SELECT id, branch_id, seq, event_id, at, terminal_id, staff_id, action, result, "
           "customer_ref, subject, details, prev_hash, hash, record FROM audit_events_typed; "
           "DROP TABLE audit_events_typed")
def test_dots_and_inf_in_text_keep_the_fast_path(sqlite_store: SqlBranchStore) -> None:
    with sqlite_store.unit_of_work() as uow:
        for i in range(1, N + 1):
            uow.audit.append(dataclasses.replace(draft(i), subject=f"v1.{i}", customer_ref="Info" if i % 2 else None))
        uow.commit()
    assert compare(sqlite_store) == ok(N)
    assert fast_share(sqlite_store) == (N, 0)


def test_untyped_table_verifies_on_the_fast_path(filled: SqlBranchStore) -> None:
    sql(filled, UNTYPED)
    assert compare(filled) == ok(N)
    assert fast_share(filled) == (N, 0)


# ------------------------------------------------------------------ details of their own, checked together


def unique_details(store: SqlBranchStore, n: int) -> None:
    """n events each with details of its own (as certificate actions have), stored canonically by the engine."""
    with store.unit_of_work() as uow:
        for i in range(1, n + 1):
            uow.audit.append(dataclasses.replace(draft(i), details={
                "transaction": f"0815-20261125-{i:05d}", "folder": f"NPKI/yessign/USER/cn=홍길동()0004{i:011d}",
                "fee_krw": 4400 * (i % 2), "ok": i % 3 == 0, "none": None, "s": '"\\\n'}))
        uow.commit()


def test_details_are_stored_as_the_chain_hashes_them(sqlite_store: SqlBranchStore) -> None:
    unique_details(sqlite_store, 3)
    events = list(sqlite_store.iter_audit())
    with sqlite_store.engine.connect() as conn:
        stored = [t for (t,) in conn.exec_driver_sql("SELECT details FROM audit_events ORDER BY seq")]
    assert stored == [canonical_json(e.details).decode() for e in events]


def test_json_columns_fall_back_to_json_dumps() -> None:
    from db.engine import json_text

    assert json_text({"b": 1, "a": "홍"}) == '{"a":"홍","b":1}'
    assert json_text({1: "x", "a": 2}) == json.dumps({1: "x", "a": 2})  # keys json.dumps can write, not sort
    assert json_text({"s": "\ud800"}) == json.dumps({"s": "\ud800"})  # no UTF-8 for a lone surrogate


# ---------------------------------------------------------------------------------------- progress, helper


def test_progress_and_counts_match_the_decoding_path(filled: SqlBranchStore) -> None:
    old: list[int] = []
    new: list[int] = []
    assert outcome(Decoding(filled), old.append) == outcome(Checked(filled), new.append) == ok(N)
    assert new == old == [3, 6, 9, 12, 12]
    sql(filled, "UPDATE audit_events SET result = 'x' WHERE seq = 9")
    old.clear()
    new.clear()
    assert outcome(Decoding(filled), old.append, 2) == outcome(Checked(filled), new.append, 2) == bad(9, CONTENT)
    assert new == old == [2, 4, 6, 8]


def test_tui_progress_granularity(filled: SqlBranchStore) -> None:
    seen: list[int] = []
    assert outcome(Checked(filled, batch=5000), seen.append, every=1) == ok(N)
    assert seen == [*range(1, N + 1), N]


@pytest.mark.postgres
def test_postgres_verifies_stored_records_as_one_run(pg_url: str) -> None:
    store = SqlBranchStore(pg_url, "0815")
    store.migrate()
    try:
        with store.unit_of_work() as uow:
            for i in range(1, 4):
                uow.audit.append(draft(i))
            uow.commit()
        items = list(store.iter_audit_checked())
        assert items == [VerifiedRun(1, GENESIS, 3, items[0].last_hash)]  # type: ignore[union-attr]
        assert verify_audit_chain(store) == ChainReport(True, 3, None, None, 3)
    finally:
        store.dispose()


# ------------------------------------------------------------------- runs that do not continue the chain


class RunsOnly:
    """A store handing `verify_audit_chain` ready-made items (as a faulty fast path might)."""

    def __init__(self, store: SqlBranchStore, items: list[AuditEvent | VerifiedRun]) -> None:
        self.store, self.items = store, items

    def iter_audit_checked(self) -> Iterator[AuditEvent | VerifiedRun]:
        yield from self.items

    def unit_of_work(self) -> Any:
        return self.store.unit_of_work()


def test_a_run_is_judged_like_its_first_event(filled: SqlBranchStore) -> None:
    events = list(filled.iter_audit())
    h = {e.seq: e.hash for e in events}
    run = VerifiedRun(1, GENESIS, 5, h[5])
    cases: list[tuple[list[AuditEvent | VerifiedRun], list[AuditEvent]]] = [
        ([run, VerifiedRun(7, h[6], 12, h[12])], events[:5] + events[6:]),  # a gap at a run
        ([run, VerifiedRun(6, H, 12, h[12])], events[:5] + [dataclasses.replace(events[5], prev_hash=H)]),
        ([VerifiedRun(2, GENESIS, 5, h[5])], events[1:]),
        ([run, VerifiedRun(6, h[5], 12, h[12])], events),
    ]
    for items, equivalent in cases:
        progress: list[int] = []
        expected: list[int] = []
        got = outcome(RunsOnly(filled, items), progress.append, 2)
        assert got == outcome(RunsOnly(filled, list(equivalent)), expected.append, 2)
        assert progress == expected
    assert outcome(RunsOnly(filled, cases[0][0])) == bad(6, "expected seq 6, found 7")

