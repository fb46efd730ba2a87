"""Run the real `teller` executable in a subprocess against a home made by `teller init --demo`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TELLER = Path(sys.executable).with_name("teller")
CERT_PASSWORD = "Customer#2026pw"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELLER_")}
    env.setdefault("XDG_RUNTIME_DIR", "/tmp")
    env.update(extra)
    return env


def run_teller(home: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TELLER), "--home", str(home), *args], input=stdin, capture_output=True, text=True,
                          env=env or clean_env(), timeout=timeout)


@dataclass
class CliHome:
    home: Path
    media: Path
    init: dict[str, Any]

    def password(self, staff_id: str) -> str:
        return next(s["password"] for s in self.init["staff"] if s["id"] == staff_id)

    def person(self, name: str) -> dict[str, Any]:
        return next(p for p in self.init["demo_customers"] if p["name"] == name)

    def staff(self, staff_id: str = "t001") -> dict[str, str]:
        return {"id": staff_id, "password": self.password(staff_id)}

    def customer(self, name: str = "홍길동") -> dict[str, Any]:
        p = self.person(name)
        doc: dict[str, Any] = {"type": p["id_document"], "issue_date": p["issue_date"]}
        if p["document_number"]:
            doc["number"] = p["document_number"]
        return {"name": p["name"], "rrn": p["rrn"], "id_document": doc}

    def approval(self, manager: str = "m001") -> dict[str, str]:
        return {"manager_id": manager, "password": self.password(manager), "reason": "고객 요청 확인"}

    def request(self, command: str, request: dict[str, Any], *, env: dict[str, str] | None = None,
                via_stdin: bool = False) -> tuple[int, dict[str, Any], str]:
        """Run a JSON command; returns (exit code, the one JSON object on stdout, stderr)."""
        if via_stdin:
            proc = run_teller(self.home, command, "--request", "-", stdin=json.dumps(request), env=env)
        else:
            path = self.home.parent / f"request-{command}.json"
            path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
            proc = run_teller(self.home, command, "--request", str(path), env=env)
        lines = proc.stdout.strip().splitlines()
        assert len(lines) == 1, (proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        return proc.returncode, json.loads(lines[0]), proc.stderr

    def issue_request(self, name: str = "홍길동", kind: str = "bank", **extra: Any) -> dict[str, Any]:
        return {"staff": self.staff(), "customer": self.customer(name), "kind": kind, "media": str(self.media),
                "password": CERT_PASSWORD} | extra


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    home = tmp_path_factory.mktemp("cli-template") / "home"
    proc = run_teller(home, "init", "--demo", "--json")
    assert proc.returncode == 0, proc.stderr
    return home, json.loads(proc.stdout)


@pytest.fixture
def cli_home(demo_template: tuple[Path, dict[str, Any]], tmp_path: Path) -> CliHome:
    template, init = demo_template
    home = tmp_path / "home"
    shutil.copytree(template, home)
    media = tmp_path / "usb"
    media.mkdir()
    return CliHome(home, media, init)


@pytest.fixture
def teller_run():
    """run_teller(home, *args, stdin=None, env=None) for tests (conftest modules are not importable)."""
    return run_teller


@pytest.fixture
def cli_env():
    return clean_env
