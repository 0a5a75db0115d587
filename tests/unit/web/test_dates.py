"""Times and days on the dashboard: in the page's language, month by name, 24-hour clock, always UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from app.web.review_format import day_text, utc_text, week_text

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("compiled_translations")]

TRANSLATIONS = Path(__file__).resolve().parents[3] / "app" / "translations"
MOMENT = datetime(2026, 11, 1, 3, 48, 30, tzinfo=UTC)


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(TRANSLATIONS))
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Nov 1, 2026, 03:48 UTC"), ("fr", "1 nov. 2026 à 03:48 UTC"), ("ar", "1 نوفمبر 2026، 03:48 UTC")],
)
def test_a_time_is_written_in_the_page_language_in_utc(app: Flask, language: str, text: str) -> None:
    with force_locale(language):
        assert utc_text(MOMENT) == text
        assert utc_text(MOMENT.isoformat()) == text  # as the services hand times to the pages
        assert utc_text(MOMENT.replace(tzinfo=None)) == text  # a naive time is UTC already
        assert utc_text(MOMENT.astimezone(timezone(timedelta(hours=3)))) == text  # 06:48 in Juba


def test_a_day_has_western_digits_and_its_month_by_name(app: Flask) -> None:
    with force_locale("ar"):
        assert day_text(date(2026, 11, 2)) == "2 نوفمبر 2026"
        assert day_text("2026-11-02T23:30:00-02:00") == "3 نوفمبر 2026"  # the UTC day of that time
    with force_locale("fr"):
        assert day_text("2026-11-02") == "2 nov. 2026"


def test_an_iso_week_is_named_by_its_monday(app: Flask) -> None:
    with force_locale("fr"):
        assert week_text("2026-W45") == "semaine du 2 nov. 2026"
        assert week_text("no network") == "no network"
    with force_locale("en"):
        assert week_text("2026-W01") == "week of Dec 29, 2025"
