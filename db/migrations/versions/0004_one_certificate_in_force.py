"""One certificate in force per customer and kind: a partial unique index, so two counters racing to issue, renew
or reissue for one customer cannot both succeed (the service's own check is read before the write).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_WHERE = "status IN ('active', 'held') AND replaced_by_serial IS NULL"  # = db.models.ONE_IN_FORCE_WHERE


def upgrade() -> None:
    op.create_index("uq_certificates_one_in_force", "certificates", ["customer_id", "kind"], unique=True,
                    sqlite_where=sa.text(_WHERE), postgresql_where=sa.text(_WHERE))


def downgrade() -> None:
    op.drop_index("uq_certificates_one_in_force", table_name="certificates")
