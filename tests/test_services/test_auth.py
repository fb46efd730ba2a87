"""Sign-in, lockout, unlock and staff management against the real store."""

from __future__ import annotations

import pytest

from teller.domain import Action, Role
from teller.errors import AuthenticationError, PermissionDenied, ValidationError
from teller.services import auth


def test_sign_in_gives_a_session_and_is_audited(world):
    session = auth.sign_in(world.deps, "t001", world.passwords["t001"])
    assert (session.staff_id, session.role, session.terminal_id) == ("t001", Role.TELLER, "T01")
    assert [e.staff_id for e in world.audit_events(Action.SIGN_IN.value)] == ["t001"]


def test_unknown_id_and_wrong_password_get_the_same_message(world):
    with pytest.raises(AuthenticationError) as unknown:
        auth.sign_in(world.deps, "nobody", "whatever123")
    with pytest.raises(AuthenticationError) as wrong:
        auth.sign_in(world.deps, "t001", "wrong-password1")
    assert unknown.value.message == wrong.value.message
    failed = world.audit_events(Action.SIGN_IN_FAILED.value)
    assert [e.staff_id for e in failed] == [None, "t001"]
    # the typed text is never recorded
    assert all("whatever123" not in str(e.details) and "wrong-password1" not in str(e.details) for e in failed)


def test_lockout_after_threshold_then_manager_unlocks(world):
    threshold = world.deps.settings.lockout_threshold
    for _ in range(threshold - 1):
        with pytest.raises(AuthenticationError) as exc:
            auth.sign_in(world.deps, "t002", "wrong-password1")
        assert "잠긴" not in exc.value.message
    with pytest.raises(AuthenticationError) as exc:
        auth.sign_in(world.deps, "t002", "wrong-password1")
    assert "잠긴 계정" in exc.value.message
    # even the right password is refused now
    with pytest.raises(AuthenticationError, match="잠긴 계정"):
        auth.sign_in(world.deps, "t002", world.passwords["t002"])
    assert [e.subject for e in world.audit_events(Action.STAFF_LOCKED.value)] == ["t002"]

    with pytest.raises(PermissionDenied):
        auth.set_staff_locked(world.deps, world.teller, "t002", False)
    view = auth.set_staff_locked(world.deps, world.manager, "t002", False)
    assert not view.locked and view.failed_attempts == 0
    assert auth.sign_in(world.deps, "t002", world.passwords["t002"]).staff_id == "t002"


def test_success_resets_the_failure_count(world):
    for _ in range(world.deps.settings.lockout_threshold - 1):
        with pytest.raises(AuthenticationError):
            auth.sign_in(world.deps, "t001", "wrong-password1")
    auth.sign_in(world.deps, "t001", world.passwords["t001"])
    with pytest.raises(AuthenticationError) as exc:
        auth.sign_in(world.deps, "t001", "wrong-password1")
    assert "잠긴" not in exc.value.message


def test_unlock_needs_the_same_staff_password(world):
    auth.record_lock(world.deps, world.teller)
    with pytest.raises(AuthenticationError):
        auth.unlock(world.deps, world.teller, world.passwords["m001"])  # another person's password
    auth.unlock(world.deps, world.teller, world.passwords["t001"])
    results = [e.result for e in world.audit_events(Action.UNLOCK.value)]
    assert results == ["refused", "ok"]
    assert len(world.audit_events(Action.LOCK.value)) == 1


def test_staff_management_is_for_managers(world):
    with pytest.raises(PermissionDenied):
        auth.add_staff(world.deps, world.teller, "t009", "신입사원", Role.TELLER, "newteller9")
    with pytest.raises(PermissionDenied):
        auth.add_staff(world.deps, world.session("a001"), "t009", "신입사원", Role.TELLER, "newteller9")
    view = auth.add_staff(world.deps, world.manager, "t009", "신입사원", Role.TELLER, "newteller9")
    assert view.role is Role.TELLER
    with pytest.raises(ValidationError):
        auth.add_staff(world.deps, world.manager, "t009", "신입사원", Role.TELLER, "newteller9")
    with pytest.raises(ValidationError):  # staff password rule: letters and digits
        auth.add_staff(world.deps, world.manager, "t010", "신입사원", Role.TELLER, "short")
    assert auth.sign_in(world.deps, "t009", "newteller9").role is Role.TELLER
    ids = [s.staff_id for s in auth.list_staff(world.deps, world.session("a001"))]
    assert "t009" in ids and "m001" in ids
    with pytest.raises(PermissionDenied):
        auth.list_staff(world.deps, world.teller)


def test_password_reset_unlocks_and_replaces_the_password(world):
    view = auth.reset_staff_password(world.deps, world.manager, "t001", "temporary77")
    assert view.must_change_password
    with pytest.raises(AuthenticationError):
        auth.sign_in(world.deps, "t001", world.passwords["t001"])
    assert auth.sign_in(world.deps, "t001", "temporary77").staff_id == "t001"


def test_first_manager_only_once(world):
    assert not auth.needs_first_manager(world.deps)
    with pytest.raises(PermissionDenied):
        auth.create_first_manager(world.deps, "boss", "새지점장", "bosspass12")
