"""How each audited action reads to a person (Korean first, English second).

The audit trail and its exports keep the stable identifiers (`Action` values); screens and reports show these
labels. One table for every layer, so the log review, the reports and the exports never disagree.
"""

from __future__ import annotations

from teller.domain import Action, text_value

ACTION_LABELS: dict[str, tuple[str, str]] = {
    Action.SIGN_IN.value: ("로그인", "Sign-in"),
    Action.SIGN_IN_FAILED.value: ("로그인 실패", "Sign-in failed"),
    Action.SIGN_OUT.value: ("로그아웃", "Sign-out"),
    Action.LOCK.value: ("화면 잠금", "Screen locked"),
    Action.UNLOCK.value: ("잠금 해제", "Unlocked"),
    Action.STAFF_ADDED.value: ("직원 등록", "Staff added"),
    Action.STAFF_LOCKED.value: ("직원 잠금", "Staff locked"),
    Action.STAFF_UNLOCKED.value: ("직원 잠금 해제", "Staff unlocked"),
    Action.STAFF_PASSWORD_RESET.value: ("직원 비밀번호 초기화", "Staff password reset"),
    Action.CUSTOMER_LOOKUP.value: ("고객 조회", "Customer look-up"),
    Action.CUSTOMER_IDENTIFIED.value: ("고객 실명확인", "Customer identified"),
    Action.RRN_REVEALED.value: ("주민번호 전체 조회", "Resident number revealed"),
    Action.ISSUE.value: ("발급", "Issuance"),
    Action.RENEW.value: ("갱신", "Renewal"),
    Action.REISSUE.value: ("재발급", "Reissuance"),
    Action.REVOKE.value: ("폐지", "Revocation"),
    Action.HOLD.value: ("효력정지", "Suspension"),
    Action.RELEASE.value: ("효력회복", "Reinstatement"),
    Action.DELETE_FROM_MEDIA.value: ("매체 삭제", "Deletion from media"),
    Action.REGISTER_ONLINE.value: ("온라인 발급 등록", "Registration for online issuance"),
    Action.CANCEL_ONLINE_REGISTRATION.value: ("온라인 발급 등록 취소", "Online registration cancelled"),
    Action.CALL_IDENTITY_CHECK.value: ("고객센터 본인확인", "Call-centre identity check"),
    Action.CALL_IDENTITY_ALERT.value: ("고객센터 본인확인 반복 실패", "Repeated failed call-centre identity checks"),
    Action.RECONCILE.value: ("발급 정합성 정리", "Reconciliation"),
    Action.APPROVAL_GRANTED.value: ("책임자 승인", "Approval granted"),
    Action.APPROVAL_REFUSED.value: ("책임자 승인 거절", "Approval refused"),
    Action.RECEIPT_PRINTED.value: ("영수증 출력", "Receipt printed"),
    Action.RECEIPT_REPRINTED.value: ("영수증 재출력", "Receipt reprinted"),
    Action.PRINT_FAILED.value: ("인쇄 실패", "Print failed"),
    Action.REPORT_PRINTED.value: ("보고서 출력", "Report printed"),
    Action.AUDIT_EXPORTED.value: ("감사로그 내보내기", "Audit exported"),
    Action.AUDIT_VERIFIED.value: ("무결성 검증", "Chain verified"),
    Action.SYNC.value: ("본점 전송", "Sync"),
    Action.SYNC_FAILED.value: ("본점 전송 실패", "Sync failed"),
    Action.SYNC_QUARANTINED.value: ("본점 격리 기록", "Event quarantined at head office"),
    Action.INIT.value: ("지점 초기화", "Branch initialised"),
}


def action_label(action: str, lang: str = "ko") -> str:
    """The label of an action value; an unknown value (a newer terminal's action) shows as itself."""
    ko, en = ACTION_LABELS.get(text_value(action), (text_value(action), text_value(action)))
    return en if lang == "en" else ko

RESULT_LABELS: dict[str, tuple[str, str]] = {
    "ok": ("정상", "ok"),
    "started": ("시작", "started"),
    "signed": ("서명됨", "signed"),
    "failed": ("실패", "failed"),
    "refused": ("거절", "refused"),
}


def result_label(result: str, lang: str = "ko") -> str:
    ko, en = RESULT_LABELS.get(result, (result, result))
    return en if lang == "en" else ko
