"""A fake `lp` / `lpstat` / `cancel` (Python scripts) for machines without CUPS: records jobs in a state folder.

State files: `mode` = normal | offline | disabled | no-scheduler | stuck; `jobs` = one submitted job per line;
`cancelled` = cancelled job ids. Output text mimics CUPS 2.4 under LC_ALL=C.
"""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPT = r'''#!{python}
import sys, pathlib
state = pathlib.Path({state!r})
mode = (state / "mode").read_text().strip() if (state / "mode").exists() else "normal"
tool = {tool!r}
args = sys.argv[1:]
jobs = (state / "jobs").read_text().splitlines() if (state / "jobs").exists() else []
if tool == "lpstat" and args == ["-r"]:
    print("scheduler is not running" if mode == "no-scheduler" else "scheduler is running")
    sys.exit(0)
if mode == "no-scheduler":
    print(f"{{tool}}: Error - scheduler not responding.", file=sys.stderr) if tool != "lp" else print(
        "lp: The printer or class does not exist.", file=sys.stderr)
    sys.exit(1)
if tool == "lpstat" and "-p" in args:
    q = args[args.index("-p") + 1]
    if q != "receipts":
        print(f'lpstat: Invalid destination name in list "{{q}}".', file=sys.stderr); sys.exit(1)
    if mode == "disabled":
        print(f"printer {{q}} disabled since Wed Nov 25 10:00:00 2026 -\n\tpaper out\n\tAlerts: paused")
    elif mode == "offline":
        print(f"printer {{q}} is idle.  enabled since Wed Nov 25 10:00:00 2026\n\tAlerts: offline-report")
    else:
        print(f"printer {{q}} is idle.  enabled since Wed Nov 25 10:00:00 2026\n\tAlerts: none")
    sys.exit(0)
if tool == "lp":
    n = len(jobs) + 1
    with open(state / "jobs", "a") as f:
        f.write(f"receipts-{{n}} " + " ".join(args) + "\n")
    print(f"request id is receipts-{{n}} (1 file(s))")
    sys.exit(0)
if tool == "lpstat" and "-W" in args:
    which = args[args.index("-W") + 1]
    for line in jobs:
        job = line.split()[0]
        done = mode != "stuck"
        if (which == "completed") == done:
            print(f"{{job}}  root  1024  Wed Nov 25 10:00:00 2026")
    sys.exit(0)
if tool == "cancel":
    with open(state / "cancelled", "a") as f:
        f.write(args[0] + "\n")
    sys.exit(0)
print("unexpected", tool, args, file=sys.stderr)
sys.exit(2)
'''


class FakeCups:
    def __init__(self, root: Path) -> None:
        self.state = root / "state"
        self.bin = root / "bin"
        self.state.mkdir(parents=True)
        self.bin.mkdir(parents=True)
        for tool in ("lp", "lpstat", "cancel"):
            path = self.bin / tool
            path.write_text(SCRIPT.format(python=sys.executable, state=str(self.state), tool=tool))
            path.chmod(0o755)

    def tool(self, name: str) -> str:
        return str(self.bin / name)

    def set_mode(self, mode: str) -> None:
        (self.state / "mode").write_text(mode)

    def jobs(self) -> list[str]:
        f = self.state / "jobs"
        return f.read_text().splitlines() if f.exists() else []

    def cancelled(self) -> list[str]:
        f = self.state / "cancelled"
        return f.read_text().splitlines() if f.exists() else []
