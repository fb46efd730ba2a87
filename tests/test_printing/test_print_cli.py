"""End to end through the real `teller` executable: an issuance prints its receipt, then `teller receipt
reprint` and `teller report daily` (staff password from stdin / TELLER_STAFF_PASSWORD)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from printing_pdfcheck import pdf_text

TELLER = Path(sys.executable).with_name("teller")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELLER_")}
    env.setdefault("XDG_RUNTIME_DIR", "/tmp")
    return env | extra


def _run(home: Path, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TELLER), "--home", str(home), *args], input=stdin, capture_output=True, text=True,
                          env=_env(**env), timeout=180)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not TELLER.exists():
        pytest.skip("the teller executable is not installed in this venv")
    root = tmp_path_factory.mktemp("print-cli")
    home = root / "home"
    init = _run(home, "init", "--demo", "--json")
    if init.returncode != 0 or not init.stdout.strip():
        pytest.skip(f"teller init --demo not available: {init.stderr[-300:]}")
    info = json.loads(init.stdout)
    password = {s["id"]: s["password"] for s in info["staff"]}
    person = next(p for p in info["demo_customers"] if p["name"] == "홍길동")
    doc: dict[str, Any] = {"type": person["id_document"], "issue_date": person["issue_date"]}
    if person["document_number"]:
        doc["number"] = person["document_number"]
    media = root / "usb"
    media.mkdir()
    request = {"staff": {"id": "t001", "password": password["t001"]},
               "customer": {"name": person["name"], "rrn": person["rrn"], "id_document": doc},
               "kind": "general", "media": str(media), "password": "Customer#2026pw"}
    path = root / "issue.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    proc = _run(home, "issue", "--request", str(path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"home": home, "password": password, "rrn": person["rrn"], "result": result}


def _transaction(result: dict[str, Any]) -> str:
    tx = result.get("transaction") or result.get("result", {}).get("transaction")
    assert tx, result
    return str(tx)


def test_issue_recorded_and_printed_its_receipt(issued: dict[str, Any]) -> None:
    tx = _transaction(issued["result"])
    pdfs = list((issued["home"] / "receipts").rglob(f"{tx}.pdf"))
    assert len(pdfs) == 1
    text = pdf_text(pdfs[0].read_bytes())
    assert tx in text and "발급" in text and "홍*동" in text
    rrn = issued["rrn"].replace("-", "")
    assert rrn not in text.replace("-", "")
    assert (issued["home"] / "printed" / pdfs[0].name).is_file()  # the default PDF-folder printer


def test_cli_reprint_with_password_on_stdin(issued: dict[str, Any]) -> None:
    tx = _transaction(issued["result"])
    proc = _run(issued["home"], "receipt", "reprint", tx, "--staff", "t001", stdin=issued["password"]["t001"] + "\n")
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.splitlines()[0])
    assert path.name == f"{tx}-R1.pdf" and "재발행" in pdf_text(path.read_bytes())
    assert "Traceback" not in proc.stderr


def test_cli_daily_report_needs_a_manager(issued: dict[str, Any], tmp_path: Path) -> None:
    today = (datetime.now(timezone.utc) + timedelta(hours=9)).date().isoformat()
    out = tmp_path / "daily.pdf"
    denied = _run(issued["home"], "report", "daily", "--date", today, "--staff", "t001",
                  TELLER_STAFF_PASSWORD=issued["password"]["t001"])
    assert denied.returncode == 1 and "Traceback" not in denied.stderr and denied.stderr.strip()
    proc = _run(issued["home"], "report", "daily", "--date", today, "--out", str(out), "--staff", "m001",
                TELLER_STAFF_PASSWORD=issued["password"]["m001"])
    assert proc.returncode == 0, proc.stderr
    text = pdf_text(out.read_bytes())
    assert "일일 마감 보고서" in text and today in text and "t001" in text


def test_cli_bad_date_is_one_clear_line(issued: dict[str, Any]) -> None:
    proc = _run(issued["home"], "report", "daily", "--date", "25.11.2026", "--staff", "m001",
                TELLER_STAFF_PASSWORD=issued["password"]["m001"])
    assert proc.returncode == 1 and "YYYY-MM-DD" in proc.stderr and "Traceback" not in proc.stderr
