"""Finding the media a certificate can be written to: mounted removable drives (Linux), configured folders, and the
demo folder of a training terminal.

Removable drives are found from the kernel's own tables: `/proc/self/mountinfo` for what is mounted where, sysfs
(`/sys/dev/block/<major>:<minor>` → the disk's `removable` flag and whether it hangs off a USB/MMC bus) to decide, and
the desktop's `/media`, `/run/media` mount points as a fallback. Nothing here raises on an odd mount, and calls that
can hang on a dead device (statvfs, access) run in a daemon thread with a time limit.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from teller.config import Settings

MediaKind = Literal["removable", "folder", "demo"]
T = TypeVar("T")

PROBE_TIMEOUT_S = 2.0
DESKTOP_MEDIA_ROOTS = (Path("/media"), Path("/run/media"))

# File systems that are never a customer's medium.
_PSEUDO_FS = frozenset(
    {
        "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "cgroup", "cgroup2", "securityfs", "debugfs",
        "tracefs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs", "autofs", "binfmt_misc",
        "rpc_pipefs", "nsfs", "efivarfs", "overlay", "squashfs", "selinuxfs", "nfsd", "fuse.gvfsd-fuse",
        "fuse.portal", "fuse.lxcfs", "devfs", "none",
    }
)
_SYSTEM_MOUNTS = frozenset({"/", "/boot", "/boot/efi", "/efi", "/home", "/usr", "/var", "/opt", "/srv", "/tmp"})


@dataclass(frozen=True, slots=True)
class MediaInfo:
    root: Path  # where NPKI/ goes: the mount point, or the configured folder
    label: str  # volume label, else the folder name
    kind: MediaKind
    free_bytes: int
    read_only: bool
    present: bool  # False: a configured folder that does not exist now, or a drive that stopped answering
    fs_type: str | None  # vfat, exfat, ext4, … (None when unknown)
    device: str | None = None  # e.g. /dev/sdb1 for removable media


@dataclass(frozen=True, slots=True)
class MountEntry:
    major: int
    minor: int
    root: str  # path inside the file system that is mounted here (not "/" for bind mounts)
    mount_point: Path
    options: frozenset[str]  # per-mount options (ro/rw, nosuid, …)
    fs_type: str
    source: str
    super_options: frozenset[str]


_OCTAL = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\ooo (always ASCII)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def read_mountinfo(path: Path = Path("/proc/self/mountinfo")) -> str:
    """The table as file-system-encoded text: mount points that are not UTF-8 keep their bytes as surrogates."""
    try:
        return os.fsdecode(path.read_bytes())
    except OSError:
        return ""


def parse_mountinfo(text: str) -> list[MountEntry]:
    """Parse /proc/<pid>/mountinfo (proc(5)); malformed lines are skipped."""
    entries: list[MountEntry] = []
    for line in text.split("\n"):  # not splitlines(): a mount point may hold U+0085 or U+2028
        fields = line.split(" ")
        try:
            sep = fields.index("-", 6)
            major, minor = (int(x) for x in fields[2].split(":"))
            entries.append(
                MountEntry(
                    major=major,
                    minor=minor,
                    root=_unescape(fields[3]),
                    mount_point=Path(_unescape(fields[4])),
                    options=frozenset(fields[5].split(",")),
                    fs_type=fields[sep + 1],
                    source=_unescape(fields[sep + 2]),
                    super_options=frozenset(fields[sep + 3].split(",")) if len(fields) > sep + 3 else frozenset(),
                )
            )
        except (ValueError, IndexError):
            continue
    return entries


def _guarded(fn: Callable[[], T], default: T, timeout: float = PROBE_TIMEOUT_S) -> tuple[T, bool]:
    """Run `fn` in a daemon thread; (result, True) or (default, False) on error or timeout. A hung NFS/USB device
    then costs `timeout` once instead of freezing the teller's screen."""
    box: list[T] = []

    def run() -> None:
        try:
            box.append(fn())
        except Exception:  # noqa: BLE001 - any failure of a probe means "unknown"
            pass

    thread = threading.Thread(target=run, name="media-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return (box[0], True) if box else (default, False)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _is_removable_device(entry: MountEntry, sysfs: Path) -> bool:
    """sysfs: the disk's `removable` flag (partitions look at their parent disk), or a device on a USB/MMC bus
    (USB SSDs and many card readers report removable=0)."""
    if entry.major == 0:
        return False
    dev = sysfs / "dev" / "block" / f"{entry.major}:{entry.minor}"
    try:
        real = Path(os.path.realpath(dev))
        if not real.is_dir():
            return False
        disk = real.parent if (real / "partition").exists() else real
    except OSError:
        return False
    if _read_text(disk / "removable") == "1":
        return True
    return any(part.startswith(("usb", "mmc")) for part in real.parts)


def _labels(by_label: Path) -> dict[str, str]:
    """Resolved device path → volume label, from udev's /dev/disk/by-label (names escape e.g. space as \\x20)."""
    labels: dict[str, str] = {}
    try:
        links = list(by_label.iterdir())
    except OSError:
        return labels
    for link in links:
        try:
            label = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), link.name)
            labels[os.path.realpath(link)] = label
        except (OSError, ValueError):
            continue
    return labels


