"""Staff password hashing (scrypt, self-describing) and the staff password rule."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from teller.errors import ValidationError
from teller.security.staff_passwords import check_staff_password, hash_password, needs_rehash, verify_password


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password("teller2026")


def test_format_is_self_describing_and_recomputable(stored: str) -> None:
    scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**15), "8", "1")
    salt = base64.b64decode(salt_b64)
    assert len(salt) == 16
    # recompute independently from the parts
    expected = Scrypt(salt=salt, length=len(base64.b64decode(hash_b64)), n=2**15, r=8, p=1).derive(b"teller2026")
    assert base64.b64decode(hash_b64) == expected
    assert "teller2026" not in stored


def test_verify(stored: str) -> None:
    assert verify_password("teller2026", stored)
    assert not verify_password("teller2027", stored)
    assert not verify_password("Teller2026", stored)
    assert not verify_password("", stored)


def test_salts_differ() -> None:
    assert hash_password("same-pass1") != hash_password("same-pass1")


def test_unicode_password_round_trips() -> None:
    assert verify_password("비밀번호abc123", hash_password("비밀번호abc123"))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: "",
        lambda s: "not a hash",
        lambda s: s.replace("scrypt", "bcrypt", 1),
        lambda s: s.rsplit("$", 1)[0],
        lambda s: s + "$extra",
        lambda s: s.replace(f"${2**15}$", "$1000$", 1),  # n not a power of two
        lambda s: s.replace(f"${2**15}$", f"${2**30}$", 1),  # absurd memory: refused, not attempted
        lambda s: s.replace("$8$", "$64$", 1),
        lambda s: s[:-6] + "!!!!==",  # bad base64
        lambda s: s.replace(s.split("$")[4], base64.b64encode(b"x" * 16).decode(), 1),  # other salt
    ],
)
def test_malformed_or_tampered_stored_value_is_false(stored: str, mangle) -> None:  # type: ignore[no-untyped-def]
    assert verify_password("teller2026", mangle(stored)) is False


def test_needs_rehash(stored: str) -> None:
    assert not needs_rehash(stored)
    assert needs_rehash(stored.replace(f"${2**15}$", f"${2**14}$", 1))


@pytest.mark.parametrize("pw", ["abcd1234", "Teller2026", "매니저pass1", "a1b2c3d4 e5"])
def test_policy_accepts(pw: str) -> None:
    check_staff_password(pw)


@pytest.mark.parametrize(
    ("pw", "fragments"),
    [("abc123", ["8자"]), ("abcdefghij", ["숫자"]), ("1234567890", ["영문자"]), ("", ["8자", "영문자", "숫자"]),
     ("abcd1234\x07", ["제어"])],
)
def test_policy_refuses_naming_each_problem(pw: str, fragments: list[str]) -> None:
    with pytest.raises(ValidationError) as e:
        check_staff_password(pw)
    for f in fragments:
        assert f in e.value.message
    if pw:
        assert pw not in e.value.message and pw not in e.value.message_en
