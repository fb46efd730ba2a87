"""실명확인 against the training registry: every document type, refusals, evidence, look-ups and reveals."""

from __future__ import annotations

from datetime import date

import pytest

from teller.domain import Action, AuthenticityResult, IdDocumentType
from teller.errors import ApprovalRequired, IdentityCheckError, PermissionDenied, ValidationError
from teller.services import customers


@pytest.mark.parametrize("name", ["홍길동", "김철수", "이영희", "SMITH JOHN"])
def test_each_document_type_identifies(world, name):
    person = world.person(name)
    result = world.identify(name)
    assert result.check.result is AuthenticityResult.VERIFIED
    assert not result.needs_approval
    assert result.customer.rrn_masked == person.rrn[:8] + "******"
    assert result.customer.is_foreigner == (person.document_type is IdDocumentType.ALIEN_CARD)
    assert result.evidence.document_type is person.document_type
    assert result.evidence.photo_attested and result.evidence.staff_id == "t001"
    if person.document_number:  # the number is kept masked only
        assert result.evidence.document_number_masked != person.document_number
    with world.deps.store.unit_of_work() as uow:
        stored = uow.customers.get(result.customer.customer_id)
        assert uow.customers.latest_evidence(stored.customer_id).evidence_id == result.evidence.evidence_id
    digits = person.rrn.replace("-", "")
    assert digits.encode() not in stored.rrn_encrypted and stored.rrn_hash != digits


def test_passport_by_mrz(world):
    from teller.identity.passport import build_td3_mrz

    person = world.person("이영희")
    lines = build_td3_mrz(surname="LEE", given_names="YOUNGHEE", number=person.document_number,
                          birth_date=date(1992, 1, 1), expiry_date=date(2032, 1, 2), sex="F")
    result = world.identify("이영희", document_number=None, mrz=(lines[0], lines[1]))
    assert result.check.result is AuthenticityResult.VERIFIED


@pytest.mark.parametrize("birth, sex", [(date(1992, 1, 2), "F"), (date(1992, 1, 1), "M")])
def test_passport_mrz_for_another_birth_date_or_sex_is_refused(world, birth, sex):
    from teller.identity.passport import build_td3_mrz

    person = world.person("이영희")  # 920101-2…
    lines = build_td3_mrz(surname="LEE", given_names="YOUNGHEE", number=person.document_number,
                          birth_date=birth, expiry_date=date(2032, 1, 2), sex=sex)
    with pytest.raises(ValidationError) as caught:
        world.identify("이영희", document_number=None, mrz=(lines[0], lines[1]))
    assert caught.value.code == "mrz_rrn_mismatch"
    with world.deps.store.unit_of_work() as uow:  # refused before the registry is asked: no customer row
        assert uow.customers.find_by_rrn_hash(world.deps.field_crypto.lookup_hash(
            person.rrn.replace("-", ""))) is None


def test_same_rrn_finds_the_same_customer(world):
    first = world.identify("홍길동")
    second = world.identify("홍길동")
    assert first.customer.customer_id == second.customer.customer_id
    assert first.evidence.evidence_id != second.evidence.evidence_id


def test_reported_lost_is_refused_and_audited(world):
    with pytest.raises(IdentityCheckError, match="분실"):
        world.identify("박분실")
    events = world.audit_events(Action.CUSTOMER_IDENTIFIED.value)
    assert [(e.result, e.details["check_result"]) for e in events] == [("refused", "reported_lost")]
    assert "750101-1******" == events[0].details["rrn_masked"]


def test_unknown_person_is_refused(world):
    with pytest.raises(IdentityCheckError):
        world.identify("홍길동", name="홍길순")  # name does not match the registry entry
    assert world.audit_events(Action.CUSTOMER_IDENTIFIED.value)[0].result == "refused"


def test_service_down_means_manager_approval(world):
    world.deps.id_check.down_marker.touch()
    result = world.identify("홍길동")
    assert result.check.result is AuthenticityResult.UNAVAILABLE
    assert result.needs_approval


def test_photo_must_be_attested(world):
    with pytest.raises(ValidationError, match="사진"):
        world.identify("홍길동", photo_attested=False)
    assert world.audit_events(Action.CUSTOMER_IDENTIFIED.value) == []


def test_document_fields_are_validated(world):
    with pytest.raises(ValidationError):
        world.identify("김철수", document_number=None)  # licence number missing
    with pytest.raises(ValidationError):
        world.identify("홍길동", document_type=IdDocumentType.ALIEN_CARD)  # not an alien number
    with pytest.raises(ValidationError):
        world.identify("홍길동", rrn="900230-1234567")  # 30 February


def test_auditors_cannot_identify(world):
    with pytest.raises(PermissionDenied):
        world.identify("홍길동", session=world.session("a001"))


def test_find_by_rrn_name_and_lookups_are_audited(world):
    customer_id = world.identify("홍길동").customer.customer_id
    by_rrn = customers.find_customers(world.deps, world.teller, world.person("홍길동").rrn)
    assert [c.customer_id for c in by_rrn] == [customer_id]
    by_name = customers.find_customers(world.deps, world.session("a001"), "홍길")
    assert customer_id in [c.customer_id for c in by_name]
    assert customers.get_customer(world.deps, world.teller, customer_id).name == "홍길동"
    lookups = world.audit_events(Action.CUSTOMER_LOOKUP.value)
    assert len(lookups) == 3
    assert all("1234" not in str(e.details) for e in lookups)  # never the number typed


def test_reveal_is_for_managers_or_with_approval(world):
    person = world.person("홍길동")
    customer_id = world.identify("홍길동").customer.customer_id
    assert customers.reveal_rrn(world.deps, world.manager, customer_id, "고객 요청 서류 확인") == person.rrn
    with pytest.raises(ApprovalRequired):
        customers.reveal_rrn(world.deps, world.teller, customer_id, "서류 확인")
    revealed = world.approve_and_retry(
        lambda a: customers.reveal_rrn(world.deps, world.teller, customer_id, "서류 확인", approval_id=a))
    assert revealed == person.rrn
    events = world.audit_events(Action.RRN_REVEALED.value)
    assert [e.staff_id for e in events] == ["m001", "t001"]
    assert all(person.rrn[7:] not in str(e.details) for e in events)
