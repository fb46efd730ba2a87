"""Receipt services on the real store: recorded with the action, printed once, failures recorded, audited
reprints stamped 재발행, integrity checks before a reprint."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import printing_samples as samples
from printing.printers import CupsPrinter, PdfFolderPrinter
from printing_fakecups import FakeCups
from printing_pdfcheck import all_stream_bytes, pdf_text
from printing_world import Customer, certificate, make_deps, session
from teller.domain import Action, AuditFilter
from teller.errors import IntegrityError, NotFound, PermissionDenied
from teller.services import receipts

HONG = Customer(name="홍길동", rrn_masked="900101-1******")


@pytest.fixture
def deps(settings, clock, tmp_path: Path):
    d = make_deps(settings, clock, PdfFolderPrinter(tmp_path / "printed"))
    yield d
    d.store.dispose()  # type: ignore[attr-defined]


def _record(deps, tx: str = "0815-20261125-00001", action: str = "issue", commit: bool = True):
    now = deps.clock.now()
    teller = session("t001", now)
    cert = certificate("1f3a9c0b7d2e4f60a1b2", now, tx) if action != "delete_from_media" else None
    data = receipts.build_receipt_data(deps, session=teller, action=action, transaction=tx, customer=HONG,
                                       cert=cert, fee_krw=4400 if action == "issue" else 0, notes=[], at=now)
    with deps.store.unit_of_work() as uow:
        record = receipts.record_receipt(deps, uow, teller, data)
        if commit:
            uow.commit()
    return data, record


def _events(deps, action: Action) -> list:
    with deps.store.unit_of_work() as uow:
        return uow.audit.page(AuditFilter(action=action.value), limit=50)


def test_verification_code_is_short_decimal_and_binds_its_inputs() -> None:
    code = receipts.verification_code("0815-20261125-00001", "1f3a", "0815")
    assert len(code) == receipts.VERIFICATION_DIGITS and code.isdigit()
    assert code == receipts.verification_code("0815-20261125-00001", "1f3a", "0815")
    others = {receipts.verification_code("0815-20261125-00002", "1f3a", "0815"),
              receipts.verification_code("0815-20261125-00001", "1f3b", "0815"),
              receipts.verification_code("0815-20261125-00001", "1f3a", "0816")}
    assert code not in others and len(others) == 3


def test_build_receipt_data_masks_and_fills_from_settings_and_certificate(deps) -> None:
    data, _ = _record(deps)
    assert (data.bank_name, data.branch_id, data.teller_id, data.terminal_id) == ("KB국민은행", "0815", "t001", "T01")
    assert data.subject_name_masked == "홍*동" and data.rrn_masked == "900101-1******"
    assert data.serial == "1f3a9c0b7d2e4f60a1b2" and data.cert_kind == "general" and data.fee_krw == 4400
    assert data.verification == receipts.verification_code(data.transaction, data.serial, "0815")


def test_record_receipt_writes_pdf_in_the_day_folder_and_the_row_in_the_callers_uow(deps) -> None:
    data, record = _record(deps)
    path = Path(record.pdf_path)
    assert path == deps.settings.receipts_dir / "2026-11-25" / "0815-20261125-00001.pdf"
    import hashlib

    assert hashlib.sha256(path.read_bytes()).hexdigest() == record.sha256
    with deps.store.unit_of_work() as uow:
        stored = uow.receipts.get(data.transaction)
    assert stored is not None and stored.printed_at is None and stored.staff_id == "t001"
    blob = all_stream_bytes(path.read_bytes()) + path.with_suffix(".json").read_bytes()
    assert samples.FAKE_RRN.encode() not in blob and samples.FAKE_RRN_HYPHEN.encode() not in blob
    assert not list(path.parent.glob(".tmp-*"))


def test_receipt_row_is_rolled_back_with_the_action(deps) -> None:
    _record(deps, tx="0815-20261125-00009", commit=False)
    with deps.store.unit_of_work() as uow:
        assert uow.receipts.get("0815-20261125-00009") is None


def test_print_receipt_records_printed_at_and_audits(deps, tmp_path: Path) -> None:
    data, record = _record(deps)
    deps.clock.advance(seconds=5)
    outcome = receipts.print_receipt(deps, session("t001", deps.clock.now()), data.transaction)
    assert outcome.printed and outcome.pdf_path == Path(record.pdf_path)
    assert (tmp_path / "printed" / Path(record.pdf_path).name).is_file()
    with deps.store.unit_of_work() as uow:
        stored = uow.receipts.get(data.transaction)
    assert stored.printed_at == deps.clock.now() and stored.job_id and stored.last_error is None
    (event,) = _events(deps, Action.RECEIPT_PRINTED)
    assert event.subject == data.transaction and event.staff_id == "t001"


def test_offline_printer_leaves_the_receipt_recorded_as_not_printed(deps, tmp_path: Path) -> None:
    fake = FakeCups(tmp_path / "fake")
    fake.set_mode("disabled")
    deps.printer = CupsPrinter("receipts", lp=fake.tool("lp"), lpstat=fake.tool("lpstat"),
                               cancel=fake.tool("cancel"), poll_s=0.05)
    data, record = _record(deps)
    outcome = receipts.print_receipt(deps, session("t001", deps.clock.now()), data.transaction)
    assert not outcome.printed
    assert "인쇄되지 않음 – 재발행" in outcome.message and "오프라인" in outcome.message
    assert Path(record.pdf_path).is_file() and fake.jobs() == []
    with deps.store.unit_of_work() as uow:
        stored = uow.receipts.get(data.transaction)
    assert stored.printed_at is None and "offline" in (stored.last_error or "")
    (event,) = _events(deps, Action.PRINT_FAILED)
    assert event.result == "failed" and event.subject == data.transaction
    assert _events(deps, Action.RECEIPT_PRINTED) == []


def test_stopped_scheduler_is_recorded_as_print_failure(deps, tmp_path: Path) -> None:
    fake = FakeCups(tmp_path / "fake")
    fake.set_mode("no-scheduler")
    deps.printer = CupsPrinter("receipts", lp=fake.tool("lp"), lpstat=fake.tool("lpstat"),
                               cancel=fake.tool("cancel"), poll_s=0.05)
    data, _ = _record(deps)
    outcome = receipts.print_receipt(deps, session("t001", deps.clock.now()), data.transaction)
    assert not outcome.printed and "스케줄러" in outcome.message
    assert len(_events(deps, Action.PRINT_FAILED)) == 1


def test_reprint_is_stamped_numbered_and_audited(deps) -> None:
    data, record = _record(deps)
    teller = session("t002", deps.clock.now())
    first = receipts.reprint_receipt(deps, teller, data.transaction)
    second = receipts.reprint_receipt(deps, teller, data.transaction)
    assert first.pdf_path.name == "0815-20261125-00001-R1.pdf" and second.pdf_path.name.endswith("-R2.pdf")
    text = pdf_text(first.pdf_path.read_bytes())
    assert "재발행" in text and "REPRINT" in text and data.transaction in text and "1f3a9c0b7d2e4f60a1b2" in text
    assert "재발행" not in pdf_text(Path(record.pdf_path).read_bytes())  # the original is untouched
    with deps.store.unit_of_work() as uow:
        stored = uow.receipts.get(data.transaction)
    assert stored.reprints == 2 and stored.printed_at is not None
    events = _events(deps, Action.RECEIPT_REPRINTED)
    assert sorted(e.details["reprint"] for e in events) == [1, 2] and {e.staff_id for e in events} == {"t002"}


def test_reprint_refuses_an_altered_original(deps) -> None:
    data, record = _record(deps)
    path = Path(record.pdf_path)
    path.write_bytes(path.read_bytes() + b"\n% altered")
    with pytest.raises(IntegrityError):
        receipts.reprint_receipt(deps, session("t001", deps.clock.now()), data.transaction)


def test_reprint_refuses_altered_receipt_data(deps) -> None:
    data, record = _record(deps)
    sidecar = Path(record.pdf_path).with_suffix(".json")
    raw = json.loads(sidecar.read_text())
    raw["serial"] = "deadbeef"
    sidecar.write_text(json.dumps(raw, ensure_ascii=False))
    with pytest.raises(IntegrityError):
        receipts.reprint_receipt(deps, session("t001", deps.clock.now()), data.transaction)
    assert _events(deps, Action.RECEIPT_REPRINTED) == []


def test_reprint_needs_a_counter_role_and_a_known_transaction(deps) -> None:
    data, _ = _record(deps)
    with pytest.raises(PermissionDenied):
        receipts.reprint_receipt(deps, session("a001", deps.clock.now()), data.transaction)
    with pytest.raises(NotFound):
        receipts.reprint_receipt(deps, session("t001", deps.clock.now()), "0815-20261125-99999")


def test_a4_geometry_setting_is_used(deps) -> None:
    deps.settings = replace(deps.settings, receipt_geometry="a4")
    data, record = _record(deps)
    assert "은행 보관용" in pdf_text(Path(record.pdf_path).read_bytes())


@pytest.mark.postgres
def test_record_and_print_on_postgresql(settings, clock, tmp_path: Path, pg_url: str) -> None:
    d = make_deps(replace(settings, db_url=pg_url), clock, PdfFolderPrinter(tmp_path / "printed"))
    try:
        data, _ = _record(d)
        assert receipts.print_receipt(d, session("t001", clock.now()), data.transaction).printed
        with d.store.unit_of_work() as uow:
            assert uow.receipts.get(data.transaction).printed_at == clock.now()
    finally:
        d.store.dispose()  # type: ignore[attr-defined]
