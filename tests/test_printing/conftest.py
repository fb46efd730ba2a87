"""Fixtures for the printing tests; helpers live in printing_pdfcheck / printing_samples / printing_cups."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # printing_samples, printing_cups

from printing.renderer import PdfDocuments  # noqa: E402


@pytest.fixture(scope="session")
def renderer() -> PdfDocuments:
    return PdfDocuments(invariant=True)
