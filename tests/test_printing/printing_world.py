"""A small real world for the receipt/report services: the real branch store (SQLite file in tmp_path or the
real PostgreSQL fixture), the real renderer, a real printer adapter and a ManualClock. The CA, ID check and
field crypto are not used by these services and stay None."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from printing.renderer import PdfDocuments
from teller.config import Settings
from teller.domain import CertificateRecord, CertKind, CertStatus, Role, StaffRecord, StaffSession
from teller.ports import Printer
from teller.services.context import Deps

STAFF = {"t001": ("김창구", Role.TELLER), "t002": ("이수납", Role.TELLER), "m001": ("박책임", Role.MANAGER),
         "a001": ("최감사", Role.AUDITOR)}


@dataclass
class Customer:
    """The view a receipt needs (CustomerRecord has the same two attributes)."""

    name: str
    rrn_masked: str


def make_deps(settings: Settings, clock: Any, printer: Printer) -> Deps:
    from db.store import open_store

    store = open_store(settings)
    with store.unit_of_work() as uow:
        for staff_id, (name, role) in STAFF.items():
            uow.staff.add(StaffRecord(staff_id=staff_id, name=name, role=role, password_hash="unused",
                                      created_at=clock.now()))
        uow.commit()
    return Deps(settings=settings, store=store, ca=None, id_check=None, renderer=PdfDocuments(),  # type: ignore[arg-type]
                printer=printer, clock=clock, field_crypto=None)  # type: ignore[arg-type]


def session(staff_id: str, at: datetime) -> StaffSession:
    name, role = STAFF[staff_id]
    return StaffSession(staff_id=staff_id, name=name, role=role, terminal_id="T01", signed_in_at=at)


def certificate(serial: str, at: datetime, transaction: str) -> CertificateRecord:
    return CertificateRecord(
        serial=serial, customer_id="c0ffee12" * 4, kind=CertKind.GENERAL,
        subject_dn="CN=홍길동()0040815202611251234,OU=KMB,OU=personal4IB,O=yessign,C=kr",
        issuer_dn="CN=yessignCA-Test Class 4 (branch-teller TEST),OU=AccreditedCA,O=yessign,C=kr",
        policy_oid=CertKind.GENERAL.policy_oid, not_before=datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc),
        not_after=datetime(2027, 11, 25, 14, 59, 59, tzinfo=timezone.utc), status=CertStatus.ACTIVE,
        transaction=transaction, fee_krw=4400, issued_by="t001", created_at=at,
    )
