"""Sync fixtures: correctly chained audit events, head offices on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from teller.audit_chain import GENESIS, event_hash
from teller.domain import AuditEvent

ChainFactory = Callable[..., list[AuditEvent]]


def chain_events(branch_id: str, count: int, *, start_seq: int = 1, prev_hash: str = GENESIS,
                 start: datetime | None = None, action: str = "issue") -> list[AuditEvent]:
    """`count` events continuing a chain at `start_seq` / `prev_hash`, hashed with teller.audit_chain."""
    at0 = start or datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    events: list[AuditEvent] = []
    prev = prev_hash
    for i in range(count):
        seq = start_seq + i
        e = AuditEvent(branch_id=branch_id, seq=seq, event_id=uuid.uuid4().hex, at=at0 + timedelta(seconds=seq),
                       terminal_id="T01", staff_id="S100", action=action, result="ok", customer_ref=f"C{seq:05d}",
                       subject=f"serial-{seq}", details={"masked_rrn": "900101-1******", "n": seq},
                       prev_hash=prev, hash="")
        e.hash = event_hash(e)
        prev = e.hash
        events.append(e)
    return events


@pytest.fixture
def make_chain() -> ChainFactory:
    return chain_events


@pytest.fixture(params=["sqlite", "postgresql"])
def ho_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh head-office database: the embedded SQLite stand-in, or a database on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'headoffice.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def head_office(ho_url: str) -> Iterator[Any]:
    from db.headoffice import HeadOffice

    ho = HeadOffice(ho_url)
    yield ho
    ho.close()
