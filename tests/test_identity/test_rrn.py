"""RRN parsing: hand-checked check digits, century rules, calendar rules, masking, and no digits in repr."""

from __future__ import annotations

from datetime import date

import pytest

from teller.errors import ValidationError
from teller.identity.rrn import mask_rrn, parse_rrn, rrn_check_digit

# Hand computation, weights 2,3,4,5,6,7,8,9,2,3,4,5:
# 900101123456: 18+0+0+5+0+7+8+18+6+12+20+30 = 124; 124 mod 11 = 3; (11-3) mod 10 = 8
# 880101523456: 16+24+0+5+0+7+40+18+6+12+20+30 = 178; 178 mod 11 = 2; (11-2) mod 10 = 9
# 900101123451: 18+0+0+5+0+7+8+18+6+12+20+5 = 99; 99 mod 11 = 0; (11-0) mod 10 = 1
# 900101123410: 18+0+0+5+0+7+8+18+6+12+4+0 = 78; 78 mod 11 = 1; (11-1) mod 10 = 0
HAND_VECTORS = [("900101123456", 8), ("880101523456", 9), ("900101123451", 1), ("900101123410", 0)]


@pytest.mark.parametrize(("first12", "expected"), HAND_VECTORS)
def test_check_digit_hand_vectors(first12: str, expected: int) -> None:
    assert rrn_check_digit(first12) == expected


@pytest.mark.parametrize(("first12", "expected"), HAND_VECTORS)
def test_valid_check_digit_is_confirmed(first12: str, expected: int) -> None:
    assert parse_rrn(first12 + str(expected)).checksum_ok is True


def test_checksum_failure_is_not_an_error() -> None:
    r = parse_rrn("900101-1234567")  # correct would be 8: a post-2020 style random number
    assert r.checksum_ok is False
    assert r.birth_date == date(1990, 1, 1)


@pytest.mark.parametrize(
    ("text", "born", "century", "foreigner", "male"),
    [
        ("900101-1234568", date(1990, 1, 1), 1900, False, True),
        ("900101-2234565", date(1990, 1, 1), 1900, False, False),
        ("050101-3234560", date(2005, 1, 1), 2000, False, True),
        ("050101-4234567", date(2005, 1, 1), 2000, False, False),
        ("880101-5234569", date(1988, 1, 1), 1900, True, True),
        ("880101-6234566", date(1988, 1, 1), 1900, True, False),
        ("100101-7234561", date(2010, 1, 1), 2000, True, True),
        ("100101-8234568", date(2010, 1, 1), 2000, True, False),
        ("990101-9234560", date(1899, 1, 1), 1800, False, True),
        ("990101-0234567", date(1899, 1, 1), 1800, False, False),
    ],
)
def test_gender_digit_gives_century_and_foreigner(text: str, born: date, century: int, foreigner: bool,
                                                   male: bool) -> None:
    r = parse_rrn(text)
    assert (r.birth_date, r.century, r.is_foreigner, r.is_male) == (born, century, foreigner, male)
    assert r.gender_digit == int(text[7])


@pytest.mark.parametrize("text", ["9001011234568", "  900101-1234568 ", "\t900101-1234568\n"])
def test_accepted_shapes(text: str) -> None:
    assert parse_rrn(text).digits == "9001011234568"


@pytest.mark.parametrize(
    "text",
    ["", "900101-123456", "900101-12345689", "90010-11234568", "900101--1234568", "900101 1234568",
     "9001O1-1234568", "900101-123456X", "٩٠٠١٠١-١٢٣٤٥٦٨", "900101-1234568-", "０００１０１-１２３４５６８"],
)
def test_wrong_shape_rejected(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_rrn(text)


@pytest.mark.parametrize(
    "text",
    [
        "901301-1234560",  # month 13
        "900001-1234560",  # month 0
        "900100-1234560",  # day 0
        "900431-1234560",  # April has 30 days
        "000229-1234560",  # 1900-02-29: 1900 is not a leap year
        "960230-1234560",  # Feb 30
        "970229-2234560",  # 1997 not a leap year
    ],
)
def test_impossible_dates_rejected(text: str) -> None:
    with pytest.raises(ValidationError) as e:
        parse_rrn(text)
    assert "생년월일" in e.value.message


@pytest.mark.parametrize("text", ["000229-3234560", "960229-1234560", "040229-4234560"])
def test_leap_days_accepted(text: str) -> None:
    # 2000 is a leap year (divisible by 400), 1996 and 2004 too
    assert parse_rrn(text).birth_date.day == 29


def test_future_birth_date_rejected() -> None:
    # 2030-01-01 (G=3: born 2000s) is in the future on 2026-11-25, fine on 2031-01-01
    with pytest.raises(ValidationError) as e:
        parse_rrn("300101-3234560", today=date(2026, 11, 25))
    assert "미래" in e.value.message
    assert parse_rrn("300101-3234560", today=date(2031, 1, 1)).birth_date == date(2030, 1, 1)
    assert parse_rrn("261125-3234560", today=date(2026, 11, 25)).birth_date == date(2026, 11, 25)


def test_masked_and_str_hide_the_number() -> None:
    r = parse_rrn("900101-1234568")
    assert r.masked == "900101-1******"
    assert mask_rrn(" 9001011234568 ") == "900101-1******"
    for shown in (repr(r), str(r), f"{r}", repr([r]), repr({"k": r})):
        assert "234568" not in shown
        assert "1234568" not in shown


def test_errors_do_not_echo_the_input() -> None:
    with pytest.raises(ValidationError) as e:
        parse_rrn("901301-1234567")
    assert "1234567" not in e.value.message and "1234567" not in e.value.message_en


def test_non_string_is_validation_error() -> None:
    with pytest.raises(ValidationError):
        parse_rrn(None)  # type: ignore[arg-type]
