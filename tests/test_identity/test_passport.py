"""Passport numbers and the ICAO 9303 TD3 MRZ: the ICAO specimen, hand-checked digits, failing fields named."""

from __future__ import annotations

from datetime import date

import pytest

from teller.errors import ValidationError
from teller.identity.passport import build_td3_mrz, mrz_check_digit, parse_mrz, parse_passport_number

# ICAO Doc 9303 part 4 specimen (Anna Maria Eriksson, Utopia): published, independently checked values.
SPECIMEN_1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
SPECIMEN_2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        # 7,4,0,8,1,2 × 7,3,1,7,3,1 = 49+12+0+56+3+2 = 122 → 2
        ("740812", 2),
        # 5,2,0,7,2,7 × 7,3,1,7,3,1 = 35+6+0+49+6+7 = 103 → 3
        ("520727", 3),
        # L=21,8,9,8,9,0,2,C=12,3 × 7,3,1,... = 147+24+9+56+27+0+14+36+3 = 316 → 6
        ("L898902C3", 6),
        # all fillers → 0
        ("<<<<<<<<<", 0),
        # A=10,B=11,< = 0: 70+33+0 = 103 → 3
        ("AB<", 3),
    ],
)
def test_check_digit_hand_vectors(field: str, expected: int) -> None:
    assert mrz_check_digit(field) == expected


def test_icao_specimen() -> None:
    m = parse_mrz(SPECIMEN_1, SPECIMEN_2)
    assert m.document_type == "P"
    assert m.issuing_state == "UTO"
    assert (m.surname, m.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert m.number == "L898902C3"
    assert m.nationality == "UTO"
    assert m.birth_date == date(1974, 8, 12)
    assert m.sex == "F"
    assert m.expiry_date == date(2012, 4, 15)
    assert m.personal_number == "ZE184226B"


def _replace(line: str, index: int, char: str) -> str:
    return line[:index] + char + line[index + 1:]


@pytest.mark.parametrize(
    ("index", "char", "ko", "en"),
    [
        (9, "7", "여권번호", "document number"),  # number check digit 6 → 7
        (19, "3", "생년월일", "date of birth"),  # birth check 2 → 3
        (27, "8", "만료일", "date of expiry"),  # expiry check 9 → 8
        (42, "2", "개인번호", "personal number"),  # personal check 1 → 2
        (43, "1", "종합", "composite"),  # composite 0 → 1
        (0, "K", "여권번호", "document number"),  # data changed, its check digit left
        (14, "5", "생년월일", "date of birth"),
    ],
)
def test_each_failing_check_digit_is_named(index: int, char: str, ko: str, en: str) -> None:
    with pytest.raises(ValidationError) as e:
        parse_mrz(SPECIMEN_1, _replace(SPECIMEN_2, index, char))
    assert ko in e.value.message
    assert en in e.value.message_en


@pytest.mark.parametrize(
    ("l1", "l2"),
    [
        (SPECIMEN_1[:-1], SPECIMEN_2),  # 43 chars
        (SPECIMEN_1, SPECIMEN_2 + "<"),  # 45 chars
        (SPECIMEN_1.replace("ANNA", "ANNä"), SPECIMEN_2),
        ("I" + SPECIMEN_1[1:], SPECIMEN_2),  # not a passport
        (SPECIMEN_1, _replace(SPECIMEN_2, 20, "X")),  # sex
    ],
)
def test_malformed_mrz(l1: str, l2: str) -> None:
    with pytest.raises(ValidationError):
        parse_mrz(l1, l2)


def test_lower_case_and_spaces_around_are_tolerated() -> None:
    assert parse_mrz(f"  {SPECIMEN_1.lower()} ", f"{SPECIMEN_2}\n").surname == "ERIKSSON"


def test_built_mrz_parses_back() -> None:
    l1, l2 = build_td3_mrz(surname="HONG", given_names="GIL DONG", number="M123A4567", birth_date=date(1990, 1, 1),
                           expiry_date=date(2031, 12, 31), sex="M")
    assert len(l1) == len(l2) == 44
    assert l1 == "P<KORHONG<<GIL<DONG<<<<<<<<<<<<<<<<<<<<<<<<<"
    m = parse_mrz(l1, l2)
    assert (m.number, m.birth_date, m.expiry_date, m.given_names) == (
        "M123A4567", date(1990, 1, 1), date(2031, 12, 31), "GIL DONG")


def test_birth_century_uses_today() -> None:
    l1, l2 = build_td3_mrz(surname="KIM", given_names="", number="M12345678", birth_date=date(2020, 5, 5),
                           expiry_date=date(2030, 5, 5))
    assert parse_mrz(l1, l2, today=date(2026, 11, 25)).birth_date == date(2020, 5, 5)
    assert parse_mrz(l1, l2, today=date(2019, 1, 1)).birth_date == date(1920, 5, 5)


@pytest.mark.parametrize("text", ["M12345678", "m12345678", " M123A4567 ", "S001B0002"])
def test_passport_numbers(text: str) -> None:
    assert parse_passport_number(text) == text.strip().upper()


@pytest.mark.parametrize("text", ["", "M1234567", "M123456789", "X12345678", "M123AB567", "1234A5678", "M12-345678"])
def test_bad_passport_numbers(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_passport_number(text)
