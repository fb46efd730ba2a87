"""Registrations keep the registered resident number, sealed, to check the customer's VID material against.

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


def downgrade() -> None:
    with op.batch_alter_table("cmp_registrations") as batch:
        batch.drop_column("rrn_sealed")
