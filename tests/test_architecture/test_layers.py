"""The house stays true: the domain loads without UI, storage or printing libraries; screens never load the
database or reportlab. Each check imports in a fresh interpreter and inspects sys.modules."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _modules_of(package: str, skip: tuple[str, ...] = ()) -> list[str]:
    pkg_path = ROOT / package.replace(".", "/")
    names = [package]
    for info in pkgutil.walk_packages([str(pkg_path)], prefix=package + "."):
        if not info.name.startswith(skip):
            names.append(info.name)
    return names


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_domain_imports_no_ui_storage_or_printing() -> None:
    modules = _modules_of("teller")
    loaded = _loaded_after_import(modules)
    assert not loaded & {"textual", "sqlalchemy", "alembic", "reportlab", "screens", "db", "printing"}


def test_screens_never_load_database_or_printing() -> None:
    if not (ROOT / "screens" / "app.py").exists():
        pytest.skip("screens not built yet")
    loaded = _loaded_after_import(_modules_of("screens"))
    assert not loaded & {"sqlalchemy", "alembic", "reportlab", "db", "printing"}


def test_import_linter_contracts_kept() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter not installed")
    result = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
