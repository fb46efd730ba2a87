"""The medium checked, and read as hostile, before any key is generated or the CA is asked to sign.

A stick is the customer's, not ours: its `NPKI` may be a symlink into the terminal's own disk, a marker may be a
FIFO or a link to `/dev/zero`, the path may be a file, the stick read-only or full. Each of these is refused here
with one clear message, so no signature (and no CRL entry) is spent on a write that cannot succeed.

Every component from the media root down is looked at with `lstat`-style calls relative to an opened directory
(`dir_fd`, `O_NOFOLLOW`): a symlink is never followed, and every directory must be on the root's own file
system (`st_dev`).
"""

from __future__ import annotations

import errno
import os
import stat
import uuid
from pathlib import Path

from teller.errors import MediaError
from teller.media._fs import TMP_PREFIX, free_bytes, is_read_only, media_error_from_os, media_missing, media_read_only
from teller.media.folders import NPKI_DIR, USER_DIR

# What a certificate folder needs at most: signCert.der + signPri.key are about 2 KB each; one unit per file and
# per directory level, plus the writer's own margin (`writer.SPACE_MARGIN_BYTES`).
_FILES_BYTES = 16 * 1024
_DIR_LEVELS = 4


def _hostile(root: Path, what: str, en: str) -> MediaError:
    return MediaError(
        f"매체의 {what} 때문에 인증서를 기록할 수 없습니다: {root} — 다른 매체를 사용하세요.",
        f"refusing the media at {root}: {en}",
    )


def open_dir_nofollow(name: str | Path, dir_fd: int | None = None) -> int:
    """A directory fd for `name` (relative to `dir_fd`), never through a symlink, never blocking."""
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                   dir_fd=dir_fd)


def _check_tree(root: Path, fd: int, device: int, depth: int, where: str) -> None:
    """Entries of an `NPKI`-tree directory that we may write through: real directories on `device` only."""
    if depth == 0:
        return
    with os.scandir(fd) as entries:
        names = [e.name for e in entries if not e.name.startswith(".")]
    for name in names:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        path = f"{where}/{name}"
        if stat.S_ISLNK(st.st_mode):
            raise _hostile(root, "심볼릭 링크", f"{path} is a symlink (never followed)")
        if not stat.S_ISDIR(st.st_mode):
            if depth == 3 or (depth == 2 and name.upper() == USER_DIR):
                raise _hostile(root, "폴더 대신 있는 파일", f"{path} is not a directory")
            continue
        if st.st_dev != device:
            raise _hostile(root, "다른 파일 시스템으로 이어진 폴더", f"{path} is on another file system")
        if depth == 2 and name.upper() != USER_DIR:
            continue  # other folders under a CA are not ours to write through
        sub = open_dir_nofollow(name, dir_fd=fd)
        try:
            _check_tree(root, sub, device, depth - 1, path)
        finally:
            os.close(sub)


def check_media(media_root: Path) -> None:
    """Raise `MediaError` unless a certificate folder can be written to `media_root`: a real directory (not a
    symlink, not a file), writable, with room, whose `NPKI/<CA>/USER` path holds no symlink, no file where a
    folder belongs and nothing on another file system. Called before key generation; the writer re-checks."""
    root = Path(media_root)
    try:
        fd = open_dir_nofollow(root)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise media_missing(root) from exc
        if exc.errno == errno.ELOOP:
            raise _hostile(root, "심볼릭 링크", "the media path is a symlink") from exc
        raise media_error_from_os(exc, root, "open") from exc
    try:
        device = os.fstat(fd).st_dev
        if is_read_only(root):
            raise media_read_only(root)
        _check_space(root)
        for name in os.listdir(fd):
            if name.upper() != NPKI_DIR:
                continue
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                raise _hostile(root, "심볼릭 링크", f"{name} is a symlink (never followed)")
            if not stat.S_ISDIR(st.st_mode):
                raise _hostile(root, "폴더 대신 있는 파일", f"{name} is not a directory")
            if st.st_dev != device:
                raise _hostile(root, "다른 파일 시스템으로 이어진 폴더", f"{name} is on another file system")
            sub = open_dir_nofollow(name, dir_fd=fd)
            try:
                _check_tree(root, sub, device, 3, name)  # <CA>, USER, user folders
            finally:
                os.close(sub)
        _probe_write(root, fd)
    except MediaError:
        raise
    except OSError as exc:
        raise media_error_from_os(exc, root, "check") from exc
    finally:
        os.close(fd)


def _check_space(root: Path) -> None:
    from teller.media.writer import SPACE_MARGIN_BYTES

    available, unit = free_bytes(root)
    needed = _FILES_BYTES + _DIR_LEVELS * unit + SPACE_MARGIN_BYTES
    if available < needed:
        raise MediaError(
            f"매체의 남은 공간이 부족합니다(필요 {needed:,} 바이트, 남은 공간 {available:,} 바이트). 다른 매체를 사용하세요.",
            f"not enough free space on {root}: need {needed} bytes, {available} available "
            f"[Errno {errno.ENOSPC}] (ENOSPC)",
        )


def _probe_write(root: Path, fd: int) -> None:
    """Create and remove one hidden file: the only proof a write will be accepted (permissions, a bind mount's
    read-only flag, a stick that refuses writes without saying so in statvfs)."""
    name = f"{TMP_PREFIX}probe-{uuid.uuid4().hex}"
    probe = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=fd)
    try:
        os.write(probe, b"\0" * 512)
        os.fsync(probe)
    finally:
        os.close(probe)
        os.unlink(name, dir_fd=fd)
