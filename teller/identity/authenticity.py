"""신분증 진위확인 for a training branch: an embedded registry implementing `teller.ports.IdAuthenticityService`.

The real check is KFTC's relay to the issuing ministry. This stand-in keeps a small JSON registry of (fake)
documents. It never stores a plaintext RRN or document number: each is kept as an HMAC-SHA256 under a key given
to the constructor (the wiring derives it from the terminal's master key), so a copied registry file reveals
names and issue dates only.

Matching: same document type, same NFC name (Latin names case-insensitively), every identity the entry holds
(RRN and/or document number) equal to the request's, and the issue date equal when the entry records one (the
real service asks for it on every card). Result: VERIFIED, NOT_FOUND or REPORTED_LOST.

"Service down" is exercised by `unavailable=True` or by a marker file `<registry>.down` next to the registry
(touch it while the terminal runs; remove it to recover): the result is UNAVAILABLE, which the services turn
into the manager-approval path.
"""

from __future__ import annotations

import hmac
import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from hashlib import sha256
from pathlib import Path
from typing import Any

from teller.domain import AuthenticityResult, IdDocumentType
from teller.errors import IdentityCheckError, ValidationError
from teller.identity.licence import parse_driver_license
from teller.identity.names import normalize_name
from teller.identity.rrn import parse_rrn, rrn_check_digit
from teller.ports import Clock, IdCheckRequest, IdCheckResponse, SystemClock

FORMAT_VERSION = 1
STATUS_VALID = "valid"
STATUS_REPORTED_LOST = "reported_lost"
_STATUSES = (STATUS_VALID, STATUS_REPORTED_LOST)

_MESSAGES = {
    AuthenticityResult.VERIFIED: "신분증 진위확인 결과 정상(일치)입니다. 사진과 본인을 대조하십시오.",
    AuthenticityResult.NOT_FOUND: "신분증 진위확인 결과 불일치입니다. 입력한 이름·번호·발급일자를 확인하십시오.",
    AuthenticityResult.REPORTED_LOST: "분실·도난 신고된 신분증입니다. 이 신분증으로는 거래할 수 없습니다.",
    AuthenticityResult.UNAVAILABLE: "신분증 진위확인 서비스에 연결할 수 없습니다. 계속하려면 책임자 승인이 필요합니다.",
}


def _canonical_number(document_type: IdDocumentType, number: str) -> str:
    """Document number as compared: licence → 12 digits with a numeric region; others → upper alnum."""
    if document_type is IdDocumentType.DRIVER_LICENSE:
        try:
            return parse_driver_license(number).digits
        except ValidationError:
            pass
    return "".join(c for c in number.upper() if c.isalnum())


def _canonical_rrn(rrn: str) -> str:
    return "".join(c for c in rrn if c.isdigit())


def _canonical_name(name: str) -> str:
    try:
        n = normalize_name(name)
    except ValidationError:
        n = " ".join(name.split())
    return n.upper() if n.isascii() else n


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """A fake person seeded into the training registry, printed once by `teller init --demo`."""

    name: str
    rrn: str  # "YYMMDD-GNNNNNC", fake, valid check digit
    document_type: IdDocumentType
    document_number: str | None
    issue_date: date
    status: str
    note: str  # Korean, what the entry is for


