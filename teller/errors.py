"""Errors the teller, the CLI and the tests can show as they are: a stable kind and a Korean/English message.

Every error that may reach a person derives from `TellerError`. Adapters translate their library errors into
these at the port boundary, so screens and the CLI never print a traceback. Code that decides what to do about
an error looks at its `kind` (an `ErrorKind`), never at the wording of its message.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from teller.domain import AuditEvent


class ErrorKind(enum.StrEnum):
    """What went wrong. The value is the stable `code` the CLI's JSON and the audit details carry."""

    ERROR = "error"
    INVALID_INPUT = "invalid_input"
    BUSINESS_NUMBER_SHAPE = "business_number_shape"
    BUSINESS_NUMBER_CHECK_DIGIT = "business_number_check_digit"
    BUSINESS_NUMBER_NOT_CORPORATE = "business_number_not_corporate"
    BUSINESS_NUMBER_REQUIRED = "business_number_required"
    MRZ_CHECK_DIGIT = "mrz_check_digit"
    MRZ_RRN_MISMATCH = "mrz_rrn_mismatch"
    CERTIFICATE_PASSWORD_RULE = "certificate_password_rule"
    AUTHENTICATION_FAILED = "authentication_failed"
    ACCOUNT_LOCKED = "account_locked"
    PERMISSION_DENIED = "permission_denied"
    APPROVAL_REQUIRED = "approval_required"
    APPROVAL_REFUSED = "approval_refused"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    OUTSIDE_RENEWAL_WINDOW = "outside_renewal_window"
    REPRESENTATIVE_NOT_VERIFIED = "representative_not_verified"
    ALREADY_REVOKED = "already_revoked"
    NOT_ON_HOLD = "not_on_hold"
    IN_FORCE = "in_force"
    IDENTITY_CHECK_FAILED = "identity_check_failed"
    CERTIFICATE_ERROR = "certificate_error"
    KEY_FILE_ERROR = "key_file_error"
    WRONG_PASSWORD = "wrong_password"
    MEDIA_ERROR = "media_error"
    STORAGE_ERROR = "storage_error"
    AUDIT_UNREADABLE = "audit_unreadable"
    MASTER_KEY_ERROR = "master_key_error"
    PRINTER_ERROR = "printer_error"
    UPSTREAM_ERROR = "upstream_error"
    UPSTREAM_UNREACHABLE = "upstream_unreachable"
    INTEGRITY_ERROR = "integrity_error"
    FIELD_DECRYPT_FAILED = "field_decrypt_failed"
    CMP_ERROR = "cmp_error"
    # online issuance and the call-centre desk
    BAD_CODE = "bad_code"
    BAD_REASON = "bad_reason"
    BAD_REFERENCE = "bad_reference"
    CALLER_CHECK_LAPSED = "caller_check_lapsed"
    CALLER_NOT_VERIFIED = "caller_not_verified"
    ID_NOT_VERIFIED = "id_not_verified"
    NO_REGISTRAR = "no_registrar"
    ONLINE_KIND_NOT_ALLOWED = "online_kind_not_allowed"
    REGISTRATION_NOT_OPEN = "registration_not_open"
    SEVERAL_FOLDERS = "several_folders"
    WRONG_CODE = "wrong_code"
    REFUSED = "refused"
    ALREADY_REDEEMED = "already_redeemed"
    REGISTRATION_LOCKED = "registration_locked"
    REGISTRATION_CANCELLED = "registration_cancelled"
    REGISTRATION_EXPIRED = "registration_expired"
    UNKNOWN_REFERENCE = "unknown_reference"
    RRN_MISMATCH = "rrn_mismatch"


class TellerError(Exception):
    """Base of every error the product reports to a person. Each subclass has its default `kind`; a raise may
    name a finer one (`kind=ErrorKind.ACCOUNT_LOCKED`) for callers that decide on it."""

    kind: ErrorKind = ErrorKind.ERROR

    def __init__(self, message: str, message_en: str | None = None, *, kind: ErrorKind | None = None) -> None:
        super().__init__(message)
        self.message = message  # Korean first
        self.message_en = message_en or message
        if kind is not None:
            self.kind = kind

    @property
    def code(self) -> str:
        return self.kind.value

    def text(self, lang: str = "ko") -> str:
        return self.message_en if lang == "en" else self.message

    def to_json(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message, "message_en": self.message_en}


