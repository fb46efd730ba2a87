"""The terminal's background sync: it pushes the branch trail to head office while tellers work, the home screen
shows how far it got, and a head office that is down is a message on the home screen, never a stop."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.widgets import Static

from db.headoffice import HeadOffice
from screens.app import TellerApp
from screens.home import HomeScreen
from teller.errors import UpstreamError
from tui_helpers import asynctest, settle, sign_in  # type: ignore[import-not-found]


async def wait_for(pilot: Any, done: Any, seconds: float = 20.0) -> None:
    """Bounded wait for something a background thread does (the sync worker is not a Textual worker)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def sync_text(app: Any) -> str:
    return str(app.screen.query_one("#home-sync", Static).render())


def local_head(home: Any) -> int:
    with home.deps.store.unit_of_work() as uow:
        return int(uow.audit.head()[0])


@asynctest
async def test_background_sync_reaches_head_office_and_the_home_screen_shows_it(tui_home: Any,
                                                                                  tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'headoffice.db'}"
    tui_home.deps.upstream_factory = lambda: HeadOffice(url)
    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.sync_worker is not None
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        assert isinstance(app.screen, HomeScreen)
        app.wake_sync()  # the sign-in itself is a new event
        await wait_for(pilot, lambda: "대기 0건" in sync_text(app))
        head = local_head(tui_home)
        assert f"#{head}" in sync_text(app) or head > 0
    assert app.sync_worker is not None and app.sync_worker.status is not None
    ho = HeadOffice(url)
    try:
        ok, verified_seq, _ = ho.verify_branch(tui_home.settings.branch_id)
        assert ok and verified_seq >= head  # every event, chain re-verified at head office
    finally:
        ho.close()


@asynctest
async def test_head_office_down_is_a_message_and_the_counter_keeps_working(tui_home: Any) -> None:
    def unreachable() -> Any:
        raise UpstreamError("본점에 연결할 수 없습니다", "head office unreachable")

    tui_home.deps.upstream_factory = unreachable
    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        assert isinstance(app.screen, HomeScreen)
        app.wake_sync()
        await wait_for(pilot, lambda: "전송 오류" in sync_text(app))
        assert "본점에 연결할 수 없습니다" in sync_text(app)
        await pilot.press("f2")  # the counter still opens the next screen
        await settle(pilot)
        assert not isinstance(app.screen, HomeScreen)


@asynctest
async def test_without_an_upstream_there_is_no_sync_thread(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.sync_worker is None
