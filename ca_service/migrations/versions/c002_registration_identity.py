"""Registrations keep the registered resident number, sealed (to check the customer's VID material against),
and which branch registered them when (the branch's close-out counts them).

Revision ID: c002
Revises: c001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c002"
down_revision = "c001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cmp_registrations") as batch:
        batch.add_column(sa.Column("rrn_sealed", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("branch_id", sa.String(16), nullable=True))
        batch.add_column(sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cmp_registrations") as batch:
        batch.drop_column("registered_at")
        batch.drop_column("branch_id")
        batch.drop_column("rrn_sealed")
