"""Staff sign-in, idle lock, lockout and staff management.

A wrong password counts towards the account's lockout wherever it is typed (sign-in, unlock, manager approval):
see `check_staff_credentials`. Unknown ids and wrong passwords get the same message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from teller.domain import Action, Role, StaffRecord, StaffSession
from teller.errors import ErrorKind, AuthenticationError, NotFound, PermissionDenied, ValidationError
from teller.ports import UnitOfWork
from teller.services.context import Deps
from teller.services.support import MANAGER_ONLY, READ_ROLES, audit, require_role

_STAFF_ID = re.compile(r"^[A-Za-z0-9_-]{2,20}$")

_GENERIC_KO = "직원 번호 또는 비밀번호가 올바르지 않습니다"
_GENERIC_EN = "wrong staff id or password"


def _locked_error(threshold: int) -> AuthenticationError:
    return AuthenticationError(
        f"잠긴 계정입니다. 비밀번호를 {threshold}회 잘못 입력했습니다. 책임자에게 잠금 해제를 요청하십시오",
        f"the account is locked after {threshold} wrong passwords; ask a manager to unlock it",
        kind=ErrorKind.ACCOUNT_LOCKED,
    )


@dataclass(frozen=True, slots=True)
class StaffView:
    """What screens may show about a staff member (never the password hash)."""

    staff_id: str
    name: str
    role: Role
    locked: bool
    active: bool
    failed_attempts: int
    must_change_password: bool


def _view(s: StaffRecord) -> StaffView:
    return StaffView(s.staff_id, s.name, s.role, s.locked, s.active, s.failed_attempts, s.must_change_password)


# ---------------------------------------------------------------------------------------------- credentials

_DUMMY_HASH: str | None = None


def _burn_time(password: str) -> None:
    """Verify against a throw-away hash so an unknown id costs as long as a wrong password."""
    from teller.security.staff_passwords import hash_password, verify_password

    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not-a-real-password-0")
    verify_password(password, _DUMMY_HASH)


def check_staff_credentials(
    uow: UnitOfWork, deps: Deps, staff_id: str, password: str, now: datetime, *, purpose: str
) -> StaffRecord | None:
    """Verify a password inside `uow`, counting failures towards the lockout.

    Returns the staff record on success, None on failure (the caller audits, commits and raises). A locked or
    inactive account fails without looking at the password. `purpose` goes into the audit details."""
    from teller.security.staff_passwords import verify_password

    staff = uow.staff.get(staff_id)
    if staff is None or not staff.active:
        _burn_time(password)
        return None
    if staff.locked:
        return None
    if verify_password(password, staff.password_hash):
        if staff.failed_attempts:
            staff.failed_attempts = 0
            uow.staff.update(staff)
        return staff
    staff.failed_attempts += 1
    if staff.failed_attempts >= deps.settings.lockout_threshold:
        staff.locked = True
        audit(uow, deps, staff.staff_id, Action.STAFF_LOCKED, "ok", at=now, subject=staff.staff_id,
              why="too_many_wrong_passwords", purpose=purpose, failed_attempts=staff.failed_attempts)
    uow.staff.update(staff)
    return None


def _failure_error(uow: UnitOfWork, deps: Deps, staff_id: str) -> AuthenticationError:
    staff = uow.staff.get(staff_id)
    if staff is not None and staff.active and staff.locked:
        return _locked_error(deps.settings.lockout_threshold)
    return AuthenticationError(_GENERIC_KO, _GENERIC_EN)


# ---------------------------------------------------------------------------------------------- sign-in


def needs_first_manager(deps: Deps) -> bool:
    """True until an active branch manager exists (first run)."""
    with deps.store.unit_of_work() as uow:
        return not any(s.role is Role.MANAGER and s.active for s in uow.staff.list())


def _new_staff(staff_id: str, name: str, role: Role, password: str, now: datetime) -> StaffRecord:
    from teller.identity.names import normalize_name
    from teller.security.staff_passwords import check_staff_password, hash_password

    if not _STAFF_ID.match(staff_id or ""):
        raise ValidationError("직원 번호는 영문·숫자 2~20자입니다", "staff id: 2-20 letters, digits, - or _")
    clean_name = normalize_name(name)
    check_staff_password(password)
    return StaffRecord(staff_id=staff_id, name=clean_name, role=role, password_hash=hash_password(password),
                       created_at=now, password_changed_at=now)


def create_first_manager(deps: Deps, staff_id: str, name: str, password: str) -> StaffView:
    """First run only: create the branch manager who then adds everyone else."""
    now = deps.clock.now()
    record = _new_staff(staff_id, name, Role.MANAGER, password, now)
    with deps.store.unit_of_work() as uow:
        if any(s.role is Role.MANAGER and s.active for s in uow.staff.list()):
            raise PermissionDenied("책임자가 이미 등록되어 있습니다", "a branch manager already exists")
        if uow.staff.get(staff_id) is not None:
            raise ValidationError("이미 있는 직원 번호입니다", "that staff id already exists")
        uow.staff.add(record)
        audit(uow, deps, None, Action.STAFF_ADDED, "ok", at=now, subject=staff_id, role=Role.MANAGER.value,
              first_manager=True)
        uow.commit()
    return _view(record)


def sign_in(deps: Deps, staff_id: str, password: str) -> StaffSession:
    now = deps.clock.now()
    staff_id = (staff_id or "").strip()
    with deps.store.unit_of_work() as uow:
        staff = check_staff_credentials(uow, deps, staff_id, password, now, purpose="sign_in")
        if staff is None:
            error = _failure_error(uow, deps, staff_id)
            known = uow.staff.get(staff_id) is not None
            # An unknown id is recorded without the typed text (it may be a mistyped password).
            audit(uow, deps, staff_id if known else None, Action.SIGN_IN_FAILED, "refused", at=now,
                  why=error.code, known_staff=known)
            uow.commit()
            raise error
        uow.branch.register_terminal(deps.terminal_id, now)
        audit(uow, deps, staff.staff_id, Action.SIGN_IN, "ok", at=now, role=staff.role.value)
        uow.commit()
    return StaffSession(staff_id=staff.staff_id, name=staff.name, role=staff.role, terminal_id=deps.terminal_id,
                        signed_in_at=now)


def sign_out(deps: Deps, session: StaffSession) -> None:
    with deps.store.unit_of_work() as uow:
        audit(uow, deps, session.staff_id, Action.SIGN_OUT, "ok")
        uow.commit()


def record_lock(deps: Deps, session: StaffSession) -> None:
    """The terminal locked itself after the idle time (or the teller locked it)."""
    with deps.store.unit_of_work() as uow:
        audit(uow, deps, session.staff_id, Action.LOCK, "ok")
        uow.commit()


def unlock(deps: Deps, session: StaffSession, password: str) -> None:
    """Only the same staff member unlocks their terminal; wrong passwords count towards the lockout."""
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        staff = check_staff_credentials(uow, deps, session.staff_id, password, now, purpose="unlock")
        if staff is None:
            error = _failure_error(uow, deps, session.staff_id)
            audit(uow, deps, session.staff_id, Action.UNLOCK, "refused", at=now, why=error.code)
            uow.commit()
            raise error
        audit(uow, deps, session.staff_id, Action.UNLOCK, "ok", at=now)
        uow.commit()


# ---------------------------------------------------------------------------------------------- staff management


def add_staff(deps: Deps, session: StaffSession, staff_id: str, name: str, role: Role, password: str) -> StaffView:
    require_role(session, MANAGER_ONLY, "직원 등록", "add staff")
    now = deps.clock.now()
    record = _new_staff(staff_id, name, Role(role), password, now)
    with deps.store.unit_of_work() as uow:
        if uow.staff.get(staff_id) is not None:
            raise ValidationError("이미 있는 직원 번호입니다", "that staff id already exists")
        uow.staff.add(record)
        audit(uow, deps, session.staff_id, Action.STAFF_ADDED, "ok", at=now, subject=staff_id,
              role=record.role.value)
        uow.commit()
    return _view(record)


def _staff_or_404(uow: UnitOfWork, staff_id: str) -> StaffRecord:
    staff = uow.staff.get(staff_id)
    if staff is None:
        raise NotFound(f"직원을 찾을 수 없습니다: {staff_id}", f"no staff member {staff_id}")
    return staff


def set_staff_locked(deps: Deps, session: StaffSession, staff_id: str, locked: bool) -> StaffView:
    require_role(session, MANAGER_ONLY, "직원 잠금·해제", "lock or unlock staff")
    if staff_id == session.staff_id and locked:
        raise PermissionDenied("자기 계정은 잠글 수 없습니다", "you cannot lock your own account")
    with deps.store.unit_of_work() as uow:
        staff = _staff_or_404(uow, staff_id)
        staff.locked = locked
        if not locked:
            staff.failed_attempts = 0
        uow.staff.update(staff)
        audit(uow, deps, session.staff_id, Action.STAFF_LOCKED if locked else Action.STAFF_UNLOCKED, "ok",
              subject=staff_id)
        uow.commit()
    return _view(staff)


def reset_staff_password(deps: Deps, session: StaffSession, staff_id: str, new_password: str) -> StaffView:
    """A manager sets a temporary password; the account is unlocked and must change it."""
    from teller.security.staff_passwords import check_staff_password, hash_password

    require_role(session, MANAGER_ONLY, "비밀번호 초기화", "reset staff passwords")
    check_staff_password(new_password)
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        staff = _staff_or_404(uow, staff_id)
        staff.password_hash = hash_password(new_password)
        staff.password_changed_at = now
        staff.failed_attempts = 0
        staff.locked = False
        staff.must_change_password = staff_id != session.staff_id
        uow.staff.update(staff)
        audit(uow, deps, session.staff_id, Action.STAFF_PASSWORD_RESET, "ok", at=now, subject=staff_id)
        uow.commit()
    return _view(staff)


def list_staff(deps: Deps, session: StaffSession) -> list[StaffView]:
    require_role(session, (Role.MANAGER, Role.AUDITOR), "직원 목록 조회", "list staff")
    with deps.store.unit_of_work() as uow:
        return [_view(s) for s in sorted(uow.staff.list(), key=lambda s: s.staff_id)]


__all__ = [
    "StaffView", "needs_first_manager", "create_first_manager", "sign_in", "sign_out", "record_lock", "unlock",
    "add_staff", "set_staff_locked", "reset_staff_password", "list_staff", "check_staff_credentials", "READ_ROLES",
]
