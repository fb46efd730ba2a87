"""Crash-test writer: run as a separate process and killed with SIGKILL at a random moment by test_crash.py.

    python crash_writer.py MEDIA_ROOT SEED

Writes version 0 of one subject's NPKI folder, then replaces it with versions 1, 2, … until killed, printing
`ready` once imported and `committed <i>` after each write returned. The verify callback checks the SHA-256 of
every file against what was meant; with CRASH_WRITER_SLOW=1 it also sleeps a random few milliseconds so kills land
in every phase (building, verifying, swapping, dropping the backup).
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

CA = "yessign"
SUBJECT = "cn=홍길동()0004042702050694,ou=KMB,ou=personal4IB,o=yessign,c=kr"
MAX_VERSIONS = 500


def version_files(seed: int, version: int) -> dict[str, bytes]:
    """Deterministic, distinct content for each (seed, version): a few KB per file, sizes vary per version."""
    rng = random.Random(f"{seed}:{version}")
    files = {
        "signCert.der": rng.randbytes(1200 + rng.randrange(600)),
        "signPri.key": rng.randbytes(1000 + rng.randrange(400)),
    }
    if version % 2:  # some versions carry the optional key-management pair, so the file set changes too
        files["kmCert.der"] = rng.randbytes(1200 + rng.randrange(600))
        files["kmPri.key"] = rng.randbytes(1000 + rng.randrange(400))
    return files


def main(root: Path, seed: int) -> None:
    from teller.media import write_certificate_folder

    slow = os.environ.get("CRASH_WRITER_SLOW") == "1"
    rng = random.Random(seed)

    def make_verify(expected: dict[str, bytes]) -> Callable[[Path], None]:
        want = {name: hashlib.sha256(data).hexdigest() for name, data in expected.items()}

        def verify(folder: Path) -> None:
            got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
            if got != want:
                raise ValueError("written content differs from what was meant")
            if slow:
                time.sleep(rng.uniform(0, 0.004))

        return verify

    print("ready", flush=True)
    for version in range(MAX_VERSIONS):
        files = version_files(seed, version)
        write_certificate_folder(root, CA, SUBJECT, files, make_verify(files), replace=version > 0)
        print(f"committed {version}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
