"""`teller receipt reprint TRANSACTION` and `teller report daily|audit`: printed documents from the command line.

Staff credentials: `--staff ID`, the password from $TELLER_STAFF_PASSWORD or the first line of standard input
(never an argument: it would show in the process list and shell history). The staff member is signed in and out
around the command, so both appear in the audit trail.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from teller.errors import ValidationError

KST = timezone(timedelta(hours=9))


def register(sub: Any) -> None:
    receipt = sub.add_parser("receipt", help="영수증 (receipts: reprint)")
    r_actions = receipt.add_subparsers(dest="receipt_action", metavar="ACTION")
    reprint = r_actions.add_parser("reprint", help="영수증 재발행 (reprint, stamped 재발행)")
    reprint.add_argument("transaction", metavar="TRANSACTION", help="거래번호, e.g. 0815-20261125-00007")
    _staff_arg(reprint)
    reprint.set_defaults(func=_reprint)
    receipt.set_defaults(func=lambda args: (receipt.print_help(), 2)[1])

    report = sub.add_parser("report", help="책임자 보고서 (manager reports: daily, audit)")
    p_actions = report.add_subparsers(dest="report_action", metavar="ACTION")
    daily = p_actions.add_parser("daily", help="일일 마감 보고서 (daily close-out PDF)")
    daily.add_argument("--date", required=True, help="영업일 YYYY-MM-DD (KST)")
    daily.add_argument("--out", help="PDF file to write (default: <home>/reports/daily-DATE.pdf)")
    _staff_arg(daily)
    daily.set_defaults(func=_daily)
    extract = p_actions.add_parser("audit", help="감사 기록 추출 (audit extract PDF)")
    extract.add_argument("--since", required=True, help="from this day YYYY-MM-DD (KST), inclusive")
    extract.add_argument("--until", required=True, help="to this day YYYY-MM-DD (KST), inclusive")
    extract.add_argument("--out", help="PDF file to write (default: <home>/reports/audit-….pdf)")
    _staff_arg(extract)
    extract.set_defaults(func=_extract)
    report.set_defaults(func=lambda args: (report.print_help(), 2)[1])


def _staff_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--staff", required=True, metavar="ID",
                        help="직원 번호; 비밀번호는 TELLER_STAFF_PASSWORD 또는 표준 입력 첫 줄")


def _password() -> str:
    pw = os.environ.get("TELLER_STAFF_PASSWORD")
    if not pw:
        pw = sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty() else ""
        if not pw and sys.stdin.isatty():
            import getpass

            pw = getpass.getpass("직원 비밀번호 (staff password): ")
    if not pw:
        raise ValidationError("직원 비밀번호가 필요합니다 (TELLER_STAFF_PASSWORD 또는 표준 입력)",
                              "a staff password is required (TELLER_STAFF_PASSWORD or standard input)")
    return pw


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{what} 날짜 형식은 YYYY-MM-DD 입니다: {text!r}",
                              f"{what} must be YYYY-MM-DD: {text!r}") from None


def _with_session(args: argparse.Namespace, work: Callable[[Any, Any], int]) -> int:
    from teller.config import load_settings
    from teller.services.auth import sign_in, sign_out
    from cli.wiring import build_deps

    password = _password()
    deps = build_deps(load_settings(args.home))
    try:
        session = sign_in(deps, args.staff, password)
        try:
            return work(deps, session)
        finally:
            sign_out(deps, session)
    finally:
        deps.store.dispose()


def _reprint(args: argparse.Namespace) -> int:
    from teller.services.receipts import reprint_receipt

    def work(deps: Any, session: Any) -> int:
        outcome = reprint_receipt(deps, session, args.transaction)
        print(outcome.pdf_path)
        print(outcome.message, file=sys.stdout if outcome.printed else sys.stderr)
        return 0 if outcome.printed else 3  # 3: saved but not printed

    return _with_session(args, work)


def _daily(args: argparse.Namespace) -> int:
    from teller.services.reports import daily_report

    day = _day(args.date, "--date")
    out = Path(args.out) if args.out else None
    return _with_session(args, lambda deps, session: _print_path(daily_report(deps, session, day, out)))


def _extract(args: argparse.Namespace) -> int:
    from teller.services.reports import audit_extract_report

    since = datetime.combine(_day(args.since, "--since"), time(0), tzinfo=KST)
    until = datetime.combine(_day(args.until, "--until") + timedelta(days=1), time(0), tzinfo=KST)
    out = Path(args.out) if args.out else None
    return _with_session(args, lambda deps, session: _print_path(audit_extract_report(deps, session, since, until,
                                                                                      out)))


def _print_path(path: Path) -> int:
    print(path)
    return 0
