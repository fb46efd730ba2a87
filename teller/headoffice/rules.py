"""Head office's verdicts on one batch of a branch's events, as pure functions (the SQL is in `db.headoffice`).

- A malformed event, or one of another branch, refuses the batch (nothing can be verified past it).
- An event that would leak a secret is quarantined: its hash is checked and its place in the chain kept (seq,
  event_id, prev_hash, hash), its content never stored; the events after it are applied as usual.
- A resent event (same seq, event_id and hash) is a duplicate; a resent event that differs is tamper.
- A batch that does not continue the stored chain is tamper; a seq jump is a gap (the prefix before it applies).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from teller.audit_chain import BreakKind, ChainBreak, event_hash, verify_chain
from teller.domain import AuditEvent
from teller.headoffice.payload import EVENT_FIELDS, payload_event
from teller.headoffice.secrets import secret_in_event

RefusalKind = Literal["gap", "tamper", "refused"]


class Refusal(Exception):
    """Why head office will not take (the rest of) a batch."""

    def __init__(self, kind: RefusalKind, seq: int | None, detail: str) -> None:
        super().__init__(detail)
        self.kind: RefusalKind = kind
        self.seq = seq
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Batch:
    events: list[AuditEvent]  # ascending seq, one per seq
    quarantined: dict[int, str] = field(default_factory=dict)  # seq → reason (no secret in it)


def parse_batch(branch_id: str, payloads: list[Any], *, today: date | None = None) -> Batch:
    parsed: list[AuditEvent] = []
    quarantined: dict[int, str] = {}
    for payload in payloads:
        seq = payload.get("seq") if isinstance(payload, dict) else None
        missing = [f for f in EVENT_FIELDS if not isinstance(payload, dict) or f not in payload]
        if missing:
            raise Refusal("refused", seq, f"event without {', '.join(missing)}")
        if payload["branch_id"] != branch_id:
            raise Refusal("refused", seq, f"event of branch {payload['branch_id']} in a batch of {branch_id}")
        try:
            event = payload_event(payload)
        except (TypeError, ValueError) as exc:
            raise Refusal("refused", seq, f"malformed event: {exc}") from None
        leak = secret_in_event(payload, today=today)
        if leak:
            quarantined[event.seq] = f"payload carries a secret at {leak}"
        parsed.append(event)
    parsed.sort(key=lambda e: e.seq)
    unique: list[AuditEvent] = []
    for e in parsed:  # the same event twice in one batch is harmless; two versions of one seq are not
        if unique and unique[-1].seq == e.seq:
            if (unique[-1].event_id, unique[-1].hash) != (e.event_id, e.hash):
                raise Refusal("tamper", e.seq, "two different events with the same seq in one batch")
            continue
        unique.append(e)
    return Batch(unique, quarantined)


def split_at_watermark(events: list[AuditEvent], watermark: int) -> tuple[list[AuditEvent], list[AuditEvent]]:
    """(events head office already holds or quarantined, events above its watermark)."""
    return [e for e in events if e.seq <= watermark], [e for e in events if e.seq > watermark]


def check_resent(old: list[AuditEvent], held: Mapping[int, tuple[str, str]]) -> None:
    """Resent events must be byte-identical to what is held: same (event_id, hash), and content matching the hash.
    `held`: seq → (event_id, hash) of what head office holds or quarantined."""
    for e in old:
        if held.get(e.seq) != (e.event_id, e.hash) or event_hash(e) != e.hash:
            raise Refusal("tamper", e.seq, "already synced event differs from head office's copy "
                                           "(branch history rewritten)")


def verified_prefix(new: list[AuditEvent], watermark: int, head: str) -> tuple[list[AuditEvent], str, Refusal | None]:
    """The longest prefix of `new` that continues the stored chain; the refusal for the rest, if any (a gap lets
    the prefix in; anything else refuses the batch, raised)."""
    if not new:
        return [], head, None
    try:
        _, last = verify_chain(new, start_seq=watermark + 1, start_prev_hash=head)
        return new, last, None
    except ChainBreak as brk:
        prefix = [e for e in new if e.seq < brk.seq]
        last = prefix[-1].hash if prefix else head
        by_seq = {e.seq: e for e in new}
        if brk.seq not in by_seq or brk.kind is BreakKind.SEQ:
            return prefix, last, Refusal("gap", brk.seq, f"missing event seq {brk.seq} ({brk.why})")
        if brk.seq == watermark + 1 and brk.kind is BreakKind.PREV_HASH:
            why = "batch does not continue head office's chain (branch history rewritten)"
        else:
            why = brk.why
        raise Refusal("tamper", brk.seq, why) from None
