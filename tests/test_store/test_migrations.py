"""Migrations: from an empty database and from every earlier revision to head, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.engine import make_engine
from db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from db.models import Base, UTCDateTime
from db.store import SqlBranchStore

from .conftest import BRANCH, T0

# the receipts table as revision 0001 knew it (no reprints column)
OLD_RECEIPTS = sa.table(
    "receipts", sa.column("transaction"), sa.column("action"), sa.column("pdf_path"), sa.column("sha256"),
    sa.column("created_at", UTCDateTime()), sa.column("staff_id"),
)
REVISIONS = [s.revision for s in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]


def test_there_is_more_than_one_revision() -> None:
    assert len(REVISIONS) >= 2 and REVISIONS[-1] == head_revision()


def _schema_diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)


def test_empty_to_head_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_to_head(engine)
        assert current_revision(engine) == head_revision()
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("start", REVISIONS[:-1])
def test_every_earlier_revision_upgrades_to_head_keeping_data(db_url: str, start: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_to_head(engine, target=start)
        assert current_revision(engine) == start
        with engine.begin() as conn:  # a row written by the older schema
            conn.execute(OLD_RECEIPTS.insert().values(
                transaction="TX1", action="issue", pdf_path="r/TX1.pdf", sha256="a" * 64, created_at=T0,
                staff_id="s1001"))
        backup = upgrade_to_head(engine)
        assert current_revision(engine) == head_revision()
        assert _schema_diff(engine) == []
        if engine.dialect.name == "sqlite":
            assert backup is not None and Path(backup).name == f"teller.db.bak-{start}"
            old = sa.create_engine(f"sqlite:///{backup}")
            with old.connect() as conn:  # the backup is the database as it was before
                assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == start
            old.dispose()
    finally:
        engine.dispose()
    store = SqlBranchStore(db_url, BRANCH)
    with store.unit_of_work() as uow:
        receipt = uow.receipts.get("TX1")
        assert receipt is not None and receipt.reprints == 0 and receipt.created_at == T0
        assert uow.branch.sync_state().acked_seq == 0
    store.dispose()


def test_upgrade_at_head_is_a_no_op(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_to_head(engine)
        assert upgrade_to_head(engine) is None  # no second backup, nothing run
        if engine.dialect.name == "sqlite":
            folder = Path(engine.url.database).parent  # type: ignore[arg-type]
            assert not list(folder.glob("teller.db.bak-*"))
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_to_head(engine)
        with engine.connect() as conn, conn.begin():
            command.downgrade(alembic_config(conn), "base")
        assert current_revision(engine) is None
        upgrade_to_head(engine)
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
