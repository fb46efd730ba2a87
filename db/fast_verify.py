"""Fast chain verification on SQLite: for each batch of events SQLite renders every event's canonical bytes (but
the details) and gathers the columns the checks need into a few strings; Python canonicalises the details, hashes,
and checks each batch as a whole. A helper process checks batches from the top of the trail down meanwhile.

Kept apart from `db.store` so the helper process starts without SQLAlchemy: it needs only sqlite3 and
`teller.audit_chain`. A batch the fast path cannot vouch for byte for byte, row by row, goes back to `db.store`'s
decoding path, so verdicts and the first bad seq are the ones `teller.audit_chain.verify_chain` gives.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from pathlib import Path
from typing import Any

from teller.audit_chain import canonical_json

# One event's canonical content (teller.audit_chain.canonical_content) as SQLite renders it, with the details
# standing in as the one-character string "\x01": Python swaps in the canonical details (`_PLACEHOLDER`).
# json_object quotes text as json.dumps(ensure_ascii=False) does and refuses BLOBs (`_renders_like_python`
# checks the SQLite linked). Keys in canonical (sorted) order.
_SQLITE_RENDERED_EVENT = (
    "json_object('action', action, 'at', replace(at, ' ', 'T') || 'Z', 'branch_id', branch_id, "
    "'customer_ref', customer_ref, 'details', char(1), 'event_id', event_id, 'result', result, 'seq', seq, "
    "'staff_id', staff_id, 'subject', subject, 'terminal_id', terminal_id)"
)
# The events with seq in (after, after + batch], in seq order (the unique index; `_batch_checked` confirms the
# order from the seqs, given relative to after), as one row of strings: aggregating in SQLite costs far less than a Python row per event.
# json_group_array refuses BLOBs and leaves numbers unquoted, so at, prev_hash and hash are text when they
# match what `_batch_checked` expects; event_id and seq are rendered above as well (a BLOB fails the query). The
# last column is 1 when every details text is one JSON value, before `_stored_canonically` reads them as one array.
_SQLITE_AUDIT_BATCH_RENDERED = (
    f"SELECT count(*), CAST(group_concat({_SQLITE_RENDERED_EVENT}, char(10)) AS BLOB), "
    "group_concat(details, char(30)), json_group_array(at), group_concat(event_id, char(10)), "
    "json_group_array(prev_hash), json_group_array(hash), group_concat(seq - ?2), min(json_valid(details)) "
    "FROM audit_events WHERE branch_id = ?1 AND seq > ?2 AND seq <= ?3"
)
# Whether any rendered column of those events holds a REAL (SQLite writes 1.0e+16 and Inf where json.dumps
# writes 1e+16 and Infinity). Asked only when the rendering's bytes cannot rule it out (`_no_real_in`).
_SQLITE_AUDIT_REALS = (
    "SELECT count(*) FROM audit_events WHERE branch_id = ?1 AND seq > ?2 AND seq <= ?3 AND ("
    + " OR ".join(f"typeof({c}) = 'real'" for c in ("action", "branch_id", "customer_ref", "event_id", "result",
                                                     "seq", "staff_id", "subject", "terminal_id"))
    + ")"
)
_SQLITE_AUDIT_HEAD = (
    "SELECT seq FROM audit_events WHERE branch_id = ? AND seq <= 9223372036854775807 ORDER BY seq DESC LIMIT 1"
)
_PLACEHOLDER = b'"details":"\\u0001"'  # json_object's rendering of 'details', char(1)
# The form UTCDateTime stores on SQLite (naive UTC, always with microseconds), the one form for which `_utc` +
# `_utc_iso` give back the stored text with "T" and "Z" (what SQLite renders): a year from 1000 (strftime does
# not pad %Y), field values in range, a day the month has (February 29 is checked against the year: `_real_day`).
_MONTH_DAY = (r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31"
              r"|02-29)")
_AT = rf"[1-9][0-9]{{3}}-{_MONTH_DAY} (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{{6}}"
_STORED_ATS = re.compile(f'\\["{_AT}"(?:,"{_AT}")*\\]')  # json_group_array(at): one regex call per batch
_AT_LEN = 26
_LEAP_DAY, _DAY_AT = "-02-29 ", (2, 29)  # where a value's day (YYYY-MM-DD) starts, and the step between values
# Details texts seen in this verification: those stored exactly as canonical_json writes them (what the engine
# writes, `db.engine.json_text`), and for any other text '"details":' + its canonical bytes. Bounded so that
# texts of their own do not grow them; emptied after each verification.
_AS_STORED: set[str] = set()
_DETAILS_CACHE: dict[str, bytes] = {}
_DETAILS_CACHE_MAX = 16384
_DETAILS_AT_ONCE = 16  # new texts in a window from which `_stored_canonically` checks them in one go
_HELPER_BUSY_TIMEOUT_S = 10.0  # the helper only reads; a writer holding the lock briefly is waited for
_HELPER_MIN_ROWS = 200_000  # below this, starting the helper process costs more than it saves
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Every ASCII character (controls, quote, backslash, DEL) and non-ASCII ones json.dumps leaves alone.
_QUOTE_PROBE = "".join(map(chr, range(0x80))) + "\u00e9\u2028\u2029\ud55c\ufeff\U0001f600"
# REALs whose rendering `_no_real_in` must recognise: each has a "." or is infinite ("Inf").
_REAL_PROBE = (5.0, -0.0, 0.5, -2.5, 1 / 3, 1e16, 1e-7, 1e300, 2.0 ** 70, 123456789.125, float("inf"), float("-inf"))


@functools.lru_cache(maxsize=1024)
def _real_day(day: str) -> bool:
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True


def _stored_ats(ats: object, n: int) -> bool:
    """Whether json_group_array(at) of n events holds n texts in UTCDateTime's stored form (`_AT`, a real day)."""
    if type(ats) is not str or len(ats) != (_AT_LEN + 3) * n + 1 or not _STORED_ATS.fullmatch(ats):
        return False
    if _LEAP_DAY not in ats:
        return True
    first, step = _DAY_AT
    return all(_real_day(ats[i:i + 10]) for i in range(first, len(ats), step) if ats[i + 5:i + 10] == "02-29")


