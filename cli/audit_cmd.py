"""`teller audit verify` (check the hash chain) and `teller audit export` (CSV / JSON lines).

Both are audited themselves: an AUDIT_VERIFIED / AUDIT_EXPORTED event (staff none, this terminal) is appended
after the trail was read.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from teller.errors import IntegrityError, StorageError, ValidationError

KST = timezone(timedelta(hours=9))


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="감사 기록 (audit trail: verify, export)")
    actions = p.add_subparsers(dest="audit_action", metavar="ACTION")

    verify = actions.add_parser("verify", help="감사 기록 무결성 확인 (verify the hash chain)")
    verify.set_defaults(func=_verify)

    export = actions.add_parser("export", help="감사 기록 내보내기 (export events as CSV or JSON lines)")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="output format (default csv)")
    export.add_argument("--since", help="from this day (YYYY-MM-DD, KST) or ISO time, inclusive")
    export.add_argument("--until", help="to this day (YYYY-MM-DD, KST, inclusive) or ISO time (exclusive)")
    export.add_argument("--staff", help="staff id")
    export.add_argument("--action", help="action, e.g. issue, revoke, sign_in")
    export.add_argument("--customer", help="customer id (never a resident number)")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.set_defaults(func=_export)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from db.store import open_store
    from teller.config import load_settings

    settings = load_settings(args.home)
    return settings, open_store(settings)


def _verify(args: argparse.Namespace) -> int:
    from teller.services.audit import record_verification, verify_audit_chain

    settings, store = _open(args)
    try:
        report = verify_audit_chain(store)
        # recorded after the chain was read, so this event is checked by the next verify
        record_verification(store, report, terminal_id=settings.terminal_id, staff_id=None,
                            at=datetime.now(timezone.utc))
    finally:
        store.dispose()
    if not report.ok:
        raise IntegrityError(report.summary_ko(), f"audit chain broken at seq {report.bad_seq}: {report.why}")
    print(report.summary_ko())
    return 0


def parse_when(text: str, *, end: bool) -> datetime:
    """YYYY-MM-DD is a KST calendar day (an --until day includes the whole day); ISO times need a zone."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), tzinfo=KST)
            return (start + timedelta(days=1) if end else start).astimezone(timezone.utc)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"날짜 형식이 잘못되었습니다: {text} (예: 2026-11-25)",
                              f"bad date {text!r}; use YYYY-MM-DD") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=KST)  # tellers think in KST
    return value.astimezone(timezone.utc)


def _export(args: argparse.Namespace) -> int:
    from teller.domain import AuditFilter
    from teller.services.audit import export_audit, record_export

    flt = AuditFilter(
        since=parse_when(args.since, end=False) if args.since else None,
        until=parse_when(args.until, end=True) if args.until else None,
        staff_id=args.staff, action=args.action, customer_ref=args.customer,
    )
    settings, store = _open(args)
    try:
        if args.out:
            count = _export_to_file(store, flt, args.format, Path(args.out), export_audit)
        else:
            count = export_audit(store, flt, args.format, sys.stdout)
            sys.stdout.flush()
        record_export(store, flt, args.format, count, terminal_id=settings.terminal_id, staff_id=None,
                      at=datetime.now(timezone.utc), target=Path(args.out).name if args.out else "stdout")
    finally:
        store.dispose()
    message = f"감사 기록 {count}건을 내보냈습니다 (exported {count} events)" + (f": {args.out}" if args.out else "")
    print(message, file=sys.stderr if not args.out else sys.stdout)
    return 0


def _export_to_file(store: Any, flt: Any, fmt: str, out: Path, export: Any) -> int:
    """Write to a temporary file beside the target and rename: a failed export leaves no partial file."""
    folder = out.resolve().parent
    if not folder.is_dir():
        raise ValidationError(f"저장할 폴더가 없습니다: {folder}", f"no such folder: {folder}")
    # utf-8-sig for CSV: spreadsheet programs in Korea need the BOM to read Hangul
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            count = int(export(store, flt, fmt, handle))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise StorageError(f"파일을 쓸 수 없습니다: {out} ({error.strerror})",
                           f"cannot write {out}: {error.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
