"""QR code and Code128 drawn straight onto a canvas.

reportlab's QR widget builds the code twice and draws one rectangle per dark run as separate objects (~30 ms);
here the matrix is built once and every dark run of a row goes into ONE filled path, which keeps a whole
receipt well under 25 ms. Payloads carry the transaction number and the short verification code, never a
resident number.
"""

from __future__ import annotations

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfgen.canvas import Canvas

QUIET_MODULES = 4  # QR quiet zone (ISO/IEC 18004)


def barcode_payload(transaction: str, verification: str) -> str:
    """What both barcodes encode: `<transaction>/<verification>`."""
    return f"{transaction}/{verification}"


def qr_matrix(payload: str, level: str = "M") -> list[list[bool]]:
    qr = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    qr.addData(payload)
    qr.make()
    return [[bool(m) for m in row] for row in qr.modules]


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw the QR with its quiet zone inside the square (x, y, size) — (x, y) is the lower-left corner."""
    matrix = qr_matrix(payload)
    count = len(matrix)
    module = size / (count + 2 * QUIET_MODULES)
    path = canvas.beginPath()
    top = y + size - QUIET_MODULES * module
    left = x + QUIET_MODULES * module
    for r, row in enumerate(matrix):
        c = 0
        row_y = top - (r + 1) * module
        while c < count:
            if row[c]:
                start = c
                while c < count and row[c]:
                    c += 1
                path.rect(left + start * module, row_y, (c - start) * module, module)
            else:
                c += 1
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def code128(payload: str, max_width: float, height: float) -> Code128:
    """A Code128 whose BARS fit `max_width`, module as wide as that allows (capped at 1.2 pt).

    No quiet zone is included: callers keep 10 modules of blank paper each side (on the roll that is the
    unprinted paper margin). A 30-character payload with a decimal verification code gets 0.25 mm modules on
    a 72 mm line: exactly 2 dots on a 203 dpi thermal head."""
    modules = Code128(payload, barWidth=1.0, barHeight=height, humanReadable=0, quiet=0).width
    bar_width = min(1.2, max_width / modules)
    return Code128(payload, barWidth=bar_width, barHeight=height, humanReadable=0, quiet=0)
