"""Names: NFC normalisation, accepted alphabets, refused characters, masking."""

from __future__ import annotations

import unicodedata

import pytest

from teller.errors import ValidationError
from teller.identity.names import mask_name, normalize_name


def test_nfd_hangul_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "홍길동")
    assert len(nfd) == 9  # 3 syllables × 3 conjoining jamo
    assert normalize_name(nfd) == "홍길동"


@pytest.mark.parametrize(("text", "expected"), [(" 홍길동 ", "홍길동"), ("John   Smith", "John Smith"),
                                                ("\tANNE-MARIE  O'NEIL\n", "ANNE-MARIE O'NEIL"), ("김", "김"),
                                                ("가" * 20, "가" * 20)])
def test_normalised(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("홍길동1", "숫자"), ("John2", "숫자"), ("홍\x00길동", "제어"), ("홍\u200b길동", "제어"), ("", "입력"), ("   ", "입력"),
     ("가" * 21, "20자"), ("홍 길동", "공백"), ("John홍", "한글"), ("J@hn", "한글"), ("-", "한글"), ("John--Smith", "한글")],
)
def test_refused_with_clear_message(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as e:
        normalize_name(text)
    assert fragment in e.value.message


@pytest.mark.parametrize(
    ("text", "masked"),
    [("홍길동", "홍*동"), ("김수", "김*"), ("남궁민수", "남**수"), ("김", "김"), ("John Smith", "J*** S****"),
     ("Anne-Marie", "A***-M****"), ("SMITH JOHN", "S**** J***")],
)
def test_mask(text: str, masked: str) -> None:
    assert mask_name(text) == masked
