"""발급: issue a new certificate to the customer's media at the counter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from teller.config import Settings
from teller.domain import (
    Action,
    AuthenticityResult,
    CertificateRecord,
    CertKind,
    CertStatus,
    CustomerRecord,
    IdEvidence,
    StaffSession,
)
from teller.errors import ErrorKind, ApprovalError, LifecycleError, NotFound, TellerError, ValidationError
from teller.ports import UnitOfWork
from teller.services.approvals import binding_for, check_gate
from teller.services.certificate_pipeline import produce_certificate, undo_written
from teller.services.confirmations import print_confirmation, record_confirmation
from teller.services.context import Deps, Progress, no_progress
from teller.services.receipts import ReceiptOutcome
from teller.services.customers import todays_evidence
from teller.services.support import (
    COUNTER_ROLES,
    add_years,
    audit,
    audit_alone,
    kst_day,
    new_transaction,
    require_role,
)


@dataclass(frozen=True, slots=True)
class CorporateApplicant:
    """법인 범용: the business the certificate is for; its representative is the identified customer."""

    business_number: str  # 사업자등록번호 as typed (10 digits, check digit)


@dataclass(slots=True)
class IssueRequest:
    customer_id: str
    kind: CertKind
    media_root: Path
    password: str  # the customer's certificate password: memory only
    confirm: str
    approval_id: str | None = None
    replace_existing: bool = False  # overwrite a folder with the same subject on the media
    corporate: CorporateApplicant | None = None  # required for CertKind.CORPORATE, refused for the others


@dataclass(slots=True)
class IssueResult:
    certificate: CertificateRecord
    folder: Path
    transaction: str
    fee_krw: int
    receipt: ReceiptOutcome | None  # None when not printed
    previous: CertificateRecord | None = None  # renew/reissue: the certificate it replaces
    notes: list[str] = field(default_factory=list)  # Korean lines for the teller and the receipt


def fee_for(settings: Settings, kind: CertKind) -> int:
    """domain-rules §3: bank/insurance use is free; general purpose per year of validity incl. VAT."""
    per_year = {CertKind.BANK: 0, CertKind.GENERAL: settings.general_fee_krw,
                CertKind.CORPORATE: settings.corporate_fee_krw}[CertKind(kind)]
    return per_year * settings.validity_years


def unverified_binding(customer_id: str, evidence_id: str, action: str, kind: CertKind | None = None,
                       serial: str | None = None) -> str:
    return binding_for("issue_unverified", customer=customer_id, evidence=evidence_id, for_action=action,
                       kind=kind, serial=serial)


def corporate_business_number(kind: CertKind, corporate: CorporateApplicant | None) -> str | None:
    """The checked 사업자등록번호 for a corporate certificate (None for a personal one); a private person (no
    business number) never gets a corporate certificate, and a business number never rides on a personal one."""
    from teller.identity.business_number import parse_business_number

    if CertKind(kind) is not CertKind.CORPORATE:
        if corporate is not None:
            raise ValidationError("사업자등록번호는 법인 범용 인증서에만 입력합니다",
                                  "a business registration number belongs only to a corporate certificate",
                                  kind=ErrorKind.BUSINESS_NUMBER_NOT_CORPORATE)
        return None
    if corporate is None or not corporate.business_number.strip():
        raise ValidationError("법인 범용 인증서는 사업자등록번호가 필요합니다. 개인에게는 발급할 수 없습니다",
                              "a corporate certificate needs the business registration number; a private "
                              "person cannot get one", kind=ErrorKind.BUSINESS_NUMBER_REQUIRED)
    return parse_business_number(corporate.business_number).digits


def _refusal_before_typing(uow: UnitOfWork, deps: Deps, customer_id: str, kind: CertKind,
                           now: datetime) -> tuple[CustomerRecord, IdEvidence]:
    """Every refusal that needs no password: the customer, today's ID check, no valid certificate of the kind,
    and for a corporate certificate a verified identification of the representative (no approval overrides)."""
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFound("고객을 찾을 수 없습니다", f"no customer {customer_id}")
    evidence = todays_evidence(uow, deps, customer.customer_id, now)
    for other in uow.certificates.by_customer(customer.customer_id):
        if other.kind is kind and other.status in (CertStatus.ACTIVE, CertStatus.HELD) \
                and other.not_after > now:
            raise LifecycleError(
                f"이미 유효한 {kind.label_ko} 인증서가 있습니다 (일련번호 {other.serial}). "
                "갱신·재발급을 이용하십시오",
                f"the customer already has a valid {kind.label_en} certificate ({other.serial}): "
                "renew or reissue it")
    if kind is CertKind.CORPORATE and evidence.result is not AuthenticityResult.VERIFIED:
        raise LifecycleError("법인 범용 인증서는 대표자 신분증의 진위확인이 완료되어야 발급할 수 있습니다",
                             "a corporate certificate needs the representative's verified ID check",
                             kind=ErrorKind.REPRESENTATIVE_NOT_VERIFIED)
    return customer, evidence


def check_issuable(deps: Deps, session: StaffSession, customer_id: str, kind: CertKind,
                   corporate: CorporateApplicant | None = None) -> bool:
    """Told early: raises what `issue_certificate` would refuse, before the customer types a password.
    Returns whether issuing will need a manager's approval (an unverified ID check)."""
    require_role(session, COUNTER_ROLES, "인증서 발급", "issue certificates")
    corporate_business_number(kind, corporate)
    with deps.store.unit_of_work() as uow:
        _, evidence = _refusal_before_typing(uow, deps, customer_id, CertKind(kind), deps.clock.now())
    return evidence.result is not AuthenticityResult.VERIFIED