@functools.lru_cache(maxsize=4)
def _one_to(n: int) -> str:
    return ",".join(map(str, range(1, n + 1)))


def _canonical_details(text: object) -> bytes | None:
    """The canonical bytes of the details as `_sqlite_batch` decodes them; None where that decoding or the
    encoding fails (the batch then goes through `_sqlite_batch` and `verify_chain`, which fail the same way)."""
    if type(text) is not str:
        return None
    try:
        return canonical_json({} if text == "{}" else json.loads(text))
    except Exception:  # noqa: BLE001 - whatever it is, the decoding path reproduces it
        return None


def _details_middles(details: str, texts: list[str], one_value_each: bool) -> Sequence[bytes] | None:
    """For each event '"details":' + its canonical details; None where a text is not an object the decoding path
    reads. Texts stored canonically go in as they are (a window mostly of texts of its own: one split)."""
    as_stored, cache = _AS_STORED, _DETAILS_CACHE
    distinct = set(texts)
    rewritten: dict[str, bytes] = {}  # read once: another verification may empty the caches meanwhile
    fresh = []
    for text in distinct:
        if text not in as_stored:  # only ever texts proven canonical
            middle = cache.get(text)
            if middle is None:
                fresh.append(text)
            else:
                rewritten[text] = middle
    new_as_stored: list[str] = []
    new_middles: dict[str, bytes] = {}
    if fresh:
        if len(fresh) >= _DETAILS_AT_ONCE and one_value_each and _stored_canonically(fresh):
            new_as_stored = fresh  # each text one JSON value (SQLite), all of them canonical (Python)
        else:
            for text in fresh:
                # an object's text: a number stored in the details column is read as a number, not as its text
                body = _canonical_details(text) if text[:1] == "{" else None
                if body is None:
                    return None
                if body == text.encode("utf-8"):
                    new_as_stored.append(text)
                else:
                    new_middles[text] = b'"details":' + body
    if not rewritten and not new_middles and 4 * len(distinct) > len(texts):  # mostly texts of their own
        prefixed = '"details":' + details.replace("\x1e", '\x1e"details":')
        middles: Sequence[bytes] = prefixed.encode("utf-8").split(b"\x1e")
    else:
        known = {text: rewritten.get(text) or new_middles.get(text) or b'"details":' + text.encode("utf-8")
                 for text in distinct}
        middles = list(map(known.__getitem__, texts))
    if len(as_stored) + len(new_as_stored) > _DETAILS_CACHE_MAX:
        as_stored.clear()
    if len(cache) + len(new_middles) > _DETAILS_CACHE_MAX:
        cache.clear()
    as_stored.update(new_as_stored)
    cache.update(new_middles)
    return middles


