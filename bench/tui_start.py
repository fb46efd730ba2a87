"""Start-up time of the teller terminal: from before the process starts to the sign-in screen mounted (headless),
against a minimal Textual app measured the same way in the same run. Median of N runs each.

The teller child does what `teller tui` does: builds the CLI parser (importing every command module), loads the
settings, constructs `TellerApp` with its deps factory and runs it; it reports the moment the sign-in screen is
mounted and exits. Targets: start ≤ 1.0 s, ratio ≤ 2.5.

    .venv/bin/python bench/tui_start.py [--runs 7]

Last line: one JSON object {"start_s", "minimal_s", "ratio"}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TELLER_CHILD = r"""
import sys, time
from cli import build_parser
args = build_parser().parse_args(["--home", sys.argv[1], "tui"])
from screens.app import TellerApp
from screens.signin import SignInScreen
from cli.tui_cmd import open_terminal_deps
from teller.config import load_settings

settings = load_settings(args.home)
app = TellerApp(deps_factory=lambda: open_terminal_deps(settings), lang=settings.language, settings=settings)

async def until_ready(pilot):
    while not (isinstance(app.screen, SignInScreen) and app.screen.is_mounted):
        await pilot.pause()
    print("READY", time.time(), flush=True)
    await app.workers.wait_for_complete()  # let the deps worker finish before exiting
    app.exit()

app.run(headless=True, auto_pilot=until_ready, size=(120, 40))
"""

MINIMAL_CHILD = r"""
import time
from textual.app import App
from textual.widgets import Footer, Input, Label

class Minimal(App):
    def compose(self):
        yield Label("sign in")
        yield Input()
        yield Footer()

app = Minimal()

async def until_ready(pilot):
    await pilot.pause()
    print("READY", time.time(), flush=True)
    app.exit()

app.run(headless=True, auto_pilot=until_ready, size=(120, 40))
"""


def time_child(code: str, *args: str) -> float:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("READY "):
            return float(line.split()[1]) - start
    raise SystemExit(f"child did not report ready:\n{out.stdout}\n{out.stderr}")


def prepare_home(home: Path) -> None:
    """A real initialised branch (database, CA, demo staff), as `teller init --demo` leaves it."""
    subprocess.run([sys.executable, "-m", "cli", "--home", str(home), "init", "--demo", "--json"], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tui-bench-") as tmp:
        home = Path(tmp) / "home"
        prepare_home(home)
        time_child(TELLER_CHILD, str(home))  # warm the bytecode caches once for both
        time_child(MINIMAL_CHILD)
        teller, minimal = [], []
        for _ in range(opts.runs):  # interleaved, so machine load affects both alike
            teller.append(time_child(TELLER_CHILD, str(home)))
            minimal.append(time_child(MINIMAL_CHILD))
    start_s = statistics.median(teller)
    minimal_s = statistics.median(minimal)
    print(f"teller sign-in ready: median {start_s:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in teller)})")
    print(f"minimal Textual app : median {minimal_s:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in minimal)})")
    print(f"ratio {start_s / minimal_s:.2f}  (targets: start <= 1.0 s, ratio <= 2.5)")
    print(json.dumps({"start_s": round(start_s, 3), "minimal_s": round(minimal_s, 3),
                      "ratio": round(start_s / minimal_s, 2)}))


if __name__ == "__main__":
    main()
