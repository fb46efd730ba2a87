"""TUI fixtures: a real teller home (SQLite file, embedded CA, training ID registry, PDF printer) initialised as
`teller init --demo` does, a tmp media folder, and helpers that drive the app and wait for its workers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sys

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tui_helpers (importlib import mode: no package imports)

from teller.config import load_settings


@dataclass
class TuiHome:
    deps: Any
    settings: Any
    media: Path
    passwords: dict[str, str]  # demo staff id → generated password
    people: dict[str, Any]  # demo person name → DemoPerson (fake data)
    clock: Any


def make_home(home: Path, clock: Any, *, demo: bool = True, **overrides: Any) -> TuiHome:
    from teller.services import setup
    from teller.wiring import build_deps

    media = home.parent / "usb-stick"
    media.mkdir(exist_ok=True)
    options: dict[str, Any] = dict(rsa_bits=2048, media_folders=(media,), demo_media=False, printer="pdf")
    options.update(overrides)
    settings = load_settings(home, env={}, **options)
    deps = build_deps(settings, clock=clock)
    setup.initialise_branch(deps)
    passwords: dict[str, str] = {}
    people: dict[str, Any] = {}
    if demo:
        seed = setup.seed_demo_branch(deps)
        passwords = {s.staff_id: s.password for s in seed.staff}
        people = {p.name: p for p in seed.people}
    return TuiHome(deps, settings, media, passwords, people, clock)


@pytest.fixture
def tui_home(home: Path, clock: Any) -> TuiHome:
    return make_home(home, clock)


@pytest.fixture
def empty_home(home: Path, clock: Any) -> TuiHome:
    """A branch without any staff: the sign-in screen offers to create the first manager."""
    return make_home(home, clock, demo=False)
