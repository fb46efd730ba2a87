"""실명확인: identify the customer from an original ID, record the evidence, find and show customers.

The plaintext RRN lives only in memory: the store gets it AES-GCM encrypted, as a keyed look-up hash and masked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from teller.domain import (
    Action,
    AuthenticityResult,
    CertificateRecord,
    CustomerRecord,
    IdDocumentType,
    IdEvidence,
    Role,
    StaffSession,
)
from teller.errors import ErrorKind, IdentityCheckError, NotFound, ValidationError
from teller.identity.passport import Mrz
from teller.identity.rrn import Rrn
from teller.ports import IdCheckRequest, IdCheckResponse, UnitOfWork
from teller.services.context import Deps
from teller.services.support import COUNTER_ROLES, READ_ROLES, audit, audit_alone, kst_day, require_role


def rrn_context(customer_id: str) -> str:
    """AES-GCM associated data: a ciphertext only decrypts for the customer row it was written for."""
    return f"customer.rrn:{customer_id}"


@dataclass(slots=True)
class IdentifyRequest:
    name: str
    rrn: str  # resident or alien registration number, as typed; memory only
    document_type: IdDocumentType
    document_number: str | None = None  # licence number (driver_license) or passport number (passport)
    issue_date: date | None = None
    mrz: tuple[str, str] | None = None  # passport reader's two TD3 lines
    photo_attested: bool = False  # the teller compared the photo with the customer


@dataclass(slots=True)
class CustomerView:
    customer_id: str
    name: str
    name_masked: str
    rrn_masked: str
    is_foreigner: bool
    certificates: list[CertificateRecord] = field(default_factory=list)


@dataclass(slots=True)
class IdentifyResult:
    customer: CustomerView
    evidence: IdEvidence
    check: IdCheckResponse
    needs_approval: bool  # issuing on this evidence needs a manager's approval ("issue_unverified")


def customer_view(uow: UnitOfWork, customer: CustomerRecord) -> CustomerView:
    from teller.identity.names import mask_name

    certs = sorted(uow.certificates.by_customer(customer.customer_id), key=lambda c: c.created_at, reverse=True)
    return CustomerView(customer.customer_id, customer.name, mask_name(customer.name), customer.rrn_masked,
                        customer.is_foreigner, certs)


def _mrz_matches_rrn(mrz: Mrz, rrn: Rrn) -> None:
    """A passport read for someone else (or a mistyped RRN): the MRZ birth date and sex must be the RRN's."""
    if mrz.birth_date.strftime("%y%m%d") != rrn.digits[:6]:
        raise ValidationError("여권 MRZ의 생년월일이 주민등록번호와 다릅니다. 여권과 주민등록번호를 다시 확인하십시오",
                              "the passport MRZ's date of birth differs from the resident number's",
                              kind=ErrorKind.MRZ_RRN_MISMATCH)
    if mrz.sex in ("M", "F") and (mrz.sex == "M") != rrn.is_male:
        raise ValidationError("여권 MRZ의 성별이 주민등록번호와 다릅니다. 여권과 주민등록번호를 다시 확인하십시오",
                              "the passport MRZ's sex differs from the resident number's",
                              kind=ErrorKind.MRZ_RRN_MISMATCH)


def _document_number(req: IdentifyRequest, rrn: Rrn) -> tuple[str | None, str | None]:
    """Validate the per-document fields; returns (number for the authenticity check, masked number)."""
    from teller.identity.licence import parse_driver_license
    from teller.identity.passport import mask_passport_number, parse_mrz, parse_passport_number

    kind = req.document_type
    if kind is IdDocumentType.DRIVER_LICENSE:
        if not req.document_number:
            raise ValidationError("운전면허번호를 입력하십시오", "enter the driver's licence number")
        licence = parse_driver_license(req.document_number)
        return licence.digits, licence.masked
    if kind is IdDocumentType.PASSPORT:
        if req.mrz:
            mrz = parse_mrz(req.mrz[0], req.mrz[1])
            _mrz_matches_rrn(mrz, rrn)
            if req.document_number and parse_passport_number(req.document_number) != mrz.number:
                raise ValidationError("여권번호가 MRZ와 다릅니다", "the passport number does not match the MRZ")
            return mrz.number, mrz.number_masked
        if not req.document_number:
            raise ValidationError("여권번호 또는 MRZ를 입력하십시오", "enter the passport number or the MRZ")
        number = parse_passport_number(req.document_number)
        return number, mask_passport_number(number)
    return None, None  # resident and alien cards: the registration number is the document number


