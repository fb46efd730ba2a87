"""Helpers that drive the teller app in pilot tests and wait for its workers (bounded, never sleeping)."""

from __future__ import annotations

import asyncio
import functools
import shutil
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


def build_template(home: Path, clock: Any, *, demo: bool = True) -> tuple[dict[str, str], dict[str, Any]]:
    """Initialise a branch at `home` as `teller init [--demo]` does (CA keys, staff hashes: the slow part), then
    close it so the folder can be copied for each test."""
    from teller.services import setup
    from cli.wiring import build_deps

    deps = build_deps(load_settings(home, env={}, rsa_bits=2048), clock=clock)
    setup.initialise_branch(deps)
    passwords: dict[str, str] = {}
    people: dict[str, Any] = {}
    if demo:
        seed = setup.seed_demo_branch(deps)
        passwords = {s.staff_id: s.password for s in seed.staff}
        people = {p.name: p for p in seed.people}
    dispose = getattr(deps.store, "dispose", None)
    if dispose is not None:
        dispose()
    return passwords, people


def make_home(template: Path, passwords: dict[str, str], people: dict[str, Any], home: Path, clock: Any,
              **overrides: Any) -> TuiHome:
    """A private copy of the template branch with a tmp media folder; `overrides` are settings."""
    from cli.wiring import build_deps

    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(template, home)
    media = home.parent / "usb-stick"
    media.mkdir(exist_ok=True)
    options: dict[str, Any] = dict(rsa_bits=2048, media_folders=(media,), demo_media=False, printer="pdf")
    options.update(overrides)
    settings = load_settings(home, env={}, **options)
    deps = build_deps(settings, clock=clock)
    return TuiHome(deps, settings, media, dict(passwords), dict(people), clock)


def close_home(h: TuiHome) -> None:
    dispose = getattr(h.deps.store, "dispose", None)
    if dispose is not None:
        dispose()


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
