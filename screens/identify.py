"""Identify the customer (실명확인): ID type, name, RRN (shown masked while typed), licence / passport / MRZ,
issue date, photo attestation → the authenticity check; or find an existing customer and list certificates."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, DataTable, Footer, Input, Select, Static

from screens.base import TButton, TellerScreen, TLabel
from screens.widgets import SecretInput, fit
from teller.domain import CertificateRecord, IdDocumentType


class RrnInput(SecretInput):
    """Resident number entry: the birth date and the gender digit show, the rest is masked as it is typed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(restrict=r"[0-9\-]*", max_length=14, **kwargs)

    @property
    def _value(self) -> Text:
        shown = []
        digits = 0
        for ch in self.value:
            if ch.isdigit():
                digits += 1
                shown.append(ch if digits <= 7 else "*")
            else:
                shown.append(ch)
        return Text("".join(shown), no_wrap=True, overflow="ignore", end="")


def kst_date(value: Any) -> str:
    from teller.services.support import KST

    return value.astimezone(KST).strftime("%Y-%m-%d") if value is not None else "-"


def status_label(status: Any, lang: str) -> str:
    labels = {"pending": ("대기", "pending"), "active": ("유효", "active"), "held": ("정지", "held"),
              "revoked": ("폐지", "revoked"), "failed": ("실패", "failed")}
    value = getattr(status, "value", str(status))
    pair = labels.get(value, (value, value))
    return pair[1] if lang == "en" else pair[0]


def kind_label(kind: Any, lang: str) -> str:
    return kind.label_en if lang == "en" else kind.label_ko


def fill_certificates(table: DataTable[Any], certs: list[CertificateRecord], lang: str) -> None:
    """Certificates of one customer, newest first; the row key is the serial."""
    from screens.strings import t

    table.clear(columns=True)
    table.add_column(t("col.serial", lang), width=16, key="serial")
    table.add_column(t("col.kind", lang), width=14, key="kind")
    table.add_column(t("col.status", lang), width=7, key="status")
    table.add_column(t("col.valid_to", lang), width=10, key="valid_to")
    for cert in sorted(certs, key=lambda c: c.created_at, reverse=True):
        table.add_row(fit(cert.serial, 16), fit(kind_label(cert.kind, lang), 14),
                      fit(status_label(cert.status, lang), 7), kst_date(cert.not_after), key=cert.serial)


