"""`teller` command line: the composition root. Each sub-command lives in its own module with `register()`.

Errors: one clear line on stderr (or a JSON object on stdout for the JSON commands), non-zero exit, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from teller.errors import TellerError

# module name → registers these sub-commands
COMMAND_MODULES = (
    "cli.cert_cmd",  # cert inspect / export-p12 / crl
    "cli.admin_cmd",  # init, staff
    "cli.lifecycle_cmd",  # issue, renew, reissue, revoke, hold, release
    "cli.audit_cmd",  # audit verify / export
    "cli.print_cmd",  # receipt reprint, report daily
    "cli.sync_cmd",  # sync
    "cli.tui_cmd",  # tui
    "cli.ca_cmd",  # ca serve, ca status
    "cli.online_cmd",  # online issue (the customer's PC)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teller", description="branch-teller: 공동인증서 창구 발급 단말")
    parser.add_argument("--home", help="data directory (default: $TELLER_HOME or the platform data dir)")
    parser.add_argument("--lang", choices=("ko", "en"), help="message language")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


log = logging.getLogger("cli")
log.addHandler(logging.NullHandler())  # no "last resort" traceback on stderr


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    lang = args.lang or "ko"
    try:
        return int(args.func(args) or 0)
    except TellerError as exc:
        print(exc.text(lang), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("중단되었습니다 (interrupted)", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or a state nobody foresaw: one line for the operator, never a traceback
        log.exception("unexpected error")  # to a configured log, if any; the terminal gets one line
        print(f"예기치 않은 오류입니다: {type(exc).__name__}: {exc} (unexpected error)"[:500], file=sys.stderr)
        return 70  # EX_SOFTWARE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
