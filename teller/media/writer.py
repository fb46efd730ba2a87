"""Writing an NPKI user folder so that a reader only ever sees nothing, the old folder, or the complete new one.

The folder is built under a hidden temporary name next to its final place (same directory, so the final rename is
atomic on every file system), each file written with O_EXCL and fsynced, the folder fsynced, then checked by the
caller's `verify` (it decrypts the key and compares it with the certificate) before one rename makes it visible.
A replace moves the old folder aside to a hidden backup first and restores it on any failure. A process killed at any
moment leaves only hidden `.teller-*` entries, which `recover_media` (also run before every write) resolves:
temp folders are removed, a backup is restored if its folder is missing and dropped otherwise.
"""

from __future__ import annotations

import errno
import os
import stat
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from teller.errors import MediaError, TellerError
from teller.media._fs import (
    BAK_NAME_SUFFIX,
    BAK_PREFIX,
    DEL_PREFIX,
    TMP_PREFIX,
    check_name,
    free_bytes,
    fsync_dir,
    is_read_only,
    media_error_from_os,
    media_lock,
    media_missing,
    media_read_only,
    nfc,
    read_small_regular_file,
    remove_tree,
    write_new_file,
)
from teller.media.folders import NPKI_DIR, USER_DIR, npki_dirs, user_dirs

_MARKER_MAX_BYTES = 1024  # a backup marker holds one folder name (≤ 255 bytes)
SPACE_MARGIN_BYTES = 64 * 1024  # directory entries, FAT/journal metadata, and room for the stick to stay usable
_EXTRA_DIR_UNITS = 4  # NPKI, CA, USER, user folder: each may take one allocation unit


@dataclass(slots=True)
class RecoveryReport:
    """What `recover_media` did; all paths are on the medium."""

    removed_temp: list[Path] = field(default_factory=list)
    restored: list[Path] = field(default_factory=list)  # user folders put back from a backup
    removed_backups: list[Path] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.removed_temp or self.restored or self.removed_backups)


# ----------------------------------------------------------------------------------------------- recovery


def _folder_exists(user_dirs_: list[Path], name: str) -> bool:
    """A visible folder of that name (compared in NFC) in any of the USER directories."""
    want = nfc(name)
    for d in user_dirs_:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        if any(nfc(n) == want and (d / n).is_dir() for n in names if not n.startswith(".")):
            return True
    return False


def _recover_user_dir(user_dir: Path, siblings: list[Path], report: RecoveryReport) -> bool:
    """Clean one USER directory; `siblings` are all USER spellings of the same CA (where a folder may live)."""
    try:
        names = sorted(os.listdir(user_dir))
    except OSError:
        return False
    changed = False
    for name in names:
        path = user_dir / name
        if name.startswith((TMP_PREFIX, DEL_PREFIX)):
            remove_tree(path)
            report.removed_temp.append(path)
            changed = True
        elif name.startswith(BAK_PREFIX) and not name.endswith(BAK_NAME_SUFFIX):
            marker = user_dir / (name + BAK_NAME_SUFFIX)
            try:
                original = os.fsdecode(read_small_regular_file(marker, _MARKER_MAX_BYTES))
            except OSError:
                original = ""
            if not original or original.startswith(".") or "/" in original or "\0" in original:
                # Cannot tell whose backup this is: keep the customer's data rather than guess.
                continue
            if _folder_exists(siblings, original):
                remove_tree(path)
                report.removed_backups.append(path)
            else:
                os.rename(path, user_dir / original)
                report.restored.append(user_dir / original)
            fsync_dir(user_dir)
            marker.unlink(missing_ok=True)
            changed = True
    # Markers whose backup is already gone (crash after removing the backup, before removing its marker).
    for name in names:
        if name.startswith(BAK_PREFIX) and name.endswith(BAK_NAME_SUFFIX):
            if not (user_dir / name[: -len(BAK_NAME_SUFFIX)]).exists():
                (user_dir / name).unlink(missing_ok=True)
                report.removed_temp.append(user_dir / name)
                changed = True
    if changed:
        fsync_dir(user_dir)
    return changed


def _prune_empty(user_dir: Path, root: Path) -> None:
    """After cleaning a crash leftover, drop the USER/CA/NPKI chain if the crashed write left it empty."""
    current = user_dir
    while current != root and root in current.parents:
        try:
            os.rmdir(current)
        except OSError:
            return
        fsync_dir(current.parent)
        current = current.parent