class TrainingRegistry:
    """Embedded `IdAuthenticityService` for a training branch (see the module doc)."""

    def __init__(self, path: Path, key: bytes, clock: Clock | None = None, *, unavailable: bool = False) -> None:
        if len(key) < 16:
            raise ValueError("registry key must be at least 16 bytes")
        self.path = Path(path)
        self._key = bytes(key)
        self._clock: Clock = clock or SystemClock()
        self.unavailable = unavailable

    # ------------------------------------------------------------------------------------------ hashing

    def _hmac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}\x00{value}".encode(), sha256).hexdigest()

    @property
    def _key_check(self) -> str:
        return self._hmac("key-check", "teller-id-registry")

    # ------------------------------------------------------------------------------------------ storage

    @property
    def down_marker(self) -> Path:
        return self.path.with_name(self.path.name + ".down")

    def _load(self) -> list[dict[str, Any]]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as e:
            raise IdentityCheckError("진위확인 등록부를 읽을 수 없습니다.", f"Cannot read the ID registry: {e}") from None
        try:
            doc = json.loads(raw)
            if doc.get("version") != FORMAT_VERSION or not isinstance(doc.get("entries"), list):
                raise ValueError("unknown format")
        except (ValueError, AttributeError):
            raise IdentityCheckError("진위확인 등록부 파일이 손상되었습니다.", "The ID registry file is corrupt.") from None
        if doc.get("key_check") != self._key_check:
            raise IdentityCheckError(
                "진위확인 등록부가 이 단말기의 키로 만들어지지 않았습니다.",
                "The ID registry was not created with this terminal's key.",
            )
        return list(doc["entries"])

    def _save(self, entries: list[dict[str, Any]]) -> None:
        """Atomic replace, mode 0600: a crash leaves the old registry whole."""
        doc = {"version": FORMAT_VERSION, "key_check": self._key_check, "entries": entries}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".id-registry-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f, ensure_ascii=False, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ------------------------------------------------------------------------------------------ entries

    def add_entry(
        self,
        *,
        document_type: IdDocumentType,
        name: str,
        rrn: str | None = None,
        document_number: str | None = None,
        issue_date: date | None = None,
        status: str = STATUS_VALID,
    ) -> None:
        """Add (or replace: same type and identities) one document. RRN and number are stored hashed only."""
        if status not in _STATUSES:
            raise ValidationError(f"알 수 없는 상태: {status}", f"Unknown status: {status}")
        if rrn is None and document_number is None:
            raise ValidationError("주민등록번호나 신분증 번호 중 하나는 있어야 합니다.",
                                  "An entry needs a resident number or a document number.")
        entry = {
            "document_type": document_type.value,
            "name": normalize_name(name),
            "rrn_hmac": self._hmac("rrn", parse_rrn(rrn).digits) if rrn is not None else None,
            "number_hmac": (self._hmac("number", _canonical_number(document_type, document_number))
                            if document_number is not None else None),
            "issue_date": issue_date.isoformat() if issue_date else None,
            "status": status,
        }
        ident = (entry["document_type"], entry["rrn_hmac"], entry["number_hmac"])
        entries = [e for e in self._load() if (e["document_type"], e["rrn_hmac"], e["number_hmac"]) != ident]
        entries.append(entry)
        self._save(entries)

    def __len__(self) -> int:
        return len(self._load())

    # ------------------------------------------------------------------------------------------ the port

    def check(self, request: IdCheckRequest) -> IdCheckResponse:
        request_id = uuid.uuid4().hex
        checked_at = self._clock.now()
        if self.unavailable or self.down_marker.exists():
            result = AuthenticityResult.UNAVAILABLE
        else:
            result = self._match(request)
        return IdCheckResponse(result=result, request_id=request_id, checked_at=checked_at, message=_MESSAGES[result])

    def _match(self, request: IdCheckRequest) -> AuthenticityResult:
        rrn_h = self._hmac("rrn", _canonical_rrn(request.rrn)) if request.rrn else None
        num_h = (self._hmac("number", _canonical_number(request.document_type, request.document_number))
                 if request.document_number else None)
        name = _canonical_name(request.name)
        for e in self._load():
            if e["document_type"] != request.document_type.value:
                continue
            if e["rrn_hmac"] is not None and not (rrn_h and hmac.compare_digest(e["rrn_hmac"], rrn_h)):
                continue
            if e["number_hmac"] is not None and not (num_h and hmac.compare_digest(e["number_hmac"], num_h)):
                continue
            if _canonical_name(e["name"]) != name:
                continue
            if e["issue_date"] is not None and (request.issue_date is None
                                                or request.issue_date.isoformat() != e["issue_date"]):
                continue
            return (AuthenticityResult.REPORTED_LOST if e["status"] == STATUS_REPORTED_LOST
                    else AuthenticityResult.VERIFIED)
        return AuthenticityResult.NOT_FOUND


def _fake_rrn(first12: str) -> str:
    digits = first12 + str(rrn_check_digit(first12))
    return f"{digits[:6]}-{digits[6:]}"


def demo_people() -> list[DemoPerson]:
    """The obviously fake training people (fixed data, New-Year birthdays, serial 234560-style digits)."""
    return [
        DemoPerson("홍길동", _fake_rrn("900101123456"), IdDocumentType.RESIDENT_CARD, None, date(2015, 3, 2),
                   STATUS_VALID, "주민등록증 — 정상"),
        DemoPerson("김철수", _fake_rrn("850101123456"), IdDocumentType.DRIVER_LICENSE, "11-15-000001-00",
                   date(2015, 6, 1), STATUS_VALID, "운전면허증 — 정상"),
        DemoPerson("이영희", _fake_rrn("920101223456"), IdDocumentType.PASSPORT, "M000A0001",
                   date(2022, 1, 3), STATUS_VALID, "여권 — 정상"),
        DemoPerson("SMITH JOHN", _fake_rrn("880101523456"), IdDocumentType.ALIEN_CARD, None,
                   date(2020, 2, 3), STATUS_VALID, "외국인등록증 — 정상 (외국인)"),
        DemoPerson("박분실", _fake_rrn("750101123456"), IdDocumentType.RESIDENT_CARD, None, date(2010, 5, 6),
                   STATUS_REPORTED_LOST, "주민등록증 — 분실 신고됨 (거래 거절 연습용)"),
    ]


def seed_demo(registry: TrainingRegistry) -> list[DemoPerson]:
    """Add the demo people to the registry (idempotent) and return them for printing."""
    people = demo_people()
    for p in people:
        registry.add_entry(document_type=p.document_type, name=p.name, rrn=p.rrn,
                           document_number=p.document_number, issue_date=p.issue_date, status=p.status)
    return people
