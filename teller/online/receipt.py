"""The confirmation a customer keeps after issuing at home: the receipt's facts, with the online path's own
wording (no branch, no teller; the resident number masked as on every receipt)."""

from __future__ import annotations

from datetime import datetime, timezone

from cryptography import x509

from teller.documents import ReceiptData
from teller.domain import Action, CertKind
from teller.identity.names import mask_stored_name
from teller.identity.rrn import parse_rrn
from teller.pki import profile
from teller.services.receipts import verification_code
from teller.services.support import serial_hex

ONLINE_BRANCH_ID = "online"


def online_receipt_data(cert: x509.Certificate, rrn: str, *, action: Action = Action.ISSUE, language: str = "ko",
                        at: datetime | None = None) -> ReceiptData:
    serial = serial_hex(cert.serial_number)
    name = profile.real_name_of(cert) or "-"
    oid = profile.policy_oid_of(cert)
    kind = CertKind.from_policy_oid(oid) if oid else None
    transaction = f"ONLINE-{serial[:16].upper()}"
    return ReceiptData(
        bank_name="공동인증서 온라인 발급", branch_name="고객 PC (Customer's PC)", branch_id=ONLINE_BRANCH_ID,
        teller_id="-", terminal_id="-", at=at or datetime.now(timezone.utc), transaction=transaction,
        action=action.value, cert_kind=kind.value if kind else None, subject_name=name, subject_name_masked=mask_stored_name(name),
        rrn_masked=parse_rrn(rrn).masked, serial=serial, issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, fee_krw=0,
        verification=verification_code(transaction, serial, ONLINE_BRANCH_ID),
        notes=["참조번호·인가코드로 고객 PC에서 발급 (issued at home with the slip's codes)"], language=language)
