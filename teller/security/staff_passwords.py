"""Staff (teller / manager) passwords: scrypt hashes in a self-describing string, and the staff password rule.

Stored form: "scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>", so parameters can be raised later and old hashes still
verify. n=2**15, r=8, p=1 (32 MiB): measured on the 2-core build machine (2026-11-25) at ~78 ms per verify
(min of 3; 30 ms for n=2**14) — slow for an offline guesser, unnoticeable at sign-in.
"""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from teller.errors import ValidationError

N, R, P = 2**15, 8, 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 8
# Upper bounds when verifying a stored string: a tampered row must not make sign-in allocate gigabytes.
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16
_MAX_MEMORY = 256 * 1024 * 1024  # scrypt needs 128·n·r bytes


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(password.encode("utf-8"))


def hash_password(password: str) -> str:
    """A new salted scrypt hash string for `password`."""
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, N, R, P, HASH_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`; False for a mismatch or a malformed stored string."""
    try:
        scheme, n_s, r_s, p_s, salt_s, hash_s = stored.split("$")
        n, r, p = int(n_s), int(r_s), int(p_s)
        salt = base64.b64decode(salt_s, validate=True)
        expected = base64.b64decode(hash_s, validate=True)
    except (ValueError, AttributeError):
        return False
    if (scheme != "scrypt" or not (1 < n <= _MAX_N) or n & (n - 1) or not (0 < r <= _MAX_R)
            or not (0 < p <= _MAX_P) or 128 * n * r > _MAX_MEMORY or not salt or not (16 <= len(expected) <= 64)):
        return False
    try:
        actual = _scrypt(password, salt, n, r, p, len(expected))
    except (ValueError, UnsupportedAlgorithm, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """True when `stored` uses other parameters than the current ones (rehash after a successful sign-in)."""
    return not stored.startswith(f"scrypt${N}${R}${P}$")


def check_staff_password(password: str) -> None:
    """The staff password rule: at least 8 characters, with letters and digits. Raises ValidationError."""
    problems_ko: list[str] = []
    problems_en: list[str] = []
    if len(password) < MIN_LENGTH:
        problems_ko.append(f"{MIN_LENGTH}자 이상")
        problems_en.append(f"at least {MIN_LENGTH} characters")
    if not any(c.isalpha() for c in password):
        problems_ko.append("영문자 포함")
        problems_en.append("a letter")
    if not any(c.isdigit() for c in password):
        problems_ko.append("숫자 포함")
        problems_en.append("a digit")
    if any(not c.isprintable() for c in password):
        problems_ko.append("제어 문자 없음")
        problems_en.append("no control characters")
    if problems_ko:
        raise ValidationError(
            "직원 비밀번호 규칙을 충족하지 않습니다: " + ", ".join(problems_ko),
            "The staff password needs: " + ", ".join(problems_en),
        )
