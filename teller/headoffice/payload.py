"""The wire form of an audit event between a branch and head office (JSON-ready, `at` as ISO-8601 UTC)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from teller.domain import AuditEvent, text_value

EVENT_FIELDS = (
    "branch_id", "seq", "event_id", "at", "terminal_id", "staff_id", "action", "result", "customer_ref",
    "subject", "details", "prev_hash", "hash",
)


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The event exactly as stored (already masked), JSON-ready: `at` as an ISO-8601 UTC string."""
    return {
        "branch_id": event.branch_id,
        "seq": event.seq,
        "event_id": event.event_id,
        "at": event.at.astimezone(timezone.utc).isoformat(),
        "terminal_id": event.terminal_id,
        "staff_id": event.staff_id,
        "action": text_value(event.action),
        "result": event.result,
        "customer_ref": event.customer_ref,
        "subject": event.subject,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        # the bytes the hash covers, so head office verifies what the branch stored (None: an older event)
        "record": None if event.record is None else event.record.decode("utf-8", "replace"),
    }


def payload_event(payload: dict[str, Any]) -> AuditEvent:
    """Inverse of `event_payload` (head office rebuilds the event to re-verify the chain)."""
    at = payload["at"]
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        raise ValueError("event time without a zone")
    return AuditEvent(
        branch_id=payload["branch_id"],
        seq=int(payload["seq"]),
        event_id=payload["event_id"],
        at=at,
        terminal_id=payload["terminal_id"],
        staff_id=payload["staff_id"],
        action=payload["action"],
        result=payload["result"],
        customer_ref=payload["customer_ref"],
        subject=payload["subject"],
        details=payload["details"] if payload["details"] is not None else {},
        prev_hash=payload["prev_hash"],
        hash=payload["hash"],
        record=None if payload.get("record") is None else str(payload["record"]).encode("utf-8"),
    )
