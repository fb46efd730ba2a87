"""Dual control: one manager approval, for one action, once, within minutes, never by the requester."""

from __future__ import annotations

import pytest

from teller.domain import Action
from teller.errors import ApprovalError, ApprovalRequired, AuthenticationError
from teller.services import approvals, auth
from teller.services.approvals import approve, binding_for, consume_approval


def _consume(world, approval_id, action, binding, requester="t001"):
    with world.deps.store.unit_of_work() as uow:
        record = consume_approval(uow, approval_id, action, binding, world.clock.now(), requester_id=requester)
        uow.commit()
    return record


def test_binding_is_canonical():
    assert binding_for("reissue", serial="ab12", customer="c1") == binding_for("reissue", customer="c1", serial="ab12")
    assert binding_for("reissue", serial="ab12", customer="c1") != binding_for("reissue", serial="ab13", customer="c1")
    assert binding_for("hold", serial="ab12", note=None) == "hold|serial=ab12"


def test_gates_follow_the_settings(world):
    assert approvals.is_gated(world.deps.settings, "reissue")
    assert not approvals.is_gated(world.deps.settings, "renew")


def test_approval_is_granted_used_once_and_audited(world):
    b = binding_for("revoke", serial="ab12", reason="key_compromise")
    approval_id = approve(world.deps, world.teller, "m001", world.passwords["m001"], "revoke", b, "분실 신고")
    record = _consume(world, approval_id, "revoke", b)
    assert (record.approver_id, record.requester_id) == ("m001", "t001")
    with pytest.raises(ApprovalError, match="이미 사용된"):
        _consume(world, approval_id, "revoke", b)
    granted = world.audit_events(Action.APPROVAL_GRANTED.value)
    assert [(e.staff_id, e.details["approver"]) for e in granted] == [("t001", "m001")]


def test_self_approval_is_refused(world):
    b = binding_for("revoke", serial="ab12", reason="key_compromise")
    with pytest.raises(ApprovalError, match="본인"):
        approve(world.deps, world.manager, "m001", world.passwords["m001"], "revoke", b, "내가 요청")
    refused = world.audit_events(Action.APPROVAL_REFUSED.value)
    assert [e.details["why"] for e in refused] == ["self_approval"]
    # another manager may approve the first manager's request
    assert approve(world.deps, world.manager, "m002", world.passwords["m002"], "revoke", b, "확인")


def test_a_teller_cannot_approve(world):
    b = binding_for("hold", serial="ab12")
    with pytest.raises(ApprovalError, match="책임자만"):
        approve(world.deps, world.teller, "t002", world.passwords["t002"], "hold", b, "확인")


def test_expired_approval_is_refused(world):
    b = binding_for("hold", serial="ab12")
    approval_id = approve(world.deps, world.teller, "m001", world.passwords["m001"], "hold", b, "확인")
    world.clock.advance(minutes=world.deps.settings.approval_ttl_minutes, seconds=1)
    with pytest.raises(ApprovalError, match="유효 시간"):
        _consume(world, approval_id, "hold", b)


def test_approval_for_another_binding_or_action_is_refused(world):
    b = binding_for("hold", serial="ab12")
    approval_id = approve(world.deps, world.teller, "m001", world.passwords["m001"], "hold", b, "확인")
    with pytest.raises(ApprovalError, match="다른 작업"):
        _consume(world, approval_id, "hold", binding_for("hold", serial="ab13"))
    with pytest.raises(ApprovalError, match="다른 작업"):
        _consume(world, approval_id, "revoke", binding_for("revoke", serial="ab12"))
    with pytest.raises(ApprovalError, match="다른 직원"):
        _consume(world, approval_id, "hold", b, requester="t002")
    # the refusals did not use it up
    assert _consume(world, approval_id, "hold", b).used_at is not None


def test_missing_approval_says_what_to_approve(world):
    b = binding_for("reissue", serial="ab12", customer="c1")
    with pytest.raises(ApprovalRequired) as exc:
        _consume(world, None, "reissue", b)
    assert (exc.value.action, exc.value.binding) == ("reissue", b)


def test_wrong_manager_password_counts_towards_the_managers_lockout(world):
    b = binding_for("hold", serial="ab12")
    threshold = world.deps.settings.lockout_threshold
    for _ in range(threshold):
        with pytest.raises(ApprovalError):
            approve(world.deps, world.teller, "m002", "not-his-password1", "hold", b, "확인")
    # now locked: even the right password is refused, for approvals and for sign-in
    with pytest.raises(ApprovalError, match="잠겨"):
        approve(world.deps, world.teller, "m002", world.passwords["m002"], "hold", b, "확인")
    with pytest.raises(AuthenticationError, match="잠긴 계정"):
        auth.sign_in(world.deps, "m002", world.passwords["m002"])
    assert [e.subject for e in world.audit_events(Action.STAFF_LOCKED.value)] == ["m002"]


def test_approval_needs_a_reason(world):
    with pytest.raises(ApprovalError, match="사유"):
        approve(world.deps, world.teller, "m001", world.passwords["m001"], "hold", "hold|serial=1", "  ")
