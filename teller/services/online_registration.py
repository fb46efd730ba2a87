"""온라인 발급 등록: the teller identifies the customer and registers them at the CA; the customer leaves with a
sealed slip holding a one-time 참조번호 (reference number) and 인가코드 (authorization code) and creates the key
at home (CMP `ir` with PBM: the reference is the senderKID, the code the MAC secret).

The branch keeps nothing of the code: it is returned once (to show and to print the sealed slip) and the CA keeps
it sealed, because a PBM can only be checked with the secret itself (a salted hash cannot verify a MAC). The
branch database and the audit trail hold the masked reference only; the archived slip is rendered without the
code, so no reprint can show it. Cancellation and expiry are the CA's (single use and the five-try lock too).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from teller.documents import RegistrationSlipData
from teller.domain import Action, AuthenticityResult, CertKind, CertStatus, StaffSession
from teller.errors import ErrorKind, LifecycleError, NotFound, PrinterError, StorageError, ValidationError
from teller.identity.names import mask_stored_name
from teller.ports import OnlineRegistrar, OnlineRegistration
from teller.services.context import Deps
from teller.services.customers import decrypt_rrn, todays_evidence
from teller.services.support import COUNTER_ROLES, audit, audit_alone, kst_day, new_transaction, require_role

ONLINE_KINDS = (CertKind.BANK, CertKind.GENERAL)  # a corporate certificate needs the business checks at the desk


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    transaction: str
    reference: str  # 참조번호: on the slip in full; masked everywhere else
    reference_masked: str
    auth_code: str  # 인가코드: memory only — show once, print once
    expires_at: datetime
    kind: CertKind
    slip_archive: Path  # the bank's copy, without the code
    printed: bool
    message: str  # Korean, for the teller (printing result)
    message_en: str


def mask_reference(reference: str) -> str:
    """`1234****`: enough for a teller to match a slip, too little to redeem anything."""
    keep = min(4, max(len(reference) - 4, 0))
    return reference[:keep] + "*" * (len(reference) - keep)


def _registrar(deps: Deps) -> OnlineRegistrar:
    if deps.registrar is None:
        raise LifecycleError("이 단말에는 인증기관 등록 창구가 설정되어 있지 않아 온라인 발급 등록을 할 수 없습니다",
                             "this terminal has no connection to the CA's registration desk", kind=ErrorKind.NO_REGISTRAR)
    return deps.registrar


def check_registrable(deps: Deps, session: StaffSession, customer_id: str, kind: CertKind) -> None:
    """Every refusal, told before the CA is asked: role, kind, today's verified identification, and no valid
    certificate of the kind (renew or reissue that one instead; after a loss, revoke it first)."""
    require_role(session, COUNTER_ROLES, "온라인 발급 등록", "register customers for online issuance")
    kind = CertKind(kind)
    if kind not in ONLINE_KINDS:
        raise ValidationError("법인 범용 인증서는 온라인 발급 등록 대상이 아닙니다: 창구에서 발급하십시오",
                              "a corporate certificate cannot be registered for online issuance: issue it at the "
                              "counter", kind=ErrorKind.ONLINE_KIND_NOT_ALLOWED)
    _registrar(deps)
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise NotFound("고객을 찾을 수 없습니다", f"no customer {customer_id}")
        evidence = todays_evidence(uow, deps, customer_id, now)
        # No manager can stand beside the customer at home: the online path needs a verified ID check today.
        if evidence.result is not AuthenticityResult.VERIFIED:
            raise LifecycleError("온라인 발급 등록은 오늘 진위확인이 완료된 신분증으로만 할 수 있습니다",
                                 "online registration needs today's ID check verified", kind=ErrorKind.ID_NOT_VERIFIED)
        for cert in uow.certificates.by_customer(customer_id):
            if cert.kind is kind and cert.status in (CertStatus.ACTIVE, CertStatus.HELD) and cert.not_after > now:
                raise LifecycleError(
                    f"이미 유효한 {kind.label_ko} 인증서가 있습니다 (일련번호 {cert.serial}): 갱신·재발급을 "
                    "이용하거나, 분실이면 먼저 폐지하십시오",
                    f"the customer already has a valid {kind.label_en} certificate ({cert.serial}): renew or "
                    "reissue it, or revoke it first after a loss", kind=ErrorKind.IN_FORCE)


def register_for_online(deps: Deps, session: StaffSession, customer_id: str, kind: CertKind) -> RegistrationResult:
    """Register the identified customer at the CA for one online issuance of `kind`; print the sealed slip."""
    check_registrable(deps, session, customer_id, kind)
    kind = CertKind(kind)
    registrar = _registrar(deps)
    with deps.store.unit_of_work() as uow:
        customer = uow.customers.get(customer_id)
        assert customer is not None  # checked just above; customers are never deleted
    rrn = decrypt_rrn(deps, customer)
    registration = registrar.register(customer.name, kind, rrn,
                                      timedelta(days=deps.settings.online_registration_days))
    now = deps.clock.now()
    try:
        with deps.store.unit_of_work() as uow:
            transaction = new_transaction(uow, deps, now)
            audit(uow, deps, session.staff_id, Action.REGISTER_ONLINE, "ok", at=now, customer_ref=customer_id,
                  subject=mask_reference(registration.reference), kind=kind.value, transaction=transaction,
                  expires_at=registration.expires_at.isoformat())
            uow.commit()
    except BaseException:
        # Not recorded, so never handed over: a registration nobody holds the code of must not stay redeemable.
        registrar.cancel(registration.reference)
        raise
    slip = _slip_data(deps, session, transaction, now, kind, customer.name, customer.rrn_masked, registration)
    archive = _archive_slip(deps, slip)
    printed, message, message_en = _print_sealed_slip(deps, slip)
    if not printed:
        audit_alone(deps, session.staff_id, Action.PRINT_FAILED, "failed", customer_ref=customer_id,
                    subject=transaction, what="registration_slip")
    return RegistrationResult(transaction, registration.reference, mask_reference(registration.reference),
                              registration.auth_code, registration.expires_at, kind, archive, printed, message,
                              message_en)


def cancel_online_registration(deps: Deps, session: StaffSession, reference: str, customer_id: str | None = None,
                               reason: str = "") -> bool:
    """Cancel an open registration at the counter (the customer lost the slip, changed their mind)."""
    require_role(session, COUNTER_ROLES, "온라인 발급 등록 취소", "cancel online registrations")
    reference = reference.strip()
    if not reference.isdigit():
        raise ValidationError("참조번호는 숫자입니다", "the reference number is digits only", kind=ErrorKind.BAD_REFERENCE)
    cancelled = _registrar(deps).cancel(reference)
    with deps.store.unit_of_work() as uow:
        audit(uow, deps, session.staff_id, Action.CANCEL_ONLINE_REGISTRATION, "ok" if cancelled else "refused",
              customer_ref=customer_id, subject=mask_reference(reference), reason=reason[:200] or None)
        uow.commit()
    if not cancelled:
        state = _registrar(deps).state(reference, deps.clock.now())
        ko, en = {None: ("없는 참조번호입니다", "no such reference"),
                  "used": ("이미 사용된 등록입니다", "already redeemed"),
                  "locked": ("인가코드 오류로 잠긴 등록입니다", "locked after wrong codes"),
                  "cancelled": ("이미 취소된 등록입니다", "already cancelled"),
                  "expired": ("기한이 지난 등록입니다", "expired")}.get(state, ("취소할 수 없습니다", "cannot cancel"))
        raise LifecycleError(f"등록을 취소할 수 없습니다: {ko}", f"the registration cannot be cancelled: {en}",
                             kind=ErrorKind.REGISTRATION_NOT_OPEN)
    return True


# ---------------------------------------------------------------------------------------------- the slip


def _slip_data(deps: Deps, session: StaffSession, transaction: str, at: datetime, kind: CertKind, name: str,
               rrn_masked: str, registration: OnlineRegistration) -> RegistrationSlipData:
    settings = deps.settings
    return RegistrationSlipData(
        bank_name=settings.bank_name, branch_name=settings.branch_name, branch_id=settings.branch_id,
        teller_id=session.staff_id, at=at, transaction=transaction, cert_kind=kind.value,
        subject_name_masked=mask_stored_name(name), rrn_masked=rrn_masked, reference=registration.reference,
        auth_code=registration.auth_code, expires_at=registration.expires_at, language=settings.language)


def _archive_slip(deps: Deps, slip: RegistrationSlipData) -> Path:
    """The bank's copy, beside the receipts: the same slip without the code (what any reprint shows)."""
    from teller.services.receipts import write_receipt_file

    copy = replace(slip, auth_code=None)
    pdf = deps.renderer.registration_slip(copy, geometry=deps.settings.receipt_geometry)
    path = deps.settings.receipts_dir / kst_day(slip.at).isoformat() / f"{slip.transaction}-slip.pdf"
    write_receipt_file(path, pdf)
    return path


def _print_sealed_slip(deps: Deps, slip: RegistrationSlipData) -> tuple[bool, str, str]:
    """Render the slip with the code into a private temporary file, hand it to the printer, remove it."""
    pdf = deps.renderer.registration_slip(slip, geometry=deps.settings.receipt_geometry)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{slip.transaction}-slip-", suffix=".pdf")  # 0600 by mkstemp
        with os.fdopen(fd, "wb") as fh:
            fh.write(pdf)
    except OSError as exc:
        raise StorageError(f"봉투 인쇄 파일을 만들 수 없습니다: {exc.strerror}",
                           f"cannot prepare the slip for printing: {exc.strerror}") from None
    try:
        job = deps.printer.print_pdf(Path(tmp), timeout_s=deps.settings.print_timeout_s)
    except PrinterError as exc:
        return False, f"봉투가 인쇄되지 않았습니다: {exc.message}. 등록을 취소하고 다시 등록하십시오", \
            f"the slip was not printed: {exc.message_en}. Cancel the registration and register again"
    finally:
        Path(tmp).unlink(missing_ok=True)
    if not job.completed:
        return False, f"봉투가 인쇄되지 않았습니다: {job.message}", f"the slip was not printed: {job.message}"
    return True, job.message, "slip printed"