def identify_customer(deps: Deps, session: StaffSession, req: IdentifyRequest) -> IdentifyResult:
    from teller.identity.names import mask_name, normalize_name
    from teller.identity.rrn import parse_rrn

    require_role(session, COUNTER_ROLES, "실명확인", "identify customers")
    doc_type = IdDocumentType(req.document_type)
    name = normalize_name(req.name)
    rrn = parse_rrn(req.rrn)
    if doc_type is IdDocumentType.ALIEN_CARD and not rrn.is_foreigner:
        raise ValidationError("외국인등록번호가 아닙니다 (뒷자리 첫 숫자 5~8)",
                              "not an alien registration number (7th digit 5-8)")
    if doc_type is IdDocumentType.RESIDENT_CARD and rrn.is_foreigner:
        raise ValidationError("외국인등록번호입니다. 외국인등록증으로 확인하십시오",
                              "that is an alien registration number: use the alien card")
    doc_number, doc_masked = _document_number(req, rrn)
    if doc_type in (IdDocumentType.RESIDENT_CARD, IdDocumentType.ALIEN_CARD):
        doc_masked = rrn.masked
    if not req.photo_attested:
        raise ValidationError("신분증 사진과 고객 본인을 대조하고 확인란을 선택하십시오",
                              "compare the ID photo with the customer and confirm it")

    check = deps.id_check.check(IdCheckRequest(document_type=doc_type, name=name, rrn=rrn.digits,
                                               document_number=doc_number, issue_date=req.issue_date))
    fc = deps.field_crypto
    rrn_hash = fc.lookup_hash(rrn.digits)
    now = deps.clock.now()
    details: dict[str, Any] = dict(document_type=doc_type.value, check_result=check.result.value, request_id=check.request_id,
                   rrn_masked=rrn.masked, name_masked=mask_name(name), checksum_ok=rrn.checksum_ok)

    if check.result in (AuthenticityResult.REPORTED_LOST, AuthenticityResult.NOT_FOUND):
        with deps.store.unit_of_work() as uow:
            existing = uow.customers.find_by_rrn_hash(rrn_hash)
            if existing is not None:  # keep the failed check on the customer's record too
                uow.customers.add_evidence(IdEvidence(uuid.uuid4().hex, existing.customer_id, doc_type, doc_masked,
                                                      req.issue_date, check.result, check.request_id,
                                                      check.checked_at, True, session.staff_id))
            audit(uow, deps, session.staff_id, Action.CUSTOMER_IDENTIFIED, "refused", at=now,
                  customer_ref=existing.customer_id if existing else None, **details)
            uow.commit()
        if check.result is AuthenticityResult.REPORTED_LOST:
            raise IdentityCheckError("분실·도난 신고된 신분증입니다. 거래를 진행할 수 없습니다",
                                     "the ID document has been reported lost or stolen")
        raise IdentityCheckError("신분증 진위확인 결과가 일치하지 않습니다. 거래를 진행할 수 없습니다",
                                 "the ID authenticity check did not match")

    # Unavailable check service → only with a manager's approval at issuance. A failed RRN checksum is not a
    # rejection (numbers since 2020-10): it needs the online check, so it matters only when that is unavailable.
    needs_approval = check.result is not AuthenticityResult.VERIFIED
    with deps.store.unit_of_work() as uow:
        customer = uow.customers.find_by_rrn_hash(rrn_hash)
        if customer is None:
            customer_id = uuid.uuid4().hex
            customer = CustomerRecord(
                customer_id=customer_id,
                name=name,
                rrn_encrypted=fc.encrypt(rrn.digits, rrn_context(customer_id)),
                rrn_hash=rrn_hash,
                rrn_masked=rrn.masked,
                is_foreigner=rrn.is_foreigner,
                created_at=now,
            )
            uow.customers.add(customer)
            details["new_customer"] = True
        elif customer.name != name:  # e.g. a legal name change, confirmed by the check just made
            customer.name = name
            uow.customers.update(customer)
            details["name_updated"] = True
        evidence = IdEvidence(
            evidence_id=uuid.uuid4().hex,
            customer_id=customer.customer_id,
            document_type=doc_type,
            document_number_masked=doc_masked,
            issue_date=req.issue_date,
            result=check.result,
            request_id=check.request_id,
            checked_at=check.checked_at,
            photo_attested=True,
            staff_id=session.staff_id,
        )
        uow.customers.add_evidence(evidence)
        audit(uow, deps, session.staff_id, Action.CUSTOMER_IDENTIFIED, "ok", at=now,
              customer_ref=customer.customer_id, needs_approval=needs_approval, **details)
        view = customer_view(uow, customer)
        uow.commit()
    return IdentifyResult(view, evidence, check, needs_approval)


