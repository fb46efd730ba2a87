"""Manager reports as real PDFs: close-out figures and exceptions, audit extract paged with repeated headers."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

import printing_samples as samples
from printing.renderer import PdfDocuments
from printing_pdfcheck import pdf_text


def test_daily_report_shows_counts_fees_receipts_exceptions_and_chain(renderer: PdfDocuments) -> None:
    data = samples.daily()
    pdf = renderer.daily_report(data)
    text = pdf_text(pdf)
    layout = PdfReader(io.BytesIO(pdf)).pages[0].extract_text(extraction_mode="layout")
    assert "일일 마감 보고서" in text and "2026-11-25" in text and "여의도영업부" in text
    for line in data.tellers:
        row = next(ln for ln in layout.splitlines() if line.staff_id in ln and line.staff_name in ln)
        assert f"{line.fees_krw:,}원" in row
        assert f"{line.receipts_printed}/{line.receipts_expected}" in row
    total_row = next(ln for ln in layout.splitlines() if "합계" in ln)
    expected_issues = sum(t.counts.get("issue", 0) for t in data.tellers)
    assert re.search(rf"\b{expected_issues}\b", total_row)
    assert f"{data.total_fees_krw:,}원" in total_row
    for e in data.exceptions:
        assert e.description.split()[0] in text
    for label in ("책임자 승인", "진위확인 실패", "반복 재발급", "영업시간 외", "인쇄 실패"):
        assert label in text
    assert "검증됨" in text and str(data.chain_head_seq) in text


def test_daily_report_flags_a_broken_or_unverified_chain(renderer: PdfDocuments) -> None:
    assert "변조 의심" in pdf_text(renderer.daily_report(samples.daily(chain_ok=False)))
    unknown = pdf_text(renderer.daily_report(samples.daily(chain_ok=True, chain_checked=False)))
    assert "확인 불가" in unknown and "검증됨" not in unknown


def test_audit_extract_pages_with_repeated_header_and_page_numbers(renderer: PdfDocuments) -> None:
    data = samples.extract(rows=120)
    pdf = renderer.audit_extract(data)
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    assert total >= 3
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"{n}/{total}" in text
        assert "Seq" in text and "Action" in text  # the table header repeats on every page
        assert "여의도영업부" in text
    everything = pdf_text(pdf)
    for row in (data.rows[0], data.rows[59], data.rows[-1]):
        assert row.subject in everything
    assert "발급" in everything and "검증됨" in everything


def test_empty_extract_says_so(renderer: PdfDocuments) -> None:
    text = pdf_text(renderer.audit_extract(samples.extract(rows=0)))
    assert "기록이 없습니다" in text and "1/1" in text
