"""Fast chain verification on SQLite: SQLite renders each event's canonical bytes (but the details), Python
canonicalises the details and hashes, and a helper process checks batches from the top of the trail down.

Kept apart from `db.store` so the helper process starts without SQLAlchemy: it needs only sqlite3 and
`teller.audit_chain`. Every row the fast path cannot vouch for byte for byte goes back to `db.store`'s decoding
path, so verdicts and the first bad seq are the ones `teller.audit_chain.verify_chain` gives.
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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from teller.audit_chain import canonical_json

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
_HELPER_BUSY_TIMEOUT_S = 10.0  # the helper only reads; a writer holding the lock briefly is waited for
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


_HELPER_COMMAND = "import sys; sys.path.insert(0, sys.argv[1]); from db.fast_verify import _helper_main; _helper_main()"


def _helper_main() -> None:
    """The helper process: one line per batch that passed, "after_seq rows first_prev last_seq last_hash"."""
    path, branch_id, batch, top = json.loads(sys.argv[2])
    try:
        conn = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True, isolation_level=None,
                               timeout=_HELPER_BUSY_TIMEOUT_S)
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
