"""TUI fixtures: a real teller home (SQLite file, embedded CA, training ID registry, PDF printer) initialised as
`teller init --demo` does, a tmp media folder, and helpers that drive the app and wait for its workers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tui_helpers (importlib import mode: no package imports)

from tui_helpers import TuiHome, build_template, close_home, make_home  # noqa: E402


class _FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


START = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)  # the shared `clock` fixture's start: 10:00 KST


@pytest.fixture(scope="session")
def tui_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, str], dict[str, Any]]]:
    """Two initialised branches, built once per session: a demo branch and one without any staff."""
    out = {}
    for name, demo in (("demo", True), ("empty", False)):
        path = tmp_path_factory.mktemp(f"tui-{name}") / "home"
        passwords, people = build_template(path, _FixedClock(START), demo=demo)
        out[name] = (path, passwords, people)
    return out


@pytest.fixture
def tui_home(tui_templates: Any, tmp_path: Path, clock: Any) -> Iterator[TuiHome]:
    h = make_home(*tui_templates["demo"], tmp_path / "tui-home", clock)
    yield h
    close_home(h)


@pytest.fixture
def empty_home(tui_templates: Any, tmp_path: Path, clock: Any) -> Iterator[TuiHome]:
    """A branch without any staff: the sign-in screen offers to create the first manager."""
    h = make_home(*tui_templates["empty"], tmp_path / "tui-home", clock)
    yield h
    close_home(h)
