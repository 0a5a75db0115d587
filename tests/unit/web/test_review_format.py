"""The queue and incident pages' wording: evidence marked in escaped text, countdowns, grades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.web.review_format import best_reliability, clock, countdown_text, grade, highlight, overdue

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)


class TestHighlight:
    def test_markup_in_the_text_is_escaped_and_never_marked_inside_an_entity(self) -> None:
        text = "<script>alert(1)</script> & lt gt"
        shown = str(highlight(text, ["lt", "script"]))
        assert "<script>" not in shown
        assert shown == (
            "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; &amp; <mark>lt</mark> gt"
        )

    def test_whole_words_only_whatever_the_case_or_accents(self) -> None:
        shown = str(highlight("Tirés près du marché; they were SHOOTING, shootings", ["tires", "shooting"]))
        assert shown == "<mark>Tirés</mark> près du marché; they were <mark>SHOOTING</mark>, shootings"

    def test_phrases_match_across_any_spacing_and_the_longest_wins(self) -> None:
        shown = str(highlight("armed  men came, armed boys", ["armed men", "armed"]))
        assert shown == "<mark>armed  men</mark> came, <mark>armed</mark> boys"

    def test_terms_are_escaped_too_and_empty_evidence_changes_nothing(self) -> None:
        assert (
            str(highlight("a<b and a.b", ["a<b", "a.b", " "])) == "<mark>a&lt;b</mark> and <mark>a.b</mark>"
        )
        assert str(highlight("<i>x</i>", [])) == "&lt;i&gt;x&lt;/i&gt;"

    def test_arabic_text_is_marked_in_place(self) -> None:
        assert str(highlight("رجال مسلحون في السوق", ["مسلحون"])) == "رجال <mark>مسلحون</mark> في السوق"


class TestCountdown:
    def test_the_clock_reads_hours_minutes_seconds_and_days(self) -> None:
        assert clock(timedelta(minutes=12, seconds=4)) == "0:12:04"
        assert clock(-timedelta(hours=1, minutes=3)) == "1:03:00"
        assert clock(timedelta(days=2, hours=3, seconds=5)) == "2 d 3:00:05"

    def test_due_and_overdue(self) -> None:
        assert countdown_text(NOW + timedelta(minutes=15), NOW) == "due in 0:15:00"
        assert countdown_text((NOW - timedelta(seconds=90)).isoformat(), NOW) == "overdue by 0:01:30"
        assert overdue(NOW - timedelta(seconds=1), NOW)
        assert not overdue(NOW, NOW)


def test_grades_combine_where_the_source_is_graded() -> None:
    assert grade("B", 2) == "B2"
    assert grade(None, 3) == "3"
    assert grade("Z", 3) == "3"
    assert best_reliability([{"reliability": "C"}, {"reliability": "B"}, {}]) == "B"
    assert best_reliability([{}]) is None
