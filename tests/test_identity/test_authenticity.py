"""Training ID registry: results per document, keyed hashes only on disk, the service-down paths, demo seed."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest

from teller.domain import AuthenticityResult, IdDocumentType
from teller.errors import IdentityCheckError
from teller.identity.authenticity import STATUS_REPORTED_LOST, TrainingRegistry, seed_demo
from teller.identity.rrn import parse_rrn
from teller.ports import IdAuthenticityService, IdCheckRequest

KEY = bytes(range(32))
RRN = "900101-1234568"
ISSUED = date(2015, 3, 2)


@pytest.fixture
def registry(tmp_path: Path, clock: object) -> TrainingRegistry:
    reg = TrainingRegistry(tmp_path / "id-registry.json", KEY, clock)  # type: ignore[arg-type]
    reg.add_entry(document_type=IdDocumentType.RESIDENT_CARD, name="홍길동", rrn=RRN, issue_date=ISSUED)
    return reg


def _req(name: str = "홍길동", rrn: str | None = "9001011234568", issue_date: date | None = ISSUED,
         doc: IdDocumentType = IdDocumentType.RESIDENT_CARD, number: str | None = None) -> IdCheckRequest:
    return IdCheckRequest(document_type=doc, name=name, rrn=rrn, document_number=number, issue_date=issue_date)


def test_is_an_id_authenticity_service(registry: TrainingRegistry) -> None:
    service: IdAuthenticityService = registry
    assert callable(service.check)


def test_verified_with_request_id_and_clock(registry: TrainingRegistry, clock: object) -> None:
    a = registry.check(_req())
    b = registry.check(_req())
    assert a.result is AuthenticityResult.VERIFIED
    assert a.checked_at == clock.now()  # type: ignore[attr-defined]
    assert len(a.request_id) == 32 and int(a.request_id, 16) >= 0
    assert a.request_id != b.request_id
    assert "일치" in a.message


@pytest.mark.parametrize(
    "req",
    [
        _req(name="홍길순"),
        _req(rrn="9001011234511"),
        _req(issue_date=date(2015, 3, 3)),
        _req(issue_date=None),  # the entry records an issue date: the request must give it
        _req(doc=IdDocumentType.DRIVER_LICENSE),
        _req(rrn=None),
    ],
)
def test_any_mismatch_is_not_found(registry: TrainingRegistry, req: IdCheckRequest) -> None:
    r = registry.check(req)
    assert r.result is AuthenticityResult.NOT_FOUND
    assert "불일치" in r.message


def test_hyphenated_rrn_and_nfd_name_match(registry: TrainingRegistry) -> None:
    import unicodedata
    r = registry.check(_req(name=unicodedata.normalize("NFD", "홍길동"), rrn=RRN))
    assert r.result is AuthenticityResult.VERIFIED


def test_reported_lost(registry: TrainingRegistry) -> None:
    registry.add_entry(document_type=IdDocumentType.RESIDENT_CARD, name="홍길동", rrn=RRN, issue_date=ISSUED,
                       status=STATUS_REPORTED_LOST)  # replaces the valid entry
    assert len(registry) == 1
    r = registry.check(_req())
    assert r.result is AuthenticityResult.REPORTED_LOST
    assert "분실" in r.message


def test_licence_matches_old_region_name(registry: TrainingRegistry) -> None:
    registry.add_entry(document_type=IdDocumentType.DRIVER_LICENSE, name="김철수", rrn="850101-1234566",
                       document_number="11-15-000001-00", issue_date=date(2015, 6, 1))
    ok = registry.check(_req(name="김철수", rrn="8501011234566", doc=IdDocumentType.DRIVER_LICENSE,
                             number="서울-15-000001-00", issue_date=date(2015, 6, 1)))
    assert ok.result is AuthenticityResult.VERIFIED
    other = registry.check(_req(name="김철수", rrn="8501011234566", doc=IdDocumentType.DRIVER_LICENSE,
                                number="11-15-000002-00", issue_date=date(2015, 6, 1)))
    assert other.result is AuthenticityResult.NOT_FOUND


def test_file_holds_no_plaintext_identity(registry: TrainingRegistry, tmp_path: Path) -> None:
    registry.add_entry(document_type=IdDocumentType.PASSPORT, name="이영희", rrn="920101-2234565",
                       document_number="M000A0001", issue_date=date(2022, 1, 3))
    raw = (tmp_path / "id-registry.json").read_text(encoding="utf-8")
    for secret in ("9001011234568", "1234568", "900101-1", "2234565", "M000A0001", "000A0001"):
        assert secret not in raw
    assert stat.S_IMODE(os.stat(tmp_path / "id-registry.json").st_mode) == 0o600
    doc = json.loads(raw)
    assert {e["name"] for e in doc["entries"]} == {"홍길동", "이영희"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".id-registry-")]  # no temp left


def test_other_key_refuses_the_registry(registry: TrainingRegistry, tmp_path: Path) -> None:
    other = TrainingRegistry(tmp_path / "id-registry.json", b"\x01" * 32)
    with pytest.raises(IdentityCheckError):
        other.check(_req())


def test_corrupt_registry_is_a_teller_error(tmp_path: Path) -> None:
    path = tmp_path / "reg.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(IdentityCheckError):
        TrainingRegistry(path, KEY).check(_req())


def test_missing_registry_file_finds_nothing(tmp_path: Path) -> None:
    assert TrainingRegistry(tmp_path / "none.json", KEY).check(_req()).result is AuthenticityResult.NOT_FOUND


def test_unavailable_flag(tmp_path: Path) -> None:
    r = TrainingRegistry(tmp_path / "reg.json", KEY, unavailable=True).check(_req())
    assert r.result is AuthenticityResult.UNAVAILABLE
    assert "책임자 승인" in r.message


def test_down_marker_file_switches_on_and_off(registry: TrainingRegistry, tmp_path: Path) -> None:
    marker = tmp_path / "id-registry.json.down"
    marker.touch()
    assert registry.check(_req()).result is AuthenticityResult.UNAVAILABLE
    marker.unlink()
    assert registry.check(_req()).result is AuthenticityResult.VERIFIED


def test_seed_demo_people_verify_and_are_idempotent(tmp_path: Path) -> None:
    reg = TrainingRegistry(tmp_path / "reg.json", KEY)
    people = seed_demo(reg)
    seed_demo(reg)
    assert len(reg) == len(people) == 5
    names = {p.name for p in people}
    assert {"홍길동", "김철수", "이영희", "SMITH JOHN"} <= names
    results = {}
    for p in people:
        rrn = parse_rrn(p.rrn)
        assert rrn.checksum_ok, p.name  # demo numbers carry a valid check digit
        results[p.name] = reg.check(IdCheckRequest(p.document_type, p.name, rrn.digits, p.document_number,
                                                   p.issue_date)).result
    assert parse_rrn(next(p.rrn for p in people if p.name == "SMITH JOHN")).is_foreigner
    assert sorted(r.value for r in results.values()) == ["reported_lost"] + ["verified"] * 4
