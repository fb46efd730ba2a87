"""Helpers that drive the teller app in pilot tests and wait for its workers (bounded, never sleeping)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def asynctest(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async pilot test with asyncio.run (no async pytest plugin is installed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))  # type: ignore[arg-type]

    return wrapper


async def settle(pilot: Any, rounds: int = 6) -> None:
    """Wait for workers, and for the workers their results start (bounded; no sleeping)."""
    app = pilot.app
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return


def set_values(app: Any, values: dict[str, str]) -> None:
    from textual.widgets import Input

    for selector, value in values.items():
        app.screen.query_one(selector, Input).value = value


async def sign_in(pilot: Any, staff_id: str, password: str) -> None:
    await settle(pilot)
    set_values(pilot.app, {"#staff-id": staff_id, "#password": password})
    await pilot.press("f1")
    await settle(pilot)


def texts(app: Any, selectors: Iterable[str] = ("Static",)) -> str:
    """All visible text of the current screen's Static-based widgets (labels included)."""
    parts: list[str] = []
    for selector in selectors:
        for widget in app.screen.query(selector):
            parts.append(str(widget.render()))
    return "\n".join(parts)
