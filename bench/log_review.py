"""Log review with a large audit trail: is the manager's screen still responsive?

    .venv/bin/python bench/log_review.py                  # 1,000,000 events
    .venv/bin/python bench/log_review.py --events 50000   # quick run

A real demo branch (`teller init --demo` equivalent: SQLite file, embedded CA, demo staff) gets N chained audit
events appended after its own (bench/audit.py's builder, so the chain verifies), then the real TellerApp runs
headless (Textual's pilot) and a manager signs in and opens the log review. Measured in one run:
  open_ms          F9 → F2 until the first page of 50 rows is in the table
  next_page_ms     median of F8 (next page, keyset) until the table shows the new page
  filter_ms        median of F6 with staff + action filters until the filtered page shows
  detail_ms        Enter on a row until the event detail dialog is up
  verify_s         F9 chain verification of the whole trail, until the result line shows
  ui_gap_ms        the longest the UI's event loop went without answering while verification ran (a timer ticks
                   every 20 ms; a larger gap is a visible freeze)
Last line: one JSON object with those figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from audit import ACTIONS, STAFF, build  # noqa: E402  (bench/audit.py: the same chained-event builder)

from teller.action_labels import action_label  # noqa: E402
from teller.config import load_settings  # noqa: E402


async def until(pilot: Any, done: Callable[[], bool], timeout_s: float = 120.0) -> float:
    """Seconds until done() holds, polling the app between frames."""
    t0 = time.perf_counter()
    while not done():
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError("the screen did not get there in time")
        await pilot.pause(0.002)
    return time.perf_counter() - t0


def first_seq(table: Any) -> int | None:
    return int(table.get_row_at(0)[0]) if table.row_count else None


async def drive(app: Any, password: str, pages: int, filters: int, rng: random.Random) -> dict[str, float]:
    from textual.widgets import DataTable, Input, Select, Static

    from screens.manager import EventDetailDialog, LogReviewScreen, ManagerScreen
    from screens.signin import SignInScreen

    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen) and app.deps_ready)
        app.screen.query_one("#staff-id", Input).value = "m001"
        app.screen.query_one("#password", Input).value = password
        await pilot.press("f1")
        await until(pilot, lambda: app.session is not None)
        await pilot.pause()
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ManagerScreen))
        await pilot.pause()

        t0 = time.perf_counter()
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, LogReviewScreen)
                    and app.screen.query_one("#log-table", DataTable).row_count >= 50)
        out["open_ms"] = (time.perf_counter() - t0) * 1000
        screen = app.screen
        table = screen.query_one("#log-table", DataTable)

        samples = []
        for _ in range(pages):
            before = first_seq(table)
            t0 = time.perf_counter()
            await pilot.press("f8")
            await until(pilot, lambda: first_seq(table) not in (None, before))
            samples.append(time.perf_counter() - t0)
        out["next_page_ms"] = statistics.median(samples) * 1000

        samples = []
        for _ in range(filters):
            staff, action = rng.choice(STAFF), rng.choice(ACTIONS)
            screen.query_one("#f-staff", Input).value = staff
            screen.query_one("#f-action", Select).value = action
            t0 = time.perf_counter()
            await pilot.press("f6")
            await until(pilot, lambda: table.row_count > 0 and str(table.get_row_at(0)[2]).strip() == staff
                        and str(table.get_row_at(0)[4]).strip() == action_label(action))
            samples.append(time.perf_counter() - t0)
        out["filter_ms"] = statistics.median(samples) * 1000

        table.focus()
        t0 = time.perf_counter()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EventDetailDialog))
        out["detail_ms"] = (time.perf_counter() - t0) * 1000
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        # chain verification runs in a worker: the event loop must keep answering meanwhile
        ticks: list[float] = [time.perf_counter()]
        timer = app.set_interval(0.02, lambda: ticks.append(time.perf_counter()))
        from screens.strings import t

        status = screen.query_one("#chain-status", Static)
        busy = t("log.verifying", app.lang)
        t0 = time.perf_counter()
        await pilot.press("f9")
        await until(pilot, lambda: str(status.render()) not in (busy, ""), timeout_s=1800)
        out["verify_s"] = time.perf_counter() - t0
        timer.stop()
        out["ui_gap_ms"] = max(b - a for a, b in zip(ticks, ticks[1:])) * 1000
        out["verify_result"] = str(status.render())  # type: ignore[assignment]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--filters", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(20261129)

    from screens.app import TellerApp
    from teller.services import setup
    from cli.wiring import build_deps

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        settings = load_settings(home, env={}, demo_media=False, printer="pdf")
        deps = build_deps(settings)
        setup.initialise_branch(deps)
        password = next(s.password for s in setup.seed_demo_branch(deps).staff if s.staff_id == "m001")
        with deps.store.unit_of_work() as uow:
            after, prev = uow.audit.head()
        t0 = time.perf_counter()
        build(deps.store, args.events, rng, branch=settings.branch_id, after=after, prev=prev)
        print(f"built {args.events:,} events in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

        app = TellerApp(deps, idle_check_s=3600)
        figures = asyncio.run(drive(app, password, args.pages, args.filters, rng))
        deps.store.dispose()

    print(f"verification: {figures.pop('verify_result')}", file=sys.stderr)
    result = {k: round(v, 3 if k == "verify_s" else 1) for k, v in figures.items()}
    result["events"] = args.events
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
