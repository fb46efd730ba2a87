"""Head-office apply on both databases: watermark, duplicates, gaps, tamper, secret guard, chain verification."""

from __future__ import annotations

from dataclasses import replace
from datetime import timezone
from typing import Any

import pytest
from sqlalchemy import text

from db.headoffice import HeadOffice
from teller.audit_chain import event_hash
from teller.services.sync import event_payload


def payloads(events: list[Any]) -> list[dict[str, Any]]:
    return [event_payload(e) for e in events]


def test_apply_advances_watermark_and_stores_events_verbatim(head_office: HeadOffice, make_chain: Any) -> None:
    events = make_chain("0815", 30)
    res = head_office.apply_batch("0815", payloads(events))
    assert (res.watermark, res.inserted, res.duplicates, res.refused_reason) == (30, 30, 0, None)
    held = head_office.events("0815")
    assert held == events  # every field, including the zone-aware time, round-trips
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == timezone.utc.utcoffset(None) for e in held)
    status = head_office.branch_status("0815")
    assert (status.watermark, status.head_hash) == (30, events[-1].hash)
    assert head_office.verify_branch("0815") == (True, 30, None)
    assert head_office.branch_status("0815").last_verified_at is not None


def test_same_batch_twice_counts_duplicates(head_office: HeadOffice, make_chain: Any) -> None:
    events = make_chain("0815", 10)
    head_office.apply_batch("0815", payloads(events))
    again = head_office.apply_batch("0815", payloads(events))
    assert (again.watermark, again.inserted, again.duplicates, again.refused_reason) == (10, 0, 10, None)
    # overlap: old and new events in one batch
    more = make_chain("0815", 5, start_seq=11, prev_hash=events[-1].hash)
    mixed = head_office.apply_batch("0815", payloads(events[-3:] + more))
    assert (mixed.watermark, mixed.inserted, mixed.duplicates) == (15, 5, 3)
    assert len(head_office.events("0815")) == 15
    assert head_office.verify_branch("0815") == (True, 15, None)


def test_gap_is_refused_prefix_applied_and_reported(head_office: HeadOffice, make_chain: Any) -> None:
    events = make_chain("0815", 10)
    res = head_office.apply_batch("0815", payloads(events[:4] + events[5:]))  # seq 5 lost
    assert res.watermark == 4 and res.inserted == 4
    assert res.refused_reason is not None and res.refused_reason.startswith("gap")
    assert [e.seq for e in head_office.events("0815")] == [1, 2, 3, 4]
    [incident] = head_office.incidents("0815")
    assert (incident.kind, incident.seq) == ("gap", 5)
    # the same gap again is one incident seen twice, not a second row
    head_office.apply_batch("0815", payloads(events[5:]))
    [incident] = head_office.incidents("0815")
    assert incident.count == 2
    # the missing event arrives: everything applies
    res = head_office.apply_batch("0815", payloads(events[4:]))
    assert (res.watermark, res.refused_reason) == (10, None)
    assert head_office.verify_branch("0815") == (True, 10, None)


def test_rewritten_synced_event_is_tamper(head_office: HeadOffice, make_chain: Any) -> None:
    events = make_chain("0815", 6)
    head_office.apply_batch("0815", payloads(events))
    forged = replace(events[2], result="refused")
    forged.hash = event_hash(forged)
    res = head_office.apply_batch("0815", payloads([forged]))
    assert res.watermark == 6 and res.refused_reason is not None and res.refused_reason.startswith("tamper")
    status = head_office.branch_status("0815")
    assert status.tamper_detected_at is not None and "seq 3" in (status.tamper_detail or "")
    assert [i.kind for i in head_office.incidents("0815")] == ["tamper"]
    assert head_office.events("0815") == events  # head office's copy untouched


def test_batch_not_continuing_stored_head_is_tamper(head_office: HeadOffice, make_chain: Any) -> None:
    first = make_chain("0815", 5)
    head_office.apply_batch("0815", payloads(first))
    rebuilt = make_chain("0815", 8)  # a whole new history: seq 6.. chains from a different seq 5
    res = head_office.apply_batch("0815", payloads(rebuilt[5:]))
    assert res.watermark == 5 and res.inserted == 0
    assert res.refused_reason is not None and res.refused_reason.startswith("tamper")
    assert head_office.branch_status("0815").watermark == 5


def test_content_not_matching_hash_refuses_whole_batch(head_office: HeadOffice, make_chain: Any) -> None:
    events = make_chain("0815", 5)
    bad = payloads(events)
    bad[3]["subject"] = "changed in transit"
    res = head_office.apply_batch("0815", bad)
    assert res.watermark == 0 and res.inserted == 0 and res.refused_reason is not None
    assert head_office.events("0815") == []


@pytest.mark.parametrize("details", [{"rrn": "900101-1******"}, {"Password": "x"}, {"nested": {"private_key": "k"}},
                                     {"note": "고객 9001011234568 확인"}])
def test_secrets_in_payload_are_quarantined(head_office: HeadOffice, make_chain: Any, details: dict[str, Any]) -> None:
    events = make_chain("0815", 3)
    events[1].details = details
    events[1].hash = event_hash(events[1])
    events[2].prev_hash = events[1].hash
    events[2].hash = event_hash(events[2])
    res = head_office.apply_batch("0815", payloads(events))
    assert (res.watermark, res.inserted, res.refused_reason) == (3, 2, None)
    assert [q.seq for q in res.quarantined] == [2] and "secret" in res.quarantined[0].reason
    assert [e.seq for e in head_office.events("0815")] == [1, 3]  # the content of seq 2 is never stored
    assert [q.seq for q in head_office.quarantined("0815")] == [2]
    assert head_office.verify_branch("0815") == (True, 3, None)  # the chain stays provable through seq 2
    again = head_office.apply_batch("0815", payloads(events))  # a resend of the quarantined event: a duplicate
    assert (again.watermark, again.duplicates, again.refused_reason) == (3, 3, None)


def test_wrong_branch_in_batch_is_refused(head_office: HeadOffice, make_chain: Any) -> None:
    res = head_office.apply_batch("0815", payloads(make_chain("0999", 2)))
    assert res.refused_reason is not None and res.watermark == 0


def test_verify_branch_finds_altered_head_office_row(head_office: HeadOffice, make_chain: Any) -> None:
    head_office.apply_batch("0815", payloads(make_chain("0815", 8)))
    with head_office.engine.begin() as conn:
        conn.execute(text("UPDATE ho_events SET result = 'failed' WHERE branch_id = '0815' AND seq = 6"))
    assert head_office.verify_branch("0815") == (False, 5, 6)


def test_schema_creation_is_idempotent(ho_url: str, make_chain: Any) -> None:
    a = HeadOffice(ho_url)
    a.apply_batch("0815", payloads(make_chain("0815", 3)))
    b = HeadOffice(ho_url)  # second start against the same database: nothing recreated, nothing lost
    assert b.branch_status("0815").watermark == 3
    a.close()
    b.close()
