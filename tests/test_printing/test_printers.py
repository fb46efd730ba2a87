"""Printer adapters: the PDF folder, a fake CUPS on any machine, and a REAL private cupsd with a CUPS-PDF queue."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import printing_cups
import printing_samples as samples
from printing.printers import CupsPrinter, PdfFolderPrinter, make_printer, media_for
from printing.renderer import PdfDocuments
from printing_fakecups import FakeCups
from teller.errors import PrinterError, ValidationError


@pytest.fixture
def receipt_pdf(renderer: PdfDocuments, tmp_path: Path) -> Path:
    path = tmp_path / "0815-20261125-00123.pdf"
    path.write_bytes(renderer.receipt(samples.receipt("issue")))
    return path


# ---------------------------------------------------------------------------------------------- PDF folder
def test_pdf_folder_printer_copies_and_completes(receipt_pdf: Path, tmp_path: Path) -> None:
    printer = PdfFolderPrinter(tmp_path / "out")
    job = printer.print_pdf(receipt_pdf)
    assert job.completed and job.job_id == receipt_pdf.name
    assert (tmp_path / "out" / receipt_pdf.name).read_bytes() == receipt_pdf.read_bytes()
    assert [p.name for p in (tmp_path / "out").iterdir()] == [receipt_pdf.name]  # no temp file left


def test_pdf_folder_printer_reports_an_unusable_folder(receipt_pdf: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(PrinterError) as err:
        PdfFolderPrinter(blocker).print_pdf(receipt_pdf)
    assert "PDF" in err.value.message


def test_media_follows_the_page_size(renderer: PdfDocuments, tmp_path: Path, receipt_pdf: Path) -> None:
    assert media_for(receipt_pdf).startswith("Custom.80x")
    a4 = tmp_path / "a4.pdf"
    a4.write_bytes(renderer.receipt(samples.receipt("issue"), geometry="a4"))
    assert media_for(a4) == "A4"


def test_make_printer_from_settings(settings, tmp_path: Path) -> None:
    from dataclasses import replace

    assert isinstance(make_printer(settings), PdfFolderPrinter)
    assert isinstance(make_printer(replace(settings, printer="cups", printer_queue="receipts")), CupsPrinter)
    with pytest.raises(ValidationError):
        make_printer(replace(settings, printer="cups", printer_queue=None))
    with pytest.raises(ValidationError):
        CupsPrinter("bad queue; rm -rf /")


# ---------------------------------------------------------------------------------------------- fake CUPS
@pytest.fixture
def fake(tmp_path: Path) -> FakeCups:
    return FakeCups(tmp_path / "fakecups")


def _fake_printer(fake: FakeCups, queue: str = "receipts") -> CupsPrinter:
    return CupsPrinter(queue, lp=fake.tool("lp"), lpstat=fake.tool("lpstat"), cancel=fake.tool("cancel"),
                       poll_s=0.05)


def test_fake_cups_job_submitted_with_media_and_completed(fake: FakeCups, receipt_pdf: Path) -> None:
    job = _fake_printer(fake).print_pdf(receipt_pdf, timeout_s=5)
    assert job.completed and job.job_id == "receipts-1"
    (line,) = fake.jobs()
    assert "-d receipts" in line and "media=Custom.80x" in line and str(receipt_pdf) in line


@pytest.mark.parametrize("mode", ["disabled", "offline"])
def test_fake_cups_offline_printer_refused_before_submitting(fake: FakeCups, receipt_pdf: Path, mode: str) -> None:
    fake.set_mode(mode)
    with pytest.raises(PrinterError) as err:
        _fake_printer(fake).print_pdf(receipt_pdf, timeout_s=5)
    assert "프린터가 오프라인입니다" in err.value.message
    assert fake.jobs() == []
    if mode == "disabled":
        assert "paper out" in err.value.message


def test_fake_cups_stopped_scheduler_is_detected_despite_exit_code_0(fake: FakeCups, receipt_pdf: Path) -> None:
    fake.set_mode("no-scheduler")
    with pytest.raises(PrinterError) as err:
        _fake_printer(fake).print_pdf(receipt_pdf, timeout_s=5)
    assert "스케줄러" in err.value.message and fake.jobs() == []


def test_fake_cups_unknown_queue(fake: FakeCups, receipt_pdf: Path) -> None:
    with pytest.raises(PrinterError) as err:
        _fake_printer(fake, "nosuch").print_pdf(receipt_pdf, timeout_s=5)
    assert "찾을 수 없습니다" in err.value.message


def test_fake_cups_job_that_never_completes_is_cancelled(fake: FakeCups, receipt_pdf: Path) -> None:
    fake.set_mode("stuck")
    with pytest.raises(PrinterError) as err:
        _fake_printer(fake).print_pdf(receipt_pdf, timeout_s=0.3)
    assert "취소" in err.value.message
    assert fake.cancelled() == ["receipts-1"]  # never printed hours later


def test_missing_cups_commands_give_a_clear_error(receipt_pdf: Path, tmp_path: Path) -> None:
    printer = CupsPrinter("receipts", lp=str(tmp_path / "no-lp"), lpstat=str(tmp_path / "no-lpstat"))
    with pytest.raises(PrinterError) as err:
        printer.print_pdf(receipt_pdf)
    assert "CUPS" in err.value.message


# ---------------------------------------------------------------------------------------------- real cupsd
@pytest.fixture(scope="module")
def cups() -> Iterator[printing_cups.PrivateCups]:
    reason = printing_cups.available()
    if reason:
        pytest.skip(reason)
    with printing_cups.private_root() as root:
        server = printing_cups.PrivateCups(root)
        try:
            server.start()
        except RuntimeError as exc:
            pytest.skip(str(exc))
        try:
            yield server
        finally:
            server.stop()


def _cups_pdf_outputs(stem: str) -> list[Path]:
    """Where Debian's cups-pdf writes (per its /etc/cups/cups-pdf.conf): ~/PDF or the anonymous spool."""
    found: list[Path] = []
    for folder in (Path.home() / "PDF", Path("/var/spool/cups-pdf/ANONYMOUS")):
        if folder.is_dir():
            found += [p for p in folder.iterdir() if p.name.startswith(stem)]
    return found


