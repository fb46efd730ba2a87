"""The head-office secret scan judges structure, and a refused event never jams the sync behind it."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from db.headoffice import make_upstream
from teller.domain import Action, AuditDraft
from teller.headoffice.secrets import secret_in_event
from teller.identity.rrn import find_rrn, rrn_check_digit
from teller.services.sync import sync_status

_RUN = re.compile(r"(?<!\d)\d{6}[1-8]\d{6}(?!\d)")  # what the old scan refused: any 13-digit run


def _valid_rrn(first12: str) -> str:
    return first12 + str(rrn_check_digit(first12))


def test_ids_with_digit_runs_are_opaque_and_text_is_judged_by_structure() -> None:
    leaked = _valid_rrn("900101123456")  # a real date, gender digit 1, correct check digit
    assert find_rrn(f"고객 {leaked[:6]}-{leaked[6:]} 확인") and find_rrn(leaked)
    assert not find_rrn("9013011234567")  # month 13
    assert not find_rrn(leaked[:12] + str((int(leaked[12]) + 1) % 10))  # wrong check digit
    assert not find_rrn("9001019234568")  # gender digit 9 is no modern resident number
    crafted = f"a{leaked}" + uuid.uuid4().hex[:18]  # an id holding a real-looking number: never scanned
    base = {"customer_ref": crafted, "staff_id": "S100", "subject": "serial-1", "details": {"request_id": crafted}}
    assert secret_in_event(base) is None
    assert secret_in_event({**base, "subject": f"{leaked} 홍길동"}) == "subject"
    assert secret_in_event({**base, "details": {"memo": [{"x": leaked}]}}) == "details.memo[0].x"
    # uuid4-hex ids hold a 13-digit run often enough to jam the old scan; as ids they are never scanned.
    ids = [uuid.uuid4().hex for _ in range(20_000)]
    assert any(_RUN.search(i) for i in ids)
    assert all(secret_in_event({**base, "customer_ref": i, "details": {"customer_id": i}}) is None for i in ids)


def test_ten_thousand_events_sync_through_one_quarantined_leak(make_branch: Any, add_events: Any, capsys: Any,
                                                               monkeypatch: Any) -> None:
    from cli import main

    for var in ("TELLER_UPSTREAM_URL", "TELLER_DB_URL", "TELLER_BRANCH_ID", "TELLER_HOME"):
        monkeypatch.delenv(var, raising=False)
    branch = make_branch()
    leaked = _valid_rrn("850315212345")
    add_events(branch, 4_000, per_uow=1_000)
    with branch.store.unit_of_work() as uow:  # ids crafted to hold 13-digit runs (opaque), then one real leak
        looks_real = _valid_rrn("900101123456")
        for ref in (f"{looks_real}{uuid.uuid4().hex[:19]}", f"x{looks_real}", "1234567890123"):
            uow.audit.append(AuditDraft(at=branch.clock.now(), terminal_id="T01", staff_id="S100",
                                        action=Action.ISSUE, result="ok", customer_ref=ref, subject="serial-x",
                                        details={"request_id": ref}))
        leak = uow.audit.append(AuditDraft(at=branch.clock.now(), terminal_id="T01", staff_id="S100",
                                           action=Action.ISSUE, result="ok", customer_ref=uuid.uuid4().hex,
                                           subject="serial-y", details={"note": f"주민번호 {leaked} 확인"}))
        uow.commit()
    add_events(branch, 5_996, per_uow=1_000)
    home = str(branch.settings.home)
    assert main(["--home", home, "sync", "--once"]) == 0
    capsys.readouterr()

    office = make_upstream(branch.settings)
    try:
        assert [q.seq for q in office.quarantined("0815")] == [leak.seq]
        watermark = office.branch_status("0815").watermark
        assert watermark >= 10_000  # all 10,000, and the branch's own record of the quarantine sent after them
        held = office.events("0815", limit=20_000)
        assert len(held) == watermark - 1 and leak.seq not in {e.seq for e in held}
        assert office.verify_branch("0815") == (True, watermark, None)
        for stored in branch.settings.home.glob("headoffice.db*"):  # the database and its WAL
            assert leaked.encode() not in stored.read_bytes()
    finally:
        office.close()
    status = sync_status(branch)
    assert [q.seq for q in status.quarantined] == [leak.seq] and status.last_error is None
    assert main(["--home", home, "sync", "status"]) == 0
    out = capsys.readouterr().out
    assert f"순번 {leak.seq}" in out and "details.note" in out and leaked not in out
    assert main(["--home", home, "sync", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["quarantined"][0]["seq"] == leak.seq
