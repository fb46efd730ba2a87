"""Schema guards: nothing can hold key material or a plaintext RRN; audit pages walk an index on SQLite."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from db.models import Base
from db.repositories import AUDIT_COLUMNS, T_AUDIT, audit_conditions
from db.store import SqlBranchStore
from teller.domain import AuditFilter

from .conftest import BRANCH, T0

ALLOWED_RRN = {"rrn_encrypted", "rrn_hash", "rrn_masked"}
# columns whose names mention a secret but hold only its hash or metadata
ALLOWED_SECRETISH = {"password_hash", "password_changed_at", "must_change_password"}
FORBIDDEN = re.compile(r"(password|passwd|private|secret|\bpin\b|key|p12|pfx|signpri)")


def test_no_column_can_hold_secrets_or_a_plaintext_rrn() -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            name = column.name.lower()
            if "rrn" in name or "resident" in name or "jumin" in name:
                assert name in ALLOWED_RRN, f"{table.name}.{name}"
            if name not in ALLOWED_SECRETISH:
                assert not FORBIDDEN.search(name), f"{table.name}.{name} looks like it holds a secret"
    customers = Base.metadata.tables["customers"]
    assert isinstance(customers.c.rrn_encrypted.type, sa.LargeBinary)
    assert customers.c.rrn_masked.type.length == 14  # "YYMMDD-G******": no room for 13 digits and more


def test_every_datetime_column_is_zone_aware() -> None:
    from db.models import UTCDateTime

    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.DateTime) or isinstance(column.type, UTCDateTime):
                assert isinstance(column.type, UTCDateTime), f"{table.name}.{column.name}"


def test_filtered_audit_pages_use_an_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SqlBranchStore(f"sqlite:///{tmp_path / 'teller.db'}", BRANCH)
    store.migrate()
    filters = [
        AuditFilter(),
        AuditFilter(staff_id="s1", action="issue", since=T0, until=T0 + timedelta(days=7)),
        AuditFilter(customer_ref="c1"),
        AuditFilter(since=T0, until=T0 + timedelta(days=1)),
        AuditFilter(action="revoke"),
    ]
    with store.engine.connect() as conn:
        for flt in filters:
            stmt = (sa.select(*AUDIT_COLUMNS).where(*audit_conditions(BRANCH, flt), T_AUDIT.c.seq < 10**9)
                    .order_by(T_AUDIT.c.seq.desc()).limit(50))
            compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
            assert "INDEX" in plan, (flt, plan)  # never a full table scan
    store.dispose()
