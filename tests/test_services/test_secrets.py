"""After a scripted day at the counter, no file the terminal wrote holds a secret in the clear.

Searched: every file under the teller home (SQLite db, -wal, -shm, logs, receipts, printed copies, the CA's files,
the ID registry, exports) and the customer's media. Needles: the customers' RRNs with and without hyphen, the
certificate password (UTF-8, UTF-16-LE/BE), staff passwords, and each issued private key (PKCS#8 plaintext,
traditional DER, the private exponent and primes as big-endian bytes).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from teller.domain import AuditFilter, CertKind, RevocationReason
from teller.errors import AuthenticationError
from teller.services import auth, reissue, renewal, revocation


def _key_needles(folder: Path, password: str) -> list[bytes]:
    from teller.pki.keyfile import decrypt_private_key

    key = decrypt_private_key((folder / "signPri.key").read_bytes(), password).private_key
    numbers = key.private_numbers()
    as_bytes = [n.to_bytes((n.bit_length() + 7) // 8, "big") for n in (numbers.d, numbers.p, numbers.q)]
    return as_bytes + [
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()),
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption()),
    ]


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def _all_files(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def test_no_secret_in_any_file_after_a_scripted_day(world):
    from teller.services.audit import export_audit

    w = world
    pw = w.cert_password
    needles: dict[str, bytes] = {}
    for name in ("홍길동", "김철수", "SMITH JOHN"):
        rrn = w.person(name).rrn
        needles[f"rrn {name}"] = rrn.encode()
        needles[f"rrn digits {name}"] = rrn.replace("-", "").encode()
        needles[f"rrn utf16 {name}"] = rrn.replace("-", "").encode("utf-16-le")
    needles["password utf-8"] = pw.encode()
    needles["password utf-16-le"] = pw.encode("utf-16-le")
    needles["password utf-16-be"] = pw.encode("utf-16-be")
    for staff_id, staff_pw in w.passwords.items():
        needles[f"staff password {staff_id}"] = staff_pw.encode()

    def collect_keys(result, label):
        for i, b in enumerate(_key_needles(result.folder, pw)):
            needles[f"key {label} #{i}"] = b

    # the day: sign-ins (one with the customer's RRN typed as the id), identification, every lifecycle action
    auth.sign_in(w.deps, "t001", w.passwords["t001"])
    with pytest.raises(AuthenticationError):
        auth.sign_in(w.deps, w.person("홍길동").rrn, pw)
    with pytest.raises(AuthenticationError):
        auth.sign_in(w.deps, "t001", pw)
    bank = w.issue("홍길동", CertKind.BANK)
    collect_keys(bank, "bank")
    general = w.issue("김철수", CertKind.GENERAL)
    collect_keys(general, "general")
    foreign = w.issue("SMITH JOHN", CertKind.BANK)
    collect_keys(foreign, "foreign")
    reissued = w.approve_and_retry(lambda a: reissue.reissue(w.deps, w.teller, bank.certificate.serial, w.media,
                                                             pw, pw, a))
    collect_keys(reissued, "reissued")
    w.approve_and_retry(lambda a: revocation.hold(w.deps, w.teller, foreign.certificate.serial, a))
    w.approve_and_retry(lambda a: revocation.revoke(w.deps, w.teller, general.certificate.serial,
                                                    RevocationReason.KEY_COMPROMISE, a))
    w.clock.advance(days=340)
    w.identify("홍길동")
    renewed = renewal.renew(w.deps, w.teller, reissued.certificate.serial, w.media, pw, pw)
    collect_keys(renewed, "renewed")
    exports = w.home / "exports"
    exports.mkdir()
    for fmt in ("csv", "jsonl"):
        buf = io.StringIO()
        export_audit(w.deps.store, AuditFilter(), fmt, buf)
        (exports / f"audit.{fmt}").write_text(buf.getvalue(), encoding="utf-8")

    files = _all_files(w.home, w.media)
    names = {p.name for p in files}
    assert "teller.db" in names and any(p.suffix == ".pdf" for p in files)  # the search covers real output
    found = []
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".pdf":  # compressed content streams: search the extracted text too
            data += _pdf_text(path).encode("utf-8")
        for label, needle in needles.items():
            if needle in data:
                found.append(f"{label} in {path.relative_to(path.anchor)}")
    assert found == []
