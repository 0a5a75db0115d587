from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest

from alerts.errors import InvalidValue
from alerts.triage.flags import TIME_REPORTED_CLASSES
from alerts.triage.priority import (
    assign_priority,
    default_rules,
    escalate,
    load_priority_rules,
    parse_priority_rules,
    review_deadline,
)
from alerts.triage.taxonomy import load_taxonomy
from alerts.vocabulary import RELIABILITY_GRADES, REVIEW_DEADLINES

pytestmark = pytest.mark.unit

CALM: dict[str, Any] = {
    "time_class": None,
    "urgent_keywords": False,
    "threat_of_imminent_attack": False,
    "ongoing": False,
    "reliability": "C",
}


def priority(category: str, **changes: Any) -> str:
    return assign_priority(category, **(CALM | changes)).priority


def test_every_taxonomy_category_has_a_rule_whose_default_is_the_taxonomy_priority() -> None:
    taxonomy = load_taxonomy()
    table = default_rules().table
    assert set(table) == set(taxonomy.categories)
    for code, category in taxonomy.categories.items():
        assert table[code]["unknown"] == category.priority, code


# P1: life-threatening, happening now or imminent.


@pytest.mark.parametrize(
    ("category", "signal"),
    list(
        product(
            ["ATK", "SXV", "ABD", "FIG"],
            [
                {"ongoing": True},
                {"time_class": "happening_now"},
                {"urgent_keywords": True},
                {"time_class": "today"},
            ],
        )
    ),
)
def test_attacks_sexual_violence_abductions_and_fighting_now_or_within_hours_are_p1(
    category: str, signal: dict[str, Any]
) -> None:
    assert priority(category, **signal) == "P1"


@pytest.mark.parametrize(
    "signal", [{"urgent_keywords": True}, {"time_class": "happening_now"}, {"ongoing": True}]
)
def test_armed_men_approaching_now_are_p1_and_a_plain_sighting_is_p2(signal: dict[str, Any]) -> None:
    assert priority("ARM", **signal) == "P1"
    assert priority("ARM") == "P2"
    assert priority("ARM", time_class="today") == "P2"


def test_an_explicit_threat_of_attack_tonight_is_p1_and_a_plain_threat_p2() -> None:
    decision = assign_priority("THR", **(CALM | {"threat_of_imminent_attack": True}))
    assert decision.priority == "P1"
    assert "threat of imminent attack: raised to P1" in decision.reasons
    assert priority("THR") == "P2"
    assert priority("THR", time_class="happening_now") == "P2"


@pytest.mark.parametrize("category", ["TEN", "ARM"])
def test_a_rumour_or_sighting_with_an_imminent_attack_threat_is_p1(category: str) -> None:
    assert priority(category, threat_of_imminent_attack=True, time_class="earlier") == "P1"


def test_an_imminent_attack_threat_does_not_raise_categories_outside_the_rule() -> None:
    assert priority("PCE", threat_of_imminent_attack=True) == "P4"


@pytest.mark.parametrize(("category", "now", "later"), [("LOT", "P1", "P2"), ("MOB", "P1", "P2")])
def test_looting_and_mob_violence_are_p1_only_while_ongoing(category: str, now: str, later: str) -> None:
    assert priority(category, ongoing=True) == now
    assert priority(category, time_class="today") == later


# P2: serious harm within the last 24 h, credible threat, large displacement.


@pytest.mark.parametrize("category", ["ATK", "SXV", "ABD", "FIG", "LOT", "MOB"])
def test_serious_harm_reported_yesterday_is_p2(category: str) -> None:
    assert priority(category, time_class="yesterday") == "P2"


@pytest.mark.parametrize("category", ["DSP", "THR", "TEN"])
def test_displacement_threats_and_fresh_tension_are_p2(category: str) -> None:
    assert priority(category, time_class="today") == "P2"


def test_a_sudden_movement_restriction_is_p2_and_otherwise_p3() -> None:
    assert priority("MOV", time_class="happening_now") == "P2"
    assert priority("MOV", time_class="today") == "P3"


def test_a_protest_is_p3_and_p2_when_force_is_used() -> None:
    assert priority("PRO") == "P3"
    decision = assign_priority("PRO", **CALM, force_used=True)
    assert decision.priority == "P2"
    assert "force used: raised to P2" in decision.reasons
    assert priority("ATK", time_class="earlier") == "P3"
    assert assign_priority("ATK", **(CALM | {"ongoing": True}), force_used=True).priority == "P1"


# P3: past incidents (> 24 h); P4: peace.


