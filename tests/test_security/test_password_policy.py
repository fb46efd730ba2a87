"""The customer's certificate password rule: each rule on its own, order, messages, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teller.errors import PasswordRuleError, ValidationError
from teller.security.password_policy import ALL_RULES, check_certificate_password, validate_certificate_password

relaxed = settings(deadline=None)  # shared 2-core machine: no per-example deadline


def _codes(pw: str) -> list[str]:
    return [r.code for r in check_certificate_password(pw)]


def test_display_order_and_texts() -> None:
    assert [r.code for r in ALL_RULES] == ["min_length", "letter", "digit", "special", "no_forbidden", "ascii_only"]
    for r in ALL_RULES:
        assert r.ko and r.en


@pytest.mark.parametrize(
    ("pw", "unmet"),
    [
        ("Abcdef123!", []),
        ("abcdefg1#x", []),  # case does not matter for the rule
        ("A1!a1!a1!a", []),  # exactly 10
        ("A1!a1!a1!", ["min_length"]),  # 9
        ("1234567890!", ["letter"]),
        ("Abcdefghij!", ["digit"]),
        ("Abcdefghij1", ["special"]),
        ("Abcdef123!'", ["no_forbidden"]),
        ('Abcdef123!"', ["no_forbidden"]),
        ("Abcdef123!|", ["no_forbidden"]),
        ("Abcdef123!\\", ["no_forbidden"]),
        ("Abcdef123!₩", ["no_forbidden"]),
        ("Abcdef123|₩", ["special", "no_forbidden"]),  # forbidden characters do not count as special
        ("Abcdef 123!", ["ascii_only"]),
        ("한글비밀번호12!!", ["letter", "ascii_only"]),
        ("", ["min_length", "letter", "digit", "special"]),
    ],
)
def test_unmet_rules(pw: str, unmet: list[str]) -> None:
    assert _codes(pw) == unmet


def test_validate_names_every_unmet_rule_and_not_the_password() -> None:
    pw = "abc|"
    with pytest.raises(PasswordRuleError) as e:
        validate_certificate_password(pw, "abc|")
    for rule in ALL_RULES:
        if rule.code in ("min_length", "digit", "special", "no_forbidden"):
            assert rule.ko in e.value.message and rule.en in e.value.message_en
    assert e.value.unmet == ["min_length", "digit", "special", "no_forbidden"]
    assert pw not in e.value.message


def test_confirmation_mismatch() -> None:
    validate_certificate_password("Abcdef123!", "Abcdef123!")
    validate_certificate_password("Abcdef123!")
    with pytest.raises(PasswordRuleError) as e:
        validate_certificate_password("Abcdef123!", "abcdef123!")
    assert e.value.unmet == ["confirm_mismatch"]
    assert "일치하지" in e.value.message
    with pytest.raises(PasswordRuleError) as e2:
        validate_certificate_password("short", "other")
    assert e2.value.unmet[-1] == "confirm_mismatch"


@relaxed
@given(st.text(max_size=30))
def test_checklist_agrees_with_validator(pw: str) -> None:
    unmet = check_certificate_password(pw)
    assert unmet == [r for r in ALL_RULES if not r.is_met(pw)]
    try:
        validate_certificate_password(pw, pw)
    except ValidationError as e:
        assert unmet
        # the message names the unmet rules and nothing of the password ("cert" is in the text by itself)
        assert e.message == "인증서 비밀번호 규칙을 충족하지 않습니다: " + ", ".join(r.ko for r in unmet)
        assert e.message_en == "The certificate password does not meet: " + "; ".join(r.en for r in unmet)
    else:
        assert not unmet
        assert len(pw) >= 10
        assert not set(pw) & set("'\"|\\₩")
