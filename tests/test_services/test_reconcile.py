"""Reconciliation repairs each way the CA and the branch database can disagree (in-process; the SIGKILL cases are
in tests/test_cli/test_crash.py)."""

from __future__ import annotations

from cryptography import x509

from teller.domain import Action, CertStatus, RevocationReason
from teller.services.reconcile import reconcile
from teller.services.setup import start_of_day


def test_nothing_to_do_on_a_consistent_branch(world):
    world.issue("홍길동")
    report = reconcile(world.deps)
    assert not report.changed and report.problems == []
    assert world.audit_events(Action.RECONCILE.value) == []


def test_ca_revocation_missing_after_the_database_commit(world):
    cert = world.issue("홍길동").certificate
    when = world.clock.now()
    with world.deps.store.unit_of_work() as uow:  # as if the CA step after the commit had failed
        row = uow.certificates.get(cert.serial)
        row.status, row.revoked_at, row.revocation_reason = CertStatus.REVOKED, when, RevocationReason.SUPERSEDED
        uow.certificates.update(row)
        uow.commit()
    assert int(cert.serial, 16) not in world.crl_reasons()
    report = reconcile(world.deps)
    assert report.ca_revocations_completed == [cert.serial]
    assert world.crl_reasons()[int(cert.serial, 16)] == x509.ReasonFlags.superseded
    assert not reconcile(world.deps).changed


def test_database_behind_a_ca_revocation(world):
    cert = world.issue("홍길동").certificate
    world.deps.ca.revoke(int(cert.serial, 16), RevocationReason.KEY_COMPROMISE, world.clock.now())
    report = start_of_day(world.deps)
    assert report.db_revocations_recorded == [cert.serial]
    with world.deps.store.unit_of_work() as uow:
        row = uow.certificates.get(cert.serial)
    assert row.status is CertStatus.REVOKED and row.revocation_reason is RevocationReason.KEY_COMPROMISE
    fixes = world.audit_events(Action.RECONCILE.value)
    assert [e.details["fix"] for e in fixes] == ["db_revocation_recorded"]


def test_a_held_certificate_is_left_alone(world):
    cert = world.issue("홍길동").certificate
    from teller.services.revocation import hold

    world.approve_and_retry(lambda a: hold(world.deps, world.teller, cert.serial, a))
    assert not reconcile(world.deps).changed
    with world.deps.store.unit_of_work() as uow:
        assert uow.certificates.get(cert.serial).status is CertStatus.HELD


def test_pending_work_of_another_counter_is_left_alone_until_its_lease_is_over(world):
    from datetime import timedelta

    from teller.services.reconcile import PENDING_LEASE

    cert = world.issue("홍길동").certificate
    with world.deps.store.unit_of_work() as uow:  # another counter between its signature and its confirmation
        row = uow.certificates.get(cert.serial)
        row.status, row.confirmed_at = CertStatus.PENDING, None
        uow.certificates.update(row)
        uow.commit()
    assert not reconcile(world.deps).changed
    assert int(cert.serial, 16) not in world.crl_reasons()
    world.clock.set(world.clock.now() + PENDING_LEASE + timedelta(seconds=1))  # the owner never came back
    assert reconcile(world.deps).pending_failed == [cert.serial]
    assert world.crl_reasons()[int(cert.serial, 16)] == x509.ReasonFlags.cessation_of_operation
    assert [e.subject for e in world.audit_events(Action.RECONCILE.value)] == [cert.serial]