def _recover_locked(root: Path) -> RecoveryReport:
    report = RecoveryReport()
    pairs = user_dirs(root)
    for ca, user_dir in pairs:
        siblings = [d for c, d in pairs if c == ca and d.parent == user_dir.parent]
        if _recover_user_dir(user_dir, siblings, report):
            _prune_empty(user_dir, root)
    return report


def recover_media(media_root: Path) -> RecoveryReport:
    """Resolve what a crashed write/delete left on the medium (hidden `.teller-*` entries only)."""
    root = Path(media_root)
    if not root.is_dir():
        raise media_missing(root)
    if is_read_only(root):
        raise media_read_only(root)
    with media_lock(root):
        try:
            return _recover_locked(root)
        except OSError as exc:
            raise media_error_from_os(exc, root, "recovery") from exc


# ----------------------------------------------------------------------------------------------- writing


def _existing_target(root: Path, ca: str, user: str) -> Path | None:
    """The subject's folder if it already exists under any USER spelling of this CA, also when another system wrote
    its name decomposed (NFD, as macOS does)."""
    for ca_name, user_dir in user_dirs(root):
        if nfc(ca_name) != ca:
            continue
        if (user_dir / user).is_dir():
            return user_dir / user
        try:
            names = os.listdir(user_dir)
        except OSError:
            continue
        for name in names:
            if not name.startswith(".") and nfc(name) == user and (user_dir / name).is_dir():
                return user_dir / name
    return None


def _ensure_dirs(root: Path, ca: str, created: list[Path]) -> Path:
    """NPKI/<ca>/USER, reusing an existing NPKI folder of any case; records what it had to create."""
    found = npki_dirs(root)  # real directories only, e.g. a Windows-made `npki`
    npki = next((d for d in found if d.name == NPKI_DIR), found[0] if found else root / NPKI_DIR)
    device = os.stat(root).st_dev
    path = npki
    for part in (None, ca, USER_DIR):
        if part is not None:
            path = path / part
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            os.mkdir(path, 0o755)
            created.append(path)
            fsync_dir(path.parent)
            continue
        # never write through a link, into a file, or onto another file system (checked again after preflight)
        if not stat.S_ISDIR(st.st_mode) or st.st_dev != device:
            raise MediaError(
                f"매체의 폴더 구조가 올바르지 않아 인증서를 기록할 수 없습니다: {path}",
                f"refusing to write through {path}: a symlink, a file or another file system")
    return path


