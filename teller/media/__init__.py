"""Customer media: find removable drives and folders, write NPKI certificate folders atomically, list and delete them.

    find_media(settings) -> list[MediaInfo]
    check_media(media_root) -> None  (before key generation: hostile or unusable media refused)
    write_certificate_folder(media_root, ca_folder, user_folder, files, verify, *, replace=False) -> Path
    recover_media(media_root) -> RecoveryReport
    list_certificate_folders(media_root) -> list[NpkiFolder]
    delete_certificate_folder(media_root, folder) -> None

Every failure a teller can meet (no medium, read-only, full, I/O error, verification failed) is a `MediaError`.
"""

from teller.media.discovery import MediaInfo, MediaKind, find_media
from teller.media.preflight import check_media
from teller.media.folders import NpkiFolder, delete_certificate_folder, list_certificate_folders
from teller.media.writer import RecoveryReport, recover_media, write_certificate_folder

__all__ = [
    "MediaInfo",
    "MediaKind",
    "NpkiFolder",
    "RecoveryReport",
    "check_media",
    "delete_certificate_folder",
    "find_media",
    "list_certificate_folders",
    "recover_media",
    "write_certificate_folder",
]
