"""Sync progress (single-row sync_state) and the receipts' reprint count.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("reprints", sa.Integer(), server_default=sa.text("0"), nullable=False))
    sync_state = op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("acked_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_success", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name="ck_sync_state_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_sync_state"),
    )
    op.bulk_insert(sync_state, [{"id": 1, "acked_seq": 0}])


def downgrade() -> None:
    op.drop_table("sync_state")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("reprints")
