"""EmbeddedCA: a local root + issuing CA with the Korean profile (a TEST CA, names from CAIdentity).

Layout of ca_dir:
- root.der / root.key.pem, issuing.der / issuing.key.pem: the CA certificates and keys (PEM encrypted with the
  passphrase, mode 0600).
- ca-journal.jsonl (mode 0600): the CA database as an append-only journal, one JSON object per line. The first
  line is {"op":"snapshot","version":1,"issued":{…},"revoked":{…},"sequence":N,"crl_number":N}; then one line per
  transaction: {"op":"issued","serial","issued_at","kind","not_after","sequence"}, {"op":"revoked","serial",
  "reason","when"}, {"op":"released","serial"}, {"op":"crl_number","n"}. A transaction is one write() of one
  line + one fsync, so a crash can only tear the last line: replay ignores a last line without its newline and
  the next writer truncates it away.
- ca-db.json: the database of older versions (rewritten whole per transaction). Imported once into the first
  journal snapshot when there is no journal yet, then left alone (no longer read or written).
- ca.lock: fcntl lock shared by processes, held around every transaction; a threading lock serialises the threads
  of one process. Each EmbeddedCA keeps the database in memory and, under the locks, reads only the journal bytes
  appended since its last read (by other processes), so a transaction costs O(1), not O(certificates ever issued).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from teller.config import CAIdentity, Settings
from teller.domain import CertKind, RevocationReason
from teller.errors import CertificateError, ErrorKind, LifecycleError, NotFound, StorageError, ValidationError
from teller.pki import profile
from teller.ports import CertificateRequest, Clock, SystemClock

REASON_FLAGS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
}
_MAX_SERIAL = 2**63
_MIN_SERIAL = 2**24  # ≥ 4 bytes when DER-encoded
CRL_VALIDITY = timedelta(days=1)
ROOT_CRL_VALIDITY = timedelta(days=30)  # the root signs rarely (only the issuing CA could be on it)
OCSP_SIGNER_VALIDITY = timedelta(days=90)
OCSP_SIGNER_RENEW_BEFORE = timedelta(days=30)  # a new responder certificate when the current one has less left
JOURNAL_NAME = "ca-journal.jsonl"
LEGACY_DB_NAME = "ca-db.json"
_JOURNAL_VERSION = 1
_BAD_RECORD = (KeyError, TypeError, ValueError, AttributeError)  # what a malformed record raises in _Db.apply


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a file whole or not at all: temporary file, fsync, rename, directory fsync."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _pread_all(fd: int, size: int, offset: int) -> bytes:
    parts: list[bytes] = []
    while size > 0:
        chunk = os.pread(fd, size, offset)
        if not chunk:
            break
        parts.append(chunk)
        size -= len(chunk)
        offset += len(chunk)
    return b"".join(parts)


def _serial(value: Any) -> str:
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise ValueError(f"bad serial {value!r}")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"bad counter {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _issued_entry(rec: dict[str, Any]) -> dict[str, str]:
    return {"issued_at": _text(rec["issued_at"]), "kind": CertKind(rec["kind"]).value, "not_after": _text(rec["not_after"])}


def _revoked_entry(rec: dict[str, Any]) -> dict[str, str]:
    datetime.fromisoformat(_text(rec["when"]))  # checked now so crl() cannot fail on it later
    return {"reason": RevocationReason(rec["reason"]).value, "when": rec["when"]}


@dataclass(frozen=True, slots=True)
class Revocation:
    reason: RevocationReason
    when: datetime


@dataclass(frozen=True, slots=True)
class StatusBook:
    """What the CA knows of its certificates at one moment: what OCSP answers from."""

    issued: frozenset[int]
    revoked: dict[int, Revocation]


@dataclass
class _Db:
    """The CA database in memory: the journal records applied in order."""

    issued: dict[str, dict[str, str]] = field(default_factory=dict)
    revoked: dict[str, dict[str, str]] = field(default_factory=dict)
    sequence: int = 0
    crl_number: int = 0

    def apply(self, rec: dict[str, Any]) -> None:
        """Apply one record. Everything is checked before anything changes, so a bad record changes nothing."""
        op = rec["op"]
        if op == "issued":
            serial, entry, sequence = _serial(rec["serial"]), _issued_entry(rec), _count(rec["sequence"])
            self.issued[serial] = entry
            self.sequence = sequence
        elif op == "revoked":
            serial, entry = _serial(rec["serial"]), _revoked_entry(rec)
            self.revoked[serial] = entry
        elif op == "released":
            self.revoked.pop(_serial(rec["serial"]), None)
        elif op == "crl_number":
            self.crl_number = _count(rec["n"])
        elif op == "snapshot":
            if rec.get("version") != _JOURNAL_VERSION:
                raise ValueError(f"unsupported journal version {rec.get('version')!r}")
            issued = {_serial(s): _issued_entry(e) for s, e in rec["issued"].items()}
            revoked = {_serial(s): _revoked_entry(e) for s, e in rec["revoked"].items()}
            self.issued, self.revoked = issued, revoked
            self.sequence, self.crl_number = _count(rec["sequence"]), _count(rec["crl_number"])
        else:
            raise ValueError(f"unknown op {op!r}")


class EmbeddedCA:
    """teller.ports.CertificateAuthority backed by files in ca_dir."""

    supports_hold = True  # a hold goes on the CRL as certificateHold; `release_hold` lifts it

    def __init__(self, ca_dir: Path, identity: CAIdentity, root_cert: x509.Certificate, issuing_cert: x509.Certificate,
                 issuing_key: rsa.RSAPrivateKey, clock: Clock, subject: profile.SubjectParams) -> None:
        self.ca_dir = ca_dir
        self.identity = identity
        self.root_cert = root_cert
        self.issuing_cert = issuing_cert
        self._key = issuing_key
        self._clock = clock
        self._subject = subject
        self._lock = threading.Lock()
        self._db = _Db()
        self._offset = 0  # journal bytes applied to self._db; always the end of a complete line
        self._lines = 0  # journal lines applied (for error messages)
        self._torn = False  # the journal ends with a partial line (a writer died mid-append)

    # ------------------------------------------------------------------------------------------- opening
    @classmethod
    def open(cls, ca_dir: Path, identity: CAIdentity, passphrase: bytes, rsa_bits: int = 2048,
             clock: Clock | None = None, *, bank_code: str = "004", bank_ou: str = "KMB",
             corporate_ou: str = profile.CORPORATE_OU) -> "EmbeddedCA":
        """Open the CA in ca_dir, creating root and issuing CA on first use."""
        if rsa_bits < 2048:
            raise ValidationError("CA 키는 RSA 2048비트 이상이어야 합니다", "CA keys must be RSA-2048 or larger")
        if not passphrase:
            raise ValidationError("CA 키 암호가 비어 있습니다", "the CA key passphrase is empty")
        clock = clock or SystemClock()
        ca_dir = Path(ca_dir)
        try:
            ca_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StorageError(f"CA 폴더를 만들 수 없습니다: {ca_dir}", f"cannot create the CA folder {ca_dir}: {exc}") from None
        subject = profile.SubjectParams(org=identity.org, bank_ou=bank_ou, bank_code=bank_code, corporate_ou=corporate_ou)
        with cls._file_lock(ca_dir):
            if not (ca_dir / "issuing.der").exists():
                cls._create(ca_dir, identity, passphrase, rsa_bits, clock)
            try:
                root = x509.load_der_x509_certificate((ca_dir / "root.der").read_bytes())
                issuing = x509.load_der_x509_certificate((ca_dir / "issuing.der").read_bytes())
                key = serialization.load_pem_private_key((ca_dir / "issuing.key.pem").read_bytes(), passphrase)
            except (OSError, ValueError) as exc:
                raise CertificateError("CA 인증서나 키를 열 수 없습니다 (암호 또는 파일 확인)",
                                       f"cannot open the CA certificate or key (check passphrase/files): {exc}") from None
            cls._create_journal(ca_dir)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise CertificateError("CA 키 형식이 올바르지 않습니다", "the CA key is not RSA")
        ca = cls(ca_dir, identity, root, issuing, key, clock, subject)
        with ca._locked():  # replay now: a damaged journal is reported at open, not at the first issuance
            pass
        return ca

    @classmethod
    def from_settings(cls, settings: Settings, passphrase: bytes, clock: Clock | None = None) -> "EmbeddedCA":
        return cls.open(settings.ca_dir, settings.ca, passphrase, settings.rsa_bits, clock,
                        bank_code=settings.bank_code, bank_ou=settings.bank_ou)

    @staticmethod
    @contextmanager
    def _file_lock(ca_dir: Path) -> Iterator[None]:
        fd = os.open(ca_dir / "ca.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @staticmethod
    def _create(ca_dir: Path, identity: CAIdentity, passphrase: bytes, bits: int, clock: Clock) -> None:
        now = clock.now()
        root_key = rsa.generate_private_key(65537, bits)
        issuing_key = rsa.generate_private_key(65537, bits)
        root_name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, identity.root_org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Korea Certification Authority Central (TEST)"),
            x509.NameAttribute(NameOID.COMMON_NAME, identity.root_cn),
        ])
        issuing_name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "kr"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, identity.org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "AccreditedCA"),
            x509.NameAttribute(NameOID.COMMON_NAME, identity.issuing_cn),
        ])
        ca_usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                 data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                 encipher_only=False, decipher_only=False)
        root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        issuing_cdp, issuing_aia = profile.issuing_ca_addresses(identity)
        root = (
            x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=20 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(ca_usage, critical=True)
            .add_extension(root_ski, critical=False)
            .sign(root_key, hashes.SHA256())
        )
        issuing = (
            x509.CertificateBuilder().subject_name(issuing_name).issuer_name(root_name)
            .public_key(issuing_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=10 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(ca_usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(issuing_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False)
            .add_extension(issuing_cdp, critical=False)
            .add_extension(issuing_aia, critical=False)
            .sign(root_key, hashes.SHA256())
        )
        enc = serialization.BestAvailableEncryption(passphrase)
        pem = serialization.Encoding.PEM
        pkcs8 = serialization.PrivateFormat.PKCS8
        write_atomic(ca_dir / "root.key.pem", root_key.private_bytes(pem, pkcs8, enc))
        write_atomic(ca_dir / "issuing.key.pem", issuing_key.private_bytes(pem, pkcs8, enc))
        write_atomic(ca_dir / "root.der", root.public_bytes(serialization.Encoding.DER), 0o644)
        write_atomic(ca_dir / "issuing.der", issuing.public_bytes(serialization.Encoding.DER), 0o644)  # last: marks done

    # ------------------------------------------------------------------------------------------- journal
    @staticmethod
    def _create_journal(ca_dir: Path) -> None:
        """First open (under the file lock): start the journal with a snapshot, imported from a legacy ca-db.json."""
        path = ca_dir / JOURNAL_NAME
        if path.exists():
            return
        legacy = ca_dir / LEGACY_DB_NAME
        try:
            old: Any = json.loads(legacy.read_bytes()) if legacy.exists() else {}
            snapshot: dict[str, Any] = {"op": "snapshot", "version": _JOURNAL_VERSION, "issued": old.get("issued", {}),
                                        "revoked": old.get("revoked", {}), "sequence": int(old.get("sequence", 0)),
                                        "crl_number": int(old.get("crl_number", 0))}
            _Db().apply(snapshot)  # validate before anything is written
        except OSError as exc:
            raise StorageError("기존 CA 데이터베이스(ca-db.json)를 읽을 수 없습니다",
                               f"cannot read the old CA database {legacy}: {exc}") from None
        except _BAD_RECORD as exc:
            raise StorageError("CA 데이터베이스 파일이 손상되었습니다", f"the CA database file is corrupt: {exc}") from None
        try:
            write_atomic(path, _line(snapshot))  # tmp + rename + dir fsync: the journal appears whole or not at all
        except OSError as exc:
            raise StorageError("CA 저널 파일을 만들 수 없습니다", f"cannot create the CA journal {path}: {exc}") from None

    @contextmanager
    def _locked(self) -> Iterator[int]:
        """Thread lock + process lock, then catch up with lines other processes appended; yields the journal fd."""
        path = self.ca_dir / JOURNAL_NAME
        with self._lock, self._file_lock(self.ca_dir):
            try:
                fd = os.open(path, os.O_RDWR | os.O_APPEND)
            except OSError as exc:
                raise StorageError("CA 저널 파일을 열 수 없습니다", f"cannot open the CA journal {path}: {exc}") from None
            try:
                self._catch_up(fd, path)
                yield fd
            finally:
                os.close(fd)

    def _catch_up(self, fd: int, path: Path) -> None:
        """Apply the complete lines after self._offset: O(bytes appended since this instance last looked)."""
        try:
            size = os.fstat(fd).st_size
            data = _pread_all(fd, size - self._offset, self._offset) if size > self._offset else b""
        except OSError as exc:
            raise StorageError("CA 저널 파일을 읽을 수 없습니다", f"cannot read the CA journal {path}: {exc}") from None
        if size < self._offset:  # only complete lines are ever truncated away, so this is damage from outside
            raise StorageError("CA 저널 파일이 줄어들었습니다 (외부에서 변경됨)",
                               f"the CA journal {path} shrank below what was already read (changed outside the CA)")
        complete = data.rfind(b"\n") + 1  # a tail without newline is a torn append: ignored, truncated by the next writer
        for raw in data[:complete].split(b"\n")[:-1]:
            try:
                rec = json.loads(raw)
                if not isinstance(rec, dict):
                    raise ValueError("not a JSON object")
                self._db.apply(rec)
            except _BAD_RECORD as exc:
                n = self._lines + 1
                raise StorageError(f"CA 저널 파일의 {n}번째 줄이 손상되었습니다: {path} (백업에서 복구가 필요합니다)",
                                   f"the CA journal {path} is corrupt at line {n}: {exc}") from None
            self._offset += len(raw) + 1
            self._lines += 1
        self._torn = complete < len(data)

    def _append(self, fd: int, record: dict[str, Any]) -> None:
        """Commit one transaction: one line, one write(), one fsync; then apply it to the in-memory database."""
        data = _line(record)
        try:
            if self._torn:  # drop a dead writer's partial line, else ours would be glued onto it
                os.ftruncate(fd, self._offset)
                self._torn = False
            if os.write(fd, data) != len(data):  # disk full: a partial line, which the next writer truncates
                raise OSError("short write")
            os.fsync(fd)
        except OSError as exc:
            raise StorageError("CA 저널 파일에 기록할 수 없습니다",
                               f"cannot append to the CA journal {self.ca_dir / JOURNAL_NAME}: {exc}") from None
        self._db.apply(record)
        self._offset += len(data)
        self._lines += 1

    # ------------------------------------------------------------------------------------------- port
    def issue(self, request: CertificateRequest) -> x509.Certificate:
        try:
            public_key = serialization.load_der_public_key(request.public_key_der)
        except ValueError as exc:
            raise ValidationError("공개키 형식이 올바르지 않습니다", f"bad subscriber public key: {exc}") from None
        if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < 2048:
            raise ValidationError("가입자 키는 RSA 2048비트 이상이어야 합니다", "subscriber keys must be RSA-2048+")
        if request.not_before.tzinfo is None or request.not_after <= request.not_before:
            raise ValidationError("유효기간이 올바르지 않습니다", "invalid validity period")
        name = unicodedata.normalize("NFC", request.real_name).strip()
        if not name or len(name) > 64 or any(ord(ch) < 32 or ch in '/\\' for ch in name):
            raise ValidationError("인증서에 넣을 실명이 올바르지 않습니다", "the real name is empty, too long or has bad characters")
        if request.vid is not None and len(request.vid) != 32:
            raise ValidationError("VID는 SHA-256 32바이트여야 합니다", "the VID must be 32 bytes (SHA-256)")
        issued_on = self._clock.now().astimezone(profile.KST).date()
        with self._locked() as fd:
            sequence = self._db.sequence + 1
            serial = self._new_serial()
            builder = (
                x509.CertificateBuilder()
                .subject_name(profile.subject_name(name, request.kind, self._subject, issued_on, sequence))
                .issuer_name(self.issuing_cert.subject)
                .public_key(public_key)
                .serial_number(serial)
                .not_valid_before(request.not_before)
                .not_valid_after(request.not_after)
            )
            builder = profile.add_subscriber_extensions(
                builder, subscriber_key=public_key, issuer_cert=self.issuing_cert, kind=request.kind,
                real_name=name, vid=request.vid, identity=self.identity,
            )
            cert = builder.sign(self._key, hashes.SHA256())
            self._append(fd, {"op": "issued", "serial": str(serial), "issued_at": self._clock.now().isoformat(),
                              "kind": request.kind.value, "not_after": request.not_after.isoformat(), "sequence": sequence})
        return cert

    def _new_serial(self) -> int:
        while True:
            serial = _MIN_SERIAL + secrets.randbelow(_MAX_SERIAL - _MIN_SERIAL)
            if str(serial) not in self._db.issued:
                return serial

    def revoke(self, serial: int, reason: RevocationReason, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValidationError("폐지 시각에 시간대가 없습니다", "revocation time must be timezone-aware")
        with self._locked() as fd:
            if str(serial) not in self._db.issued:
                raise NotFound(f"이 CA가 발급하지 않은 일련번호입니다: {serial:x}", f"unknown serial {serial:x}")
            previous = self._db.revoked.get(str(serial))
            if previous and previous["reason"] != RevocationReason.CERTIFICATE_HOLD.value:
                raise LifecycleError("이미 폐지된 인증서입니다", "the certificate is already revoked",
                                     kind=ErrorKind.ALREADY_REVOKED)
            self._append(fd, {"op": "revoked", "serial": str(serial), "reason": reason.value,
                              "when": when.astimezone(timezone.utc).isoformat()})

    def release_hold(self, serial: int) -> None:
        """Lift a certificate hold (효력회복): the serial leaves the next CRL (RFC 5280 removeFromCRL semantics)."""
        with self._locked() as fd:
            entry = self._db.revoked.get(str(serial))
            if not entry or entry["reason"] != RevocationReason.CERTIFICATE_HOLD.value:
                raise LifecycleError("효력정지 상태가 아닌 인증서입니다", "the certificate is not on hold",
                                     kind=ErrorKind.NOT_ON_HOLD)
            self._append(fd, {"op": "released", "serial": str(serial)})

    def crl(self) -> bytes:
        now = self._clock.now()
        with self._locked() as fd:
            number = self._db.crl_number + 1
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(self.issuing_cert.subject)
                .last_update(now)
                .next_update(now + CRL_VALIDITY)
                .add_extension(x509.CRLNumber(number), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            )
            for serial, entry in sorted(self._db.revoked.items(), key=lambda kv: int(kv[0])):
                revoked = (x509.RevokedCertificateBuilder().serial_number(int(serial))
                           .revocation_date(datetime.fromisoformat(entry["when"])))
                reason = RevocationReason(entry["reason"])
                if reason is not RevocationReason.UNSPECIFIED:  # RFC 5280: omit reasonCode for unspecified
                    revoked = revoked.add_extension(x509.CRLReason(REASON_FLAGS[reason]), critical=False)
                builder = builder.add_revoked_certificate(revoked.build())
            crl = builder.sign(self._key, hashes.SHA256())
            self._append(fd, {"op": "crl_number", "n": number})  # recorded only once the CRL is signed
        return crl.public_bytes(serialization.Encoding.DER)

    def chain(self) -> Sequence[x509.Certificate]:
        return (self.issuing_cert, self.root_cert)

    def knows(self, serial: int) -> bool:
        with self._locked():
            return str(serial) in self._db.issued

    def issued_serials(self) -> Sequence[int]:
        with self._locked():
            return sorted(int(s) for s in self._db.issued)

    def issued_at(self, serial: int) -> datetime | None:
        with self._locked():
            entry = self._db.issued.get(str(serial))
        return None if entry is None else datetime.fromisoformat(entry["issued_at"])

    def status_book(self) -> StatusBook:
        with self._locked():
            revoked = {int(s): Revocation(RevocationReason(e["reason"]), datetime.fromisoformat(e["when"]))
                       for s, e in self._db.revoked.items()}
            return StatusBook(frozenset(int(s) for s in self._db.issued), revoked)

    def ocsp_signer(self, passphrase: bytes) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """The CA's delegated OCSP responder certificate (id-kp-OCSPSigning) and key, created or renewed on demand.

        Kept like the CA keys: ocsp.der and ocsp.key.pem (PEM encrypted with the passphrase, mode 0600)."""
        return self._delegated_signer(passphrase, "ocsp", "OCSP Responder", x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING)

    def cmp_signer(self, passphrase: bytes) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """The certificate and key that sign the CMP service's responses to signature-protected requests (kur, rr),
        kept as cmp.der / cmp.key.pem like the OCSP signer's (id-kp-cmcCA, RFC 6402)."""
        return self._delegated_signer(passphrase, "cmp", "CMP Server", x509.ObjectIdentifier("1.3.6.1.5.5.7.3.27"))

    def _delegated_signer(self, passphrase: bytes, stem: str, role: str,
                          usage: x509.ObjectIdentifier) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        with self._file_lock(self.ca_dir):
            cert_path, key_path = self.ca_dir / f"{stem}.der", self.ca_dir / f"{stem}.key.pem"
            now = self._clock.now()
            if cert_path.exists():
                try:
                    cert = x509.load_der_x509_certificate(cert_path.read_bytes())
                    key = serialization.load_pem_private_key(key_path.read_bytes(), passphrase)
                except (OSError, ValueError) as exc:
                    raise CertificateError(f"{role} 인증서나 키를 열 수 없습니다",
                                           f"cannot open the {role} certificate or key: {exc}") from None
                if isinstance(key, rsa.RSAPrivateKey) and cert.not_valid_after_utc - now > OCSP_SIGNER_RENEW_BEFORE:
                    return cert, key
            key = rsa.generate_private_key(65537, self._key.key_size)
            name = x509.Name([
                x509.NameAttribute(NameOID.COUNTRY_NAME, "kr"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.identity.org),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "AccreditedCA"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{self.identity.issuing_cn} {role}"),
            ])
            issuer_ski = self.issuing_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            cert = (
                x509.CertificateBuilder().subject_name(name).issuer_name(self.issuing_cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + OCSP_SIGNER_VALIDITY)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .add_extension(x509.OCSPNoCheck(), critical=False)  # RFC 6960 §4.2.2.2.1: short-lived, not itself checked
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False)
                .sign(self._key, hashes.SHA256())
            )
            enc = serialization.BestAvailableEncryption(passphrase)
            write_atomic(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc))
            write_atomic(cert_path, cert.public_bytes(serialization.Encoding.DER), 0o644)  # last: marks done
            return cert, key

    def root_crl(self, passphrase: bytes, previous: bytes | None) -> bytes:
        """A new CRL of the root (listing nothing: the root's only subordinate is live), numbered after `previous`.

        The root key is opened only for this and not kept."""
        number = 1
        if previous is not None:
            try:
                ext = x509.load_der_x509_crl(previous).extensions.get_extension_for_class(x509.CRLNumber)
                number = ext.value.crl_number + 1
            except (ValueError, x509.ExtensionNotFound):
                pass
        try:
            key = serialization.load_pem_private_key((self.ca_dir / "root.key.pem").read_bytes(), passphrase)
        except (OSError, ValueError) as exc:
            raise CertificateError("루트 CA 키를 열 수 없습니다", f"cannot open the root CA key: {exc}") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise CertificateError("CA 키 형식이 올바르지 않습니다", "the root CA key is not RSA")
        now = self._clock.now()
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root_cert.subject)
            .last_update(now)
            .next_update(now + ROOT_CRL_VALIDITY)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return crl.public_bytes(serialization.Encoding.DER)

    def revoked_serials(self) -> dict[int, RevocationReason]:
        with self._locked():
            return {int(s): RevocationReason(e["reason"]) for s, e in self._db.revoked.items()}
