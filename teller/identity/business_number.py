"""사업자등록번호 (business registration number): parse and check the 10 digits `NNN-NN-NNNNC`.

Check digit (국세청 rule): weights 1,3,7,1,3,7,1,3,5 over the first nine digits, plus the tens carry of the
ninth digit × 5; C = (10 − sum mod 10) mod 10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from teller.errors import ErrorKind, ValidationError

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
_SHAPE = re.compile(r"([0-9]{3})-?([0-9]{2})-?([0-9]{5})")


def business_number_check_digit(first9: str) -> int:
    """The check digit over the first nine ASCII digits (for tests and demo data)."""
    if len(first9) != 9 or not all("0" <= c <= "9" for c in first9):
        raise ValidationError("사업자등록번호 앞 9자리는 숫자 9개여야 합니다.",
                              "The first part of a business registration number must be 9 digits.")
    total = sum(int(c) * w for c, w in zip(first9, _WEIGHTS)) + int(first9[8]) * 5 // 10
    return (10 - total % 10) % 10


@dataclass(frozen=True, slots=True)
class BusinessNumber:
    digits: str  # 10 ASCII digits, no hyphen (public: printed on every tax invoice)

    @property
    def formatted(self) -> str:
        return f"{self.digits[:3]}-{self.digits[3:5]}-{self.digits[5:]}"


def parse_business_number(text: str) -> BusinessNumber:
    """"NNN-NN-NNNNN" or 10 digits; a wrong shape or check digit → ValidationError (distinct codes)."""
    m = _SHAPE.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise ValidationError("사업자등록번호는 'NNN-NN-NNNNN' 형식의 숫자 10자리입니다.",
                              "A business registration number is 10 digits: NNN-NN-NNNNN.",
                              kind=ErrorKind.BUSINESS_NUMBER_SHAPE)
    digits = "".join(m.groups())
    if business_number_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError("사업자등록번호의 검증번호가 맞지 않습니다. 사업자등록증의 번호를 다시 확인하십시오.",
                              "The business registration number's check digit is wrong: check the certificate "
                              "of business registration again.", kind=ErrorKind.BUSINESS_NUMBER_CHECK_DIGIT)
    return BusinessNumber(digits)
