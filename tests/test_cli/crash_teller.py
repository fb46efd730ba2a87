"""The `teller` command, killed with SIGKILL at one point of the certificate pipeline (run by test_crash.py).

    python crash_teller.py POINT --home HOME issue --request FILE

The crash switch lives here, in the test's own subprocess, so the production path carries none. POINT:
- before_record: the CA has signed, the database has no row for the serial yet;
- after_sign: the PENDING row is committed, nothing is on the media yet (killed as the key is about to be encrypted);
- after_write: the certificate folder is on the media, the row is still PENDING.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _then_die(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kw: Any) -> Any:
        fn(*args, **kw)
        _die()

    return wrapped


def _die_instead(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kw: Any) -> Any:
        _die()

    return wrapped


def install(point: str) -> None:
    from teller.pki import keyfile
    from teller.pki.ca import EmbeddedCA
    from teller.services import certificate_pipeline as pipeline

    if point == "before_record":
        EmbeddedCA.issue = _then_die(EmbeddedCA.issue)  # type: ignore[method-assign]
    elif point == "after_sign":
        keyfile.encrypt_private_key = _die_instead(keyfile.encrypt_private_key)
    elif point == "after_write":
        pipeline.write_certificate_folder = _then_die(pipeline.write_certificate_folder)
    else:
        raise SystemExit(f"unknown crash point {point!r}")


if __name__ == "__main__":
    install(sys.argv[1])
    from cli import main

    sys.exit(main(sys.argv[2:]))
