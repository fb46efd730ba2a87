"""Low-level file-system helpers for customer media: durable writes, directory fsync, a per-media lock, safe names,
and the translation of `OSError` into `MediaError` messages a teller can act on.

Customer sticks are FAT/exFAT/NTFS as often as ext4, so names are checked against the strictest of them (FAT),
and fsync of a directory is best-effort where the file system does not support it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import stat
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from teller.errors import MediaError

# Hidden names this module creates inside a USER directory. Readers that list `cn=` folders never see them, and
# the `.teller-` prefix keeps recovery from ever touching hidden entries some other program made.
TMP_PREFIX = ".teller-tmp-"  # a folder being built
BAK_PREFIX = ".teller-bak-"  # the old folder moved aside during a replace
BAK_NAME_SUFFIX = ".name"  # `<BAK_PREFIX><id>.name` file: which user folder the backup belongs to
DEL_PREFIX = ".teller-del-"  # a folder being deleted
OUR_PREFIXES = (TMP_PREFIX, BAK_PREFIX, DEL_PREFIX)

# Characters FAT/exFAT/NTFS refuse in a name (plus control characters, checked separately).
_FORBIDDEN_CHARS = set('\\/:*?"<>|')
_MAX_NAME_BYTES = 255  # ext4 limit in bytes; FAT's 255 UTF-16 units is never the tighter one for Hangul
LOCK_TIMEOUT_S = 10.0


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def check_name(name: str, what: str) -> str:
    """Return the NFC form of a single path component, or raise MediaError if no customer medium can hold it."""
    n = nfc(name)
    bad = (
        not n
        or n in (".", "..")
        or n.startswith(".")
        or n != n.strip(" ")
        or n.endswith(".")
        or any(c in _FORBIDDEN_CHARS or ord(c) < 32 for c in n)
        or len(n.encode("utf-8")) > _MAX_NAME_BYTES
    )
    if bad:
        raise MediaError(
            f"{what} 이름을 매체에 쓸 수 없습니다: {name!r}",
            f"the {what} name cannot be stored on customer media: {name!r}",
        )
    return n


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (creations, renames) durable. Some file systems refuse fsync on a directory:
    their metadata is then written with the file data anyway, so that refusal is not an error."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_new_file(path: Path, data: bytes) -> None:
    """Create `path` (never overwrite: O_EXCL), write all of `data`, fsync. 0600: the key file is a secret."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def read_small_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. A symlink, FIFO, device or anything larger raises
    OSError: opened without following links and without blocking, checked with `fstat` before reading."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            raise OSError(errno.EINVAL, "not a small regular file", str(path))
        return os.read(fd, limit + 1)[:limit]
    finally:
        os.close(fd)


def remove_tree(path: Path) -> None:
    """Remove a folder this module owns (never follows symlinks inside it)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def is_read_only(path: Path) -> bool:
    """Mounted read-only (statvfs flag), or not writable by this process."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        pass
    return not os.access(path, os.W_OK)


def free_bytes(path: Path) -> tuple[int, int]:
    """(bytes available to this user, allocation unit)."""
    st = os.statvfs(path)
    unit = st.f_frsize or st.f_bsize or 4096
    return st.f_bavail * unit, unit


@contextmanager
def media_lock(root: Path) -> Iterator[None]:
    """Exclusive advisory lock on the media root for the length of one write/delete/recovery, so a second terminal
    process never mistakes our in-progress temp folder for a crash leftover. A killed process drops it at once."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise media_error_from_os(exc, root, "open") from exc
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise MediaError(
                        "다른 작업이 이 매체를 사용 중입니다. 잠시 후 다시 시도하세요.",
                        f"another operation is using the medium {root}; try again shortly",
                    ) from None
                time.sleep(0.05)
            except OSError:
                break  # file systems without flock support: run unlocked rather than refuse the customer's stick
        yield
    finally:
        os.close(fd)  # closing drops the lock


_ERRNO_KO: dict[int, str] = {
    errno.ENOSPC: "매체의 남은 공간이 부족합니다",
    errno.EDQUOT: "매체의 남은 공간이 부족합니다",
    errno.EROFS: "매체가 읽기 전용입니다(쓰기 방지 스위치를 확인하세요)",
    errno.EIO: "매체 입출력 오류가 발생했습니다(매체가 빠졌거나 손상되었을 수 있습니다)",
    errno.ENOENT: "매체를 찾을 수 없습니다(매체가 빠졌을 수 있습니다)",
    errno.ENODEV: "매체를 찾을 수 없습니다(매체가 빠졌을 수 있습니다)",
    errno.ENXIO: "매체를 찾을 수 없습니다(매체가 빠졌을 수 있습니다)",
    errno.EACCES: "매체에 쓸 권한이 없습니다",
    errno.EPERM: "매체에 쓸 권한이 없습니다",
    errno.ENAMETOOLONG: "폴더 이름이 이 매체에 쓰기에는 너무 깁니다",
    errno.EEXIST: "같은 이름의 폴더가 이미 매체에 있습니다",
    errno.ENOTEMPTY: "같은 이름의 폴더가 이미 매체에 있습니다",
}


def media_error_from_os(exc: OSError, where: Path, doing: str) -> MediaError:
    """Korean message for the teller; the English one keeps errno and path for the log and support."""
    ko = _ERRNO_KO.get(exc.errno or 0, "매체에 쓰는 중 오류가 발생했습니다")
    code = errno.errorcode.get(exc.errno or 0, "?")
    at = exc.filename if exc.filename else where  # the entry the kernel refused, when it says
    en = f"media {doing} failed at {at}: [Errno {exc.errno}] {exc.strerror or exc} ({code})"
    return MediaError(f"{ko}. 인증서가 기록되지 않았습니다.", en) if doing == "write" else MediaError(ko, en)


def media_missing(root: Path) -> MediaError:
    return MediaError(
        f"매체를 찾을 수 없습니다: {root} — 매체가 연결되어 있는지 확인하세요.",
        f"media not found or not a directory: {root}",
    )


def media_read_only(root: Path) -> MediaError:
    return MediaError(
        f"매체가 읽기 전용입니다: {root} — 쓰기 방지 스위치를 확인하거나 다른 매체를 사용하세요.",
        f"media is read-only: {root} [Errno {errno.EROFS}] (EROFS or no write permission)",
    )