def todays_evidence(uow: UnitOfWork, deps: Deps, customer_id: str, now: datetime) -> IdEvidence:
    """The customer's identification from today (KST); refused, stale or missing → LifecycleError."""
    from teller.errors import LifecycleError

    evidence = uow.customers.latest_evidence(customer_id)
    if evidence is None or kst_day(evidence.checked_at) != kst_day(now):
        raise LifecycleError("실명확인 필요: 오늘 신분증 확인 기록이 없습니다. 먼저 실명확인을 하십시오",
                             "identification needed: the customer has not been identified today")
    if evidence.result not in (AuthenticityResult.VERIFIED, AuthenticityResult.UNAVAILABLE):
        raise LifecycleError("실명확인 필요: 오늘 진위확인에 실패한 고객입니다",
                             "identification needed: today's ID check failed")
    return evidence


def _query_mask(text: str) -> str:
    """What the audit may say about a search text: a masked RRN, a masked name, or a serial prefix."""
    from teller.identity.names import mask_name
    from teller.identity.rrn import parse_rrn

    try:
        return parse_rrn(text).masked
    except ValidationError:
        pass
    if any(ch.isdigit() for ch in text):
        return text[:8] + ("…" if len(text) > 8 else "")  # masked-RRN prefix or serial: no full number
    try:
        return mask_name(text)
    except ValidationError:
        return "*" * len(text)


def find_customers(deps: Deps, session: StaffSession, text: str, limit: int = 20) -> list[CustomerView]:
    """By name, masked-RRN prefix, or a full RRN (looked up by its keyed hash). Audited."""
    from teller.identity.rrn import parse_rrn

    require_role(session, READ_ROLES, "고객 조회", "look up customers")
    text = (text or "").strip()
    if not text:
        return []
    with deps.store.unit_of_work() as uow:
        try:
            rrn = parse_rrn(text)
        except ValidationError:
            found = uow.customers.search(text, limit=limit)
        else:
            hit = uow.customers.find_by_rrn_hash(deps.field_crypto.lookup_hash(rrn.digits))
            found = [hit] if hit else []
        views = [customer_view(uow, c) for c in found]
        audit(uow, deps, session.staff_id, Action.CUSTOMER_LOOKUP, "ok", query=_query_mask(text),
              results=len(views))
        uow.commit()
    return views


def get_customer(deps: Deps, session: StaffSession, customer_id: str) -> CustomerView:
    require_role(session, READ_ROLES, "고객 조회", "look up customers")
    with deps.store.unit_of_work() as uow:
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise NotFound("고객을 찾을 수 없습니다", f"no customer {customer_id}")
        view = customer_view(uow, customer)
        audit(uow, deps, session.staff_id, Action.CUSTOMER_LOOKUP, "ok", customer_ref=customer_id)
        uow.commit()
    return view


def decrypt_rrn(deps: Deps, customer: CustomerRecord) -> str:
    """The 13 digits, for the VID computed on this terminal. Never store or log the result."""
    return deps.field_crypto.decrypt(customer.rrn_encrypted, rrn_context(customer.customer_id))


def reveal_rrn(deps: Deps, session: StaffSession, customer_id: str, reason: str,
               approval_id: str | None = None) -> str:
    """Show the full RRN ("YYMMDD-GNNNNNN"): managers, or a teller with a manager's approval. The reveal is
    audited with its reason; the value never is."""
    from teller.errors import ApprovalError
    from teller.services.approvals import binding_for, consume_approval

    require_role(session, COUNTER_ROLES, "주민등록번호 전체 조회", "reveal resident numbers")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("조회 사유를 입력하십시오", "give a reason for the reveal")
    now = deps.clock.now()
    binding = binding_for("rrn_reveal", customer=customer_id)
    try:
        with deps.store.unit_of_work() as uow:
            customer = uow.customers.get(customer_id)
            if customer is None:
                raise NotFound("고객을 찾을 수 없습니다", f"no customer {customer_id}")
            approval = None
            if session.role is not Role.MANAGER:
                approval = consume_approval(uow, approval_id, "rrn_reveal", binding, now,
                                            requester_id=session.staff_id)
            digits = decrypt_rrn(deps, customer)
            audit(uow, deps, session.staff_id, Action.RRN_REVEALED, "ok", at=now, customer_ref=customer_id,
                  reason=reason, rrn_masked=customer.rrn_masked,
                  approval_id=approval.approval_id if approval else None)
            uow.commit()
    except ApprovalError as exc:
        audit_alone(deps, session.staff_id, Action.APPROVAL_REFUSED, "refused", customer_ref=customer_id,
                    subject="rrn_reveal", why=exc.message_en, binding=binding)
        raise
    return f"{digits[:6]}-{digits[6:]}"
