"""The counter end to end through the UI: identify a demo customer, issue to the tmp media (the folder is on disk
and its key opens with the customer's password and matches the certificate), renew, reissue and revoke with the
manager approval dialog, delete from media, the customer password screen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from textual.widgets import Checkbox, DataTable, Select

from screens.app import TellerApp
from screens.approval import ApprovalDialog
from screens.certificate import CertificateScreen
from screens.home import HomeScreen
from screens.identify import IdentifyScreen, RrnInput
from screens.issue import CertificateJobScreen, CustomerPasswordScreen, IssueScreen
from screens.widgets import RuleChecklist
from teller.domain import CertStatus
from tui_helpers import asynctest, set_values, settle, sign_in, texts  # type: ignore[import-not-found]

CUSTOMER_PASSWORD = "Cust0mer!pw"


async def identify(pilot: Any, person: Any) -> None:
    app = pilot.app
    await pilot.press("f2")
    await settle(pilot)
    assert isinstance(app.screen, IdentifyScreen)
    app.screen.query_one("#doc-type", Select).value = person.document_type.value
    await pilot.pause()
    values = {"#name": person.name, "#rrn": person.rrn, "#issue-date": person.issue_date.isoformat()}
    if person.document_type.value == "driver_license":
        values["#licence"] = person.document_number
    if person.document_type.value == "passport":
        values["#passport"] = person.document_number
    set_values(app, values)
    app.screen.query_one("#photo", Checkbox).value = True
    await pilot.press("f1")
    await settle(pilot)


async def type_customer_password(pilot: Any, password: str = CUSTOMER_PASSWORD) -> None:
    app = pilot.app
    assert isinstance(app.screen, CustomerPasswordScreen)
    set_values(app, {"#pw1": password, "#pw2": password})
    await pilot.pause()
    await pilot.press("f1")
    await settle(pilot)


async def issue_via_ui(pilot: Any, home: Any, person_name: str = "홍길동") -> Any:
    """Sign in as t001, identify, issue a bank certificate to the tmp media; returns the job result."""
    app = pilot.app
    await sign_in(pilot, "t001", home.passwords["t001"])
    await identify(pilot, home.people[person_name])
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, IssueScreen)
    assert app.screen.query_one("#media", DataTable).selected_root() == home.media.resolve() or \
        app.screen.query_one("#media").selected_root() == home.media
    await pilot.press("f1")
    await settle(pilot)
    await type_customer_password(pilot)
    assert isinstance(app.screen, CertificateJobScreen)
    assert app.screen.result is not None, texts(app)
    return app.screen.result


async def issue_then_open_certificate(pilot: Any, home: Any) -> tuple[Any, Any]:
    """Issue via the UI, back home, F4: (the issue result, the certificate screen)."""
    first = await issue_via_ui(pilot, home)
    await pilot.press("f1")
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    return first, pilot.app.screen


def check_folder(folder: Path, serial: str, password: str) -> None:
    from teller.pki.keyfile import decrypt_private_key

    cert = x509.load_der_x509_certificate((folder / "signCert.der").read_bytes())
    assert format(cert.serial_number, "x") == serial
    key = decrypt_private_key((folder / "signPri.key").read_bytes(), password).private_key
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()


def approve_in_dialog(app: Any, manager_id: str, password: str, reason: str = "고객 분실 신고 확인") -> None:
    assert isinstance(app.screen, ApprovalDialog), type(app.screen)
    set_values(app, {"#manager-id": manager_id, "#manager-password": password, "#approval-reason": reason})


def status_of(home: Any, serial: str) -> CertStatus:
    with home.deps.store.unit_of_work() as uow:
        return uow.certificates.get(serial).status


@asynctest
async def test_identify_a_demo_customer_shows_the_check_and_keeps_rrn_masked(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        person = tui_home.people["홍길동"]
        await pilot.press("f2")
        await settle(pilot)
        app.screen.query_one("#rrn", RrnInput).value = person.rrn
        await pilot.pause()
        shown = str(app.screen.query_one("#rrn", RrnInput)._value)
        assert shown.startswith(person.rrn[:8]) and person.rrn[8:] not in shown and shown.endswith("******")
        await pilot.press("escape")
        await identify(pilot, person)
        assert app.customer is not None and app.customer.name == "홍길동"
        assert app.customer.rrn_masked == person.rrn[:8] + "******"
        result = str(app.screen.query_one("#identify-result").render())
        assert "일치" in result
        assert person.rrn not in texts(app)
        assert app.screen.query_one("#rrn", RrnInput).value == ""


@asynctest
async def test_identify_refuses_a_reported_lost_id(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        await identify(pilot, tui_home.people["박분실"])
        assert app.customer is None
        assert "분실" in str(app.screen.query_one("#identify-result").render())


@asynctest
async def test_identify_requires_the_photo_check(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        person = tui_home.people["홍길동"]
        await pilot.press("f2")
        await settle(pilot)
        set_values(app, {"#name": person.name, "#rrn": person.rrn})
        await pilot.press("f1")
        await settle(pilot)
        assert app.customer is None
        assert "사진" in str(app.screen.query_one("#identify-result").render())


@asynctest
async def test_issue_writes_a_verifiable_folder_to_the_media(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        result = await issue_via_ui(pilot, tui_home)
        folder = Path(result.folder)
        assert folder.is_dir() and folder.resolve().is_relative_to(tui_home.media.resolve())
        check_folder(folder, result.certificate.serial, CUSTOMER_PASSWORD)
        shown = texts(app)
        assert result.certificate.serial in shown
        assert "영수증" in shown  # receipt path or "not printed – reprint"
        assert CUSTOMER_PASSWORD not in shown
        assert status_of(tui_home, result.certificate.serial) is CertStatus.ACTIVE
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "발급: 1건" in texts(app) and "고객 실명확인: 1건" in texts(app)  # today's work, in Korean


@asynctest
async def test_password_screen_checks_each_rule_live_and_blocks_a_weak_password(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "t001", tui_home.passwords["t001"])
        await identify(pilot, tui_home.people["홍길동"])
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerPasswordScreen)
        checklist = screen.query_one(RuleChecklist)
        set_values(app, {"#pw1": "short1", "#pw2": "short1"})
        await pilot.pause()
        codes = {rule.code: ok for rule, ok in zip(checklist.rules, checklist.states)}
        assert codes["min_length"] is False and codes["digit"] is True and codes["special"] is False
        assert "short1" not in str(checklist.render())
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen is screen  # not accepted
        set_values(app, {"#pw1": CUSTOMER_PASSWORD, "#pw2": CUSTOMER_PASSWORD + "x"})
        await pilot.pause()
        assert checklist.match is False and screen.query_one("#pw-ok").disabled
        set_values(app, {"#pw2": CUSTOMER_PASSWORD})
        await pilot.pause()
        assert all(checklist.states) and checklist.match and not screen.query_one("#pw-ok").disabled


@asynctest
async def test_reissue_needs_the_manager_approval_dialog(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        first = await issue_via_ui(pilot, tui_home)
        old_serial = first.certificate.serial
        await pilot.press("f1")  # back home
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, CertificateScreen)
        assert "재발급" in texts(app)  # the rule is shown
        await pilot.press("f2")
        await settle(pilot)
        await type_customer_password(pilot, "N3w!password")
        # the service asked for approval: the teller cannot approve their own request
        approve_in_dialog(app, "t001", tui_home.passwords["t001"])
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalDialog)
        assert "본인" in str(app.screen.query_one("#approval-status").render())
        approve_in_dialog(app, "m001", tui_home.passwords["m001"])
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, CertificateJobScreen), texts(app)
        result = app.screen.result
        assert result is not None, texts(app)
        assert result.certificate.serial != old_serial
        assert result.certificate.not_after == first.certificate.not_after  # same expiry
        assert status_of(tui_home, old_serial) is CertStatus.REVOKED
        check_folder(Path(result.folder), result.certificate.serial, "N3w!password")


@asynctest
async def test_cancelling_the_approval_dialog_changes_nothing(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        first = await issue_via_ui(pilot, tui_home)
        await pilot.press("f1")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f3")  # revoke (gated)
        await settle(pilot)
        assert isinstance(app.screen, ApprovalDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CertificateScreen)
        assert status_of(tui_home, first.certificate.serial) is CertStatus.ACTIVE


@asynctest
async def test_revoke_with_approval_then_delete_from_media(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps)
    async with app.run_test(size=(120, 40)) as pilot:
        first, screen = await issue_then_open_certificate(pilot, tui_home)
        serial = first.certificate.serial
        screen.query_one("#reason", Select).value = "key_compromise"
        await pilot.press("f3")
        await settle(pilot)
        approve_in_dialog(app, "m001", tui_home.passwords["m001"], "개인키 분실")
        await pilot.press("f1")
        await settle(pilot)
        assert app.screen is screen
        assert status_of(tui_home, serial) is CertStatus.REVOKED
        assert serial in str(screen.query_one("#cert-result").render())

        assert Path(first.folder).is_dir()
        await pilot.press("f7")
        await settle(pilot)
        assert not Path(first.folder).exists()
        assert "삭제" in str(screen.query_one("#cert-result").render())


@asynctest
async def test_renewal_inside_the_window_keeps_the_customers_days(tui_home: Any) -> None:
    app = TellerApp(tui_home.deps, idle_check_s=3600)  # the clock jumps: no idle lock mid-test
    async with app.run_test(size=(120, 40)) as pilot:
        first = await issue_via_ui(pilot, tui_home)
        await pilot.press("f1")
        await settle(pilot)
        # 20 days before expiry the renewal window is open; identification must be from today
        tui_home.clock.set(first.certificate.not_after - timedelta(days=20))
        await identify(pilot, tui_home.people["홍길동"])
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, CertificateScreen)
        await pilot.press("f1")
        await settle(pilot)
        await type_customer_password(pilot, "Renew!2027x")
        result = app.screen.result
        assert result is not None, texts(app)
        assert result.certificate.not_after > first.certificate.not_after
        assert (result.certificate.not_after - first.certificate.not_after).days in (365, 366)
