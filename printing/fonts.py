"""The embedded Korean font (NanumGothic, OFL-1.1, vendored in printing/fonts/) and its character map.

reportlab's CID fonts are not embedded and vanish on machines without Korean fonts; a TrueType font registered
with `TTFont` is embedded (subset) in every PDF. A character missing from the font would print as nothing, so
every drawn string goes through `printable()`, which swaps such characters for a visible mark.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR = "NanumGothic"
BOLD = "NanumGothicBold"
MISSING_MARK = "□"  # U+25A1, present in NanumGothic

_lock = threading.Lock()


def register_fonts() -> None:
    """Register both faces once per process (reading 2 x 4.7 MB takes a moment)."""
    with _lock:
        registered = pdfmetrics.getRegisteredFontNames()
        for name, file in ((REGULAR, "NanumGothic.ttf"), (BOLD, "NanumGothicBold.ttf")):
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
        from reportlab.lib.fonts import addMapping

        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)


@lru_cache(maxsize=1)
def _cmap() -> frozenset[int]:
    register_fonts()
    regular = pdfmetrics.getFont(REGULAR)
    bold = pdfmetrics.getFont(BOLD)
    # A character must be drawable in both faces: labels use bold, values regular.
    return frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)  # type: ignore[attr-defined]


def unprintable(text: str) -> set[str]:
    """Characters of `text` the embedded font cannot draw (whitespace is fine)."""
    cmap = _cmap()
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}


def printable(text: str) -> str:
    """`text` with every character the font lacks replaced by a visible □ (never a silent blank)."""
    cmap = _cmap()
    if all(ord(ch) in cmap or ch.isspace() for ch in text):
        return text
    return "".join(ch if ch.isspace() or ord(ch) in cmap else MISSING_MARK for ch in text)
