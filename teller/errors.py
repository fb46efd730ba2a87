"""Errors the teller, the CLI and the tests can show as they are: a stable code and a Korean/English message.

Every error that may reach a person derives from `TellerError`. Adapters translate their library errors into
these at the port boundary, so screens and the CLI never print a traceback.
"""

from __future__ import annotations

from typing import Any


class TellerError(Exception):
    """Base of every error the product reports to a person."""

    code: str = "error"

    def __init__(self, message: str, message_en: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message  # Korean first
        self.message_en = message_en or message
        if code is not None:
            self.code = code

    def text(self, lang: str = "ko") -> str:
        return self.message_en if lang == "en" else self.message

    def to_json(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message, "message_en": self.message_en}


class ValidationError(TellerError):
    """Input that does not follow the rules (RRN shape, password rule, MRZ check digit, …)."""

    code = "invalid_input"


class AuthenticationError(TellerError):
    """Wrong staff id or password, locked account."""

    code = "authentication_failed"


class PermissionDenied(TellerError):
    """The signed-in staff member's role does not allow the action."""

    code = "permission_denied"


class ApprovalRequired(TellerError):
    """The action is gated by dual control and no valid approval was given."""

    code = "approval_required"


class ApprovalError(TellerError):
    """An approval was refused: self-approval, expired, reused, bound to another action, not a manager."""

    code = "approval_refused"


class NotFound(TellerError):
    code = "not_found"


class LifecycleError(TellerError):
    """A certificate action the domain rules forbid now (outside the renewal window, already revoked, …)."""

    code = "not_allowed"


class CertificateInForce(LifecycleError):
    """The database already holds a certificate in force for this customer and kind (another counter won)."""

    code = "in_force"


class IdentityCheckError(TellerError):
    """The ID authenticity check failed or reported the document lost/stolen."""

    code = "identity_check_failed"


class CertificateError(TellerError):
    """A certificate file that cannot be read or does not match."""

    code = "certificate_error"


class KeyFileError(TellerError):
    """A signPri.key that cannot be decrypted or parsed (wrong password, corrupt file, unknown scheme)."""

    code = "key_file_error"


class WrongPassword(KeyFileError):
    code = "wrong_password"


class MediaError(TellerError):
    """Customer media missing, read-only, full, or holding a broken NPKI folder."""

    code = "media_error"


class StorageError(TellerError):
    """The branch database is unavailable, locked or failing."""

    code = "storage_error"


class UnreadableAuditEvent(StorageError):
    """A stored audit event cannot be decoded (e.g. its time or details were overwritten with garbage): for chain
    verification that is a break at `seq`, not a crash."""

    code = "audit_unreadable"

    def __init__(self, seq: int, why: str) -> None:
        super().__init__(f"감사 기록 seq {seq}을(를) 읽을 수 없습니다 (변조 또는 손상): {why}",
                         f"audit event seq {seq} cannot be read (altered or damaged): {why}")
        self.seq = seq
        self.why = why
        self.before: list[Any] = []  # events of the same read decoded before it (the store fills this in)


class PrinterError(TellerError):
    """The printer is offline, the scheduler is down, or the job did not complete."""

    code = "printer_error"


class UpstreamError(TellerError):
    """Head office is unreachable or refused a batch."""

    code = "upstream_error"


class IntegrityError(TellerError):
    """The audit hash chain does not verify."""

    code = "integrity_error"
