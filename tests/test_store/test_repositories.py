"""Every repository round-trips its dataclass on SQLite and PostgreSQL (aware UTC datetimes come back equal)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from db.store import SqlBranchStore
from teller.domain import (
    ApprovalRecord,
    AuditFilter,
    AuthenticityResult,
    BranchInfo,
    CertificateRecord,
    CertKind,
    CertStatus,
    IdDocumentType,
    IdEvidence,
    ReceiptRecord,
    RevocationReason,
    Role,
    StaffRecord,
    SyncState,
)
from teller.errors import NotFound, StorageError

from .conftest import T0, customer

KST = timezone(timedelta(hours=9))


def test_branch_info_terminals_counters_and_sync_state(store: SqlBranchStore) -> None:
    info = BranchInfo("0815", "여의도영업부", "KB국민은행", "004")
    with store.unit_of_work() as uow:
        assert uow.branch.info() is None
        uow.branch.set_info(info)
        uow.branch.register_terminal("T01", T0)
        uow.branch.register_terminal("T01", T0 + timedelta(hours=1))  # seen again: no duplicate
        numbers = [uow.branch.next_number("transaction:20261125") for _ in range(3)]
        other = uow.branch.next_number("transaction:20261126")
        assert uow.branch.sync_state() == SyncState()
        state = SyncState(acked_seq=41, last_success=T0, last_error="본점 연결 실패", last_attempt=T0)
        uow.branch.set_sync_state(state)
        uow.commit()
    assert numbers == [1, 2, 3] and other == 1
    with store.unit_of_work() as uow:
        assert uow.branch.info() == info
        assert uow.branch.sync_state() == state
        assert uow.branch.next_number("transaction:20261125") == 4
        uow.branch.set_info(dataclasses.replace(info, branch_name="강남지점"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.branch.info().branch_name == "강남지점"  # type: ignore[union-attr]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT terminal_id, last_seen_at FROM terminals")).all()
    assert len(rows) == 1


def test_staff_round_trip(store: SqlBranchStore) -> None:
    staff = StaffRecord("s1001", "김창구", Role.TELLER, "scrypt$16384$8$1$c2FsdA$aGFzaA", failed_attempts=2,
                        locked=True, active=True, created_at=T0, password_changed_at=T0 + timedelta(days=1),
                        must_change_password=True)
    manager = StaffRecord("m2001", "이책임", Role.MANAGER, "scrypt$x")
    with store.unit_of_work() as uow:
        uow.staff.add(staff)
        uow.staff.add(manager)
        uow.commit()
    with store.unit_of_work() as uow:
        got = uow.staff.get("s1001")
        assert got == staff and isinstance(got.role, Role)  # type: ignore[union-attr]
        assert uow.staff.list() == [manager, staff]
        uow.staff.update(dataclasses.replace(staff, locked=False, failed_attempts=0))
        with pytest.raises(NotFound):
            uow.staff.update(dataclasses.replace(staff, staff_id="nobody"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.staff.get("s1001").locked is False  # type: ignore[union-attr]
        assert uow.staff.get("nobody") is None


def test_customer_search_and_evidence(store: SqlBranchStore) -> None:
    hong, kim = customer("홍길동", 1), customer("김영희", 2)
    kim.rrn_masked = "850505-2******"
    kim.is_foreigner = True
    evidence = [
        IdEvidence(uuid.uuid4().hex, hong.customer_id, IdDocumentType.DRIVER_LICENSE, "11-**-******-01",
                   date(2020, 3, 1), AuthenticityResult.VERIFIED, "REQ-1", T0 + timedelta(minutes=m), True, "s1001")
        for m in (0, 5)
    ]
    with store.unit_of_work() as uow:
        uow.customers.add(hong)
        uow.customers.add(kim)
        for e in evidence:
            uow.customers.add_evidence(e)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.customers.get(hong.customer_id) == hong
        assert uow.customers.find_by_rrn_hash(kim.rrn_hash) == kim
        assert uow.customers.search("길") == [hong]
        assert uow.customers.search("850505") == [kim]
        assert uow.customers.search("%") == []  # LIKE wildcards are literal
        assert uow.customers.latest_evidence(hong.customer_id) == evidence[1]
        assert uow.customers.latest_evidence(kim.customer_id) is None
        assert uow.customers.evidence_between(T0, T0 + timedelta(minutes=5)) == [evidence[0]]
        kim.name = "김영희B"
        uow.customers.update(kim)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.customers.get(kim.customer_id).name == "김영희B"  # type: ignore[union-attr]


def test_duplicate_rrn_hash_is_a_storage_error_and_rolls_back(store: SqlBranchStore) -> None:
    first = customer("홍길동", 7)
    with store.unit_of_work() as uow:
        uow.customers.add(first)
        uow.commit()
    with pytest.raises(StorageError) as caught:
        with store.unit_of_work() as uow:
            uow.customers.add(customer("다른사람", 8))
            uow.customers.add(customer("중복", 7))
            uow.commit()
    assert "지점 데이터베이스" in caught.value.message
    with store.unit_of_work() as uow:  # the whole unit of work was rolled back
        assert uow.customers.search("다른사람") == []


def _cert(customer_id: str, serial: str, **kw: object) -> CertificateRecord:
    base = dict(
        serial=serial, customer_id=customer_id, kind=CertKind.GENERAL,
        subject_dn="CN=홍길동()0004041920231125123456789,OU=KMB,OU=personal4IB,O=yessign,C=kr",
        issuer_dn="CN=yessignCA-Test Class 4,OU=AccreditedCA,O=yessign,C=kr", policy_oid="1.2.410.200005.1.1.1",
        not_before=datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc),
        not_after=datetime(2027, 11, 25, 14, 59, 59, tzinfo=timezone.utc), status=CertStatus.ACTIVE,
        transaction="20261125-0815-0001", fee_krw=4400, issued_by="s1001", created_at=T0,
    )
    base.update(kw)
    return CertificateRecord(**base)  # type: ignore[arg-type]


def test_certificates_round_trip_and_queries(store: SqlBranchStore) -> None:
    hong = customer("홍길동", 3)
    a = _cert(hong.customer_id, "1a2b3c", media_label="USB", folder="NPKI/yessign/USER/cn",
              confirmed_at=T0 + timedelta(minutes=1), replaces_serial="0f")
    b = _cert(hong.customer_id, "1a9999", kind=CertKind.BANK, status=CertStatus.HELD, held_at=T0, hold_until=T0 + timedelta(days=183),
              not_after=datetime(2026, 12, 1, tzinfo=timezone.utc), created_at=T0 + timedelta(minutes=2))
    c = _cert(hong.customer_id, "ff01", status=CertStatus.REVOKED, revoked_at=T0,
              revocation_reason=RevocationReason.KEY_COMPROMISE, created_at=T0 + timedelta(minutes=3),
              not_after=datetime(2026, 11, 30, tzinfo=timezone.utc))
    with store.unit_of_work() as uow:
        uow.customers.add(hong)
        for cert in (a, b, c):
            uow.certificates.add(cert)
        uow.commit()
    with store.unit_of_work() as uow:
        got = uow.certificates.get("1A2B3C")
        assert got == a and got.not_after.tzinfo is not None  # type: ignore[union-attr]
        assert uow.certificates.get("ff01") == c
        assert uow.certificates.by_customer(hong.customer_id) == [a, b, c]
        assert uow.certificates.search(serial_prefix="1a") == [b, a]
        assert uow.certificates.search(status=CertStatus.REVOKED) == [c]
        assert uow.certificates.search(customer_id="none") == []
        # revoked certificates never expire into a renewal list; held ones do
        assert uow.certificates.expiring(datetime(2027, 1, 1, tzinfo=timezone.utc)) == [b]
        assert uow.certificates.with_status(CertStatus.ACTIVE) == [a]
        uow.certificates.update(dataclasses.replace(a, status=CertStatus.REVOKED, revoked_at=T0,
                                                    revocation_reason=RevocationReason.SUPERSEDED,
                                                    replaced_by_serial="abcd"))
        uow.commit()
    with store.unit_of_work() as uow:
        again = uow.certificates.get("1a2b3c")
        assert again.revocation_reason is RevocationReason.SUPERSEDED  # type: ignore[union-attr]
        assert again.replaced_by_serial == "abcd"  # type: ignore[union-attr]


def test_certificate_needs_its_customer(store: SqlBranchStore) -> None:
    with pytest.raises(StorageError):
        with store.unit_of_work() as uow:
            uow.certificates.add(_cert("no-such-customer", "beef"))
            uow.commit()


def test_approvals_are_used_once(store: SqlBranchStore) -> None:
    approval = ApprovalRecord("ap-1", "reissue", "reissue|cust|serial", "s1001", "m2001", "분실 재발급", T0,
                              T0 + timedelta(minutes=5))
    with store.unit_of_work() as uow:
        uow.approvals.add(approval)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.approvals.get("ap-1") == approval
        assert uow.approvals.mark_used("ap-1", T0 + timedelta(minutes=1)) is True
        assert uow.approvals.mark_used("ap-1", T0 + timedelta(minutes=2)) is False
        assert uow.approvals.mark_used("nope", T0) is False
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.approvals.get("ap-1").used_at == T0 + timedelta(minutes=1)  # type: ignore[union-attr]


def test_receipts_round_trip(store: SqlBranchStore) -> None:
    r = ReceiptRecord("20261125-0815-0001", "issue", "receipts/20261125-0815-0001.pdf", "b" * 64, T0, "s1001")
    with store.unit_of_work() as uow:
        uow.receipts.add(r)
        uow.commit()
    printed = dataclasses.replace(r, printed_at=T0 + timedelta(seconds=30), printer="pdf", job_id="7", reprints=1,
                                  last_error=None)
    with store.unit_of_work() as uow:
        assert uow.receipts.get(r.transaction) == r
        uow.receipts.update(printed)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.receipts.get(r.transaction) == printed
        assert uow.receipts.between(T0, T0 + timedelta(seconds=1)) == [printed]
        assert uow.receipts.between(T0 + timedelta(seconds=1), T0 + timedelta(days=1)) == []


def test_datetimes_in_other_zones_come_back_as_the_same_instant_in_utc(store: SqlBranchStore) -> None:
    kst = datetime(2026, 11, 25, 5, 0, tzinfo=KST)  # 05:00 KST = 20:00 UTC the day before
    r = ReceiptRecord("TX-KST", "issue", "x.pdf", "c" * 64, kst, "s1001")
    with store.unit_of_work() as uow:
        uow.receipts.add(r)
        uow.commit()
    with store.unit_of_work() as uow:
        got = uow.receipts.get("TX-KST")
    assert got is not None and got.created_at == kst and got.created_at.utcoffset() == timedelta(0)
    assert got.created_at.hour == 20


def test_naive_datetimes_are_refused(store: SqlBranchStore) -> None:
    with pytest.raises((StorageError, ValueError)):
        with store.unit_of_work() as uow:
            uow.receipts.add(ReceiptRecord("TX-N", "issue", "x.pdf", "c" * 64, datetime(2026, 1, 1), "s1001"))
            uow.commit()


def test_unit_of_work_rolls_back_unless_committed(store: SqlBranchStore) -> None:
    with store.unit_of_work() as uow:
        uow.customers.add(customer("미확정", 9))
        uow.audit.append(_draft())
    with store.unit_of_work() as uow:
        assert uow.customers.search("미확정") == []
        assert uow.audit.head()[0] == 0


def _draft():  # type: ignore[no-untyped-def]
    from .conftest import draft

    return draft(1)


def test_audit_append_page_count_get_range(store: SqlBranchStore) -> None:
    from teller.audit_chain import GENESIS, verify_chain
    from teller.domain import Action

    from .conftest import draft

    with store.unit_of_work() as uow:
        assert uow.audit.head() == (0, GENESIS)
        events = [uow.audit.append(draft(i, staff="s1" if i % 2 else "s2",
                                         action=Action.ISSUE if i % 3 else Action.REVOKE,
                                         customer="c1" if i <= 5 else None)) for i in range(1, 21)]
        uow.commit()
    assert [e.seq for e in events] == list(range(1, 21))
    with store.unit_of_work() as uow:
        assert uow.audit.head() == (20, events[-1].hash)
        assert uow.audit.get(7) == events[6]
        assert uow.audit.get(99) is None
        assert uow.audit.range(15, 3) == events[15:18]
        everything = AuditFilter()
        assert uow.audit.count(everything) == 20
        first = uow.audit.page(everything, limit=8)
        second = uow.audit.page(everything, before_seq=first[-1].seq, limit=8)
        third = uow.audit.page(everything, before_seq=second[-1].seq, limit=8)
        assert [e.seq for e in first + second + third] == list(range(20, 0, -1))
        flt = AuditFilter(staff_id="s1", action="revoke")
        expected = [e for e in reversed(events) if e.staff_id == "s1" and e.action == "revoke"]
        assert uow.audit.page(flt) == expected and uow.audit.count(flt) == len(expected) > 0
        window = AuditFilter(since=T0 + timedelta(seconds=5), until=T0 + timedelta(seconds=8))
        assert [e.seq for e in uow.audit.page(window)] == [7, 6, 5]
        assert [e.seq for e in uow.audit.page(AuditFilter(customer_ref="c1"), limit=2)] == [5, 4]
    assert verify_chain(store.iter_audit(batch=6)) == (20, events[-1].hash)
    assert list(store.iter_audit(after_seq=18)) == events[18:]
    assert events[0].details == {"i": 1, "rrn": "900101-1******", "이름": "홍길동"}