def _under(path: Path, roots: Iterable[Path]) -> bool:
    return any(path != r and r in path.parents for r in roots)


def removable_mounts(
    mountinfo: str, *, sysfs: Path = Path("/sys"), desktop_roots: Iterable[Path] = DESKTOP_MEDIA_ROOTS
) -> list[MountEntry]:
    """Mounts that are customer media: one per device (bind mounts and double mounts collapse to the first)."""
    roots = tuple(desktop_roots)
    seen: set[tuple[int, int]] = set()
    found: list[MountEntry] = []
    for entry in parse_mountinfo(mountinfo):
        if entry.fs_type in _PSEUDO_FS or str(entry.mount_point) in _SYSTEM_MOUNTS or entry.root != "/":
            continue
        if (entry.major, entry.minor) in seen:
            continue
        if _is_removable_device(entry, sysfs) or (_under(entry.mount_point, roots) and entry.major != 0):
            seen.add((entry.major, entry.minor))
            found.append(entry)
    return found


def _probe(root: Path, mount_ro: bool) -> tuple[int, bool, bool]:
    """(free bytes, read-only, present) with the slow calls guarded."""

    def stat() -> tuple[int, bool]:
        st = os.statvfs(root)
        return st.f_bavail * (st.f_frsize or st.f_bsize), bool(st.f_flag & os.ST_RDONLY)

    (free, flag_ro), ok = _guarded(stat, (0, True))
    if not ok:
        return 0, True, False
    writable, ok = _guarded(lambda: os.access(root, os.W_OK), False)
    return free, mount_ro or flag_ro or not writable, ok


def _fs_type_of(path: Path, mounts: list[MountEntry]) -> str | None:
    """The file system holding `path`: the longest mount point that contains it."""
    best: MountEntry | None = None
    for m in mounts:
        if (m.mount_point == path or m.mount_point in path.parents) and (
            best is None or len(str(m.mount_point)) >= len(str(best.mount_point))
        ):
            best = m
    return best.fs_type if best else None


def _folder_info(path: Path, kind: MediaKind, mounts: list[MountEntry]) -> MediaInfo:
    exists, _ = _guarded(path.is_dir, False)
    if not exists:
        return MediaInfo(path, path.name or str(path), kind, 0, False, False, None)
    free, ro, present = _probe(path, False)
    return MediaInfo(path, path.name or str(path), kind, free, ro, present, _fs_type_of(path, mounts))


def find_media(
    settings: Settings,
    *,
    mountinfo_path: Path = Path("/proc/self/mountinfo"),
    sysfs: Path = Path("/sys"),
    by_label: Path = Path("/dev/disk/by-label"),
    desktop_roots: Iterable[Path] = DESKTOP_MEDIA_ROOTS,
) -> list[MediaInfo]:
    """Removable drives (by label), then the configured folders, then the demo folder (created if missing). The
    keyword arguments exist for tests and unusual systems; they default to the running Linux kernel's view."""
    text = read_mountinfo(mountinfo_path)
    mounts = parse_mountinfo(text)
    labels = _labels(by_label)
    result: list[MediaInfo] = []
    seen: set[Path] = set()

    removable: list[MediaInfo] = []
    for entry in removable_mounts(text, sysfs=sysfs, desktop_roots=desktop_roots):
        try:
            root = entry.mount_point
            label = labels.get(os.path.realpath(entry.source)) if entry.source.startswith("/") else None
            free, ro, present = _probe(root, "ro" in entry.options or "ro" in entry.super_options)
        except (OSError, ValueError):
            continue  # an odd mount is skipped, never shown as an error
        removable.append(
            MediaInfo(root, label or root.name or str(root), "removable", free, ro, present, entry.fs_type,
                      entry.source)
        )
        seen.add(root)
    result.extend(sorted(removable, key=lambda m: (m.label, str(m.root))))

    for folder in settings.media_folders:
        try:
            path = Path(os.path.abspath(Path(folder).expanduser()))
        except (RuntimeError, OSError, ValueError):  # e.g. "~nobody-here"
            path = Path(os.path.abspath(folder))
        if path in seen:
            continue
        seen.add(path)
        result.append(_folder_info(path, "folder", mounts))

    if settings.demo_media:
        demo = settings.demo_media_dir
        _guarded(lambda: demo.mkdir(parents=True, exist_ok=True), None)
        if demo not in seen:
            result.append(_folder_info(demo, "demo", mounts))
    return result
