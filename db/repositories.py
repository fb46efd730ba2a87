"""Repositories implementing `teller.ports`: Core statements on one shared session, plain dataclasses out.

Every statement goes through `Db.run`, which turns driver errors into `teller.errors.StorageError` with a
Korean message, so no SQLAlchemy exception (or traceback) reaches a screen.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, and_, exc, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Executable

from db.models import (
    Approval,
    AuditEventRow,
    Base,
    Branch,
    Certificate,
    Counter,
    Customer,
    IdEvidenceRow,
    Receipt,
    Staff,
    SyncStateRow,
    Terminal,
)
from teller.audit_chain import GENESIS, canonical_content, chain_hash
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
    Role,
    StaffRecord,
    SyncState,
    text_value,
)
from teller.errors import CertificateInForce, NotFound, StorageError

def _table(model: type[Base]) -> Table:
    """A model's table, typed as the `Table` it is (`__table__` is declared as any `FromClause`)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


T_BRANCH = _table(Branch)
T_TERMINAL = _table(Terminal)
T_STAFF = _table(Staff)
T_CUSTOMER = _table(Customer)
T_EVIDENCE = _table(IdEvidenceRow)
T_CERT = _table(Certificate)
T_APPROVAL = _table(Approval)
T_AUDIT = _table(AuditEventRow)
T_RECEIPT = _table(Receipt)
T_COUNTER = _table(Counter)
T_SYNC = _table(SyncStateRow)


# ---------------------------------------------------------------------------------------------- errors


def storage_error(error: exc.SQLAlchemyError) -> StorageError:
    """A driver error as the message a teller can act on (no SQL, no parameters)."""
    orig = getattr(error, "orig", None) or error
    first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    low = first_line.lower()
    if isinstance(error, exc.IntegrityError):
        return StorageError(
            "지점 데이터베이스에 저장할 수 없습니다: 같은 기록이 이미 있거나 연결된 기록이 없습니다.",
            f"branch database refused the change (constraint): {first_line}",
        )
    if "locked" in low or "busy" in low:
        return StorageError(
            "지점 데이터베이스를 사용할 수 없습니다: 다른 단말이 사용 중입니다. 잠시 후 다시 시도하십시오.",
            f"branch database is locked by another terminal; try again shortly ({first_line})",
        )
    return StorageError(
        f"지점 데이터베이스를 사용할 수 없습니다: {first_line}",
        f"branch database unavailable: {first_line}",
    )


class Db:
    """The unit of work's session, with error translation and the dialect's upsert."""

    def __init__(self, session: Session, branch_id: str) -> None:
        self.session = session
        self.branch_id = branch_id
        self.dialect = session.get_bind().dialect.name

    def run(self, stmt: Executable, params: Any = None) -> Any:
        try:
            return self.session.execute(stmt, params) if params is not None else self.session.execute(stmt)
        except exc.SQLAlchemyError as error:
            raise storage_error(error) from None

    def insert(self, table: Any) -> Any:
        """INSERT with `on_conflict_do_*` for the current dialect (SQLite ≥ 3.24 and PostgreSQL)."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        raise StorageError("지원하지 않는 데이터베이스입니다", f"unsupported database dialect {self.dialect}")


def _values(record: Any, table: Any, **override: Any) -> dict[str, Any]:
    """Dataclass fields → column values (enums by value)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name in override:
            out[column.name] = override[column.name]
        elif hasattr(record, column.name):
            value = getattr(record, column.name)
            out[column.name] = value.value if hasattr(value, "value") and not isinstance(value, bool) else value
    return out


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------------------------------------- branch


class SqlBranchRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def info(self) -> BranchInfo | None:
        row = self._db.run(select(T_BRANCH).where(T_BRANCH.c.branch_id == self._db.branch_id)).first()
        return None if row is None else BranchInfo(row.branch_id, row.branch_name, row.bank_name, row.bank_code)

    def set_info(self, info: BranchInfo) -> None:
        values = _values(info, T_BRANCH)
        stmt = self._db.insert(T_BRANCH).values(values)
        stmt = stmt.on_conflict_do_update(index_elements=["branch_id"],
                                          set_={k: v for k, v in values.items() if k != "branch_id"})
        self._db.run(stmt)

    def register_terminal(self, terminal_id: str, at: datetime) -> None:
        stmt = self._db.insert(T_TERMINAL).values(terminal_id=terminal_id, registered_at=at, last_seen_at=at)
        self._db.run(stmt.on_conflict_do_update(index_elements=["terminal_id"], set_={"last_seen_at": at}))

    def next_number(self, counter: str) -> int:
        stmt = (
            self._db.insert(T_COUNTER)
            .values(name=counter, value=1)
            .on_conflict_do_update(index_elements=["name"], set_={"value": T_COUNTER.c.value + 1})
            .returning(T_COUNTER.c.value)
        )
        return int(self._db.run(stmt).scalar_one())

    def sync_state(self) -> SyncState:
        row = self._db.run(select(T_SYNC).where(T_SYNC.c.id == 1)).first()
        if row is None:
            return SyncState()
        return SyncState(row.acked_seq, row.last_success, row.last_error, row.last_attempt)

    def set_sync_state(self, state: SyncState) -> None:
        values = _values(state, T_SYNC, id=1)
        stmt = self._db.insert(T_SYNC).values(values)
        self._db.run(stmt.on_conflict_do_update(index_elements=["id"],
                                                set_={k: v for k, v in values.items() if k != "id"}))


# ---------------------------------------------------------------------------------------------- staff


def _staff(row: Row[Any]) -> StaffRecord:
    return StaffRecord(
        staff_id=row.staff_id, name=row.name, role=Role(row.role), password_hash=row.password_hash,
        failed_attempts=row.failed_attempts, locked=row.locked, active=row.active, created_at=row.created_at,
        password_changed_at=row.password_changed_at, must_change_password=row.must_change_password,
    )


class SqlStaffRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def get(self, staff_id: str) -> StaffRecord | None:
        row = self._db.run(select(T_STAFF).where(T_STAFF.c.staff_id == staff_id)).first()
        return None if row is None else _staff(row)

    def add(self, staff: StaffRecord) -> None:
        self._db.run(insert(T_STAFF).values(_values(staff, T_STAFF)))

    def update(self, staff: StaffRecord) -> None:
        values = _values(staff, T_STAFF)
        result = self._db.run(update(T_STAFF).where(T_STAFF.c.staff_id == staff.staff_id).values(values))
        if result.rowcount == 0:
            raise NotFound(f"직원을 찾을 수 없습니다: {staff.staff_id}", f"no staff member {staff.staff_id}")

    def list(self) -> list[StaffRecord]:
        return [_staff(r) for r in self._db.run(select(T_STAFF).order_by(T_STAFF.c.staff_id))]


# ---------------------------------------------------------------------------------------------- customers


def _customer(row: Row[Any]) -> CustomerRecord:
    return CustomerRecord(
        customer_id=row.customer_id, name=row.name, rrn_encrypted=bytes(row.rrn_encrypted),
        rrn_hash=row.rrn_hash, rrn_masked=row.rrn_masked, is_foreigner=row.is_foreigner,
        created_at=row.created_at,
    )


def _evidence(row: Row[Any]) -> IdEvidence:
    return IdEvidence(
        evidence_id=row.evidence_id, customer_id=row.customer_id, document_type=IdDocumentType(row.document_type),
        document_number_masked=row.document_number_masked, issue_date=row.issue_date,
        result=AuthenticityResult(row.result), request_id=row.request_id, checked_at=row.checked_at,
        photo_attested=row.photo_attested, staff_id=row.staff_id,
    )


class SqlCustomerRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def get(self, customer_id: str) -> CustomerRecord | None:
        row = self._db.run(select(T_CUSTOMER).where(T_CUSTOMER.c.customer_id == customer_id)).first()
        return None if row is None else _customer(row)

    def find_by_rrn_hash(self, rrn_hash: str) -> CustomerRecord | None:
        row = self._db.run(select(T_CUSTOMER).where(T_CUSTOMER.c.rrn_hash == rrn_hash)).first()
        return None if row is None else _customer(row)

    def add(self, customer: CustomerRecord) -> None:
        self._db.run(insert(T_CUSTOMER).values(_values(customer, T_CUSTOMER)))

    def update(self, customer: CustomerRecord) -> None:
        values = _values(customer, T_CUSTOMER)
        result = self._db.run(
            update(T_CUSTOMER).where(T_CUSTOMER.c.customer_id == customer.customer_id).values(values))
        if result.rowcount == 0:
            raise NotFound("고객을 찾을 수 없습니다", f"no customer {customer.customer_id}")

    def search(self, text: str, limit: int = 20) -> list[CustomerRecord]:
        text = text.strip()
        if not text:
            return []
        pattern = _like_escape(text)
        stmt = (
            select(T_CUSTOMER)
            .where(T_CUSTOMER.c.name.like(f"%{pattern}%", escape="\\")
                   | T_CUSTOMER.c.rrn_masked.like(f"{pattern}%", escape="\\"))
            .order_by(T_CUSTOMER.c.name, T_CUSTOMER.c.customer_id)
            .limit(limit)
        )
        return [_customer(r) for r in self._db.run(stmt)]

    def add_evidence(self, evidence: IdEvidence) -> None:
        self._db.run(insert(T_EVIDENCE).values(_values(evidence, T_EVIDENCE)))

    def latest_evidence(self, customer_id: str) -> IdEvidence | None:
        stmt = (select(T_EVIDENCE).where(T_EVIDENCE.c.customer_id == customer_id)
                .order_by(T_EVIDENCE.c.checked_at.desc(), T_EVIDENCE.c.evidence_id.desc()).limit(1))
        row = self._db.run(stmt).first()
        return None if row is None else _evidence(row)

    def evidence_between(self, since: datetime, until: datetime) -> list[IdEvidence]:
        stmt = (select(T_EVIDENCE)
                .where(T_EVIDENCE.c.checked_at >= since, T_EVIDENCE.c.checked_at < until)
                .order_by(T_EVIDENCE.c.checked_at, T_EVIDENCE.c.evidence_id))
        return [_evidence(r) for r in self._db.run(stmt)]


# ---------------------------------------------------------------------------------------------- certificates


def _cert(row: Row[Any]) -> CertificateRecord:
    return CertificateRecord(
        serial=row.serial, customer_id=row.customer_id, kind=CertKind(row.kind), subject_dn=row.subject_dn,
        issuer_dn=row.issuer_dn, policy_oid=row.policy_oid, not_before=row.not_before, not_after=row.not_after,
        status=CertStatus(row.status), transaction=row.transaction, fee_krw=row.fee_krw, issued_by=row.issued_by,
        created_at=row.created_at, media_label=row.media_label, folder=row.folder, confirmed_at=row.confirmed_at,
        revoked_at=row.revoked_at,
        revocation_reason=RevocationReason(row.revocation_reason) if row.revocation_reason else None,
        held_at=row.held_at, hold_until=row.hold_until, replaces_serial=row.replaces_serial,
        replaced_by_serial=row.replaced_by_serial,
    )


def _violates_one_in_force(error: exc.IntegrityError) -> bool:
    """The unique violation of `uq_certificates_one_in_force`. PostgreSQL names the index; SQLite gives only the
    extended code, and an UPDATE by primary key can violate no other unique index of `certificates`."""
    import sqlite3

    orig = error.orig
    if isinstance(orig, sqlite3.IntegrityError):
        return orig.sqlite_errorcode == sqlite3.SQLITE_CONSTRAINT_UNIQUE
    import psycopg

    return isinstance(orig, psycopg.errors.UniqueViolation) and \
        orig.diag.constraint_name == "uq_certificates_one_in_force"


class SqlCertificateRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def get(self, serial: str) -> CertificateRecord | None:
        row = self._db.run(select(T_CERT).where(T_CERT.c.serial == serial.lower())).first()
        return None if row is None else _cert(row)

    def add(self, cert: CertificateRecord) -> None:
        self._db.run(insert(T_CERT).values(_values(cert, T_CERT, serial=cert.serial.lower())))

    def update(self, cert: CertificateRecord) -> None:
        values = _values(cert, T_CERT, serial=cert.serial.lower())
        stmt = update(T_CERT).where(T_CERT.c.serial == cert.serial.lower()).values(values)
        try:
            result: Any = self._db.session.execute(stmt)  # CursorResult: rowcount below
        except exc.IntegrityError as error:
            if _violates_one_in_force(error):
                raise CertificateInForce(
                    "이 고객에게 같은 종류의 유효한 인증서가 이미 있습니다(다른 창구에서 먼저 처리되었습니다). "
                    "발급을 취소했습니다",
                    f"the customer already holds a {cert.kind.value} certificate in force (another counter was "
                    f"first); {cert.serial} was not activated") from None
            raise storage_error(error) from None
        except exc.SQLAlchemyError as error:
            raise storage_error(error) from None
        if result.rowcount == 0:
            raise NotFound(f"인증서를 찾을 수 없습니다: {cert.serial}", f"no certificate {cert.serial}")

    def by_customer(self, customer_id: str) -> list[CertificateRecord]:
        stmt = (select(T_CERT).where(T_CERT.c.customer_id == customer_id)
                .order_by(T_CERT.c.created_at, T_CERT.c.serial))
        return [_cert(r) for r in self._db.run(stmt)]

    def search(
        self, *, status: CertStatus | None = None, customer_id: str | None = None, serial_prefix: str | None = None,
        limit: int = 100,
    ) -> list[CertificateRecord]:
        conditions: list[ColumnElement[bool]] = []
        if status is not None:
            conditions.append(T_CERT.c.status == CertStatus(status).value)
        if customer_id is not None:
            conditions.append(T_CERT.c.customer_id == customer_id)
        if serial_prefix:
            prefix = _like_escape(serial_prefix.strip().lower().replace(":", ""))
            conditions.append(T_CERT.c.serial.like(f"{prefix}%", escape="\\"))
        stmt = (select(T_CERT).where(and_(True, *conditions))
                .order_by(T_CERT.c.created_at.desc(), T_CERT.c.serial).limit(limit))
        return [_cert(r) for r in self._db.run(stmt)]

    def expiring(self, before: datetime, limit: int = 500) -> list[CertificateRecord]:
        stmt = (select(T_CERT)
                .where(T_CERT.c.status.in_([CertStatus.ACTIVE.value, CertStatus.HELD.value]),
                       T_CERT.c.not_after < before)
                .order_by(T_CERT.c.not_after, T_CERT.c.serial).limit(limit))
        return [_cert(r) for r in self._db.run(stmt)]

    def with_status(self, status: CertStatus) -> list[CertificateRecord]:
        stmt = (select(T_CERT).where(T_CERT.c.status == CertStatus(status).value)
                .order_by(T_CERT.c.created_at, T_CERT.c.serial))
        return [_cert(r) for r in self._db.run(stmt)]


# ---------------------------------------------------------------------------------------------- approvals


def _approval(row: Row[Any]) -> ApprovalRecord:
    return ApprovalRecord(
        approval_id=row.approval_id, action=row.action, binding=row.binding, requester_id=row.requester_id,
        approver_id=row.approver_id, reason=row.reason, created_at=row.created_at, expires_at=row.expires_at,
        used_at=row.used_at,
    )


class SqlApprovalRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, approval: ApprovalRecord) -> None:
        self._db.run(insert(T_APPROVAL).values(_values(approval, T_APPROVAL)))

    def get(self, approval_id: str) -> ApprovalRecord | None:
        row = self._db.run(select(T_APPROVAL).where(T_APPROVAL.c.approval_id == approval_id)).first()
        return None if row is None else _approval(row)

    def mark_used(self, approval_id: str, at: datetime) -> bool:
        # one conditional UPDATE: two terminals racing for the same approval cannot both win
        stmt = (update(T_APPROVAL)
                .where(T_APPROVAL.c.approval_id == approval_id, T_APPROVAL.c.used_at.is_(None))
                .values(used_at=at))
        return bool(self._db.run(stmt).rowcount == 1)


