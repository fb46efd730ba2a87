"""Customer names: normalise for storage (NFC) and mask for display.

Hangul names are usually 2–4 syllables, but 1–20 characters are accepted (long compound or foreign names written
in Hangul exist). Foreigners' names are in Latin letters with spaces, hyphens and apostrophes ("O'NEIL",
"ANNE-MARIE"). Mixing Hangul and Latin in one name is refused: it is almost always a typing slip.

Masking (shown on screens, receipts, logs):
- Hangul: first and last syllable kept, the middle hidden — "홍길동" → "홍*동", "남궁민수" → "남**수";
  two syllables keep the first — "김수" → "김*"; one syllable stays as is.
- Latin: per word, first letter kept, the rest as '*' — "John Smith" → "J*** S****"; hyphens and apostrophes
  are kept, each part starting its own visible letter ("Anne-Marie" → "A***-M****", "O'Neil" → "O'N***").
"""

from __future__ import annotations

import re
import unicodedata

from teller.errors import ValidationError

MAX_LEN = 20
_HANGUL = re.compile(r"[가-힣]+")
_LATIN = re.compile(r"[A-Za-z]+(?:[ '\-][A-Za-z]+)*")


def normalize_name(text: str) -> str:
    """NFC, trimmed, inner whitespace collapsed; ValidationError when it is not a plausible personal name."""
    if not isinstance(text, str):
        raise ValidationError("이름을 입력하십시오.", "Enter a name.")
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not name:
        raise ValidationError("이름을 입력하십시오.", "Enter a name.")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise ValidationError("이름에 제어 문자가 포함되어 있습니다.", "The name contains control characters.")
    if any(c.isdigit() for c in name):
        raise ValidationError("이름에 숫자를 넣을 수 없습니다.", "A name cannot contain digits.")
    if len(name) > MAX_LEN:
        raise ValidationError(f"이름은 {MAX_LEN}자 이하여야 합니다.", f"A name must be at most {MAX_LEN} characters.")
    if _HANGUL.fullmatch(name) or _LATIN.fullmatch(name):
        return name
    if re.fullmatch(r"[가-힣 ]+", name):
        raise ValidationError("한글 이름에는 공백을 넣지 마십시오.", "A Hangul name has no spaces.")
    raise ValidationError(
        "이름은 한글, 또는 영문자·공백·하이픈(-)·아포스트로피(')만 쓸 수 있습니다.",
        "A name is Hangul, or Latin letters with spaces, hyphens (-) and apostrophes (').",
    )


def _mask_word(word: str) -> str:
    out, first = [], True
    for c in word:
        if c in "-'":
            out.append(c)
            first = True
        elif first:
            out.append(c)
            first = False
        else:
            out.append("*")
    return "".join(out)


def mask_name(text: str) -> str:
    """Masked form of a name for display (see the module doc for the rule)."""
    name = normalize_name(text)
    if _HANGUL.fullmatch(name):
        if len(name) == 1:
            return name
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return " ".join(_mask_word(w) for w in name.split(" "))


def mask_stored_name(text: str) -> str:
    """`mask_name` for a name already on record: one the current rules would refuse is masked plainly rather
    than refused (a receipt or a call must still come out)."""
    from teller.errors import ValidationError

    try:
        return mask_name(text)
    except ValidationError:
        return text[:1] + "*" * max(len(text) - 2, 0) + (text[-1] if len(text) > 1 else "")
