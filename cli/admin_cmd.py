"""`teller init [--demo]` and `teller staff add|list`.

init: creates the home, the branch database (migrated), the master key, the embedded CA and the demo media folder.
  --demo: a training branch: demo staff (m001/m002 managers, t001/t002 tellers, a001 auditor) with generated
  passwords printed ONCE, and the training ID registry's fake demo customers (printed with their full fake RRNs
  so a trainer can type them — demo data only).
  Without --demo, on first run: prompts for the first branch manager (id, name, password twice; via getpass on a
  terminal, else four lines on stdin).
  --json prints one JSON object instead of the text (for scripts and tests).

staff add ID --role teller|manager|auditor|call_centre --name NAME --manager MID
  stdin line 1: the new staff member's password; the manager's password comes from TELLER_MANAGER_PASSWORD or,
  when that is unset, stdin line 2.
staff list --staff ID (a manager or an auditor); password from TELLER_STAFF_PASSWORD or stdin line 1.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from teller.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="지점 단말 초기화 (create home, database, CA; --demo for training)")
    p.add_argument("--demo", action="store_true", help="training branch: demo staff and demo customers")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_init)

    staff = sub.add_parser("staff", help="직원 관리 (staff management)")
    ssub = staff.add_subparsers(dest="staff_command", metavar="SUBCOMMAND", required=True)
    add = ssub.add_parser("add", help="직원 등록 (password on stdin; manager password from env or stdin line 2)")
    add.add_argument("staff_id")
    add.add_argument("--role", required=True, choices=("teller", "manager", "auditor", "call_centre"))
    add.add_argument("--name", required=True)
    add.add_argument("--manager", required=True, help="an existing manager's id")
    add.set_defaults(func=cmd_staff_add)
    lst = ssub.add_parser("list", help="직원 목록 (password from TELLER_STAFF_PASSWORD or stdin)")
    lst.add_argument("--staff", required=True, help="a manager's or auditor's id")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_staff_list)


def _pad(text: str, cells: int) -> str:
    """Left-justify by terminal cells: Hangul takes two."""
    import unicodedata

    width = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
    return text + " " * max(cells - width, 0)


def _stdin_lines() -> list[str]:
    return [line.rstrip("\r\n") for line in sys.stdin.read().splitlines()]


def _prompt_first_manager() -> tuple[str, str, str]:
    if sys.stdin.isatty():
        staff_id = input("책임자 직원 번호 (manager id): ").strip()
        name = input("책임자 이름 (name): ").strip()
        pw = getpass.getpass("비밀번호 (password): ")
        again = getpass.getpass("비밀번호 확인 (again): ")
    else:
        lines = _stdin_lines() + ["", "", "", ""]
        staff_id, name, pw, again = (lines[0].strip(), lines[1].strip(), lines[2], lines[3])
    if pw != again:
        raise ValidationError("비밀번호가 서로 다릅니다", "the passwords do not match")
    return staff_id, name, pw


def cmd_init(args: argparse.Namespace) -> int:
    from teller.config import load_settings
    from teller.services.auth import create_first_manager, needs_first_manager
    from teller.services.setup import initialise_branch, seed_demo_branch
    from cli.wiring import build_deps

    settings = load_settings(args.home)
    deps = build_deps(settings)
    first = initialise_branch(deps)
    database = settings.database_url if settings.db_url is None else "(TELLER_DB_URL)"  # may hold credentials
    out: dict[str, Any] = {"home": str(settings.home), "database": database, "ca_dir": str(settings.ca_dir),
                           "demo_media": str(settings.demo_media_dir), "first_init": first,
                           "staff": [], "demo_customers": []}
    if args.demo:
        seed = seed_demo_branch(deps)
        out["staff"] = [{"id": s.staff_id, "name": s.name, "role": s.role.value, "password": s.password}
                        for s in seed.staff]
        out["demo_customers"] = [
            {"name": p.name, "rrn": p.rrn, "rrn_masked": p.rrn[:8] + "******", "id_document": p.document_type.value,
             "document_number": p.document_number, "issue_date": p.issue_date.isoformat(), "note": p.note}
            for p in seed.people]
    elif needs_first_manager(deps):
        staff_id, name, pw = _prompt_first_manager()
        view = create_first_manager(deps, staff_id, name, pw)
        out["staff"] = [{"id": view.staff_id, "name": view.name, "role": view.role.value}]
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"단말 초기화 완료 (initialised): {out['home']}")
    print(f"  CA: {out['ca_dir']}   데모 매체 (demo media): {out['demo_media']}")
    if out["staff"]:
        print("직원 (staff) — 비밀번호는 지금 한 번만 표시됩니다 (passwords are shown once):")
        for s in out["staff"]:
            print(f"  {s['id']:6} {s['role']:8} {_pad(s['name'], 8)} {s.get('password', '(입력한 비밀번호)')}")
    if out["demo_customers"]:
        print("교육용 가상 고객 (FAKE demo customers, training only):")
        for p in out["demo_customers"]:
            number = f" {p['document_number']}" if p["document_number"] else ""
            print(f"  {_pad(p['name'], 11)} {p['rrn']} ({p['rrn_masked']}) {p['id_document']}{number} "
                  f"발급일 {p['issue_date']} — {p['note']}")
    return 0


def _manager_session(deps: Any, manager_id: str, lines: list[str], line_no: int, env_name: str) -> Any:
    from teller.services.auth import sign_in

    password = os.environ.get(env_name)
    if password is None:
        if len(lines) <= line_no or not lines[line_no]:
            raise ValidationError(f"비밀번호가 없습니다 ({env_name} 또는 표준 입력 {line_no + 1}번째 줄)",
                                  f"no password: set {env_name} or give it on stdin line {line_no + 1}")
        password = lines[line_no]
    return sign_in(deps, manager_id, password)


def cmd_staff_add(args: argparse.Namespace) -> int:
    from teller.config import load_settings
    from teller.domain import Role
    from teller.services.auth import add_staff
    from cli.wiring import build_deps

    lines = _stdin_lines()
    if not lines or not lines[0]:
        raise ValidationError("새 직원의 비밀번호를 표준 입력 첫 줄에 주십시오",
                              "give the new staff member's password on stdin line 1")
    deps = build_deps(load_settings(args.home))
    session = _manager_session(deps, args.manager, lines, 1, "TELLER_MANAGER_PASSWORD")
    view = add_staff(deps, session, args.staff_id, args.name, Role(args.role), lines[0])
    print(f"직원 등록 완료 (added): {view.staff_id} {view.role.value} {view.name}")
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    from teller.config import load_settings
    from teller.services.auth import list_staff
    from cli.wiring import build_deps

    lines = [] if "TELLER_STAFF_PASSWORD" in os.environ else _stdin_lines()
    deps = build_deps(load_settings(args.home))
    session = _manager_session(deps, args.staff, lines, 0, "TELLER_STAFF_PASSWORD")
    staff = list_staff(deps, session)
    if args.json:
        print(json.dumps([{"id": s.staff_id, "name": s.name, "role": s.role.value, "locked": s.locked,
                           "active": s.active} for s in staff], ensure_ascii=False))
        return 0
    for s in staff:
        state = "잠김(locked)" if s.locked else ("정상" if s.active else "비활성")
        print(f"{s.staff_id:8} {s.role.value:8} {state:10} {s.name}")
    return 0
