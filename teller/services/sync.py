"""Upstream sync: push the branch's audit trail (the transactional outbox) to head office, oldest first.

Every action's audit event is written in the same local transaction as the action, with a per-branch gap-free
`seq` and a hash chain. Sync sends events from `acked_seq + 1` and sets `acked_seq` to the watermark head office
returns — so a lost acknowledgement only means a resend, which head office recognises as duplicates.

Each run also re-sends the last acknowledged event (one event of overlap): head office compares it with what it
holds, so a branch that rewrote already-synced history and recomputed its chain is caught even when nothing new
is pending (every hash after the rewritten event changes, including the acknowledged one).

Retries (exponential backoff, full jitter) happen only on connection-type failures (`UpstreamError`); a refusal
(gap, tamper, forbidden payload) is reported and stops the run.

Sync outcomes go to the branch's sync state, not the audit trail — an audit event is itself a new event to send.
The audit trail gets one SYNC summary per run that sent real events (not only SYNC events, or sync would feed
itself forever) and one SYNC_FAILED event when the error changes.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from teller.domain import Action, AuditDraft, AuditEvent, SyncState
from teller.errors import UpstreamError

log = logging.getLogger(__name__)

SYSTEM_STAFF: str | None = None  # sync events are the terminal's own, not a staff member's


# ---------------------------------------------------------------------------------------------- the port


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Head office's answer to one batch. `watermark` = the highest seq it holds contiguously (the ack)."""

    watermark: int
    inserted: int
    duplicates: int
    refused_reason: str | None = None

    @property
    def refused(self) -> bool:
        return self.refused_reason is not None


class Upstream(Protocol):
    """Head office. Adapter: `db.headoffice.HeadOffice`. Raises `UpstreamError` on connection-type failures only;
    refusals come back in `ApplyResult.refused_reason`."""

    def apply_batch(self, branch_id: str, events: list[dict[str, Any]]) -> ApplyResult: ...


# ---------------------------------------------------------------------------------------------- payload


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The event exactly as stored (already masked), JSON-ready: `at` as an ISO-8601 UTC string."""
    return {
        "branch_id": event.branch_id,
        "seq": event.seq,
        "event_id": event.event_id,
        "at": event.at.astimezone(timezone.utc).isoformat(),
        "terminal_id": event.terminal_id,
        "staff_id": event.staff_id,
        "action": str(event.action.value if hasattr(event.action, "value") else event.action),
        "result": event.result,
        "customer_ref": event.customer_ref,
        "subject": event.subject,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
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
    )