def _stored_canonically(texts: list[str]) -> bool:
    """Whether, read as one JSON array, the texts are objects written exactly as canonical_json writes them:
    one json.loads and one encoding for the lot, about half the cost of `_canonical_details` on each. Says
    nothing about where one text ends and the next begins: with a text that is not one JSON value on its own
    ('{"a":1},{"b":2}' beside '{"c":"}' and '{"}'), the array can still read back canonically, so a True
    counts only with SQLite's word that each text is one JSON value (json_valid)."""
    joined = "[" + ",".join(texts) + "]"
    try:
        values = json.loads(joined)
        return (len(values) == len(texts) and all(type(v) is dict for v in values)
                and canonical_json(values) == joined.encode("utf-8"))
    except Exception:  # noqa: BLE001 - not JSON, or not encodable: each text goes through _canonical_details
        return False


def _no_real_in(rendered: bytes, n: int) -> bool | None:
    """True when n rendered events hold no REAL: each at holds one "." and this SQLite writes every REAL with a
    "." or as Inf (`_renders_like_python`). None when the bytes cannot tell (a "." or an "I" in some text)."""
    return True if b"I" not in rendered and rendered.count(b".") == n else None


def _batch_checked(row: Sequence[Any], prev: str,
                   ask: Callable[[str], Any] | None = None) -> tuple[int, str] | None:
    """(events, last hash) when the events of one row of `_SQLITE_AUDIT_BATCH_RENDERED` are all the events of
    its window, in order, and each continues the chain from prev (the hash just below the window) and hashes to
    its stored hash; None when any does not. An event counts only if `_sqlite_batch` would decode it to the very
    bytes hashed here, so a batch taken is one `verify_chain` passes on the decoded events. `ask` runs one of the
    window queries (`_SQLITE_AUDIT_REALS`, `_SQLITE_AUDIT_DETAILS_VALID`) on the same window and returns its
    value, for what the strings alone cannot tell."""
    try:
        n, rendered, details, ats, event_ids, prevs, hashes, seqs, one_value_each = row
    except (TypeError, ValueError):
        return None
    if not n or type(rendered) is not bytes or type(details) is not str or type(event_ids) is not str:
        return None
    # seqs 1 .. n after the window's start, in that order (a gap, a duplicate or a non-integer seq shows here)
    if seqs != _one_to(n):
        return None
    if not _stored_ats(ats, n):
        return None
    # every event_id 32 characters, the form `_sqlite_batch` keeps as it is
    if (len(event_ids) != 33 * n - 1 or event_ids.count("\n") != n - 1
            or event_ids[32::33] != "\n" * (n - 1)):
        return None
    if not rendered.isascii():
        try:
            rendered.decode("utf-8")  # the driver refuses such text when `_sqlite_batch` reads it
        except UnicodeDecodeError:
            return None
    events = rendered.split(b"\n")  # json_object escapes newlines: one line per event
    texts = details.split("\x1e")  # a character no JSON text holds raw (details may span lines)
    if len(events) != n or len(texts) != n:
        return None
    if not _no_real_in(rendered, n) and (ask is None or ask(_SQLITE_AUDIT_REALS) != 0):
        return None
    middles = _details_middles(details, texts, one_value_each == 1)
    if middles is None:
        return None
    try:
        digest = bytes.fromhex(prev)
    except ValueError:
        return None
    sha256, digests = hashlib.sha256, []
    append = digests.append
    # the first placeholder is the details key: text before it is quoted, with any '"' escaped
    for content in map(bytes.replace, events, repeat(_PLACEHOLDER), middles, repeat(1)):
        digest = sha256(digest + content).digest()
        append(digest)
    own = list(map(bytes.hex, digests))
    if hashes != '["' + '","'.join(own) + '"]':
        return None
    if prevs != '["' + prev + ('","' + '","'.join(own[:-1]) if n > 1 else "") + '"]':
        return None
    return n, own[-1]


