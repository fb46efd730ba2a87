"""The one receipt drawing routine, used by both geometries.

`compose()` turns a ReceiptData into a list of blocks (height + painter) for a given column width; the roll
geometry sizes the page to their total height, the A4 geometry paints them twice (customer copy on top, bank
copy with a signature line below a dashed cut line). When the column is wide enough (A4) the QR code and
Code128 move to a right-hand column instead of stacking under the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from printing import barcodes
from printing.fonts import BOLD, MISSING_MARK, REGULAR, printable, unprintable
from printing.labels import LOSS_NOTICE, action_title, fee, kind_label, kst
from teller.documents import ReceiptData

Painter = Callable[[Canvas, float, float], None]  # (canvas, left x, top y)
GREY = (0.35, 0.35, 0.35)
WIDE = 120 * mm  # from this column width on, barcodes sit beside the fields


@dataclass(slots=True)
class Block:
    height: float
    paint: Painter


@dataclass(frozen=True, slots=True)
class Style:
    body: float  # value font size
    label: float  # Korean label size
    sub: float  # English sub-label size
    title: float
    label_col: float  # label column width

    @property
    def leading(self) -> float:
        return self.body * 1.35


NARROW_STYLE = Style(body=8.2, label=7.4, sub=5.2, title=11.5, label_col=21 * mm)
WIDE_STYLE = Style(body=9.0, label=8.0, sub=5.6, title=13.0, label_col=30 * mm)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy wrap that prefers spaces/commas and breaks anywhere when a run is too long (serials, DNs, Hangul)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if stringWidth(paragraph, font, size) <= width:  # the common case: one line
            lines.append(paragraph)
            continue
        line, used = "", 0.0
        for ch in paragraph:
            w = stringWidth(ch, font, size)
            if used + w <= width or not line:
                line, used = line + ch, used + w
                continue
            cut = max(line.rfind(" "), line.rfind(","))
            if cut > len(line) // 2:
                lines.append(line[: cut + 1].rstrip())
                line = line[cut + 1 :].lstrip() + ch
            else:
                lines.append(line)
                line = ch
            used = stringWidth(line, font, size)
        lines.append(line)
    return lines


def _text(c: Canvas, x: float, y: float, s: str, font: str, size: float, grey: bool = False) -> None:
    c.setFont(font, size)
    if grey:
        c.setFillColorRGB(*GREY)
        c.drawString(x, y, s)
        c.setFillColorRGB(0, 0, 0)
    else:
        c.drawString(x, y, s)


def _centered(c: Canvas, cx: float, y: float, s: str, font: str, size: float, grey: bool = False) -> None:
    c.setFont(font, size)
    if grey:
        c.setFillColorRGB(*GREY)
    c.drawCentredString(cx, y, s)
    c.setFillColorRGB(0, 0, 0)


def _rule(height: float, width: float, dash: bool = False) -> Block:
    def paint(c: Canvas, x: float, top: float) -> None:
        c.setLineWidth(0.6)
        if dash:
            c.setDash(1.5, 1.5)
        c.line(x, top - height / 2, x + width, top - height / 2)
        c.setDash()

    return Block(height, paint)


def _gap(height: float) -> Block:
    return Block(height, lambda c, x, top: None)


def _labels(data: ReceiptData) -> dict[str, tuple[str, str]]:
    """(primary, secondary) label per field, in the receipt's language order."""
    pairs = {
        "transaction": ("거래번호", "Transaction no."),
        "at": ("거래일시", "Date/time"),
        "action": ("거래구분", "Transaction"),
        "kind": ("인증서 종류", "Certificate"),
        "name": ("성명", "Name"),
        "rrn": ("주민등록번호", "Resident no."),
        "serial": ("일련번호", "Serial no."),
        "issuer": ("발급기관", "Issuer"),
        "validity": ("유효기간", "Valid"),
        "reason": ("사유", "Reason"),
        "fee": ("수수료", "Fee"),
        "teller": ("담당 / 단말", "Teller / terminal"),
        "notes": ("비고", "Notes"),
    }
    if data.language == "en":
        return {k: (en, ko) for k, (ko, en) in pairs.items()}
    return pairs


