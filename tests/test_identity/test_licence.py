"""Driver's licence numbers: shape, region codes and old region names (check digits are not verified)."""

from __future__ import annotations

import pytest

from teller.errors import ValidationError
from teller.identity.licence import parse_driver_license


@pytest.mark.parametrize("text", ["11-20-123456-78", "112012345678", " 11 20 123456 78 ", "11-20-123456-78\n"])
def test_numeric_forms(text: str) -> None:
    lic = parse_driver_license(text)
    assert (lic.region_code, lic.year, lic.serial, lic.check) == (11, 20, "123456", "78")
    assert lic.number == "11-20-123456-78"
    assert lic.digits == "112012345678"


@pytest.mark.parametrize(("name", "code"), [("서울", 11), ("부산", 12), ("경기", 13), ("제주", 21), ("울산", 26)])
def test_old_region_names_map_to_codes(name: str, code: int) -> None:
    lic = parse_driver_license(f"{name}-95-000001-11")
    assert lic.region_code == code
    assert lic.number == f"{code}-95-000001-11"


@pytest.mark.parametrize("code", ["10", "29", "00", "99"])
def test_region_out_of_range(code: str) -> None:
    with pytest.raises(ValidationError) as e:
        parse_driver_license(f"{code}-20-123456-78")
    assert "11–28" in e.value.message


@pytest.mark.parametrize("text", ["", "11-20-12345-78", "11-20-1234567-78", "11-20-123456-7", "AB-20-123456-78",
                                  "평양-20-123456-78", "11/20/123456/78", "1120123456789"])
def test_bad_shapes(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_driver_license(text)


def test_masked_hides_serial() -> None:
    assert parse_driver_license("13-05-987654-32").masked == "13-05-******-**"
