"""The audit hash chain: one canonical byte form per event, each hash covering the previous one.

Branch (`teller audit verify`) and head office (sync apply) both verify with these functions, so a branch that
rewrites, deletes, inserts or reorders an event is found by either side.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from teller.domain import AuditEvent

GENESIS = "0" * 64

# The encoder `canonical_content` uses (json.dumps with these arguments builds the same one); nested values
# are written by the same code whether at the top level or inside the event body.
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical_encode() -> Callable[[Any], str]:
    """`_CANONICAL_ENCODER.encode`, or the same C encoder it builds on every call built once (a third of the cost
    of encoding small details; no check for circular references, which JSON read back cannot have). Used only
    where it writes the same text for a probe of every JSON type."""
    slow = _CANONICAL_ENCODER.encode
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return slow
    try:
        c_encoder = make(None, _CANONICAL_ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True,
                         False, True)

        def fast(value: Any) -> str:
            return "".join(c_encoder(value, 0))

        probe = {"b": [1, 2.5, -0.0, math.nan, -math.inf, 1e16, 1e-7, None, True, []], "": 2 ** 70, "c": {},
                 "a": {"\u00e9\u2028\x00": "\ud55c\U0001f600\"\\"}}
        if all(fast(v) == slow(v) for v in (probe, "\x1f\"", 0.1, 7, None)):
            return fast
    except Exception:  # noqa: BLE001 - an interpreter without this internal keeps the plain encoder
        pass
    return slow


_encode_canonical = _canonical_encode()


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(
    *,
    branch_id: str,
    seq: int,
    event_id: str,
    at: datetime,
    terminal_id: str,
    staff_id: str | None,
    action: str,
    result: str,
    customer_ref: str | None,
    subject: str | None,
    details: dict[str, Any],
) -> bytes:
    """Deterministic JSON (sorted keys, no spaces, UTF-8) of everything an event says."""
    body = {
        "branch_id": branch_id,
        "seq": seq,
        "event_id": event_id,
        "at": _utc_iso(at),
        "terminal_id": terminal_id,
        "staff_id": staff_id,
        "action": action,
        "result": result,
        "customer_ref": customer_ref,
        "subject": subject,
        "details": details,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical_json(value: Any) -> bytes:
    """The bytes `canonical_content` writes for `value` where it appears in an event (e.g. the details)."""
    return _encode_canonical(value).encode("utf-8")


def chain_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + content).hexdigest()


def event_content(event: AuditEvent) -> bytes:
    return canonical_content(
        branch_id=event.branch_id,
        seq=event.seq,
        event_id=event.event_id,
        at=event.at,
        terminal_id=event.terminal_id,
        staff_id=event.staff_id,
        action=event.action,
        result=event.result,
        customer_ref=event.customer_ref,
        subject=event.subject,
        details=event.details,
    )


def event_hash(event: AuditEvent) -> str:
    """The hash over the stored record bytes where the event has them, else over its rendered columns."""
    return chain_hash(event.prev_hash, event_content(event) if event.record is None else event.record)


@dataclass(frozen=True, slots=True)
class VerifiedRun:
    """Events `first_seq`..`last_seq` that a store has already checked against their hashes and against each
    other (contiguous, each prev_hash the hash before it, each hash over the stored record bytes, the columns
    matching the records). `verify_chain` only has to link the run to the chain around it."""

    first_seq: int
    first_prev_hash: str
    last_seq: int
    last_hash: str

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1


class BreakKind(enum.Enum):
    """Where a chain breaks, for the callers that treat breaks differently (head office: a gap is not tampering)."""

    SEQ = "seq"  # a seq missing, repeated or out of order
    PREV_HASH = "prev_hash"  # the link to the previous event does not hold
    CONTENT = "content"  # the event does not match its hash (or its columns do not match its record)
    UNREADABLE = "unreadable"  # a column holding what no event can hold


class ChainBreak(Exception):
    def __init__(self, seq: int, kind: BreakKind, why: str) -> None:
        super().__init__(f"audit chain broken at seq {seq}: {why}")
        self.seq = seq
        self.kind = kind
        self.why = why


def verify_chain(
    events: Iterable[AuditEvent | VerifiedRun], *, start_seq: int = 1, start_prev_hash: str = GENESIS
) -> tuple[int, str]:
    """Check events in order; return (last seq, last hash). Raise ChainBreak at the first bad sequence number.

    Detects modification (hash mismatch, or columns that no longer match the stored record), deletion (seq gap or prev_hash mismatch), insertion (seq or prev_hash
    mismatch) and reordering (seq out of order). A `VerifiedRun` stands for its events: only its first event's
    seq and prev_hash are checked here, with the same verdicts as for that event.
    """
    expected_seq = start_seq
    prev = start_prev_hash
    for event in events:
        if isinstance(event, VerifiedRun):
            if event.first_seq != expected_seq:
                raise ChainBreak(min(event.first_seq, expected_seq), BreakKind.SEQ,
                                 f"expected seq {expected_seq}, found {event.first_seq}")
            if event.first_prev_hash != prev:
                raise ChainBreak(event.first_seq, BreakKind.PREV_HASH, "prev_hash does not match the previous event")
            prev = event.last_hash
            expected_seq = event.last_seq + 1
            continue
        if event.seq != expected_seq:
            raise ChainBreak(min(event.seq, expected_seq), BreakKind.SEQ,
                             f"expected seq {expected_seq}, found {event.seq}")
        if event.prev_hash != prev:
            raise ChainBreak(event.seq, BreakKind.PREV_HASH, "prev_hash does not match the previous event")
        try:
            rendered = event_content(event)
        except (TypeError, ValueError) as error:  # a column holding what no event can hold (e.g. bytes)
            raise ChainBreak(event.seq, BreakKind.UNREADABLE,
                             f"unreadable: {type(error).__name__}: {error}"[:200]) from None
        if chain_hash(prev, rendered if event.record is None else event.record) != event.hash:
            raise ChainBreak(event.seq, BreakKind.CONTENT, "content does not match its hash")
        if event.record is not None and rendered != event.record:
            # the columns are an index of the record: one verdict for a changed event
            raise ChainBreak(event.seq, BreakKind.CONTENT, "content does not match its hash")
        prev = event.hash
        expected_seq += 1
    return expected_seq - 1, prev
