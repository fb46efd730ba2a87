"""삭제: remove a certificate folder from the customer's media. The certificate stays valid at the CA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from teller.domain import Action, CertStatus, StaffSession
from teller.errors import MediaError
from teller.services.context import Deps
from teller.services.support import COUNTER_ROLES, audit, certificate_or_404, require_role


@dataclass(slots=True)
class DeletionResult:
    serial: str
    folder: Path
    still_valid: bool  # True: the certificate can still be used from any other copy until revoked or expired
    message: str  # Korean, to tell the customer
    message_en: str


def _find_folder(media_root: Path, recorded: str | None, subject_dn: str) -> Path:
    from teller.media import list_certificate_folders

    if recorded and (media_root / recorded).is_dir():
        return media_root / recorded
    wanted = Path(recorded).name if recorded else None
    for found in list_certificate_folders(media_root):
        if found.user_folder == wanted:
            return found.path
    raise MediaError("이 매체에서 해당 인증서 폴더를 찾을 수 없습니다",
                     f"no folder for this certificate on {media_root} (subject {subject_dn})")


def delete_from_media(deps: Deps, session: StaffSession, serial: str, media_root: Path) -> DeletionResult:
    from teller.media import delete_certificate_folder

    require_role(session, COUNTER_ROLES, "매체에서 인증서 삭제", "delete certificates from media")
    media_root = Path(media_root)
    with deps.store.unit_of_work() as uow:
        cert = certificate_or_404(uow, serial)
    folder = _find_folder(media_root, cert.folder, cert.subject_dn)
    delete_certificate_folder(media_root, folder)  # atomic: renamed away first, then removed
    still_valid = cert.status in (CertStatus.ACTIVE, CertStatus.HELD)
    with deps.store.unit_of_work() as uow:
        audit(uow, deps, session.staff_id, Action.DELETE_FROM_MEDIA, "ok", customer_ref=cert.customer_id,
              subject=cert.serial, media=media_root.name, still_valid=still_valid)
        uow.commit()
    if still_valid:
        ko = ("매체에서 인증서를 삭제했습니다. 인증서는 폐지되지 않았으므로 다른 곳에 복사본이 있으면 만료일까지 "
              "계속 사용할 수 있습니다. 사용하지 않으려면 폐지를 신청하십시오")
        en = ("The certificate was deleted from the media. It is NOT revoked: any other copy stays usable until it "
              "expires. Revoke it if it must not be used.")
    else:
        ko = "매체에서 인증서를 삭제했습니다 (이미 사용할 수 없는 인증서입니다)"
        en = "The certificate was deleted from the media (it was no longer valid)."
    return DeletionResult(cert.serial, folder, still_valid, ko, en)
