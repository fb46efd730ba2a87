"""`teller cert inspect PATH`, `teller cert crl --out FILE` and `teller cert status PATH|SERIAL`.

status exits 0 when the responder says good, 3 when revoked or held, 4 when unknown, 1 on an error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from teller.errors import StorageError, ValidationError

if TYPE_CHECKING:
    from cryptography import x509


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cert = sub.add_parser("cert", help="공동인증서 파일 점검 / CRL (certificate tools)")
    cert_sub = cert.add_subparsers(dest="cert_command", metavar="ACTION")
    ins = cert_sub.add_parser("inspect", help="인증서 폴더 또는 signCert.der 점검 (JSON)")
    ins.add_argument("path", type=Path, help="user folder or signCert.der")
    ins.add_argument("--password-stdin", action="store_true", help="read the certificate password (first line) from stdin")
    ins.add_argument("--rrn-stdin", action="store_true", help="read the RRN from stdin (after the password line)")
    ins.set_defaults(func=_inspect)
    crl = cert_sub.add_parser("crl", help="embedded CA의 CRL 발행 (DER)")
    crl.add_argument("--out", type=Path, required=True, help="output file")
    crl.set_defaults(func=_crl)
    st = cert_sub.add_parser("status", help="OCSP 응답기에 인증서 상태 조회 (asks the CA's OCSP responder)")
    st.add_argument("target", help="user folder, signCert.der/.pem, or a serial (decimal, or hex with 0x)")
    st.add_argument("--url", help="OCSP responder (default: the certificate's AIA, else the home's [ca] service_url)")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    st.set_defaults(func=_status)


def _strip_newline(line: str) -> str:
    return line[:-1] if line.endswith("\n") else line


def _inspect(args: argparse.Namespace) -> int:
    from teller.pki import npki

    password: str | None = None
    rrn: str | None = None
    if args.password_stdin or args.rrn_stdin:
        lines = sys.stdin.readlines()
        want = (1 if args.password_stdin else 0) + (1 if args.rrn_stdin else 0)
        if len(lines) < want:
            raise ValidationError("표준입력에서 비밀번호/주민등록번호를 읽지 못했습니다",
                                  "stdin must hold the password (first line) and/or the RRN (next line)")
        index = 0
        if args.password_stdin:
            password = _strip_newline(lines[0]).rstrip("\r")
            index = 1
        if args.rrn_stdin:
            rrn = lines[index].strip()
    if rrn is not None and password is None:
        raise ValidationError("주민등록번호 확인에는 인증서 비밀번호가 필요합니다",
                              "the RRN check needs the certificate password (--password-stdin)")
    result = npki.inspect(args.path, password, rrn)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _crl(args: argparse.Namespace) -> int:
    from teller.config import load_settings
    from teller.pki.ca import EmbeddedCA

    settings = load_settings(args.home)
    passphrase = os.environ.get("TELLER_CA_PASSPHRASE")
    if not passphrase:
        raise ValidationError("TELLER_CA_PASSPHRASE 환경변수에 CA 키 암호가 필요합니다",
                              "set TELLER_CA_PASSPHRASE to the CA key passphrase")
    if not (settings.ca_dir / "issuing.der").exists():
        raise StorageError(f"CA가 아직 만들어지지 않았습니다: {settings.ca_dir}", f"no CA in {settings.ca_dir}")
    ca = EmbeddedCA.from_settings(settings, passphrase.encode("utf-8"))
    data = ca.crl()
    try:
        args.out.write_bytes(data)
    except OSError as exc:
        raise StorageError(f"CRL 파일을 쓸 수 없습니다: {args.out}", f"cannot write {args.out}: {exc.strerror}") from None
    print(f"CRL: {args.out} ({len(ca.revoked_serials())} revoked)")
    return 0


def _status(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    import httpx
    from cryptography import x509

    from teller.config import load_settings
    from teller.errors import CertificateError
    from teller.pki import ocsp_check

    settings = load_settings(args.home)
    try:
        issuer = x509.load_der_x509_certificate((settings.ca_dir / "issuing.der").read_bytes())
    except (OSError, ValueError):
        raise StorageError(f"이 단말의 CA 인증서가 없습니다: {settings.ca_dir}", f"no CA certificate in {settings.ca_dir}") from None
    target: str = args.target
    url = args.url
    if target.isdigit() or target.lower().startswith("0x"):
        try:
            serial = int(target, 0) if target.lower().startswith("0x") else int(target)
        except ValueError:
            raise ValidationError(f"일련번호가 올바르지 않습니다: {target}", f"bad serial {target}") from None
    else:
        cert = _load_cert(Path(target))
        if cert.issuer != issuer.subject:
            raise ValidationError("이 CA가 발급한 인증서가 아닙니다", "the certificate was not issued by this home's CA")
        serial = cert.serial_number
        if url is None:
            try:
                aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
                url = next((str(a.access_location.value) for a in aia
                            if a.access_method == x509.oid.AuthorityInformationAccessOID.OCSP), None)
            except x509.ExtensionNotFound:
                pass
    url = url or settings.ca.ocsp_uri
    asked = ocsp_check.question(serial, issuer)
    try:
        reply = httpx.post(url, content=asked.der, headers={"Content-Type": "application/ocsp-request"}, timeout=10.0)
    except httpx.HTTPError as exc:
        raise CertificateError(f"OCSP 응답기에 연결할 수 없습니다: {url}", f"cannot reach the OCSP responder {url}: {exc}") from None
    if reply.status_code != 200:
        raise CertificateError(f"OCSP 응답기 오류 (HTTP {reply.status_code}): {url}",
                               f"the OCSP responder answered HTTP {reply.status_code}: {url}")
    answer = ocsp_check.judge(reply.content, asked, issuer, datetime.now(timezone.utc))
    status = "held" if answer.reason is not None and answer.reason.value == "certificate_hold" else answer.status
    result = {"serial": f"{serial:x}", "status": status, "reason": answer.reason.value if answer.reason else None,
              "revoked_at": answer.revoked_at.isoformat() if answer.revoked_at else None,
              "this_update": answer.this_update.isoformat(), "responder": url}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        label = {"good": "정상 (good)", "held": "효력정지 (certificateHold)", "unknown": "알 수 없음 (unknown)",
                 "revoked": f"폐지 (revoked: {result['reason'] or 'unspecified'}, {result['revoked_at']})"}[status]
        print(f"{serial:x}: {label}")
    return {"good": 0, "unknown": 4}.get(status, 3)


def _load_cert(path: Path) -> "x509.Certificate":
    from cryptography import x509

    if path.is_dir():
        path = path / "signCert.der"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"인증서 파일을 읽을 수 없습니다: {path}", f"cannot read {path}: {exc.strerror}") from None
    try:
        return x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----") else x509.load_der_x509_certificate(data)
    except ValueError:
        raise ValidationError(f"인증서 형식이 아닙니다: {path}", f"not a certificate: {path}") from None
