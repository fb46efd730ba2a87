"""Ports: what the services need from the outside world, as Protocols.

Adapters: `teller.pki.ca.EmbeddedCA` (CertificateAuthority), `teller.identity.authenticity.TrainingRegistry`
(IdAuthenticityService), `db.store.SqlBranchStore` (BranchStore), `printing.renderer.PdfDocuments`
(DocumentRenderer), `printing.printers.*` (Printer). Each adapter translates its library errors into
`teller.errors` types.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

from cryptography import x509

from teller.audit_chain import VerifiedRun
from teller.documents import AuditExtractData, DailyReportData, ReceiptData, RegistrationSlipData
from teller.domain import (
    ApprovalRecord,
    AuditDraft,
    AuditEvent,
    AuditFilter,
    AuthenticityResult,
    BranchInfo,
    CertificateRecord,
    CertKind,
    CertStatus,
    CustomerRecord,
    IdDocumentType,
    IdEvidence,
    ReceiptRecord,
    RevocationReason,
    StaffRecord,
    SyncState,
)

# ---------------------------------------------------------------------------------------------- clock


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------------------------- CA


@dataclass(frozen=True, slots=True)
class CertificateRequest:
    """What the CA needs to issue one Korean-profile certificate. The RRN never leaves the terminal: only the VID
    (computed from RRN + randomNum on the terminal) goes in."""

    public_key_der: bytes  # SubjectPublicKeyInfo DER
    real_name: str  # NFC
    kind: CertKind
    vid: bytes | None  # SHA-256 VID (teller.pki.vid); None only for a generic CMP client (no identifyData)
    not_before: datetime  # aware; already KST-midnight aligned by the service
    not_after: datetime


class CertificateAuthority(Protocol):
    def issue(self, request: CertificateRequest) -> x509.Certificate: ...

    def revoke(self, serial: int, reason: RevocationReason, when: datetime) -> None: ...

    def crl(self) -> bytes:
        """DER CRL with RFC 5280 reason codes."""
        ...

    def chain(self) -> Sequence[x509.Certificate]:
        """Issuing CA first, root last."""
        ...

    def knows(self, serial: int) -> bool:
        """True when the CA has signed that serial (for reconciliation)."""
        ...

    def issued_serials(self) -> Sequence[int]: ...

    @property
    def supports_hold(self) -> bool:
        """True when the CA publishes a hold as certificateHold and can lift it (`release_hold`); False: holds
        live in the branch database only and `release_hold` is never called."""
        ...

    def release_hold(self, serial: int) -> None:
        """Lift a certificateHold (효력회복). Raises LifecycleError (kind NOT_ON_HOLD) when the serial is not held."""
        ...

    def issued_at(self, serial: int) -> datetime | None:
        """When the CA signed that serial (None if it never did): reconciliation leaves younger work alone."""
        ...


# ---------------------------------------------------------------------------------------------- ID check


@dataclass(frozen=True, slots=True)
class IdCheckRequest:
    document_type: IdDocumentType
    name: str
    rrn: str | None  # digits only; kept in memory only
    document_number: str | None
    issue_date: date | None


@dataclass(frozen=True, slots=True)
class IdCheckResponse:
    result: AuthenticityResult
    request_id: str
    checked_at: datetime
    message: str  # Korean, for the teller


class IdAuthenticityService(Protocol):
    """신분증 진위확인. The real service is KFTC's relay to the issuing ministry; the embedded implementation is a
    training registry."""

    def check(self, request: IdCheckRequest) -> IdCheckResponse: ...


# ---------------------------------------------------------------------------------------------- printing


class DocumentRenderer(Protocol):
    def receipt(self, data: ReceiptData, *, geometry: str = "roll80") -> bytes:
        """PDF bytes. geometry: "roll80" (80 mm roll) or "a4" (two-part)."""
        ...

    def daily_report(self, data: DailyReportData) -> bytes: ...

    def audit_extract(self, data: AuditExtractData) -> bytes: ...

    def registration_slip(self, data: RegistrationSlipData, *, geometry: str = "roll80") -> bytes:
        """The sealed slip of an online registration; `data.auth_code` None renders the archive copy without it."""
        ...

    def unprintable(self, text: str) -> set[str]:
        """Characters of `text` the embedded font cannot draw."""
        ...


@dataclass(frozen=True, slots=True)
class PrintJob:
    printer: str
    job_id: str | None
    completed: bool
    message: str


class Printer(Protocol):
    name: str

    def print_pdf(self, pdf_path: Path, *, timeout_s: float = 30.0) -> PrintJob:
        """Submit and wait until completed or timeout. Raises PrinterError when offline or the scheduler is down."""
        ...


# ---------------------------------------------------------------------------------------------- storage


class StaffRepository(Protocol):
    def get(self, staff_id: str) -> StaffRecord | None: ...
    def add(self, staff: StaffRecord) -> None: ...
    def update(self, staff: StaffRecord) -> None: ...
    def list(self) -> list[StaffRecord]: ...


class CustomerRepository(Protocol):
    def get(self, customer_id: str) -> CustomerRecord | None: ...
    def find_by_rrn_hash(self, rrn_hash: str) -> CustomerRecord | None: ...
    def add(self, customer: CustomerRecord) -> None: ...
    def update(self, customer: CustomerRecord) -> None: ...
    def search(self, text: str, limit: int = 20) -> list[CustomerRecord]:
        """By name substring or masked-RRN prefix (never by plaintext RRN)."""
        ...

    def add_evidence(self, evidence: IdEvidence) -> None: ...
    def latest_evidence(self, customer_id: str) -> IdEvidence | None: ...
    def evidence_between(self, since: datetime, until: datetime) -> list[IdEvidence]: ...


class CertificateRepository(Protocol):
    def get(self, serial: str) -> CertificateRecord | None: ...
    def add(self, cert: CertificateRecord) -> None: ...
    def update(self, cert: CertificateRecord) -> None: ...
    def by_customer(self, customer_id: str) -> list[CertificateRecord]: ...
    def search(
        self, *, status: CertStatus | None = None, customer_id: str | None = None, serial_prefix: str | None = None,
        limit: int = 100,
    ) -> list[CertificateRecord]: ...
    def expiring(self, before: datetime, limit: int = 500) -> list[CertificateRecord]:
        """Active or held certificates whose not_after < before, soonest first."""
        ...

    def with_status(self, status: CertStatus) -> list[CertificateRecord]: ...


class ApprovalRepository(Protocol):
    def add(self, approval: ApprovalRecord) -> None: ...
    def get(self, approval_id: str) -> ApprovalRecord | None: ...
    def mark_used(self, approval_id: str, at: datetime) -> bool:
        """Atomically set used_at if still unused; False when already used (reuse refused)."""
        ...


class AuditRepository(Protocol):
    def append(self, draft: AuditDraft) -> AuditEvent:
        """Assign the next per-branch seq, chain it to the head (teller.audit_chain), insert. Serialised against
        concurrent writers (BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL)."""
        ...

    def head(self) -> tuple[int, str]:
        """(last seq, last hash); (0, GENESIS) when empty."""
        ...

    def page(self, flt: AuditFilter, *, before_seq: int | None = None, limit: int = 50) -> list[AuditEvent]:
        """Newest first, keyset-paged by seq."""
        ...

    def count(self, flt: AuditFilter) -> int: ...
    def get(self, seq: int) -> AuditEvent | None: ...
    def range(self, after_seq: int, limit: int) -> list[AuditEvent]:
        """Oldest first, seq > after_seq: for chain verification and sync batches."""
        ...


class ReceiptRepository(Protocol):
    def add(self, receipt: ReceiptRecord) -> None: ...
    def get(self, transaction: str) -> ReceiptRecord | None: ...
    def update(self, receipt: ReceiptRecord) -> None: ...
    def between(self, since: datetime, until: datetime) -> list[ReceiptRecord]: ...


class BranchRepository(Protocol):
    def info(self) -> BranchInfo | None: ...
    def set_info(self, info: BranchInfo) -> None: ...
    def register_terminal(self, terminal_id: str, at: datetime) -> None: ...
    def next_number(self, counter: str) -> int:
        """Gap-free per-branch counter (e.g. "transaction:20261125")."""
        ...

    def sync_state(self) -> SyncState: ...
    def set_sync_state(self, state: SyncState) -> None: ...


class UnitOfWork(Protocol):
    """One business transaction: repositories share one database transaction, committed once."""

    @property
    def branch(self) -> BranchRepository: ...
    @property
    def staff(self) -> StaffRepository: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def certificates(self) -> CertificateRepository: ...
    @property
    def approvals(self) -> ApprovalRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def receipts(self) -> ReceiptRepository: ...

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, exc_type: type[BaseException] | None, exc_value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        """Roll back unless committed."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class BranchStore(Protocol):
    branch_id: str

    def unit_of_work(self) -> UnitOfWork: ...
    def migrate(self) -> None: ...
    def iter_audit(self, after_seq: int = 0, batch: int = 5000) -> Iterator[AuditEvent]:
        """Every event oldest first, in its own read transaction(s)."""
        ...

    def iter_audit_checked(self, batch: int = 5000) -> Generator[AuditEvent | VerifiedRun, None, None]:
        """`iter_audit()` for chain verification: where the store has already checked a run of events (hashes
        over their stored records, links, columns against records) it yields the run as one `VerifiedRun`;
        `teller.audit_chain.verify_chain` gives the same verdicts either way."""
        ...

    def dispose(self) -> None:
        """Close the store's connections (a one-shot command, before it exits)."""
        ...

