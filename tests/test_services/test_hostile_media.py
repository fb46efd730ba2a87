"""A stick that cannot take the folder, or tries to trick the terminal, is refused before the CA signs.

Real files, FIFOs, symlinks and mounts (tmpfs, read-only bind mounts: skipped with the reason where mounting is
refused). Every case checks: one clear `MediaError`, no new CA serial (the CRL cannot grow), nothing written
outside the medium, and no hang (each issuance runs in a thread joined with a deadline).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from teller.errors import MediaError
from teller.media._fs import BAK_NAME_SUFFIX, BAK_PREFIX
from teller.pki import npki

DEADLINE_S = 60.0


def _issue_with_deadline(world: Any, media: Path) -> Any:
    """`world.issue` on a daemon thread: a hang fails the test instead of blocking the suite."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = world.issue("홍길동", media=media)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    assert not worker.is_alive(), "issuance hung on the medium"
    return outcome


def _ca_folder(world: Any) -> str:
    return npki.ca_folder_name(world.deps.ca.chain()[0])


def _refused_before_signing(world: Any, media: Path) -> MediaError:
    serials = list(world.deps.ca.issued_serials())
    crl = world.crl_reasons()
    outcome = _issue_with_deadline(world, media)
    error = outcome.get("error")
    assert isinstance(error, MediaError), outcome
    assert len(error.message.splitlines()) == 1 and "Traceback" not in error.message
    assert list(world.deps.ca.issued_serials()) == serials and world.crl_reasons() == crl
    return error


def _mount(*args: str) -> None:
    try:
        done = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"mount unavailable: {exc}")
    if done.returncode != 0:
        pytest.skip(f"mount refused: {done.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=20)


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    mounted: list[Path] = []
    yield mounted
    for path in reversed(mounted):
        _umount(path)


def test_npki_symlink_out_of_the_media_is_refused_and_nothing_written_outside(world: Any, tmp_path: Path) -> None:
    outside = tmp_path / "terminal-own-dir"
    outside.mkdir()
    media = tmp_path / "stick"
    media.mkdir()
    (media / "NPKI").symlink_to(outside, target_is_directory=True)
    error = _refused_before_signing(world, media)
    assert "symlink" in error.message_en
    assert list(outside.iterdir()) == []


def test_ca_folder_symlink_is_refused(world: Any, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    media = tmp_path / "stick"
    (media / "NPKI").mkdir(parents=True)
    (media / "NPKI" / _ca_folder(world)).symlink_to(outside, target_is_directory=True)
    _refused_before_signing(world, media)
    assert list(outside.iterdir()) == []


def test_a_file_instead_of_a_folder_is_refused(world: Any, tmp_path: Path) -> None:
    media_file = tmp_path / "stick-is-a-file"
    media_file.write_bytes(b"not a folder")
    _refused_before_signing(world, media_file)
    media = tmp_path / "stick"
    media.mkdir()
    (media / "NPKI").write_bytes(b"a file where the NPKI folder belongs")
    _refused_before_signing(world, media)
    assert (media / "NPKI").read_bytes().startswith(b"a file")


def test_media_path_itself_a_symlink_is_refused(world: Any, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "stick"
    link.symlink_to(real, target_is_directory=True)
    _refused_before_signing(world, link)
    assert list(real.iterdir()) == []


@pytest.mark.parametrize("marker_kind", ["fifo", "dev_zero"])
def test_hostile_recovery_marker_neither_hangs_nor_exhausts_memory(world: Any, tmp_path: Path,
                                                                   marker_kind: str) -> None:
    media = tmp_path / "stick"
    user_dir = media / "NPKI" / _ca_folder(world) / "USER"
    user_dir.mkdir(parents=True)
    (user_dir / f"{BAK_PREFIX}0001").mkdir()
    marker = user_dir / f"{BAK_PREFIX}0001{BAK_NAME_SUFFIX}"
    if marker_kind == "fifo":
        os.mkfifo(marker)
    else:
        marker.symlink_to("/dev/zero")
    outcome = _issue_with_deadline(world, media)
    assert "error" not in outcome, outcome  # an unreadable marker is left alone, the issuance goes on
    assert outcome["result"].certificate.status.value == "active"
    assert (user_dir / f"{BAK_PREFIX}0001").is_dir()  # whose backup it is cannot be told: kept


def test_full_tmpfs_is_refused_before_signing(world: Any, tmp_path: Path, mounts: list[Path]) -> None:
    media = tmp_path / "full-stick"
    media.mkdir()
    _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(media))
    mounts.append(media)
    fd = os.open(media / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for _ in range(64):  # 64 × 4 KiB > the 64 KiB mount: it ends full
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    error = _refused_before_signing(world, media)
    assert "ENOSPC" in error.message_en


def test_read_only_bind_mount_is_refused_before_signing(world: Any, tmp_path: Path, mounts: list[Path]) -> None:
    source = tmp_path / "source"
    source.mkdir()
    media = tmp_path / "ro-stick"
    media.mkdir()
    _mount("--bind", str(source), str(media))
    mounts.append(media)
    _mount("-o", "remount,bind,ro", str(media))
    _refused_before_signing(world, media)
    assert list(source.iterdir()) == []
