"""Snapshot tests (pytest-textual-snapshot) of the main screens with deterministic data: a fixed clock, no media
folders shown (free space varies), no serials or paths on these screens. Update with --snapshot-update."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox

from screens.app import TellerApp
from tui_helpers import close_home, make_home, set_values, settle, sign_in  # type: ignore[import-not-found]

SIZE = (120, 40)


@pytest.fixture
def snap_home(tui_templates: Any, tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    h = make_home(*tui_templates["demo"], tmp_path / "tui-home", clock, media_folders=(), demo_media=False)
    yield h
    close_home(h)


def app_for(h: Any) -> TellerApp:
    return TellerApp(h.deps, idle_check_s=3600)


def test_sign_in_screen(snap_compare: Any, snap_home: Any) -> None:
    async def ready(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(app_for(snap_home), terminal_size=SIZE, run_before=ready)


def test_sign_in_screen_at_80x24(snap_compare: Any, snap_home: Any) -> None:
    async def ready(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(app_for(snap_home), terminal_size=(80, 24), run_before=ready)


def test_home_screen(snap_compare: Any, snap_home: Any) -> None:
    async def signed_in(pilot: Any) -> None:
        await sign_in(pilot, "t001", snap_home.passwords["t001"])

    assert snap_compare(app_for(snap_home), terminal_size=SIZE, run_before=signed_in)


def test_identify_screen_after_check(snap_compare: Any, snap_home: Any) -> None:
    async def identified(pilot: Any) -> None:
        await sign_in(pilot, "t001", snap_home.passwords["t001"])
        await pilot.press("f2")
        await settle(pilot)
        person = snap_home.people["홍길동"]
        set_values(pilot.app, {"#name": person.name, "#rrn": person.rrn, "#issue-date": person.issue_date.isoformat()})
        pilot.app.screen.query_one("#photo", Checkbox).value = True
        await pilot.press("f1")
        await settle(pilot)
        # the check's request id is random: mask it
        result = pilot.app.screen.query_one("#identify-result")
        result.update(str(result.render()).split("(")[0] + "(…)\n" + str(result.render()).split("\n", 1)[1])

    assert snap_compare(app_for(snap_home), terminal_size=SIZE, run_before=identified)


def test_customer_password_screen(snap_compare: Any, snap_home: Any) -> None:
    async def password_screen(pilot: Any) -> None:
        from screens.issue import CustomerPasswordScreen

        await sign_in(pilot, "t001", snap_home.passwords["t001"])
        await pilot.app.push_screen(CustomerPasswordScreen())
        await settle(pilot)
        set_values(pilot.app, {"#pw1": "abc123!", "#pw2": "abc"})
        await pilot.pause()

    assert snap_compare(app_for(snap_home), terminal_size=SIZE, run_before=password_screen)


def test_log_review_screen(snap_compare: Any, snap_home: Any) -> None:
    async def logs(pilot: Any) -> None:
        await sign_in(pilot, "m001", snap_home.passwords["m001"])
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(app_for(snap_home), terminal_size=SIZE, run_before=logs)