class IdentifyScreen(TellerScreen):
    BINDINGS = [
        Binding("f1", "identify", "진위확인", id="check"),
        Binding("f3", "issue", "발급", id="issue"),
        Binding("f4", "cert_actions", "인증서 업무", id="cert_actions"),
        Binding("f6", "find", "검색", id="search"),
        Binding("escape", "back", "뒤로", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield TLabel("identify.title", classes="title")
        with Horizontal(id="identify-body"):
            with VerticalScroll(id="identify-form", classes="panel"):
                yield TLabel("identify.doc_type", classes="field-label")
                yield Select([(d.label_ko, d.value) for d in IdDocumentType], value=IdDocumentType.RESIDENT_CARD.value,
                             allow_blank=False, id="doc-type")
                yield TLabel("identify.name", classes="field-label")
                yield Input(id="name", max_length=60)
                yield TLabel("identify.rrn", classes="field-label")
                yield RrnInput(id="rrn", placeholder="YYMMDD-G******")
                yield TLabel("identify.licence", id="licence-label", classes="field-label")
                yield Input(id="licence", max_length=20, placeholder="11-15-000001-00")
                yield TLabel("identify.passport", id="passport-label", classes="field-label")
                yield Input(id="passport", max_length=12)
                yield TLabel("identify.mrz1", id="mrz1-label", classes="field-label")
                yield Input(id="mrz1", max_length=44)
                yield TLabel("identify.mrz2", id="mrz2-label", classes="field-label")
                yield Input(id="mrz2", max_length=44)
                yield TLabel("identify.issue_date", classes="field-label")
                yield Input(id="issue-date", max_length=10, restrict=r"[0-9\-]*", placeholder="YYYY-MM-DD")
                yield Checkbox("", id="photo")
                yield TButton("identify.button", id="identify", variant="primary")
            with Vertical(id="identify-side", classes="panel"):
                yield Static("", id="identify-result")
                yield TLabel("identify.find", classes="field-label")
                yield Input(id="find", max_length=40)
                yield DataTable(id="customers", cursor_type="row", zebra_stripes=True)
                yield TLabel("identify.certs", classes="heading")
                yield DataTable(id="certificates", cursor_type="row", zebra_stripes=True)
                yield TLabel("identify.select_hint", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._show_doc_fields(IdDocumentType.RESIDENT_CARD.value)
        self.relabel()
        self.query_one("#name", Input).focus()
        if self.teller.customer is not None:
            self._show_customer(self.teller.customer, None)

    def relabel(self) -> None:
        lang = self.lang
        photo = self.query_one("#photo", Checkbox)
        photo.label = self.tr("identify.photo")
        select = self.query_one("#doc-type", Select)
        select.set_options([(d.label_en if lang == "en" else d.label_ko, d.value) for d in IdDocumentType])
        customer = self.teller.customer
        if customer is not None:
            fill_certificates(self.query_one("#certificates", DataTable), customer.certificates, lang)

    # -- the form --------------------------------------------------------------------------------------------
    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "doc-type" and not event.select.is_blank():
            self._show_doc_fields(str(event.value))

    def _show_doc_fields(self, doc_type: str) -> None:
        licence = doc_type == IdDocumentType.DRIVER_LICENSE.value
        passport = doc_type == IdDocumentType.PASSPORT.value
        for wid in ("#licence-label", "#licence"):
            self.query_one(wid).display = licence
        for wid in ("#passport-label", "#passport", "#mrz1-label", "#mrz1", "#mrz2-label", "#mrz2"):
            self.query_one(wid).display = passport

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "find":
            self.action_find()
        else:
            self.focus_next()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "identify":
            self.action_identify()

    def action_identify(self) -> None:
        from teller.services.customers import IdentifyRequest, identify_customer

        value = lambda wid: self.query_one(wid, Input).value.strip()  # noqa: E731
        doc_type = IdDocumentType(str(self.query_one("#doc-type", Select).value))
        issue_text = value("#issue-date")
        issue: date | None = None
        if issue_text:
            try:
                issue = date.fromisoformat(issue_text)
            except ValueError:
                self.notify(self.tr("identify.bad_date"), severity="error")
                return
        document_number: str | None = None
        mrz: tuple[str, str] | None = None
        if doc_type is IdDocumentType.DRIVER_LICENSE:
            document_number = value("#licence") or None
        elif doc_type is IdDocumentType.PASSPORT:
            document_number = value("#passport") or None
            if value("#mrz1") or value("#mrz2"):
                mrz = (self.query_one("#mrz1", Input).value, self.query_one("#mrz2", Input).value)
        request = IdentifyRequest(
            name=value("#name"), rrn=self.query_one("#rrn", RrnInput).value, document_type=doc_type,
            document_number=document_number, issue_date=issue, mrz=mrz,
            photo_attested=self.query_one("#photo", Checkbox).value)
        deps, session = self.teller.deps, self.teller.session
        self.query_one("#identify-result", Static).update(self.tr("generic.busy"))
        self.run_service(lambda: identify_customer(deps, session, request), self._identified,
                         failed=self._failed)

    def _failed(self, exc: Any) -> None:
        text = exc.text(self.lang) if exc is not None else self.tr("generic.error")
        self.query_one("#identify-result", Static).update(Text(text, style="bold red"))

    def _identified(self, result: Any) -> None:
        self.query_one("#rrn", RrnInput).value = ""  # the plaintext leaves the form as soon as it was used
        self.teller.set_customer(result.customer, result.needs_approval)
        self._show_customer(result.customer, result)

    def _show_customer(self, customer: Any, result: Any | None) -> None:
        lines = [self.tr("identify.customer", name=customer.name, rrn=customer.rrn_masked)]
        if result is not None:
            outcome = self.tr(f"result.{result.check.result.value}")
            lines.insert(0, self.tr("identify.result", result=outcome, request_id=result.check.request_id))
            if getattr(result.check, "message", ""):
                lines.append(result.check.message)
        style = "bold green" if result is None or not result.needs_approval else "bold yellow"
        self.query_one("#identify-result", Static).update(Text("\n".join(lines), style=style))
        fill_certificates(self.query_one("#certificates", DataTable), customer.certificates, self.lang)

    # -- finding existing customers --------------------------------------------------------------------------
    def action_find(self) -> None:
        from teller.services.customers import find_customers

        text = self.query_one("#find", Input).value.strip()
        if not text:
            self.query_one("#find", Input).focus()
            return
        deps, session = self.teller.deps, self.teller.session
        self.run_service(lambda: find_customers(deps, session, text), self._found)

    def _found(self, customers: list[Any]) -> None:
        table = self.query_one("#customers", DataTable)
        table.clear(columns=True)
        table.add_column(self.tr("col.name"), width=14, key="name")
        table.add_column(self.tr("col.rrn"), width=15, key="rrn")
        self.found = {c.customer_id: c for c in customers}
        for c in customers:
            table.add_row(fit(c.name, 14), c.rrn_masked, key=c.customer_id)
        if not customers:
            self.notify(self.tr("identify.none_found"))
        else:
            table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if event.data_table.id == "customers" and key in self.found:
            from teller.services.customers import get_customer

            deps, session = self.teller.deps, self.teller.session
            self.run_service(lambda: get_customer(deps, session, key), self._picked)
        elif event.data_table.id == "certificates" and self.teller.customer is not None:
            for cert in self.teller.customer.certificates:
                if cert.serial == key:
                    self.teller.certificate = cert
                    self.action_cert_actions()
                    return

    def _picked(self, customer: Any) -> None:
        self.teller.set_customer(customer, False)
        self._show_customer(customer, None)
        self.notify(self.tr("identify.selected", name=customer.name, rrn=customer.rrn_masked))

    # -- navigation ------------------------------------------------------------------------------------------
    def action_issue(self) -> None:
        from screens.issue import IssueScreen

        if self.teller.customer is None:
            self.notify(self.tr("issue.need_customer"), severity="warning")
            return
        self.app.push_screen(IssueScreen())

    def action_cert_actions(self) -> None:
        from screens.certificate import CertificateScreen

        if self.teller.customer is None:
            self.notify(self.tr("issue.need_customer"), severity="warning")
            return
        self.app.push_screen(CertificateScreen())

    def action_back(self) -> None:
        self.app.pop_screen()
