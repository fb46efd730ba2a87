"""`teller online issue --media DIR --ca URL [--ca-root FILE] [--receipt FILE]`: the customer's own issuance at home.

The secrets come on stdin as ONE JSON object, never on the command line (shell history, `ps`):

    {"reference": "12345678", "auth_code": "ABCD EFGH JKLM NPQR", "rrn": "900101-1234568",
     "password": "certificate password", "confirm": "certificate password"}

The answer is one JSON object on stdout (exit 0), or `{"error": CODE, "message": …, "message_en": …}` (exit 1 for
a refusal, 2 for bad input, 3 for an internal error). The trusted root is `--ca-root` (PEM or DER) or, on a
training PC that is also a branch home, that home's CA root.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any

from teller.errors import ErrorKind, TellerError, ValidationError

EXIT_REFUSED, EXIT_BAD_INPUT, EXIT_INTERNAL = 1, 2, 3


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    online = sub.add_parser("online", help="고객 PC의 온라인 발급 (the customer's own issuance with the slip's codes)")
    online_sub = online.add_subparsers(dest="online_command", metavar="ACTION", required=True)
    issue = online_sub.add_parser("issue", help="참조번호·인가코드로 인증서 발급 (secrets as JSON on stdin)")
    issue.add_argument("--media", required=True, help="the folder or USB stick that will hold the NPKI folder")
    issue.add_argument("--ca", required=True, help="the CA service, e.g. http://127.0.0.1:8829")
    issue.add_argument("--ca-root", help="the CA root certificate to trust (PEM or DER)")
    issue.add_argument("--receipt", help="where to save the PDF confirmation (default: beside the media)")
    issue.set_defaults(func=_issue)
    for name, help_text in (("renew", "온라인 갱신: 만료 30일 전부터 (kur signed with the current certificate)"),
                            ("revoke", "분실 신고·폐지 (rr signed by the certificate itself)"),
                            ("delete", "매체에서 인증서 삭제 (the certificate stays valid until revoked)")):
        p = online_sub.add_parser(name, help=help_text)
        p.add_argument("--media", required=True, help="the folder or USB stick holding the NPKI folder")
        p.add_argument("--folder", help="the certificate folder, when the media holds several")
        if name != "delete":
            p.add_argument("--ca", required=True, help="the CA service, e.g. http://127.0.0.1:8829")
            p.add_argument("--ca-root", help="the CA root certificate to trust (PEM or DER)")
        if name == "renew":
            p.add_argument("--receipt", help="where to save the PDF confirmation")
        p.set_defaults(func={"renew": _renew, "revoke": _revoke, "delete": _delete}[name])


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValidationError("CA 주소는 http:// 또는 https:// 로 시작합니다", "the CA address must start with http(s)://")
    return url if url.endswith("/pkix") else url + "/pkix/"


def _root(args: argparse.Namespace) -> Any:
    from cryptography import x509

    if args.ca_root:
        path = Path(args.ca_root)
    else:
        from teller.config import load_settings

        path = load_settings(args.home).ca_dir / "root.der"
        if not path.is_file():
            raise ValidationError("신뢰할 CA 루트 인증서를 --ca-root 로 지정하십시오",
                                  "name the CA root certificate to trust with --ca-root")
    try:
        raw = path.read_bytes()[:64 * 1024]
    except OSError as exc:
        raise ValidationError(f"CA 루트 인증서를 읽을 수 없습니다: {path}", f"cannot read the CA root {path}: "
                              f"{exc.strerror}") from None
    try:
        return x509.load_pem_x509_certificate(raw) if raw.lstrip().startswith(b"-----") \
            else x509.load_der_x509_certificate(raw)
    except ValueError:
        raise ValidationError(f"CA 루트 인증서 형식이 올바르지 않습니다: {path}",
                              f"not a certificate: {path}") from None


def _secrets(keys: tuple[str, ...] = ("reference", "auth_code", "rrn", "password")) -> dict[str, str]:
    try:
        data = json.loads(sys.stdin.read(16 * 1024))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError("표준입력은 JSON 객체 하나입니다", "stdin must be one JSON object") from None
    if not isinstance(data, dict):
        raise ValidationError("표준입력은 JSON 객체 하나입니다", "stdin must be one JSON object")
    out: dict[str, str] = {}
    for key in ("reason",):
        if isinstance(data.get(key), str):
            out[key] = data[key]
    for key in keys:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise ValidationError(f"'{key}' 항목이 없습니다", f"'{key}' is missing")
        out[key] = value
    if "password" in keys or "new_password" in keys:
        confirm = data.get("confirm", out.get("new_password", out.get("password")))
        out["confirm"] = confirm if isinstance(confirm, str) else ""
    return out


def _receipt(args: argparse.Namespace, issued: Any, rrn: str, lang: str) -> Path | None:
    """A PDF the customer keeps: what was issued, when, and what to do on loss (no secret; the RRN masked)."""
    from printing.renderer import PdfDocuments
    from teller.online.receipt import online_receipt_data

    path = Path(args.receipt) if args.receipt else Path(args.media).resolve().parent / f"공동인증서_발급_{issued.serial}.pdf"
    try:
        path.write_bytes(PdfDocuments().receipt(online_receipt_data(issued.certificate, rrn, language=lang),
                                                geometry="roll80"))
    except OSError:
        return None  # the certificate is issued and on the media; a missing PDF is not worth failing for
    return path


def _run(step: Callable[[], dict[str, Any]]) -> int:
    try:
        result = step()
    except ValidationError as exc:
        _emit(exc.to_json())
        return EXIT_BAD_INPUT
    except TellerError as exc:
        _emit(exc.to_json())
        return EXIT_REFUSED
    except Exception as exc:  # never a traceback on the customer's screen
        _emit({"error": "internal", "message": "내부 오류가 발생했습니다", "message_en": f"internal error "
               f"({type(exc).__name__})"})
        return EXIT_INTERNAL
    _emit(result)
    return 0


def _issued_json(issued: Any, receipt: Path | None) -> dict[str, Any]:
    return {"serial": issued.serial, "subject": issued.subject, "issuer": issued.issuer,
            "not_before": issued.not_before.isoformat(), "not_after": issued.not_after.isoformat(),
            "folder": str(issued.folder), "receipt": str(receipt) if receipt else None}


def _issue(args: argparse.Namespace) -> int:
    def step() -> dict[str, Any]:
        from cli.cmp_http import HttpCmpTransport
        from teller.online.enrolment import issue_online

        root = _root(args)
        given = _secrets()
        issued = issue_online(HttpCmpTransport(_endpoint(args.ca)), root, reference=given["reference"],
                              auth_code=given["auth_code"], rrn=given["rrn"], password=given["password"],
                              confirm=given["confirm"], media_root=Path(args.media))
        receipt = _receipt(args, issued, given["rrn"], args.lang or "ko")
        return _issued_json(issued, receipt) | {"message": "인증서를 발급하여 저장했습니다",
                                                "message_en": "the certificate was issued and saved"}

    return _run(step)


def _renew(args: argparse.Namespace) -> int:
    def step() -> dict[str, Any]:
        from datetime import datetime, timezone

        from cli.cmp_http import HttpCmpTransport
        from teller.online.lifecycle import find_folder, renew_online
        from teller.services.support import kst_day

        root = _root(args)
        given = _secrets(("password", "new_password"))
        folder = find_folder(Path(args.media), Path(args.folder) if args.folder else None)
        issued = renew_online(HttpCmpTransport(_endpoint(args.ca)), root, media_root=Path(args.media), folder=folder,
                              password=given["password"], new_password=given["new_password"],
                              confirm=given["confirm"], today=kst_day(datetime.now(timezone.utc)))
        return _issued_json(issued, None) | {"message": "인증서를 갱신했습니다", "message_en": "the certificate was renewed"}

    return _run(step)


def _revoke(args: argparse.Namespace) -> int:
    def step() -> dict[str, Any]:
        from cli.cmp_http import HttpCmpTransport
        from teller.online.lifecycle import find_folder, revoke_online

        root = _root(args)
        given = _secrets(("password",))
        reason = given.get("reason", "loss")
        if reason not in ("loss", "no_longer_needed", "details_changed"):
            raise ValidationError("폐지 사유는 loss, no_longer_needed, details_changed 중 하나입니다",
                                  "reason must be loss, no_longer_needed or details_changed", kind=ErrorKind.BAD_REASON)
        folder = find_folder(Path(args.media), Path(args.folder) if args.folder else None)
        serial = revoke_online(HttpCmpTransport(_endpoint(args.ca)), root, folder=folder, password=given["password"],
                               reason=reason)  # type: ignore[arg-type]  # checked just above
        return {"serial": serial, "revoked": True, "message": "인증서를 폐지했습니다. 다시 쓰려면 재발급을 받으십시오",
                "message_en": "the certificate was revoked; get a reissue to use one again"}

    return _run(step)


def _delete(args: argparse.Namespace) -> int:
    def step() -> dict[str, Any]:
        from teller.online.lifecycle import delete_from_media, find_folder

        folder = find_folder(Path(args.media), Path(args.folder) if args.folder else None)
        serial = delete_from_media(Path(args.media), folder)
        return {"serial": serial, "deleted": True,
                "message": "매체에서 인증서를 삭제했습니다. 인증서는 폐지되지 않았으므로 다른 복사본은 만료일까지 "
                           "쓸 수 있습니다. 분실이라면 폐지하십시오",
                "message_en": "deleted from the media; the certificate is NOT revoked and any other copy stays "
                              "usable until it expires. Revoke it if it was lost"}

    return _run(step)


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()
