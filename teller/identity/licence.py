"""운전면허번호 (driver's licence number): `RR-YY-NNNNNN-CC`.

RR is the region code 11–28; older cards print the region name instead (서울, 부산, …), mapped here to its
code. YY is the year of issue, NNNNNN a serial, CC two check digits.

The check-digit algorithm is not published and we found no reliable source, so it is NOT verified here: only the
shape and the region are. A licence's real validity comes from the authenticity check (진위확인).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from teller.errors import ValidationError

# Old region names printed on cards issued before the numeric codes (police agency table, as widely
# reproduced; 27 has no region name in the sources we found, the code range 11–28 is still accepted).
REGION_CODES: dict[str, int] = {
    "서울": 11, "부산": 12, "경기": 13, "강원": 14, "충북": 15, "충남": 16, "전북": 17, "전남": 18,
    "경북": 19, "경남": 20, "제주": 21, "대구": 22, "인천": 23, "광주": 24, "대전": 25, "울산": 26,
    "경기북부": 28,
}
REGION_RANGE = range(11, 29)

_SHAPE = re.compile(
    r"(?P<region>[0-9]{2}|[가-힣]{2,4})[- ]?(?P<year>[0-9]{2})[- ]?(?P<serial>[0-9]{6})[- ]?(?P<check>[0-9]{2})"
)


@dataclass(frozen=True, slots=True)
class DriverLicence:
    region_code: int
    year: int  # two-digit year of issue as printed (00–99)
    serial: str  # 6 digits
    check: str  # 2 digits, not verified (algorithm unconfirmed)

    @property
    def number(self) -> str:
        """Canonical "RR-YY-NNNNNN-CC" with the numeric region code."""
        return f"{self.region_code:02d}-{self.year:02d}-{self.serial}-{self.check}"

    @property
    def digits(self) -> str:
        return f"{self.region_code:02d}{self.year:02d}{self.serial}{self.check}"

    @property
    def masked(self) -> str:
        """Region and year shown, serial and check digits hidden: "11-20-******-**"."""
        return f"{self.region_code:02d}-{self.year:02d}-******-**"


def parse_driver_license(text: str) -> DriverLicence:
    """Parse "11-20-123456-78", "112012345678" or "서울-20-123456-78" (spaces around allowed)."""
    if not isinstance(text, str):
        raise ValidationError("운전면허번호를 입력하십시오.", "Enter a driver's licence number.")
    m = _SHAPE.fullmatch(text.strip())
    if m is None:
        raise ValidationError(
            "운전면허번호는 '지역-연도-일련번호-검증번호' (예: 11-20-123456-78) 형식이어야 합니다.",
            "A driver's licence number looks like RR-YY-NNNNNN-CC (e.g. 11-20-123456-78).",
        )
    region = m.group("region")
    if region.isascii():
        code = int(region)
        if code not in REGION_RANGE:
            raise ValidationError(
                f"운전면허번호의 지역번호 {region}는 올바르지 않습니다 (11–28).",
                f"Licence region code {region} is not valid (11–28).",
            )
    else:
        if region not in REGION_CODES:
            raise ValidationError(
                f"운전면허증의 지역명 '{region}'을(를) 알 수 없습니다.",
                f"Unknown licence region name '{region}'.",
            )
        code = REGION_CODES[region]
    return DriverLicence(region_code=code, year=int(m.group("year")), serial=m.group("serial"),
                         check=m.group("check"))
