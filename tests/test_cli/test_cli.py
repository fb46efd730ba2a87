"""The headless CLI as an operator runs it: `.venv/bin/teller --home … <command>` in a subprocess."""

from __future__ import annotations

import json
import re
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509

KST = timezone(timedelta(hours=9))


def test_init_demo_creates_a_working_branch(demo_template):
    home, out = demo_template
    assert (home / "teller.db").is_file() and (home / "ca").is_dir() and (home / "demo-media").is_dir()
    key_files = list((home / "secrets").iterdir())
    assert key_files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in key_files)
    roles = sorted(s["role"] for s in out["staff"])
    assert roles == ["auditor", "call_centre", "manager", "manager", "teller", "teller"]
    assert all(len(s["password"]) >= 8 for s in out["staff"])
    people = {p["name"]: p for p in out["demo_customers"]}
    assert {"홍길동", "박분실"} <= set(people)
    for p in people.values():  # demo data: full fake RRN for the trainer, and its masked form
        assert re.fullmatch(r"\d{6}-\d{7}", p["rrn"]) and p["rrn_masked"] == p["rrn"][:8] + "******"


def test_init_again_is_harmless_and_prints_no_new_passwords(cli_home, teller_run):
    proc = teller_run(cli_home.home, "init", "--demo", "--json")
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)
    assert again["staff"] == [] and not again["first_init"]


def test_first_manager_then_staff_add_and_list(tmp_path, teller_run, cli_env):
    home = tmp_path / "home"
    proc = teller_run(home, "init", stdin="boss1\n김지점\nbosspass12\nbosspass12\n")
    assert proc.returncode == 0, proc.stderr
    assert "boss1" in proc.stdout and "bosspass12" not in proc.stdout
    proc = teller_run(home, "staff", "add", "t005", "--role", "teller", "--name", "신입창구", "--manager", "boss1",
                      stdin="newteller5\nbosspass12\n")
    assert proc.returncode == 0, proc.stderr
    proc = teller_run(home, "staff", "list", "--staff", "boss1", "--json",
                      env=cli_env(TELLER_STAFF_PASSWORD="bosspass12"))
    assert proc.returncode == 0, proc.stderr
    assert {(s["id"], s["role"]) for s in json.loads(proc.stdout)} == {("boss1", "manager"), ("t005", "teller")}
    # a teller cannot add staff; a wrong manager password is one clear line, no traceback
    proc = teller_run(home, "staff", "add", "t006", "--role", "teller", "--name", "신입", "--manager", "t005",
                      stdin="newteller6\nnewteller5\n")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr and proc.stderr.strip()
    proc = teller_run(home, "staff", "add", "t006", "--role", "teller", "--name", "신입", "--manager", "boss1",
                      env=cli_env(TELLER_MANAGER_PASSWORD="wrong-pass1"), stdin="newteller6\n")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_issue_from_a_request_file(cli_home, teller_run):
    code, out, _ = cli_home.request("issue", cli_home.issue_request("홍길동", "general"))
    assert code == 0, out
    assert out["fee_krw"] == 4400 and out["kind"] == "general" and out["status"] == "active"
    assert out["rrn_masked"] == cli_home.person("홍길동")["rrn_masked"]
    assert cli_home.person("홍길동")["rrn"] not in json.dumps(out, ensure_ascii=False)
    folder = Path(out["folder"])
    cert = x509.load_der_x509_certificate((folder / "signCert.der").read_bytes())
    assert format(cert.serial_number, "x") == out["serial"]
    today = datetime.now(KST).date()
    expected_last_day = today.replace(year=today.year + 1) - timedelta(days=1)  # (no 29 Feb in the test window)
    not_after = datetime.fromisoformat(out["not_after"]).astimezone(KST)
    assert (not_after.date(), not_after.time().isoformat()) == (expected_last_day, "23:59:59")
    assert out["transaction"].startswith("0815-")
    assert out["receipt"] and Path(out["receipt"]).is_file()
    # the folder reads back with the PKI's own inspector: the key opens with the password, the VID matches
    rrn = cli_home.person("홍길동")["rrn"].replace("-", "")
    proc = teller_run(cli_home.home, "cert", "inspect", str(folder), "--password-stdin", "--rrn-stdin",
                      stdin=f"Customer#2026pw\n{rrn}\n")
    assert proc.returncode == 0, proc.stderr
    inspected = json.loads(proc.stdout)
    assert inspected["key_matches"] is True and inspected["vid_matches"] is True
    assert inspected["key_encoding"] == "seedCBCWithSHA1" and inspected["kind"] == "general"


def test_issue_from_stdin_bank_is_free(cli_home):
    code, out, _ = cli_home.request("issue", cli_home.issue_request("김철수", "bank"), via_stdin=True)
    assert code == 0, out
    assert out["fee_krw"] == 0


