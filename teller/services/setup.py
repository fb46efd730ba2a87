"""Branch set-up: first initialisation, the demo branch for training, and the start-of-day checks."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from teller.domain import Action, BranchInfo, Role, StaffRecord
from teller.services.context import Deps
from teller.services.support import audit

# Demo staff created by `teller init --demo` (training branch only).
DEMO_STAFF: tuple[tuple[str, str, Role], ...] = (
    ("m001", "김지점", Role.MANAGER),
    ("m002", "최책임", Role.MANAGER),
    ("t001", "이창구", Role.TELLER),
    ("t002", "박창구", Role.TELLER),
    ("a001", "정감사", Role.AUDITOR),
    ("c001", "한상담", Role.CALL_CENTRE),
)


@dataclass(frozen=True, slots=True)
class DemoStaff:
    staff_id: str
    name: str
    role: Role
    password: str  # generated; printed once by `teller init --demo`, stored only as a scrypt hash


@dataclass(slots=True)
class DemoSeed:
    staff: list[DemoStaff] = field(default_factory=list)
    people: list[Any] = field(default_factory=list)  # teller.identity.authenticity.DemoPerson (fake data)


def initialise_branch(deps: Deps) -> bool:
    """Record the branch and this terminal (idempotent). True when this was the first initialisation."""
    now = deps.clock.now()
    s = deps.settings
    with deps.store.unit_of_work() as uow:
        first = uow.branch.info() is None
        if first:
            uow.branch.set_info(BranchInfo(branch_id=s.branch_id, branch_name=s.branch_name, bank_name=s.bank_name,
                                           bank_code=s.bank_code))
        uow.branch.register_terminal(deps.terminal_id, now)
        if first:
            audit(uow, deps, None, Action.INIT, "ok", at=now, branch_name=s.branch_name, bank_code=s.bank_code)
        uow.commit()
    s.demo_media_dir.mkdir(parents=True, exist_ok=True) if s.demo_media else None
    return first


def generate_staff_password(length: int = 12) -> str:
    """Random letters + digits (the staff password rule: ≥ 8 characters with letters and digits)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isalpha() for c in pw) and any(c.isdigit() for c in pw):
            return pw


def seed_demo_branch(deps: Deps) -> DemoSeed:
    """Training data: demo staff with fresh passwords (existing ids are left alone) and the demo ID registry."""
    from teller.identity.authenticity import seed_demo
    from teller.security.staff_passwords import hash_password

    seed = DemoSeed()
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        for staff_id, name, role in DEMO_STAFF:
            if uow.staff.get(staff_id) is not None:
                continue
            password = generate_staff_password()
            uow.staff.add(StaffRecord(staff_id=staff_id, name=name, role=role, password_hash=hash_password(password),
                                      created_at=now, password_changed_at=now))
            audit(uow, deps, None, Action.STAFF_ADDED, "ok", at=now, subject=staff_id, role=role.value, demo=True)
            seed.staff.append(DemoStaff(staff_id, name, role, password))
        uow.commit()
    seed.people = seed_demo(deps.id_check)  # type: ignore[arg-type]
    return seed


def start_of_day(deps: Deps) -> Any:
    """At terminal start: expire holds and reconcile the CA with the database (returns a ReconcileReport)."""
    from teller.services.reconcile import reconcile

    return reconcile(deps)
