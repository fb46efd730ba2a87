"""TUI fixtures: a real teller home (SQLite file, embedded CA, training ID registry, PDF printer) initialised as
`teller init --demo` does, a tmp media folder, and helpers that drive the app and wait for its workers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tui_helpers (importlib import mode: no package imports)

from tui_helpers import TuiHome, make_home  # noqa: E402


@pytest.fixture
def tui_home(home: Path, clock: Any) -> TuiHome:
    return make_home(home, clock)


@pytest.fixture
def empty_home(home: Path, clock: Any) -> TuiHome:
    """A branch without any staff: the sign-in screen offers to create the first manager."""
    return make_home(home, clock, demo=False)
