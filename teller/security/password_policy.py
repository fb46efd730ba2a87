r"""The customer's certificate password rule (domain-rules §4, in force since 2014-09-22).

At least 10 characters with letters, digits AND special characters; case-sensitive; `'` `"` `₩` `|` and `\`
(₩ on Korean keyboards) not allowed. We also require printable ASCII only (no Hangul, no spaces): other client
software may encode Hangul differently and then never open the key — the safer choice where the sources are
silent; `ascii_only` is a separate rule so the checklist says exactly why.

The UI shows `ALL_RULES` as a live checklist (`rule.is_met(pw)`); messages never contain the password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from teller.errors import PasswordRuleError

MIN_LENGTH = 10
# ₩ U+20A9 and its full-width form ￦ U+FFE6 (Korean IMEs produce either), and the backslash it stands for.
FORBIDDEN = frozenset("'\"|\\\u20a9\uffe6")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ASCII_DIGITS = frozenset("0123456789")


def _is_special(c: str) -> bool:
    return "!" <= c <= "~" and c not in _ASCII_LETTERS and c not in _ASCII_DIGITS and c not in FORBIDDEN


@dataclass(frozen=True, slots=True)
class PasswordRule:
    code: str
    ko: str
    en: str
    _check: Callable[[str], bool] = field(repr=False, compare=False)

    def is_met(self, password: str) -> bool:
        return self._check(password)


ALL_RULES: tuple[PasswordRule, ...] = (
    PasswordRule("min_length", f"{MIN_LENGTH}자 이상", f"at least {MIN_LENGTH} characters",
                 lambda pw: len(pw) >= MIN_LENGTH),
    PasswordRule("letter", "영문자 포함", "contains a letter (A–Z, a–z)",
                 lambda pw: any(c in _ASCII_LETTERS for c in pw)),
    PasswordRule("digit", "숫자 포함", "contains a digit (0–9)",
                 lambda pw: any(c in _ASCII_DIGITS for c in pw)),
    PasswordRule("special", "특수문자 포함 (예: ! @ # $ %)", "contains a special character (e.g. ! @ # $ %)",
                 lambda pw: any(_is_special(c) for c in pw)),
    PasswordRule("no_forbidden", "' \" ₩ | \\ 문자 사용 불가", "no ' \" ₩ | \\ characters",
                 lambda pw: not any(c in FORBIDDEN for c in pw)),
    PasswordRule("ascii_only", "영문·숫자·특수문자만 사용 (한글·공백 불가)",
                 "only English letters, digits and special characters (no Hangul, no spaces)",
                 lambda pw: all("!" <= c <= "~" or c in FORBIDDEN for c in pw)),
)

RULES_BY_CODE: dict[str, PasswordRule] = {r.code: r for r in ALL_RULES}


def check_certificate_password(password: str) -> list[PasswordRule]:
    """The rules `password` does not meet, in display order (empty list = acceptable)."""
    return [r for r in ALL_RULES if not r.is_met(password)]


def validate_certificate_password(password: str, confirm: str | None = None) -> None:
    """Raise ValidationError naming every unmet rule, and a mismatch with `confirm` when given.

    The error (a `PasswordRuleError`) carries `.unmet` (rule codes, plus "confirm_mismatch") for the UI.
    """
    unmet = check_certificate_password(password)
    ko = [r.ko for r in unmet]
    en = [r.en for r in unmet]
    codes = [r.code for r in unmet]
    if confirm is not None and confirm != password:
        ko.append("비밀번호 확인 불일치")
        en.append("the confirmation does not match")
        codes.append("confirm_mismatch")
    if codes == ["confirm_mismatch"]:
        raise PasswordRuleError("비밀번호와 확인 입력이 일치하지 않습니다.",
                                "The password and its confirmation do not match.", unmet=codes)
    if codes:
        raise PasswordRuleError("인증서 비밀번호 규칙을 충족하지 않습니다: " + ", ".join(ko),
                                "The certificate password does not meet: " + "; ".join(en), unmet=codes)
