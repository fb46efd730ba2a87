"""Manager reports on A4 (platypus): the daily close-out per teller and the audit extract for a date range.

Long tables flow over pages with their header row repeated; every page carries the report title, the branch
and "page/total" (counted in a second pass by `_NumberedCanvas`).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from printing.fonts import BOLD, REGULAR, printable, register_fonts
from printing.labels import ACTION_TITLES, action_title, exception_label, fee, kst
from teller.documents import AuditExtractData, DailyReportData

REPORT_ACTIONS = ("issue", "renew", "reissue", "revoke", "hold", "release", "delete_from_media")
HEAD_BG = colors.Color(0.88, 0.9, 0.94)
WARN = colors.Color(0.75, 0.1, 0.1)

_body = ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=11)
_cell = ParagraphStyle("cell", fontName=REGULAR, fontSize=7.6, leading=9.4, wordWrap="CJK")
_cell_bold = ParagraphStyle("cellb", parent=_cell, fontName=BOLD, fontSize=6.7, leading=8.4, wordWrap=None)
_h1 = ParagraphStyle("h1", fontName=BOLD, fontSize=15, leading=19, spaceAfter=2)
_h2 = ParagraphStyle("h2", fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=4)
_sub = ParagraphStyle("sub", fontName=REGULAR, fontSize=7.5, leading=10, textColor=colors.Color(0.35, 0.35, 0.35))


def esc(text: object) -> str:
    """Printable, markup-safe text from the data (names, descriptions)."""
    return printable(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str, style: ParagraphStyle = _cell) -> Paragraph:
    """Plain text from the data."""
    return Paragraph(esc(text), style)


def _m(markup: str, style: ParagraphStyle = _cell) -> Paragraph:
    """Trusted markup; its dynamic parts must already be `esc()`-aped."""
    return Paragraph(markup, style)


def _status(ok: bool | None) -> str:
    if ok is None:
        return "확인 불가 (not verified)"
    return "정상 — 해시 체인 검증됨 (chain verified)" if ok else "이상 — 해시 체인 불일치, 변조 의심 (CHAIN BROKEN)"


class _NumberedCanvas(Canvas):
    """Defers page output until the page count is known, then stamps "n/total" on each page."""

    def __init__(self, *args: Any, footer: Callable[[Canvas, int, int], None], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab API)
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's page reset (the NumberedCanvas recipe); not in its stubs

    def save(self) -> None:
        total = len(self._pages)
        for n, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(self, n, total)
            super().showPage()
        super().save()


def _build(story: list[Any], *, title: str, header: str, pagesize: tuple[float, float], invariant: bool) -> bytes:
    register_fonts()
    buf = io.BytesIO()
    width, height = pagesize

    def footer(c: Canvas, n: int, total: int) -> None:
        c.saveState()
        c.setFont(REGULAR, 7.5)
        c.setFillColorRGB(0.3, 0.3, 0.3)
        c.drawString(14 * mm, height - 9 * mm, printable(header))
        c.drawRightString(width - 14 * mm, height - 9 * mm, title)
        c.setLineWidth(0.4)
        c.line(14 * mm, height - 10.5 * mm, width - 14 * mm, height - 10.5 * mm)
        c.drawCentredString(width / 2, 8 * mm, f"{n}/{total}")
        c.restoreState()

    doc = SimpleDocTemplate(
        buf, pagesize=pagesize, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
        title=title, author=printable(header), creator="branch-teller", invariant=1 if invariant else 0,
        initialFontName=REGULAR, initialFontSize=8,
    )
    doc.build(story, canvasmaker=functools.partial(_NumberedCanvas, footer=footer))
    return buf.getvalue()


def _table(rows: list[list[Any]], widths: list[float], extra: list[tuple[Any, ...]] = ()) -> Table:  # type: ignore[assignment]
    t = Table(rows, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), REGULAR, 7.6),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.Color(0.6, 0.6, 0.6)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        *extra,
    ]))
    return t


# ---------------------------------------------------------------------------------------------- daily report
# English column heads that fit a 17 mm column without breaking inside a word
_COLUMN_EN = {"release": "Hold lifted"}


def daily_report(data: DailyReportData, *, invariant: bool = False) -> bytes:
    chain_ok = data.chain_ok if data.chain_checked else None
    story: list[Any] = [
        _p("일일 마감 보고서", _h1),
        _p(f"Daily close-out · {data.day.isoformat()}", _sub),
        Spacer(1, 4),
        _m(f"<b>{esc(data.bank_name)} {esc(data.branch_name)}</b> (지점 {esc(data.branch_id)}) · 영업일 "
           f"{data.day.isoformat()}", _body),
        _p(f"작성 {kst(data.generated_at)} · 작성자 {data.generated_by}", _body),
    ]
    status = _status(chain_ok)
    color = "#1a6e1a" if chain_ok else "#b01a1a"
    story.append(_m(f"감사 기록 체인 (audit chain): <font color='{color}'><b>{status}</b></font>"
                    f" · 마지막 번호 seq {data.chain_head_seq}", _body))

    story.append(_p("직원별 처리 현황 · Per teller", _h2))
    head = [_m("직원<br/>Staff", _cell_bold)] + [
        _m(f"{ko}<br/>{_COLUMN_EN.get(a, en)}", _cell_bold) for a, (ko, en) in ((a, ACTION_TITLES[a]) for a in REPORT_ACTIONS)
    ] + [_m("수수료<br/>Fees", _cell_bold), _m("영수증<br/>인쇄/대상<br/>Receipts", _cell_bold)]
    rows: list[list[Any]] = [head]
    extra: list[tuple[Any, ...]] = []
    totals = {a: 0 for a in REPORT_ACTIONS}
    printed = expected = 0
    for i, line in enumerate(data.tellers, start=1):
        for a in REPORT_ACTIONS:
            totals[a] += line.counts.get(a, 0)
        printed += line.receipts_printed
        expected += line.receipts_expected
        rows.append([printable(f"{line.staff_id} {line.staff_name}")]
                    + [str(line.counts.get(a, 0) or "-") for a in REPORT_ACTIONS]
                    + [fee(line.fees_krw), f"{line.receipts_printed}/{line.receipts_expected}"])
        if line.receipts_printed < line.receipts_expected:
            extra.append(("TEXTCOLOR", (-1, i), (-1, i), WARN))
    rows.append(["합계 Total"] + [str(totals[a]) for a in REPORT_ACTIONS]
                + [fee(data.total_fees_krw), f"{printed}/{expected}"])
    n = len(rows) - 1
    extra += [("BACKGROUND", (0, n), (-1, n), colors.Color(0.95, 0.95, 0.95)), ("FONT", (0, n), (-1, n), BOLD, 7.6),
              ("ALIGN", (1, 0), (-1, -1), "RIGHT")]
    widths = [29 * mm] + [17 * mm] * len(REPORT_ACTIONS) + [20 * mm, 14 * mm]
    story.append(_table(rows, widths, extra))
    if not data.tellers:
        story.append(_p("이 날 처리한 거래가 없습니다. (No transactions.)", _sub))

    if data.online_registrations is not None:
        o = data.online_registrations
        total = sum(o.values())
        story.append(_p("온라인 발급 등록 · Registrations for online issuance", _h2))
        story.append(_p(f"등록 {total}건 (registered) · 발급 완료 {o.get('used', 0)} (redeemed) · 대기 {o.get('open', 0)} "
                        f"(open) · 기한 경과 {o.get('expired', 0)} (expired) · 취소 {o.get('cancelled', 0)} (cancelled) · "
                        f"잠김 {o.get('locked', 0)} (locked)", _body))

    story.append(_p(f"예외 사항 · Exceptions ({len(data.exceptions)})", _h2))
    if data.exceptions:
        erows: list[list[Any]] = [[_p(h, _cell_bold) for h in ("시각 (KST)", "직원 Staff", "구분 Kind",
                                                             "내용 Description")]]
        for e in sorted(data.exceptions, key=lambda e: e.at):
            erows.append([kst(e.at)[11:19], e.staff_id or "-", _m(f"{esc(exception_label(e.kind))}<br/>"
                                                                  f"{esc(exception_label(e.kind, 'en'))}"),
                          _p(e.description)])
        story.append(_table(erows, [22 * mm, 20 * mm, 30 * mm, 110 * mm]))
    else:
        story.append(_p("예외 사항이 없습니다. (None.)", _body))
    story += [Spacer(1, 18), _p("책임자 확인 (Manager) ____________________      감사 (Auditor) ____________________",
                                _body)]
    return _build(story, title=f"일일 마감 보고서 {data.day.isoformat()}",
                  header=f"{data.bank_name} {data.branch_name} ({data.branch_id})", pagesize=A4, invariant=invariant)


# ---------------------------------------------------------------------------------------------- audit extract
def audit_extract(data: AuditExtractData, *, invariant: bool = False) -> bytes:
    story: list[Any] = [
        _p("감사 기록 추출", _h1),
        _p(f"Audit extract · {kst(data.since, seconds=False)} ~ {kst(data.until, seconds=False)}", _sub),
        Spacer(1, 4),
        _m(f"<b>{esc(data.bank_name)} {esc(data.branch_name)}</b> · {len(data.rows)}건 (events)", _body),
        _p(f"작성 {kst(data.generated_at)} · 작성자 {data.generated_by}", _body),
        _m(f"감사 기록 체인 (audit chain): <b>{_status(data.chain_ok if data.chain_checked else None)}</b>", _body),
        Spacer(1, 6),
    ]
    head = [_m(h, _cell_bold) for h in ("번호<br/>Seq", "일시 (KST)<br/>Time", "직원<br/>Staff", "단말<br/>Term.",
                                         "작업<br/>Action", "결과<br/>Result", "고객<br/>Customer",
                                         "대상<br/>Subject")]
    rows: list[list[Any]] = [head]
    for r in data.rows:
        title = action_title(r.action)
        label = f"{esc(title)}<br/>{esc(r.action)}" if title != r.action else esc(r.action)
        rows.append([str(r.seq), kst(r.at)[:19], r.staff_id or "-", r.terminal_id, _m(label), r.result,
                     _p((r.customer_ref or "-")[:12]), _p(r.subject or "-")])
    widths = [13 * mm, 31 * mm, 16 * mm, 12 * mm, 28 * mm, 13 * mm, 22 * mm, 47 * mm]
    story.append(_table(rows, widths, [("ALIGN", (0, 1), (0, -1), "RIGHT")]))
    if not data.rows:
        story.append(_p("해당 기간에 기록이 없습니다. (No events in this period.)", _body))
    return _build(story, title="감사 기록 추출 Audit extract", header=f"{data.bank_name} {data.branch_name}",
                  pagesize=A4, invariant=invariant)
