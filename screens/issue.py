"""Issuing (and the same path for renewal and reissue): kind + fee, media, the customer's password screen, the
progress of the worker and the result with the receipt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Input, ProgressBar, Select, Static

from screens.base import TButton, TellerDialog, TellerScreen, TLabel
from screens.home import human_bytes
from screens.strings import t, won
from screens.widgets import RuleChecklist, SecretInput, fit
from teller.domain import CertKind

STEPS = ("keygen", "sign", "encrypt", "write", "verify", "receipt", "print")


class MediaTable(DataTable[Any]):
    """Detected media; the row key is the media root. Read-only or absent media are listed but not selectable."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.media: dict[str, Any] = {}

    def load(self) -> None:
        from teller.media import find_media

        app: Any = self.app
        deps = app.deps
        screen: Any = self.screen
        screen.run_service(lambda: list(find_media(deps.settings)), self._loaded)

    def _loaded(self, media: list[Any]) -> None:
        lang = getattr(self.app, "lang", "ko")
        self.clear(columns=True)
        self.add_column(t("issue.media", lang), width=24, key="label")
        self.add_column("", width=9, key="free")
        self.add_column("", width=24, key="state")
        self.media = {str(m.root): m for m in media}
        first_ok: int | None = None
        for i, m in enumerate(media):
            state = t("media.absent", lang) if not m.present else t("media.ro" if m.read_only else "media.rw", lang)
            if m.kind == "demo":
                state += "·" + t("media.demo", lang)
            self.add_row(fit(m.label, 24), human_bytes(m.free_bytes), fit(state, 24), key=str(m.root))
            if first_ok is None and m.present and not m.read_only:
                first_ok = i
        if first_ok is not None:
            self.move_cursor(row=first_ok)

    def selected_root(self) -> Path | None:
        """The highlighted medium if it can be written to."""
        if not self.media or self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        m = self.media.get(str(key))
        if m is None or not m.present or m.read_only:
            return None
        return Path(m.root)


