"""The chain function itself: every kind of tampering is found at the right sequence number."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from teller.audit_chain import GENESIS, ChainBreak, event_hash, verify_chain
from teller.domain import AuditEvent


def make_chain(n: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    prev = GENESIS
    t0 = datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc)
    for seq in range(1, n + 1):
        e = AuditEvent("0815", seq, uuid.uuid4().hex, t0 + timedelta(seconds=seq), "T01", "teller1", "issue", "ok",
                       "c1", f"serial{seq}", {"fee_krw": seq}, prev, "")
        e.hash = event_hash(e)
        prev = e.hash
        events.append(e)
    return events


def test_intact_chain_verifies() -> None:
    events = make_chain(10)
    assert verify_chain(events) == (10, events[-1].hash)


def test_modified_event_named() -> None:
    events = make_chain(10)
    events[4] = dataclasses.replace(events[4], result="refused")
    with pytest.raises(ChainBreak) as err:
        verify_chain(events)
    assert err.value.seq == 5


def test_deleted_event_named() -> None:
    events = make_chain(10)
    del events[6]
    with pytest.raises(ChainBreak) as err:
        verify_chain(events)
    assert err.value.seq == 7


def test_reordered_events_named() -> None:
    events = make_chain(10)
    events[2], events[3] = events[3], events[2]
    with pytest.raises(ChainBreak) as err:
        verify_chain(events)
    assert err.value.seq == 3


def test_naive_timestamp_refused() -> None:
    e = make_chain(1)[0]
    with pytest.raises(ValueError):
        event_hash(dataclasses.replace(e, at=e.at.replace(tzinfo=None)))


def test_every_action_has_a_korean_and_an_english_label() -> None:
    from teller.action_labels import ACTION_LABELS, action_label
    from teller.domain import Action

    assert set(ACTION_LABELS) == {a.value for a in Action}
    for a in Action:
        ko, en = action_label(a.value, "ko"), action_label(a.value, "en")
        assert ko != a.value and any("\uac00" <= ch <= "\ud7a3" for ch in ko), ko
        assert en.isascii() and en != ko
    assert action_label("from_a_newer_terminal") == "from_a_newer_terminal"