class ValidationError(TellerError):
    """Input that does not follow the rules (RRN shape, password rule, MRZ check digit, …)."""

    kind = ErrorKind.INVALID_INPUT


class PasswordRuleError(ValidationError):
    """A certificate password that breaks rules: `unmet` names them (rule codes, plus "confirm_mismatch") for the
    UI's checklist."""

    kind = ErrorKind.CERTIFICATE_PASSWORD_RULE

    def __init__(self, message: str, message_en: str, *, unmet: list[str]) -> None:
        super().__init__(message, message_en)
        self.unmet = unmet


class AuthenticationError(TellerError):
    """Wrong staff id or password, locked account."""

    kind = ErrorKind.AUTHENTICATION_FAILED


class PermissionDenied(TellerError):
    """The signed-in staff member's role does not allow the action."""

    kind = ErrorKind.PERMISSION_DENIED


class ApprovalRequired(TellerError):
    """The action is gated by dual control and no valid approval was given: the UI asks a manager to approve
    `action` bound to `binding` and retries with the approval id."""

    kind = ErrorKind.APPROVAL_REQUIRED

    def __init__(self, message: str, message_en: str, *, action: str, binding: str) -> None:
        super().__init__(message, message_en)
        self.action = action
        self.binding = binding


class ApprovalError(TellerError):
    """An approval was refused: self-approval, expired, reused, bound to another action, not a manager."""

    kind = ErrorKind.APPROVAL_REFUSED


class NotFound(TellerError):
    kind = ErrorKind.NOT_FOUND


class LifecycleError(TellerError):
    """A certificate action the domain rules forbid now (outside the renewal window, already revoked, …)."""

    kind = ErrorKind.NOT_ALLOWED


class CertificateInForce(LifecycleError):
    """The database already holds a certificate in force for this customer and kind (another counter won)."""

    kind = ErrorKind.IN_FORCE


class IdentityCheckError(TellerError):
    """The ID authenticity check failed or reported the document lost/stolen."""

    kind = ErrorKind.IDENTITY_CHECK_FAILED


class CertificateError(TellerError):
    """A certificate file that cannot be read or does not match."""

    kind = ErrorKind.CERTIFICATE_ERROR


class KeyFileError(TellerError):
    """A signPri.key that cannot be decrypted or parsed (wrong password, corrupt file, unknown scheme)."""

    kind = ErrorKind.KEY_FILE_ERROR


class WrongPassword(KeyFileError):
    kind = ErrorKind.WRONG_PASSWORD


class MediaError(TellerError):
    """Customer media missing, read-only, full, or holding a broken NPKI folder."""

    kind = ErrorKind.MEDIA_ERROR


class StorageError(TellerError):
    """The branch database is unavailable, locked or failing."""

    kind = ErrorKind.STORAGE_ERROR


class UnreadableAuditEvent(StorageError):
    """A stored audit event cannot be decoded (e.g. its time or details were overwritten with garbage): for chain
    verification that is a break at `seq`, not a crash. `before`: the events of the same read decoded before it,
    which still go through the chain check first."""

    kind = ErrorKind.AUDIT_UNREADABLE

    def __init__(self, seq: int, why: str, before: list[AuditEvent] | None = None) -> None:
        super().__init__(f"감사 기록 seq {seq}을(를) 읽을 수 없습니다 (변조 또는 손상): {why}",
                         f"audit event seq {seq} cannot be read (altered or damaged): {why}")
        self.seq = seq
        self.why = why
        self.before: list[AuditEvent] = before or []


class PrinterError(TellerError):
    """The printer is offline, the scheduler is down, or the job did not complete."""

    kind = ErrorKind.PRINTER_ERROR


class UpstreamError(TellerError):
    """Head office is unreachable or refused a batch."""

    kind = ErrorKind.UPSTREAM_ERROR


class IntegrityError(TellerError):
    """The audit hash chain does not verify."""

    kind = ErrorKind.INTEGRITY_ERROR
