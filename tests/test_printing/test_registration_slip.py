"""The sealed slip of an online registration, both geometries, in Korean and English: the code on the customer's
slip only, never on the bank's copy; the text read back by poppler (a reader nobody here wrote)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from printing.renderer import PdfDocuments
from teller.documents import RegistrationSlipData

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
AT = datetime(2026, 12, 7, 1, 30, tzinfo=timezone.utc)  # 10:30 KST


def slip(code: str | None, language: str = "ko") -> RegistrationSlipData:
    return RegistrationSlipData(bank_name="KB국민은행", branch_name="여의도영업부", branch_id="0815", teller_id="t001",
                                at=AT, transaction="0815-20261207-00042", cert_kind="bank",
                                subject_name_masked="홍*동", rrn_masked="900101-1******", reference="31415926",
                                auth_code=code, expires_at=AT + timedelta(days=7), language=language)


def text_of(pdf: bytes, tmp: Path) -> str:
    path = tmp / "slip.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout


@pytest.mark.parametrize("geometry", ["roll80", "a4"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_code_is_on_the_customers_slip_and_nowhere_else(geometry: str, language: str, tmp_path: Path) -> None:
    renderer = PdfDocuments(invariant=True)
    customer = text_of(renderer.registration_slip(slip("K7QMX2PLRT9WN4HC", language), geometry=geometry), tmp_path)
    bank = text_of(renderer.registration_slip(slip(None, language), geometry=geometry), tmp_path)
    assert "K7QM X2PL RT9W N4HC" in customer and "31415926" in customer
    assert "K7QM" not in bank and "31415926" in bank
    for text in (customer, bank):
        assert "참조번호" in text and "인가코드" in text and "2026-12-14 10:30 KST" in text
        assert "900101-1******" in text
    first_line = next(line for line in customer.splitlines() if "등록" in line or "registration" in line.lower())
    assert ("온라인 발급 등록" in first_line) == (language == "ko")
    if shutil.which("pdftoppm"):
        (tmp_path / "slip.pdf").write_bytes(renderer.registration_slip(slip("K7QMX2PLRT9WN4HC", language),
                                                                         geometry=geometry))
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(tmp_path / "slip.pdf"), str(tmp_path / "page")],
                       check=True, timeout=60)
        assert (tmp_path / "page-1.png").stat().st_size > 5000
