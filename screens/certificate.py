"""Actions on one of the customer's certificates: renew, reissue, revoke, hold, release, delete from media. Each
shows its rule first; gated actions open the manager approval dialog when the service asks for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Select, Static

from screens.base import TButton, TellerScreen, TLabel
from screens.identify import fill_certificates, kind_label, kst_date, status_label
from screens.issue import CertificateJobScreen, CustomerPasswordScreen, MediaTable, receipt_lines
from screens.strings import t, won
from teller.domain import CertificateRecord, RevocationReason

REASONS = [r for r in RevocationReason if r is not RevocationReason.CERTIFICATE_HOLD]


class CertificateScreen(TellerScreen):
    BINDINGS = [
        Binding("f1", "renew", "갱신", id="renew"),
        Binding("f2", "reissue", "재발급", id="reissue"),
        Binding("f3", "revoke", "폐지", id="revoke"),
        Binding("f4", "hold", "효력정지", id="hold"),
        Binding("f6", "release", "효력회복", id="release"),
        Binding("f7", "delete", "매체 삭제", id="delete"),
        Binding("escape", "back", "뒤로", id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield TLabel("cert.title", classes="title")
        with Horizontal(id="cert-body"):
            with Vertical(id="cert-left", classes="panel"):
                yield TLabel("issue.customer", id="cert-customer", name="", rrn="")
                yield DataTable(id="cert-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="cert-info")
                yield Static("", id="cert-rules")
            with VerticalScroll(id="cert-right", classes="panel"):
                yield TLabel("cert.reason", classes="field-label")
                yield Select([(r.label_ko, r.value) for r in REASONS], value=RevocationReason.KEY_COMPROMISE.value,
                             allow_blank=False, id="reason")
                yield TLabel("issue.media", classes="field-label")
                yield MediaTable(id="media")
                with Horizontal(classes="buttons"):
                    yield TButton("cert.renew", id="btn-renew")
                    yield TButton("cert.reissue", id="btn-reissue")
                    yield TButton("cert.revoke", id="btn-revoke", variant="error")
                with Horizontal(classes="buttons"):
                    yield TButton("cert.hold", id="btn-hold", variant="warning")
                    yield TButton("cert.release", id="btn-release")
                    yield TButton("cert.delete", id="btn-delete", variant="error")
                yield Static("", id="cert-result")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.relabel()
        self.query_one("#media", MediaTable).load()
        self.query_one("#cert-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.relabel()

    def relabel(self) -> None:
        customer = self.teller.customer
        if customer is None:
            return
        self.query_one("#cert-customer", TLabel).set_key("issue.customer", name=customer.name,
                                                         rrn=customer.rrn_masked)
        table = self.query_one("#cert-table", DataTable)
        fill_certificates(table, customer.certificates, self.lang)
        select = self.query_one("#reason", Select)
        value = select.value
        select.set_options([(r.value if self.lang == "en" else r.label_ko, r.value) for r in REASONS])
        select.value = value
        chosen = self.teller.certificate
        if chosen is not None:
            for row, cert in enumerate(sorted(customer.certificates, key=lambda c: c.created_at, reverse=True)):
                if cert.serial == chosen.serial:
                    table.move_cursor(row=row)
        self._show_selected()

    def _selected(self) -> CertificateRecord | None:
        customer = self.teller.customer
        table = self.query_one("#cert-table", DataTable)
        if customer is None or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        for cert in customer.certificates:
            if cert.serial == key:
                return cert
        return None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "cert-table":
            self.teller.certificate = self._selected()
            self._show_selected()

    def _show_selected(self) -> None:
        cert = self._selected()
        lang = self.lang
        if cert is None:
            self.query_one("#cert-info", Static).update(t("cert.select", lang))
            self.query_one("#cert-rules", Static).update("")
            return
        self.query_one("#cert-info", Static).update(t(
            "cert.info", lang, serial=cert.serial, kind=kind_label(cert.kind, lang),
            status=status_label(cert.status, lang), start=kst_date(cert.not_before), end=kst_date(cert.not_after)))
        self.query_one("#cert-rules", Static).update(self._rules_text(cert))

    def _rules_text(self, cert: CertificateRecord) -> str:
        from teller.services.issuance import fee_for
        from teller.services.support import KST, add_years

        deps = self.teller.deps
        lang = self.lang
        end_day = cert.not_after.astimezone(KST).date()
        first_day = end_day.fromordinal(end_day.toordinal() - deps.settings.renewal_window_days)
        if deps.settings.renewal_base == "old_expiry":
            new_end = add_years(end_day, deps.settings.validity_years)
        else:
            new_end = add_years(self.teller.now().astimezone(KST).date(), deps.settings.validity_years)
        lines = [
            "• " + t("cert.rule.renew", lang, start=first_day.isoformat(), end=end_day.isoformat(),
                     new_end=new_end.isoformat(), fee=won(fee_for(deps.settings, cert.kind), lang)),
            "• " + t("cert.rule.reissue", lang, end=end_day.isoformat()),
            "• " + t("cert.rule.revoke", lang),
            "• " + t("cert.rule.hold", lang, days=deps.settings.hold_max_days),
            "• " + t("cert.rule.delete", lang),
        ]
        return "\n".join(lines)

    # -- actions ---------------------------------------------------------------------------------------------
    def on_button_pressed(self, event: TButton.Pressed) -> None:
        action = (event.button.id or "").removeprefix("btn-")
        handler = getattr(self, f"action_{action}", None)
        if handler is not None:
            handler()

    def _need(self) -> CertificateRecord | None:
        cert = self._selected()
        if cert is None:
            self.notify(self.tr("cert.none"), severity="warning")
        return cert

    def _media(self) -> Path | None:
        root = self.query_one("#media", MediaTable).selected_root()
        if root is None:
            self.notify(self.tr("issue.no_media"), severity="warning")
        return root

    def _password_job(self, title_key: str, service: Callable[..., Any]) -> None:
        cert = self._need()
        if cert is None:
            return
        media_root = self._media()
        if media_root is None:
            return
        deps, session, serial = self.teller.deps, self.teller.session, cert.serial

        def with_password(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            password, confirm = result

            def job(approval_id: str | None, progress: Callable[[str, float], None]) -> Any:
                return service(deps, session, serial, media_root, password, confirm, approval_id=approval_id,
                               progress=progress)

            self.app.push_screen(CertificateJobScreen(title_key, job))

        self.app.push_screen(CustomerPasswordScreen(), with_password)

    def action_renew(self) -> None:
        from teller.services.renewal import renew

        self._password_job("cert.renew", renew)

    def action_reissue(self) -> None:
        from teller.services.reissue import reissue

        self._password_job("cert.reissue", reissue)

    def _status_change(self, label_key: str, call: Callable[[str | None], Any]) -> None:
        self.query_one("#cert-result", Static).update(self.tr("generic.busy"))
        self.run_service(lambda: call(None), lambda result: self._changed(label_key, result), failed=self._failed,
                         with_approval=lambda approval_id: (lambda: call(approval_id)))

    def _changed(self, label_key: str, result: Any) -> None:
        cert = getattr(result, "certificate", None)
        customer = self.teller.customer
        if cert is not None and customer is not None:
            customer.certificates = [c for c in customer.certificates if c.serial != cert.serial] + [cert]
        serial = cert.serial if cert is not None else getattr(result, "serial", "")
        lines = [self.tr("cert.done", action=self.tr(label_key), serial=serial)]
        message = getattr(result, "message_en" if self.lang == "en" else "message", None) or getattr(
            result, "message", None)
        if message:
            lines.append(message)
        if hasattr(result, "transaction"):
            lines.extend(receipt_lines(result.receipt, result.transaction, self.lang))
        self.query_one("#cert-result", Static).update(Text("\n".join(lines), style="bold green"))
        self.relabel()

    def _failed(self, exc: Any) -> None:
        text = exc.text(self.lang) if exc is not None else self.tr("generic.error")
        self.query_one("#cert-result", Static).update(Text(text, style="bold red"))

    def action_revoke(self) -> None:
        from teller.services.revocation import revoke

        cert = self._need()
        if cert is None:
            return
        reason = RevocationReason(str(self.query_one("#reason", Select).value))
        deps, session = self.teller.deps, self.teller.session
        self._status_change("cert.revoke",
                            lambda approval_id: revoke(deps, session, cert.serial, reason, approval_id=approval_id))

    def action_hold(self) -> None:
        from teller.services.revocation import hold

        cert = self._need()
        if cert is None:
            return
        deps, session = self.teller.deps, self.teller.session
        self._status_change("cert.hold", lambda approval_id: hold(deps, session, cert.serial, approval_id=approval_id))

    def action_release(self) -> None:
        from teller.services.revocation import release

        cert = self._need()
        if cert is None:
            return
        deps, session = self.teller.deps, self.teller.session
        self._status_change("cert.release", lambda approval_id: release(deps, session, cert.serial))

    def action_delete(self) -> None:
        from teller.services.deletion import delete_from_media

        cert = self._need()
        if cert is None:
            return
        media_root = self._media()
        if media_root is None:
            return
        deps, session = self.teller.deps, self.teller.session
        self._status_change("cert.delete",
                            lambda approval_id: delete_from_media(deps, session, cert.serial, media_root))

    def action_back(self) -> None:
        self.app.pop_screen()
