"""Sign-in, first-run manager creation, idle lock/unlock, language toggle, sign-out."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from screens.app import TellerApp
from screens.home import HomeScreen
from screens.signin import LockScreen, SignInScreen
from screens.widgets import SecretInput
from tui_helpers import asynctest, settle, set_values, sign_in, texts  # type: ignore[import-not-found]


@asynctest
async def test_wrong_password_stays_on_sign_in_then_right_password_opens_home(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", "not-the-password-1")
        assert isinstance(app.screen, SignInScreen)
        assert app.session is None
        assert app.screen.query_one("#password", SecretInput).value == ""  # a failed try leaves nothing behind
        status = str(app.screen.query_one("#signin-status").render())
        assert "비밀번호" in status or "직원" in status

        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        assert isinstance(app.screen, HomeScreen)
        assert app.session is not None and app.session.staff_id == "t001"


@asynctest
async def test_repeated_failures_lock_the_account(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(tui_home.settings.lockout_threshold):
            await sign_in(pilot, "t002", "wrong-password-9")
        await sign_in(pilot, "t002", tui_home.passwords["t002"])
        assert isinstance(app.screen, SignInScreen)
        assert "잠" in str(app.screen.query_one("#signin-status").render())  # 잠김/잠겼습니다: locked out


@asynctest
async def test_first_run_creates_the_branch_manager(empty_home: Any) -> None:
    app = TellerApp(empty_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen) and screen.first_run
        assert screen.query_one("#staff-name", Input).display
        set_values(app, {"#staff-id": "m100", "#staff-name": "한지점", "#password": "Branch2026x",
                         "#password2": "Branch2026x"})
        await pilot.press("f1")
        await settle(pilot)
        assert not screen.first_run
        assert "m100" in str(screen.query_one("#signin-status").render())
        await sign_in(pilot, "m100", "Branch2026x")
        assert isinstance(app.screen, HomeScreen)
        assert app.session.role.value == "manager"


@asynctest
async def test_first_run_refuses_mismatched_passwords(empty_home: Any) -> None:
    app = TellerApp(empty_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        set_values(app, {"#staff-id": "m100", "#staff-name": "한지점", "#password": "Branch2026x",
                         "#password2": "Branch2026y"})
        await pilot.press("f1")
        await settle(pilot)
        assert app.screen.first_run  # nothing created
        from teller.services import auth

        assert auth.needs_first_manager(empty_home.deps)


@asynctest
async def test_idle_lock_then_only_the_same_staff_password_unlocks(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        tui_home.clock.advance(minutes=tui_home.settings.idle_lock_minutes - 1)
        app.check_idle_lock()
        await pilot.pause()
        assert not isinstance(app.screen, LockScreen)

        tui_home.clock.advance(minutes=2)
        app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert "잠금" in texts(app) or "잠김" in texts(app)

        # another staff member's password does not unlock it
        set_values(app, {"#unlock-password": tui_home.passwords["t002"]})
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)

        set_values(app, {"#unlock-password": tui_home.passwords["t001"]})
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert not app.locked


@asynctest
async def test_key_presses_keep_the_terminal_unlocked(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        tui_home.clock.advance(minutes=tui_home.settings.idle_lock_minutes - 1)
        await pilot.press("f8")  # any key is activity
        tui_home.clock.advance(minutes=2)
        app.check_idle_lock()
        await pilot.pause()
        assert not isinstance(app.screen, LockScreen)


@asynctest
async def test_f12_toggles_language_of_labels_and_footer(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "직원 로그인" in texts(app)
        await pilot.press("f12")
        await pilot.pause()
        assert app.lang == "en"
        assert "Staff sign-in" in texts(app)
        descriptions = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Sign in" in descriptions
        await pilot.press("f12")
        await pilot.pause()
        assert "직원 로그인" in texts(app)


@asynctest
async def test_sign_out_returns_to_sign_in_and_forgets_the_session(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        await pilot.press("f11")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert app.session is None and app.customer is None


@asynctest
async def test_closing_the_terminal_while_signed_in_records_the_sign_out(tui_home: Any) -> None:
    from teller.domain import AuditFilter

    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("ctrl+q")  # Textual's quit key
        await pilot.pause()
    with tui_home.deps.store.unit_of_work() as uow:
        newest = uow.audit.page(AuditFilter(staff_id="t001"), limit=1)[0]
    assert (newest.action, newest.staff_id) == ("sign_out", "t001")


@asynctest
async def test_a_terminal_that_goes_away_closes_the_app_and_records_the_sign_out(
        tui_home: Any, monkeypatch: Any) -> None:
    import screens.app
    from teller.domain import AuditFilter

    present = [True]
    monkeypatch.setattr(screens.app, "_terminal_present", lambda fd: present[0])
    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        app._tty_fd = 0  # as if started on a terminal (the test runs headless)
        app.check_terminal()
        await pilot.pause()
        assert app.return_code is None and app.session is not None
        present[0] = False  # the SSH session dropped
        app.check_terminal()
        await pilot.pause()
        assert app.return_code == 0  # exiting, by itself
    assert app.session is None
    with tui_home.deps.store.unit_of_work() as uow:
        newest = uow.audit.page(AuditFilter(staff_id="t001"), limit=1)[0]
    assert (newest.action, newest.staff_id) == ("sign_out", "t001")
