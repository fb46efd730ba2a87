"""The customer's receipt for a counter action: build the data, record it with the action, print, reprint.

Domain side: no PDF library here — rendering goes through `deps.renderer`, printing through `deps.printer`.

Flow: `record_receipt` renders and stores the PDF INSIDE the action's unit of work (the caller commits both);
`print_receipt` runs after the commit, once: a printer problem is recorded as "not printed – reprint" and never
retried automatically (a receipt must not come out hours later). `reprint_receipt` is its own audited action
and stamps the copy 재발행 (REPRINT).

Next to each PDF lies `<transaction>.json`: the ReceiptData as printed (already masked: the same facts the
paper shows), so a reprint shows exactly what the original did. It is checked before use: the original PDF must
still match the sha256 in the database and the JSON's verification code must recompute.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from teller.documents import ReceiptData
from teller.domain import Action, CertificateRecord, ReceiptRecord, StaffSession
from teller.errors import IntegrityError, NotFound, PrinterError, StorageError, ValidationError
from teller.identity.names import mask_stored_name
from teller.ports import UnitOfWork
from teller.services.context import Deps
from teller.services.support import COUNTER_ROLES, audit, kst_day, require_role

VERIFICATION_DIGITS = 10
NOT_PRINTED_KO = "인쇄되지 않음 – 재발행하십시오"
NOT_PRINTED_EN = "not printed – reprint"


class CustomerView(Protocol):
    """What a receipt needs of the customer: a `CustomerRecord` or any view with these attributes."""

    name: str
    rrn_masked: str


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    pdf_path: Path
    printed: bool
    message: str  # Korean, for the teller
    job_id: str | None = None
    message_en: str = ""


def verification_code(transaction: str, serial: str | None, branch_id: str) -> str:
    """Short code binding the transaction to the certificate serial and branch, printed and in both barcodes.

    10 decimal digits: the first 8 bytes of SHA-256("branch_id|transaction|serial") as a big-endian integer,
    modulo 10^10, zero-padded. Decimal (not hex) so Code128 packs it in its dense numeric set and the barcode
    fits 72 mm at 2 dots per module; a teller can also read it out over the phone. It is a consistency check
    against typos and altered copies, not a secret (no key), and carries nothing about the customer."""
    digest = hashlib.sha256(f"{branch_id}|{transaction}|{serial or ''}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**VERIFICATION_DIGITS).zfill(VERIFICATION_DIGITS)


def build_receipt_data(
    deps: Deps,
    *,
    session: StaffSession,
    action: str,
    transaction: str,
    customer: CustomerView,
    cert: CertificateRecord | None,
    fee_krw: int,
    notes: list[str],
    at: datetime,
) -> ReceiptData:
    """The printable facts of one action. Only masked personal data goes in (masked RRN; the full name appears
    only on the bank's copy of an A4 receipt)."""
    settings = deps.settings
    action = action.value if isinstance(action, Action) else action
    serial = cert.serial if cert else None
    reason = None
    if cert is not None and action == Action.REVOKE.value and cert.revocation_reason is not None:
        reason = cert.revocation_reason.label_ko
    return ReceiptData(
        bank_name=settings.bank_name,
        branch_name=settings.branch_name,
        branch_id=settings.branch_id,
        teller_id=session.staff_id,
        terminal_id=session.terminal_id or deps.terminal_id,
        at=at,
        transaction=transaction,
        action=action,
        cert_kind=cert.kind.value if cert else None,
        subject_name=customer.name,
        subject_name_masked=mask_stored_name(customer.name),
        rrn_masked=customer.rrn_masked,
        serial=serial,
        issuer=cert.issuer_dn if cert else None,
        not_before=cert.not_before if cert else None,
        not_after=cert.not_after if cert else None,
        fee_krw=fee_krw,
        verification=verification_code(transaction, serial, settings.branch_id),
        revocation_reason=reason,
        notes=list(notes),
        language=settings.language,
    )


# ---------------------------------------------------------------------------------------------- files


def _receipt_dir(deps: Deps, at: datetime) -> Path:
    return deps.settings.receipts_dir / kst_day(at).isoformat()


def _write_atomic(path: Path, content: bytes) -> None:
    """Write to a temp file in the same folder, fsync, rename: a crash leaves the old file or the new one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(f"영수증 파일을 저장하지 못했습니다: {exc.strerror or exc}",
                           f"could not save the receipt file {path.name}: {exc}") from exc


def write_receipt_file(path: Path, content: bytes) -> None:
    """A document archived beside the receipts (e.g. a registration slip's bank copy), written atomically."""
    _write_atomic(path, content)


def _data_to_json(data: ReceiptData) -> bytes:
    raw: dict[str, Any] = asdict(data)
    for key in ("at", "not_before", "not_after"):
        if raw[key] is not None:
            raw[key] = raw[key].isoformat()
    return json.dumps(raw, ensure_ascii=False, indent=1, sort_keys=True).encode()


def _data_from_json(blob: bytes) -> ReceiptData:
    raw = json.loads(blob)
    for key in ("at", "not_before", "not_after"):
        if raw.get(key):
            raw[key] = datetime.fromisoformat(raw[key])
    known = {f.name for f in fields(ReceiptData)}
    return ReceiptData(**{k: v for k, v in raw.items() if k in known})


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# ---------------------------------------------------------------------------------------------- record


def record_receipt(deps: Deps, uow: UnitOfWork, session: StaffSession, data: ReceiptData) -> ReceiptRecord:
    """Render, write `<receipts_dir>/<YYYY-MM-DD>/<transaction>.pdf` atomically and add the receipts row in the
    CALLER's unit of work (the caller commits it together with the action)."""
    pdf = deps.renderer.receipt(data, geometry=deps.settings.receipt_geometry)
    folder = _receipt_dir(deps, data.at)
    path = folder / f"{data.transaction}.pdf"
    _write_atomic(folder / f"{data.transaction}.json", _data_to_json(data))
    _write_atomic(path, pdf)
    record = ReceiptRecord(
        transaction=data.transaction,
        action=data.action,
        pdf_path=str(path),
        sha256=_sha256(pdf),
        created_at=data.at,
        staff_id=session.staff_id,
    )
    uow.receipts.add(record)
    return record


def _receipt_or_404(uow: UnitOfWork, transaction: str) -> ReceiptRecord:
    record = uow.receipts.get(transaction.strip())
    if record is None:
        raise NotFound(f"영수증을 찾을 수 없습니다 (거래번호 {transaction})", f"no receipt for transaction {transaction}")
    return record


def _submit(deps: Deps, path: Path) -> tuple[bool, str | None, str, str, str | None]:
    """(printed, job id, message ko, message en, printer name) — printer problems become a result, not a raise."""
    try:
        job = deps.printer.print_pdf(path, timeout_s=deps.settings.print_timeout_s)
    except PrinterError as exc:
        return False, None, f"{NOT_PRINTED_KO}: {exc.message}", f"{NOT_PRINTED_EN}: {exc.message_en}", None
    if not job.completed:
        return (False, job.job_id, f"{NOT_PRINTED_KO}: {job.message}", f"{NOT_PRINTED_EN}: {job.message}",
                job.printer)
    return True, job.job_id, job.message, "printed", job.printer


# ---------------------------------------------------------------------------------------------- print


def print_receipt(deps: Deps, session: StaffSession, transaction: str) -> ReceiptOutcome:
    """Print a recorded receipt once, after the action committed; record printed_at/job id or the error."""
    with deps.store.unit_of_work() as uow:
        record = _receipt_or_404(uow, transaction)
    path = Path(record.pdf_path)
    if not path.is_file():
        printed, job_id, msg, msg_en, printer = (False, None, f"{NOT_PRINTED_KO}: 영수증 파일이 없습니다",
                                                 f"{NOT_PRINTED_EN}: the receipt file is missing", None)
    else:
        printed, job_id, msg, msg_en, printer = _submit(deps, path)
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        record = _receipt_or_404(uow, transaction)
        if printed:
            record.printed_at, record.printer, record.job_id, record.last_error = now, printer, job_id, None
            audit(uow, deps, session.staff_id, Action.RECEIPT_PRINTED, "ok", at=now, subject=transaction,
                  printer=printer, job_id=job_id)
        else:
            record.last_error = msg_en[:500]
            audit(uow, deps, session.staff_id, Action.PRINT_FAILED, "failed", at=now, subject=transaction,
                  printer=deps.printer.name, error=msg_en[:500])
        uow.receipts.update(record)
        uow.commit()
    return ReceiptOutcome(path, printed, msg, job_id, msg_en)


def _original_data(deps: Deps, record: ReceiptRecord) -> ReceiptData:
    path = Path(record.pdf_path)
    try:
        original = path.read_bytes()
        blob = path.with_suffix(".json").read_bytes()
    except OSError as exc:
        raise NotFound(f"원본 영수증 파일이 없어 재발행할 수 없습니다 ({path.name})",
                       f"the original receipt files are missing ({path.name})") from exc
    if _sha256(original) != record.sha256:
        raise IntegrityError(f"원본 영수증 파일이 변경되었습니다 ({path.name}). 재발행하지 않습니다",
                             f"the original receipt file was altered ({path.name}); not reprinting")
    data = _data_from_json(blob)
    if data.transaction != record.transaction or data.verification != verification_code(
            data.transaction, data.serial, data.branch_id):
        raise IntegrityError("영수증 기록이 원본과 일치하지 않습니다. 재발행하지 않습니다",
                             "the stored receipt data does not match the original; not reprinting")
    return data


def reprint_receipt(deps: Deps, session: StaffSession, transaction: str) -> ReceiptOutcome:
    """Re-render the original receipt stamped 재발행 (REPRINT) as `<transaction>-R<n>.pdf`, print it, audit it."""
    require_role(session, COUNTER_ROLES, "영수증 재발행", "reprint a receipt")
    with deps.store.unit_of_work() as uow:
        record = _receipt_or_404(uow, transaction)
    data = _original_data(deps, record)
    data.reprint = True
    number = record.reprints + 1
    pdf = deps.renderer.receipt(data, geometry=deps.settings.receipt_geometry)
    path = Path(record.pdf_path).with_name(f"{record.transaction}-R{number}.pdf")
    _write_atomic(path, pdf)
    printed, job_id, msg, msg_en, printer = _submit(deps, path)
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        current = _receipt_or_404(uow, transaction)
        current.reprints = max(current.reprints, number)
        if printed:
            current.printed_at, current.printer, current.job_id, current.last_error = now, printer, job_id, None
        else:
            current.last_error = msg_en[:500]
        uow.receipts.update(current)
        audit(uow, deps, session.staff_id, Action.RECEIPT_REPRINTED, "ok" if printed else "failed", at=now,
              subject=transaction, reprint=number, file=path.name, sha256=_sha256(pdf), printer=printer,
              job_id=job_id, error=None if printed else msg_en[:500])
        uow.commit()
    return ReceiptOutcome(path, printed, msg, job_id, msg_en)
