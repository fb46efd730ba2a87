"""Wording and formats shared by the receipt and the reports (Korean first, English second)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from teller.action_labels import ACTION_LABELS, action_label

KST = timezone(timedelta(hours=9), "KST")

# The customer-facing actions a receipt or report names; their wording is the shared table's.
ACTION_TITLES: dict[str, tuple[str, str]] = {
    a: ACTION_LABELS[a] for a in ("issue", "renew", "reissue", "revoke", "hold", "release", "delete_from_media")
}

CERT_KINDS: dict[str, tuple[str, str]] = {
    "bank": ("은행·보험용(용도제한)", "Bank/insurance use"),
    "general": ("범용(개인)", "General purpose"),
    "corporate": ("범용(법인)", "Corporate general"),
}

EXCEPTION_KINDS: dict[str, tuple[str, str]] = {
    "approval": ("책임자 승인", "Manager approval"),
    "authenticity_failed": ("진위확인 실패", "ID check failed"),
    "repeated_reissue": ("반복 재발급", "Repeated reissue"),
    "after_hours": ("영업시간 외", "After hours"),
    "print_failed": ("인쇄 실패", "Print failed"),
    "call_identity_alert": ("고객센터 본인확인 반복 실패", "Repeated failed caller checks"),
}

LOSS_NOTICE = (
    "인증서(저장매체)를 분실하거나 비밀번호가 유출되면 즉시 거래 은행 또는 yessign에 폐지를 "
    "신청하십시오.",
    "If the certificate, its storage medium or password is lost or exposed, ask your bank or yessign to revoke it "
    "at once.",
)


def action_title(action: str, lang: str = "ko") -> str:
    return action_label(action, lang)


def kind_label(kind: str | None, lang: str = "ko") -> str:
    if not kind:
        return "-"
    ko, en = CERT_KINDS.get(kind, (kind, kind))
    return en if lang == "en" else ko


def exception_label(kind: str, lang: str = "ko") -> str:
    ko, en = EXCEPTION_KINDS.get(kind, (kind, kind))
    return en if lang == "en" else ko


def kst(when: datetime, *, seconds: bool = True) -> str:
    """`2026-11-25 14:03:12 KST` (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return when.astimezone(KST).strftime(fmt) + " KST"


def fee(amount_krw: int, lang: str = "ko") -> str:
    if amount_krw <= 0:
        return "Free" if lang == "en" else "무료"
    return f"KRW {amount_krw:,}" if lang == "en" else f"{amount_krw:,}원"
