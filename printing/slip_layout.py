"""The sealed slip of a registration for online issuance (참조번호 + 인가코드), on the 80 mm roll or on A4.

The customer's slip carries the code in a large box; the bank's archived copy (and any reprint) is drawn from the
same blocks with the code replaced by a line saying it was printed once, on the customer's slip only.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from printing.fonts import BOLD, REGULAR, printable
from printing.labels import kind_label, kst
from printing.receipt_layout import NARROW_STYLE, WIDE, WIDE_STYLE, Block, Style, wrap
from printing.receipt_layout import height_of as height_of
from printing.receipt_layout import paint as paint
from teller.documents import RegistrationSlipData

GREY = (0.35, 0.35, 0.35)


def group_code(code: str) -> str:
    """`ABCD EFGH JKLM NPQR`: four groups read off paper; the customer types it without the spaces."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def _lines(c: Canvas, x: float, top: float, lines: list[str], font: str, size: float, grey: bool = False,
           centred_in: float | None = None) -> None:
    c.setFont(font, size)
    c.setFillColorRGB(*(GREY if grey else (0, 0, 0)))
    for i, line in enumerate(lines):
        y = top - size - i * size * 1.3
        if centred_in is None:
            c.drawString(x, y, line)
        else:
            c.drawCentredString(x + centred_in / 2, y, line)
    c.setFillColorRGB(0, 0, 0)


def _text(text: str, font: str, size: float, width: float, *, grey: bool = False, centred: bool = False) -> Block:
    lines = wrap(printable(text), font, size, width)

    def paint(c: Canvas, x: float, top: float) -> None:
        _lines(c, x, top, lines, font, size, grey, width if centred else None)

    return Block(len(lines) * size * 1.3 + 1, paint)


def _rule(width: float, dashed: bool = False) -> Block:
    def paint(c: Canvas, x: float, top: float) -> None:
        c.setLineWidth(0.6)
        if dashed:
            c.setDash(3, 2)
        c.line(x, top - 2, x + width, top - 2)
        c.setDash()

    return Block(4, paint)


def _row(label: str, sub: str, value: str, width: float, st: Style) -> Block:
    lines = wrap(printable(value), REGULAR, st.body, width - st.label_col)
    height = max(st.label * 1.2 + st.sub * 1.2, len(lines) * st.leading) + 1.6

    def paint(c: Canvas, x: float, top: float) -> None:
        _lines(c, x, top, [label], BOLD, st.label)
        _lines(c, x, top - st.label * 1.15, [sub], REGULAR, st.sub, grey=True)
        _lines(c, x + st.label_col, top, lines, REGULAR, st.body)

    return Block(height, paint)


def _code_box(data: RegistrationSlipData, width: float, st: Style) -> Block:
    big = st.title * 1.35
    pad = 3 * mm
    rows: list[tuple[str, str, str, bool]] = [("참조번호", "Reference number", data.reference, True)]
    if data.auth_code is not None:
        rows.append(("인가코드", "Authorization code", group_code(data.auth_code), True))
    else:
        rows.append(("인가코드", "Authorization code",
                     "고객 봉투에만 한 번 인쇄되었습니다 (은행 보관용·재출력에는 없음) — printed once, on the "
                     "customer's slip only", False))
    painted: list[tuple[str, str, list[str], bool, float]] = []
    height = pad
    for ko, en, value, large in rows:
        size = big if large else st.body
        lines = wrap(printable(value), BOLD if large else REGULAR, size, width - 2 * pad)
        row_h = st.label * 1.3 + st.sub * 1.4 + len(lines) * size * 1.3 + 2
        painted.append((ko, en, lines, large, row_h))
        height += row_h
    height += pad

    def paint(c: Canvas, x: float, top: float) -> None:
        c.setLineWidth(1.4)
        c.rect(x, top - height, width, height, stroke=1, fill=0)
        y = top - pad
        for ko, en, lines, large, row_h in painted:
            _lines(c, x + pad, y, [f"{ko}  {en}"], BOLD, st.label)
            size = big if large else st.body
            _lines(c, x + pad, y - st.label * 1.3 - st.sub * 1.4, lines, BOLD if large else REGULAR, size,
                   centred_in=width - 2 * pad if large else None)
            y -= row_h

    return Block(height + 2, paint)