def issue_certificate(deps: Deps, session: StaffSession, req: IssueRequest,
                      progress: Progress = no_progress) -> IssueResult:
    from teller.pki.profile import kst_validity
    from teller.security.password_policy import validate_certificate_password

    require_role(session, COUNTER_ROLES, "인증서 발급", "issue certificates")
    kind = CertKind(req.kind)
    business_number = corporate_business_number(kind, req.corporate)
    validate_certificate_password(req.password, req.confirm)
    media_root = Path(req.media_root)
    now = deps.clock.now()
    fee = fee_for(deps.settings, kind)
    first_day = kst_day(now)
    last_day = add_years(first_day, deps.settings.validity_years) - timedelta(days=1)
    not_before, not_after = kst_validity(first_day, last_day)

    # 1. intent: identification, gate, transaction number, committed before anything is signed
    binding = None
    try:
        with deps.store.unit_of_work() as uow:
            customer, evidence = _refusal_before_typing(uow, deps, req.customer_id, kind, now)
            approval = None
            if evidence.result is not AuthenticityResult.VERIFIED:
                binding = unverified_binding(customer.customer_id, evidence.evidence_id, "issue", kind=kind)
                approval = check_gate(uow, deps, session, req.approval_id, "issue_unverified", binding, now)
            transaction = new_transaction(uow, deps, now)
            audit(uow, deps, session.staff_id, Action.ISSUE, "started", at=now, customer_ref=customer.customer_id,
                  subject=transaction, transaction=transaction, kind=kind.value, fee_krw=fee,
                  evidence=evidence.evidence_id, approval_id=approval.approval_id if approval else None,
                  business_number=business_number)
            uow.commit()
    except ApprovalError as exc:
        audit_alone(deps, session.staff_id, Action.APPROVAL_REFUSED, "refused", customer_ref=req.customer_id,
                    subject="issue_unverified", why=exc.message_en, binding=binding)
        raise
    except (LifecycleError, NotFound) as exc:
        audit_alone(deps, session.staff_id, Action.ISSUE, "refused", customer_ref=req.customer_id,
                    kind=kind.value, why=exc.code, message=exc.message_en)
        raise

    # 2-4. key, signature, PENDING row, media write with read-back
    new = produce_certificate(
        deps, session, action=Action.ISSUE, customer=customer, kind=kind, not_before=not_before,
        not_after=not_after, media_root=media_root, password=req.password, transaction=transaction, fee_krw=fee,
        replace=req.replace_existing, replaces_serial=None, progress=progress)

    # 5. ACTIVE + receipt + audit in one unit of work
    progress("receipt", 0.9)
    record = new.record
    try:
        done = deps.clock.now()
        with deps.store.unit_of_work() as uow:
            for expired in uow.certificates.by_customer(customer.customer_id):
                # an expired one of this kind is still "in force" for the index until something replaces it
                if expired.kind is kind and expired.status in (CertStatus.ACTIVE, CertStatus.HELD) \
                        and expired.not_after <= done and expired.replaced_by_serial is None:
                    expired.replaced_by_serial = record.serial
                    uow.certificates.update(expired)
            record.status = CertStatus.ACTIVE
            record.confirmed_at = done
            uow.certificates.update(record)
            record_confirmation(deps, uow, session, action=Action.ISSUE, transaction=transaction,
                                customer=customer, cert=record, fee_krw=fee, notes=[], at=done)
            audit(uow, deps, session.staff_id, Action.ISSUE, "ok", at=done, customer_ref=customer.customer_id,
                  subject=record.serial, transaction=transaction, kind=kind.value, fee_krw=fee,
                  folder=record.folder, not_after=record.not_after.isoformat())
            uow.commit()
    except BaseException as exc:
        record.status = CertStatus.PENDING
        why = exc.message_en if isinstance(exc, TellerError) else type(exc).__name__
        undo_written(deps, session, new, media_root, Action.ISSUE, why)
        raise
    progress("print", 0.95)
    receipt = print_confirmation(deps, session, transaction)
    progress("done", 1.0)
    return IssueResult(record, new.folder, transaction, fee, receipt)
