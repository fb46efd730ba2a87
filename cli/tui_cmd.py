"""`teller tui`: open the teller terminal (Textual).

Start-up is kept short: the sign-in screen shows while the services (database, CA, printer) are built in a worker
thread, and Textual itself is imported only when this command runs.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from teller.config import Settings
from teller.ports import Upstream
from teller.services.context import Deps

log = logging.getLogger("teller.tui")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("tui", help="창구 단말 화면 열기 (open the teller terminal)")
    p.set_defaults(func=cmd_tui)


def open_terminal_deps(settings: Settings) -> Deps:
    """Build the services and run the start-of-day housekeeping (branch record, expired holds, reconciliation)."""
    from teller.services import setup
    from cli.wiring import build_deps

    deps = build_deps(settings)

    def upstream_factory() -> Upstream:  # the TUI's background sync connects lazily, in its own thread
        from db.headoffice import make_upstream

        return make_upstream(settings)

    deps.upstream_factory = upstream_factory
    setup.initialise_branch(deps)
    try:
        setup.start_of_day(deps)
    except Exception:  # housekeeping must not keep the counter closed; the log has the details
        log.exception("start-of-day housekeeping failed")
    return deps


def cmd_tui(args: argparse.Namespace) -> int:
    from screens.app import TellerApp
    from teller.config import load_settings

    overrides: dict[str, Any] = {}
    if getattr(args, "lang", None):
        overrides["language"] = args.lang
    settings = load_settings(args.home, **overrides)
    app = TellerApp(deps_factory=lambda: open_terminal_deps(settings), lang=settings.language, settings=settings)
    app.run()
    return 0