def _field_rows(data: ReceiptData, copy: str) -> list[tuple[str, str]]:
    lang = data.language
    ko_first = lang != "en"
    title_ko, title_en = action_title(data.action, "ko"), action_title(data.action, "en")
    name = data.subject_name if copy == "bank" and data.subject_name else data.subject_name_masked
    rows: list[tuple[str, str]] = [
        ("transaction", data.transaction),
        ("at", kst(data.at)),
        ("action", f"{title_ko} ({title_en})" if ko_first else f"{title_en} ({title_ko})"),
    ]
    if data.cert_kind:
        rows.append(("kind", kind_label(data.cert_kind, lang)))
    rows += [("name", name or "-"), ("rrn", data.rrn_masked)]
    if data.serial:
        rows.append(("serial", data.serial))
    if data.issuer:
        rows.append(("issuer", data.issuer))
    if data.not_before and data.not_after:
        rows.append(("validity", f"{kst(data.not_before, seconds=False)[:-4]} ~ {kst(data.not_after, seconds=False)}"))
    if data.revocation_reason:
        rows.append(("reason", data.revocation_reason))
    rows.append(("fee", fee(data.fee_krw, lang)))
    rows.append(("teller", f"{data.teller_id} / {data.terminal_id}"))
    if data.notes:
        rows.append(("notes", "\n".join(data.notes)))
    return rows


def _field_block(label: tuple[str, str], value: str, width: float, st: Style) -> Block:
    value_w = width - st.label_col
    lines = wrap(printable(value), REGULAR, st.body, value_w)
    label_h = st.label * 1.2 + st.sub * 1.2
    height = max(label_h, len(lines) * st.leading) + 1.6

    def paint(c: Canvas, x: float, top: float) -> None:
        base = top - st.body
        _text(c, x, top - st.label, label[0], BOLD, st.label)
        _text(c, x, top - st.label * 1.15 - st.sub, label[1], REGULAR, st.sub, grey=True)
        for i, line in enumerate(lines):
            _text(c, x + st.label_col, base - i * st.leading, line, REGULAR, st.body)

    return Block(height, paint)


def _paragraph(text: str, font: str, size: float, width: float, grey: bool = False, indent: float = 0) -> Block:
    lines = wrap(text, font, size, width - indent)
    lead = size * 1.3

    def paint(c: Canvas, x: float, top: float) -> None:
        for i, line in enumerate(lines):
            _text(c, x + indent, top - size - i * lead, line, font, size, grey)

    return Block(len(lines) * lead + 1, paint)


def _header(data: ReceiptData, copy: str, width: float, st: Style) -> list[Block]:
    en = data.language == "en"
    title_ko = f"공동인증서 {action_title(data.action)} 확인증"
    title_en = f"Joint certificate {action_title(data.action, 'en').lower()} receipt"
    copy_ko, copy_en = ("고객 보관용", "Customer copy") if copy == "customer" else ("은행 보관용", "Bank copy")
    first, second = (title_en, title_ko) if en else (title_ko, title_en)
    copy_first, copy_second = (copy_en, copy_ko) if en else (copy_ko, copy_en)

    def paint_bank(c: Canvas, x: float, top: float) -> None:
        cx = x + width / 2
        _centered(c, cx, top - st.title, printable(data.bank_name), BOLD, st.title)
        _centered(c, cx, top - st.title - st.body * 1.5, printable(f"{data.branch_name} ({data.branch_id})"),
                  REGULAR, st.body)

    def paint_title(c: Canvas, x: float, top: float) -> None:
        cx = x + width / 2
        _centered(c, cx, top - st.body * 1.25, first, BOLD, st.body * 1.25)
        _centered(c, cx, top - st.body * 1.25 - st.sub * 1.6, second, REGULAR, st.sub * 1.15, grey=True)
        _centered(c, cx, top - st.body * 1.25 - st.sub * 3.4, f"[{copy_first} · {copy_second}]", REGULAR,
                  st.sub * 1.15)

    blocks = [
        Block(st.title + st.body * 1.9, paint_bank),
        _rule(4, width),
        Block(st.body * 1.25 + st.sub * 4.2, paint_title),
    ]
    if data.reprint:
        blocks.append(_reprint_mark(width, st))
    return blocks


def _reprint_mark(width: float, st: Style) -> Block:
    h = st.title * 1.9

    def paint(c: Canvas, x: float, top: float) -> None:
        box_w = min(width, 60 * mm)
        bx = x + (width - box_w) / 2
        c.setLineWidth(1.4)
        c.rect(bx, top - h + 1.5, box_w, h - 3, stroke=1, fill=0)
        _centered(c, x + width / 2, top - h / 2 - st.title * 0.35, "재발행  REPRINT", BOLD, st.title)

    return Block(h + 2, paint)