# ---------------------------------------------------------------------------------------------- audit

AUDIT_COLUMNS = (
    T_AUDIT.c.branch_id, T_AUDIT.c.seq, T_AUDIT.c.event_id, T_AUDIT.c.at, T_AUDIT.c.terminal_id,
    T_AUDIT.c.staff_id, T_AUDIT.c.action, T_AUDIT.c.result, T_AUDIT.c.customer_ref, T_AUDIT.c.subject,
    T_AUDIT.c.details, T_AUDIT.c.prev_hash, T_AUDIT.c.hash, T_AUDIT.c.record,
)


def audit_event(row: Any) -> AuditEvent:
    """Row (in AUDIT_COLUMNS order) → AuditEvent; positional for speed (chain verification maps millions)."""
    return AuditEvent(*row)


def audit_conditions(branch_id: str, flt: AuditFilter) -> list[ColumnElement[bool]]:
    """`since` inclusive, `until` exclusive."""
    conditions: list[ColumnElement[bool]] = [T_AUDIT.c.branch_id == branch_id]
    if flt.since is not None:
        conditions.append(T_AUDIT.c.at >= flt.since)
    if flt.until is not None:
        conditions.append(T_AUDIT.c.at < flt.until)
    if flt.staff_id is not None:
        conditions.append(T_AUDIT.c.staff_id == flt.staff_id)
    if flt.action is not None:
        conditions.append(T_AUDIT.c.action == text_value(flt.action))
    if flt.customer_ref is not None:
        conditions.append(T_AUDIT.c.customer_ref == flt.customer_ref)
    return conditions


