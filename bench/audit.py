"""Audit trail benchmark on a SQLite branch file (synchronous=FULL, WAL, as in production).

    .venv/bin/python bench/audit.py                 # 1,000,000 events
    .venv/bin/python bench/audit.py --events 50000  # quick run

Builds the trail with a correctly computed chain (bulk insert), then measures in one run:
  append_ms   median committed append through the store (one unit of work per event)
  page_ms     median filtered page (staff + 7-day range + action, 50 rows, newest first)
  verify_s    full chain verification (teller.services.audit.verify_audit_chain)
  floor_s     raw SHA-256 chaining over the same canonical bytes (measured while building)
  verify_ratio = verify_s / floor_s
  canonical_floor_s  canonical_content + SHA-256 over the same events in memory (no database)
Last line: one JSON object with those figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

from db.models import AuditEventRow
from db.store import SqlBranchStore
from teller.audit_chain import GENESIS, canonical_content
from teller.domain import Action, AuditDraft, AuditFilter
from teller.services.audit import audit_page, verify_audit_chain

BRANCH = "0815"
STAFF = [f"s{1000 + i}" for i in range(20)]
ACTIONS = [a.value for a in (Action.SIGN_IN, Action.SIGN_OUT, Action.CUSTOMER_LOOKUP, Action.CUSTOMER_IDENTIFIED,
                             Action.ISSUE, Action.RENEW, Action.REISSUE, Action.REVOKE, Action.HOLD,
                             Action.RECEIPT_PRINTED)]
START = datetime(2024, 11, 25, 0, 0, tzinfo=timezone.utc)
SPAN = timedelta(days=730)  # two years of branch traffic
BATCH = 10_000


def few_details(action: str, seq: int, customer: str | None, rng: random.Random) -> dict[str, object]:
    """Two texts in all: what the cache of canonical details makes cheapest."""
    return {"rrn": "900101-1******", "fee_krw": 4400} if customer else {}


def realistic_details(action: str, seq: int, customer: str | None, rng: random.Random) -> dict[str, object]:
    """Shaped like what the services record: certificate actions and prints carry their own transaction,
    folder, dates or file digest (a text of their own), sign-ins and look-ups a few shared ones."""
    tx = f"0815-{20241125 + seq // 2000}-{seq % 100000:05d}"
    if action in ("issue", "renew", "reissue"):
        return {"transaction": tx, "kind": rng.choice(("bank", "general")), "fee_krw": rng.choice((0, 4400)),
                "folder": f"NPKI/yessign/USER/cn=홍길동()00040412{seq:013d},ou=KMB,ou=personal4IB,o=yessign,c=kr",
                "not_after": f"2027-{1 + seq % 12:02d}-{1 + seq % 28:02d}T14:59:59+00:00"}
    if action in ("revoke", "hold"):
        return {"transaction": tx, "reason": rng.choice(("keyCompromise", "cessationOfOperation", "superseded"))}
    if action == "receipt_printed":
        return {"transaction": tx, "file": f"{tx}.pdf", "printer": "pdf", "sha256": f"{rng.getrandbits(256):064x}"}
    if action in ("sign_in", "sign_out"):
        return {"role": "teller"} if action == "sign_in" else {}
    return {"masked_rrn": "900101-1******", "kind": "resident_card"}


DETAILS = {"few": few_details, "realistic": realistic_details}


def build(store: SqlBranchStore, n: int, rng: random.Random, *, branch: str = BRANCH, after: int = 0,
          prev: str = GENESIS, details: str = "few") -> tuple[float, float]:
    """Insert n chained events after seq `after` (whose hash is `prev`). Returns (seconds in SHA-256 chaining
    alone = the floor, seconds building the canonical bytes with teller.audit_chain.canonical_content)."""
    table = AuditEventRow.__table__
    step = SPAN / n
    floor = canonical = 0.0
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    last = after + n
    make_details = DETAILS[details]
    for first in range(after + 1, last + 1, BATCH):
        rows: list[dict[str, object]] = []
        contents: list[bytes] = []
        for seq in range(first, min(first + BATCH, last + 1)):
            action = rng.choice(ACTIONS)
            customer = f"c{rng.randrange(50_000):05d}" if action not in ("sign_in", "sign_out") else None
            row = dict(branch_id=branch, seq=seq, event_id=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
                       at=START + step * (seq - after), terminal_id=f"T0{rng.randrange(1, 5)}", staff_id=rng.choice(STAFF),
                       action=action, result="ok", customer_ref=customer,
                       subject=f"20241125-0815-{seq:06d}" if customer else None,
                       details=make_details(action, seq, customer, rng))
            rows.append(row)
        t0 = time.perf_counter()
        for row in rows:
            contents.append(canonical_content(**row))  # type: ignore[arg-type]
        canonical += time.perf_counter() - t0
        batch_prev = prev
        hashes = []
        t0 = time.perf_counter()
        for content in contents:
            prev = sha256(fromhex(prev) + content).hexdigest()
            hashes.append(prev)
        floor += time.perf_counter() - t0
        for row, prev_hash, own in zip(rows, [batch_prev, *hashes[:-1]], hashes):
            row["prev_hash"] = prev_hash
            row["hash"] = own
        with store.engine.begin() as conn:
            conn.execute(insert(table), rows)
        if (first - 1 - after) % 100_000 == 0 and first > after + 1:
            print(f"  built {first - 1 - after:,} events", file=sys.stderr)
    return floor, canonical


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=200)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--dir", help="folder for the database file (default: a temporary folder)")
    parser.add_argument("--details", choices=sorted(DETAILS), default="few",
                        help="few: two details texts in all; realistic: most certificate events their own text")
    args = parser.parse_args()
    rng = random.Random(20261125)

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        store = SqlBranchStore(f"sqlite:///{Path(tmp) / 'teller.db'}", BRANCH)
        store.migrate()
        t0 = time.perf_counter()
        floor_s, canonical_s = build(store, args.events, rng, details=args.details)
        build_s = time.perf_counter() - t0
        print(f"build: {args.events:,} events in {build_s:.1f} s", file=sys.stderr)

        appends = []
        for i in range(args.appends):
            draft = AuditDraft(at=datetime.now(timezone.utc), terminal_id="T01", staff_id=rng.choice(STAFF),
                               action=Action.ISSUE, result="ok", customer_ref="c00001", subject=f"bench-{i}",
                               details={"rrn": "900101-1******"})
            t = time.perf_counter()
            with store.unit_of_work() as uow:
                uow.audit.append(draft)
                uow.commit()
            appends.append(time.perf_counter() - t)

        pages = []
        rows_seen = []
        for _ in range(args.pages):
            since = START + timedelta(days=rng.randrange(0, 723))
            flt = AuditFilter(since=since, until=since + timedelta(days=7), staff_id=rng.choice(STAFF),
                              action=rng.choice(ACTIONS))
            t = time.perf_counter()
            page = audit_page(store, flt, None, 50)
            pages.append(time.perf_counter() - t)
            rows_seen.append(len(page))

        t = time.perf_counter()
        report = verify_audit_chain(store)
        verify_s = time.perf_counter() - t
        assert report.ok, report
        total = args.events + args.appends
        assert report.checked == total, report
        store.dispose()

    result = {
        "append_ms": median_ms(appends),
        "page_ms": median_ms(pages),
        "verify_s": round(verify_s, 3),
        "floor_s": round(floor_s, 3),
        "verify_ratio": round(verify_s / floor_s, 2),
        # the shared chain code's own per-event work (canonical JSON + SHA-256) over in-memory events
        "canonical_floor_s": round(canonical_s + floor_s, 3),
        "verify_vs_canonical": round(verify_s / (canonical_s + floor_s), 2),
    }
    print(f"events {total:,}; pages returned median {statistics.median(rows_seen)} rows; "
          f"verify {total / verify_s:,.0f} events/s", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
