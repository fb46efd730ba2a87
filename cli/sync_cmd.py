"""`teller sync`: push the audit trail to head office; `teller sync status --json`: how far it got."""

from __future__ import annotations

import argparse
import json
from typing import Any

from teller.errors import UpstreamError
from teller.services.context import SyncContext


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="본점으로 감사 기록 전송 (push the audit trail to head office)")
    p.add_argument("--once", action="store_true", help="한 번 전송하고 종료 (sync once and exit; the default)")
    p.add_argument("--attempts", type=int, default=1,
                   help="연결 실패 시 재시도 횟수 (attempts on connection failures, backoff with jitter)")
    p.add_argument("--batch-size", type=int, default=500, help="events per batch")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=_sync)
    actions = p.add_subparsers(dest="sync_action", metavar="ACTION")
    status = actions.add_parser("status", help="동기화 상태 (sync status)")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(func=_status)


def _deps(args: argparse.Namespace) -> SyncContext:
    """What sync needs — settings, the branch store, a clock — and nothing more (not `cli.wiring.build_deps`:
    see `SyncContext`)."""
    from db.store import open_store
    from teller.config import load_settings
    from teller.ports import SystemClock

    settings = load_settings(args.home)
    return SyncContext(settings=settings, store=open_store(settings), clock=SystemClock())


def _sync(args: argparse.Namespace) -> int:
    from teller.services.sync import retry_sync

    from db.headoffice import make_upstream

    deps = _deps(args)
    upstream = make_upstream(deps.settings)
    try:
        report = retry_sync(deps, upstream, attempts=max(args.attempts, 1), batch_size=args.batch_size)
    finally:
        upstream.close()
    if args.json:
        print(json.dumps({"ok": report.ok, "sent": report.sent, "acked_seq": report.acked_seq,
                          "local_seq": report.local_seq, "pending": report.pending, "error": report.error},
                         ensure_ascii=False))
        return 0 if report.ok else 1
    if not report.ok:
        raise UpstreamError(f"동기화 실패: {report.error}", f"sync failed: {report.error}")
    print(f"동기화 완료: {report.sent}건 전송, 확인 번호 {report.acked_seq}, 대기 {report.pending}건 "
          f"(synced {report.sent} events, acked seq {report.acked_seq}, pending {report.pending})")
    return 0


def _status(args: argparse.Namespace) -> int:
    from teller.services.sync import sync_status

    status = sync_status(_deps(args))
    if args.json:
        print(json.dumps(status.to_json(), ensure_ascii=False))
        return 0
    print(f"지점 기록 {status.local_seq}, 본점 확인 {status.acked_seq}, 대기 {status.pending}건; "
          f"마지막 성공 {status.last_success or '-'}; 오류 {status.last_error or '-'}")
    for q in status.quarantined:  # kept out of head office's store; the events after it were applied
        print(f"본점 격리 기록: 순번 {q.seq} — {q.reason} (quarantined at head office: seq {q.seq}: {q.reason})")
    return 0
