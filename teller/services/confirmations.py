"""The customer's printed confirmation for a lifecycle action: recorded inside the action's unit of work,
printed after the commit (task F's `teller.services.receipts`)."""

from __future__ import annotations

import logging
from datetime import datetime
from teller.domain import Action, CertificateRecord, CustomerRecord, ReceiptRecord, StaffSession
from teller.errors import TellerError
from teller.ports import UnitOfWork
from teller.services.context import Deps
from teller.services.receipts import ReceiptOutcome, build_receipt_data, print_receipt, record_receipt

log = logging.getLogger(__name__)


def record_confirmation(
    deps: Deps,
    uow: UnitOfWork,
    session: StaffSession,
    *,
    action: Action,
    transaction: str,
    customer: CustomerRecord,
    cert: CertificateRecord | None,
    fee_krw: int,
    notes: list[str],
    at: datetime,
) -> ReceiptRecord:
    """Render and record the receipt in `uow`."""
    data = build_receipt_data(deps, session=session, action=action.value, transaction=transaction,
                              customer=customer, cert=cert, fee_krw=fee_krw, notes=notes, at=at)
    return record_receipt(deps, uow, session, data)


def print_confirmation(deps: Deps, session: StaffSession, transaction: str) -> ReceiptOutcome | None:
    """Print after the action committed. A printer problem never undoes the action: the receipt stays recorded
    as not printed (reprint later) and the outcome says so."""
    try:
        return print_receipt(deps, session, transaction)
    except TellerError as exc:
        log.warning("receipt %s not printed: %s", transaction, exc.message_en)
        return None
