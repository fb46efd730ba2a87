"""`teller cert inspect PATH` and `teller cert crl --out FILE`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from teller.errors import StorageError, ValidationError


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
