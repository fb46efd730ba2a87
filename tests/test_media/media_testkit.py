"""Helpers shared by the media tests (imported as `media_testkit`; conftest puts this folder on sys.path)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

CA = "yessign"
SUBJECT = "cn=홍길동()0004042702050694,ou=KMB,ou=personal4IB,o=yessign,c=kr"


def tree(root: Path) -> dict[str, str]:
    """Every entry under root → "dir", "link:<target>" or "file:<sha256>": equal snapshots = nothing changed."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = f"file:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    return out


def hidden_entries(root: Path) -> list[str]:
    return sorted(k for k in tree(root) if any(part.startswith(".") for part in Path(k).parts))


def sample_files(tag: str = "a", size: int = 2048) -> dict[str, bytes]:
    """Distinct, recognisable content per tag (certificate-sized)."""
    return {
        "signCert.der": (f"cert-{tag}-".encode() * size)[:size],
        "signPri.key": (f"key-{tag}-".encode() * size)[: size // 2 + 100],
    }


def read_folder(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def expect_files(expected: dict[str, bytes]) -> Callable[[Path], None]:
    """A verify callback that checks the written folder holds exactly `expected` (by SHA-256)."""

    def verify(folder: Path) -> None:
        got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
        want = {n: hashlib.sha256(b).hexdigest() for n, b in expected.items()}
        if got != want:
            raise ValueError(f"folder content differs: {sorted(got)} vs {sorted(want)}")

    return verify


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
