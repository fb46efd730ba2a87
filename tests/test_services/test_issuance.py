"""Issuance end to end: real key, real CA signature, real NPKI folder on a media folder, receipts, audit."""

from __future__ import annotations

import pytest
from cryptography import x509

from teller.domain import Action, CertKind, CertStatus
from teller.errors import ApprovalRequired, LifecycleError, MediaError, PermissionDenied, ValidationError
from teller.services.issuance import IssueRequest, issue_certificate
from teller.services.support import KST


@pytest.mark.parametrize("kind, fee", [(CertKind.BANK, 0), (CertKind.GENERAL, 4400)])
def test_issue_writes_a_verified_folder_and_records_everything(any_world, kind, fee):
    from teller.pki.npki import verify_folder

    w = any_world
    person = w.person("홍길동")
    result = w.issue("홍길동", kind)
    cert = result.certificate
    assert result.fee_krw == fee and cert.fee_krw == fee
    assert cert.status is CertStatus.ACTIVE and cert.kind is kind and cert.policy_oid == kind.policy_oid
    # validity: today 00:00:00 KST … today + 1 year − 1 day 23:59:59 KST
    nb, na = cert.not_before.astimezone(KST), cert.not_after.astimezone(KST)
    assert (nb.date().isoformat(), nb.hour, nb.minute) == ("2026-11-25", 0, 0)
    assert (na.date().isoformat(), na.hour, na.minute, na.second) == ("2027-11-24", 23, 59, 59)
    # the folder on the media decrypts with the customer's password, matches the certificate and the RRN's VID
    assert result.folder.is_dir() and result.folder.is_relative_to(w.media)
    assert (result.folder / "signCert.der").is_file() and (result.folder / "signPri.key").is_file()
    check = verify_folder(result.folder, w.cert_password, person.rrn.replace("-", ""))
    assert check.key_matches and check.vid_matches
    on_media = x509.load_der_x509_certificate((result.folder / "signCert.der").read_bytes())
    assert format(on_media.serial_number, "x") == cert.serial
    assert w.deps.ca.knows(on_media.serial_number)
    # the database agrees, the trail tells the story, the receipt is recorded
    with w.deps.store.unit_of_work() as uow:
        stored = uow.certificates.get(cert.serial)
        receipt = uow.receipts.get(result.transaction)
    assert stored.status is CertStatus.ACTIVE and stored.folder == cert.folder and stored.confirmed_at
    assert receipt is not None
    issue_events = [(e.result, e.subject) for e in w.audit_events(Action.ISSUE.value)]
    assert issue_events == [("started", result.transaction), ("signed", cert.serial), ("ok", cert.serial)]


def test_transaction_numbers_are_per_branch_and_day(world):
    first = world.issue("홍길동", CertKind.BANK)
    second = world.issue("김철수", CertKind.BANK)
    assert first.transaction.startswith("0815-20261125-")
    assert int(second.transaction.rsplit("-", 1)[1]) == int(first.transaction.rsplit("-", 1)[1]) + 1


def test_identification_must_be_from_today(world):
    customer_id = world.identify("홍길동").customer.customer_id
    world.clock.advance(days=1)
    with pytest.raises(LifecycleError, match="실명확인"):
        world.issue("홍길동", identify=False)
    assert len(world.deps.ca.issued_serials()) == 0  # nothing signed
    with world.deps.store.unit_of_work() as uow:
        assert uow.certificates.by_customer(customer_id) == []


def test_the_password_rule_is_checked_before_anything_happens(world):
    customer_id = world.identify("홍길동").customer.customer_id
    for pw, confirm in (("short1!", "short1!"), ("NoSpecials123", "NoSpecials123"),
                        ("Quote'd#12345", "Quote'd#12345"), ("Good#pass2026", "Other#pass2026")):
        with pytest.raises(ValidationError):
            issue_certificate(world.deps, world.teller, IssueRequest(customer_id, CertKind.BANK, world.media, pw,
                                                                      confirm))
    assert list(world.media.iterdir()) == []
    assert len(world.deps.ca.issued_serials()) == 0