def test_real_cupsd_prints_to_a_cups_pdf_queue(cups, renderer: PdfDocuments, tmp_path: Path, monkeypatch) -> None:
    cups.add_pdf_queue("receipts_pdf")
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    stem = f"rcpt{time.time_ns()}"
    pdf = tmp_path / f"{stem}.pdf"
    pdf.write_bytes(renderer.receipt(samples.receipt("renew")))
    try:
        job = CupsPrinter("receipts_pdf").print_pdf(pdf, timeout_s=60)
        assert job.completed and job.job_id and job.job_id.startswith("receipts_pdf-")
        assert job.job_id in cups.run("lpstat", "-W", "completed", "-o", "receipts_pdf").stdout
        outputs = _cups_pdf_outputs(stem)
        assert outputs and outputs[0].read_bytes().startswith(b"%PDF")
    finally:
        for p in _cups_pdf_outputs(stem):
            p.unlink()


def test_real_cupsd_disabled_queue_is_offline(cups, receipt_pdf: Path, tmp_path: Path, monkeypatch) -> None:
    cups.add_file_queue("receipts_off", cups.root / "device.out")
    cups.run(shutil.which("cupsdisable") or "/usr/sbin/cupsdisable", "-r", "cover open", "receipts_off")
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    with pytest.raises(PrinterError) as err:
        CupsPrinter("receipts_off").print_pdf(receipt_pdf, timeout_s=5)
    assert "프린터가 오프라인입니다" in err.value.message and "cover open" in err.value.message
    assert cups.run("lpstat", "-W", "all", "-o", "receipts_off").stdout.strip() == ""  # nothing queued


def test_real_cupsd_unknown_queue(cups, receipt_pdf: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    with pytest.raises(PrinterError) as err:
        CupsPrinter("no_such_queue").print_pdf(receipt_pdf, timeout_s=5)
    assert "찾을 수 없습니다" in err.value.message


def test_real_stopped_scheduler(tmp_path: Path, receipt_pdf: Path, monkeypatch) -> None:
    reason = printing_cups.available()
    if reason:
        pytest.skip(reason)
    with printing_cups.private_root() as root:
        server = printing_cups.PrivateCups(root)
        server.start()
        server.add_file_queue("receipts_down", root / "device.out")
        server.stop()
        monkeypatch.setenv("CUPS_SERVER", str(server.socket))
        with pytest.raises(PrinterError) as err:
            CupsPrinter("receipts_down").print_pdf(receipt_pdf, timeout_s=5)
    assert "스케줄러" in err.value.message
