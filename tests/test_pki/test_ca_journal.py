"""EmbeddedCA storage: the append-only journal (ca-journal.jsonl), torn tails, corruption, ca-db.json migration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from teller.config import CAIdentity
from teller.domain import CertKind, RevocationReason
from teller.errors import StorageError
from teller.pki import profile
from teller.pki.ca import EmbeddedCA
from teller.ports import CertificateRequest

PASSPHRASE = b"ca-test-passphrase"
WHEN = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)


def _journal(ca_dir: Path) -> Path:
    return ca_dir / "ca-journal.jsonl"


def _records(ca_dir: Path) -> list[dict[str, Any]]:
    raw = _journal(ca_dir).read_bytes()
    assert raw.endswith(b"\n")
    return [json.loads(line) for line in raw.splitlines()]


def _last_line(ca_dir: Path, back: int) -> bytes:
    return _journal(ca_dir).read_bytes().splitlines(keepends=True)[-back]


def _request(pki_world: Any) -> CertificateRequest:  # reuses a subscriber key: no slow RSA keygen
    spki = pki_world.bank_legacy.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    nb, na = profile.kst_validity(date(2026, 11, 25), date(2027, 11, 25))
    return CertificateRequest(spki, "홍길동", CertKind.BANK, bytes(32), nb, na)


@pytest.fixture
def ca_dir(tmp_path: Path, pki_world: Any) -> Path:
    """A private copy of the session CA (journal included), so writes do not leak into other tests."""
    target = tmp_path / "ca"
    shutil.copytree(pki_world.ca_dir, target)
    return target


def test_journal_layout(ca_dir: Path, pki_world: Any) -> None:
    assert _journal(ca_dir).stat().st_mode & 0o777 == 0o600
    assert not (ca_dir / "ca-db.json").exists()
    records = _records(ca_dir)
    assert records[0]["op"] == "snapshot" and records[0]["version"] == 1
    issued = [r for r in records if r["op"] == "issued"]
    assert [r["sequence"] for r in issued] == list(range(1, len(issued) + 1))
    assert {int(r["serial"]) for r in issued} >= {pki_world.bank_legacy.cert.serial_number,
                                                   pki_world.general_pbes2.cert.serial_number}


def test_each_transaction_appends_one_line(ca_dir: Path, pki_world: Any) -> None:
    ca = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    before = _journal(ca_dir).read_bytes()
    serial = ca.issue(_request(pki_world)).serial_number
    ca.revoke(serial, RevocationReason.CERTIFICATE_HOLD, WHEN)
    ca.release_hold(serial)
    ca.crl()
    after = _journal(ca_dir).read_bytes()
    assert after.startswith(before)  # nothing rewritten
    ops = [json.loads(line)["op"] for line in after[len(before):].splitlines()]
    assert ops == ["issued", "revoked", "released", "crl_number"]


def test_instances_read_only_what_others_appended(ca_dir: Path, pki_world: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    a = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    b = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)  # stands in for another process
    read: list[int] = []
    real_pread = os.pread

    def spy(fd: int, n: int, offset: int) -> bytes:
        data = real_pread(fd, n, offset)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "pread", spy)
    serial = a.issue(_request(pki_world)).serial_number
    assert read == []  # steady state: nothing new to read, however long the journal is
    b.revoke(serial, RevocationReason.CERTIFICATE_HOLD, WHEN)
    assert read == [len(_last_line(ca_dir, 2))]  # b read a's "issued" line, nothing before it
    read.clear()
    assert a.revoked_serials()[serial] is RevocationReason.CERTIFICATE_HOLD
    assert read == [len(_last_line(ca_dir, 1))]  # a read b's "revoked" line only
    a.release_hold(serial)
    second = b.issue(_request(pki_world))
    assert serial not in b.revoked_serials() and a.knows(second.serial_number)
    issued = [r["sequence"] for r in _records(ca_dir) if r["op"] == "issued"]
    assert issued == list(range(1, len(issued) + 1))  # one counter across instances
    assert second.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value.endswith(f"{issued[-1]:09d}")


def test_torn_tail_is_ignored_then_truncated(ca_dir: Path, pki_world: Any) -> None:
    early = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)  # open before the crash, like a second process
    complete = _journal(ca_dir).read_bytes()
    known = list(early.issued_serials())
    partial = b'{"op":"issued","serial":"123456789","issued_at":"2026-11-25T01:00:00+00:00","ki'
    with open(_journal(ca_dir), "ab") as fh:  # what a process killed mid-append leaves behind
        fh.write(partial)
    ca = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    assert list(ca.issued_serials()) == known
    assert all(ca.knows(s) for s in known) and not ca.knows(123456789)
    cert = ca.issue(_request(pki_world))
    raw = _journal(ca_dir).read_bytes()
    assert raw.startswith(complete) and partial not in raw and raw.endswith(b"\n")
    assert [json.loads(line)["op"] for line in raw[len(complete):].splitlines()] == ["issued"]
    assert early.knows(cert.serial_number)  # the instance opened before the crash reads on past the repair
    second = early.issue(_request(pki_world))
    assert EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE).issued_serials() == sorted(
        known + [cert.serial_number, second.serial_number])


@pytest.mark.parametrize("bad", [b"{not json", b"[1, 2]", b'{"op":"issued","serial":"77"}', b'{"op":"erased"}',
                                 b'{"op":"revoked","serial":"77","reason":"bored","when":"2026-11-26T02:00:00+00:00"}',
                                 b"", b"\xff\xfe"])
def test_corrupt_middle_line_is_a_storage_error(ca_dir: Path, pki_world: Any, bad: bytes) -> None:
    ca = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    lines = _journal(ca_dir).read_bytes().splitlines(keepends=True)
    known = list(ca.issued_serials())
    with open(_journal(ca_dir), "ab") as fh:  # damage after what ca has read, followed by a good line
        fh.write(bad + b"\n" + lines[-1])
    with pytest.raises(StorageError) as err:
        ca.issue(_request(pki_world))
    assert f"{len(lines) + 1}번째 줄이 손상" in err.value.message
    assert f"corrupt at line {len(lines) + 1}" in err.value.message_en
    with pytest.raises(StorageError):  # stays refused; nothing was half-applied
        ca.knows(known[0])
    _journal(ca_dir).write_bytes(b"".join([lines[0], bad + b"\n", *lines[1:]]))
    with pytest.raises(StorageError) as err:
        EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    assert "2번째 줄이 손상" in err.value.message and "corrupt at line 2" in err.value.message_en


def _legacy_db(serials: list[int], hold: int) -> bytes:
    """A ca-db.json exactly as the pre-journal EmbeddedCA._write_db wrote it."""
    db = {
        "issued": {str(s): {"issued_at": "2026-11-25T01:00:00+00:00", "kind": "bank",
                            "not_after": "2027-11-25T14:59:59+00:00"} for s in serials},
        "revoked": {str(hold): {"reason": "certificate_hold", "when": "2026-11-26T02:00:00+00:00"}},
        "sequence": 7,
        "crl_number": 3,
    }
    return json.dumps(db, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def test_migrates_a_legacy_database_once(ca_dir: Path, pki_world: Any) -> None:
    a, b = pki_world.bank_legacy.cert.serial_number, pki_world.general_pbes2.cert.serial_number
    _journal(ca_dir).unlink()
    legacy = _legacy_db([a, b], hold=b)
    (ca_dir / "ca-db.json").write_bytes(legacy)
    ca = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    assert ca.issued_serials() == sorted([a, b])
    assert ca.revoked_serials() == {b: RevocationReason.CERTIFICATE_HOLD}
    cert = ca.issue(_request(pki_world))
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value.endswith("000000008")
    crl = x509.load_der_x509_crl(ca.crl())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 4
    assert [r.serial_number for r in crl] == [b]
    ca.release_hold(b)
    records = _records(ca_dir)
    assert records[0]["op"] == "snapshot" and records[0]["sequence"] == 7
    assert [r["op"] for r in records[1:]] == ["issued", "crl_number", "released"]
    assert (ca_dir / "ca-db.json").read_bytes() == legacy  # imported, never written
    (ca_dir / "ca-db.json").write_bytes(_legacy_db([], hold=1))  # and never read again
    again = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    assert again.issued_serials() == sorted([a, b, cert.serial_number]) and again.revoked_serials() == {}


def test_corrupt_legacy_database_is_a_storage_error(ca_dir: Path) -> None:
    _journal(ca_dir).unlink()
    (ca_dir / "ca-db.json").write_bytes(b'{"issued": {"12": ')
    with pytest.raises(StorageError):
        EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    assert not _journal(ca_dir).exists()  # nothing half-imported


def test_two_processes_share_the_journal(ca_dir: Path) -> None:
    script = textwrap.dedent(f"""
        from datetime import datetime, timezone, timedelta
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives import serialization
        from teller.config import CAIdentity
        from teller.domain import CertKind, RevocationReason
        from teller.pki.ca import EmbeddedCA
        from teller.ports import CertificateRequest
        ca = EmbeddedCA.open({str(ca_dir)!r}, CAIdentity(), {PASSPHRASE!r})
        spki = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        now = datetime.now(timezone.utc)
        for _ in range(6):
            serial = ca.issue(CertificateRequest(spki, "병렬", CertKind.BANK, bytes(32), now, now + timedelta(days=1))).serial_number
            ca.revoke(serial, RevocationReason.CERTIFICATE_HOLD, now)
            ca.crl()
            print(serial)
    """)
    before = [r for r in _records(ca_dir) if r["op"] == "issued"]
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    serials: list[int] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        serials += [int(line) for line in out.split()]
    records = _records(ca_dir)
    issued = [r["sequence"] for r in records if r["op"] == "issued"]
    assert issued == list(range(1, len(before) + 13))  # no sequence number lost or given twice
    crl_numbers = [r["n"] for r in records if r["op"] == "crl_number"]
    assert crl_numbers == sorted(set(crl_numbers)) and len(crl_numbers) == 12
    ca = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    assert len(set(serials)) == 12 and set(serials) == set(ca.revoked_serials())
