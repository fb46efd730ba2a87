"""The manager approval dialog (dual control): the manager types their own id, password and a reason on the
teller's terminal; `approve` records it and the dialog returns the approval id (None when cancelled)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Input, Static

from screens.base import TButton, TellerDialog, TLabel
from screens.widgets import SecretInput


class ApprovalDialog(TellerDialog[str | None]):
    BINDINGS = [
        Binding("f1", "submit", "승인", id="approve"),
        Binding("escape", "cancel", "취소", id="cancel"),
    ]

    def __init__(self, action: str, binding: str, message: str = "") -> None:
        super().__init__()
        self.action = action
        self.binding = binding
        self.message = message
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="approval-box", classes="box"):
            yield TLabel("approval.title", classes="title")
            yield Static(self.message, id="approval-message")
            yield TLabel("approval.manager", classes="field-label")
            yield Input(id="manager-id", max_length=32)
            yield TLabel("approval.password", classes="field-label")
            yield SecretInput(id="manager-password", max_length=128)
            yield TLabel("approval.reason", classes="field-label")
            yield Input(id="approval-reason", max_length=200)
            yield TButton("approval.button", id="approve", variant="warning")
            yield Static("", id="approval-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#manager-id", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "approval-reason":
            self.action_submit()
        else:
            self.focus_next()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return
        manager_id = self.query_one("#manager-id", Input).value.strip()
        password_field = self.query_one("#manager-password", SecretInput)
        password = password_field.value
        reason = self.query_one("#approval-reason", Input).value.strip()
        if not manager_id or not password or not reason:
            self.query_one("#approval-status", Static).update(self.tr("approval.missing"))
            return
        from teller.services.approvals import approve

        deps, session = self.teller.deps, self.teller.session
        self.busy = True
        password_field.value = ""
        self.run_service(
            lambda: approve(deps, session, manager_id, password, self.action, self.binding, reason),
            self._approved, failed=self._refused)

    def _approved(self, approval_id: str) -> None:
        self.busy = False
        self.dismiss(approval_id)

    def _refused(self, exc: Any) -> None:
        self.busy = False
        text = exc.text(self.lang) if exc is not None else self.tr("generic.error")
        self.query_one("#approval-status", Static).update(text)
        self.query_one("#manager-password", SecretInput).focus()
