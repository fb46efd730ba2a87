"""Receipts as real PDFs: text extracted with pypdf, bytes searched (compressed streams too), barcodes decoded."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

import printing_samples as samples
from printing.labels import ACTION_TITLES
from printing.renderer import PdfDocuments
from printing_pdfcheck import all_stream_bytes, decode_barcodes, pdf_text
from teller.domain import CertKind
from teller.errors import ValidationError

GEOMETRIES = ("roll80", "a4")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("action", samples.ACTIONS)
def test_every_receipt_kind_carries_its_fields_in_extractable_korean(
    renderer: PdfDocuments, action: str, geometry: str
) -> None:
    data = samples.receipt(action)
    text = pdf_text(renderer.receipt(data, geometry=geometry))
    flat = _squash(text)
    title_ko, title_en = ACTION_TITLES[action]
    for expected in ("KB국민은행", "여의도영업부", data.transaction, "2026-11-2514:03:12KST", data.rrn_masked,
                     data.teller_id, data.terminal_id, _squash(title_ko), "분실", "폐지", "즉시"):
        assert _squash(expected) in flat, expected
    assert "홍*동" in flat  # the customer copy shows the masked name
    if data.serial:
        assert data.serial in flat
    if data.cert_kind:
        assert _squash(CertKind(data.cert_kind).label_ko) in flat
    if data.not_after:
        assert "2027-11-25" in flat  # not_after 14:59:59 UTC is 23:59:59 KST on the 25th
    assert ("4,400원" if data.fee_krw else "무료") in flat
    assert "재발행" not in flat and "REPRINT" not in text


def test_a4_two_part_has_customer_and_bank_copy_with_signature(renderer: PdfDocuments) -> None:
    pdf = renderer.receipt(samples.receipt("issue"), geometry="a4")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    flat = _squash(pdf_text(pdf))
    assert "고객보관용" in flat and "은행보관용" in flat and "고객서명" in flat and "자르는선" in flat
    assert flat.count("0815-20261125-00123") >= 2  # both copies
    assert "홍길동" in flat  # the bank copy names the customer in full


def test_roll_page_is_80mm_wide_and_as_long_as_its_content(renderer: PdfDocuments) -> None:
    short = PdfReader(io.BytesIO(renderer.receipt(samples.receipt("hold")))).pages[0].mediabox
    longer = PdfReader(io.BytesIO(renderer.receipt(
        samples.receipt("reissue", notes=["첫째 줄", "둘째 줄", "셋째 줄", "넷째 줄"])))).pages[0].mediabox
    assert round(float(short.width) / 72 * 25.4) == 80
    assert float(longer.height) > float(short.height)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_reprint_is_visibly_marked(renderer: PdfDocuments, geometry: str) -> None:
    text = pdf_text(renderer.receipt(samples.receipt("renew", reprint=True), geometry=geometry))
    assert "재발행" in text and "REPRINT" in text


def test_english_first_receipt(renderer: PdfDocuments) -> None:
    text = pdf_text(renderer.receipt(samples.receipt("revoke", language="en")))
    assert text.index("Transaction no.") < text.index("거래번호")
    assert "KRW" not in text or "Free" in text  # revoke costs nothing
    assert "Free" in text and "Revocation" in text


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_full_rrn_never_in_the_pdf_bytes(renderer: PdfDocuments, geometry: str) -> None:
    for action in samples.ACTIONS:
        pdf = renderer.receipt(samples.receipt(action, reprint=True), geometry=geometry)
        blob = all_stream_bytes(pdf)
        assert len(blob) > len(pdf)  # streams really were decompressed
        for needle in (samples.FAKE_RRN, samples.FAKE_RRN_HYPHEN, "1234568"):
            assert needle.encode() not in blob
            assert needle.encode("utf-16-be") not in blob
        assert samples.FAKE_RRN not in _squash(pdf_text(pdf))


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_qr_and_code128_decode_to_transaction_and_verification(renderer: PdfDocuments, geometry: str) -> None:
    data = samples.receipt("issue")
    # 300 dpi: the pip-only path (pdfium's anti-aliased bars at 203 dpi are ~2 px and zxing misses the Code128
    # there; the zbar test below checks 203 dpi through poppler when Debian's tools are present).
    found = decode_barcodes(renderer.receipt(data, geometry=geometry), dpi=300)
    formats = {fmt for fmt, _ in found}
    assert "QRCode" in formats and "Code128" in formats, found
    for _, text in found:
        transaction, verification = text.split("/")
        assert transaction == data.transaction and verification == data.verification
        assert samples.FAKE_RRN[6:] not in text


@pytest.mark.skipif(not shutil.which("zbarimg") or not shutil.which("pdftoppm"), reason="zbar-tools/poppler absent")
def test_barcodes_also_decode_with_zbar_at_thermal_resolution(renderer: PdfDocuments, tmp_path) -> None:
    data = samples.receipt("reissue")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(renderer.receipt(data))
    subprocess.run(["pdftoppm", "-r", "203", "-gray", "-png", "-singlefile", str(pdf), str(tmp_path / "r")],
                   check=True)
    out = subprocess.run(["zbarimg", "-q", str(tmp_path / "r.png")], capture_output=True, text=True).stdout
    expected = f"{data.transaction}/{data.verification}"
    assert f"QR-Code:{expected}" in out and f"CODE-128:{expected}" in out


def test_korean_font_is_embedded(renderer: PdfDocuments, tmp_path) -> None:
    pdf = renderer.receipt(samples.receipt("issue"))
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        for desc_font in font.get("/DescendantFonts", [font]):
            descriptor = desc_font.get_object().get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.append(str(desc_font.get_object()["/BaseFont"]))
    assert embedded and all("NanumGothic" in name for name in embedded)
    if shutil.which("pdffonts"):
        path = tmp_path / "r.pdf"
        path.write_bytes(pdf)
        listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = [ln for ln in listing.splitlines()[2:] if ln.strip()]
        assert rows and all(" yes " in ln for ln in rows), listing  # emb column


def test_unprintable_name_is_substituted_visibly(renderer: PdfDocuments) -> None:
    rare = "\U0002A6A5"  # a rare CJK ideograph (Ext. B) NanumGothic lacks
    emoji = "\U0001F600"
    assert renderer.unprintable(f"김{rare}{emoji}") == {rare, emoji}
    assert renderer.unprintable("홍길동 Hong Gil-dong") == set()
    data = samples.receipt("issue", subject_name=f"김{rare}{emoji}", subject_name_masked=f"김*{emoji}")
    for geometry in GEOMETRIES:
        text = pdf_text(renderer.receipt(data, geometry=geometry))
        assert "김*□" in text  # never a silent blank
        assert "글꼴에 없는 글자는 □로 표시" in text


def test_unknown_geometry_is_refused(renderer: PdfDocuments) -> None:
    with pytest.raises(ValidationError):
        renderer.receipt(samples.receipt("issue"), geometry="letter")


def test_invariant_output_is_byte_identical() -> None:
    a = PdfDocuments(invariant=True).receipt(samples.receipt("issue"))
    b = PdfDocuments(invariant=True).receipt(samples.receipt("issue"))
    c = PdfDocuments(invariant=True).receipt(samples.receipt("issue", transaction="0815-20261125-00124"))
    assert a == b and a != c
