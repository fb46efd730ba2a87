"""Audit events keep the canonical record bytes their hash covers.

New events store them in `record`; verification hashes those bytes as stored and checks the queryable columns
against them in one query. Events written before keep NULL and verify by rendering their columns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("record", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("record")
