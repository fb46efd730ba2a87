"""Engines and sessions for the branch database.

SQLite (the embedded default) gets, on every connection: WAL, synchronous=FULL (NORMAL can lose a committed
transaction on power loss), foreign keys, a busy timeout, and write transactions that start with
`BEGIN IMMEDIATE` (SQLAlchemy's documented pysqlite recipe): two terminals writing at once then queue for the
lock instead of failing with "database is locked" half-way through a transaction.

A read-only connection may ask for a plain deferred BEGIN with `execution_options(sqlite_begin="DEFERRED")`
so long reads (chain verification, exports) do not hold the write lock; under WAL they read a snapshot.

JSON columns are written in the audit chain's canonical form (sorted keys, no spaces, UTF-8): audit details
then read back as the very bytes of the stored record, which is what lets verification's consistency query
(`db.audit_records`) match them against the record as text. PostgreSQL's JSONB keeps its own form either way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from teller.audit_chain import canonical_json

DEFAULT_BUSY_TIMEOUT_MS = 10_000


def json_text(value: Any) -> str:
    """A JSON column's stored text: canonical_json where it can write the value, else json.dumps as before."""
    try:
        return canonical_json(value).decode("utf-8")
    except (TypeError, ValueError, RecursionError):  # e.g. keys of mixed types, a lone surrogate, a cycle
        return json.dumps(value)


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a file SQLite URL, else None (PostgreSQL, in-memory)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def make_engine(url: str | URL, *, busy_timeout_ms: int | None = None, **kwargs: Any) -> Engine:
    """Engine for a branch database URL (`sqlite:///file` or `postgresql+psycopg://…`).

    The busy timeout may also come from the URL (`sqlite:///f.db?busy_timeout=500`), so a `TELLER_DB_URL` can
    set it without a code change.
    """
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "postgresql":
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(u, **kwargs)
    if backend != "sqlite":
        return create_engine(u, **kwargs)

    query = dict(u.query)
    raw_timeout = query.pop("busy_timeout", None)
    u = u.set(query=query)
    timeout = busy_timeout_ms if busy_timeout_ms is not None else int(str(raw_timeout or DEFAULT_BUSY_TIMEOUT_MS))
    # pysqlite's own timeout is also the busy handler; keep both equal
    connect_args = {"timeout": timeout / 1000.0, "check_same_thread": False, **kwargs.pop("connect_args", {})}
    kwargs.setdefault("json_serializer", json_text)
    engine = create_engine(u, connect_args=connect_args, **kwargs)
    _install_sqlite_recipe(engine, timeout)
    return engine


def _install_sqlite_recipe(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # hand transaction control to SQLAlchemy (pysqlite would otherwise BEGIN lazily, DEFERRED, and
        # commit on its own before DDL)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (the UI shows them after the transaction ended)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
