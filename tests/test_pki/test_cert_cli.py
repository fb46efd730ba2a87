"""`teller cert inspect` as a subprocess: JSON on success, one clear stderr line and non-zero exit on bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _teller(*args: str, stdin: str = "", home: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--home", str(home)] if home else []
    return subprocess.run([sys.executable, "-m", "cli", *extra, "cert", *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def _error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode != 0
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    return lines[0]


def test_real_yessign_folder_key_matches(yessign) -> None:  # type: ignore[no-untyped-def]
    run = _teller("inspect", str(yessign["dir"]), "--password-stdin", stdin=yessign["password"] + "\n")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["key_matches"] is True
    assert out["key_encoding"] == "seedCBCWithSHA1"
    assert out["serial"] == "459c75"
    assert out["kind"] == "bank" and out["policy_oid"] == "1.2.410.200005.1.1.4"
    assert out["not_before"] == "2020-02-24T15:00:00+00:00"
    assert "vid_matches" not in out


def test_certificate_only_without_password(yessign) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(_teller("inspect", str(yessign["dir"] / "signCert.der")).stdout)
    assert out["key_encoding"] == "seedCBCWithSHA1" and "key_matches" not in out
    assert out["issuer"] == "CN=yessignCA-Test Class 4,OU=AccreditedCA,O=yessign,C=kr"


@pytest.mark.parametrize("which", ["bank_legacy", "general_pbes2"])
def test_our_folder_with_rrn(pki_world, which: str) -> None:  # type: ignore[no-untyped-def]
    issued = getattr(pki_world, which)
    run = _teller("inspect", str(issued.folder), "--password-stdin", "--rrn-stdin",
                  stdin=f"{issued.password}\n{issued.rrn}\n")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["key_matches"] is True and out["vid_matches"] is True
    assert out["key_encoding"] == issued.scheme
    assert out["serial"] == format(issued.cert.serial_number, "x")
    assert issued.rrn not in run.stdout  # the RRN is never echoed


def test_wrong_rrn_reports_false(pki_world) -> None:  # type: ignore[no-untyped-def]
    issued = pki_world.bank_legacy
    run = _teller("inspect", str(issued.folder), "--password-stdin", "--rrn-stdin",
                  stdin=f"{issued.password}\n{pki_world.general_pbes2.rrn}\n")
    assert run.returncode == 0
    assert json.loads(run.stdout)["vid_matches"] is False


def test_wrong_password(pki_world) -> None:  # type: ignore[no-untyped-def]
    run = _teller("inspect", str(pki_world.bank_legacy.folder), "--password-stdin", stdin="not-it\n")
    assert "비밀번호" in _error_line(run)


def test_missing_path(tmp_path: Path) -> None:
    assert str(tmp_path / "nope") in _error_line(_teller("inspect", str(tmp_path / "nope")))


def _copy(folder: Path, dest: Path) -> Path:
    shutil.copytree(folder, dest)
    return dest


def test_truncated_key(pki_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(pki_world.bank_legacy.folder, tmp_path / "cn=x")
    key = folder / "signPri.key"
    key.write_bytes(key.read_bytes()[:300])
    line = _error_line(_teller("inspect", str(folder), "--password-stdin", stdin=pki_world.bank_legacy.password + "\n"))
    assert "signPri.key" in line


def test_corrupted_key_body(pki_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(pki_world.general_pbes2.folder, tmp_path / "cn=y")
    key = folder / "signPri.key"
    data = bytearray(key.read_bytes())
    data[-40] ^= 0xFF  # inside the ciphertext: indistinguishable from a wrong password, still one clear line
    key.write_bytes(bytes(data))
    _error_line(_teller("inspect", str(folder), "--password-stdin", stdin=pki_world.general_pbes2.password + "\n"))


def test_corrupted_certificate(pki_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(pki_world.bank_legacy.folder, tmp_path / "cn=z")
    cert = folder / "signCert.der"
    cert.write_bytes(cert.read_bytes()[:100])
    assert "signCert.der" in _error_line(_teller("inspect", str(folder)))


def test_english_messages(pki_world) -> None:  # type: ignore[no-untyped-def]
    run = subprocess.run([sys.executable, "-m", "cli", "--lang", "en", "cert", "inspect",
                          str(pki_world.bank_legacy.folder), "--password-stdin"], input="bad\n",
                         capture_output=True, text=True, timeout=60)
    assert "password is wrong" in _error_line(run)


def test_crl_command(pki_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cryptography import x509

    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(pki_world.ca_dir, home / "ca")
    out = tmp_path / "ca.crl"
    run = subprocess.run([sys.executable, "-m", "cli", "--home", str(home), "cert", "crl", "--out", str(out)],
                         capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "TELLER_CA_PASSPHRASE": "ca-test-passphrase"})
    assert run.returncode == 0, run.stderr
    crl = x509.load_der_x509_crl(out.read_bytes())
    assert crl.is_signature_valid(pki_world.ca.issuing_cert.public_key())
    no_pass = subprocess.run([sys.executable, "-m", "cli", "--home", str(home), "cert", "crl", "--out", str(out)],
                             capture_output=True, text=True, timeout=60,
                             env={k: v for k, v in __import__("os").environ.items() if k != "TELLER_CA_PASSPHRASE"})
    _error_line(no_pass)
