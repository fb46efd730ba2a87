"""`PdfDocuments`: the DocumentRenderer port — receipts (80 mm roll or A4 two-part), daily close-out, audit extract.

All text is drawn in the embedded NanumGothic; characters the font lacks are shown as □ (see printing.fonts).
`invariant=True` makes the output byte-identical for identical data (used by tests and for re-rendering).
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from printing import fonts, receipt_layout, report_layout, slip_layout
from printing.labels import action_title
from teller.documents import AuditExtractData, DailyReportData, ReceiptData, RegistrationSlipData
from teller.errors import ValidationError

ROLL_WIDTH = 80 * mm
ROLL_PRINTABLE = 72 * mm
ROLL_MARGIN_Y = 5 * mm
A4_MARGIN = 14 * mm
GEOMETRIES = ("roll80", "a4")


class PdfDocuments:
    """Renders the printable documents as PDF bytes."""

    def __init__(self, *, invariant: bool = False) -> None:
        self.invariant = invariant
        fonts.register_fonts()

    # ------------------------------------------------------------------------------------------ receipt
    def receipt(self, data: ReceiptData, *, geometry: str = "roll80") -> bytes:
        if geometry not in GEOMETRIES:
            raise ValidationError(f"알 수 없는 영수증 형식입니다: {geometry}", f"unknown receipt geometry: {geometry}")
        buf = io.BytesIO()
        if geometry == "roll80":
            blocks = receipt_layout.compose(data, "customer", ROLL_PRINTABLE)
            height = receipt_layout.height_of(blocks) + 2 * ROLL_MARGIN_Y
            c = self._canvas(buf, (ROLL_WIDTH, height), data)
            receipt_layout.paint(c, blocks, (ROLL_WIDTH - ROLL_PRINTABLE) / 2, height - ROLL_MARGIN_Y)
        else:
            c = self._canvas(buf, A4, data)
            self._a4_two_part(c, data)
        c.showPage()
        c.save()
        return buf.getvalue()

    def _canvas(self, buf: io.BytesIO, size: tuple[float, float], data: ReceiptData) -> Canvas:
        return self._new_canvas(buf, size, f"{action_title(data.action)} 확인증 {data.transaction}",
                                f"{data.bank_name} {data.branch_name}")

    def _new_canvas(self, buf: io.BytesIO, size: tuple[float, float], title: str, author: str) -> Canvas:
        c = Canvas(buf, pagesize=size, pageCompression=1, invariant=1 if self.invariant else 0,
                   initialFontName=fonts.REGULAR,  # type: ignore[arg-type]  # a font name; types-reportlab says float
                   initialFontSize=8)
        c.setTitle(title)
        c.setAuthor(fonts.printable(author))
        c.setCreator("branch-teller")
        return c

    def _a4_two_part(self, c: Canvas, data: ReceiptData) -> None:
        page_w, page_h = A4
        width = page_w - 2 * A4_MARGIN
        half = page_h / 2
        for copy, top in (("customer", page_h - A4_MARGIN), ("bank", half - 8 * mm)):
            blocks = receipt_layout.compose(data, copy, width)
            room = half - A4_MARGIN - 8 * mm
            height = receipt_layout.height_of(blocks)
            c.saveState()
            if height > room:  # many notes: shrink this copy to its half rather than overrun the cut line
                scale = room / height
                c.translate(A4_MARGIN, top)
                c.scale(scale, scale)
                receipt_layout.paint(c, blocks, 0, 0)
            else:
                receipt_layout.paint(c, blocks, A4_MARGIN, top)
            c.restoreState()
        # the cut line between the copies
        c.saveState()
        c.setDash(4, 3)
        c.setLineWidth(0.5)
        c.line(8 * mm, half, page_w - 8 * mm, half)
        c.setDash()
        c.setFont(fonts.REGULAR, 6.5)
        c.setFillColorRGB(0.35, 0.35, 0.35)
        c.drawString(10 * mm, half + 1.5 * mm, "자르는 선 · cut here")
        c.restoreState()

    # ------------------------------------------------------------------------------------------ slip
    def registration_slip(self, data: RegistrationSlipData, *, geometry: str = "roll80") -> bytes:
        if geometry not in GEOMETRIES:
            raise ValidationError(f"알 수 없는 영수증 형식입니다: {geometry}", f"unknown receipt geometry: {geometry}")
        buf = io.BytesIO()
        if geometry == "roll80":
            blocks = slip_layout.compose(data, ROLL_PRINTABLE)
            size = (ROLL_WIDTH, slip_layout.height_of(blocks) + 2 * ROLL_MARGIN_Y)
            x, top = (ROLL_WIDTH - ROLL_PRINTABLE) / 2, size[1] - ROLL_MARGIN_Y
        else:
            blocks = slip_layout.compose(data, A4[0] - 2 * A4_MARGIN)
            size, x, top = A4, A4_MARGIN, A4[1] - A4_MARGIN
        c = self._new_canvas(buf, size, f"온라인 발급 등록 {data.transaction}", f"{data.bank_name} {data.branch_name}")
        slip_layout.paint(c, blocks, x, top)
        c.showPage()
        c.save()
        return buf.getvalue()

    # ------------------------------------------------------------------------------------------ reports
    def daily_report(self, data: DailyReportData) -> bytes:
        return report_layout.daily_report(data, invariant=self.invariant)

    def audit_extract(self, data: AuditExtractData) -> bytes:
        return report_layout.audit_extract(data, invariant=self.invariant)

    def unprintable(self, text: str) -> set[str]:
        return fonts.unprintable(text)