def test_unverified_identification_needs_a_manager(world):
    world.deps.id_check.down_marker.touch()
    with pytest.raises(ApprovalRequired) as exc:
        world.issue("홍길동")
    assert exc.value.action == "issue_unverified"
    customer_id = world.customer_id("홍길동")
    result = world.approve_and_retry(lambda a: issue_certificate(world.deps, world.teller, IssueRequest(
        customer_id, CertKind.BANK, world.media, world.cert_password, world.cert_password, approval_id=a)))
    assert result.certificate.status is CertStatus.ACTIVE


def test_second_valid_certificate_of_a_kind_is_refused(world):
    world.issue("홍길동", CertKind.BANK)
    with pytest.raises(LifecycleError, match="재발급"):
        world.issue("홍길동", CertKind.BANK)
    assert world.issue("홍길동", CertKind.GENERAL).fee_krw == 4400


def test_auditors_cannot_issue(world):
    world.identify("홍길동")
    with pytest.raises(PermissionDenied):
        world.issue("홍길동", identify=False, session=world.session("a001"))


def test_missing_media_is_refused_before_the_ca_signs(world, tmp_path):
    missing = tmp_path / "no-such-usb"
    crl_before = world.crl_reasons()
    with pytest.raises(MediaError):
        world.issue("홍길동", media=missing)
    assert not missing.exists()
    with world.deps.store.unit_of_work() as uow:
        assert uow.certificates.with_status(CertStatus.FAILED) == []
        assert uow.certificates.with_status(CertStatus.PENDING) == []
    assert world.crl_reasons() == crl_before  # no signature spent, no CRL entry
    assert [e.result for e in world.audit_events(Action.ISSUE.value)] == ["started", "failed"]


def test_progress_reports_every_step(world):
    steps: list[str] = []
    customer_id = world.identify("홍길동").customer.customer_id
    issue_certificate(world.deps, world.teller,
                      IssueRequest(customer_id, CertKind.BANK, world.media, world.cert_password, world.cert_password),
                      progress=lambda step, fraction: steps.append(step))
    for step in ("keygen", "sign", "encrypt", "write", "verify", "receipt"):
        assert step in steps
    assert steps.index("sign") < steps.index("write") < steps.index("receipt")


def test_validity_and_transaction_follow_the_kst_day(world):
    """23:30 KST is 14:30 UTC the same day; 00:30 KST is still the previous day in UTC."""
    world.clock.set(world.clock.now().replace(hour=15, minute=30))  # 00:30 KST on 26 November
    result = world.issue("홍길동")
    assert result.certificate.not_before.astimezone(KST).date().isoformat() == "2026-11-26"
    assert result.transaction.startswith("0815-20261126-")


def test_corporate_without_a_business_number_is_refused_before_anything(world):
    from teller.errors import ValidationError
    from teller.services.issuance import CorporateApplicant, check_issuable

    customer_id = world.identify("홍길동").customer.customer_id
    with pytest.raises(ValidationError) as caught:
        check_issuable(world.deps, world.teller, customer_id, CertKind.CORPORATE)
    assert caught.value.code == "business_number_required"
    with pytest.raises(ValidationError) as caught:
        world.issue("홍길동", CertKind.CORPORATE, identify=False)
    assert caught.value.code == "business_number_required"
    with pytest.raises(ValidationError) as caught:
        check_issuable(world.deps, world.teller, customer_id, CertKind.CORPORATE, CorporateApplicant("220-81-62518"))
    assert caught.value.code == "business_number_check_digit"
    assert not check_issuable(world.deps, world.teller, customer_id, CertKind.CORPORATE,
                              CorporateApplicant("220-81-62517"))
    with world.deps.store.unit_of_work() as uow:
        assert uow.certificates.by_customer(customer_id) == []
