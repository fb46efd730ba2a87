"""Finding media: the kernel's mount table and sysfs decide what is a removable drive.

The Linux view is read from files (`/proc/self/mountinfo`, `/sys`, `/dev/disk/by-label`), so the tests build those
files the way the kernel and udev lay them out, with real directories as mount points; one test runs against this
machine's own tables, and one against a real read-only tmpfs mount.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from media_testkit import Mounts

from teller.config import Settings, load_settings
from teller.media import MediaInfo, find_media
from teller.media.discovery import _guarded, parse_mountinfo


def _mountinfo_line(mid: int, dev: str, mount_point: Path | str, fs: str, source: str, opts: str = "rw") -> str:
    mp = str(mount_point).replace("\\", "\\134").replace(" ", "\\040")
    return f"{mid} 27 {dev} / {mp} {opts},nosuid,nodev,relatime shared:{mid} - {fs} {source} {opts}"


def _fake_sysfs(base: Path, devices: dict[str, tuple[str, bool]]) -> Path:
    """devices: "major:minor" → (device path under /sys/devices, removable flag of its disk)."""
    sysfs = base / "sys"
    (sysfs / "dev" / "block").mkdir(parents=True)
    for majmin, (devpath, removable) in devices.items():
        part = sysfs / "devices" / devpath
        part.mkdir(parents=True)
        (part / "partition").write_text("1\n")
        (part.parent / "removable").write_text("1\n" if removable else "0\n")
        os.symlink(os.path.relpath(part, sysfs / "dev" / "block"), sysfs / "dev" / "block" / majmin)
    return sysfs


def _settings(home: Path, **kw: object) -> Settings:
    return load_settings(home, env={}, **kw)


def test_removable_drives_come_from_mountinfo_and_sysfs(tmp_path: Path, home: Path) -> None:
    mnt = tmp_path / "mnt"
    stick = mnt / "KB STICK"  # a space: escaped as \040 in mountinfo
    ssd = mnt / "usb-ssd"
    card = mnt / "sdcard"
    internal = mnt / "data"
    desktop = tmp_path / "run-media" / "teller" / "EXFAT"
    for d in (stick, ssd, card, internal, desktop):
        d.mkdir(parents=True)
    sysfs = _fake_sysfs(
        tmp_path,
        {
            "8:17": ("pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb/sdb1", True),
            "8:33": ("pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host7/target7:0:0/7:0:0:0/block/sdc/sdc1", False),
            "179:1": ("platform/fe320000.mmc/mmc_host/mmc1/mmc1:0001/block/mmcblk1/mmcblk1p1", False),
            "8:1": ("pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1", False),
        },
    )
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "\n".join(
            [
                _mountinfo_line(27, "8:2", "/", "ext4", "/dev/sda2"),
                _mountinfo_line(40, "8:17", stick, "vfat", "/dev/sdb1"),
                _mountinfo_line(41, "8:17", tmp_path / "bind-of-stick", "vfat", "/dev/sdb1"),  # same device again
                _mountinfo_line(42, "8:33", ssd, "exfat", "/dev/sdc1", opts="ro"),
                _mountinfo_line(43, "179:1", card, "vfat", "/dev/mmcblk1p1"),
                _mountinfo_line(44, "8:1", internal, "ext4", "/dev/sda1"),
                _mountinfo_line(45, "8:49", desktop, "exfat", "/dev/sdd1"),  # not in sysfs, under /run/media
                _mountinfo_line(46, "0:50", tmp_path / "run-media" / "teller" / "ram", "tmpfs", "tmpfs"),
                "garbage line that is not mountinfo",
                "",
            ]
        )
    )
    by_label = tmp_path / "by-label"
    by_label.mkdir()
    (by_label / "KB\\x20STICK").symlink_to("/dev/sdb1")
    (by_label / "CARD").symlink_to("/dev/mmcblk1p1")

    found = find_media(
        _settings(home, demo_media=False),
        mountinfo_path=mountinfo,
        sysfs=sysfs,
        by_label=by_label,
        desktop_roots=(tmp_path / "run-media",),
    )

    summary = {m.root: (m.label, m.kind, m.fs_type, m.device, m.read_only, m.present) for m in found}
    assert summary == {
        stick: ("KB STICK", "removable", "vfat", "/dev/sdb1", False, True),  # sysfs removable=1
        ssd: ("usb-ssd", "removable", "exfat", "/dev/sdc1", True, True),  # removable=0 but on USB; mounted ro
        card: ("CARD", "removable", "vfat", "/dev/mmcblk1p1", False, True),  # MMC bus
        desktop: ("EXFAT", "removable", "exfat", "/dev/sdd1", False, True),  # under the desktop media root
    }
    assert all(m.free_bytes > 0 for m in found)


def test_configured_folders_and_the_demo_folder(tmp_path: Path, home: Path) -> None:
    there = tmp_path / "shared-stick"
    there.mkdir()
    gone = tmp_path / "not-plugged"
    settings = _settings(home, media_folders=(there, gone))
    assert not settings.demo_media_dir.exists()

    found = find_media(settings, mountinfo_path=tmp_path / "no-mountinfo", by_label=tmp_path / "none")

    assert [(m.root, m.kind, m.present) for m in found] == [
        (there, "folder", True),
        (gone, "folder", False),
        (settings.demo_media_dir, "demo", True),
    ]
    assert settings.demo_media_dir.is_dir()  # created on demand
    assert found[0].label == "shared-stick" and found[0].free_bytes > 0 and not found[0].read_only
    assert found[1] == MediaInfo(gone, "not-plugged", "folder", 0, False, False, None)


def test_demo_folder_is_offered_only_when_enabled(home: Path, tmp_path: Path) -> None:
    settings = _settings(home, demo_media=False)
    assert find_media(settings, mountinfo_path=tmp_path / "none") == []
    assert not settings.demo_media_dir.exists()


def test_on_this_machine_find_media_never_raises(settings: Settings) -> None:
    found = find_media(settings)
    assert found[-1].kind == "demo" and found[-1].present
    assert found[-1].fs_type is not None  # its file system is known from the real mount table
    for m in found:
        assert m.root.is_absolute() and m.label


def test_read_only_mount_is_detected_from_the_mount_flags(mounts: Mounts, home: Path) -> None:
    ro = mounts.tmpfs("ro-media", size="64k", ro=True)
    [info, _demo] = find_media(_settings(home, media_folders=(ro,)))
    assert (info.root, info.read_only, info.present, info.fs_type) == (ro, True, True, "tmpfs")


def test_mountinfo_parsing_unescapes_and_keeps_optional_fields(tmp_path: Path) -> None:
    text = (
        "36 35 98:0 /mnt1 /mnt/my\\040stick\\011tab rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n"
        "37 35 8:17 / /media/홍길동/USB ro,relatime - vfat /dev/sdb1 ro,fmask=0022\n"
        "broken\n"
    )
    [first, second] = parse_mountinfo(text)
    assert (first.major, first.minor, first.root, first.mount_point) == (98, 0, "/mnt1", Path("/mnt/my stick\ttab"))
    assert (first.fs_type, first.source, "errors=continue" in first.super_options) == ("ext3", "/dev/root", True)
    assert second.mount_point == Path("/media/홍길동/USB") and "ro" in second.options


def test_a_hung_probe_gives_up_instead_of_freezing() -> None:
    release = threading.Event()
    try:
        assert _guarded(lambda: "done" if release.wait(30) else "late", "unknown", timeout=0.05) == ("unknown", False)
        assert _guarded(lambda: 42, 0) == (42, True)
        assert _guarded(lambda: 1 // 0, -1) == (-1, False)
    finally:
        release.set()