def test_errors_are_one_json_object(cli_home, teller_run):
    bad = cli_home.issue_request()
    bad["staff"] = {"id": "t001", "password": "wrong-pass1"}
    code, out, _ = cli_home.request("issue", bad)
    assert code == 1 and out["error"] == "authentication_failed" and out["message"]

    code, out, _ = cli_home.request("issue", cli_home.issue_request("박분실"))
    assert code == 1 and out["error"] == "identity_check_failed"

    code, out, _ = cli_home.request("issue", cli_home.issue_request(password="weak"))
    assert code == 2 and out["error"] == "certificate_password_rule" and "weak" not in json.dumps(out)

    path = cli_home.home.parent / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    proc = teller_run(cli_home.home, "issue", "--request", str(path))
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"] == "invalid_input"
    assert "Traceback" not in proc.stderr
    assert not any(cli_home.media.iterdir())  # nothing written by any refused request


def test_gated_actions_need_the_approval_object(cli_home):
    code, issued, _ = cli_home.request("issue", cli_home.issue_request())
    assert code == 0
    request = {"staff": cli_home.staff(), "serial": issued["serial"], "reason": "key_compromise"}
    code, out, _ = cli_home.request("revoke", request)
    assert code == 1 and out["error"] == "approval_required" and out["action"] == "revoke"
    code, out, _ = cli_home.request("revoke", request | {"approval": cli_home.approval("t002")})
    assert code == 1 and out["error"] == "approval_refused"
    code, out, _ = cli_home.request("revoke", request | {"approval": cli_home.approval()})
    assert code == 0, out
    assert out["status"] == "revoked" and out["reason"] == "key_compromise"


def test_hold_release_reissue_renew_via_cli(cli_home):
    code, issued, _ = cli_home.request("issue", cli_home.issue_request())
    assert code == 0, issued
    serial = issued["serial"]
    code, out, _ = cli_home.request("hold", {"staff": cli_home.staff(), "serial": serial,
                                             "approval": cli_home.approval()})
    assert code == 0 and out["status"] == "held" and out["hold_until"]
    code, out, _ = cli_home.request("release", {"staff": cli_home.staff(), "serial": serial})
    assert code == 0 and out["status"] == "active"
    reissue = {"staff": cli_home.staff(), "serial": serial, "customer": cli_home.customer(),
               "media": str(cli_home.media), "password": "Another#pw2026", "approval": cli_home.approval()}
    code, out, _ = cli_home.request("reissue", reissue)
    assert code == 0, out
    assert out["not_after"] == issued["not_after"] and out["fee_krw"] == 0
    assert out["previous_serial"] == serial and out["previous_status"] == "revoked"
    # renewal today is outside the window (expiry is a year away): refused with the dates
    renew = {"staff": cli_home.staff(), "serial": out["serial"], "customer": cli_home.customer(),
             "media": str(cli_home.media), "password": "Another#pw2026"}
    code, out, _ = cli_home.request("renew", renew)
    assert code == 1 and out["error"] == "outside_renewal_window"


def test_unexpected_failure_is_json_and_logged_without_secrets(cli_home):
    registry = cli_home.home / "id-registry.json"
    doc = json.loads(registry.read_text(encoding="utf-8"))
    doc["entries"] = [{"unexpected": True}]  # valid header, broken entries: an unforeseen state
    registry.write_text(json.dumps(doc), encoding="utf-8")
    request = cli_home.issue_request()
    code, out, _ = cli_home.request("issue", request)
    assert code == 3 and out["error"] == "internal"
    log = (cli_home.home / "logs" / "cli.log").read_text(encoding="utf-8")
    assert "issue" in log and "KeyError" in log
    for secret in (request["password"], request["staff"]["password"], request["customer"]["rrn"],
                   request["customer"]["rrn"].replace("-", "")):
        assert secret not in log


def test_an_unforeseen_error_is_one_line_not_a_traceback(tmp_path, monkeypatch, capsys):
    import cli
    from cli import audit_cmd

    def boom(args):
        raise RuntimeError("disk controller said no")

    monkeypatch.setattr(audit_cmd, "_verify", boom)
    code = cli.main(["--home", str(tmp_path / "home"), "audit", "verify"])
    err = capsys.readouterr().err
    assert code == 70
    assert err.count("\n") == 1 and "disk controller said no" in err and "Traceback" not in err


def test_corporate_issuance_takes_the_business_number_from_the_request(cli_home):
    """법인 범용 over the CLI: refused without a 사업자등록번호 (and with a wrong check digit), issued with a valid one;
    a business number on a personal kind is refused."""
    code, out, _ = cli_home.request("issue", cli_home.issue_request(kind="corporate"))
    assert code == 2 and out["error"] == "business_number_required"
    code, out, _ = cli_home.request("issue", cli_home.issue_request(kind="corporate", business_number="220-81-62518"))
    assert code == 2 and out["error"] == "business_number_check_digit"
    code, out, _ = cli_home.request("issue", cli_home.issue_request(kind="bank", business_number="220-81-62517"))
    assert code == 2 and out["error"] == "business_number_not_corporate"
    assert not any(cli_home.media.rglob("signCert.der"))
    code, out, err = cli_home.request("issue", cli_home.issue_request(kind="corporate", business_number="220-81-62517"))
    assert code == 0, (out, err)
    assert out["kind"] == "corporate"
    assert len(list(cli_home.media.rglob("signCert.der"))) == 1
