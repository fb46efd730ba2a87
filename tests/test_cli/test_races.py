"""Counters racing for one customer, as real `teller` processes on one branch database at the same moment:
the database allows one certificate in force per customer and kind, and a reissue supersedes exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from teller.config import load_settings
from teller.domain import CertStatus

TIMEOUT_S = 240
TELLER = Path(sys.executable).with_name("teller")


def _start(cli_home: Any, teller: Path, env: dict[str, str], command: str, request: dict[str, Any],
           name: str) -> subprocess.Popen[str]:
    path = cli_home.home.parent / f"{name}.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    return subprocess.Popen([str(teller), "--home", str(cli_home.home), command, "--request", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
            assert "Traceback" not in stderr, stderr
            lines = stdout.strip().splitlines()
            assert len(lines) == 1, (stdout, stderr)
            out.append((proc.returncode, json.loads(lines[0])))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    return out


def _in_force(home: Path, kind: str) -> list[Any]:
    from cli.wiring import build_deps

    deps = build_deps(load_settings(home, env={}))
    try:
        with deps.store.unit_of_work() as uow:
            rows = [c for c in uow.certificates.search(status=CertStatus.ACTIVE) if c.kind.value == kind]
        return [c for c in rows if c.replaced_by_serial is None]
    finally:
        deps.store.dispose()


def _media(cli_home: Any, name: str) -> Path:
    path = cli_home.home.parent / name
    path.mkdir()
    return path


@pytest.mark.slow
def test_five_parallel_issuances_for_one_customer_give_one_certificate(cli_home: Any, cli_env: Any) -> None:
    procs = [_start(cli_home, TELLER, cli_env(), "issue",
                    cli_home.issue_request(media=str(_media(cli_home, f"usb{i}"))), f"issue{i}")
             for i in range(5)]
    results = _finish(procs)
    ok = [out for code, out in results if code == 0]
    refused = [out for code, out in results if code != 0]
    assert len(ok) == 1, results
    assert all(out.get("error") in ("not_allowed", "in_force") and out.get("message") for out in refused), refused
    assert [c.serial for c in _in_force(cli_home.home, "bank")] == [ok[0]["serial"]]


@pytest.mark.slow
def test_three_parallel_reissues_of_one_serial_give_one_certificate(cli_home: Any, cli_env: Any) -> None:
    code, issued, _ = cli_home.request("issue", cli_home.issue_request())
    assert code == 0, issued
    procs = [_start(cli_home, TELLER, cli_env(), "reissue",
                    {"staff": cli_home.staff(), "serial": issued["serial"], "customer": cli_home.customer(),
                     "media": str(_media(cli_home, f"stick{i}")), "password": "Another#pw2026",
                     "approval": cli_home.approval()}, f"reissue{i}")
             for i in range(3)]
    results = _finish(procs)
    ok = [out for code, out in results if code == 0]
    refused = [out for code, out in results if code != 0]
    assert len(ok) == 1, results
    assert all(out.get("message") for out in refused), refused
    assert [c.serial for c in _in_force(cli_home.home, "bank")] == [ok[0]["serial"]]
