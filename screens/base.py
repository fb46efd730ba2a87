"""What every teller screen shares: language-aware labels, localised footer bindings, and `run_service`, the one
way a screen calls a service (in a thread worker, errors become Korean messages, approvals open the dialog).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual import work
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from screens.strings import has, t
from teller.errors import ApprovalRequired, TellerError

if TYPE_CHECKING:
    from screens.app import TellerApp

log = logging.getLogger("teller.tui")

T = TypeVar("T")
R = TypeVar("R")


class TLabel(Static):
    """A label given by a strings key; it re-renders itself when the language changes."""

    def __init__(self, key: str, *, id: str | None = None, classes: str | None = None, **fields: Any) -> None:
        self.key = key
        self.fields = fields
        super().__init__("", id=id, classes=classes)

    def on_mount(self) -> None:
        self.relabel()

    def set_key(self, key: str, **fields: Any) -> None:
        self.key = key
        self.fields = fields
        self.relabel()

    def relabel(self) -> None:
        self.update(t(self.key, self.app.lang, **self.fields))  # type: ignore[attr-defined]


class TButton(Button):
    """A button whose label is a strings key."""

    def __init__(self, key: str, *, id: str | None = None, variant: str = "default", **kw: Any) -> None:
        self.key = key
        super().__init__(key, id=id, variant=variant, **kw)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.relabel()

    def relabel(self) -> None:
        self.label = t(self.key, self.app.lang)  # type: ignore[attr-defined]


def localise_bindings(node: DOMNode, lang: str) -> None:
    """Give every binding with an id the description `bind.<id>` in `lang` (the footer reads descriptions)."""
    bindings = node._bindings.key_to_bindings
    for key, items in bindings.items():
        bindings[key] = [
            replace(b, description=t(f"bind.{b.id}", lang)) if b.id and has(f"bind.{b.id}") else b for b in items
        ]


class ServiceCaller(Generic[T]):
    """Mixin for screens: run one blocking service call in a thread worker and come back on the UI thread."""

    @property
    def teller(self) -> "TellerApp":
        return self.app  # type: ignore[attr-defined,return-value]

    @property
    def lang(self) -> str:
        return self.teller.lang

    def tr(self, key: str, **fields: Any) -> str:
        return t(key, self.teller.lang, **fields)

    def run_service(
        self,
        call: Callable[..., R],
        done: Callable[[R], Any],
        *,
        failed: Callable[[TellerError | None], Any] | None = None,
        with_approval: Callable[[str], Callable[..., R]] | None = None,
        group: str = "service",
    ) -> None:
        """`call()` runs in a thread; `done(result)` on the UI thread. A TellerError is shown in Korean (and
        passed to `failed`); any other exception is logged and shown as a generic message. When the service raises
        ApprovalRequired and `with_approval` is given, the manager approval dialog opens and the call is retried
        as `with_approval(approval_id)()`."""
        self._service_worker(call, done, failed, with_approval, group)

    @work(thread=True, exit_on_error=False, group="service")
    def _service_worker(
        self,
        call: Callable[..., R],
        done: Callable[[R], Any],
        failed: Callable[[TellerError | None], Any] | None,
        with_approval: Callable[[str], Callable[..., R]] | None,
        group: str,
    ) -> None:
        app = self.teller
        try:
            result = call()
        except ApprovalRequired as exc:
            if with_approval is not None:
                app.call_from_thread(self._ask_approval, exc, done, failed, with_approval)
            else:
                app.call_from_thread(self._show_error, exc, failed)
            return
        except TellerError as exc:
            app.call_from_thread(self._show_error, exc, failed)
            return
        except Exception:  # never a traceback on the counter screen
            log.exception("service call failed")
            app.call_from_thread(self._show_error, None, failed)
            return
        app.call_from_thread(done, result)

    def _show_error(self, exc: TellerError | None, failed: Callable[[TellerError | None], Any] | None) -> None:
        self.teller.show_error(exc)
        if failed is not None:
            failed(exc)

    def _ask_approval(
        self,
        exc: ApprovalRequired,
        done: Callable[[Any], Any],
        failed: Callable[[TellerError | None], Any] | None,
        with_approval: Callable[[str], Callable[..., Any]],
    ) -> None:
        from screens.approval import ApprovalDialog

        action = str(getattr(exc, "action", "") or "")
        binding = str(getattr(exc, "binding", "") or "")

        def after(approval_id: str | None) -> None:
            if not approval_id:
                self.teller.notify(self.tr("approval.cancelled"), severity="warning")
                if failed is not None:
                    failed(exc)
                return
            self.run_service(with_approval(approval_id), done, failed=failed)

        self.teller.push_screen(ApprovalDialog(action, binding, exc.text(self.teller.lang)), after)


class TellerScreen(ServiceCaller[Any], Screen[Any]):
    """A full screen of the terminal."""

    def on_mount(self) -> None:
        localise_bindings(self, self.teller.lang)

    def relabel(self) -> None:
        """Called after a language switch; screens re-render their dynamic text here."""


class TellerDialog(ServiceCaller[Any], ModalScreen[T]):
    """A modal dialog returning `T` through `dismiss`."""

    BINDINGS = [Binding("escape", "cancel", "취소", id="cancel", show=True)]

    def on_mount(self) -> None:
        localise_bindings(self, self.teller.lang)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def relabel(self) -> None:
        """Called after a language switch."""
