"""Fixtures for the media tests: real tmpfs mounts (read-only, tiny, few inodes) when the tests run as root, and
an empty medium folder."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test modules import the helpers in media_testkit.py (tree snapshots, sample files, tmpfs mounts).
sys.path.insert(0, str(Path(__file__).parent))

from media_testkit import Mounts  # noqa: E402


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Mounts]:
    m = Mounts(tmp_path)
    try:
        yield m
    finally:
        m.cleanup()


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "stick"
    root.mkdir()
    return root
