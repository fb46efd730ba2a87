"""Renewal window, reissue, revocation, hold/release/expiry and deletion from media, with the real CA's CRL."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from cryptography import x509

from teller.domain import Action, CertKind, CertStatus, RevocationReason
from teller.errors import ApprovalRequired, ErrorKind, LifecycleError
from teller.services import deletion, reissue, renewal, revocation
from teller.services.support import KST


def at_kst(world, day: date, hour: int = 10) -> None:
    world.clock.set(datetime.combine(day, time(hour), KST).astimezone(timezone.utc))


EXPIRY_DAY = date(2027, 11, 24)  # a certificate issued on 2026-11-25 (KST) expires at its end


@pytest.mark.parametrize("days_before, allowed", [(31, False), (30, True), (0, True), (-1, False)])
def test_renewal_window_edges(world, days_before, allowed):
    old = world.issue("홍길동").certificate
    assert old.not_after.astimezone(KST).date() == EXPIRY_DAY
    at_kst(world, EXPIRY_DAY - timedelta(days=days_before), hour=23 if days_before == 0 else 10)
    world.identify("홍길동")

    def run():
        return renewal.renew(world.deps, world.teller, old.serial, world.media, world.cert_password,
                             world.cert_password)

    if not allowed:
        with pytest.raises(LifecycleError) as exc:
            run()
        assert "2027-10-25" in exc.value.message and "2027-11-24" in exc.value.message
        return
    result = run()
    new = result.certificate
    # default renewal_base = old_expiry: the customer keeps the remaining days
    assert new.not_after.astimezone(KST).date() == date(2028, 11, 24)
    assert new.not_before.astimezone(KST).date() == EXPIRY_DAY - timedelta(days=days_before)
    assert new.replaces_serial == old.serial and result.fee_krw == 0
    with world.deps.store.unit_of_work() as uow:
        stored_old = uow.certificates.get(old.serial)
    assert stored_old.status is CertStatus.ACTIVE and stored_old.replaced_by_serial == new.serial
    assert int(old.serial, 16) not in world.crl_reasons()
    # the new folder is on the media, the old one is gone from it
    assert result.folder.is_dir() and not (world.media / old.folder).exists()


def test_renewal_from_the_renewal_day_when_configured(world_with):
    world = world_with(renewal_base="renewal_day")
    old = world.issue("홍길동").certificate
    at_kst(world, EXPIRY_DAY - timedelta(days=5))
    world.identify("홍길동")
    new = renewal.renew(world.deps, world.teller, old.serial, world.media, world.cert_password,
                        world.cert_password).certificate
    assert new.not_after.astimezone(KST).date() == date(2028, 11, 18)  # 2027-11-19 + 1 year − 1 day


def test_general_renewal_charges_the_fee(world):
    old = world.issue("홍길동", CertKind.GENERAL).certificate
    at_kst(world, EXPIRY_DAY - timedelta(days=10))
    world.identify("홍길동")
    result = renewal.renew(world.deps, world.teller, old.serial, world.media, world.cert_password,
                           world.cert_password)
    assert result.fee_krw == 4400


def test_reissue_keeps_the_expiry_revokes_the_old_and_is_free(any_world):
    w = any_world
    old = w.issue("홍길동").certificate
    w.clock.advance(days=40)
    w.identify("홍길동")
    with pytest.raises(ApprovalRequired):
        reissue.reissue(w.deps, w.teller, old.serial, w.media, w.cert_password, w.cert_password)
    result = w.approve_and_retry(lambda a: reissue.reissue(w.deps, w.teller, old.serial, w.media, w.cert_password,
                                                           w.cert_password, a))
    new = result.certificate
    assert new.not_after == old.not_after and new.serial != old.serial
    assert new.not_before.astimezone(KST).date() == date(2027, 1, 4)
    assert result.fee_krw == 0 and new.fee_krw == 0
    with w.deps.store.unit_of_work() as uow:
        stored_old = uow.certificates.get(old.serial)
    assert stored_old.status is CertStatus.REVOKED
    assert stored_old.revocation_reason is RevocationReason.SUPERSEDED
    assert w.crl_reasons()[int(old.serial, 16)] == x509.ReasonFlags.superseded
    assert int(new.serial, 16) not in w.crl_reasons()
    assert [e.result for e in w.audit_events(Action.REISSUE.value)] == ["started", "signed", "ok"]


def test_reissue_after_loss_revocation(world):
    old = world.issue("홍길동").certificate
    world.approve_and_retry(lambda a: revocation.revoke(world.deps, world.teller, old.serial,
                                                        RevocationReason.KEY_COMPROMISE, a))
    world.identify("홍길동")
    result = world.approve_and_retry(lambda a: reissue.reissue(world.deps, world.teller, old.serial, world.media,
                                                               world.cert_password, world.cert_password, a))
    assert result.certificate.status is CertStatus.ACTIVE
    assert world.crl_reasons()[int(old.serial, 16)] == x509.ReasonFlags.key_compromise  # reason kept


def test_revoke_with_reason_appears_in_the_crl(any_world):
    w = any_world
    cert = w.issue("홍길동").certificate
    with pytest.raises(ApprovalRequired) as exc:
        revocation.revoke(w.deps, w.teller, cert.serial, RevocationReason.KEY_COMPROMISE)
    approval_id = w.approve(exc.value.action, exc.value.binding)
    # an approval for one reason does not cover another
    with pytest.raises(Exception):
        revocation.revoke(w.deps, w.teller, cert.serial, RevocationReason.AFFILIATION_CHANGED, approval_id)
    result = revocation.revoke(w.deps, w.teller, cert.serial, RevocationReason.KEY_COMPROMISE, approval_id)
    assert result.certificate.status is CertStatus.REVOKED
    assert w.crl_reasons()[int(cert.serial, 16)] == x509.ReasonFlags.key_compromise
    with pytest.raises(LifecycleError):  # permanent
        w.approve_and_retry(lambda a: revocation.revoke(w.deps, w.teller, cert.serial,
                                                        RevocationReason.KEY_COMPROMISE, a))
    with pytest.raises(LifecycleError):
        revocation.release(w.deps, w.teller, cert.serial)


def test_hold_then_release(world):
    cert = world.issue("홍길동").certificate
    held = world.approve_and_retry(lambda a: revocation.hold(world.deps, world.teller, cert.serial, a))
    assert held.certificate.status is CertStatus.HELD
    assert held.certificate.hold_until == world.clock.now() + timedelta(days=183)
    assert world.crl_reasons()[int(cert.serial, 16)] == x509.ReasonFlags.certificate_hold
    world.clock.advance(days=10)
    released = revocation.release(world.deps, world.teller, cert.serial)
    assert released.certificate.status is CertStatus.ACTIVE and released.certificate.hold_until is None
    assert int(cert.serial, 16) not in world.crl_reasons()
    assert [e.action for e in world.audit_events() if e.subject == cert.serial][-2:] == ["hold", "release"]


def test_hold_expires_into_revocation_after_six_months(any_world):
    w = any_world
    cert = w.issue("홍길동").certificate
    w.approve_and_retry(lambda a: revocation.hold(w.deps, w.teller, cert.serial, a))
    w.clock.advance(days=182)
    assert revocation.expire_holds(w.deps) == []
    w.clock.advance(days=2)
    with pytest.raises(LifecycleError):
        revocation.release(w.deps, w.teller, cert.serial)
    assert revocation.expire_holds(w.deps) == [cert.serial]
    with w.deps.store.unit_of_work() as uow:
        assert uow.certificates.get(cert.serial).status is CertStatus.REVOKED
    assert w.crl_reasons()[int(cert.serial, 16)] == x509.ReasonFlags.cessation_of_operation
    auto = [e for e in w.audit_events(Action.REVOKE.value) if e.details.get("why") == "hold_expired"]
    assert len(auto) == 1 and auto[0].staff_id is None


def test_delete_from_media_leaves_the_certificate_valid(world):
    result = world.issue("홍길동")
    outcome = deletion.delete_from_media(world.deps, world.teller, result.certificate.serial, world.media)
    assert not result.folder.exists()
    assert outcome.still_valid and "폐지되지 않았" in outcome.message
    with world.deps.store.unit_of_work() as uow:
        assert uow.certificates.get(result.certificate.serial).status is CertStatus.ACTIVE
    assert int(result.certificate.serial, 16) not in world.crl_reasons()
    assert len(world.audit_events(Action.DELETE_FROM_MEDIA.value)) == 1


def test_revoking_at_the_ca_again_counts_as_done_by_the_errors_kind(world):
    """Reconciliation and hold expiry retry CA revocations: the CA's "already revoked" (kind ALREADY_REVOKED)
    is success, any other refusal (an unknown serial) is a failure to retry."""
    cert = world.issue("홍길동").certificate
    now = world.clock.now()
    world.deps.ca.revoke(int(cert.serial, 16), RevocationReason.KEY_COMPROMISE, now)
    with pytest.raises(LifecycleError) as again:
        world.deps.ca.revoke(int(cert.serial, 16), RevocationReason.SUPERSEDED, now)
    assert again.value.kind is ErrorKind.ALREADY_REVOKED
    assert revocation.revoke_at_ca(world.deps, cert.serial, RevocationReason.SUPERSEDED, now) is True
    assert revocation.revoke_at_ca(world.deps, "7f" * 8, RevocationReason.SUPERSEDED, now) is False
