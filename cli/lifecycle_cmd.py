"""Headless lifecycle commands: `teller issue|renew|reissue|revoke|hold|release --request FILE` (`-` = stdin).

The request is ONE JSON object; the answer is ONE JSON object on stdout (exit 0), or on failure
`{"error": CODE, "message": KOREAN, "message_en": ENGLISH}` with a non-zero exit (1 for refusals the person
can fix, 2 for a bad request, 3 for an internal error, which is also logged in <home>/logs without secrets).

    {"staff": {"id": "t001", "password": "…"},
     "customer": {"name": "홍길동", "rrn": "900101-1234568",
                  "id_document": {"type": "resident_card" | "driver_license" | "passport" | "alien_card",
                                  "number": "…", "issue_date": "YYYY-MM-DD", "mrz": ["line1", "line2"]}},
     "kind": "bank" | "general" | "corporate", "media": "/path/to/usb", "password": "customer cert password",
     "business_number": "220-81-62517",   # 사업자등록번호: corporate only, refused on a personal kind
     "approval": {"manager_id": "m001", "password": "…", "reason": "…"}}

renew/reissue take "serial", "media", "password" and the "customer" block (today's identification is required
for a new key); revoke takes "serial" and "reason" (RevocationReason value); hold/release take "serial".
The CLI has no camera: running it states that the teller compared the ID photo with the customer
(`photo_attested` is implied). "confirm" may repeat the password; it defaults to "password".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from teller.errors import ApprovalRequired, TellerError, ValidationError

if TYPE_CHECKING:
    from teller.services.receipts import ReceiptOutcome

EXIT_REFUSED = 1
EXIT_BAD_REQUEST = 2
EXIT_INTERNAL = 3


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name, help_text in (
        ("issue", "인증서 발급 (issue a certificate to the media)"),
        ("renew", "인증서 갱신 (renew)"),
        ("reissue", "인증서 재발급 (reissue; manager approval)"),
        ("revoke", "인증서 폐지 (revoke; manager approval)"),
        ("hold", "효력정지 (hold; manager approval)"),
        ("release", "효력회복 (release a hold)"),
        ("register", "온라인 발급 등록: 참조번호·인가코드 봉투 (register for online issuance)"),
        ("cancel-registration", "온라인 발급 등록 취소 (cancel an online registration)"),
        ("call-centre", "고객센터: 본인확인 후 전화 효력정지·분실 폐지 (call-centre desk)"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--request", required=True, help="JSON request file, or - for stdin")
        p.set_defaults(func=lambda args, _name=name: run_json_command(args, _name))


# ---------------------------------------------------------------------------------------------- plumbing


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _log_internal(home: Path | None, command: str, exc: BaseException) -> None:
    """One log line with the exception type and the code location only: messages may quote input."""
    import traceback
    from datetime import datetime, timezone

    try:
        if home is None:
            return
        logs = home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        frames = traceback.extract_tb(exc.__traceback__)
        where = " < ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(frames[-6:]))
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with open(logs / "cli.log", "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} ERROR {command}: {type(exc).__name__} at {where}\n")
    except OSError:
        pass


def _read_request(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"요청 파일을 읽을 수 없습니다: {source}",
                              f"cannot read the request file {source}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError("요청이 올바른 JSON이 아닙니다", f"the request is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValidationError("요청은 JSON 객체 하나여야 합니다", "the request must be one JSON object")
    return data


def _need(obj: dict[str, Any], key: str, where: str = "") -> Any:
    value = obj.get(key)
    if value in (None, ""):
        raise ValidationError(f"요청에 '{where}{key}' 항목이 없습니다", f"the request lacks '{where}{key}'")
    return value


def run_json_command(args: argparse.Namespace, command: str) -> int:
    from teller.config import load_settings

    home: Path | None = None
    try:
        settings = load_settings(args.home)
        home = settings.home
        request = _read_request(args.request)
        result = _COMMANDS[command](settings, request)
    except ApprovalMissing as exc:
        _emit(exc.to_json() | {"action": exc.action, "binding": exc.binding})
        return EXIT_REFUSED
    except ValidationError as exc:
        _emit(exc.to_json())
        return EXIT_BAD_REQUEST
    except TellerError as exc:
        _emit(exc.to_json())
        return EXIT_REFUSED
    except Exception as exc:  # never a traceback on the terminal
        _log_internal(home, command, exc)
        _emit({"error": "internal", "message": "내부 오류가 발생했습니다. 로그를 확인하십시오",
               "message_en": f"internal error ({type(exc).__name__}); see the log in <home>/logs"})
        return EXIT_INTERNAL
    _emit(result)
    return 0


class ApprovalMissing(ApprovalRequired):
    """A gated command's request without an 'approval' object: the JSON answer names what to approve."""

    def __init__(self, exc: ApprovalRequired) -> None:
        super().__init__(exc.message + " (요청에 'approval' 항목을 넣으십시오)",
                         exc.message_en + " (add an 'approval' object to the request)",
                         action=exc.action, binding=exc.binding)


