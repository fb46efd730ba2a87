"""여권 (passport): the passport number and the ICAO 9303 TD3 machine-readable zone (MRZ).

Korean passport numbers: `M` + 8 digits (old) or letter + 3 digits + letter + 4 digits (since 2021).
TD3 MRZ: two lines of 44 characters; check digits with weights 7,3,1 repeating, `<`=0, 0–9 as is, A=10 … Z=35,
over the document number, the birth date, the expiry date, and a composite of line 2 (ICAO 9303 part 4 §4.2.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from teller.errors import ErrorKind, ValidationError

_OLD_NUMBER = re.compile(r"M[0-9]{8}")
_NEW_NUMBER = re.compile(r"[A-Z][0-9]{3}[A-Z][0-9]{4}")
_MRZ_CHARS = re.compile(r"[A-Z0-9<]{44}")
_LEN = 44


def parse_passport_number(text: str) -> str:
    """Normalised (upper-case, no spaces) Korean passport number; ValidationError if neither shape."""
    if not isinstance(text, str):
        raise ValidationError("여권번호를 입력하십시오.", "Enter a passport number.")
    number = text.strip().upper()
    if _OLD_NUMBER.fullmatch(number) or _NEW_NUMBER.fullmatch(number):
        return number
    raise ValidationError(
        "여권번호는 'M12345678' 또는 'M123A4567' 형식이어야 합니다.",
        "A passport number looks like M12345678 (old) or M123A4567 (since 2021).",
    )


def mask_passport_number(number: str) -> str:
    """First letter and last two characters visible: "M1234567" → "M******67"."""
    return number[0] + "*" * (len(number) - 3) + number[-2:] if len(number) > 3 else "*" * len(number)


def _char_value(c: str) -> int:
    if c == "<":
        return 0
    if "0" <= c <= "9":
        return ord(c) - ord("0")
    if "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    raise ValidationError(f"MRZ에 허용되지 않는 문자가 있습니다: {c!r}", f"Character not allowed in an MRZ: {c!r}")


def mrz_check_digit(s: str) -> int:
    """ICAO 9303 check digit over `s` (characters A–Z, 0–9, <)."""
    weights = (7, 3, 1)
    return sum(_char_value(c) * weights[i % 3] for i, c in enumerate(s)) % 10


@dataclass(frozen=True, slots=True)
class Mrz:
    document_type: str  # "P" or "P" + subtype letter, fillers removed
    issuing_state: str  # ICAO 3-letter code, e.g. "KOR"
    surname: str
    given_names: str  # space-separated
    number: str  # document number, fillers removed
    nationality: str
    birth_date: date
    sex: str  # "M", "F" or "<" (unspecified)
    expiry_date: date
    personal_number: str  # fillers removed; may be empty

    @property
    def number_masked(self) -> str:
        return mask_passport_number(self.number)


# (field name ko, en) for error messages
_FIELDS = {
    "number": ("여권번호", "document number"),
    "birth_date": ("생년월일", "date of birth"),
    "expiry_date": ("만료일", "date of expiry"),
    "personal_number": ("개인번호", "personal number"),
    "composite": ("종합 검증", "composite"),
}


def _bad_check(field: str) -> ValidationError:
    ko, en = _FIELDS[field]
    return ValidationError(
        f"MRZ의 {ko} 검증번호가 맞지 않습니다. 여권을 다시 읽혀 주십시오.",
        f"The MRZ check digit for the {en} does not match. Read the passport again.",
        kind=ErrorKind.MRZ_CHECK_DIGIT,
    )


def _yymmdd(s: str, *, field: str, pivot_today: date | None, future: bool) -> date:
    """YYMMDD to a date. Birth dates are in the past (a year after today's YY means 19YY); expiry dates are at
    most ~10 years ahead, so they map into 2000–2099."""
    ko, en = _FIELDS[field]
    if not s.isdigit() or not s.isascii():
        raise ValidationError(f"MRZ의 {ko}이(가) 숫자가 아닙니다.", f"The MRZ {en} is not numeric.")
    yy, mm, dd = int(s[0:2]), int(s[2:4]), int(s[4:6])
    today = pivot_today or date.today()
    if future:
        year = 2000 + yy
    else:
        year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        return date(year, mm, dd)
    except ValueError:
        raise ValidationError(f"MRZ의 {ko}이(가) 올바른 날짜가 아닙니다.", f"The MRZ {en} is not a real date.") from None


def _strip_fillers(s: str) -> str:
    return s.replace("<", " ").strip()


def _clean_line(line: str, which: int) -> str:
    if not isinstance(line, str):
        raise ValidationError("MRZ를 입력하십시오.", "Enter the MRZ.")
    line = line.strip().upper()
    if len(line) != _LEN or _MRZ_CHARS.fullmatch(line) is None:
        raise ValidationError(
            f"MRZ {which}번째 줄은 A–Z, 0–9, < 로 된 44자여야 합니다 (현재 {len(line)}자).",
            f"MRZ line {which} must be 44 characters of A–Z, 0–9 and < (got {len(line)}).",
        )
    return line


def parse_mrz(line1: str, line2: str, *, today: date | None = None) -> Mrz:
    """Parse and check a TD3 (passport) MRZ. Any failing check digit → ValidationError naming the field.

    `today` only decides the century of a 2-digit birth year (default: the system date).
    """
    l1, l2 = _clean_line(line1, 1), _clean_line(line2, 2)
    if l1[0] != "P":
        raise ValidationError("여권의 MRZ가 아닙니다 (첫 글자가 'P'여야 합니다).",
                              "Not a passport MRZ (line 1 must start with 'P').")
    names = l1[5:]
    surname_part, sep, given_part = names.partition("<<")
    surname = _strip_fillers(surname_part)
    given = " ".join(p for p in given_part.split("<") if p) if sep else ""
    if not surname:
        raise ValidationError("MRZ에 성(surname)이 없습니다.", "The MRZ has no surname.")

    number_f, number_cd = l2[0:9], l2[9]
    birth_f, birth_cd = l2[13:19], l2[19]
    expiry_f, expiry_cd = l2[21:27], l2[27]
    personal_f, personal_cd = l2[28:42], l2[42]
    composite_cd = l2[43]

    def check(field: str, value: str, digit: str) -> None:
        # An all-filler personal number may carry '<' as its check digit (ICAO 9303-4 §4.2.2, note).
        if field == "personal_number" and digit == "<" and set(value) == {"<"}:
            return
        if not digit.isdigit() or mrz_check_digit(value) != int(digit):
            raise _bad_check(field)

    check("number", number_f, number_cd)
    check("birth_date", birth_f, birth_cd)
    check("expiry_date", expiry_f, expiry_cd)
    check("personal_number", personal_f, personal_cd)
    check("composite", l2[0:10] + l2[13:20] + l2[21:43], composite_cd)

    sex = l2[20]
    if sex not in "MF<":
        raise ValidationError("MRZ의 성별 표시가 올바르지 않습니다.", "The MRZ sex field is not M, F or <.")
    return Mrz(
        document_type=_strip_fillers(l1[0:2]),
        issuing_state=_strip_fillers(l1[2:5]),
        surname=surname,
        given_names=given,
        number=_strip_fillers(number_f),
        nationality=_strip_fillers(l2[10:13]),
        birth_date=_yymmdd(birth_f, field="birth_date", pivot_today=today, future=False),
        sex=sex,
        expiry_date=_yymmdd(expiry_f, field="expiry_date", pivot_today=today, future=True),
        personal_number=_strip_fillers(personal_f),
    )


def _field(value: str, width: int) -> str:
    value = value.upper().replace(" ", "<")
    if len(value) > width or not re.fullmatch(r"[A-Z0-9<]*", value):
        raise ValidationError("MRZ 필드가 너무 길거나 허용되지 않는 문자가 있습니다.",
                              "An MRZ field is too long or has characters that are not allowed.")
    return value.ljust(width, "<")


def build_td3_mrz(
    *, surname: str, given_names: str, number: str, birth_date: date, expiry_date: date, sex: str = "<",
    issuing_state: str = "KOR", nationality: str = "KOR", personal_number: str = "", document_type: str = "P",
) -> tuple[str, str]:
    """Build a valid TD3 MRZ (for tests and demo data). Names: spaces between given names become '<'."""
    joined = surname.upper().replace(" ", "<")
    if given_names:
        joined += "<<" + given_names.upper().replace(" ", "<")
    name_field = _field(joined[:39], 39)  # ICAO truncates long names
    line1 = _field(document_type, 2) + _field(issuing_state, 3) + name_field
    num = _field(number, 9)
    birth = birth_date.strftime("%y%m%d")
    expiry = expiry_date.strftime("%y%m%d")
    pers = _field(personal_number, 14)
    if sex not in ("M", "F", "<"):
        raise ValidationError("성별은 M, F, < 중 하나여야 합니다.", "Sex must be M, F or <.")
    body = (num + str(mrz_check_digit(num)) + _field(nationality, 3) + birth + str(mrz_check_digit(birth)) + sex
            + expiry + str(mrz_check_digit(expiry)) + pers + str(mrz_check_digit(pers)))
    composite = body[0:10] + body[13:20] + body[21:43]
    line2 = body + str(mrz_check_digit(composite))
    return line1, line2
