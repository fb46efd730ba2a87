"""Bring a branch database to the newest schema; safe (and fast) to call on every start.

SQLite: the file is copied first with `VACUUM INTO <file>.bak-<rev>`, foreign keys are switched off for the
batch table copies, every revision runs inside one `BEGIN IMMEDIATE` transaction (all or nothing), and
`PRAGMA foreign_key_check` must come back clean before the commit. PostgreSQL: one transaction holding an
advisory lock, so two terminals starting together migrate once.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from db.engine import sqlite_file

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x7E11E2  # advisory lock id for "branch-teller migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configured in code (works from an installed package, no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_to_head(engine: Engine, target: str = "head") -> str | None:
    """Upgrade to `target` (default head). Returns the backup file written, if any."""
    wanted = head_revision() if target == "head" else target
    if current_revision(engine) == wanted:
        return None
    if engine.dialect.name == "sqlite":
        return _upgrade_sqlite(engine, target)
    with engine.connect() as conn:
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            if MigrationContext.configure(conn).get_current_revision() != wanted:
                command.upgrade(alembic_config(conn), target)
    return None


def _upgrade_sqlite(engine: Engine, target: str) -> str | None:
    path = sqlite_file(engine.url)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection  # no SQLAlchemy transaction is open yet
        assert raw is not None
        revision = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()  # reading the version began a transaction; VACUUM and PRAGMA foreign_keys need none
        backup = _backup(raw, path, revision)
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():  # BEGIN IMMEDIATE: the write lock, and all-or-nothing DDL
                command.upgrade(alembic_config(conn), target)
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys = ON")
    return str(backup) if backup else None


def _backup(raw: object, path: Path | None, revision: str | None) -> Path | None:
    if path is None or not path.exists() or path.stat().st_size == 0:
        return None
    has_tables = raw.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if not has_tables:
        return None
    target = path.with_name(f"{path.name}.bak-{revision or 'unversioned'}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-{revision or 'unversioned'}.{n}")
    raw.execute("VACUUM INTO ?", (str(target),))  # type: ignore[attr-defined]
    return target
