from __future__ import annotations

import pytest

from alerts.triage.text import clean_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  SXV   Bambari\n\n hier ", "SXV Bambari hier"),
        ("ﬁghting", "fighting"),  # NFKC folds the ligature
        ("bad\x00byte\x07", "badbyte"),
        ("هجوم  في  القرية", "هجوم في القرية"),
    ],
)
def test_text_is_normalised_without_losing_words(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
