"""주민등록번호 / 외국인등록번호 (RRN): parse, check and mask.

Shape `YYMMDD-GNNNNNC`. G gives the century and whether the holder is a foreigner (domain-rules §2). The check
digit C = (11 - Σ d_i·w_i mod 11) mod 10 with weights 2..9,2..5. Numbers issued since October 2020 have random
trailing digits, so a checksum failure is NOT a rejection: `checksum_ok=False` means "cannot be confirmed
offline, rely on the authenticity check".

The digits never appear in `repr`/`str` of an `Rrn`, so a stray log line or traceback shows only the masked form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from teller.errors import ValidationError

_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)

# G digit -> (century start, is_foreigner)
_CENTURY: dict[int, tuple[int, bool]] = {
    9: (1800, False), 0: (1800, False),
    1: (1900, False), 2: (1900, False),
    3: (2000, False), 4: (2000, False),
    5: (1900, True), 6: (1900, True),
    7: (2000, True), 8: (2000, True),
}

# ASCII digits only: str.isdigit() would also accept "١" or "²", which int() reads or rejects unpredictably.
_SHAPE = re.compile(r"([0-9]{6})-?([0-9]{7})")


def rrn_check_digit(first12: str) -> int:
    """The check digit over the first 12 ASCII digits (for tests and demo data)."""
    if len(first12) != 12 or not all("0" <= c <= "9" for c in first12):
        raise ValidationError("주민등록번호 앞 12자리는 숫자 12개여야 합니다.",
                              "The first part of a resident number must be 12 digits.")
    total = sum(int(c) * w for c, w in zip(first12, _WEIGHTS))
    return (11 - total % 11) % 10


@dataclass(frozen=True, slots=True, repr=False)
class Rrn:
    digits: str = field(compare=True)  # 13 ASCII digits, no hyphen: keep in memory only
    birth_date: date
    gender_digit: int
    century: int  # 1800, 1900 or 2000
    is_foreigner: bool
    checksum_ok: bool

    @property
    def masked(self) -> str:
        """"YYMMDD-G******": what screens, receipts, logs and exports show."""
        return f"{self.digits[:6]}-{self.digits[6]}******"

    @property
    def formatted(self) -> str:
        """Full "YYMMDD-GNNNNNC" (only for an explicitly logged reveal)."""
        return f"{self.digits[:6]}-{self.digits[6:]}"

    @property
    def is_male(self) -> bool:
        return self.gender_digit % 2 == 1

    def __repr__(self) -> str:
        return f"Rrn({self.masked}, checksum_ok={self.checksum_ok}, foreigner={self.is_foreigner})"

    def __str__(self) -> str:
        return self.masked


def parse_rrn(text: str, *, today: date | None = None) -> Rrn:
    """Parse "YYMMDD-GNNNNNC" or 13 digits (surrounding spaces allowed). Only ValidationError escapes.

    A birth date after `today` (default: the system date) is refused: nobody at the counter is born yet.
    """
    if not isinstance(text, str):
        raise ValidationError("주민등록번호를 입력하십시오.", "Enter a resident registration number.")
    m = _SHAPE.fullmatch(text.strip())
    if m is None:
        raise ValidationError(
            "주민등록번호는 'YYMMDD-GNNNNNN' 형식의 숫자 13자리여야 합니다.",
            "A resident registration number is 13 digits: YYMMDD-GNNNNNN.",
        )
    digits = m.group(1) + m.group(2)
    g = int(digits[6])
    century, foreigner = _CENTURY[g]
    year = century + int(digits[0:2])
    month, day = int(digits[2:4]), int(digits[4:6])
    try:
        born = date(year, month, day)  # the calendar rules, incl. Feb 29 (1900 no, 2000 yes)
    except ValueError:
        raise ValidationError(
            "주민등록번호의 생년월일이 올바른 날짜가 아닙니다.",
            "The birth date in the resident registration number is not a real date.",
        ) from None
    if born > (today or date.today()):
        raise ValidationError(
            "주민등록번호의 생년월일이 미래 날짜입니다.",
            "The birth date in the resident registration number is in the future.",
        )
    checksum_ok = rrn_check_digit(digits[:12]) == int(digits[12])
    return Rrn(digits=digits, birth_date=born, gender_digit=g, century=century, is_foreigner=foreigner,
               checksum_ok=checksum_ok)


# A 13-digit run (hyphen optional) not glued to other digits: a candidate, confirmed by `_is_structured_rrn`.
_CANDIDATE = re.compile(r"(?<![0-9])([0-9]{6})-?([0-9]{7})(?![0-9])")


def _is_structured_rrn(digits: str, today: date) -> bool:
    """A real birth date (not in the future), a gender digit 1-8 and a correct check digit: what a leaked number
    looks like. A random digit run passes all three about once in 1,300; a hex id's runs are not scanned at all."""
    g = int(digits[6])
    if not 1 <= g <= 8:
        return False
    century, _ = _CENTURY[g]
    try:
        born = date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return False
    return born <= today and rrn_check_digit(digits[:12]) == int(digits[12])


def find_rrn(text: str, *, today: date | None = None) -> bool:
    """Whether free text holds a full resident number, judged by its structure (not by any run of digits)."""
    day = today or date.today()
    return any(_is_structured_rrn(m.group(1) + m.group(2), day) for m in _CANDIDATE.finditer(text))


def mask_rrn(text: str) -> str:
    """The masked form of a (valid-shaped) RRN; raises ValidationError for anything else."""
    return parse_rrn(text).masked
