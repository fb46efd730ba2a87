"""Manager screens: log review paged page by page (keyset), filters, event detail, chain verification with its
progress bar, staff management, the teller kept out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.widgets import DataTable, Input, Select

from screens.app import TellerApp
from screens.home import HomeScreen
from screens.manager import PAGE_SIZE, EventDetailDialog, LogReviewScreen, ManagerScreen, StaffScreen
from teller.domain import Action, AuditDraft
from tui_helpers import asynctest, set_values, settle, sign_in, texts  # type: ignore[import-not-found]


def add_events(home: Any, n: int) -> None:
    """n lookup events by t002, spread over two days (real chain appends)."""
    start = home.clock.now() - timedelta(days=1)
    with home.deps.store.unit_of_work() as uow:
        for i in range(n):
            uow.audit.append(AuditDraft(at=start + timedelta(minutes=i), terminal_id="T02", staff_id="t002",
                                        action=Action.CUSTOMER_LOOKUP, result="ok", subject=f"lookup-{i}"))
        uow.commit()


def seqs(table: DataTable[Any]) -> list[int]:
    return [int(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def open_logs(pilot: Any, home: Any) -> LogReviewScreen:
    await sign_in(pilot, "m001", home.passwords["m001"])
    await pilot.press("f9")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ManagerScreen)
    await pilot.press("f2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LogReviewScreen)
    return screen


@asynctest
async def test_log_review_pages_newest_first_without_loading_everything(tui_home: Any) -> None:
    add_events(tui_home, 2 * PAGE_SIZE + 7)
    with tui_home.deps.store.unit_of_work() as uow:
        head = uow.audit.head()[0]
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot, tui_home)
        table = screen.query_one("#log-table", DataTable)
        first = seqs(table)
        assert len(first) == PAGE_SIZE
        assert first[0] >= head and first == sorted(first, reverse=True)
        await pilot.press("pagedown")
        await settle(pilot)
        second = seqs(table)
        assert len(second) == PAGE_SIZE and second[0] == first[-1] - 1
        await pilot.press("f8")
        await settle(pilot)
        third = seqs(table)
        assert third[0] == second[-1] - 1 and third[-1] >= 1
        await pilot.press("pageup")
        await settle(pilot)
        assert seqs(table) == second

        table.focus()
        table.move_cursor(row=3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EventDetailDialog)
        assert app.screen.event.seq == second[3]
        assert str(second[3]) in texts(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


@asynctest
async def test_log_filters_by_staff_and_action(tui_home: Any) -> None:
    add_events(tui_home, 5)
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot, tui_home)
        set_values(app, {"#f-staff": "m001"})
        screen.query_one("#f-action", Select).value = Action.SIGN_IN.value
        await pilot.press("f6")
        await settle(pilot)
        table = screen.query_one("#log-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        # the stored value is filtered on; the teller reads the Korean label
        assert rows and all(r[2].strip() == "m001" and r[4].strip() == "로그인" for r in rows)
        await pilot.press("f12")
        await settle(pilot)
        assert str(table.get_row_at(0)[4]).strip() == "Sign-in"
        await pilot.press("f12")
        await settle(pilot)
        set_values(app, {"#f-staff": "t002"})
        screen.query_one("#f-action", Select).clear()
        screen.query_one("#f-since", Input).value = (tui_home.clock.now() - timedelta(days=1)).date().isoformat()
        await pilot.press("f6")
        await settle(pilot)
        assert table.row_count == 5


@asynctest
async def test_chain_verification_reports_intact_and_is_audited(tui_home: Any) -> None:
    add_events(tui_home, 30)
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot, tui_home)
        await pilot.press("f9")
        await settle(pilot)
        status = str(screen.query_one("#chain-status").render())
        assert "이상 없음" in status
        bar = screen.query_one("#chain-progress")
        assert bar.display and bar.percentage == 1.0
        with tui_home.deps.store.unit_of_work() as uow:  # before the app closes (and records the sign-out)
            last = uow.audit.get(uow.audit.head()[0])
    assert last.action == Action.AUDIT_VERIFIED.value and last.staff_id == "m001"


@asynctest
async def test_chain_verification_finds_a_tampered_event(tui_home: Any) -> None:
    add_events(tui_home, 10)
    import sqlite3

    con = sqlite3.connect(tui_home.settings.db_path)
    tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    audit_table = next(t for t in tables if "audit" in t and "event" in t)
    con.execute(f"update {audit_table} set result='refused' where seq=5")
    con.commit()
    con.close()
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_logs(pilot, tui_home)
        await pilot.press("f9")
        await settle(pilot)
        status = str(screen.query_one("#chain-status").render())
        assert "무결성 오류" in status and "seq 5" in status


@asynctest
async def test_staff_management_add_lock_and_reset(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "m001", tui_home.passwords["m001"])
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StaffScreen)
        set_values(app, {"#new-id": "t009", "#new-name": "신입창구", "#new-password": "Welcome2026a"})
        await pilot.press("f2")
        await settle(pilot)
        table = screen.query_one("#staff-table", DataTable)
        ids = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert "t009" in ids
        table.move_cursor(row=ids.index("t009"))
        await pilot.press("f3")
        await settle(pilot)
        assert screen.staff["t009"].locked
        await pilot.press("f3")
        await settle(pilot)
        assert not screen.staff["t009"].locked
        set_values(app, {"#new-password": "Changed2026b"})
        await pilot.press("f4")
        await settle(pilot)
    from teller.services import auth

    session = auth.sign_in(tui_home.deps, "t009", "Changed2026b")
    assert session.staff_id == "t009"


@asynctest
async def test_a_teller_cannot_open_the_manager_menu(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
