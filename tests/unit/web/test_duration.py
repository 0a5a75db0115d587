"""Human durations on the stale and indicators pages: two largest units, in the page's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from app.web.review_format import duration

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("compiled_translations")]

TRANSLATIONS = Path(__file__).resolve().parents[3] / "app" / "translations"


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(TRANSLATIONS))
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    ("minutes", "english"),
    [
        (0, "0 min"),
        (59, "59 min"),
        (60, "1 h"),
        (185, "3 h 5 min"),
        (1439, "23 h 59 min"),
        (1440, "1 d"),
        (1500, "1 d 1 h"),
        (3060, "2 d 3 h"),
        (85458, "59 d 8 h"),
    ],
)
def test_english(app: Flask, minutes: int, english: str) -> None:
    assert duration(minutes) == english
    assert duration(timedelta(minutes=minutes, seconds=59)) == english


def test_negative_and_fractional_minutes_keep_whole_minutes(app: Flask) -> None:
    assert duration(-90) == "1 h 30 min"
    assert duration(12.9) == "12 min"


@pytest.mark.parametrize(
    ("language", "minutes", "shown"),
    [
        ("fr", 85458, "59 j 8 h"),
        ("fr", 185, "3 h 5 min"),
        ("fr", 1440, "1 j"),
        ("ar", 85458, "59 يوم 8 ساعة"),
        ("ar", 185, "3 ساعة 5 دقيقة"),
        ("ar", 0, "0 دقيقة"),
    ],
)
def test_french_and_arabic(app: Flask, language: str, minutes: int, shown: str) -> None:
    with force_locale(language):
        assert duration(minutes) == shown
