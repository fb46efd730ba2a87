"""Domain vocabulary: plain dataclasses and enums shared by services, adapters and screens.

Records here are what the branch database keeps. None of them holds key material, a certificate password or a
plaintext resident number: `CustomerRecord` carries the RRN only encrypted, as a keyed hash and masked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any



def text_value(value: object) -> str:
    """The stored text of a value that may be one of the enums below: `str()` of a `(str, Enum)` member is
    "Action.ISSUE", not its value."""
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


class CertKind(str, enum.Enum):
    """Certificate kinds the branch issues (domain-rules.md §3)."""

    BANK = "bank"  # 개인 은행·보험용 (용도제한용)
    GENERAL = "general"  # 개인 범용
    CORPORATE = "corporate"  # 법인 범용

    @property
    def policy_oid(self) -> str:
        return _POLICY_OIDS[self]

    @property
    def label_ko(self) -> str:
        return {"bank": "은행·보험용(용도제한)", "general": "범용(개인)", "corporate": "범용(법인)"}[self.value]

    @property
    def label_en(self) -> str:
        return {"bank": "Bank/insurance use", "general": "General purpose", "corporate": "Corporate general"}[
            self.value
        ]

    @classmethod
    def from_policy_oid(cls, oid: str) -> "CertKind | None":
        for kind, value in _POLICY_OIDS.items():
            if value == oid:
                return kind
        return None


_POLICY_OIDS = {
    CertKind.BANK: "1.2.410.200005.1.1.4",
    CertKind.GENERAL: "1.2.410.200005.1.1.1",
    CertKind.CORPORATE: "1.2.410.200005.1.1.5",
}


class CertStatus(str, enum.Enum):
    PENDING = "pending"  # recorded, CA not yet asked or media not yet confirmed
    ACTIVE = "active"  # on the customer's media, verified
    HELD = "held"  # 효력정지
    REVOKED = "revoked"  # 폐지 (permanent)
    FAILED = "failed"  # never confirmed on media; revoked by reconciliation


class RevocationReason(str, enum.Enum):
    """RFC 5280 CRLReason values a teller may choose (names as in cryptography's ReasonFlags)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    CERTIFICATE_HOLD = "certificate_hold"
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn"

    @property
    def label_ko(self) -> str:
        return {
            "unspecified": "사유 없음",
            "key_compromise": "개인키 유출·분실",
            "affiliation_changed": "소속 변경",
            "superseded": "재발급으로 대체",
            "cessation_of_operation": "사용 중지(해지)",
            "certificate_hold": "효력정지",
            "privilege_withdrawn": "자격 철회",
        }[self.value]


class Role(str, enum.Enum):
    TELLER = "teller"
    MANAGER = "manager"
    AUDITOR = "auditor"
    CALL_CENTRE = "call_centre"  # 고객센터: holds or revokes for loss by phone, after identity questions; no more

    @property
    def label_ko(self) -> str:
        return {"teller": "창구 직원", "manager": "책임자", "auditor": "감사", "call_centre": "고객센터 상담원"}[self.value]


class IdDocumentType(str, enum.Enum):
    RESIDENT_CARD = "resident_card"  # 주민등록증
    DRIVER_LICENSE = "driver_license"  # 운전면허증
    PASSPORT = "passport"  # 여권
    ALIEN_CARD = "alien_card"  # 외국인등록증

    @property
    def label_ko(self) -> str:
        return {
            "resident_card": "주민등록증",
            "driver_license": "운전면허증",
            "passport": "여권",
            "alien_card": "외국인등록증",
        }[self.value]


class AuthenticityResult(str, enum.Enum):
    VERIFIED = "verified"  # 진위확인 일치
    NOT_FOUND = "not_found"  # 불일치 / 없음
    REPORTED_LOST = "reported_lost"  # 분실·도난 신고된 신분증
    UNAVAILABLE = "unavailable"  # service down: needs manager approval to proceed


class Action(str, enum.Enum):
    """Every audited action. The string value is what the audit trail and exports show."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    LOCK = "lock"
    UNLOCK = "unlock"
    STAFF_ADDED = "staff_added"
    STAFF_LOCKED = "staff_locked"
    STAFF_UNLOCKED = "staff_unlocked"
    STAFF_PASSWORD_RESET = "staff_password_reset"
    CUSTOMER_LOOKUP = "customer_lookup"
    CUSTOMER_IDENTIFIED = "customer_identified"
    RRN_REVEALED = "rrn_revealed"
    ISSUE = "issue"
    RENEW = "renew"
    REISSUE = "reissue"
    REVOKE = "revoke"
    HOLD = "hold"
    RELEASE = "release"
    DELETE_FROM_MEDIA = "delete_from_media"
    REGISTER_ONLINE = "register_online"  # 온라인 발급 등록: 참조번호 + 인가코드 handed over on a sealed slip
    CANCEL_ONLINE_REGISTRATION = "cancel_online_registration"
    CALL_IDENTITY_CHECK = "call_identity_check"  # a caller's identity questions at the call centre (ok / failed)
    CALL_IDENTITY_ALERT = "call_identity_alert"  # repeated failed identity checks for one customer
    RECONCILE = "reconcile"
    APPROVAL_GRANTED = "approval_granted"
    APPROVAL_REFUSED = "approval_refused"
    RECEIPT_PRINTED = "receipt_printed"
    RECEIPT_REPRINTED = "receipt_reprinted"
    PRINT_FAILED = "print_failed"
    REPORT_PRINTED = "report_printed"
    AUDIT_EXPORTED = "audit_exported"
    AUDIT_VERIFIED = "audit_verified"
    SYNC = "sync"
    SYNC_FAILED = "sync_failed"
    SYNC_QUARANTINED = "sync_quarantined"  # head office kept one event out of its store (a leaked secret)
    INIT = "init"


# ---------------------------------------------------------------------------------------------- records


@dataclass(slots=True)
class BranchInfo:
    branch_id: str  # e.g. "0815"
    branch_name: str  # e.g. "여의도영업부"
    bank_name: str  # e.g. "KB국민은행"
    bank_code: str  # 3 digits, KB = "004"


@dataclass(slots=True)
class StaffRecord:
    staff_id: str
    name: str
    role: Role
    password_hash: str  # scrypt, self-describing string from teller.security.staff_passwords
    failed_attempts: int = 0
    locked: bool = False
    active: bool = True
    created_at: datetime | None = None
    password_changed_at: datetime | None = None
    must_change_password: bool = False


@dataclass(slots=True)
class StaffSession:
    """A signed-in staff member at one terminal."""

    staff_id: str
    name: str
    role: Role
    terminal_id: str
    signed_in_at: datetime


@dataclass(slots=True)
class CustomerRecord:
    customer_id: str  # uuid4 hex
    name: str  # NFC
    rrn_encrypted: bytes  # AES-GCM field encryption (teller.security.field_crypto)
    rrn_hash: str  # keyed hash for look-up (HMAC-SHA256, hex)
    rrn_masked: str  # "YYMMDD-G******"
    is_foreigner: bool = False
    created_at: datetime | None = None


@dataclass(slots=True)
class IdEvidence:
    """What the teller checked before acting: the structured 실명확인 record."""

    evidence_id: str
    customer_id: str
    document_type: IdDocumentType
    document_number_masked: str | None
    issue_date: date | None
    result: AuthenticityResult
    request_id: str
    checked_at: datetime
    photo_attested: bool
    staff_id: str


@dataclass(slots=True)
class CertificateRecord:
    serial: str  # lower-case hex, no separators
    customer_id: str
    kind: CertKind
    subject_dn: str  # RFC 4514 string
    issuer_dn: str
    policy_oid: str
    not_before: datetime  # aware, UTC
    not_after: datetime  # aware, UTC
    status: CertStatus
    transaction: str
    fee_krw: int
    issued_by: str  # staff id
    created_at: datetime
    media_label: str | None = None
    folder: str | None = None  # path of the user folder relative to the media root
    confirmed_at: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None
    held_at: datetime | None = None
    hold_until: datetime | None = None
    replaces_serial: str | None = None
    replaced_by_serial: str | None = None


@dataclass(slots=True)
class ApprovalRecord:
    approval_id: str
    action: str  # the gated action, e.g. "reissue"
    binding: str  # canonical description of the one action it is for (see teller.services.approvals)
    requester_id: str
    approver_id: str
    reason: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(slots=True)
class AuditDraft:
    """An event before the store gives it its sequence number and chain hash."""

    at: datetime  # aware, UTC
    terminal_id: str
    staff_id: str | None
    action: Action
    result: str  # "ok", "refused", "failed", …
    customer_ref: str | None = None  # customer id; never an RRN
    subject: str | None = None  # e.g. certificate serial or transaction
    details: dict[str, Any] = field(default_factory=dict)  # masked values only


@dataclass(slots=True)
class AuditEvent:
    branch_id: str
    seq: int  # per-branch, gap-free, from 1
    event_id: str  # uuid4 hex
    at: datetime
    terminal_id: str
    staff_id: str | None
    action: str
    result: str
    customer_ref: str | None
    subject: str | None
    details: dict[str, Any]
    prev_hash: str  # hex; "0"*64 for seq 1
    hash: str  # hex sha256 over prev_hash + canonical content (teller.audit_chain)
    # the canonical content bytes as stored (teller.audit_chain.canonical_content); None for events written
    # before the store kept them (revision 0004), which verify by rendering their columns. Not compared: it is
    # the stored form of the same event (verify_chain checks that the columns render to it)
    record: bytes | None = field(default=None, compare=False)


@dataclass(slots=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    staff_id: str | None = None
    action: str | None = None
    customer_ref: str | None = None


@dataclass(slots=True)
class ReceiptRecord:
    transaction: str
    action: str
    pdf_path: str
    sha256: str
    created_at: datetime
    staff_id: str
    printed_at: datetime | None = None
    printer: str | None = None
    job_id: str | None = None
    reprints: int = 0
    last_error: str | None = None


@dataclass(slots=True)
class SyncState:
    acked_seq: int = 0
    last_success: datetime | None = None
    last_error: str | None = None
    last_attempt: datetime | None = None
