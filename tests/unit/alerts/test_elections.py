"""Electoral phases at every boundary (R16). Windows are whole days, both ends inclusive.

The calendar is the shipped example file (invented dates):
national SS poll 2031-03-15, registration 2030-10-01..11-30, nomination 2030-12-01..2031-01-10,
defaults otherwise; a local by-election in SS03 polls 2031-02-01 with campaign 2031-01-10..30.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts.triage.elections import DEFAULT_CALENDARS, electoral_phase, load_calendars, parse_calendars

pytestmark = pytest.mark.unit

CALENDARS = load_calendars(include_examples=True)
NATIONAL = "EXAMPLE-SS-general"
LOCAL = "EXAMPLE-SS-by-election-SS03"


def phase(when: date | datetime, area: tuple[str, ...] = ("SS04", "SS0401")) -> tuple[str, str] | None:
    match = electoral_phase(CALENDARS, "SS", area, when)
    return None if match is None else (match.phase, match.election.id)


def test_example_entries_are_marked_and_never_loaded_by_default() -> None:
    assert "EXAMPLE" in DEFAULT_CALENDARS.read_text(encoding="utf-8")
    assert all(e.example for e in CALENDARS)
    assert len(CALENDARS) == 2
    assert load_calendars() == ()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2030, 9, 30), None),
        (date(2030, 10, 1), "registration"),
        (date(2030, 11, 30), "registration"),
        (date(2030, 12, 1), "nomination"),
        (date(2031, 1, 10), "nomination"),
        (date(2031, 1, 11), None),
        (date(2031, 1, 13), None),
        (date(2031, 1, 14), "campaign"),  # polling - 60 days
        (date(2031, 3, 13), "campaign"),
        (date(2031, 3, 14), "silence_and_polling"),  # eve of poll
        (date(2031, 3, 15), "silence_and_polling"),  # polling day
        (date(2031, 3, 16), "counting_results"),
        (date(2031, 3, 29), "counting_results"),  # polling + 14
        (date(2031, 3, 30), "post_results"),  # polling + 15
        (date(2031, 6, 13), "post_results"),  # polling + 90
        (date(2031, 6, 14), None),
    ],
)
def test_a_national_election_gives_the_right_phase_on_each_boundary_day(
    day: date, expected: str | None
) -> None:
    assert phase(day) == (None if expected is None else (expected, NATIONAL))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2031, 1, 9), ("nomination", NATIONAL)),  # before the local campaign
        (date(2031, 1, 10), ("campaign", LOCAL)),  # explicit window replaces the default
        (date(2031, 1, 30), ("campaign", LOCAL)),
        (date(2031, 1, 31), ("silence_and_polling", LOCAL)),
        (date(2031, 2, 1), ("silence_and_polling", LOCAL)),
        (date(2031, 2, 2), ("counting_results", LOCAL)),
        (date(2031, 2, 15), ("counting_results", LOCAL)),
        (date(2031, 2, 16), ("post_results", LOCAL)),
        (date(2031, 5, 2), ("post_results", LOCAL)),
        (date(2031, 5, 3), ("post_results", NATIONAL)),
    ],
)
def test_a_local_by_election_wins_over_the_national_one_in_its_area(
    day: date, expected: tuple[str, str]
) -> None:
    assert phase(day, ("SS03", "SS0301")) == expected


def test_the_overlapping_national_election_is_listed_beside_the_local_one() -> None:
    match = electoral_phase(CALENDARS, "SS", ("SS0301",), date(2031, 3, 15))
    assert match is not None
    assert (match.phase, match.election.id, match.also) == ("post_results", LOCAL, (NATIONAL,))


def test_a_local_election_does_not_apply_outside_its_area_or_country() -> None:
    assert phase(date(2031, 1, 31)) == ("campaign", NATIONAL)
    assert electoral_phase(CALENDARS, "CF", ("SS03",), date(2031, 3, 15)) is None


def test_a_timestamp_is_read_by_its_calendar_day() -> None:
    assert phase(datetime(2031, 3, 13, 23, 59, tzinfo=UTC)) == ("campaign", NATIONAL)
    assert phase(datetime(2031, 3, 14, 0, 0, tzinfo=UTC)) == ("silence_and_polling", NATIONAL)


def test_multi_day_polling_and_deployment_defaults_shift_every_window() -> None:
    calendars = parse_calendars(
        {
            "defaults": {
                "campaign_days_before": 30,
                "silence_days_before": 2,
                "counting_days_after": 7,
                "post_results_days_after": 30,
            },
            "elections": [
                {"id": "x", "country": "ml", "polling": date(2032, 6, 10), "polling_end": date(2032, 6, 11)}
            ],
        }
    )
    windows = calendars[0].windows
    assert windows["campaign"] == (date(2032, 5, 11), date(2032, 6, 7))
    assert windows["silence_and_polling"] == (date(2032, 6, 8), date(2032, 6, 11))
    assert windows["counting_results"] == (date(2032, 6, 10), date(2032, 6, 18))
    assert windows["post_results"] == (date(2032, 6, 19), date(2032, 7, 11))
    assert "registration" not in windows
    match = electoral_phase(calendars, "ML", (), date(2032, 6, 11))
    assert match is not None
    assert match.phase == "silence_and_polling"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"country": "SS", "polling": date(2031, 1, 1)}, "required"),
        ({"id": "x", "country": "SS", "polling": "2031-01-01"}, "TOML date"),
        ({"id": "x", "country": "SS", "polling": date(2031, 1, 1), "campain": []}, "unknown keys"),
        (
            {
                "id": "x",
                "country": "SS",
                "polling": date(2031, 1, 1),
                "campaign": [date(2031, 1, 2), date(2031, 1, 1)],
            },
            "starts after it ends",
        ),
        (
            {"id": "x", "country": "SS", "polling": date(2031, 1, 1), "campaign": [date(2031, 1, 2)]},
            "window",
        ),
        (
            {"id": "x", "country": "SS", "polling": date(2031, 1, 2), "polling_end": date(2031, 1, 1)},
            "before",
        ),
    ],
)
def test_a_malformed_election_fails_loudly(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_calendars({"elections": [entry]})


def test_duplicate_ids_and_bad_defaults_fail_loudly(tmp_path: Path) -> None:
    entry = {"id": "x", "country": "SS", "polling": date(2031, 1, 1)}
    with pytest.raises(ValueError, match="unique"):
        parse_calendars({"elections": [entry, entry]})
    with pytest.raises(ValueError, match="defaults"):
        parse_calendars({"defaults": {"campaign_days_before": -1}, "elections": []})
    path = tmp_path / "elections.toml"
    path.write_text(
        '[[elections]]\nid = "y"\ncountry = "cf"\narea = "cf41"\npolling = 2033-01-01\n', encoding="utf-8"
    )
    (election,) = load_calendars(path)
    assert (election.area, election.country) == ("CF41", "CF")


@pytest.mark.parametrize("code", ["SSD", "CAF", "S", "S1", 211])
def test_a_calendar_country_that_is_not_iso2_is_refused_at_load_naming_the_file_and_the_code(
    tmp_path: Path, code: object
) -> None:
    """Networks, routing and reports use ISO 3166 alpha-2: a calendar under another code never fires."""
    path = tmp_path / "elections.toml"
    value = f'"{code}"' if isinstance(code, str) else str(code)
    path.write_text(f'[[elections]]\nid = "y"\ncountry = {value}\npolling = 2033-01-01\n', encoding="utf-8")
    message = f"{path}: election y: country {code!r} is not an ISO 3166 alpha-2 code"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        load_calendars(path)


def test_every_shipped_election_is_under_an_iso2_country() -> None:
    assert {e.country for e in CALENDARS} == {"SS"}
