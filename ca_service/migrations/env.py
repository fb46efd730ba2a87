"""Alembic environment of the CMP service's tables (`ca_service.cmp_store.migrate` passes the connection)."""

from __future__ import annotations

from alembic import context

from ca_service.cmp_store import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
