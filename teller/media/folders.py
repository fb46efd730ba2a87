"""Reading and deleting NPKI user folders on a medium: `<root>/NPKI/<CA>/USER/<subject DN>/`.

Readers tolerate what other software leaves behind (`User`/`user` spelling, junk files, symlinks, our own hidden
temp folders); deletion is atomic from a reader's point of view (one rename to a hidden name, then removal).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from teller.errors import MediaError
from teller.media._fs import (
    DEL_PREFIX,
    fsync_dir,
    is_read_only,
    media_error_from_os,
    media_lock,
    media_missing,
    media_read_only,
    nfc,
    remove_tree,
)

NPKI_DIR = "NPKI"
USER_DIR = "USER"
SIGN_CERT = "signCert.der"
SIGN_KEY = "signPri.key"


@dataclass(frozen=True, slots=True)
class NpkiFolder:
    path: Path  # the user folder as it is on the medium
    ca_folder: str  # e.g. "yessign" (NFC)
    user_folder: str  # e.g. "cn=홍길동()0004…,ou=KMB,ou=personal4IB,o=yessign,c=kr" (NFC)
    has_cert: bool  # signCert.der present
    has_key: bool  # signPri.key present


def _subdirs(path: Path) -> list[os.DirEntry[str]]:
    """Real (non-symlink) sub-directories; an unreadable directory is treated as empty."""
    try:
        with os.scandir(path) as it:
            return [e for e in it if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def npki_dirs(root: Path) -> list[Path]:
    """`NPKI` under the root in any letter case (Windows writers are case-insensitive)."""
    return [Path(e.path) for e in _subdirs(root) if e.name.upper() == NPKI_DIR]


def user_dirs(root: Path) -> list[tuple[str, Path]]:
    """(CA folder, USER directory) pairs, `USER`/`User`/`user` alike."""
    found: list[tuple[str, Path]] = []
    for npki in npki_dirs(root):
        for ca in _subdirs(npki):
            if ca.name.startswith("."):
                continue
            for user in _subdirs(Path(ca.path)):
                if user.name.upper() == USER_DIR:
                    found.append((ca.name, Path(user.path)))
    return found


def list_certificate_folders(media_root: Path) -> list[NpkiFolder]:
    """Every visible user folder on the medium, sorted by CA then subject. Hidden folders are never listed."""
    root = Path(media_root)
    if not root.is_dir():
        raise media_missing(root)
    folders: list[NpkiFolder] = []
    for ca_name, user_dir in user_dirs(root):
        for entry in _subdirs(user_dir):
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            folders.append(
                NpkiFolder(
                    path=path,
                    ca_folder=nfc(ca_name),
                    user_folder=nfc(entry.name),
                    has_cert=(path / SIGN_CERT).is_file(),
                    has_key=(path / SIGN_KEY).is_file(),
                )
            )
    folders.sort(key=lambda f: (f.ca_folder, f.user_folder, str(f.path)))
    return folders


def _checked_user_folder(root: Path, folder: Path) -> Path:
    """The folder as `<root>/NPKI/<ca>/USER/<user>` with no symlink or `..` escaping the medium, else MediaError."""
    candidate = folder if folder.is_absolute() else root / folder
    refuse = MediaError(
        f"매체의 NPKI 인증서 폴더가 아니므로 삭제할 수 없습니다: {folder}",
        f"refusing to delete {folder}: not a certificate folder under {root / NPKI_DIR}",
    )
    try:
        rel = Path(os.path.abspath(candidate)).relative_to(os.path.abspath(root))
    except ValueError:
        raise refuse from None
    parts = rel.parts
    if (
        len(parts) != 4
        or parts[0].upper() != NPKI_DIR
        or parts[2].upper() != USER_DIR
        or any(p in ("", ".", "..") or p.startswith(".") for p in parts)
    ):
        raise refuse
    target = root / Path(*parts)
    # Every level must be a real directory on this medium (a symlink could point at the terminal's own files).
    real_root = os.path.realpath(root)
    if os.path.realpath(target.parent) != os.path.join(real_root, *parts[:3]):
        raise refuse
    if target.is_symlink():
        raise refuse
    return target


def _remove_empty_parents(start: Path, stop: Path) -> None:
    """rmdir `start` and its parents while empty, never `stop` (the media root) itself; fsync what remains."""
    current = start
    while current != stop and stop in current.parents:
        try:
            os.rmdir(current)
        except OSError:
            break
        current = current.parent
    if current != start:
        fsync_dir(current)


def delete_certificate_folder(media_root: Path, folder: Path) -> None:
    """Delete one user folder (absolute, or relative to the media root). It disappears atomically (rename to a hidden
    name), then is removed; emptied USER/CA/NPKI parents go too."""
    root = Path(media_root)
    if not root.is_dir():
        raise media_missing(root)
    target = _checked_user_folder(root, Path(folder))
    if not target.is_dir():
        raise MediaError(
            f"삭제할 인증서 폴더가 매체에 없습니다: {target.name}",
            f"certificate folder not found on the media: {target}",
        )
    if is_read_only(root):
        raise media_read_only(root)
    with media_lock(root):
        parent = target.parent
        hidden = parent / f"{DEL_PREFIX}{uuid.uuid4().hex}"
        try:
            os.rename(target, hidden)
            fsync_dir(parent)
        except OSError as exc:
            raise media_error_from_os(exc, target, "delete") from exc
        # From here on readers no longer see the folder; a failure below leaves only a hidden leftover that
        # recover_media() removes, but the teller must know the key file may still be on the stick.
        try:
            remove_tree(hidden)
            fsync_dir(parent)
            _remove_empty_parents(parent, root)
        except OSError as exc:
            err = media_error_from_os(exc, hidden, "delete")
            raise MediaError(
                f"인증서 폴더는 숨겨졌지만 완전히 지우지 못했습니다: {err.message}. 매체를 다시 연결한 뒤 다시 시도하세요.",
                f"folder hidden but not fully removed: {err.message_en}",
            ) from exc
