"""Branch database schema (SQLAlchemy 2 declarative).

No column holds key material, a certificate password or a plaintext resident number: customers carry the RRN
only AES-GCM encrypted (`rrn_encrypted`), as a keyed hash (`rrn_hash`) and masked (`rrn_masked`).
Repositories (`db.repositories`) read and write these tables with Core statements and return `teller.domain`
dataclasses; ORM instances never leave the `db` package.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic batch migrations on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend.

    SQLite keeps no zone (the value is stored as naive UTC text, which also sorts correctly); PostgreSQL uses
    `timestamptz`. Naive datetimes are refused on the way in: their meaning depends on the machine's zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the branch database; use an aware UTC datetime")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class HexUUID(TypeDecorator[str]):
    """A UUID column (native `uuid` on PostgreSQL, CHAR(32) on SQLite) read back as 32 lower-case hex digits.

    Audit hashes cover the event id as hex text, so the text form must not depend on the backend.
    """

    impl = Uuid(as_uuid=True)
    cache_ok = True

    def process_bind_param(self, value: str | uuid.UUID | None, dialect: Dialect) -> uuid.UUID | None:
        if value is None:
            return None
        return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)

    def process_result_value(self, value: uuid.UUID | None, dialect: Dialect) -> str | None:
        return None if value is None else value.hex


# Portable JSON: JSONB on PostgreSQL, JSON text elsewhere.
PortableJSON = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: PortableJSON}


class Branch(Base):
    __tablename__ = "branch"

    branch_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    branch_name: Mapped[str] = mapped_column(String(100))
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_code: Mapped[str] = mapped_column(String(3))


class Terminal(Base):
    __tablename__ = "terminals"

    terminal_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    registered_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Staff(Base):
    __tablename__ = "staff"

    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))  # scrypt, self-describing; never a password
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class Customer(Base):
    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    rrn_encrypted: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM ciphertext, never plaintext
    rrn_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # HMAC-SHA256 hex
    rrn_masked: Mapped[str] = mapped_column(String(14), index=True)  # YYMMDD-G******
    is_foreigner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None]


class IdEvidenceRow(Base):
    __tablename__ = "id_evidence"
    __table_args__ = (Index("ix_id_evidence_customer_id_checked_at", "customer_id", "checked_at"),)

    evidence_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    document_type: Mapped[str] = mapped_column(String(32))
    document_number_masked: Mapped[str | None] = mapped_column(String(64))
    issue_date: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(index=True)
    photo_attested: Mapped[bool] = mapped_column(Boolean)
    staff_id: Mapped[str] = mapped_column(String(32))


# In force: active or held, and not yet superseded by a renewal or reissue (an expired one is superseded by the
# next issuance of its kind). Shared by the model and migration 0004.
ONE_IN_FORCE_WHERE = "status IN ('active', 'held') AND replaced_by_serial IS NULL"


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_status_not_after", "status", "not_after"),
        # One certificate in force per customer and kind, enforced by the database (two counters may race).
        Index("uq_certificates_one_in_force", "customer_id", "kind", unique=True,
              sqlite_where=text(ONE_IN_FORCE_WHERE), postgresql_where=text(ONE_IN_FORCE_WHERE)),
    )

    serial: Mapped[str] = mapped_column(String(40), primary_key=True)  # lower-case hex
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_dn: Mapped[str] = mapped_column(Text)
    issuer_dn: Mapped[str] = mapped_column(Text)
    policy_oid: Mapped[str] = mapped_column(String(64))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    media_label: Mapped[str | None] = mapped_column(String(100))
    folder: Mapped[str | None] = mapped_column(Text)
    transaction: Mapped[str] = mapped_column(String(64), index=True)
    fee_krw: Mapped[int] = mapped_column(Integer)
    issued_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(32))
    held_at: Mapped[datetime | None]
    hold_until: Mapped[datetime | None]
    replaces_serial: Mapped[str | None] = mapped_column(String(40))
    replaced_by_serial: Mapped[str | None] = mapped_column(String(40))


class Approval(Base):
    __tablename__ = "approvals"

    approval_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    binding: Mapped[str] = mapped_column(Text)
    requester_id: Mapped[str] = mapped_column(String(32))
    approver_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AuditEventRow(Base):
    """One audited action, chained by hash to the one before it (teller.audit_chain).

    The composite indexes end in `seq` so a filtered page walks one index newest-first and stops after `limit`.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("branch_id", "seq"),
        Index("ix_audit_events_staff_id_seq", "staff_id", "seq"),
        Index("ix_audit_events_staff_id_action_at", "staff_id", "action", "at"),  # the manager's usual filter
        Index("ix_audit_events_action_seq", "action", "seq"),
        Index("ix_audit_events_customer_ref_seq", "customer_ref", "seq"),
        Index("ix_audit_events_at_seq", "at", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(HexUUID(), unique=True)
    at: Mapped[datetime]
    terminal_id: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(32))
    customer_ref: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # the canonical content bytes the hash covers (revision 0004; NULL on events written before): the columns
    # above are a queryable index of this record, checked against it on verification
    record: Mapped[bytes | None] = mapped_column(LargeBinary)


class Receipt(Base):
    __tablename__ = "receipts"

    transaction: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    pdf_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[str] = mapped_column(String(32))
    printed_at: Mapped[datetime | None]
    printer: Mapped[str | None] = mapped_column(String(100))
    job_id: Mapped[str | None] = mapped_column(String(100))
    reprints: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # revision 0002
    last_error: Mapped[str | None] = mapped_column(Text)


class Counter(Base):
    """Gap-free counters (transaction numbers) and the per-branch audit lock row."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class SyncStateRow(Base):
    """Upstream sync progress: a single row (id = 1). Revision 0002."""

    __tablename__ = "sync_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    last_success: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt: Mapped[datetime | None]
