"""More of the counter day through the UI: hold and release with the approval dialog, the customer's USB stick
pulled out before the write, a printer that is offline, the manager's close-out report and expiring list, and
the command palette finding a customer."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from textual.widgets import DataTable, Static

from screens.app import TellerApp
from screens.certificate import CertificateScreen
from screens.home import HomeScreen
from screens.identify import IdentifyScreen
from screens.issue import CertificateJobScreen, IssueScreen
from screens.manager import ExpiringScreen, ManagerScreen
from teller.domain import CertStatus
from test_counter_flows import (  # type: ignore[import-not-found]
    approve_in_dialog,
    identify,
    issue_then_open_certificate,
    issue_via_ui,
    status_of,
    type_customer_password,
)
from tui_helpers import asynctest, close_home, make_home, settle, sign_in, texts  # type: ignore[import-not-found]


def folders_under(media: Path) -> list[Path]:
    user = media / "NPKI"
    return [p for p in user.rglob("*") if p.is_dir() and p.parent.name == "USER"] if user.exists() else []


@asynctest
async def test_hold_with_approval_then_release(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        first, screen = await issue_then_open_certificate(pilot, tui_home)
        serial = first.certificate.serial
        assert isinstance(screen, CertificateScreen)
        await pilot.press("f4")  # hold (gated on the customer's behalf)
        await settle(pilot)
        approve_in_dialog(app, "m001", tui_home.passwords["m001"], "고객 요청 효력정지")
        await pilot.press("f1")
        await settle(pilot)
        assert app.screen is screen, texts(app)
        assert status_of(tui_home, serial) is CertStatus.HELD
        assert int(serial, 16) in tui_home.deps.ca.revoked_serials()  # on the CA's list as certificateHold

        await pilot.press("f6")  # release
        await settle(pilot)
        assert status_of(tui_home, serial) is CertStatus.ACTIVE, texts(app)
        assert int(serial, 16) not in tui_home.deps.ca.revoked_serials()
        assert serial in str(screen.query_one("#cert-result", Static).render())


@asynctest
async def test_media_pulled_out_before_the_write_is_a_message_and_leaves_nothing(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        await identify(pilot, tui_home.people["홍길동"])
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, IssueScreen)
        shutil.rmtree(tui_home.media)  # the customer pulls the stick out while typing the password
        await pilot.press("f1")
        await settle(pilot)
        await type_customer_password(pilot)
        shown = texts(app)
        assert "Traceback" not in shown
        job = app.screen
        assert isinstance(job, CertificateJobScreen) and job.result is None, shown
        assert "매체" in shown or "저장" in shown  # names the media problem in Korean
        # the media is checked before the key is made or the CA asked: no step ran, no signature was spent
        assert "✓" not in str(job.query_one("#job-steps", Static).render())
        assert not tui_home.deps.ca.issued_serials()
        assert not tui_home.media.exists() or not folders_under(tui_home.media)
    with tui_home.deps.store.unit_of_work() as uow:
        customer = uow.customers.search("홍길동", limit=5)[0]
        certs = uow.certificates.by_customer(customer.customer_id)
    assert all(c.status is not CertStatus.ACTIVE for c in certs)  # nothing claims to be on a stick


@asynctest
async def test_printer_offline_keeps_the_certificate_and_offers_a_reprint(tui_templates: Any, tmp_path: Path,
                                                                          clock: Any) -> None:
    # a CUPS queue that does not exist: `lp` refuses (or is not installed) — either way nothing is printed
    h = make_home(*tui_templates["demo"], tmp_path / "tui-home", clock, printer="cups",
                  printer_queue="branch-teller-no-such-queue")
    try:
        app = TellerApp(h.deps, idle_check_s=3600)
        async with app.run_test(size=(120, 40)) as pilot:
            result = await issue_via_ui(pilot, h)
            shown = texts(app)
            assert "Traceback" not in shown
            assert Path(result.folder).is_dir()  # the certificate is on the stick
            assert status_of(h, result.certificate.serial) is CertStatus.ACTIVE
            assert "재출력" in shown  # tells the teller to reprint (F6)
            steps = str(app.screen.query_one("#job-steps", Static).render())
            assert "✓ 매체에 저장" in steps and "✗ 영수증 출력" in steps
            pdfs = list((h.settings.home / "receipts").rglob("*.pdf"))
            assert len(pdfs) == 1  # the receipt is kept for the reprint
            await pilot.press("f6")
            await settle(pilot)
            assert "Traceback" not in texts(app)
    finally:
        close_home(h)


@asynctest
async def test_manager_close_out_report_and_expiring_list(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        first = await issue_via_ui(pilot, tui_home)
        await pilot.press("f1")
        await settle(pilot)
        await pilot.press("f11")  # sign out; the manager signs in on the same terminal
        await settle(pilot)
        await sign_in(pilot, "m001", tui_home.passwords["m001"])
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, ManagerScreen)
        await pilot.press("f3")
        await settle(pilot)
        status = str(app.screen.query_one("#mgr-status", Static).render())
        pdf = Path(status[status.index("/"):].strip().rstrip(")"))
        assert pdf.is_file(), status
        text = "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
        assert "일일 마감 보고서" in text and "t001" in text

        tui_home.clock.set(first.certificate.not_after - timedelta(days=10))
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ExpiringScreen)
        table = app.screen.query_one("#expiring-table", DataTable)
        assert [str(k.value) for k in table.rows] == [first.certificate.serial]


@asynctest
async def test_command_palette_finds_a_customer_and_opens_them(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps, idle_check_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await issue_via_ui(pilot, tui_home)
        await pilot.press("f1")
        await settle(pilot)
        app.set_customer(None)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("f5")
        await settle(pilot)
        for ch in "홍길":
            await pilot.press(ch)
        for _ in range(40):  # the search runs in threads; wait (bounded) for the hit
            await settle(pilot)
            if "홍길동" in texts(app, ("Static", "Option", "OptionList")):
                break
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IdentifyScreen), type(app.screen)
        assert app.customer is not None and app.customer.name == "홍길동"
