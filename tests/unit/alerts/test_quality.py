"""The triage-quality figures as pure functions: weeks, and one row per category."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.incidents.quality import Judged, category_rows, week_labels, week_start

pytestmark = pytest.mark.unit


def test_iso_weeks_run_across_the_new_year_newest_first() -> None:
    start = week_start(datetime(2026, 1, 7, 9, tzinfo=UTC))
    assert start == datetime(2026, 1, 5, tzinfo=UTC)
    assert week_labels(week_start(datetime(2025, 12, 17, tzinfo=UTC)), 3) == [
        "2026-W01",
        "2025-W52",
        "2025-W51",
    ]


def test_a_category_only_reviewers_chose_has_recall_but_no_precision() -> None:
    judged = [
        Judged("2026-W02", "fr", "ATK", "ATK", place_changed=True, moved_km=12.0),
        Judged("2026-W02", "fr", "ATK", "ATK", place_changed=True, moved_km=30.0),
        Judged("2026-W02", "fr", "ATK", "ATK", place_changed=True, moved_km=None),  # restricted
        Judged("2026-W02", "ar", "ATK", "SXV"),
        Judged("2026-W02", "ar", "OTH", "SXV"),
    ]
    rows = {row["category"]: row for row in category_rows(judged)}
    attack, sexual = rows["ATK"], rows["SXV"]
    assert (attack["triaged"], attack["kept"], attack["precision"], attack["recall"]) == (4, 3, 0.75, 1.0)
    assert attack["changed_to"] == [{"category": "SXV", "count": 1}]
    assert (attack["place_kept"], attack["place_changed"]) == (1, 3)
    assert attack["km_moved"] == {"measured": 2, "median": 21.0, "max": 30.0}
    assert (sexual["triaged"], sexual["ended"], sexual["precision"], sexual["recall"]) == (0, 2, None, 0.0)
    assert rows["OTH"]["changed_to"] == [{"category": "SXV", "count": 1}]
    assert category_rows([]) == []
