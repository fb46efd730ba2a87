"""Initial branch schema: branch, terminals, staff, customers, evidence, certificates, approvals, audit, receipts.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "branch",
        sa.Column("branch_id", sa.String(16), nullable=False),
        sa.Column("branch_name", sa.String(100), nullable=False),
        sa.Column("bank_name", sa.String(100), nullable=False),
        sa.Column("bank_code", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("branch_id", name="pk_branch"),
    )
    op.create_table(
        "terminals",
        sa.Column("terminal_id", sa.String(32), nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", name="pk_terminals"),
    )
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=True),
        sa.Column("password_changed_at", TS, nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name="pk_staff"),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("rrn_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("rrn_hash", sa.String(64), nullable=False),
        sa.Column("rrn_masked", sa.String(14), nullable=False),
        sa.Column("is_foreigner", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customers"),
    )
    op.create_index("ix_customers_name", "customers", ["name"])
    op.create_index("ix_customers_rrn_hash", "customers", ["rrn_hash"], unique=True)
    op.create_index("ix_customers_rrn_masked", "customers", ["rrn_masked"])
    op.create_table(
        "id_evidence",
        sa.Column("evidence_id", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(32), nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False),
        sa.Column("document_number_masked", sa.String(64), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("checked_at", TS, nullable=False),
        sa.Column("photo_attested", sa.Boolean(), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.customer_id"],
                                name="fk_id_evidence_customer_id_customers"),
        sa.PrimaryKeyConstraint("evidence_id", name="pk_id_evidence"),
    )
    op.create_index("ix_id_evidence_checked_at", "id_evidence", ["checked_at"])
    op.create_index("ix_id_evidence_customer_id_checked_at", "id_evidence", ["customer_id", "checked_at"])
    op.create_table(
        "certificates",
        sa.Column("serial", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject_dn", sa.Text(), nullable=False),
        sa.Column("issuer_dn", sa.Text(), nullable=False),
        sa.Column("policy_oid", sa.String(64), nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("not_after", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("media_label", sa.String(100), nullable=True),
        sa.Column("folder", sa.Text(), nullable=True),
        sa.Column("transaction", sa.String(64), nullable=False),
        sa.Column("fee_krw", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revocation_reason", sa.String(32), nullable=True),
        sa.Column("held_at", TS, nullable=True),
        sa.Column("hold_until", TS, nullable=True),
        sa.Column("replaces_serial", sa.String(40), nullable=True),
        sa.Column("replaced_by_serial", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.customer_id"],
                                name="fk_certificates_customer_id_customers"),
        sa.PrimaryKeyConstraint("serial", name="pk_certificates"),
    )
    op.create_index("ix_certificates_customer_id", "certificates", ["customer_id"])
    op.create_index("ix_certificates_not_after", "certificates", ["not_after"])
    op.create_index("ix_certificates_status_not_after", "certificates", ["status", "not_after"])
    op.create_index("ix_certificates_transaction", "certificates", ["transaction"])
    op.create_table(
        "approvals",
        sa.Column("approval_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("binding", sa.Text(), nullable=False),
        sa.Column("requester_id", sa.String(32), nullable=False),
        sa.Column("approver_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("approval_id", name="pk_approvals"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("terminal_id", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.UniqueConstraint("branch_id", "seq", name="uq_audit_events_branch_id_seq"),
        sa.UniqueConstraint("event_id", name="uq_audit_events_event_id"),
    )
    op.create_index("ix_audit_events_action_seq", "audit_events", ["action", "seq"])
    op.create_index("ix_audit_events_at_seq", "audit_events", ["at", "seq"])
    op.create_index("ix_audit_events_customer_ref_seq", "audit_events", ["customer_ref", "seq"])
    op.create_index("ix_audit_events_staff_id_seq", "audit_events", ["staff_id", "seq"])
    op.create_table(
        "receipts",
        sa.Column("transaction", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("pdf_path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("printed_at", TS, nullable=True),
        sa.Column("printer", sa.String(100), nullable=True),
        sa.Column("job_id", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("transaction", name="pk_receipts"),
    )
    op.create_index("ix_receipts_created_at", "receipts", ["created_at"])
    op.create_table(
        "counters",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )


def downgrade() -> None:
    for table in ("counters", "receipts", "audit_events", "approvals", "certificates", "id_evidence",
                  "customers", "staff", "terminals", "branch"):
        op.drop_table(table)
