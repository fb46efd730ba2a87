"""Typed settings: defaults for a training branch, overridden by `<home>/settings.toml`, then `TELLER_*` env.

Facts marked unconfirmed in the shared domain notes are settings here, defaulting to the safer behaviour
(see docs/settings.md).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from teller.errors import ValidationError

DEFAULT_GATED = ("reissue", "revoke", "hold", "issue_unverified")

# The CA service's addresses: `service_url` + these paths (ca_service routes the same constants).
DEFAULT_CA_SERVICE_URL = "http://127.0.0.1:8829"
OCSP_PATH = "/ocsp"
ISSUING_CRL_PATH = "/crl/issuing.crl"
ROOT_CRL_PATH = "/crl/root.crl"
ISSUING_CERT_PATH = "/certs/issuing.der"
ROOT_CERT_PATH = "/certs/root.der"
CPS_PATH = "/cps"
# Hosts of the real yessign service: never in a certificate of this (test) CA.
PRODUCTION_CA_DOMAINS = ("yessign.or.kr", "yessign.org", "yessign.co.kr", "yessign.kr")


def default_home() -> Path:
    env = os.environ.get("TELLER_HOME")
    if env:
        return Path(env)
    import platformdirs  # lazy: only needed when no home was given

    return Path(platformdirs.user_data_dir("branch-teller", appauthor=False))


@dataclass(frozen=True, slots=True)
class CAIdentity:
    """The embedded CA's names. Default: modelled on yessign's test CA and marked as a test CA."""

    org: str = "yessign"  # issuer O=, also the NPKI CA folder name
    issuing_cn: str = "yessignCA-Test Class 4 (branch-teller TEST)"
    root_cn: str = "branch-teller Test RootCA (NOT FOR PRODUCTION)"
    root_org: str = "KISA-TEST"
    notice: str = "이 인증서는 시험용 인증서입니다"  # BMPString userNotice explicitText
    # Where this CA's service (`teller ca serve`) answers: every address put in a certificate (CDP, AIA, CPS) is
    # under it, so a test CA never points at yessign's production servers.
    service_url: str = DEFAULT_CA_SERVICE_URL

    @property
    def ocsp_uri(self) -> str:
        return self.service_url + OCSP_PATH

    @property
    def crl_uri(self) -> str:
        """The issuing CA's CRL (the subscriber certificates' CDP)."""
        return self.service_url + ISSUING_CRL_PATH

    @property
    def root_crl_uri(self) -> str:
        """The root's CRL (the issuing CA certificate's CDP)."""
        return self.service_url + ROOT_CRL_PATH

    @property
    def issuing_cert_uri(self) -> str:
        return self.service_url + ISSUING_CERT_PATH

    @property
    def root_cert_uri(self) -> str:
        return self.service_url + ROOT_CERT_PATH

    @property
    def cps_uri(self) -> str:
        return self.service_url + CPS_PATH


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    db_url: str | None = None  # None → sqlite file <home>/teller.db
    upstream_url: str | None = None  # None → sqlite file <home>/headoffice.db (embedded stand-in)
    language: str = "ko"

    bank_name: str = "KB국민은행"
    bank_code: str = "004"  # 3-digit bank code used in the CN digits
    bank_ou: str = "KMB"  # subject OU for the bank (observed: KMB for Kookmin)
    branch_id: str = "0815"
    branch_name: str = "여의도영업부"
    terminal_id: str = "T01"

    ca: CAIdentity = field(default_factory=CAIdentity)
    key_encoding: str = "seedCBCWithSHA1"  # or "pbes2"
    rsa_bits: int = 2048

    general_fee_krw: int = 4400  # 범용, per year incl. VAT
    corporate_fee_krw: int = 4400  # bank's tariff: a setting
    validity_years: int = 1
    renewal_window_days: int = 30
    renewal_base: str = "old_expiry"  # or "renewal_day" [unconfirmed rule: keep the customer's days]
    hold_max_days: int = 183  # 6 months, then auto-revoke
    gated_actions: tuple[str, ...] = DEFAULT_GATED
    approval_ttl_minutes: int = 5

    idle_lock_minutes: int = 5
    lockout_threshold: int = 5
    business_hours: tuple[int, int] = (9, 16)  # KST; outside is an "after hours" exception in the close-out

    audit_retention_days: int = 5 * 365  # 전자금융거래법 art. 22
    access_log_retention_days: int = 2 * 365

    media_folders: tuple[Path, ...] = ()  # extra folders offered as media (besides detected removable media)
    demo_media: bool = True  # offer <home>/demo-media
    printer: str = "pdf"  # "pdf" (folder) or "cups"
    printer_queue: str | None = None
    receipt_geometry: str = "roll80"  # or "a4"
    print_timeout_s: float = 30.0
    sync_interval_s: float = 30.0

    # the CA service's CMP half (docs/settings.md)
    ca_db_url: str | None = None  # its state (registrations, nonces, pending); None → sqlite <home>/ca/cmp.db
    cmp_confirm_timeout_s: int = 300  # an issued certificate not confirmed (certConf) by then is revoked
    cmp_generic_client: str = "without_identify_data"  # or "refuse": a CMP client that sends no VID material
    online_registration_days: int = 7  # how long a 참조번호/인가코드 stays redeemable [bank value unconfirmed: 7–14]

    # derived locations ---------------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.home / "teller.db"

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.db_path}"

    @property
    def upstream(self) -> str:
        return self.upstream_url or f"sqlite:///{self.home / 'headoffice.db'}"

    @property
    def ca_dir(self) -> Path:
        return self.home / "ca"

    @property
    def ca_database_url(self) -> str:
        return self.ca_db_url or f"sqlite:///{self.ca_dir / 'cmp.db'}"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def receipts_dir(self) -> Path:
        return self.home / "receipts"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def demo_media_dir(self) -> Path:
        return self.home / "demo-media"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"


_ENV_MAP: dict[str, str] = {
    "TELLER_DB_URL": "db_url",
    "TELLER_UPSTREAM_URL": "upstream_url",
    "TELLER_CA_DB_URL": "ca_db_url",
    "TELLER_ONLINE_REGISTRATION_DAYS": "online_registration_days",
    "TELLER_LANG": "language",
    "TELLER_BRANCH_ID": "branch_id",
    "TELLER_BRANCH_NAME": "branch_name",
    "TELLER_TERMINAL_ID": "terminal_id",
    "TELLER_KEY_ENCODING": "key_encoding",
    "TELLER_RENEWAL_BASE": "renewal_base",
    "TELLER_GATED_ACTIONS": "gated_actions",
    "TELLER_APPROVAL_TTL_MINUTES": "approval_ttl_minutes",
    "TELLER_IDLE_LOCK_MINUTES": "idle_lock_minutes",
    "TELLER_LOCKOUT_THRESHOLD": "lockout_threshold",
    "TELLER_MEDIA_FOLDERS": "media_folders",
    "TELLER_PRINTER": "printer",
    "TELLER_PRINTER_QUEUE": "printer_queue",
    "TELLER_RECEIPT_GEOMETRY": "receipt_geometry",
    "TELLER_RSA_BITS": "rsa_bits",
}


def _coerce(name: str, raw: Any, current: Any) -> Any:
    if name == "gated_actions":
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        return tuple(i.strip() for i in items if i.strip())
    if name == "media_folders":
        items = raw.split(os.pathsep) if isinstance(raw, str) else list(raw)
        return tuple(Path(i) for i in items if str(i))
    if name == "business_hours":
        return tuple(int(x) for x in raw)
    if isinstance(current, bool):
        return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    return raw


def _validate(s: Settings) -> Settings:
    if s.key_encoding not in ("seedCBCWithSHA1", "pbes2"):
        raise ValidationError(f"key_encoding 설정 값이 잘못되었습니다: {s.key_encoding}",
                              f"key_encoding must be seedCBCWithSHA1 or pbes2, not {s.key_encoding}")
    if s.renewal_base not in ("old_expiry", "renewal_day"):
        raise ValidationError(f"renewal_base 설정 값이 잘못되었습니다: {s.renewal_base}",
                              f"renewal_base must be old_expiry or renewal_day, not {s.renewal_base}")
    if s.language not in ("ko", "en"):
        raise ValidationError(f"language 설정 값이 잘못되었습니다: {s.language}", "language must be ko or en")
    if s.receipt_geometry not in ("roll80", "a4"):
        raise ValidationError("receipt_geometry 설정 값이 잘못되었습니다", "receipt_geometry must be roll80 or a4")
    _validate_service_url(s.ca.service_url)
    if s.cmp_generic_client not in ("refuse", "without_identify_data"):
        raise ValidationError("cmp_generic_client 설정 값이 잘못되었습니다",
                              "cmp_generic_client must be refuse or without_identify_data")
    if not 1 <= s.online_registration_days <= 14:  # a one-time secret must not live for months
        raise ValidationError("online_registration_days는 1~14일입니다", "online_registration_days must be 1 to 14")
    if s.cmp_confirm_timeout_s < 1:
        raise ValidationError("cmp_confirm_timeout_s는 1 이상입니다", "cmp_confirm_timeout_s must be at least 1")
    if len(s.bank_code) != 3 or not s.bank_code.isdigit():
        raise ValidationError("bank_code는 숫자 3자리입니다", "bank_code must be 3 digits")
    return s


def _validate_service_url(url: str) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.path not in ("", "/") or parts.query or url.endswith("/"):
        raise ValidationError(f"ca.service_url 설정 값이 잘못되었습니다 (예: http://127.0.0.1:8829): {url}",
                              f"ca.service_url must be http(s)://host[:port] without a path, not {url}")
    if any(host == d or host.endswith("." + d) for d in PRODUCTION_CA_DOMAINS):
        raise ValidationError(f"시험용 CA에 실제 yessign 주소를 쓸 수 없습니다: {url}",
                              f"a test CA must not point at yessign's production servers: {url}")


def load_settings(home: Path | str | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults ← <home>/settings.toml ← TELLER_* environment ← explicit overrides."""
    env = dict(os.environ) if env is None else env
    home_path = Path(home) if home is not None else (Path(env["TELLER_HOME"]) if env.get("TELLER_HOME") else default_home())
    settings = Settings(home=home_path.expanduser().resolve())
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    toml_path = settings.home / "settings.toml"
    if toml_path.is_file():
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValidationError(f"설정 파일을 읽을 수 없습니다: {toml_path} ({exc})",
                                  f"cannot read settings file {toml_path}: {exc}") from None
        for key, value in data.items():
            if key == "ca" and isinstance(value, dict):
                unknown = sorted(set(value) - {f.name for f in fields(CAIdentity)})
                if unknown:  # e.g. the crl_uri/ocsp_uri of older versions: now derived from service_url
                    raise ValidationError(f"[ca] 설정에 모르는 항목이 있습니다: {', '.join(unknown)}",
                                          f"unknown [ca] settings: {', '.join(unknown)}")
                values["ca"] = replace(settings.ca, **value)
            elif key in known and key != "home":
                values[key] = _coerce(key, value, getattr(settings, key))
    for var, name in _ENV_MAP.items():
        if env.get(var) not in (None, ""):
            values[name] = _coerce(name, env[var], getattr(settings, name))
    for key, value in overrides.items():
        values[key] = value
    return _validate(replace(settings, **values))
