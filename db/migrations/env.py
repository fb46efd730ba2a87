"""Alembic environment for the branch database.

`db.migrate.upgrade_to_head` passes an open connection (already inside one transaction, foreign keys off on
SQLite) in `config.attributes["connection"]`. Run from the command line (`alembic -c db/alembic.ini …`) it
builds its own engine with `db.engine.make_engine`, so SQLite DDL still runs inside `BEGIN IMMEDIATE` and a
failed migration leaves nothing half-built.
"""

from __future__ import annotations

import os

from alembic import context

from db.engine import make_engine
from db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
        compare_server_default=False,
    )


def run_offline() -> None:
    url = os.environ.get("TELLER_DB_URL") or config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=str(url).startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("TELLER_DB_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set TELLER_DB_URL or sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            with conn.begin():
                _configure(conn)
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
