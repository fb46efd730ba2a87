"""사업자등록번호: shape and the 국세청 check digit, on numbers printed on real companies' invoices."""

from __future__ import annotations

import pytest

from teller.errors import ValidationError
from teller.identity.business_number import business_number_check_digit, parse_business_number


@pytest.mark.parametrize("text, formatted", [("220-81-62517", "220-81-62517"), ("124-81-00998", "124-81-00998"),
                                             ("1208147521", "120-81-47521"), (" 124-81-00998 ", "124-81-00998")])
def test_known_valid_numbers(text, formatted):
    assert parse_business_number(text).formatted == formatted


def test_the_ninth_digits_carry_counts():
    # 124-81-0099?: 9th digit 9 → 9×5 = 45 adds its carry 4; without it the check digit would be 2, not 8
    assert business_number_check_digit("124810099") == 8


@pytest.mark.parametrize("text", ["220-81-62518", "124-81-00992"])
def test_a_typo_is_a_check_digit_error(text):
    with pytest.raises(ValidationError) as caught:
        parse_business_number(text)
    assert caught.value.code == "business_number_check_digit"


@pytest.mark.parametrize("text", ["", "220-81-6251", "22O-81-62517", "220-81-625177", "２２０８１６２５１７"])
def test_a_wrong_shape(text):
    with pytest.raises(ValidationError) as caught:
        parse_business_number(text)
    assert caught.value.code == "business_number_shape"