# ---------------------------------------------------------------------------------------------- head office


@dataclass(frozen=True, slots=True)
class QuarantinedEvent:
    """An event head office refused to store (e.g. a leaked secret) but kept in its chain by seq and hash."""

    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Head office's answer to one batch. `watermark` = the highest seq it holds or quarantined contiguously (the
    ack); `quarantined` = the events of this batch it refused to store, each with its reason."""

    watermark: int
    inserted: int
    duplicates: int
    refused_reason: str | None = None
    quarantined: tuple[QuarantinedEvent, ...] = ()

    @property
    def refused(self) -> bool:
        return self.refused_reason is not None


class Upstream(Protocol):
    """Head office. Adapter: `db.headoffice.HeadOffice`. Raises `UpstreamError` on connection-type failures only;
    refusals come back in `ApplyResult.refused_reason`, quarantined events in `ApplyResult.quarantined`."""

    def apply_batch(self, branch_id: str, events: list[dict[str, Any]]) -> ApplyResult: ...

    def close(self) -> None:
        """Release the connection (the sync worker calls it once, when it stops)."""
        ...


# ---------------------------------------------------------------------------------------- online registration


@dataclass(frozen=True, slots=True)
class OnlineRegistration:
    """What the CA answers a registration with. `auth_code` exists in memory only: shown and printed once."""

    reference: str  # 참조번호 (the CMP senderKID)
    auth_code: str  # 인가코드 (the PBM secret)
    expires_at: datetime


RegistrationState = Literal["open", "used", "locked", "cancelled", "expired"]


class OnlineRegistrar(Protocol):
    """The CA's registration desk (the bank is its registration agent). Adapter: `ca_service.registrar`.
    Raises `UpstreamError` when the CA cannot be reached; nothing is registered then."""

    def register(self, real_name: str, kind: CertKind, rrn: str, valid_for: timedelta) -> OnlineRegistration:
        """A new one-time registration; the CA makes the reference and the code, and keeps the resident number
        (sealed) to check the VID material of the customer's request against it."""
        ...

    def cancel(self, reference: str) -> bool:
        """True when an open registration was cancelled; False when it was already used, locked or gone."""
        ...

    def state(self, reference: str, now: datetime) -> RegistrationState | None: ...

    def day_summary(self, since: datetime, until: datetime, now: datetime) -> dict[RegistrationState, int]:
        """How the registrations this branch made in [since, until) stand now (used = redeemed)."""
        ...


class CmpTransport(Protocol):
    """One CMP request/response exchange (RFC 6712: HTTP POST, application/pkixcmp). Adapter: `cli.cmp_http`.
    Raises `UpstreamError` when the CA cannot be reached or does not answer in CMP."""

    def exchange(self, request_der: bytes) -> bytes: ...
