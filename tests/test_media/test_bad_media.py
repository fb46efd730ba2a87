"""Media that cannot take a certificate: missing, read-only, full, out of inodes, or turning read-only mid-write.

The read-only and full cases use real tmpfs mounts (as root; skipped cleanly elsewhere), so EROFS and ENOSPC come
from the kernel, not from a mock. After every failure the medium must be exactly as it was.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from media_testkit import CA, Mounts, SUBJECT, expect_files, hidden_entries, read_folder, sample_files, tree

from teller.errors import MediaError
from teller.media import delete_certificate_folder, list_certificate_folders, recover_media, write_certificate_folder


def test_missing_media(tmp_path: Path) -> None:
    for root in (tmp_path / "unplugged", tmp_path / "a-file"):
        if root.name == "a-file":
            root.write_text("not a directory")
        with pytest.raises(MediaError) as err:
            write_certificate_folder(root, CA, SUBJECT, sample_files(), lambda _: None)
        assert "매체를 찾을 수 없습니다" in err.value.message
        assert str(root) in err.value.message_en
    assert sorted(os.listdir(tmp_path)) == ["a-file"]


def test_read_only_tmpfs_is_refused_before_writing(mounts: Mounts) -> None:
    root = mounts.tmpfs("ro-stick", size="64k", ro=True)
    with pytest.raises(MediaError) as err:
        write_certificate_folder(root, CA, SUBJECT, sample_files(), lambda _: None)
    assert "읽기 전용" in err.value.message and "read-only" in err.value.message_en
    assert tree(root) == {}
    with pytest.raises(MediaError):
        recover_media(root)


def test_media_turning_read_only_mid_write_raises_erofs_and_recovers_later(mounts: Mounts) -> None:
    """A failing stick flips to read-only after the files went in: the final rename meets a real EROFS."""
    root = mounts.tmpfs("flaky-stick", size="1m")
    files = sample_files()

    def verify(folder: Path) -> None:
        expect_files(files)(folder)
        mounts.remount(root, "ro")

    with pytest.raises(MediaError) as err:
        write_certificate_folder(root, CA, SUBJECT, files, verify)
    assert f"[Errno {errno.EROFS}]" in err.value.message_en and "EROFS" in err.value.message_en
    assert "읽기 전용" in err.value.message
    assert list_certificate_folders(root) == []  # what could not be removed is hidden

    mounts.remount(root, "rw")
    recover_media(root)
    assert tree(root) == {}


def test_replace_on_media_turning_read_only_keeps_the_old_folder(mounts: Mounts) -> None:
    root = mounts.tmpfs("flaky-stick", size="1m")
    old = sample_files("old")
    path = write_certificate_folder(root, CA, SUBJECT, old, expect_files(old))
    before = tree(root)

    def verify(folder: Path) -> None:
        mounts.remount(root, "ro")

    with pytest.raises(MediaError) as err:
        write_certificate_folder(root, CA, SUBJECT, sample_files("new"), verify, replace=True)
    assert "EROFS" in err.value.message_en
    assert read_folder(path) == old
    mounts.remount(root, "rw")
    recover_media(root)
    assert tree(root) == before


def test_delete_on_read_only_media(mounts: Mounts) -> None:
    root = mounts.tmpfs("locked-stick", size="1m")
    path = write_certificate_folder(root, CA, SUBJECT, sample_files(), lambda _: None)
    mounts.remount(root, "ro")
    before = tree(root)
    with pytest.raises(MediaError) as err:
        delete_certificate_folder(root, path)
    assert "읽기 전용" in err.value.message
    assert tree(root) == before


def test_full_tmpfs_is_refused_before_writing(mounts: Mounts) -> None:
    root = mounts.tmpfs("tiny-stick", size="16k")
    with pytest.raises(MediaError) as err:
        write_certificate_folder(root, CA, SUBJECT, sample_files(), lambda _: None)
    assert "공간이 부족" in err.value.message and "ENOSPC" in err.value.message_en
    assert tree(root) == {}


def test_file_larger_than_the_free_space_is_refused_before_writing(mounts: Mounts) -> None:
    root = mounts.tmpfs("small-stick", size="256k")
    (root / "customer.doc").write_bytes(b"keep me" * 100)
    before = tree(root)
    free = os.statvfs(root).f_bavail * os.statvfs(root).f_frsize
    files = {"signCert.der": b"c" * 1500, "signPri.key": os.urandom(free + 1)}
    with pytest.raises(MediaError) as err:
        write_certificate_folder(root, CA, SUBJECT, files, lambda _: None)
    assert f"[Errno {errno.ENOSPC}]" in err.value.message_en
    assert tree(root) == before


def test_running_out_of_inodes_mid_write_leaves_nothing(mounts: Mounts) -> None:
    """Free bytes pass the pre-check but the file system runs out of inodes after NPKI/<ca>/USER and the temp
    folder exist: a real ENOSPC in the middle of the write, which must undo every directory it created."""
    root = mounts.tmpfs("inode-starved", size="1m", nr_inodes=5)
    (root / "customer.doc").write_bytes(b"keep me")
    before = tree(root)
    with pytest.raises(MediaError) as err:
        write_certificate_folder(root, CA, SUBJECT, sample_files(), lambda _: None)
    assert "write failed" in err.value.message_en  # the kernel's ENOSPC, not the pre-check
    assert "ENOSPC" in err.value.message_en and "공간이 부족" in err.value.message
    assert tree(root) == before


def test_replace_without_room_for_the_new_folder_keeps_the_old_one(mounts: Mounts) -> None:
    # root + NPKI + yessign + USER + user folder + 2 files = 7 inodes: room for exactly one folder
    root = mounts.tmpfs("one-folder-stick", size="1m", nr_inodes=7)
    old = sample_files("old")
    path = write_certificate_folder(root, CA, SUBJECT, old, expect_files(old))
    before = tree(root)
    with pytest.raises(MediaError) as err:
        write_certificate_folder(root, CA, SUBJECT, sample_files("new"), lambda _: None, replace=True)
    assert "write failed" in err.value.message_en and "ENOSPC" in err.value.message_en
    assert tree(root) == before
    assert read_folder(path) == old


def test_chmod_read_only_folder_when_not_root(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores chmod 0555; the read-only tmpfs tests cover this as root")
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o555)
    try:
        with pytest.raises(MediaError) as err:
            write_certificate_folder(root, CA, SUBJECT, sample_files(), lambda _: None)
        assert "읽기 전용" in err.value.message
        assert tree(root) == {}
    finally:
        root.chmod(0o755)


def test_nothing_hidden_is_left_after_failures(media: Path) -> None:
    def verify(folder: Path) -> None:
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(MediaError) as err:
        write_certificate_folder(media, CA, SUBJECT, sample_files(), verify)
    assert "EIO" in err.value.message_en or "Input/output" in err.value.message_en
    assert hidden_entries(media) == [] and tree(media) == {}
