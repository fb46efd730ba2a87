"""The audit hash chain: one canonical byte form per event, each hash covering the previous one.

Branch (`teller audit verify`) and head office (sync apply) both verify with these functions, so a branch that
rewrites, deletes, inserts or reorders an event is found by either side.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from teller.domain import AuditEvent

GENESIS = "0" * 64


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
    return chain_hash(event.prev_hash, event_content(event))


class ChainBreak(Exception):
    def __init__(self, seq: int, why: str) -> None:
        super().__init__(f"audit chain broken at seq {seq}: {why}")
        self.seq = seq
        self.why = why


def verify_chain(
    events: Iterable[AuditEvent], *, start_seq: int = 1, start_prev_hash: str = GENESIS
) -> tuple[int, str]:
    """Check events in order; return (last seq, last hash). Raise ChainBreak at the first bad sequence number.

    Detects modification (hash mismatch), deletion (seq gap or prev_hash mismatch), insertion (seq or prev_hash
    mismatch) and reordering (seq out of order).
    """
    expected_seq = start_seq
    prev = start_prev_hash
    for event in events:
        if event.seq != expected_seq:
            raise ChainBreak(min(event.seq, expected_seq), f"expected seq {expected_seq}, found {event.seq}")
        if event.prev_hash != prev:
            raise ChainBreak(event.seq, "prev_hash does not match the previous event")
        if event_hash(event) != event.hash:
            raise ChainBreak(event.seq, "content does not match its hash")
        prev = event.hash
        expected_seq += 1
    return expected_seq - 1, prev