# ---------------------------------------------------------------------------------------------- steps


def _session(deps: Any, request: dict[str, Any]) -> Any:
    from teller.services.auth import sign_in

    staff = _need(request, "staff")
    if not isinstance(staff, dict):
        raise ValidationError("'staff'는 {\"id\", \"password\"} 객체입니다", "'staff' must be {id, password}")
    return sign_in(deps, str(_need(staff, "id", "staff.")), str(_need(staff, "password", "staff.")))


def _identify(deps: Any, session: Any, request: dict[str, Any]) -> Any:
    from teller.domain import IdDocumentType
    from teller.services.customers import IdentifyRequest, identify_customer

    customer = _need(request, "customer")
    doc = customer.get("id_document") or {"type": "resident_card"}
    try:
        doc_type = IdDocumentType(doc.get("type", "resident_card"))
    except ValueError:
        raise ValidationError("알 수 없는 신분증 종류입니다", f"unknown id_document.type {doc.get('type')!r}") from None
    issue_date = None
    if doc.get("issue_date"):
        try:
            issue_date = date.fromisoformat(str(doc["issue_date"]))
        except ValueError:
            raise ValidationError("발급일은 YYYY-MM-DD 형식입니다", "issue_date must be YYYY-MM-DD") from None
    mrz = doc.get("mrz")
    if mrz is not None and (not isinstance(mrz, list) or len(mrz) != 2):
        raise ValidationError("MRZ는 두 줄입니다", "mrz must be a list of two lines")
    req = IdentifyRequest(name=str(_need(customer, "name", "customer.")), rrn=str(_need(customer, "rrn", "customer.")),
                          document_type=doc_type, document_number=doc.get("number"), issue_date=issue_date,
                          mrz=(str(mrz[0]), str(mrz[1])) if mrz else None,
                          photo_attested=True)  # implied: the operator running the CLI attests the photo
    return identify_customer(deps, session, req)


def _with_approval(deps: Any, session: Any, request: dict[str, Any], call: Callable[[str | None], Any]) -> Any:
    """Run a gated service; on ApprovalRequired use the request's "approval" object and retry once."""
    from teller.services.approvals import approve

    try:
        return call(None)
    except ApprovalRequired as exc:
        approval = request.get("approval")
        if not approval:
            raise ApprovalMissing(exc) from None
        approval_id = approve(deps, session, str(_need(approval, "manager_id", "approval.")),
                              str(_need(approval, "password", "approval.")), exc.action, exc.binding,
                              str(approval.get("reason") or ""))
        return call(approval_id)


def _password(request: dict[str, Any]) -> tuple[str, str]:
    pw = str(_need(request, "password"))
    return pw, str(request.get("confirm", pw))


def _cert_json(cert: Any) -> dict[str, Any]:
    return {
        "serial": cert.serial,
        "status": cert.status.value,
        "kind": cert.kind.value,
        "subject": cert.subject_dn,
        "not_before": cert.not_before.isoformat(),
        "not_after": cert.not_after.isoformat(),
    }


