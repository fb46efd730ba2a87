"""Obviously fake sample data for the printing tests (RRN 900101-1234568: born 1990-01-01, valid check digit)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from teller.documents import (
    AuditExtractData,
    AuditExtractRow,
    DailyReportData,
    ExceptionLine,
    ReceiptData,
    TellerDayLine,
)

FAKE_RRN = "9001011234568"
FAKE_RRN_HYPHEN = "900101-1234568"
AT = datetime(2026, 11, 25, 5, 3, 12, tzinfo=timezone.utc)  # 14:03:12 KST
ACTIONS = ("issue", "renew", "reissue", "revoke", "hold", "release", "delete_from_media")
SERIAL = "1f3a9c0b7d2e4f60a1b2"
ISSUER = "CN=yessignCA-Test Class 4 (branch-teller TEST),OU=AccreditedCA,O=yessign,C=kr"


def receipt(action: str = "issue", **kw: object) -> ReceiptData:
    with_cert = action != "delete_from_media"
    values: dict[str, object] = dict(
        bank_name="KB국민은행", branch_name="여의도영업부", branch_id="0815", teller_id="T1001", terminal_id="T01",
        at=AT, transaction="0815-20261125-00123", action=action,
        cert_kind="general" if with_cert else "bank",
        subject_name="홍길동", subject_name_masked="홍*동", rrn_masked="900101-1******",
        serial=SERIAL, issuer=ISSUER if with_cert else None,
        not_before=datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc) if with_cert else None,
        not_after=datetime(2027, 11, 25, 14, 59, 59, tzinfo=timezone.utc) if with_cert else None,
        fee_krw=4400 if action in ("issue", "renew", "reissue") else 0, verification="4821930575",
        revocation_reason="개인키 유출·분실" if action == "revoke" else None,
        notes=["이전 인증서 폐지: 0a1b2c3d (재발급으로 대체)"] if action == "reissue" else [],
    )
    values.update(kw)
    return ReceiptData(**values)  # type: ignore[arg-type]


def daily(chain_ok: bool = True, chain_checked: bool = True) -> DailyReportData:
    tellers = [
        TellerDayLine("T1001", "김창구", {"issue": 5, "renew": 2, "reissue": 1, "revoke": 1}, 35200, 8, 9),
        TellerDayLine("T1002", "이수납", {"issue": 3, "hold": 1, "release": 1, "delete_from_media": 1}, 13200, 6, 6),
    ]
    base = datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc)
    exceptions = [
        ExceptionLine(base + timedelta(hours=1, minutes=12), "T1001", "approval", "재발급 책임자 승인 M2001 (거래 0815-20261125-00007)"),
        ExceptionLine(base + timedelta(hours=2), "T1002", "authenticity_failed", "신분증 진위확인 불일치: 고객 c0ffee12"),
        ExceptionLine(base + timedelta(hours=3), "T1001", "repeated_reissue", "같은 고객 재발급 3회 (c0ffee12)"),
        ExceptionLine(base + timedelta(hours=8, minutes=30), "T1001", "after_hours", "17:30 KST 발급 0815-20261125-00031"),
        ExceptionLine(base + timedelta(hours=4), "T1001", "print_failed", "영수증 미인쇄 0815-20261125-00019 (프린터 오프라인)"),
    ]
    return DailyReportData(
        bank_name="KB국민은행", branch_name="여의도영업부", branch_id="0815", day=date(2026, 11, 25),
        generated_at=datetime(2026, 11, 25, 8, 40, tzinfo=timezone.utc), generated_by="M2001 박책임",
        tellers=tellers, exceptions=exceptions, chain_ok=chain_ok, chain_head_seq=412, total_fees_krw=48400,
        chain_checked=chain_checked,
    )


def extract(rows: int = 120) -> AuditExtractData:
    start = datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc)
    acts = ("sign_in", "customer_lookup", "issue", "receipt_printed", "revoke", "sign_out")
    return AuditExtractData(
        bank_name="KB국민은행", branch_name="여의도영업부", since=start, until=start + timedelta(days=2),
        generated_at=datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc), generated_by="A3001 감사인",
        rows=[AuditExtractRow(seq=i, at=start + timedelta(minutes=7 * i), staff_id="T1001", terminal_id="T01",
                              action=acts[i % len(acts)], result="ok", customer_ref="c0ffee12" + "0" * 24,
                              subject=f"0815-20261124-{i:05d}") for i in range(1, rows + 1)],
        chain_ok=True,
    )