HOW_TO = (
    ("집에서 인증서 발급 프로그램(또는 teller online)의 '인증서 발급' 메뉴에 참조번호와 인가코드를 입력하십시오. "
     "인가코드는 공백 없이 입력합니다.",
     "At home, enter the reference number and the authorization code (without spaces) in the certificate "
     "issuance menu of your bank's software (or teller online)."),
    ("한 번만 사용할 수 있고, 인가코드를 5회 틀리면 등록이 잠깁니다.",
     "They work once; five wrong authorization codes lock the registration."),
    ("이 봉투를 다른 사람에게 보여주지 마십시오. 은행 직원은 전화나 메시지로 인가코드를 묻지 않습니다.",
     "Show this slip to no one. The bank never asks for the code by phone or message."),
    ("봉투를 잃어버렸으면 거래 은행에 등록 취소를 요청하십시오.",
     "If you lose this slip, ask your bank to cancel the registration."),
)


def compose(data: RegistrationSlipData, width: float) -> list[Block]:
    st = WIDE_STYLE if width >= WIDE else NARROW_STYLE
    en_first = data.language == "en"
    customer = data.auth_code is not None
    title = ("공동인증서 온라인 발급 등록", "Joint certificate: registration for online issuance")
    copy = ("고객 보관용 · 봉인하여 전달", "Customer copy · hand over sealed") if customer else \
        ("은행 보관용 (인가코드 없음)", "Bank copy (no authorization code)")
    first, second = (1, 0) if en_first else (0, 1)
    blocks = [
        _text(data.bank_name, BOLD, st.title, width, centred=True),
        _text(f"{data.branch_name} ({data.branch_id})", REGULAR, st.body, width, centred=True),
        _rule(width),
        _text(title[first], BOLD, st.body * 1.25, width, centred=True),
        _text(title[second], REGULAR, st.sub * 1.15, width, grey=True, centred=True),
        _text(f"[{copy[first]} · {copy[second]}]" if not en_first else f"[{copy[1]} · {copy[0]}]", REGULAR,
              st.sub * 1.15, width, centred=True),
    ]
    if data.reprint:
        blocks.append(_text("재발행  REPRINT", BOLD, st.title, width, centred=True))
    rows = [
        ("거래번호", "Transaction no.", data.transaction),
        ("등록일시", "Registered", kst(data.at)),
        ("인증서 종류", "Certificate", kind_label(data.cert_kind, data.language)),
        ("성명", "Name", data.subject_name_masked),
        ("주민등록번호", "Resident no.", data.rrn_masked),
        ("사용 기한", "Use by", kst(data.expires_at, seconds=False)),
        ("담당", "Teller", data.teller_id),
    ]
    blocks.append(Block(2, lambda c, x, top: None))
    for ko, en, value in rows:
        blocks.append(_row(en if en_first else ko, ko if en_first else en, value, width, st))
    blocks += [Block(3, lambda c, x, top: None), _code_box(data, width, st), Block(2, lambda c, x, top: None)]
    for i, (ko, en) in enumerate(HOW_TO, 1):
        blocks.append(_text(f"{i}. {en if en_first else ko}", REGULAR, st.label, width))
        blocks.append(_text(f"   {ko if en_first else en}", REGULAR, st.sub, width, grey=True))
    if customer:
        blocks += [Block(4, lambda c, x, top: None), _rule(width, dashed=True),
                   _text("이 선을 접어 봉인하십시오 · fold and seal along this line", REGULAR, st.sub, width,
                         grey=True, centred=True)]
    return blocks