class CustomerPasswordScreen(TellerDialog[tuple[str, str] | None]):
    """Handed to the customer: the password typed twice, a live ✓/✗ checklist per rule, nothing ever echoed."""

    BINDINGS = [
        Binding("f1", "submit", "확인", id="pw_confirm"),
        Binding("escape", "cancel", "취소", id="cancel"),
    ]

    def compose(self) -> ComposeResult:
        from teller.security.password_policy import ALL_RULES

        with Vertical(id="pw-box", classes="box"):
            yield TLabel("pw.title", classes="title")
            yield TLabel("pw.help", classes="hint")
            yield TLabel("pw.first", classes="field-label")
            yield SecretInput(id="pw1", max_length=64)
            yield TLabel("pw.second", classes="field-label")
            yield SecretInput(id="pw2", max_length=64)
            yield RuleChecklist(ALL_RULES, id="pw-rules")
            yield TButton("pw.button", id="pw-ok", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._recheck()
        self.query_one("#pw1", SecretInput).focus()

    def relabel(self) -> None:
        self._recheck()

    def _recheck(self) -> bool:
        pw1 = self.query_one("#pw1", SecretInput).value
        pw2 = self.query_one("#pw2", SecretInput).value
        ok = self.query_one("#pw-rules", RuleChecklist).check(pw1, pw2, (t("pw.match", "ko"), t("pw.match", "en")))
        self.query_one("#pw-ok", TButton).disabled = not ok
        return ok

    def on_input_changed(self, event: Input.Changed) -> None:
        self._recheck()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pw1":
            self.query_one("#pw2", SecretInput).focus()
        else:
            self.action_submit()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if not self._recheck():
            self.notify(self.tr("pw.unmet"), severity="warning")
            return
        pw1 = self.query_one("#pw1", SecretInput)
        pw2 = self.query_one("#pw2", SecretInput)
        result = (pw1.value, pw2.value)
        pw1.value = pw2.value = ""
        self.dismiss(result)


# A certificate job: given an approval id (or None) and a progress callback, produce an IssueResult.
Job = Callable[[str | None, Callable[[str, float], None]], Any]


class CertificateJobScreen(TellerScreen):
    """Runs one certificate-producing service call with a progress bar, then shows the result and the receipt."""

    BINDINGS = [
        Binding("f6", "reprint", "재출력", id="reprint"),
        Binding("escape", "close", "뒤로", id="back"),
        Binding("f1", "close", "확인", id="done"),
    ]

    def __init__(self, title_key: str, job: Job) -> None:
        super().__init__()
        self.title_key = title_key
        self.job = job
        self.result: Any = None
        self.running = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="job-box", classes="box"):
            yield TLabel(self.title_key, classes="title")
            yield ProgressBar(total=1.0, show_eta=False, id="job-progress")
            yield Static("", id="job-steps")
            yield Static("", id="job-result")
            yield TButton("issue.close", id="job-close", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#job-close", TButton).display = False
        self.steps_done: list[str] = []
        self.steps_failed: set[str] = set()
        self.current_step: str | None = None
        self._render_steps()
        self.running = True
        app = self.teller

        def progress(step: str, fraction: float) -> None:  # called in the worker thread
            app.call_from_thread(self.on_progress, step, fraction)

        self.run_service(lambda: self.job(None, progress), self._done, failed=self._failed,
                         with_approval=lambda approval_id: (lambda: self.job(approval_id, progress)))

    def on_progress(self, step: str, fraction: float) -> None:
        self.query_one("#job-progress", ProgressBar).update(progress=max(0.0, min(1.0, fraction)))
        if self.current_step and self.current_step != step and self.current_step not in self.steps_done:
            self.steps_done.append(self.current_step)
        self.current_step = step
        self._render_steps()

    def _render_steps(self) -> None:
        text = Text()
        for step in STEPS:
            if step in self.steps_failed:
                text.append("✗ ", style="bold red")
            elif step in self.steps_done:
                text.append("✓ ", style="green")
            elif step == self.current_step:
                text.append("▶ ", style="bold yellow")
            else:
                text.append("· ", style="dim")
            text.append(t(f"step.{step}", self.lang) + "  ")
        self.query_one("#job-steps", Static).update(text)

    def _failed(self, exc: Any) -> None:
        self.running = False
        message = exc.text(self.lang) if exc is not None else self.tr("generic.error")
        if self.current_step is not None:  # the step that was running is the one that failed
            self.steps_failed.add(self.current_step)
            self._render_steps()
        self.query_one("#job-result", Static).update(Text(message, style="bold red"))
        self.query_one("#job-close", TButton).display = True

    def _done(self, result: Any) -> None:
        self.running = False
        self.result = result
        self.query_one("#job-progress", ProgressBar).update(progress=1.0)
        self.steps_done = [s for s in STEPS]
        self.current_step = None
        if result.receipt is None or not result.receipt.printed:  # done, but the paper did not come out
            self.steps_failed.add("print")
        self._render_steps()
        self.relabel()
        self.query_one("#job-close", TButton).display = True
        self.query_one("#job-close", TButton).focus()
        customer = self.teller.customer
        if customer is not None:  # the customer's list gains the new certificate
            customer.certificates = [c for c in customer.certificates if c.serial != result.certificate.serial]
            customer.certificates.append(result.certificate)
            if result.previous is not None:
                customer.certificates = [c for c in customer.certificates if c.serial != result.previous.serial]
                customer.certificates.append(result.previous)

    def relabel(self) -> None:
        if self.result is None:
            return
        from screens.identify import kst_date

        r = self.result
        lang = self.lang
        cert = r.certificate
        lines = [
            t("issue.done", lang),
            t("issue.serial", lang, serial=cert.serial),
            t("issue.folder", lang, folder=str(r.folder)),
            t("issue.validity", lang, start=kst_date(cert.not_before), end=kst_date(cert.not_after)),
            t("issue.fee", lang, fee=won(r.fee_krw, lang), years=1),
        ]
        lines.extend(getattr(r, "notes", []) or [])
        lines.extend(receipt_lines(r.receipt, r.transaction, lang))
        self.query_one("#job-result", Static).update("\n".join(lines))

    def action_reprint(self) -> None:
        if self.result is None:
            return
        reprint(self, self.result.transaction, self._reprinted)

    def _reprinted(self, outcome: Any) -> None:
        if self.result is not None:
            self.result.receipt = outcome
            if outcome is not None and outcome.printed:
                self.steps_failed.discard("print")
                self._render_steps()
            self.relabel()
        self.notify(self.tr("issue.reprinted"))

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        self.action_close()

    def action_close(self) -> None:
        if self.running:
            return
        # back to home: pop this and the form screens below it, but never the home screen
        from screens.home import HomeScreen

        while len(self.app.screen_stack) > 2 and not isinstance(self.app.screen_stack[-1], HomeScreen):
            self.app.pop_screen()


def receipt_lines(outcome: Any, transaction: str, lang: str) -> list[str]:
    """What the teller must know about the receipt (a ReceiptOutcome): where the PDF is and whether it printed."""
    if outcome is None:  # the action is done; the receipt is recorded but the printer step failed
        return [t("issue.not_printed", lang, error=t("issue.no_receipt", lang, transaction=transaction))]
    lines = [t("issue.receipt", lang, path=str(outcome.pdf_path))]
    message = (outcome.message_en if lang == "en" and getattr(outcome, "message_en", "") else outcome.message) or ""
    if outcome.printed:
        lines.append(t("issue.printed", lang, printer=message))
    else:
        lines.append(t("issue.not_printed", lang, error=message))
    return lines


def reprint(screen: Any, transaction: str, done: Callable[[Any], None]) -> None:
    try:
        from teller.services.receipts import reprint_receipt
    except ImportError:
        screen.notify(screen.tr("generic.not_available"), severity="warning")
        return
    deps, session = screen.teller.deps, screen.teller.session
    screen.run_service(lambda: reprint_receipt(deps, session, transaction), done)


class IssueScreen(TellerScreen):
    """Kind and fee, the media to write to; F1 hands the password screen to the customer."""

    BINDINGS = [
        Binding("f1", "hand_over", "고객 비밀번호", id="hand_over"),
        Binding("f8", "rescan", "매체 다시 찾기", id="refresh"),
        Binding("escape", "back", "뒤로", id="back"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="issue-box", classes="box"):
            yield TLabel("issue.title", classes="title")
            yield TLabel("issue.customer", id="issue-customer", name="", rrn="")
            yield TLabel("issue.kind", classes="field-label")
            yield Select([(k.label_ko, k.value) for k in CertKind], value=CertKind.BANK.value, allow_blank=False,
                         id="kind")
            yield Static("", id="issue-fee")
            yield TLabel("issue.media", classes="field-label")
            yield MediaTable(id="media")
            yield TButton("issue.to_customer", id="hand-over", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        customer = self.teller.customer
        if customer is not None:
            self.query_one("#issue-customer", TLabel).set_key("issue.customer", name=customer.name,
                                                              rrn=customer.rrn_masked)
        self._show_fee()
        self.query_one("#media", MediaTable).load()
        self.query_one("#kind", Select).focus()

    def relabel(self) -> None:
        select = self.query_one("#kind", Select)
        value = select.value
        select.set_options([(k.label_en if self.lang == "en" else k.label_ko, k.value) for k in CertKind])
        select.value = value
        self._show_fee()

    def _kind(self) -> CertKind:
        return CertKind(str(self.query_one("#kind", Select).value))

    def _show_fee(self) -> None:
        from teller.services.issuance import fee_for

        settings = self.teller.deps.settings if self.teller.deps_ready else None
        if settings is None:
            return
        fee = fee_for(settings, self._kind())
        self.query_one("#issue-fee", Static).update(
            self.tr("issue.fee", fee=won(fee, self.lang), years=settings.validity_years))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "kind" and not event.select.is_blank():
            self._show_fee()

    def action_rescan(self) -> None:
        self.query_one("#media", MediaTable).load()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        self.action_hand_over()

    def action_hand_over(self) -> None:
        customer = self.teller.customer
        if customer is None:
            self.notify(self.tr("issue.need_customer"), severity="warning")
            return
        media_root = self.query_one("#media", MediaTable).selected_root()
        if media_root is None:
            self.notify(self.tr("issue.no_media"), severity="warning")
            return
        kind = self._kind()

        def with_password(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            password, confirm = result
            self.app.push_screen(CertificateJobScreen("issue.progress",
                                                      issue_job(self.teller, customer.customer_id, kind, media_root,
                                                                password, confirm)))

        self.app.push_screen(CustomerPasswordScreen(), with_password)

    def action_back(self) -> None:
        self.app.pop_screen()


def issue_job(app: Any, customer_id: str, kind: CertKind, media_root: Path, password: str, confirm: str) -> Job:
    from teller.services.issuance import IssueRequest, issue_certificate

    deps, session = app.deps, app.session

    def job(approval_id: str | None, progress: Callable[[str, float], None]) -> Any:
        request = IssueRequest(customer_id=customer_id, kind=kind, media_root=media_root, password=password,
                               confirm=confirm, approval_id=approval_id)
        return issue_certificate(deps, session, request, progress)

    return job
