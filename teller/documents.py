"""What printed documents say, as plain data. `printing/` lays these out; services fill them in.

Every field is already safe to print: the RRN and the name arrive masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(slots=True)
class ReceiptData:
    bank_name: str  # KB국민은행
    branch_name: str
    branch_id: str
    teller_id: str
    terminal_id: str
    at: datetime  # aware; printed in KST
    transaction: str
    action: str  # Action value: issue, renew, reissue, revoke, hold, release, delete_from_media
    cert_kind: str | None  # CertKind value
    subject_name: str | None  # the customer's name as in the certificate
    subject_name_masked: str  # e.g. 홍*동
    rrn_masked: str  # YYMMDD-G******
    serial: str | None
    issuer: str | None
    not_before: datetime | None
    not_after: datetime | None
    fee_krw: int
    verification: str  # short hash binding transaction + serial (see teller.services.receipts)
    reprint: bool = False
    revocation_reason: str | None = None
    notes: list[str] = field(default_factory=list)  # extra lines, e.g. "old certificate revoked"
    language: str = "ko"


@dataclass(slots=True)
class TellerDayLine:
    staff_id: str
    staff_name: str
    counts: dict[str, int]  # action -> count
    fees_krw: int
    receipts_printed: int
    receipts_expected: int


@dataclass(slots=True)
class ExceptionLine:
    at: datetime
    staff_id: str | None
    kind: str  # approval, authenticity_failed, repeated_reissue, after_hours, print_failed
    description: str


@dataclass(slots=True)
class DailyReportData:
    bank_name: str
    branch_name: str
    branch_id: str
    day: date
    generated_at: datetime
    generated_by: str
    tellers: list[TellerDayLine]
    exceptions: list[ExceptionLine]
    chain_ok: bool
    chain_head_seq: int
    total_fees_krw: int
    chain_checked: bool = True  # False when the chain could not be verified (then chain_ok means nothing)
    # the day's registrations for online issuance by how they stand now: open, used (redeemed), expired,
    # cancelled, locked; None when the terminal has no registration desk or the CA could not be asked
    online_registrations: dict[str, int] | None = None


@dataclass(slots=True)
class AuditExtractRow:
    seq: int
    at: datetime
    staff_id: str | None
    terminal_id: str
    action: str
    result: str
    customer_ref: str | None
    subject: str | None


@dataclass(slots=True)
class AuditExtractData:
    bank_name: str
    branch_name: str
    since: datetime
    until: datetime
    generated_at: datetime
    generated_by: str
    rows: list[AuditExtractRow]
    chain_ok: bool
    chain_checked: bool = True  # False when the chain could not be verified (then chain_ok means nothing)
    # the day's registrations for online issuance by how they stand now: open, used (redeemed), expired,
    # cancelled, locked; None when the terminal has no registration desk or the CA could not be asked
    online_registrations: dict[str, int] | None = None


@dataclass(slots=True)
class RegistrationSlipData:
    """The sealed slip of a registration for online issuance (참조번호 + 인가코드). Printed once with the code;
    the archived copy and every reprint carry `auth_code=None`."""

    bank_name: str
    branch_name: str
    branch_id: str
    teller_id: str
    at: datetime  # aware; printed in KST
    transaction: str
    cert_kind: str  # CertKind value
    subject_name_masked: str
    rrn_masked: str
    reference: str
    auth_code: str | None
    expires_at: datetime
    reprint: bool = False
    language: str = "ko"