@pytest.mark.parametrize(
    "category", ["ATK", "SXV", "ABD", "FIG", "ARM", "THR", "LOT", "DSP", "TEN", "MOB", "OTH"]
)
def test_past_incidents_older_than_a_day_are_p3(category: str) -> None:
    assert priority(category, time_class="earlier") == "P3"


def test_an_abduction_reported_late_but_still_ongoing_is_p1() -> None:
    assert priority("ABD", time_class="earlier", ongoing=True) == "P1"


@pytest.mark.parametrize("time_class", [None, *TIME_REPORTED_CLASSES])
def test_peace_signals_are_p4_and_election_process_issues_p3_whatever_the_time(
    time_class: str | None,
) -> None:
    assert priority("PCE", time_class=time_class, urgent_keywords=True) == "P4"
    assert priority("ELE", time_class=time_class, urgent_keywords=True) == "P3"


def test_an_unclassified_message_saying_now_is_reviewed_within_two_hours() -> None:
    assert priority("OTH", urgent_keywords=True) == "P2"
    assert priority("OTH") == "P3"


# R24: reliability never lowers priority.


def test_an_f_graded_p1_stays_p1() -> None:
    decision = assign_priority("ATK", "happening_now", False, False, False, "F")
    assert decision.priority == "P1"
    assert "reliability F does not change priority" in decision.reasons


def test_reliability_never_changes_any_priority() -> None:
    rules = default_rules()
    for category, time_class, urgent, imminent, ongoing in product(
        rules.table, [None, *TIME_REPORTED_CLASSES], [False, True], [False, True], [False, True]
    ):
        results = {
            assign_priority(category, time_class, urgent, imminent, ongoing, grade).priority
            for grade in RELIABILITY_GRADES
        }
        assert len(results) == 1, (category, time_class, urgent, imminent, ongoing)


@pytest.mark.parametrize(
    "changes", [{"reliability": "G"}, {"time_class": "last_week"}], ids=["reliability", "time_class"]
)
def test_out_of_range_inputs_are_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        priority("ATK", **changes)
    with pytest.raises(InvalidValue, match="no priority rule"):
        priority("XYZ")


# Rules are data (R49).


def test_a_deployment_can_ship_its_own_rules() -> None:
    rules = parse_priority_rules(
        {
            "categories": {"ATK": dict.fromkeys(("now", "today", "yesterday", "earlier", "unknown"), "P2")},
            "rules": {
                "imminent_attack": {"categories": [], "priority": "P1"},
                "force_used": {"categories": [], "priority": "P2"},
            },
        }
    )
    assert assign_priority("ATK", None, True, False, False, "A", rules=rules).priority == "P2"
    assert load_priority_rules() == default_rules()


@pytest.mark.parametrize(
    "row",
    [{"now": "P1"}, dict.fromkeys(("now", "today", "yesterday", "earlier", "unknown"), "P0")],
)
def test_a_malformed_rule_table_fails_loudly(row: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="ATK"):
        parse_priority_rules({"categories": {"ATK": row}, "rules": {}})


# R22: review deadlines with a fake clock.

RECEIVED = datetime(2031, 3, 15, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("level", "due"),
    [
        ("P1", datetime(2031, 3, 15, 21, 15, tzinfo=UTC)),
        ("P2", datetime(2031, 3, 15, 23, 0, tzinfo=UTC)),
        ("P3", datetime(2031, 3, 16, 21, 0, tzinfo=UTC)),
        ("P4", datetime(2031, 3, 22, 21, 0, tzinfo=UTC)),
    ],
)
def test_each_priority_has_its_default_review_deadline(level: str, due: datetime) -> None:
    assert review_deadline(level, RECEIVED) == due


def test_deadlines_are_configurable_per_deployment() -> None:
    deadlines = REVIEW_DEADLINES | {"P1": timedelta(minutes=5)}
    assert review_deadline("P1", RECEIVED, deadlines) == RECEIVED + timedelta(minutes=5)


def test_a_naive_timestamp_or_unknown_priority_has_no_deadline() -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        review_deadline("P1", datetime(2031, 3, 15, 21, 0))  # noqa: DTZ001
    with pytest.raises(InvalidValue, match="P5"):
        review_deadline("P5", RECEIVED)


@pytest.mark.parametrize(("level", "up"), [("P4", "P3"), ("P3", "P2"), ("P2", "P1"), ("P1", "P1")])
def test_an_overdue_item_escalates_one_level(level: str, up: str) -> None:
    assert escalate(level) == up
