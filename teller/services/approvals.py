"""Dual control (domain-rules §6): a manager approves one exceptional action on the teller's terminal.

An approval is bound to exactly one action by a canonical `binding` string, used once, and expires after
`settings.approval_ttl_minutes`. The approver is an active manager other than the requester; a wrong manager
password counts towards that manager's lockout.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from teller.config import Settings
from teller.domain import Action, ApprovalRecord, Role, StaffSession, text_value
from teller.errors import ApprovalError, ApprovalRequired, ValidationError
from teller.ports import UnitOfWork
from teller.services.auth import check_staff_credentials
from teller.services.context import Deps
from teller.services.support import COUNTER_ROLES, audit, require_role

_ACTION_LABELS = {
    "reissue": ("재발급", "reissue"),
    "revoke": ("폐지", "revocation"),
    "hold": ("효력정지", "hold"),
    "issue_unverified": ("진위확인 미완료 발급", "issuance without a completed ID check"),
    "renew": ("갱신", "renewal"),
    "rrn_reveal": ("주민등록번호 전체 조회", "full resident number reveal"),
}


class ApprovalNeeded(ApprovalRequired):
    """Raised by a gated service without a valid approval id: the UI opens the manager dialog for `action`
    and `binding`, calls `approve` and retries with the returned id."""

    def __init__(self, action: str, binding: str) -> None:
        ko, en = _ACTION_LABELS.get(action, (action, action))
        super().__init__(f"{ko}에는 책임자 승인이 필요합니다", f"{en} needs a manager's approval",
                         action=action, binding=binding)


def is_gated(settings: Settings, action: str) -> bool:
    return action in settings.gated_actions


def binding_for(action: str, **fields: object) -> str:
    """Canonical text naming the one action an approval is for: "reissue|customer=…|serial=ab12".

    Fields are sorted by name; None values are left out; enum members contribute their value."""
    parts = [action]
    for name in sorted(fields):
        value = fields[name]
        if value is None:
            continue
        text = text_value(value).replace("|", "/")
        parts.append(f"{name}={text}")
    return "|".join(parts)


def approve(
    deps: Deps,
    requester: StaffSession,
    manager_id: str,
    manager_password: str,
    action: str,
    binding: str,
    reason: str,
) -> str:
    """Record a manager's approval of one action; returns the approval id to pass to the gated service."""
    require_role(requester, COUNTER_ROLES, "승인 요청", "request approvals")
    if not binding.startswith(action + "|") and binding != action:
        raise ValidationError("승인 대상이 작업과 맞지 않습니다", "the binding does not belong to the action")
    reason = (reason or "").strip()
    manager_id = (manager_id or "").strip()
    now = deps.clock.now()

    def refuse(uow: UnitOfWork, why: str, ko: str, en: str) -> ApprovalError:
        audit(uow, deps, requester.staff_id, Action.APPROVAL_REFUSED, "refused", at=now, subject=action,
              why=why, approver=manager_id or None, binding=binding)
        uow.commit()
        return ApprovalError(ko, en)

    with deps.store.unit_of_work() as uow:
        if manager_id == requester.staff_id:
            raise refuse(uow, "self_approval", "본인이 요청한 작업은 본인이 승인할 수 없습니다",
                         "you cannot approve your own request")
        if not reason:
            raise refuse(uow, "no_reason", "승인 사유를 입력하십시오", "give a reason for the approval")
        manager = check_staff_credentials(uow, deps, manager_id, manager_password, now, purpose="approval")
        if manager is None:
            record = uow.staff.get(manager_id)
            if record is not None and record.active and record.locked:
                raise refuse(uow, "approver_locked", "책임자 계정이 잠겨 있습니다", "the manager's account is locked")
            raise refuse(uow, "bad_credentials", "책임자 번호 또는 비밀번호가 올바르지 않습니다",
                         "wrong manager id or password")
        if manager.role is not Role.MANAGER:
            raise refuse(uow, "not_a_manager", "책임자만 승인할 수 있습니다", "only a manager can approve")
        approval = ApprovalRecord(
            approval_id=uuid.uuid4().hex,
            action=action,
            binding=binding,
            requester_id=requester.staff_id,
            approver_id=manager.staff_id,
            reason=reason,
            created_at=now,
            expires_at=now + timedelta(minutes=deps.settings.approval_ttl_minutes),
        )
        uow.approvals.add(approval)
        audit(uow, deps, requester.staff_id, Action.APPROVAL_GRANTED, "ok", at=now, subject=action,
              approver=manager.staff_id, approval_id=approval.approval_id, binding=binding, reason=reason)
        uow.commit()
    return approval.approval_id


def consume_approval(
    uow: UnitOfWork,
    approval_id: str | None,
    action: str,
    binding: str,
    now: datetime,
    *,
    requester_id: str | None = None,
) -> ApprovalRecord:
    """Use an approval inside the gated action's unit of work (rolled back with it if the action fails).

    Missing → ApprovalNeeded (an ApprovalRequired with `.action`/`.binding`); unknown, other action or binding,
    other requester, expired or already used → ApprovalError."""
    if not approval_id:
        raise ApprovalNeeded(action, binding)
    approval = uow.approvals.get(approval_id)
    if approval is None:
        raise ApprovalError("승인 내역을 찾을 수 없습니다", "no such approval")
    if approval.action != action or approval.binding != binding:
        raise ApprovalError("다른 작업에 대한 승인입니다. 이 작업에 대해 다시 승인받으십시오",
                            "the approval was given for a different action; approve this one")
    if requester_id is not None and approval.requester_id != requester_id:
        raise ApprovalError("다른 직원의 요청에 대한 승인입니다", "the approval was given to another staff member")
    if now >= approval.expires_at:
        raise ApprovalError("승인 유효 시간이 지났습니다. 다시 승인받으십시오",
                            "the approval has expired; approve again")
    if approval.used_at is not None or not uow.approvals.mark_used(approval_id, now):
        raise ApprovalError("이미 사용된 승인입니다", "the approval has already been used")
    approval.used_at = now
    return approval


def check_gate(
    uow: UnitOfWork,
    deps: Deps,
    session: StaffSession,
    approval_id: str | None,
    action: str,
    binding: str,
    now: datetime,
) -> ApprovalRecord | None:
    """Consume the approval when `action` is gated by the settings; no-op otherwise."""
    if not is_gated(deps.settings, action):
        return None
    return consume_approval(uow, approval_id, action, binding, now, requester_id=session.staff_id)