# glibc's mallopt parameters and the values `_steady_malloc` sets or restores (glibc's defaults)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_STEADY = {_M_MMAP_THRESHOLD: 32 << 20, _M_TRIM_THRESHOLD: 64 << 20}
_DEFAULT = {_M_MMAP_THRESHOLD: 128 << 10, _M_TRIM_THRESHOLD: 128 << 10}


def _steady_malloc(steady: bool) -> None:
    """Have glibc reuse the memory of each batch's strings (about a megabyte each) instead of mapping and
    unmapping it for every batch: the page faults cost about a tenth of verification. Back to glibc's default
    thresholds after. Nothing elsewhere (another libc, or none found)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    for param, value in (_STEADY if steady else _DEFAULT).items():
        mallopt(param, value)


def _renders_like_python(dbapi_connection: Any) -> bool:
    """Whether this SQLite's json_object writes text, NULL and integers exactly as canonical_json does, and every
    REAL with a "." or as Inf (for `_no_real_in`)."""
    try:
        rendered = dbapi_connection.execute("SELECT json_object('i', ?, 'n', NULL, 's', ?)",
                                            (-(2 ** 62), _QUOTE_PROBE)).fetchone()[0]
        reals = dbapi_connection.execute(
            "SELECT " + ", ".join(["json_object('r', ?)"] * len(_REAL_PROBE)), _REAL_PROBE).fetchone()
    except sqlite3.Error:
        return False
    if rendered != canonical_json({"i": -(2 ** 62), "n": None, "s": _QUOTE_PROBE}).decode("utf-8"):
        return False
    return all(type(r) is str and ("." in r or r in ('{"r":Inf}', '{"r":-Inf}')) for r in reals)


@dataclass(frozen=True, slots=True)
class _HelperBatch:
    rows: int
    first_prev: str
    last_seq: int
    last_hash: str


class _Helper:
    """A second process (`_helper_main`) checking keyset batches from the top of the trail down with
    `_batch_checked`, while `iter_audit_checked` goes up: about half the time on two cores, and nothing waits for
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


_HELPER_COMMAND = "import sys; sys.path.insert(0, sys.argv[1]); from db.fast_verify import _helper_main; _helper_main()"


def _helper_main() -> None:
    """The helper process: one line per batch that passed, "after_seq rows first_prev last_seq last_hash"."""
    path, branch_id, batch, top = json.loads(sys.argv[2])
    try:
        conn = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True, isolation_level=None,
                               timeout=_HELPER_BUSY_TIMEOUT_S)
        if not _renders_like_python(conn):
            return
        _steady_malloc(True)  # this process ends with the verification: nothing to restore
        for k in range(top, -1, -1):
            after = k * batch
            window = (branch_id, after, after + batch)
            try:
                row = conn.execute(_SQLITE_AUDIT_BATCH_RENDERED, window).fetchone()
            except sqlite3.Error:  # e.g. a BLOB where text belongs: the parent decodes this batch
                continue
            prevs = row[5]
            # first_prev is checked against the chain by the parent; here it only has to be a hash
            first_prev = prevs[2:66] if type(prevs) is str else ""
            if not _HEX64.fullmatch(first_prev):
                continue
            checked = _batch_checked(row, first_prev, lambda sql, w=window: conn.execute(sql, w).fetchone()[0])
            if checked is not None:
                print(after, checked[0], first_prev, after + checked[0], checked[1], flush=True)
    except (sqlite3.Error, OSError):  # the parent checks what is left itself
        return
