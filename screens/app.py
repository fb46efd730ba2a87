"""The teller terminal: one `TellerApp` holding the services' `Deps`, the signed-in staff session and the
customer currently at the counter. Screens live in their own modules; this file only routes between them.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

from screens.base import TLabel, TButton, localise_bindings
from screens.strings import t
from teller.errors import TellerError

if TYPE_CHECKING:
    from teller.config import Settings
    from teller.domain import CertificateRecord, StaffSession
    from teller.services.context import Deps
    from teller.services.customers import CustomerView
    from teller.services.sync import SyncStatus, SyncWorker

log = logging.getLogger("teller.tui")
log.addHandler(logging.NullHandler())
log.propagate = False  # never print to the terminal Textual draws on; <home>/logs/tui.log gets it


def _terminal_fd() -> int | None:
    """The file descriptor of the terminal the app reads from, when it is one."""
    try:
        fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
    except (OSError, ValueError):
        return None
    return fd if fd >= 0 and os.isatty(fd) else None


def _terminal_present(fd: int) -> bool:
    return os.isatty(fd)  # false once the terminal hung up (the tty answers EIO)


class TellerApp(App[None]):
    """`TellerApp(deps)` or `TellerApp(deps_factory=…)`: with a factory the sign-in screen shows at once and the
    services are built in a thread meanwhile (start-up stays fast)."""

    CSS_PATH = "teller.tcss"
    TITLE = "branch-teller"
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_BINDING = "f5"

    BINDINGS = [
        Binding("f12", "toggle_language", "English", id="lang", priority=True),
        Binding("f5", "command_palette", "찾기", id="palette", priority=True, show=False),  # docked right by Footer
    ]

    lang: reactive[str] = reactive("ko")

    def __init__(
        self,
        deps: "Deps | None" = None,
        *,
        deps_factory: Callable[[], "Deps"] | None = None,
        lang: str | None = None,
        settings: "Settings | None" = None,
        idle_check_s: float = 5.0,
    ) -> None:
        if deps is None and deps_factory is None:
            raise ValueError("TellerApp needs deps or deps_factory")
        super().__init__()
        self._deps = deps
        self.settings: "Settings | None" = settings or (deps.settings if deps is not None else None)
        self._deps_factory = deps_factory
        self._deps_ready = threading.Event()
        self._deps_error: BaseException | None = None
        if deps is not None:
            self._deps_ready.set()
        self.session: "StaffSession | None" = None
        self.customer: "CustomerView | None" = None
        self.customer_needs_approval = False
        self.certificate: "CertificateRecord | None" = None
        self.locked = False
        self.sync_worker: "SyncWorker | None" = None
        self._idle_check_s = idle_check_s
        self._last_activity = datetime.now(timezone.utc)
        self.set_reactive(TellerApp.lang, lang or (deps.settings.language if deps is not None else "ko"))
        from screens.palette import TellerCommands

        self.COMMANDS = {TellerCommands}

    # -- services --------------------------------------------------------------------------------------------
    @property
    def deps(self) -> "Deps":
        """The services' dependencies; from a worker thread this waits until they are built."""
        if self._deps is None:
            self._deps_ready.wait(60)
            if self._deps is None:
                raise TellerError("단말을 시작할 수 없습니다. 설정과 데이터베이스를 확인하세요.",
                                  "The terminal could not start: check the settings and the database.")
        return self._deps

    @property
    def deps_ready(self) -> bool:
        return self._deps is not None

    @work(thread=True, exit_on_error=False, group="startup")
    def _build_deps(self) -> None:
        assert self._deps_factory is not None
        try:
            deps = self._deps_factory()
        except Exception as exc:  # shown on the sign-in screen; logged with details
            self._deps_error = exc
            self._deps_ready.set()
            log.exception("building the services failed")
            self.call_from_thread(self.show_error, exc if isinstance(exc, TellerError) else None)
            return
        self._deps = deps
        self._deps_ready.set()
        self.call_from_thread(self._setup_logging)
        self.call_from_thread(self._start_sync)

    def now(self) -> datetime:
        return self._deps.clock.now() if self._deps is not None else datetime.now(timezone.utc)

    # -- lifecycle -------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from screens.signin import SignInScreen

        localise_bindings(self, self.lang)
        if self._deps is None:
            self._build_deps()
        else:
            self._setup_logging()
            self._start_sync()
        self.push_screen(SignInScreen())
        self.set_interval(self._idle_check_s, self.check_idle_lock, name="idle-lock")
        self._tty_fd = _terminal_fd()
        if self._tty_fd is not None:
            self.set_interval(1.0, self.check_terminal, name="terminal-gone")

    def check_terminal(self) -> None:
        """Close when the terminal has gone (a dropped SSH session, a closed window) and no hang-up signal came
        (e.g. started under `make run`): Textual's input thread would spin on the hung-up tty, a CPU core for
        ever, with the teller still signed in. Closing records the sign-out (`on_unmount`)."""
        if self._tty_fd is not None and not _terminal_present(self._tty_fd):
            log.warning("the terminal has gone: closing")
            self._tty_fd = None
            self.exit()

    def _setup_logging(self) -> None:
        """Unexpected errors go to <home>/logs/tui.log (never to the screen)."""
        if self._deps is None or getattr(self, "_log_ready", False):
            return
        self._log_ready = True
        try:
            log_dir = Path(self._deps.settings.log_dir)
            log_dir.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(log_dir / "tui.log", encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
            log.propagate = False
        except OSError:
            pass

    # -- head-office sync -------------------------------------------------------------------------------------
    def _start_sync(self) -> None:
        """Background sync while the terminal runs, when the wiring gave an upstream (`teller tui` does)."""
        deps = self._deps
        factory = deps.upstream_factory if deps is not None else None
        if deps is None or factory is None or deps.settings.sync_interval_s <= 0 or self.sync_worker is not None:
            return
        from teller.services.sync import SyncWorker

        self.sync_worker = SyncWorker(deps, factory, on_status=self._sync_status_from_thread)
        self.sync_worker.start()

    def _sync_status_from_thread(self, status: "SyncStatus") -> None:
        if self.is_running:
            self.call_from_thread(self._sync_status_changed, status)

    def _sync_status_changed(self, status: "SyncStatus") -> None:
        show = getattr(self.screen, "show_sync", None)
        if show is not None:
            show(status)

    def wake_sync(self) -> None:
        """Send what the last action recorded now rather than at the next interval."""
        if self.sync_worker is not None:
            self.sync_worker.wake()

    def on_unmount(self) -> None:
        if self.session is not None and self._deps is not None:  # closed while signed in (e.g. ctrl+q)
            from teller.services import auth

            try:
                auth.sign_out(self._deps, self.session)  # the trail says who left the terminal, and when
            except Exception:
                log.exception("recording the sign-out at exit failed")
            self.session = None
        if self.sync_worker is not None:
            self.sync_worker.stop(timeout=5)

    def show_error(self, exc: TellerError | BaseException | None) -> None:
        """A TellerError in the current language; anything else a generic message (details are in the log)."""
        if isinstance(exc, TellerError):
            self.notify(exc.text(self.lang), severity="error", timeout=8)
        else:
            self.notify(t("generic.error", self.lang), severity="error", timeout=8)

    def _handle_exception(self, error: Exception) -> None:
        """Last line of defence: log it, tell the teller in Korean, keep the terminal running."""
        log.exception("unhandled error in the UI", exc_info=error)
        try:
            self.show_error(error if isinstance(error, TellerError) else None)
        except Exception:
            super()._handle_exception(error)

    # -- language --------------------------------------------------------------------------------------------
    def action_toggle_language(self) -> None:
        self.lang = "en" if self.lang == "ko" else "ko"

    def watch_lang(self, lang: str) -> None:
        localise_bindings(self, lang)
        for screen in self.screen_stack:
            localise_bindings(screen, lang)
            for widget in screen.query(TLabel):
                widget.relabel()
            for button in screen.query(TButton):
                button.relabel()
            relabel = getattr(screen, "relabel", None)
            if relabel is not None:
                relabel()
        self.refresh_bindings()

    # -- session ---------------------------------------------------------------------------------------------
    def signed_in(self, session: "StaffSession") -> None:
        from screens.home import HomeScreen

        self.session = session
        self.customer = None
        self.certificate = None
        self.touch()
        self.switch_screen(HomeScreen())

    async def sign_out(self) -> None:
        from screens.signin import SignInScreen

        if self.session is not None:
            self._record_sign_out(self.session)
        self.session = None
        self.customer = None
        self.certificate = None
        self.locked = False
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(SignInScreen(signed_out=True))

    @work(thread=True, exit_on_error=False, group="session")
    def _record_sign_out(self, session: "StaffSession") -> None:
        """An app-level worker: the screen that asked is gone by the time this runs."""
        from teller.services import auth

        try:
            auth.sign_out(self.deps, session)
        except Exception:
            log.exception("recording the sign-out failed")

    def set_customer(self, customer: "CustomerView | None", needs_approval: bool = False) -> None:
        self.customer = customer
        self.customer_needs_approval = needs_approval
        self.certificate = None

    # -- idle lock -------------------------------------------------------------------------------------------
    def touch(self) -> None:
        self._last_activity = self.now()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)) and not (
            event.is_forwarded
        ):
            self.touch()
        await super().on_event(event)

    def check_idle_lock(self) -> None:
        """Lock after settings.idle_lock_minutes without a key or click (the interval calls this)."""
        if self.session is None or self.locked or self._deps is None:
            return
        minutes = self._deps.settings.idle_lock_minutes
        if minutes <= 0:
            return
        idle = (self.now() - self._last_activity).total_seconds()
        if idle >= minutes * 60:
            self.lock(idle_minutes=minutes)

    def lock(self, idle_minutes: int | None = None) -> None:
        from screens.signin import LockScreen

        if self.session is None or self.locked:
            return
        self.locked = True
        self.push_screen(LockScreen(idle_minutes=idle_minutes), self._unlocked)

    def _unlocked(self, _: Any = None) -> None:
        self.locked = False
        self.touch()