def _receipt_json(outcome: ReceiptOutcome | None) -> dict[str, Any]:
    if outcome is None:
        return {"receipt": None, "printed": False}
    return {"receipt": str(outcome.pdf_path), "printed": outcome.printed, "receipt_message": outcome.message}


def _issue_like_json(result: Any, media: Path) -> dict[str, Any]:
    out = _cert_json(result.certificate) | {
        "folder": str(result.folder),
        "media": str(media),
        "transaction": result.transaction,
        "fee_krw": result.fee_krw,
        "customer_id": result.certificate.customer_id,
        "notes": result.notes,
    }
    if result.previous is not None:
        out["previous_serial"] = result.previous.serial
        out["previous_status"] = result.previous.status.value
    return out | _receipt_json(result.receipt)


def _deps(settings: Any) -> Any:
    from cli.wiring import build_deps

    # No reconciliation here: a lifecycle command (signed in or not) must never settle another counter's
    # issuance in progress; reconciliation runs at terminal start (teller.services.setup).
    return build_deps(settings)


def cmd_issue(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    from teller.domain import CertKind
    from teller.services.issuance import CorporateApplicant, IssueRequest, issue_certificate

    try:
        kind = CertKind(str(request.get("kind", "bank")))
    except ValueError:
        raise ValidationError("인증서 종류는 bank, general, corporate 중 하나입니다",
                              "kind must be bank, general or corporate") from None
    media = Path(str(_need(request, "media")))
    password, confirm = _password(request)
    business_number = request.get("business_number")
    corporate = None if business_number is None else CorporateApplicant(str(business_number))
    deps = _deps(settings)
    session = _session(deps, request)
    identified = _identify(deps, session, request)
    customer_id = identified.customer.customer_id

    def call(approval_id: str | None) -> Any:
        return issue_certificate(deps, session, IssueRequest(customer_id=customer_id, kind=kind, media_root=media,
                                                             password=password, confirm=confirm,
                                                             approval_id=approval_id, corporate=corporate))

    result = _with_approval(deps, session, request, call)
    return _issue_like_json(result, media) | {"rrn_masked": identified.customer.rrn_masked,
                                              "id_check": identified.check.result.value}


def _renew_or_reissue(settings: Any, request: dict[str, Any], service: Callable[..., Any]) -> dict[str, Any]:
    serial = str(_need(request, "serial"))
    media = Path(str(_need(request, "media")))
    password, confirm = _password(request)
    deps = _deps(settings)
    session = _session(deps, request)
    if request.get("customer"):
        _identify(deps, session, request)
    result = _with_approval(deps, session, request,
                            lambda approval_id: service(deps, session, serial, media, password, confirm, approval_id))
    return _issue_like_json(result, media)


def cmd_renew(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    from teller.services.renewal import renew

    return _renew_or_reissue(settings, request, renew)


def cmd_reissue(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    from teller.services.reissue import reissue

    return _renew_or_reissue(settings, request, reissue)


def _status_json(result: Any) -> dict[str, Any]:
    cert = result.certificate
    out = _cert_json(cert) | {"transaction": result.transaction, "message": result.message}
    if cert.revocation_reason is not None:
        out["reason"] = cert.revocation_reason.value
    if cert.hold_until is not None:
        out["hold_until"] = cert.hold_until.isoformat()
    return out | _receipt_json(result.receipt)


def cmd_revoke(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    from teller.domain import RevocationReason
    from teller.services.revocation import revoke

    serial = str(_need(request, "serial"))
    try:
        reason = RevocationReason(str(request.get("reason", "unspecified")))
    except ValueError:
        choices = ", ".join(r.value for r in RevocationReason)
        raise ValidationError(f"폐지 사유가 올바르지 않습니다 ({choices})", f"reason must be one of {choices}") from None
    deps = _deps(settings)
    session = _session(deps, request)
    return _status_json(_with_approval(deps, session, request,
                                       lambda approval_id: revoke(deps, session, serial, reason, approval_id)))


def cmd_hold(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    from teller.services.revocation import hold

    serial = str(_need(request, "serial"))
    deps = _deps(settings)
    session = _session(deps, request)
    return _status_json(_with_approval(deps, session, request,
                                       lambda approval_id: hold(deps, session, serial, approval_id)))


def cmd_release(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    from teller.services.revocation import release

    serial = str(_need(request, "serial"))
    deps = _deps(settings)
    session = _session(deps, request)
    return _status_json(release(deps, session, serial))


def cmd_register(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The customer is identified as for an issuance; the answer carries the 인가코드 once (it is on the slip too)."""
    from teller.domain import CertKind
    from teller.services.online_registration import register_for_online

    try:
        kind = CertKind(str(request.get("kind", "bank")))
    except ValueError:
        raise ValidationError("인증서 종류는 bank, general 중 하나입니다", "kind must be bank or general") from None
    deps = _deps(settings)
    session = _session(deps, request)
    identified = _identify(deps, session, request)
    result = register_for_online(deps, session, identified.customer.customer_id, kind)
    return {"transaction": result.transaction, "reference": result.reference, "auth_code": result.auth_code,
            "expires_at": result.expires_at.isoformat(), "kind": result.kind.value,
            "customer_id": identified.customer.customer_id, "rrn_masked": identified.customer.rrn_masked,
            "slip_archive": str(result.slip_archive), "printed": result.printed, "message": result.message,
            "message_en": result.message_en}


def cmd_cancel_registration(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    from teller.services.online_registration import cancel_online_registration, mask_reference

    reference = str(_need(request, "reference"))
    deps = _deps(settings)
    session = _session(deps, request)
    cancel_online_registration(deps, session, reference, reason=str(request.get("reason", "")))
    return {"reference": mask_reference(reference), "cancelled": True}


def cmd_call_centre(settings: Any, request: dict[str, Any]) -> dict[str, Any]:
    """{"staff", "caller": {"name", "rrn", "last_issue_date", "branch"}, "action": "lookup"|"hold"|"revoke_loss",
    "serial"} (or "call_id" of an earlier lookup instead of "caller"). Only masked data comes back."""
    from teller.services.call_centre import phone_hold, phone_revoke_for_loss, verify_caller

    action = str(request.get("action", "lookup"))
    if action not in ("lookup", "hold", "revoke_loss"):
        raise ValidationError("action은 lookup, hold, revoke_loss 중 하나입니다", "action must be lookup, hold or "
                              "revoke_loss")
    deps = _deps(settings)
    session = _session(deps, request)
    out: dict[str, Any] = {}
    call_id = request.get("call_id")
    if call_id is None or action == "lookup":
        caller = _need(request, "caller")
        try:
            day = date.fromisoformat(str(_need(caller, "last_issue_date", "caller.")))
        except ValueError:
            raise ValidationError("발급일은 YYYY-MM-DD 형식입니다", "last_issue_date must be YYYY-MM-DD") from None
        verified = verify_caller(deps, session, name=str(_need(caller, "name", "caller.")),
                                 rrn=str(_need(caller, "rrn", "caller.")), last_issue_date=day,
                                 issuing_branch=str(_need(caller, "branch", "caller.")))
        call_id = verified.call_id
        out = {"call_id": verified.call_id, "name_masked": verified.name_masked, "rrn_masked": verified.rrn_masked,
               "expires_at": verified.expires_at.isoformat(),
               "certificates": [{"serial": c.serial, "kind": c.kind.value, "status": c.status.value,
                                 "not_after": c.not_after.isoformat()} for c in verified.certificates]}
    if action == "hold":
        out |= {"serial": str(_need(request, "serial")), "held": True,
                "transaction": phone_hold(deps, session, int(call_id), str(request["serial"]))}
    elif action == "revoke_loss":
        out |= {"serial": str(_need(request, "serial")), "revoked": True,
                "transaction": phone_revoke_for_loss(deps, session, int(call_id), str(request["serial"]))}
    return out


_COMMANDS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    "call-centre": cmd_call_centre,
    "register": cmd_register,
    "cancel-registration": cmd_cancel_registration,
    "issue": cmd_issue,
    "renew": cmd_renew,
    "reissue": cmd_reissue,
    "revoke": cmd_revoke,
    "hold": cmd_hold,
    "release": cmd_release,
}
