"""Writing, listing, replacing and deleting NPKI user folders on an ordinary folder medium."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from media_testkit import CA, SUBJECT, expect_files, hidden_entries, read_folder, sample_files, tree

from teller.errors import CertificateError, MediaError
from teller.media import (
    delete_certificate_folder,
    list_certificate_folders,
    recover_media,
    write_certificate_folder,
)
from teller.media._fs import BAK_NAME_SUFFIX, BAK_PREFIX, TMP_PREFIX


def test_write_list_delete_round_trip(media: Path) -> None:
    files = sample_files("a")
    path = write_certificate_folder(media, CA, SUBJECT, files, expect_files(files))

    assert path == media / "NPKI" / CA / "USER" / SUBJECT
    assert read_folder(path) == files
    assert hidden_entries(media) == []
    [listed] = list_certificate_folders(media)
    assert (listed.path, listed.ca_folder, listed.user_folder) == (path, CA, SUBJECT)
    assert listed.has_cert and listed.has_key

    delete_certificate_folder(media, path)
    assert list_certificate_folders(media) == []
    assert tree(media) == {}  # emptied USER/CA/NPKI parents went too


def test_verify_sees_the_complete_folder_before_it_is_visible(media: Path) -> None:
    files = sample_files("a")
    seen: list[tuple[str, dict[str, bytes], list[str]]] = []

    def verify(folder: Path) -> None:
        seen.append((folder.name, read_folder(folder), [f.user_folder for f in list_certificate_folders(media)]))

    write_certificate_folder(media, CA, SUBJECT, files, verify)
    [(name, content, visible)] = seen
    assert name.startswith(".")  # built under a hidden name
    assert content == files
    assert visible == []  # readers did not see it while it was being checked


def test_names_are_written_in_nfc(media: Path) -> None:
    nfd_subject = unicodedata.normalize("NFD", SUBJECT)
    assert nfd_subject != SUBJECT
    path = write_certificate_folder(media, CA, nfd_subject, sample_files(), lambda _: None)
    assert os.listdir(path.parent) == [SUBJECT]


def test_existing_subject_is_refused_without_replace(media: Path) -> None:
    first = sample_files("a")
    path = write_certificate_folder(media, CA, SUBJECT, first, expect_files(first))
    before = tree(media)
    with pytest.raises(MediaError) as err:
        write_certificate_folder(media, CA, SUBJECT, sample_files("b"), lambda _: None)
    assert "이미" in err.value.message and "already" in err.value.message_en
    assert tree(media) == before
    assert read_folder(path) == first


def test_replace_swaps_in_the_new_folder(media: Path) -> None:
    old, new = sample_files("old"), sample_files("new", 3000)
    path = write_certificate_folder(media, CA, SUBJECT, old, expect_files(old))
    seen_old_during_verify: list[dict[str, bytes]] = []

    def verify(folder: Path) -> None:
        expect_files(new)(folder)
        seen_old_during_verify.append(read_folder(path))

    assert write_certificate_folder(media, CA, SUBJECT, new, verify, replace=True) == path
    assert seen_old_during_verify == [old]  # old folder kept in place until the new one verified
    assert read_folder(path) == new
    assert hidden_entries(media) == []


def test_replace_with_failing_verify_keeps_the_old_folder_byte_identical(media: Path) -> None:
    old = sample_files("old")
    write_certificate_folder(media, CA, SUBJECT, old, expect_files(old))
    before = tree(media)

    def verify(folder: Path) -> None:
        raise CertificateError("인증서와 개인키가 맞지 않습니다", "certificate and key do not match")

    with pytest.raises(MediaError) as err:
        write_certificate_folder(media, CA, SUBJECT, sample_files("new"), verify, replace=True)
    assert "인증서와 개인키가 맞지 않습니다" in err.value.message
    assert "do not match" in err.value.message_en
    assert tree(media) == before


def test_verify_failure_on_a_fresh_medium_leaves_nothing(media: Path) -> None:
    (media / "photo.jpg").write_bytes(b"\xff\xd8 customer data")
    before = tree(media)

    def verify(folder: Path) -> None:
        raise ValueError("wrong password")

    with pytest.raises(MediaError):
        write_certificate_folder(media, CA, SUBJECT, sample_files(), verify)
    assert tree(media) == before  # no NPKI/<ca>/USER created, no temp folder


def test_keyboard_interrupt_during_verify_cancels_cleanly(media: Path) -> None:
    old = sample_files("old")
    write_certificate_folder(media, CA, SUBJECT, old, expect_files(old))
    before = tree(media)

    def verify(folder: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(MediaError) as err:
        write_certificate_folder(media, CA, SUBJECT, sample_files("new"), verify, replace=True)
    assert "KeyboardInterrupt" in err.value.message_en
    assert tree(media) == before


@pytest.mark.parametrize("bad", ["", ".", "..", ".hidden", "a/b", "a\\b", "name:x", "trailing.", "x" * 300])
def test_names_no_medium_can_hold_are_refused_before_writing(media: Path, bad: str) -> None:
    with pytest.raises(MediaError):
        write_certificate_folder(media, CA, bad, sample_files(), lambda _: None)
    with pytest.raises(MediaError):
        write_certificate_folder(media, bad, SUBJECT, sample_files(), lambda _: None)
    with pytest.raises(MediaError):
        write_certificate_folder(media, CA, SUBJECT, {bad: b"x"}, lambda _: None)
    assert tree(media) == {}


def test_listing_tolerates_other_spellings_junk_and_our_temp_folders(media: Path) -> None:
    for spelling, user in (("User", "cn=kim()1,o=yessign,c=kr"), ("user", "cn=lee()2,o=yessign,c=kr")):
        folder = media / "NPKI" / CA / spelling / user
        folder.mkdir(parents=True)
        (folder / "signCert.der").write_bytes(b"c")
    only_cert = media / "NPKI" / "KICA" / "USER" / "cn=park,o=KICA,c=KR"
    only_cert.mkdir(parents=True)
    (only_cert / "signCert.der").write_bytes(b"c")
    (media / "NPKI" / CA / "USER").mkdir()
    (media / "NPKI" / CA / "USER" / f"{TMP_PREFIX}dead").mkdir()
    (media / "NPKI" / CA / "USER" / "stray.txt").write_text("junk")
    (media / "NPKI" / "readme.txt").write_text("junk")
    (media / "NPKI" / CA / "USER" / "cn=link").symlink_to(only_cert)

    listed = list_certificate_folders(media)
    assert [(f.ca_folder, f.user_folder, f.has_cert, f.has_key) for f in listed] == [
        ("KICA", "cn=park,o=KICA,c=KR", True, False),
        (CA, "cn=kim()1,o=yessign,c=kr", True, False),
        (CA, "cn=lee()2,o=yessign,c=kr", True, False),
    ]


def test_listing_a_missing_medium_is_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as err:
        list_certificate_folders(tmp_path / "unplugged")
    assert "매체를 찾을 수 없습니다" in err.value.message


def test_delete_accepts_a_path_relative_to_the_medium_and_keeps_other_folders(media: Path) -> None:
    keep = write_certificate_folder(media, CA, "cn=kim()1,o=yessign,c=kr", sample_files("k"), lambda _: None)
    gone = write_certificate_folder(media, CA, SUBJECT, sample_files("g"), lambda _: None)
    delete_certificate_folder(media, gone.relative_to(media))
    assert [f.path for f in list_certificate_folders(media)] == [keep]
    assert read_folder(keep) == sample_files("k")


def test_delete_in_a_user_spelled_folder(media: Path) -> None:
    folder = media / "NPKI" / CA / "User" / SUBJECT
    folder.mkdir(parents=True)
    (folder / "signCert.der").write_bytes(b"c")
    delete_certificate_folder(media, folder)
    assert tree(media) == {}


def test_delete_refuses_paths_outside_npki(media: Path, tmp_path: Path) -> None:
    path = write_certificate_folder(media, CA, SUBJECT, sample_files(), lambda _: None)
    outside = tmp_path / "terminal-secrets"
    outside.mkdir()
    (outside / "ca.key").write_bytes(b"secret")
    linked = media / "NPKI" / CA / "USER" / "cn=evil"
    linked.symlink_to(outside)
    escaping_ca = media / "NPKI" / "evilca"
    escaping_ca.symlink_to(tmp_path)
    before = tree(media)
    for bad in (
        outside,
        media / "NPKI",
        media / "NPKI" / CA,
        media / "NPKI" / CA / "USER",
        path / "signCert.der",
        media / "NPKI" / CA / "USER" / ".." / "USER" / SUBJECT / "..",
        Path("../terminal-secrets"),
        linked,
        media / "NPKI" / "evilca" / "USER" / "x",
        media / "Documents" / CA / "USER" / SUBJECT,
    ):
        with pytest.raises(MediaError):
            delete_certificate_folder(media, bad)
    assert tree(media) == before
    assert (outside / "ca.key").read_bytes() == b"secret"


def test_delete_of_a_missing_folder_is_a_clear_error(media: Path) -> None:
    with pytest.raises(MediaError) as err:
        delete_certificate_folder(media, media / "NPKI" / CA / "USER" / SUBJECT)
    assert "없습니다" in err.value.message and "not found" in err.value.message_en


def test_recover_removes_temp_folders_and_restores_a_backup_whose_folder_is_missing(media: Path) -> None:
    old = sample_files("old")
    path = write_certificate_folder(media, CA, SUBJECT, old, expect_files(old))
    user_dir = path.parent
    # What a writer killed between "move the old folder aside" and "move the new one in" leaves behind:
    (user_dir / f"{BAK_PREFIX}1{BAK_NAME_SUFFIX}").write_text(SUBJECT, encoding="utf-8")
    os.rename(path, user_dir / f"{BAK_PREFIX}1")
    (user_dir / f"{TMP_PREFIX}2").mkdir()
    (user_dir / f"{TMP_PREFIX}2" / "signCert.der").write_bytes(b"half")
    assert list_certificate_folders(media) == []

    report = recover_media(media)
    assert report.restored == [path]
    assert read_folder(path) == old
    assert hidden_entries(media) == []


def test_recover_drops_a_backup_once_the_new_folder_is_in_place(media: Path) -> None:
    new = sample_files("new")
    path = write_certificate_folder(media, CA, SUBJECT, new, expect_files(new))
    user_dir = path.parent
    (user_dir / f"{BAK_PREFIX}1").mkdir()
    (user_dir / f"{BAK_PREFIX}1" / "signCert.der").write_bytes(b"old")
    (user_dir / f"{BAK_PREFIX}1{BAK_NAME_SUFFIX}").write_text(SUBJECT, encoding="utf-8")

    report = recover_media(media)
    assert report.removed_backups == [user_dir / f"{BAK_PREFIX}1"]
    assert read_folder(path) == new
    assert hidden_entries(media) == []


def test_a_backup_without_its_name_marker_is_kept(media: Path) -> None:
    user_dir = media / "NPKI" / CA / "USER"
    (user_dir / f"{BAK_PREFIX}1").mkdir(parents=True)
    (user_dir / f"{BAK_PREFIX}1" / "signPri.key").write_bytes(b"customer key")
    before = tree(media)
    recover_media(media)
    assert tree(media) == before  # never guess and delete a customer's key


def test_next_write_cleans_a_stale_temp_folder(media: Path) -> None:
    stale = media / "NPKI" / CA / "USER" / f"{TMP_PREFIX}crashed"
    stale.mkdir(parents=True)
    (stale / "signPri.key").write_bytes(b"partial")
    files = sample_files()
    write_certificate_folder(media, CA, "cn=other,o=yessign,c=kr", files, expect_files(files))
    assert not stale.exists()
    assert hidden_entries(media) == []


def test_replace_finds_a_folder_another_system_named_in_nfd(media: Path) -> None:
    nfd = unicodedata.normalize("NFD", SUBJECT)
    old_folder = media / "NPKI" / CA / "USER" / nfd
    old_folder.mkdir(parents=True)
    (old_folder / "signCert.der").write_bytes(b"old")
    with pytest.raises(MediaError):
        write_certificate_folder(media, CA, SUBJECT, sample_files(), lambda _: None)  # same subject
    new = sample_files("new")
    path = write_certificate_folder(media, CA, SUBJECT, new, expect_files(new), replace=True)
    assert os.listdir(path.parent) == [SUBJECT]
    assert read_folder(path) == new


def test_a_second_writer_waits_and_never_takes_a_running_write_for_a_crash_leftover(media: Path) -> None:
    """Recovery before each write removes hidden temp folders; the media lock keeps it off a write in progress."""
    import threading
    import time

    first, second = sample_files("one"), sample_files("two")
    other_subject = "cn=kim()1,o=yessign,c=kr"
    results: list[object] = []
    own_tmp_survived: list[bool] = []

    def second_writer() -> None:
        try:
            results.append(write_certificate_folder(media, CA, other_subject, second, expect_files(second)))
        except Exception as exc:  # reported through `results`
            results.append(exc)

    thread = threading.Thread(target=second_writer)

    def verify(folder: Path) -> None:
        thread.start()
        time.sleep(0.1)  # give the second writer every chance to run its recovery now
        own_tmp_survived.append(folder.is_dir())
        expect_files(first)(folder)

    path = write_certificate_folder(media, CA, SUBJECT, first, verify)
    thread.join(timeout=30)
    assert own_tmp_survived == [True]
    assert results == [media / "NPKI" / CA / "USER" / other_subject]
    assert read_folder(path) == first
    assert [f.user_folder for f in list_certificate_folders(media)] == sorted([SUBJECT, other_subject])
