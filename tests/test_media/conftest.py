"""Fixtures for the media tests: real tmpfs mounts (read-only, tiny, few inodes) when the tests run as root, and
an empty medium folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test modules import the helpers in media_testkit.py and the crash_writer script's content generator.
sys.path.insert(0, str(Path(__file__).parent))


class Mounts:
    """Real tmpfs mounts under tmp_path; skipped cleanly where mounting is not allowed, unmounted in teardown."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.mounted: list[Path] = []

    def tmpfs(self, name: str, *, size: str = "1m", ro: bool = False, nr_inodes: int | None = None) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        if shutil.which("mount") is None:
            pytest.skip("no mount command")
        target = self.base / name
        target.mkdir()
        opts = f"size={size},mode=0755" + (",ro" if ro else "") + (f",nr_inodes={nr_inodes}" if nr_inodes else "")
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(target)], capture_output=True, text=True)
        if res.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
        self.mounted.append(target)
        return target

    def remount(self, target: Path, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(target)], check=True, capture_output=True)

    def cleanup(self) -> None:
        for target in reversed(self.mounted):
            if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Mounts]:
    m = Mounts(tmp_path)
    try:
        yield m
    finally:
        m.cleanup()


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "stick"
    root.mkdir()
    return root
