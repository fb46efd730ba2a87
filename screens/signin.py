"""Sign-in (and, on a terminal without staff, creating the branch manager) and the idle lock screen."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Input

from screens.base import TButton, TellerDialog, TellerScreen, TLabel
from screens.widgets import SecretInput


class SignInScreen(TellerScreen):
    BINDINGS = [
        Binding("f1", "submit", "로그인", id="signin"),
    ]

    def __init__(self, signed_out: bool = False) -> None:
        super().__init__()
        self.signed_out = signed_out
        self.first_run = False
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="signin-box", classes="box"):
            yield TLabel("app.title", classes="title")
            yield TLabel("signin.branch", id="branch-line", bank="", branch="", terminal="")
            yield TLabel("signin.title", id="signin-heading", classes="heading")
            yield TLabel("first.help", id="first-help", classes="hint")
            yield TLabel("signin.staff_id", classes="field-label")
            yield Input(id="staff-id", max_length=32)
            yield TLabel("first.name", id="name-label", classes="field-label")
            yield Input(id="staff-name", max_length=40)
            yield TLabel("signin.password", classes="field-label")
            yield SecretInput(id="password", max_length=128)
            yield TLabel("first.password2", id="password2-label", classes="field-label")
            yield SecretInput(id="password2", max_length=128)
            yield TButton("signin.button", id="signin", variant="primary")
            yield TLabel("generic.starting", id="signin-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._set_first_run(False)
        if self.signed_out:
            self.query_one("#signin-status", TLabel).set_key("signin.signed_out")
        self.query_one("#staff-id", Input).focus()
        if self.teller.settings is not None:
            self._show_branch(self.teller.settings)
        from teller.services import auth

        self.run_service(lambda: (auth.needs_first_manager(self.teller.deps), self.teller.deps.settings),
                         self._ready)

    def _ready(self, result: tuple[bool, Any]) -> None:
        first, settings = result
        self._show_branch(settings)
        status = self.query_one("#signin-status", TLabel)
        if status.key == "generic.starting":
            status.set_key("generic.none")
            status.update("")
        self._set_first_run(first)

    def _show_branch(self, settings: Any) -> None:
        self.query_one("#branch-line", TLabel).set_key(
            "signin.branch", bank=settings.bank_name, branch=settings.branch_name, terminal=settings.terminal_id)

    def _set_first_run(self, first: bool) -> None:
        self.first_run = first
        for wid in ("#first-help", "#name-label", "#staff-name", "#password2-label", "#password2"):
            self.query_one(wid).display = first
        self.query_one("#signin-heading", TLabel).set_key("first.title" if first else "signin.title")
        self.query_one("#signin", TButton).key = "first.button" if first else "signin.button"
        self.query_one("#signin", TButton).relabel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        order = ["staff-id", "staff-name", "password", "password2"] if self.first_run else ["staff-id", "password"]
        current = event.input.id or ""
        if current in order and order.index(current) < len(order) - 1:
            self.query_one(f"#{order[order.index(current) + 1]}", Input).focus()
        else:
            self.action_submit()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "signin":
            self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return
        staff_id = self.query_one("#staff-id", Input).value.strip()
        password_input = self.query_one("#password", SecretInput)
        password = password_input.value
        status = self.query_one("#signin-status", TLabel)
        if not staff_id or not password:
            status.set_key("signin.missing")
            return
        from teller.services import auth

        self.busy = True
        if self.first_run:
            name = self.query_one("#staff-name", Input).value.strip()
            if password != self.query_one("#password2", SecretInput).value:
                self.busy = False
                status.set_key("first.mismatch")
                return

            def created(view: Any) -> None:
                self.busy = False
                self._set_first_run(False)
                for wid in ("#password", "#password2"):
                    self.query_one(wid, SecretInput).value = ""
                status.set_key("first.done", staff_id=view.staff_id)
                self.query_one("#password", SecretInput).focus()

            self.run_service(lambda: auth.create_first_manager(self.teller.deps, staff_id, name, password),
                             created, failed=self._failed)
            return

        self.run_service(lambda: auth.sign_in(self.teller.deps, staff_id, password), self._signed_in,
                         failed=self._failed)

    def _signed_in(self, session: Any) -> None:
        self.busy = False
        self.query_one("#password", SecretInput).value = ""
        self.teller.signed_in(session)

    def _failed(self, exc: Any) -> None:
        self.busy = False
        password = self.query_one("#password", SecretInput)
        password.value = ""
        password.focus()
        status = self.query_one("#signin-status", TLabel)
        if exc is not None and hasattr(exc, "text"):
            status.update(exc.text(self.lang))
        else:
            status.set_key("generic.error")


class LockScreen(TellerDialog[bool]):
    """Covers the whole terminal; only the signed-in staff member's password unlocks it."""

    BINDINGS = [Binding("f1", "submit", "잠금 해제", id="unlock")]

    def __init__(self, idle_minutes: int | None = None) -> None:
        super().__init__()
        self.idle_minutes = idle_minutes

    def compose(self) -> ComposeResult:
        session = self.teller.session
        with Vertical(id="lock-box", classes="box"):
            yield TLabel("lock.title", classes="title")
            if self.idle_minutes:
                yield TLabel("lock.idle", minutes=self.idle_minutes)
            yield TLabel("lock.help", name=session.name if session else "", staff_id=session.staff_id if session else "")
            yield TLabel("signin.password", classes="field-label")
            yield SecretInput(id="unlock-password", max_length=128)
            yield TButton("lock.button", id="unlock", variant="primary")
            yield TLabel("generic.none", id="lock-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#lock-status", TLabel).update("")
        self.query_one("#unlock-password", SecretInput).focus()
        session = self.teller.session
        if session is not None:
            from teller.services import auth

            self.run_service(lambda: auth.record_lock(self.teller.deps, session), lambda _: None)

    def action_cancel(self) -> None:
        """Escape does not unlock."""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        session = self.teller.session
        field = self.query_one("#unlock-password", SecretInput)
        password = field.value
        field.value = ""
        if session is None or not password:
            return
        from teller.services import auth

        def failed(exc: Any) -> None:
            # wrong password or, after too many, the account lockout message from the service
            if exc is not None and hasattr(exc, "text"):
                self.query_one("#lock-status", TLabel).update(exc.text(self.lang))

        self.run_service(lambda: auth.unlock(self.teller.deps, session, password), lambda _: self.dismiss(True),
                         failed=failed)