def _needed_bytes(files: Mapping[str, bytes], unit: int) -> int:
    data = sum(-(-len(b) // unit) * unit for b in files.values())
    return data + _EXTRA_DIR_UNITS * unit + SPACE_MARGIN_BYTES


def _verify_failed(exc: BaseException) -> MediaError:
    if isinstance(exc, TellerError):
        ko, en = exc.message, exc.message_en
    else:
        ko = en = f"{type(exc).__name__}: {exc}"
    return MediaError(
        f"매체에 기록한 인증서를 다시 읽어 확인하지 못해 기록을 취소했습니다: {ko}",
        f"the written certificate folder did not verify, nothing was kept: {en}",
    )


def write_certificate_folder(
    media_root: Path,
    ca_folder: str,
    user_folder: str,
    files: dict[str, bytes],
    verify: Callable[[Path], None],
    *,
    replace: bool = False,
) -> Path:
    """Write `files` as `media_root/NPKI/<ca_folder>/USER/<user_folder>/` atomically and return that path.

    `verify(folder)` is called on the complete, fsynced folder before it becomes visible; any exception from it
    cancels the write. With `replace`, an existing folder of the subject is kept until the new one has verified and
    restored on failure. Every failure leaves the medium as it was and raises `MediaError`.
    """
    root = Path(media_root)
    ca = check_name(ca_folder, "CA folder")
    user = check_name(user_folder, "user folder")
    names = {check_name(n, "file"): data for n, data in files.items()}
    if not names:
        raise MediaError("기록할 인증서 파일이 없습니다", "no certificate files to write")
    if not root.is_dir():
        raise media_missing(root)
    if is_read_only(root):
        raise media_read_only(root)
    try:
        available, unit = free_bytes(root)
    except OSError as exc:
        raise media_error_from_os(exc, root, "write") from exc
    needed = _needed_bytes(names, unit)
    if available < needed:
        raise MediaError(
            f"매체의 남은 공간이 부족합니다(필요 {needed:,} 바이트, 남은 공간 {available:,} 바이트). 다른 매체를 사용하세요.",
            f"not enough free space on {root}: need {needed} bytes, {available} available "
            f"[Errno {errno.ENOSPC}] (ENOSPC)",
        )

    with media_lock(root):
        try:
            _recover_locked(root)
        except OSError as exc:
            raise media_error_from_os(exc, root, "write") from exc
        existing = _existing_target(root, ca, user)
        if existing is not None and not replace:
            raise MediaError(
                f"이 매체에는 이미 같은 명의의 인증서가 있습니다: {user}",
                f"the media already holds a certificate folder for this subject: {existing}",
            )
        return _write_locked(root, ca, user, names, verify, existing)


def _write_locked(
    root: Path,
    ca: str,
    user: str,
    files: Mapping[str, bytes],
    verify: Callable[[Path], None],
    existing: Path | None,
) -> Path:
    created: list[Path] = []
    tmp: Path | None = None
    backup: Path | None = None
    marker: Path | None = None
    target: Path | None = None
    placed = False
    try:
        user_dir = _ensure_dirs(root, ca, created)
        target = user_dir / user
        tmp = user_dir / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        os.mkdir(tmp, 0o700)
        for name, data in files.items():
            write_new_file(tmp / name, data)
        fsync_dir(tmp)
        fsync_dir(user_dir)
        try:
            verify(tmp)
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            raise _verify_failed(exc) from exc

        if existing is not None:
            # Say whose backup it is before moving the folder aside, so a crash right after can be undone.
            bak_id = uuid.uuid4().hex
            marker = existing.parent / f"{BAK_PREFIX}{bak_id}{BAK_NAME_SUFFIX}"
            write_new_file(marker, os.fsencode(existing.name))
            backup = existing.parent / f"{BAK_PREFIX}{bak_id}"
            os.rename(existing, backup)
            fsync_dir(existing.parent)
        elif target.exists():
            raise OSError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
        os.rename(tmp, target)
        placed = True
        tmp = None
        fsync_dir(user_dir)
    except BaseException as exc:
        _undo(root, tmp, backup, marker, existing, target if placed else None, created)
        if isinstance(exc, MediaError):
            raise
        if isinstance(exc, OSError):
            raise media_error_from_os(exc, root, "write") from exc
        if isinstance(exc, KeyboardInterrupt):
            raise MediaError(
                "인증서 기록이 중단되어 취소했습니다. 매체는 기록 전 상태입니다.",
                "certificate write interrupted (KeyboardInterrupt); the media is as it was",
            ) from exc
        raise

    # The new folder is in place and durable; dropping the old one can no longer lose anything.
    if backup is not None and marker is not None:
        try:
            remove_tree(backup)
            marker.unlink(missing_ok=True)
            fsync_dir(backup.parent)
        except OSError:
            pass  # a hidden leftover that the next write or recover_media() removes
    return target


def _undo(
    root: Path,
    tmp: Path | None,
    backup: Path | None,
    marker: Path | None,
    existing: Path | None,
    placed: Path | None,
    created: list[Path],
) -> None:
    """Best-effort return to the state before the write. What cannot be undone now (e.g. the medium just turned
    read-only) stays hidden under a `.teller-` name for recover_media()."""
    try:
        if placed is not None:
            # Failure after the new folder went in but before it was durable: hide it first (one rename), so a
            # kill during removal never leaves a partial folder visible.
            hidden = placed.parent / f"{DEL_PREFIX}{uuid.uuid4().hex}"
            os.rename(placed, hidden)
            remove_tree(hidden)
        if tmp is not None:
            remove_tree(tmp)
        if backup is not None and existing is not None and backup.exists() and not existing.exists():
            os.rename(backup, existing)
            fsync_dir(existing.parent)
        if marker is not None:
            marker.unlink(missing_ok=True)
        for path in reversed(created):
            try:
                os.rmdir(path)
                fsync_dir(path.parent)
            except OSError:
                break
    except OSError:
        pass