def _barcodes(data: ReceiptData, width: float, st: Style, qr_size: float) -> Block:
    payload = barcodes.barcode_payload(data.transaction, data.verification)
    bar_h = 9 * mm
    bar = barcodes.code128(payload, width, bar_h)
    caption = f"검증코드 Verification {data.verification}"
    height = qr_size + 2 + bar_h + st.sub * 3.2

    def paint(c: Canvas, x: float, top: float) -> None:
        barcodes.draw_qr(c, payload, x + (width - qr_size) / 2, top - qr_size, qr_size)
        bar.drawOn(c, x + (width - bar.width) / 2, top - qr_size - 2 - bar_h)
        _centered(c, x + width / 2, top - qr_size - 2 - bar_h - st.sub * 1.5, payload, REGULAR, st.sub)
        _centered(c, x + width / 2, top - qr_size - 2 - bar_h - st.sub * 2.9, caption, REGULAR, st.sub, grey=True)

    return Block(height, paint)


def _notice(data: ReceiptData, width: float, st: Style) -> Block:
    first, second = (LOSS_NOTICE[1], LOSS_NOTICE[0]) if data.language == "en" else LOSS_NOTICE
    pad = 2.2
    a = wrap(first, BOLD, st.label, width - 2 * pad)
    b = wrap(second, REGULAR, st.sub, width - 2 * pad)
    height = len(a) * st.label * 1.3 + len(b) * st.sub * 1.3 + 2 * pad + 1

    def paint(c: Canvas, x: float, top: float) -> None:
        c.setLineWidth(0.6)
        c.rect(x, top - height, width, height, stroke=1, fill=0)
        y = top - pad - st.label
        for line in a:
            _text(c, x + pad, y, line, BOLD, st.label)
            y -= st.label * 1.3
        y = top - pad - len(a) * st.label * 1.3 - st.sub
        for line in b:
            _text(c, x + pad, y, line, REGULAR, st.sub, grey=True)
            y -= st.sub * 1.3

    return Block(height + 2, paint)


def _signature(width: float, st: Style) -> Block:
    h = st.body * 4.2

    def paint(c: Canvas, x: float, top: float) -> None:
        half = width / 2
        for i, (ko, en) in enumerate((("고객 서명", "Customer signature"), ("담당자 확인", "Teller"))):
            lx = x + i * half
            _text(c, lx, top - st.label, ko, BOLD, st.label)
            _text(c, lx, top - st.label - st.sub * 1.3, en, REGULAR, st.sub, grey=True)
            c.setLineWidth(0.6)
            c.line(lx, top - h + 2, lx + half - 6 * mm, top - h + 2)

    return Block(h, paint)


def compose(data: ReceiptData, copy: str, width: float) -> list[Block]:
    """Every block of one copy ("customer" or "bank"), top to bottom, for a column `width` points wide."""
    st = WIDE_STYLE if width >= WIDE else NARROW_STYLE
    labels = _labels(data)
    blocks = _header(data, copy, width, st)
    rows = _field_rows(data, copy)
    name_marked = bool(unprintable(data.subject_name_masked or "") or unprintable(data.subject_name or ""))
    if width >= WIDE:
        qr = 34 * mm
        side = 50 * mm
        field_w = width - side - 4 * mm
        fields = [_field_block(labels[k], v, field_w, st) for k, v in rows]
        side_block = _barcodes(data, side, st, qr)
        fields_h = sum(b.height for b in fields)

        def paint_columns(c: Canvas, x: float, top: float) -> None:
            y = top
            for b in fields:
                b.paint(c, x, y)
                y -= b.height
            side_block.paint(c, x + width - side, top)

        blocks += [_gap(2), Block(max(fields_h, side_block.height), paint_columns)]
    else:
        blocks += [_gap(1)] + [_field_block(labels[k], v, width, st) for k, v in rows]
    if name_marked:
        blocks.append(_paragraph(f"※ 글꼴에 없는 글자는 {MISSING_MARK}로 표시했습니다 "
                                 f"(characters the font lacks are shown as {MISSING_MARK})", REGULAR, st.sub, width))
    blocks += [_gap(2), _notice(data, width, st)]
    if width < WIDE:
        blocks += [_gap(3), _barcodes(data, width, st, 30 * mm)]
    if copy == "bank":
        blocks += [_gap(4), _signature(width, st)]
    return blocks


def height_of(blocks: list[Block]) -> float:
    return sum(b.height for b in blocks)


def paint(c: Canvas, blocks: list[Block], x: float, top: float) -> None:
    y = top
    for b in blocks:
        b.paint(c, x, y)
        y -= b.height
