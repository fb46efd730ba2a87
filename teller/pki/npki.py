"""NPKI folders on customer media (npki-format.md §1, §9): names, the file bundle, read-back checks, inspect."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from teller.domain import CertKind
from teller.errors import CertificateError, MediaError, ValidationError
from teller.pki import keyfile, profile, vid

SIGN_CERT = "signCert.der"
SIGN_KEY = "signPri.key"
_SHORT_TYPES = {
    NameOID.COMMON_NAME: "cn",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "ou",
    NameOID.ORGANIZATION_NAME: "o",
    NameOID.COUNTRY_NAME: "c",
    NameOID.LOCALITY_NAME: "l",
    NameOID.STATE_OR_PROVINCE_NAME: "st",
}
_FORBIDDEN = set('/\\\0:*?"<>|')  # would break or escape the folder on FAT/exFAT/NTFS or POSIX


@dataclass(frozen=True, slots=True)
class FolderCheck:
    key_matches: bool
    vid_matches: bool | None  # None when no RRN was given


def _safe(name: str, what: str) -> str:
    name = unicodedata.normalize("NFC", name)
    if not name or name in (".", "..") or _FORBIDDEN & set(name) or any(ord(ch) < 32 for ch in name):
        raise CertificateError(f"인증서 이름으로 {what} 폴더 이름을 만들 수 없습니다: {name!r}",
                               f"the certificate's names do not give a safe {what} folder name: {name!r}")
    return name


def ca_folder_name(cert: x509.Certificate) -> str:
    """The issuer's O= value (yessign, KICA, …). [rule unconfirmed: equal in every observed path]"""
    orgs = cert.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    if not orgs:
        raise CertificateError("발급기관 이름(O)이 없는 인증서입니다", "the issuer has no O= attribute")
    return _safe(str(orgs[0].value), "CA")


def _text(value: str | bytes) -> str:
    """An attribute value as text (only X.500 unique identifiers are bytes: shown as hex)."""
    return value if isinstance(value, str) else value.hex()


def user_folder_name(cert: x509.Certificate) -> str:
    """Subject DN most-specific first, lower-case types, ',' without spaces, no escaping, NFC."""
    parts = []
    for rdn in reversed(list(cert.subject.rdns)):
        parts.append("+".join(f"{_SHORT_TYPES.get(a.oid, a.oid.dotted_string)}={_text(a.value)}" for a in rdn))
    return _safe(",".join(parts), "user")


def make_bundle(cert: x509.Certificate, encrypted_key: bytes) -> dict[str, bytes]:
    return {SIGN_CERT: cert.public_bytes(serialization.Encoding.DER), SIGN_KEY: encrypted_key}


def load_certificate(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MediaError(f"인증서 파일이 없습니다: {path}", f"certificate file not found: {path}") from None
    except OSError as exc:
        raise MediaError(f"인증서 파일을 읽을 수 없습니다: {path}", f"cannot read {path}: {exc.strerror}") from None
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise CertificateError(f"인증서 파일(signCert.der)이 손상되었습니다: {path}",
                               f"the certificate file is corrupt or not DER X.509: {path}") from None


def _read_key(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise MediaError(f"개인키 파일이 없습니다: {path}", f"private-key file not found: {path}") from None
    except OSError as exc:
        raise MediaError(f"개인키 파일을 읽을 수 없습니다: {path}", f"cannot read {path}: {exc.strerror}") from None


def _check_rrn(rrn: str) -> str:
    digits = rrn.replace("-", "").strip()
    if len(digits) != 13 or not digits.isdigit():
        raise ValidationError("주민등록번호는 숫자 13자리입니다", "the resident number must be 13 digits")
    return digits


def check_key(cert: x509.Certificate, key_data: bytes, password: str, rrn: str | None) -> FolderCheck:
    decrypted = keyfile.decrypt_private_key(key_data, password)
    key_matches = decrypted.private_key.public_key() == cert.public_key()
    vid_ok: bool | None = None
    if rrn is not None:
        digits = _check_rrn(rrn)
        vid_ok = decrypted.random_num is not None and vid.vid_matches(cert, digits, decrypted.random_num)
    return FolderCheck(key_matches, vid_ok)


def verify_folder(folder: Path, password: str, rrn: str | None = None) -> FolderCheck:
    """Decrypt signPri.key, compare it with signCert.der and (with an RRN) check the VID."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MediaError(f"인증서 폴더가 없습니다: {folder}", f"certificate folder not found: {folder}")
    cert = load_certificate(folder / SIGN_CERT)
    return check_key(cert, _read_key(folder / SIGN_KEY), password, rrn)


def _resolve(path: Path) -> tuple[Path, Path | None]:
    """(signCert.der, signPri.key or None) for a user folder or a certificate file."""
    if path.is_dir():
        cert_path = path / SIGN_CERT
        if not cert_path.exists():
            raise MediaError(f"폴더에 signCert.der가 없습니다: {path}", f"no signCert.der in {path}")
    elif path.exists():
        cert_path = path
    else:
        raise MediaError(f"경로가 없습니다: {path}", f"path not found: {path}")
    key_path = cert_path.with_name(SIGN_KEY)
    return cert_path, key_path if key_path.is_file() else None


def inspect(path: Path, password: str | None = None, rrn: str | None = None) -> dict[str, Any]:
    """JSON-ready facts about a certificate (and its key when a password is given). Never includes R or the RRN."""
    cert_path, key_path = _resolve(Path(path))
    cert = load_certificate(cert_path)
    policy = profile.policy_oid_of(cert)
    kind = CertKind.from_policy_oid(policy) if policy else None
    try:
        identify: vid.IdentifyData | None = vid.read_identify_data(cert)
    except CertificateError:
        identify = None
    result: dict[str, Any] = {
        "path": str(cert_path),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "policy_oid": policy,
        "kind": kind.value if kind else None,
        "real_name": identify.real_name if identify else None,
        "vid_hash": identify.hash_name if identify else None,
        "ca_folder": ca_folder_name(cert),
        "user_folder": user_folder_name(cert),
        "key_encoding": None,
    }
    if key_path is not None:
        key_data = _read_key(key_path)
        result["key_encoding"] = keyfile.key_scheme(key_data)
        if password is not None:
            check = check_key(cert, key_data, password, rrn)
            result["key_matches"] = check.key_matches
            if rrn is not None:
                result["vid_matches"] = check.vid_matches
    elif password is not None:
        raise MediaError(f"개인키 파일(signPri.key)이 없습니다: {cert_path.parent}",
                         f"no signPri.key next to {cert_path}")
    return result
