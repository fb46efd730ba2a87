"""A real teller world for service tests: SQLite file (or PostgreSQL) store, embedded CA, training ID registry,
PDF receipts, a media folder in tmp_path and a ManualClock.

Building a home costs RSA key generations (the CA) and scrypt hashes (staff): it is done once per session into a
template folder, and each test gets a byte copy of it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from teller.config import load_settings
from teller.domain import CertKind, IdDocumentType, Role, StaffRecord, StaffSession
from teller.services.context import Deps

START = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)  # 10:00 KST
PASSWORDS = {"m001": "manager1pass", "m002": "manager2pass", "t001": "teller1pass", "t002": "teller2pass",
             "a001": "auditor1pass"}
ROLES = {"m001": Role.MANAGER, "m002": Role.MANAGER, "t001": Role.TELLER, "t002": Role.TELLER,
         "a001": Role.AUDITOR}
CERT_PASSWORD = "Customer#2026pw"  # meets the 2014 rule: ≥ 10, letters, digits, specials


class _Clock:
    """Same behaviour as tests/conftest.py's ManualClock, for session-scoped set-up."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now


def _ensure_branch(deps: Deps) -> None:
    from teller.security.staff_passwords import hash_password
    from teller.services.setup import initialise_branch

    initialise_branch(deps)
    with deps.store.unit_of_work() as uow:
        for staff_id, password in PASSWORDS.items():
            if uow.staff.get(staff_id) is None:
                uow.staff.add(StaffRecord(staff_id=staff_id, name="김직원", role=ROLES[staff_id],
                                          password_hash=hash_password(password), created_at=START))
        uow.commit()
    from teller.identity.authenticity import seed_demo

    seed_demo(deps.id_check)  # type: ignore[arg-type]


def _close(deps: Deps) -> None:
    dispose = getattr(deps.store, "dispose", None)
    if dispose is not None:
        dispose()


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cli.wiring import build_deps

    home = tmp_path_factory.mktemp("template") / "home"
    deps = build_deps(load_settings(home, env={}), clock=_Clock(START))
    _ensure_branch(deps)
    _close(deps)
    return home


@dataclass
class World:
    deps: Deps
    clock: Any
    media: Path
    home: Path
    sessions: dict[str, StaffSession] = field(default_factory=dict)
    cert_password: str = CERT_PASSWORD
    passwords: dict[str, str] = field(default_factory=lambda: dict(PASSWORDS))

    @property
    def teller(self) -> StaffSession:
        return self.sessions["t001"]

    @property
    def manager(self) -> StaffSession:
        return self.sessions["m001"]

    def session(self, staff_id: str) -> StaffSession:
        return self.sessions[staff_id]

    def person(self, name: str) -> Any:
        from teller.identity.authenticity import demo_people

        return next(p for p in demo_people() if p.name == name)

    def identify(self, who: str = "홍길동", *, session: StaffSession | None = None, **overrides: Any) -> Any:
        """Identify a demo person; `overrides` replace IdentifyRequest fields (e.g. a mistyped name)."""
        from teller.services.customers import IdentifyRequest, identify_customer

        p = self.person(who)
        req = IdentifyRequest(name=p.name, rrn=p.rrn, document_type=p.document_type,
                              document_number=p.document_number, issue_date=p.issue_date, photo_attested=True)
        for key, value in overrides.items():
            setattr(req, key, value)
        return identify_customer(self.deps, session or self.teller, req)

    def issue(self, name: str = "홍길동", kind: CertKind = CertKind.BANK, *, identify: bool = True,
              approval_id: str | None = None, media: Path | None = None, session: StaffSession | None = None) -> Any:
        from teller.services.issuance import IssueRequest, issue_certificate

        customer_id = self.identify(name).customer.customer_id if identify else self.customer_id(name)
        return issue_certificate(self.deps, session or self.teller, IssueRequest(
            customer_id=customer_id, kind=kind, media_root=media or self.media, password=CERT_PASSWORD,
            confirm=CERT_PASSWORD, approval_id=approval_id))

    def customer_id(self, name: str) -> str:
        from teller.services.customers import find_customers

        return find_customers(self.deps, self.teller, self.person(name).rrn)[0].customer_id

    def approve(self, action: str, binding: str, *, manager: str = "m001",
                requester: StaffSession | None = None) -> str:
        from teller.services.approvals import approve

        return approve(self.deps, requester or self.teller, manager, PASSWORDS[manager], action, binding,
                       "고객 요청 확인")

    def approve_and_retry(self, call: Callable[[str | None], Any], **kw: Any) -> Any:
        """The UI pattern: call without approval, open the dialog with the error's action/binding, retry."""
        from teller.errors import ApprovalRequired

        try:
            return call(None)
        except ApprovalRequired as exc:
            return call(self.approve(exc.action, exc.binding, **kw))

    def crl_reasons(self) -> dict[int, Any]:
        from cryptography import x509

        crl = x509.load_der_x509_crl(self.deps.ca.crl())
        out: dict[int, Any] = {}
        for entry in crl:
            try:
                out[entry.serial_number] = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
            except x509.ExtensionNotFound:
                out[entry.serial_number] = None
        return out

    def audit_events(self, action: str | None = None) -> list[Any]:
        return [e for e in self.deps.store.iter_audit() if action is None or e.action == action]

    def close(self) -> None:
        _close(self.deps)


def make_world(template: Path, target: Path, clock: Any, **settings_overrides: Any) -> World:
    from cli.wiring import build_deps

    shutil.copytree(template, target)
    settings = load_settings(target, env={}, **settings_overrides)
    deps = build_deps(settings, clock=clock)
    if "db_url" in settings_overrides:
        _ensure_branch(deps)
    media = target.parent / "usb"
    media.mkdir(exist_ok=True)
    sessions = {sid: StaffSession(staff_id=sid, name="김직원", role=role, terminal_id=settings.terminal_id,
                                  signed_in_at=clock.now()) for sid, role in ROLES.items()}
    return World(deps=deps, clock=clock, media=media, home=target, sessions=sessions)


@pytest.fixture
def world(template_home: Path, tmp_path: Path, clock: Any) -> Iterator[World]:
    w = make_world(template_home, tmp_path / "home", clock)
    yield w
    w.close()


@pytest.fixture
def world_with(template_home: Path, tmp_path: Path, clock: Any) -> Iterator[Callable[..., World]]:
    """A world with settings overrides, e.g. world_with(renewal_base="renewal_day")."""
    made: list[World] = []

    def make(**overrides: Any) -> World:
        w = make_world(template_home, tmp_path / f"home{len(made)}", clock, **overrides)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


@pytest.fixture
def pg_world(template_home: Path, tmp_path: Path, clock: Any, pg_url: str) -> Iterator[World]:
    w = make_world(template_home, tmp_path / "home", clock, db_url=pg_url)
    yield w
    w.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_world(request: pytest.FixtureRequest, template_home: Path, tmp_path: Path, clock: Any) -> Iterator[World]:
    overrides: dict[str, Any] = {}
    if request.param == "postgres":
        overrides["db_url"] = request.getfixturevalue("pg_url")
    w = make_world(template_home, tmp_path / "home", clock, **overrides)
    yield w
    w.close()


def kst_date(when: datetime) -> date:
    from teller.services.support import kst_day

    return kst_day(when)


__all__ = ["World", "CERT_PASSWORD", "PASSWORDS", "START", "IdDocumentType"]
