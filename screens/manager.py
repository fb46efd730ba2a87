"""Manager menu: audit log review (keyset-paged, filters, detail, chain verification), the daily close-out report,
expiring certificates and staff management."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Input, ProgressBar, Select, Static

from screens.base import TButton, TellerDialog, TellerScreen, TLabel
from screens.identify import kind_label, kst_date, status_label
from screens.widgets import SecretInput, fit
from teller.action_labels import action_label, result_label
from teller.domain import Action, AuditFilter, Role


def action_options(lang: str) -> list[tuple[str, str]]:
    """The action filter's choices: the label shown, the stored value selected."""
    return [(action_label(a.value, lang), a.value) for a in Action]

PAGE_SIZE = 50


def kst_time(value: datetime) -> str:
    from teller.services.support import KST

    return value.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")


class ManagerScreen(TellerScreen):
    BINDINGS = [
        Binding("f2", "logs", "로그 조회", id="logs"),
        Binding("f3", "report", "마감 보고서", id="report"),
        Binding("f4", "expiring", "만료 예정", id="expiring"),
        Binding("f6", "staff", "직원 관리", id="staff"),
        Binding("escape", "back", "뒤로", id="back"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="manager-box", classes="box"):
            yield TLabel("mgr.title", classes="title")
            yield TButton("mgr.logs", id="mgr-logs")
            yield TButton("mgr.report", id="mgr-report")
            yield TButton("mgr.expiring", id="mgr-expiring")
            yield TButton("mgr.staff", id="mgr-staff")
            yield Static("", id="mgr-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#mgr-logs", TButton).focus()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        getattr(self, "action_" + (event.button.id or "").removeprefix("mgr-"))()

    def action_logs(self) -> None:
        self.app.push_screen(LogReviewScreen())

    def action_expiring(self) -> None:
        self.app.push_screen(ExpiringScreen())

    def action_staff(self) -> None:
        self.app.push_screen(StaffScreen())

    def action_report(self) -> None:
        try:
            from teller.services.reports import daily_report
        except ImportError:
            self.notify(self.tr("generic.not_available"), severity="warning")
            return
        deps, session = self.teller.deps, self.teller.session
        self.query_one("#mgr-status", Static).update(self.tr("generic.busy"))
        from teller.services.support import kst_day

        day = kst_day(self.teller.now())
        self.run_service(lambda: daily_report(deps, session, day), self._reported,
                         failed=lambda exc: self.query_one("#mgr-status", Static).update(""))

    def _reported(self, path: Any) -> None:
        self.query_one("#mgr-status", Static).update(self.tr("mgr.report_done", path=str(path)))

    def action_back(self) -> None:
        self.app.pop_screen()


# ------------------------------------------------------------------------------------------------ log review


class LogReviewScreen(TellerScreen):
    """Newest first, one page at a time (keyset by seq): never loads the whole log."""

    BINDINGS = [
        Binding("f6", "apply_filter", "조회", id="filter"),
        Binding("f8,pagedown", "next_page", "다음 쪽", id="next_page", priority=True),
        Binding("f7,pageup", "prev_page", "이전 쪽", id="prev_page", priority=True),
        Binding("f9", "verify_chain", "무결성 검증", id="verify_chain"),
        Binding("escape", "back", "뒤로", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = AuditFilter()
        self.page_starts: list[int | None] = [None]  # before_seq of each page seen; None = newest
        self.events: dict[str, Any] = {}
        self.page: list[Any] | None = None
        self.has_more = False

    def compose(self) -> ComposeResult:
        yield TLabel("log.title", classes="title")
        with Horizontal(id="log-filters"):
            yield Input(id="f-since", max_length=10, restrict=r"[0-9\-]*")
            yield Input(id="f-until", max_length=10, restrict=r"[0-9\-]*")
            yield Input(id="f-staff", max_length=32)
            yield Select(action_options("ko"), prompt="업무", id="f-action")
            yield Input(id="f-customer", max_length=64)
        yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="log-status-row"):
            yield Static("", id="log-page")
            yield ProgressBar(total=1.0, show_eta=False, id="chain-progress")
        yield Static("", id="chain-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#chain-progress").display = False
        self.relabel()
        self._load(None)
        self.query_one("#log-table", DataTable).focus()

    def relabel(self) -> None:
        placeholders = {"#f-staff": "log.staff", "#f-customer": "log.customer", "#f-since": "log.since_ph",
                        "#f-until": "log.until_ph"}
        for wid, key in placeholders.items():
            self.query_one(wid, Input).placeholder = self.tr(key)
        self.query_one("#f-since", Input).tooltip = self.tr("log.since")
        self.query_one("#f-until", Input).tooltip = self.tr("log.until")
        if self.page is not None:  # a language switch re-labels the rows on show
            self._show_page()
        select = self.query_one("#f-action", Select)
        select.prompt = self.tr("log.action")
        chosen = select.value
        select.set_options(action_options(self.lang))
        if chosen != Select.BLANK:
            select.value = chosen

    # -- paging ----------------------------------------------------------------------------------------------
    def _load(self, before_seq: int | None, *, count: bool = True) -> None:
        from teller.services.audit import audit_page

        deps, flt = self.teller.deps, self.filter

        def call() -> Any:
            return audit_page(deps.store, flt, before_seq=before_seq, limit=PAGE_SIZE)

        self.run_service(call, self._loaded)

    def _loaded(self, page: Any) -> None:
        self.page = list(page)
        self.has_more = len(self.page) == PAGE_SIZE
        self._show_page()

    def _show_page(self) -> None:
        events = self.page
        table = self.query_one("#log-table", DataTable)
        table.clear(columns=True)
        lang = self.lang
        from screens.strings import t

        table.add_column(t("col.seq", lang), width=8, key="seq")
        table.add_column(t("col.at", lang), width=19, key="at")
        table.add_column(t("col.staff", lang), width=6, key="staff")
        table.add_column(t("col.terminal", lang), width=5, key="terminal")
        table.add_column(t("col.action", lang), width=20, key="action")
        table.add_column(t("col.result", lang), width=8, key="result")
        table.add_column(t("col.subject", lang), width=20, key="subject")
        self.events = {}
        for e in events:
            self.events[str(e.seq)] = e
            table.add_row(str(e.seq), kst_time(e.at), fit(e.staff_id or "-", 6), fit(e.terminal_id, 5),
                          fit(action_label(e.action, lang), 20), fit(result_label(e.result, lang), 8),
                          fit(e.subject or "", 20), key=str(e.seq))
        first = events[0].seq if events else 0
        last = events[-1].seq if events else 0
        text = t("log.page_nocount", lang, first=first, last=last, page=len(self.page_starts))
        self.query_one("#log-page", Static).update(text)
        self.last_seq = last

    def action_next_page(self) -> None:
        if not self.has_more or not getattr(self, "last_seq", 0):
            self.notify(self.tr("log.end"))
            return
        self.page_starts.append(self.last_seq)
        self._load(self.last_seq)

    def action_prev_page(self) -> None:
        if len(self.page_starts) <= 1:
            return
        self.page_starts.pop()
        self._load(self.page_starts[-1])

    # -- filters ---------------------------------------------------------------------------------------------
    def _day(self, wid: str, end: bool) -> datetime | None:
        from teller.services.support import KST

        text = self.query_one(wid, Input).value.strip()
        if not text:
            return None
        day = date.fromisoformat(text)
        if end:
            day = day + timedelta(days=1)
        return datetime.combine(day, time(0, 0), tzinfo=KST).astimezone(timezone.utc)  # stored in UTC

    def action_apply_filter(self) -> None:
        try:
            since = self._day("#f-since", False)
            until = self._day("#f-until", True)
        except ValueError:
            self.notify(self.tr("identify.bad_date"), severity="error")
            return
        select = self.query_one("#f-action", Select)
        action = None if select.is_blank() else str(select.value)
        self.filter = AuditFilter(
            since=since, until=until, staff_id=self.query_one("#f-staff", Input).value.strip() or None,
            action=action,
            customer_ref=self.query_one("#f-customer", Input).value.strip() or None)
        self.page_starts = [None]
        self._load(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_apply_filter()

    # -- detail and chain ------------------------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        e = self.events.get(str(event.row_key.value))
        if e is not None:
            self.app.push_screen(EventDetailDialog(e))

    def action_verify_chain(self) -> None:
        from teller.services.audit import record_verification, verify_audit_chain

        bar = self.query_one("#chain-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#chain-status", Static).update(self.tr("log.verifying"))
        app = self.teller
        deps, session = app.deps, app.session

        def verify() -> Any:
            with deps.store.unit_of_work() as uow:
                total = uow.audit.head()[0]
            app.call_from_thread(bar.update, total=max(total, 1), progress=0)
            report = verify_audit_chain(deps.store, lambda n: app.call_from_thread(bar.update, progress=n),
                                        every=max(1, total // 100))
            record_verification(deps.store, report, terminal_id=deps.terminal_id,
                                staff_id=session.staff_id if session else None, at=deps.clock.now())
            return report

        self.run_service(verify, self._verified, failed=self._chain_failed)

    def _verified(self, report: Any) -> None:
        bar = self.query_one("#chain-progress", ProgressBar)
        bar.update(progress=bar.total or 1)
        if report.ok:
            text = Text(self.tr("log.verify_ok", count=report.checked), style="bold green")
        else:
            text = Text(self.tr("log.verify_bad", message=f"seq {report.bad_seq}: {report.why}"), style="bold red")
        self.query_one("#chain-status", Static).update(text)

    def _chain_failed(self, exc: Any) -> None:
        self.query_one("#chain-progress").display = False
        message = exc.text(self.lang) if exc is not None else self.tr("generic.error")
        self.query_one("#chain-status", Static).update(Text(self.tr("log.verify_bad", message=message),
                                                            style="bold red"))

    def action_back(self) -> None:
        self.app.pop_screen()


class EventDetailDialog(TellerDialog[None]):
    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        e = self.event
        body = [
            self.tr("detail.head", seq=e.seq, at=kst_time(e.at), terminal=e.terminal_id),
            self.tr("detail.who", staff=e.staff_id or "-", action=f"{action_label(e.action, self.lang)} ({e.action})",
                    result=result_label(e.result, self.lang)),
            self.tr("detail.customer", customer=e.customer_ref or "-"),
            self.tr("detail.subject", subject=e.subject or "-"),
            self.tr("detail.details") + ":",
            json.dumps(e.details, ensure_ascii=False, indent=2, sort_keys=True, default=str),
            self.tr("detail.hash", prev=e.prev_hash[:16], hash=e.hash[:16]),
        ]
        with VerticalScroll(id="detail-box", classes="box"):
            yield Static(Text("\n".join(body)), id="event-detail")
        yield Footer()


# ------------------------------------------------------------------------------------------------ expiring


class ExpiringScreen(TellerScreen):
    BINDINGS = [Binding("escape", "back", "뒤로", id="back"), Binding("f8", "refresh", "새로고침", id="refresh")]

    def compose(self) -> ComposeResult:
        yield TLabel("exp.title", classes="title")
        yield DataTable(id="expiring-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="expiring-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.action_refresh()

    def action_refresh(self) -> None:
        from teller.services.queries import expiring_certificates

        deps, session = self.teller.deps, self.teller.session
        self.run_service(lambda: expiring_certificates(deps, session), self._loaded)

    def _loaded(self, certs: list[Any]) -> None:
        table = self.query_one("#expiring-table", DataTable)
        table.clear(columns=True)
        lang = self.lang
        from screens.strings import t

        table.add_column(t("col.serial", lang), width=20)
        table.add_column(t("col.kind", lang), width=22)
        table.add_column(t("col.status", lang), width=8)
        table.add_column(t("col.valid_to", lang), width=10)
        for c in certs:
            table.add_row(fit(c.serial, 20), fit(kind_label(c.kind, lang), 22), status_label(c.status, lang),
                          kst_date(c.not_after), key=c.serial)
        self.query_one("#expiring-status", Static).update("" if certs else t("exp.empty", lang))

    def action_back(self) -> None:
        self.app.pop_screen()


# ------------------------------------------------------------------------------------------------ staff


class StaffScreen(TellerScreen):
    BINDINGS = [
        Binding("f2", "add", "직원 추가", id="staff_add"),
        Binding("f3", "toggle_lock", "잠금/해제", id="staff_lock"),
        Binding("f4", "reset", "비번 초기화", id="staff_reset"),
        Binding("escape", "back", "뒤로", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.staff: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield TLabel("staff.title", classes="title")
        yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="staff-form"):
            yield Input(id="new-id", max_length=32)
            yield Input(id="new-name", max_length=40)
            yield Select([(r.label_ko, r.value) for r in Role], value=Role.TELLER.value, allow_blank=False,
                         id="new-role")
            yield SecretInput(id="new-password", max_length=128)
        yield Static("", id="staff-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.relabel()
        self._reload()

    def relabel(self) -> None:
        self.query_one("#new-id", Input).placeholder = self.tr("col.id")
        self.query_one("#new-name", Input).placeholder = self.tr("col.name")
        self.query_one("#new-password", Input).placeholder = self.tr("staff.new_password")

    def _reload(self) -> None:
        from teller.services.auth import list_staff

        deps, session = self.teller.deps, self.teller.session
        self.run_service(lambda: list_staff(deps, session), self._loaded)

    def _loaded(self, staff: list[Any]) -> None:
        from screens.strings import t

        lang = self.lang
        table = self.query_one("#staff-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_column(t("col.id", lang), width=10)
        table.add_column(t("col.name", lang), width=14)
        table.add_column(t("col.role", lang), width=10)
        table.add_column(t("col.locked", lang), width=6)
        self.staff = {s.staff_id: s for s in staff}
        for s in staff:
            table.add_row(s.staff_id, fit(s.name, 14), fit(s.role.label_ko if lang == "ko" else s.role.value, 10),
                          t("yes" if s.locked else "no", lang), key=s.staff_id)
        if staff:
            table.move_cursor(row=min(row, len(staff) - 1))

    def _selected(self) -> Any | None:
        table = self.query_one("#staff-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.staff.get(str(key))

    def _done(self, _: Any) -> None:
        self.query_one("#staff-status", Static).update(self.tr("staff.done"))
        self.query_one("#new-password", SecretInput).value = ""
        self._reload()

    def action_add(self) -> None:
        from teller.services.auth import add_staff

        staff_id = self.query_one("#new-id", Input).value.strip()
        name = self.query_one("#new-name", Input).value.strip()
        role = Role(str(self.query_one("#new-role", Select).value))
        password = self.query_one("#new-password", SecretInput).value
        if not staff_id or not name or not password:
            self.query_one("#new-id", Input).focus()
            return
        deps, session = self.teller.deps, self.teller.session
        self.run_service(lambda: add_staff(deps, session, staff_id, name, role, password), self._done)

    def action_toggle_lock(self) -> None:
        from teller.services.auth import set_staff_locked

        s = self._selected()
        if s is None:
            self.notify(self.tr("staff.select"))
            return
        deps, session = self.teller.deps, self.teller.session
        self.run_service(lambda: set_staff_locked(deps, session, s.staff_id, not s.locked), self._done)

    def action_reset(self) -> None:
        from teller.services.auth import reset_staff_password

        s = self._selected()
        password = self.query_one("#new-password", SecretInput).value
        if s is None or not password:
            self.notify(self.tr("staff.select"))
            self.query_one("#new-password", SecretInput).focus()
            return
        deps, session = self.teller.deps, self.teller.session
        self.run_service(lambda: reset_staff_password(deps, session, s.staff_id, password), self._done)

    def action_back(self) -> None:
        self.app.pop_screen()
