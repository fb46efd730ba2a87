"""Receipt rendering benchmark: one 80 mm roll receipt with QR code and Code128, in one process.

    .venv/bin/python bench/receipts.py              # 300 renders after 20 warm-up renders
    .venv/bin/python bench/receipts.py --renders 1000

Also reports the A4 two-part receipt, the daily report and the QR step alone. Each render gets its own
transaction number (a fresh QR matrix every time, like at the counter). Figures are CPU milliseconds of this
process (time.process_time: rendering is single-threaded CPU work, and the shared 2-core machine makes wall time
swing 2x with other people's load); `receipt_wall_ms` is the wall-clock median for comparison.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, datetime, timezone

from printing.barcodes import barcode_payload, qr_matrix
from printing.renderer import PdfDocuments
from teller.documents import DailyReportData, ExceptionLine, ReceiptData, TellerDayLine


def sample(n: int) -> ReceiptData:
    return ReceiptData(
        bank_name="KB국민은행", branch_name="여의도영업부", branch_id="0815", teller_id="t001", terminal_id="T01",
        at=datetime(2026, 11, 25, 5, 3, 12, tzinfo=timezone.utc), transaction=f"0815-20261125-{n % 100000:05d}",
        action="issue", cert_kind="general", subject_name="홍길동", subject_name_masked="홍*동",
        rrn_masked="900101-1******", serial=f"1f3a9c0b7d2e4f60a{n:05x}",
        issuer="CN=yessignCA-Test Class 4 (branch-teller TEST),OU=AccreditedCA,O=yessign,C=kr",
        not_before=datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc),
        not_after=datetime(2027, 11, 25, 14, 59, 59, tzinfo=timezone.utc), fee_krw=4400,
        verification=f"{(n * 7919) % 10**10:010d}",
    )


WALL: list[float] = []


def timed(fn, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    """CPU ms per call (wall ms of the last series kept in WALL)."""
    out: list[float] = []
    WALL.clear()
    for i in range(count):
        w0, c0 = time.perf_counter(), time.process_time()
        fn(i)
        out.append((time.process_time() - c0) * 1000)
        WALL.append((time.perf_counter() - w0) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--renders", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    renderer = PdfDocuments()
    t0 = time.perf_counter()
    renderer.receipt(sample(0))
    first_ms = (time.perf_counter() - t0) * 1000  # includes font registration (2 x 4.7 MB TTF)
    for i in range(args.warmup):
        renderer.receipt(sample(i))
    roll = timed(lambda i: renderer.receipt(sample(i + 1000)), args.renders)
    roll_wall = list(WALL)
    a4 = timed(lambda i: renderer.receipt(sample(i + 5000), geometry="a4"), max(args.renders // 3, 50))
    reprint = timed(lambda i: renderer.receipt(replace(sample(i + 9000), reprint=True)), max(args.renders // 3, 50))
    qr = timed(lambda i: qr_matrix(barcode_payload(sample(i).transaction, sample(i).verification)), args.renders)
    daily = DailyReportData(
        bank_name="KB국민은행", branch_name="여의도영업부", branch_id="0815", day=date(2026, 11, 25),
        generated_at=datetime(2026, 11, 25, 8, 40, tzinfo=timezone.utc), generated_by="m001 박책임",
        tellers=[TellerDayLine(f"t{i:03d}", "김창구", {"issue": 5, "renew": 2}, 30800, 7, 7) for i in range(8)],
        exceptions=[ExceptionLine(datetime(2026, 11, 25, 2, i, tzinfo=timezone.utc), "t001", "approval", "재발급 승인")
                    for i in range(20)],
        chain_ok=True, chain_head_seq=4120, total_fees_krw=246400)
    report = timed(lambda i: renderer.daily_report(daily), 20)
    size = len(renderer.receipt(sample(1)))
    figures = {
        "receipt_ms": round(statistics.median(roll), 2),
        "receipt_p95_ms": round(sorted(roll)[int(len(roll) * 0.95) - 1], 2),
        "receipt_wall_ms": round(statistics.median(roll_wall), 2),
        "receipt_a4_ms": round(statistics.median(a4), 2),
        "receipt_reprint_ms": round(statistics.median(reprint), 2),
        "qr_matrix_ms": round(statistics.median(qr), 2),
        "daily_report_ms": round(statistics.median(report), 2),
        "first_receipt_ms": round(first_ms, 1),
        "receipt_bytes": size,
        "renders": args.renders,
        "python": platform.python_version(),
    }
    for key, value in figures.items():
        print(f"{key:>20}: {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
