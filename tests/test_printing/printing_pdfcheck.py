"""PDF checks for the printing tests: text via pypdf, decompressed stream bytes, barcodes via pypdfium2 + zxing-cpp."""

from __future__ import annotations

import zlib


def pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def all_stream_bytes(pdf: bytes) -> bytes:
    """The raw file plus every Flate stream decompressed (so nothing hides inside compressed content)."""
    import re

    out = [pdf]
    for m in re.finditer(rb"stream\r?\n", pdf):
        start = m.end()
        end = pdf.find(b"endstream", start)
        try:
            out.append(zlib.decompress(pdf[start:end]))
        except zlib.error:
            d = zlib.decompressobj()
            try:
                out.append(d.decompress(pdf[start:end]))
            except zlib.error:
                pass
    return b"\n".join(out)


def decode_barcodes(pdf: bytes, dpi: int = 203) -> list[tuple[str, str]]:
    """Rasterise every page with pypdfium2 and decode with zxing-cpp: [(format name, text)]."""
    import pypdfium2 as pdfium
    import zxingcpp

    found: list[tuple[str, str]] = []
    doc = pdfium.PdfDocument(pdf)
    try:
        for page in doc:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            for result in zxingcpp.read_barcodes(image):
                found.append((result.format.name, result.text))
    finally:
        doc.close()
    return found
