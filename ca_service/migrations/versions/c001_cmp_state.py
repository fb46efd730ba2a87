"""CMP state: registrations, transactions, nonces, pending enrolments.

Revision ID: c001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cmp_registrations",
        sa.Column("reference", sa.String(64), primary_key=True),
        sa.Column("code_sealed", sa.LargeBinary, nullable=False),
        sa.Column("real_name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "cmp_transactions",
        sa.Column("transaction_id", sa.LargeBinary, primary_key=True),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "cmp_nonces",
        sa.Column("nonce", sa.LargeBinary, primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "cmp_pending",
        sa.Column("serial", sa.String(24), primary_key=True),
        sa.Column("transaction_id", sa.LargeBinary, nullable=False, index=True),
        sa.Column("cert_req_id", sa.Integer, nullable=False),
        sa.Column("cert_hash", sa.LargeBinary, nullable=False),
        sa.Column("our_nonce", sa.LargeBinary, nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    for table in ("cmp_pending", "cmp_nonces", "cmp_transactions", "cmp_registrations"):
        op.drop_table(table)
