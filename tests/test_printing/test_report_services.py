"""Manager reports from the real store: the day's audit events and receipts become the close-out PDF."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from printing.printers import PdfFolderPrinter
from printing_pdfcheck import pdf_text
from printing_world import Customer, make_deps, session
from teller.domain import Action, AuditFilter
from teller.errors import PermissionDenied, ValidationError
from teller.services import receipts, reports
from teller.services.support import audit

DAY = date(2026, 11, 25)
KST_0900 = datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def deps(settings, clock, tmp_path: Path):
    d = make_deps(settings, clock, PdfFolderPrinter(tmp_path / "printed"))
    yield d
    d.store.dispose()  # type: ignore[attr-defined]


def _act(deps, staff: str, action: Action, at: datetime, *, result: str = "ok", customer: str | None = None,
         **details) -> None:
    with deps.store.unit_of_work() as uow:
        audit(uow, deps, staff, action, result, at=at, customer_ref=customer, subject=details.get("transaction"),
              **details)
        uow.commit()


def _receipt(deps, staff: str, tx: str, at: datetime, printed: bool) -> None:
    s = session(staff, at)
    data = receipts.build_receipt_data(deps, session=s, action="issue", transaction=tx,
                                       customer=Customer("홍길동", "900101-1******"), cert=None, fee_krw=4400,
                                       notes=[], at=at)
    with deps.store.unit_of_work() as uow:
        receipts.record_receipt(deps, uow, s, data)
        uow.commit()
    if printed:
        deps.clock.set(at)
        assert receipts.print_receipt(deps, s, tx).printed


def _a_day(deps) -> None:
    at = KST_0900 + timedelta(hours=1)  # 10:00 KST
    for i in range(3):
        _act(deps, "t001", Action.ISSUE, at + timedelta(minutes=i), customer="cust0001" * 4, fee_krw=4400,
             transaction=f"0815-20261125-0000{i + 1}")
    _act(deps, "t002", Action.REVOKE, at + timedelta(minutes=10), customer="cust0002" * 4,
         transaction="0815-20261125-00004")
    _act(deps, "t001", Action.REISSUE, at + timedelta(minutes=20), customer="cust0003" * 4, fee_krw=0,
         transaction="0815-20261125-00005")
    _act(deps, "t001", Action.REISSUE, at + timedelta(minutes=40), customer="cust0003" * 4, fee_krw=0,
         transaction="0815-20261125-00006")
    _act(deps, "t001", Action.APPROVAL_GRANTED, at + timedelta(minutes=19), approver="m001", reason="고객 요청 확인")
    _act(deps, "t002", Action.CUSTOMER_IDENTIFIED, at + timedelta(minutes=30), result="refused",
         check_result="reported_lost", name_masked="김*수", rrn_masked="850505-2******")
    _act(deps, "t002", Action.ISSUE, KST_0900 + timedelta(hours=8, minutes=5), customer="cust0004" * 4,
         fee_krw=4400, transaction="0815-20261125-00007")  # 17:05 KST: after hours
    _act(deps, "t001", Action.ISSUE, at, result="failed", customer="cust0005" * 4)  # failures are not counted
    _act(deps, "t001", Action.ISSUE, KST_0900 - timedelta(hours=2), fee_krw=4400)  # 07:00 KST: counted (after hours)
    _act(deps, "t001", Action.ISSUE, KST_0900 - timedelta(hours=10), fee_krw=4400)  # previous KST day
    _receipt(deps, "t001", "0815-20261125-00001", at, printed=True)
    _receipt(deps, "t001", "0815-20261125-00002", at + timedelta(minutes=1), printed=False)
    deps.printer = PdfFolderPrinter(Path("/proc/forbidden"))  # unusable → PRINT_FAILED event
    _receipt(deps, "t002", "0815-20261125-00007", KST_0900 + timedelta(hours=8, minutes=5), printed=False)
    receipts.print_receipt(deps, session("t002", deps.clock.now()), "0815-20261125-00007")


def test_daily_report_counts_per_teller_and_lists_exceptions(deps) -> None:
    _a_day(deps)
    data = reports.build_daily_report(deps, session("m001", deps.clock.now()), DAY)
    by = {t.staff_id: t for t in data.tellers}
    assert by["t001"].counts == {"issue": 4, "reissue": 2}
    assert by["t001"].fees_krw == 4 * 4400
    assert (by["t001"].receipts_printed, by["t001"].receipts_expected) == (1, 2)
    assert by["t002"].counts == {"revoke": 1, "issue": 1} and (by["t002"].receipts_printed, by["t002"].receipts_expected) == (0, 1)
    assert data.total_fees_krw == 5 * 4400
    kinds = sorted(e.kind for e in data.exceptions)
    assert kinds == sorted(["approval", "authenticity_failed", "repeated_reissue", "after_hours", "after_hours",
                            "print_failed"])
    repeated = next(e for e in data.exceptions if e.kind == "repeated_reissue")
    assert "0815-20261125-00005" in repeated.description and "0815-20261125-00006" in repeated.description
    assert data.chain_checked and data.chain_ok and data.chain_head_seq > 0


def test_daily_report_pdf_is_written_and_audited(deps) -> None:
    _a_day(deps)
    manager = session("m001", deps.clock.now())
    path = reports.daily_report(deps, manager, DAY)
    assert path == deps.settings.reports_dir / "daily-2026-11-25.pdf"
    text = pdf_text(path.read_bytes())
    assert "일일 마감 보고서" in text and "김창구" in text and "이수납" in text and "1/2" in text
    assert "반복 재발급" in text and "검증됨" in text
    with deps.store.unit_of_work() as uow:
        (event,) = uow.audit.page(AuditFilter(action=Action.REPORT_PRINTED.value))
    assert event.staff_id == "m001" and event.details["report"] == "daily"


def test_reports_are_for_managers_and_auditors_only(deps) -> None:
    with pytest.raises(PermissionDenied):
        reports.daily_report(deps, session("t001", deps.clock.now()), DAY)
    with pytest.raises(PermissionDenied):
        reports.audit_extract_report(deps, session("t001", deps.clock.now()), KST_0900, KST_0900 + timedelta(days=1))
    assert reports.daily_report(deps, session("a001", deps.clock.now()), DAY).is_file()


def test_audit_extract_report_pages_every_event_of_the_period(deps) -> None:
    for i in range(90):
        _act(deps, "t001", Action.CUSTOMER_LOOKUP, KST_0900 + timedelta(minutes=i), customer=f"{i:032x}")
    out = deps.settings.home / "extract.pdf"
    path = reports.audit_extract_report(deps, session("a001", deps.clock.now()), KST_0900,
                                        KST_0900 + timedelta(minutes=60), out=out)
    assert path == out
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert f"1/{len(reader.pages)}" in text and len(reader.pages) >= 2
    assert "60건" in text  # [since, until): minutes 0..59
    with pytest.raises(ValidationError):
        reports.audit_extract_report(deps, session("a001", deps.clock.now()), KST_0900, KST_0900)
