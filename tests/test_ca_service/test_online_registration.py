"""온라인 발급 등록 end to end with real processes: `teller register` at the counter (a home made by `teller init
--demo`), then `openssl cmp -cmd ir -ref <참조번호> -secret pass:<인가코드>` (a client nobody here wrote) against
`teller ca serve` on the same home. Single use, cancellation, expiry, the five-try lock, and no secret at rest."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import TELLER, Service, serve, teller_env

CERT_PASSWORD = "Customer#2026pw"
pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TELLER), "--home", str(home), *args], input=stdin, capture_output=True, text=True,
                          env=teller_env(), timeout=120)


class Branch:
    def __init__(self, home: Path, init: dict[str, Any]) -> None:
        self.home, self.init = home, init

    def person(self, name: str) -> dict[str, Any]:
        return next(p for p in self.init["demo_customers"] if p["name"] == name)

    def staff(self, staff_id: str = "t001") -> dict[str, str]:
        return {"id": staff_id, "password": next(s["password"] for s in self.init["staff"] if s["id"] == staff_id)}

    def customer(self, name: str) -> dict[str, Any]:
        p = self.person(name)
        doc: dict[str, Any] = {"type": p["id_document"], "issue_date": p["issue_date"]}
        if p["document_number"]:
            doc["number"] = p["document_number"]
        return {"name": p["name"], "rrn": p["rrn"], "id_document": doc}

    def command(self, name: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        proc = run(self.home, name, "--request", "-", stdin=json.dumps(request, ensure_ascii=False))
        assert "Traceback" not in proc.stderr, proc.stderr
        lines = proc.stdout.strip().splitlines()
        assert len(lines) == 1, (proc.stdout, proc.stderr)
        return proc.returncode, json.loads(lines[0])

    def register(self, name: str, kind: str = "bank") -> dict[str, Any]:
        code, out = self.command("register", {"staff": self.staff(), "customer": self.customer(name), "kind": kind})
        assert code == 0, out
        return out


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory) -> Branch:
    home = tmp_path_factory.mktemp("online-branch") / "home"
    proc = run(home, "init", "--demo", "--json")
    assert proc.returncode == 0, proc.stderr
    return Branch(home, json.loads(proc.stdout))


@pytest.fixture(scope="module")
def service(branch: Branch) -> Iterator[Service]:
    with serve(branch.home, 1, branch.home.parent / "service.log") as running:
        yield running


def ir(service: Service, tmp: Path, reference: str, code: str) -> subprocess.CompletedProcess[str]:
    tmp.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(65537, 2048)
    (tmp / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return subprocess.run(["openssl", "cmp", "-server", service.url.removeprefix("http://") + "/pkix/",
                           "-recipient", "/CN=CA", "-unprotected_errors", "-cmd", "ir", "-ref", reference,
                           "-secret", f"pass:{code}", "-newkey", str(tmp / "k.pem"), "-subject", "/CN=Hong",
                           "-certout", str(tmp / "got.crt")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False)


def test_codes_from_the_counter_redeem_once_with_openssl_cmp(branch: Branch, service: Service,
                                                             tmp_path: Path) -> None:
    slip = branch.register("홍길동")
    assert len(slip["reference"]) == 8 and slip["reference"].isdigit()
    assert len(slip["auth_code"]) == 16 and slip["printed"] is True
    done = ir(service, tmp_path / "first", slip["reference"], slip["auth_code"])
    assert done.returncode == 0, done.stdout
    cert = x509.load_pem_x509_certificate((tmp_path / "first" / "got.crt").read_bytes())
    names = [a.value for a in cert.subject]
    assert any("홍길동" in str(v) for v in names), names  # the CA's registration, not the client's /CN=Hong
    again = ir(service, tmp_path / "second", slip["reference"], slip["auth_code"])
    assert again.returncode != 0 and "rejection" in again.stdout, again.stdout


def test_cancelled_expired_and_wrong_codes_are_refused(branch: Branch, service: Service, tmp_path: Path) -> None:
    cancelled = branch.register("김철수", "general")
    code, out = branch.command("cancel-registration", {"staff": branch.staff(), "reference": cancelled["reference"],
                                                        "reason": "봉투 분실"})
    assert code == 0 and out["cancelled"] is True, out
    refused = ir(service, tmp_path / "c", cancelled["reference"], cancelled["auth_code"])
    assert refused.returncode != 0 and "registration cancelled" in refused.stdout, refused.stdout
    code, out = branch.command("cancel-registration", {"staff": branch.staff(), "reference": cancelled["reference"]})
    assert code == 1 and out["error"] == "registration_not_open" and "취소" in out["message"], out

    locked = branch.register("홍길동", "general")
    for attempt in range(5):
        wrong = ir(service, tmp_path / f"w{attempt}", locked["reference"], "WRONGCODE" + str(attempt))
        assert wrong.returncode != 0
    right = ir(service, tmp_path / "after-lock", locked["reference"], locked["auth_code"])
    assert right.returncode != 0 and "registration locked" in right.stdout, right.stdout

    expiring = branch.register("김철수", "bank")
    # time passes at the CA: the registration's use-by moves into the past
    with sqlite3.connect(branch.home / "ca" / "cmp.db") as db:
        db.execute("UPDATE cmp_registrations SET expires_at = ? WHERE reference = ?",
                   ((datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(" "), expiring["reference"]))
    late = ir(service, tmp_path / "late", expiring["reference"], expiring["auth_code"])
    assert late.returncode != 0 and "registration expired" in late.stdout, late.stdout


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, timeout=60,
                          check=True).stdout


def test_no_code_and_no_resident_number_at_rest(branch: Branch) -> None:
    slip = branch.register("김철수", "general")
    synced = run(branch.home, "sync", "--once")  # the events reach head office: its files are searched too
    assert synced.returncode == 0, synced.stderr
    code, rrn = slip["auth_code"], branch.person("김철수")["rrn"]
    secrets = [code.encode(), rrn.encode(), rrn.replace("-", "").encode()]
    # the branch's files and the CA's database: no 인가코드, no resident number, in any byte
    for path in [p for p in branch.home.rglob("*") if p.is_file() and "printed" not in p.parts]:
        blob = path.read_bytes()
        for secret in secrets:
            assert secret not in blob, (path, secret)
    archive = Path(slip["slip_archive"])
    assert archive.is_file()
    if shutil.which("pdftotext"):
        text = _pdf_text(archive)
        assert slip["reference"] in text and code not in text and "인가코드" in text
        # the printed slip (the training printer's folder is the paper the customer takes) does carry it,
        # grouped for reading: the search above can find a code in a PDF
        printed = [p for p in (branch.home / "printed").glob(f"{slip['transaction']}-slip-*.pdf")]
        assert len(printed) == 1
        assert " ".join(code[i:i + 4] for i in range(0, 16, 4)) in _pdf_text(printed[0])
    # the audit trail names the registration by its masked reference only
    events = run(branch.home, "audit", "export", "--format", "jsonl")
    if events.returncode == 0:
        assert slip["reference"] not in events.stdout and code not in events.stdout


def online_issue(branch: Branch, service: Service, media: Path, secrets: dict[str, str],
                 *extra: str) -> tuple[int, dict[str, Any]]:
    media.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(TELLER), "--home", str(branch.home), "online", "issue", "--media", str(media),
                           "--ca", service.url, *extra], input=json.dumps(secrets), capture_output=True, text=True,
                          env=teller_env(), timeout=120)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, (proc.stdout, proc.stderr)
    return proc.returncode, json.loads(lines[0])


def test_the_customer_redeems_the_codes_at_home_and_the_folder_loads_elsewhere(
        branch: Branch, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pypinksign

    from teller.pki import npki, vid

    person = branch.person("홍길동")
    slip = branch.register("홍길동", "general")
    spaced = " ".join(slip["auth_code"][i:i + 4] for i in range(0, 16, 4))  # as printed; the client drops spaces
    given = {"reference": slip["reference"], "auth_code": spaced, "rrn": person["rrn"], "password": CERT_PASSWORD}

    # a resident number that is not the registered one is refused before anything is signed; the codes survive
    other = branch.person("김철수")["rrn"]
    code, out = online_issue(branch, service, tmp_path / "wrong-rrn", given | {"rrn": other})
    assert code == 1 and out["error"] == "rrn_mismatch", out
    assert not any((tmp_path / "wrong-rrn").rglob("signCert.der"))

    media = tmp_path / "usb"
    code, out = online_issue(branch, service, media, given, "--receipt", str(tmp_path / "receipt.pdf"))
    assert code == 0, out
    folder = Path(out["folder"])
    assert folder.is_relative_to(media) and sorted(p.name for p in folder.iterdir()) == ["signCert.der", "signPri.key"]
    assert npki.verify_folder(folder, CERT_PASSWORD, person["rrn"]) == npki.FolderCheck(True, True)

    monkeypatch.setattr("builtins.input", lambda prompt="": pytest.fail("pypinksign asked for input"))
    cert = x509.load_der_x509_certificate((folder / "signCert.der").read_bytes())
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    found = pypinksign.choose_cert(str(media / "NPKI"), cn, CERT_PASSWORD.encode())
    assert found.pubkey.public_numbers() == cert.public_key().public_numbers()
    assert vid.compute_vid(person["rrn"].replace("-", ""), found._rand_num.asOctets()) == \
        vid.read_identify_data(cert).vid
    _pems(branch.home / "ca", folder, tmp_path)
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "root.pem"), "-untrusted",
                             str(tmp_path / "issuing.pem"), str(tmp_path / "cert.pem")], capture_output=True, text=True,
                            timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert (tmp_path / "receipt.pdf").read_bytes().startswith(b"%PDF")

    code, out = online_issue(branch, service, tmp_path / "again", given)
    assert code == 1 and out["error"] == "already_redeemed" and "이미 사용된" in out["message"], out
    code, out = online_issue(branch, service, tmp_path / "bad", given | {"reference": "12", "auth_code": "x"})
    assert code == 2 and out["error"] == "bad_reference", out


def _pems(ca: Path, folder: Path, out: Path) -> None:
    for name, src in (("root.pem", ca / "root.der"), ("issuing.pem", ca / "issuing.der"),
                      ("cert.pem", folder / "signCert.der")):
        pem = x509.load_der_x509_certificate(src.read_bytes()).public_bytes(serialization.Encoding.PEM)
        (out / name).write_bytes(pem)


def _ocsp(service: Service, tmp: Path, cert_der: Path, ca: Path) -> str:
    for name, src in (("root.pem", ca / "root.der"), ("issuing.pem", ca / "issuing.der"), ("c.pem", cert_der)):
        (tmp / name).write_bytes(x509.load_der_x509_certificate(src.read_bytes())
                                 .public_bytes(serialization.Encoding.PEM))
    done = subprocess.run(["openssl", "ocsp", "-url", service.ocsp, "-issuer", str(tmp / "issuing.pem"),
                           "-cert", str(tmp / "c.pem"), "-CAfile", str(tmp / "root.pem")],
                          capture_output=True, text=True, timeout=60)
    assert "Response verify OK" in done.stderr + done.stdout, done.stdout + done.stderr
    return done.stdout


def test_renewal_at_home_revocation_and_deletion(branch: Branch, service: Service, tmp_path: Path) -> None:
    from datetime import date

    from cli.cmp_http import HttpCmpTransport
    from teller.errors import LifecycleError
    from teller.online.lifecycle import find_folder, renew_online
    from teller.pki import npki, vid

    person = branch.person("김철수")
    slip = branch.register("김철수", "bank")
    media = tmp_path / "usb"
    code, out = online_issue(branch, service, media, {"reference": slip["reference"], "auth_code": slip["auth_code"],
                                                      "rrn": person["rrn"], "password": CERT_PASSWORD})
    assert code == 0, out
    old_folder = Path(out["folder"])

    # outside the window (a fresh certificate: a year to go): refused before the CA is asked
    proc = subprocess.run([str(TELLER), "--home", str(branch.home), "online", "renew", "--media", str(media),
                           "--ca", service.url], input=json.dumps({"password": CERT_PASSWORD,
                                                                    "new_password": "Renewed#2027pw"}),
                          capture_output=True, text=True, env=teller_env(), timeout=120)
    answer = json.loads(proc.stdout)
    assert proc.returncode == 1 and answer["error"] == "outside_renewal_window" and "갱신 기간" in answer["message"]

    # inside the window: the customer's PC on a day 10 days before expiry, against the real service
    root = x509.load_der_x509_certificate((branch.home / "ca" / "root.der").read_bytes())
    transport = HttpCmpTransport(service.url + "/pkix/")
    old = x509.load_der_x509_certificate((old_folder / "signCert.der").read_bytes())
    ten_before = date.fromordinal(old.not_valid_after_utc.date().toordinal() - 10)
    with pytest.raises(LifecycleError):
        renew_online(transport, root, media_root=media, folder=old_folder, password=CERT_PASSWORD,
                     new_password="Renewed#2027pw", confirm="Renewed#2027pw",
                     today=date.fromordinal(old.not_valid_after_utc.date().toordinal() + 2))  # expired
    renewed = renew_online(transport, root, media_root=media, folder=find_folder(media, None),
                           password=CERT_PASSWORD, new_password="Renewed#2027pw", confirm="Renewed#2027pw",
                           today=ten_before)
    assert renewed.serial != format(old.serial_number, "x") and not old_folder.exists()
    assert npki.verify_folder(renewed.folder, "Renewed#2027pw", person["rrn"]) == npki.FolderCheck(True, True)
    assert vid.read_identify_data(renewed.certificate).vid == vid.read_identify_data(old).vid

    # loss reported at home: the certificate's own rr; OCSP then says revoked (keyCompromise)
    assert "good" in _ocsp(service, tmp_path, renewed.folder / "signCert.der", branch.home / "ca")
    proc = subprocess.run([str(TELLER), "--home", str(branch.home), "online", "revoke", "--media", str(media),
                           "--ca", service.url], input=json.dumps({"password": "Renewed#2027pw", "reason": "loss"}),
                          capture_output=True, text=True, env=teller_env(), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status = _ocsp(service, tmp_path, renewed.folder / "signCert.der", branch.home / "ca")
    assert "revoked" in status and "keyCompromise" in status, status
    import httpx

    from ca_service.crl import ISSUING_CRL_PATH

    crl = x509.load_der_x509_crl(httpx.get(service.url + ISSUING_CRL_PATH, timeout=30).content)
    entry = crl.get_revoked_certificate_by_serial_number(renewed.certificate.serial_number)
    assert entry is not None and entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is \
        x509.ReasonFlags.key_compromise

    proc = subprocess.run([str(TELLER), "--home", str(branch.home), "online", "delete", "--media", str(media)],
                          capture_output=True, text=True, env=teller_env(), timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout)["deleted"] is True, proc.stdout
    assert not renewed.folder.exists() and not any(media.rglob("signPri.key"))


def test_call_centre_holds_by_phone_after_identity_questions(branch: Branch, service: Service,
                                                              tmp_path: Path) -> None:
    """The agent answers nothing but masked data; wrong answers are refused (and three raise an alert for the
    manager); a hold by phone shows as certificateHold in OCSP and is released at the counter."""
    from cli.wiring import build_deps
    from teller.config import load_settings
    from teller.services.auth import sign_in
    from teller.services.call_centre import identity_alerts

    person = branch.person("홍길동")
    media = tmp_path / "usb"
    media.mkdir()
    code, issued = branch.command("issue", {"staff": branch.staff(), "customer": branch.customer("홍길동"),
                                            "kind": "bank", "media": str(media), "password": CERT_PASSWORD})
    assert code == 0, issued
    kst = timezone(timedelta(hours=9))
    day = datetime.fromisoformat(issued["not_before"]).astimezone(kst).date().isoformat()  # the customer's KST day
    agent = branch.staff("c001")
    caller = {"name": "홍길동", "rrn": person["rrn"], "last_issue_date": day, "branch": "0815"}

    for wrong in ({"last_issue_date": "2020-01-01"}, {"branch": "9999"}, {"name": "홍길순"}):
        code, out = branch.command("call-centre", {"staff": agent, "caller": caller | wrong, "action": "lookup"})
        assert code == 1 and out["error"] == "caller_not_verified", out
        assert "2020" not in json.dumps(out) and person["rrn"] not in json.dumps(out)

    code, out = branch.command("call-centre", {"staff": agent, "caller": caller, "action": "hold",
                                               "serial": issued["serial"]})
    assert code == 0 and out["held"] is True, out
    dump = json.dumps(out, ensure_ascii=False)
    assert person["rrn"] not in dump and person["rrn"].replace("-", "") not in dump and "******" in out["rrn_masked"]
    folder = Path(issued["folder"])
    status = _ocsp(service, tmp_path, folder / "signCert.der", branch.home / "ca")
    assert "revoked" in status and "certificateHold" in status, status

    # the call centre may not issue, renew or release: those are counter actions
    code, out = branch.command("release", {"staff": agent, "serial": issued["serial"]})
    assert code == 1 and out["error"] in ("forbidden", "not_allowed", "permission_denied"), out
    code, out = branch.command("release", {"staff": branch.staff(), "serial": issued["serial"]})
    assert code == 0, out
    assert "good" in _ocsp(service, tmp_path, folder / "signCert.der", branch.home / "ca")

    deps = build_deps(load_settings(branch.home, env={}))
    manager = sign_in(deps, "m001", branch.staff("m001")["password"])

    alerts = identity_alerts(deps, manager, datetime.now(timezone.utc) - timedelta(hours=1))
    assert [a.failures for a in alerts] == [3] and alerts[0].customer_ref == issued["customer_id"]


def test_the_close_out_counts_the_days_registrations(branch: Branch, tmp_path: Path) -> None:
    """Registered, redeemed, cancelled, locked, expired: whatever this branch registered today, by how it stands at
    the CA now (the close-out asks the registration desk, not the audit trail)."""
    cancelled = branch.register("김철수", "general")
    code, _ = branch.command("cancel-registration", {"staff": branch.staff(), "reference": cancelled["reference"]})
    assert code == 0
    kst = timezone(timedelta(hours=9))
    day = datetime.now(timezone.utc).astimezone(kst).date().isoformat()
    out = tmp_path / "close.pdf"
    proc = subprocess.run([str(TELLER), "--home", str(branch.home), "report", "daily", "--date", day, "--staff", "m001",
                           "--out", str(out)], input=branch.staff("m001")["password"] + "\n", capture_output=True,
                          text=True, env=teller_env(), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with sqlite3.connect(branch.home / "ca" / "cmp.db") as db:
        states = dict(db.execute("SELECT status, count(*) FROM cmp_registrations GROUP BY status").fetchall())
    assert states.get("cancelled", 0) >= 1
    text = _pdf_text(out)
    assert "온라인 발급 등록" in text
    assert f"발급 완료 {states.get('used', 0)}" in text and f"취소 {states.get('cancelled', 0)}" in text, text
