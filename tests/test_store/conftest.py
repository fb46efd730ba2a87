"""Store fixtures: every data-layer test runs on a SQLite file in tmp_path and on the real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from db.store import SqlBranchStore
from teller.domain import Action, AuditDraft, CustomerRecord

BRANCH = "0815"
T0 = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)  # 10:00 KST


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'teller.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[SqlBranchStore]:
    s = SqlBranchStore(db_url, BRANCH)
    s.migrate()
    try:
        yield s
    finally:
        s.dispose()


def draft(i: int, *, staff: str | None = "s1001", action: Action = Action.ISSUE, at: datetime | None = None,
          customer: str | None = None) -> AuditDraft:
    return AuditDraft(
        at=at or T0 + timedelta(seconds=i), terminal_id="T01", staff_id=staff, action=action, result="ok",
        customer_ref=customer, subject=f"tx-{i}", details={"i": i, "rrn": "900101-1******", "이름": "홍길동"},
    )


def append_events(store: SqlBranchStore, n: int, **kw: object) -> None:
    with store.unit_of_work() as uow:
        for i in range(1, n + 1):
            uow.audit.append(draft(i, **kw))  # type: ignore[arg-type]
        uow.commit()


def customer(name: str = "홍길동", n: int = 0) -> CustomerRecord:
    return CustomerRecord(
        customer_id=uuid.uuid4().hex, name=name, rrn_encrypted=b"\x01nonce-and-ciphertext" + bytes([n]),
        rrn_hash=f"{n:064x}", rrn_masked="900101-1******", is_foreigner=False, created_at=T0,
    )
