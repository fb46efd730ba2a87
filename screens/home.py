"""Home: today's work at this terminal, approvals and alerts, head-office sync state, detected media."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Footer, Static

from screens.base import TellerScreen, TLabel
from screens.strings import t, won
from teller.action_labels import action_label


def optional_service(module: str, name: str) -> Any | None:
    """A service function that another part of the product may not provide (yet): None when absent."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{n}B"


@dataclass
class HomeData:
    summary: Any = None
    sync: Any = None
    media: list[Any] = field(default_factory=list)
    expiring: int | None = None


def load_home(app: Any) -> HomeData:
    """Runs in a worker thread: everything the home screen shows, each part optional."""
    deps = app.deps
    session = app.session
    data = HomeData()
    today_summary = optional_service("teller.services.queries", "today_summary")
    if today_summary is not None:
        data.summary = today_summary(deps, session)
    sync_status = optional_service("teller.services.sync", "sync_status")
    if sync_status is not None:
        try:
            data.sync = sync_status(deps)
        except Exception:  # sync state is informative only; the log has it
            data.sync = None
    from teller.media import find_media

    data.media = list(find_media(deps.settings))
    return data


class HomeScreen(TellerScreen):
    BINDINGS = [
        Binding("f2", "identify", "고객확인", id="identify"),
        Binding("f3", "issue", "발급", id="issue"),
        Binding("f4", "cert_actions", "인증서 업무", id="cert_actions"),
        Binding("f8", "refresh", "새로고침", id="refresh"),
        Binding("f9", "manager", "책임자", id="manager"),
        Binding("f10", "lock", "잠금", id="lock"),
        Binding("f11", "sign_out", "로그아웃", id="signout"),
        Binding("f12", "app.toggle_language", "English", id="lang"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: HomeData | None = None

    def compose(self) -> ComposeResult:
        yield TLabel("home.user", id="home-user", classes="title", name="", role="", terminal="")
        with Grid(id="home-grid"):
            with Vertical(classes="panel"):
                yield TLabel("home.today", classes="heading")
                yield Static("", id="home-today")
            with Vertical(classes="panel"):
                yield TLabel("home.alerts", classes="heading")
                yield Static("", id="home-alerts")
            with Vertical(classes="panel"):
                yield TLabel("home.sync", classes="heading")
                yield Static("", id="home-sync")
            with Vertical(classes="panel"):
                yield TLabel("home.media", classes="heading")
                yield Static("", id="home-media")
        yield TLabel("home.menu", id="home-menu", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.teller.wake_sync()
        self.action_refresh()

    def show_sync(self, status: Any) -> None:
        """The background sync reported (called on the UI thread)."""
        if self.data is not None and self.is_mounted:
            self.data.sync = status
            self.query_one("#home-sync", Static).update(self._sync_text(status, self.lang))

    def action_refresh(self) -> None:
        session = self.teller.session
        if session is not None:
            self.query_one("#home-user", TLabel).set_key(
                "home.user", name=session.name, role=session.role.label_ko if self.lang == "ko" else session.role.value,
                terminal=session.terminal_id)
        self.run_service(lambda: load_home(self.teller), self._loaded)

    def _loaded(self, data: HomeData) -> None:
        self.data = data
        self.relabel()

    def relabel(self) -> None:
        data = self.data
        if data is None or not self.is_mounted:
            return
        lang = self.lang
        self.query_one("#home-today", Static).update(self._today_text(data.summary, lang))
        self.query_one("#home-alerts", Static).update(self._alerts_text(data.summary, lang))
        self.query_one("#home-sync", Static).update(self._sync_text(data.sync, lang))
        self.query_one("#home-media", Static).update(self._media_text(data.media, lang))

    @staticmethod
    def _today_text(summary: Any, lang: str) -> str:
        if summary is None:
            return t("generic.none", lang)
        counts: dict[str, int] = dict(getattr(summary, "counts", {}) or {})
        lines = []
        for action, count in counts.items():
            lines.append(t("home.count", lang, label=action_label(action, lang), count=count))
        if not lines:
            lines.append(t("home.nothing_today", lang))
        fees = getattr(summary, "fees_krw", None)
        if fees is not None:
            lines.append(t("home.fees", lang, fee=won(int(fees), lang)))
        return "\n".join(lines) or t("generic.none", lang)

    @staticmethod
    def _alerts_text(summary: Any, lang: str) -> str:
        alerts = []
        for attr in ("approvals_granted", "approvals_refused", "sign_in_failures", "failed_actions",
                     "pending_certificates"):
            count = int(getattr(summary, attr, 0) or 0)
            if count:
                alerts.append(t(f"home.alert.{attr}", lang, count=count))
        if not alerts:
            return t("home.no_alerts", lang)
        return "\n".join(f"• {a}" for a in alerts)

    @staticmethod
    def _sync_text(sync: Any, lang: str) -> str:
        if sync is None:
            return t("home.sync_unknown", lang)
        acked = getattr(sync, "acked_seq", "?")
        pending = getattr(sync, "pending", "?")
        last = getattr(sync, "last_success", None)
        from teller.services.support import KST

        last_text = last.astimezone(KST).strftime("%H:%M:%S") if last is not None else "-"
        text = t("home.sync_state", lang, acked=acked, pending=pending, last=last_text)
        error = getattr(sync, "last_error", None)
        if error:
            text += "\n" + t("home.sync_error", lang, error=error)
        return text

    @staticmethod
    def _media_text(media: list[Any], lang: str) -> str:
        if not media:
            return t("home.no_media", lang)
        lines = []
        for m in media:
            state = t("media.absent", lang) if not m.present else t("media.ro" if m.read_only else "media.rw", lang)
            if m.kind == "demo":
                state += " · " + t("media.demo", lang)
            lines.append(t("home.media_line", lang, label=m.label, free=human_bytes(m.free_bytes), state=state))
        return "\n".join(lines)

    # -- navigation ------------------------------------------------------------------------------------------
    def action_identify(self) -> None:
        from screens.identify import IdentifyScreen

        self.app.push_screen(IdentifyScreen())

    def action_issue(self) -> None:
        from screens.issue import IssueScreen

        if self.teller.customer is None:
            self.notify(self.tr("issue.need_customer"), severity="warning")
            self.action_identify()
            return
        self.app.push_screen(IssueScreen())

    def action_cert_actions(self) -> None:
        from screens.certificate import CertificateScreen

        if self.teller.customer is None:
            self.notify(self.tr("issue.need_customer"), severity="warning")
            self.action_identify()
            return
        self.app.push_screen(CertificateScreen())

    def action_manager(self) -> None:
        from screens.manager import ManagerScreen
        from teller.domain import Role

        session = self.teller.session
        if session is None or session.role not in (Role.MANAGER, Role.AUDITOR):  # auditors review logs
            self.notify(self.tr("mgr.only"), severity="warning")
            return
        self.app.push_screen(ManagerScreen())

    def action_lock(self) -> None:
        self.teller.lock()

    async def action_sign_out(self) -> None:
        await self.teller.sign_out()