def _floats_as_text(value: Any) -> Any:
    """PostgreSQL's JSONB rewrites numbers (1e16 reads back as 10000000000000000), which would change the
    canonical bytes the chain hashed: a float is kept as its repr text, which every database returns as is."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {k: _floats_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats_as_text(v) for v in value]
    return value


def _json_normal(details: Mapping[str, Any]) -> dict[str, Any]:
    """The details exactly as they will read back from the database (tuples → lists, keys → str, floats → text)."""
    try:
        normal = _floats_as_text(json.loads(json.dumps(dict(details), ensure_ascii=False)))
    except (TypeError, ValueError) as error:
        raise StorageError("감사 기록의 세부 내용을 저장할 수 없습니다 (JSON 아님)",
                           f"audit details are not JSON-serialisable: {error}") from None
    assert isinstance(normal, dict)  # a dict through JSON is a dict
    return normal


class SqlAuditRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def _lock(self) -> None:
        """Serialise appends of this branch. SQLite: BEGIN IMMEDIATE already holds the database write lock.
        PostgreSQL: upserting the branch's counter row locks it until this transaction ends."""
        if self._db.dialect == "sqlite":
            return
        stmt = (self._db.insert(T_COUNTER).values(name=f"audit:{self._db.branch_id}", value=1)
                .on_conflict_do_update(index_elements=["name"], set_={"value": T_COUNTER.c.value + 1}))
        self._db.run(stmt)

    def append(self, draft: AuditDraft) -> AuditEvent:
        self._lock()
        head_seq, head_hash = self.head()
        details = _json_normal(draft.details)
        event = AuditEvent(
            branch_id=self._db.branch_id, seq=head_seq + 1, event_id=uuid.uuid4().hex,
            at=draft.at, terminal_id=draft.terminal_id, staff_id=draft.staff_id,
            action=text_value(draft.action), result=draft.result,
            customer_ref=draft.customer_ref, subject=draft.subject, details=details,
            prev_hash=head_hash, hash="",
        )
        try:
            content = canonical_content(
                branch_id=event.branch_id, seq=event.seq, event_id=event.event_id, at=event.at,
                terminal_id=event.terminal_id, staff_id=event.staff_id, action=event.action,
                result=event.result, customer_ref=event.customer_ref, subject=event.subject, details=details,
            )
        except ValueError as error:  # a naive timestamp
            raise StorageError("감사 기록 시각에 시간대가 없습니다", f"audit event rejected: {error}") from None
        event.hash = chain_hash(head_hash, content)
        event.record = content
        self._db.run(insert(T_AUDIT).values(
            {c.name: getattr(event, c.name) for c in AUDIT_COLUMNS}))
        return event

    def head(self) -> tuple[int, str]:
        stmt = (select(T_AUDIT.c.seq, T_AUDIT.c.hash).where(T_AUDIT.c.branch_id == self._db.branch_id)
                .order_by(T_AUDIT.c.seq.desc()).limit(1))
        row = self._db.run(stmt).first()
        return (0, GENESIS) if row is None else (int(row.seq), row.hash)

    def page(self, flt: AuditFilter, *, before_seq: int | None = None, limit: int = 50) -> list[AuditEvent]:
        conditions = audit_conditions(self._db.branch_id, flt)
        if before_seq is not None:
            conditions.append(T_AUDIT.c.seq < before_seq)
        stmt = select(*AUDIT_COLUMNS).where(*conditions).order_by(T_AUDIT.c.seq.desc()).limit(limit)
        return [audit_event(r) for r in self._db.run(stmt)]

    def count(self, flt: AuditFilter) -> int:
        stmt = select(func.count()).select_from(T_AUDIT).where(*audit_conditions(self._db.branch_id, flt))
        return int(self._db.run(stmt).scalar_one())

    def get(self, seq: int) -> AuditEvent | None:
        stmt = select(*AUDIT_COLUMNS).where(T_AUDIT.c.branch_id == self._db.branch_id, T_AUDIT.c.seq == seq)
        row = self._db.run(stmt).first()
        return None if row is None else audit_event(row)

    def range(self, after_seq: int, limit: int) -> list[AuditEvent]:
        stmt = (select(*AUDIT_COLUMNS).where(T_AUDIT.c.branch_id == self._db.branch_id, T_AUDIT.c.seq > after_seq)
                .order_by(T_AUDIT.c.seq).limit(limit))
        return [audit_event(r) for r in self._db.run(stmt)]


# ---------------------------------------------------------------------------------------------- receipts


def _receipt(row: Row[Any]) -> ReceiptRecord:
    return ReceiptRecord(
        transaction=row.transaction, action=row.action, pdf_path=row.pdf_path, sha256=row.sha256,
        created_at=row.created_at, staff_id=row.staff_id, printed_at=row.printed_at, printer=row.printer,
        job_id=row.job_id, reprints=row.reprints, last_error=row.last_error,
    )


class SqlReceiptRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, receipt: ReceiptRecord) -> None:
        self._db.run(insert(T_RECEIPT).values(_values(receipt, T_RECEIPT)))

    def get(self, transaction: str) -> ReceiptRecord | None:
        row = self._db.run(select(T_RECEIPT).where(T_RECEIPT.c.transaction == transaction)).first()
        return None if row is None else _receipt(row)

    def update(self, receipt: ReceiptRecord) -> None:
        values = _values(receipt, T_RECEIPT)
        result = self._db.run(
            update(T_RECEIPT).where(T_RECEIPT.c.transaction == receipt.transaction).values(values))
        if result.rowcount == 0:
            raise NotFound(f"영수증을 찾을 수 없습니다: {receipt.transaction}", f"no receipt {receipt.transaction}")

    def between(self, since: datetime, until: datetime) -> list[ReceiptRecord]:
        stmt = (select(T_RECEIPT).where(T_RECEIPT.c.created_at >= since, T_RECEIPT.c.created_at < until)
                .order_by(T_RECEIPT.c.created_at, T_RECEIPT.c.transaction))
        return [_receipt(r) for r in self._db.run(stmt)]
