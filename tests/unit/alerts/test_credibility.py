from __future__ import annotations

import inspect
from itertools import product
from typing import Any

import pytest

from alerts.errors import InvalidValue
from alerts.incidents.credibility import (
    DEFAULT_RELIABILITY_THRESHOLDS,
    ReliabilityThresholds,
    SourceReport,
    combined_grade,
    independent_sources,
    information_credibility,
    reporter_reliability,
    text_fingerprint,
)
from alerts.triage.priority import assign_priority
from alerts.vocabulary import CREDIBILITY_GRADES, RELIABILITY_GRADES

pytestmark = pytest.mark.unit

PLAIN: dict[str, Any] = {
    "independent_sources": 1,
    "external_confirmation": False,
    "contradicted": False,
    "consistent_with_pattern": False,
    "detail_sufficient": True,
}


def credibility(**changes: Any) -> int:
    return information_credibility(**(PLAIN | changes))


def report(reporter: str, group: str | None = None, text: str = "") -> SourceReport:
    return SourceReport(reporter, group, text_fingerprint(text) if text else "")


# R19: two independent grades.


def test_reliability_and_credibility_functions_share_no_input() -> None:
    reliability_inputs = inspect.signature(reporter_reliability).parameters
    credibility_inputs = inspect.signature(information_credibility).parameters
    shared = set(reliability_inputs) & set(credibility_inputs)
    # Only the word is shared: a count of the reporter's past contradicted reports versus whether
    # this incident is contradicted.
    assert shared == {"contradicted"}
    assert reliability_inputs["contradicted"].annotation == "int"
    assert credibility_inputs["contradicted"].annotation == "bool"
    assert not any("reliab" in name or "reviewed" in name for name in credibility_inputs)


@pytest.mark.parametrize(
    "history",
    [(0, 0, 0), (3, 3, 0), (10, 9, 0), (10, 2, 3), (10, 1, 5), (10, 0, 9)],
)
def test_changing_reporter_reliability_never_changes_the_stored_credibility(
    history: tuple[int, int, int],
) -> None:
    stored = credibility(consistent_with_pattern=True)
    reliability = reporter_reliability(*history)
    assert credibility(consistent_with_pattern=True) == stored
    assert combined_grade(reliability, stored) == f"{reliability}{stored}"


def test_every_reliability_grade_keeps_the_same_credibility_in_the_combined_grade() -> None:
    stored = credibility()
    assert [combined_grade(r, stored)[1:] for r in RELIABILITY_GRADES] == [str(stored)] * 6


# R20: F until three reviewed reports, then A-E.


def test_reliability_is_f_then_graded_as_history_accumulates() -> None:
    grades = [reporter_reliability(reviewed, reviewed, 0) for reviewed in range(6)]
    assert grades == ["F", "F", "F", "A", "A", "A"]


def test_a_contradicted_history_is_f_until_three_reviews_then_e() -> None:
    grades = [reporter_reliability(reviewed, 0, reviewed) for reviewed in range(5)]
    assert grades == ["F", "F", "F", "E", "E"]


def test_an_unreviewed_backlog_leaves_reliability_f() -> None:
    assert reporter_reliability(2, 2, 0) == "F"


@pytest.mark.parametrize(
    ("reviewed", "contradicted", "grade"),
    [
        (20, 1, "A"),  # 95 % exactly
        (20, 2, "B"),  # 90 %
        (5, 1, "B"),  # 80 % exactly
        (100, 21, "C"),  # 79 %
        (5, 2, "C"),  # 60 % exactly
        (100, 41, "D"),  # 59 %
        (5, 3, "D"),  # 40 % exactly
        (100, 61, "E"),  # 39 %
        (3, 3, "E"),
    ],
)
def test_each_default_threshold_is_an_inclusive_lower_bound(
    reviewed: int, contradicted: int, grade: str
) -> None:
    assert reporter_reliability(reviewed, 0, contradicted) == grade


def test_uncontradicted_reports_count_as_supported_by_default() -> None:
    assert reporter_reliability(10, 0, 0) == reporter_reliability(10, 10, 0) == "A"


@pytest.mark.parametrize(
    ("confirmed", "grade"),
    [(10, "A"), (8, "B"), (6, "C"), (4, "D"), (3, "E"), (0, "E")],
)
def test_the_confirmed_basis_counts_only_corroborated_reports(confirmed: int, grade: str) -> None:
    thresholds = ReliabilityThresholds(basis="confirmed")
    assert reporter_reliability(10, confirmed, 0, thresholds) == grade


@pytest.mark.parametrize(
    ("reviewed", "grade"),
    [(4, "F"), (5, "C")],
)
def test_the_minimum_reviewed_is_configuration(reviewed: int, grade: str) -> None:
    thresholds = ReliabilityThresholds(minimum_reviewed=5)
    assert reporter_reliability(reviewed, 0, 2 if reviewed == 5 else 0, thresholds) == grade


def test_grade_thresholds_are_configuration() -> None:
    strict = ReliabilityThresholds(a=1.0, b=0.99, c=0.9, d=0.8)
    assert reporter_reliability(20, 0, 1) == "A"
    assert reporter_reliability(20, 0, 1, strict) == "C"


def test_the_default_thresholds_are_the_documented_proposal() -> None:
    t = DEFAULT_RELIABILITY_THRESHOLDS
    assert (t.minimum_reviewed, t.a, t.b, t.c, t.d, t.basis) == (
        3,
        0.95,
        0.80,
        0.60,
        0.40,
        "not_contradicted",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"minimum_reviewed": 0},
        {"a": 1.1},
        {"d": -0.1},
        {"b": 0.97},
        {"c": 0.3},
        {"basis": "guessed"},
    ],
)
def test_inconsistent_thresholds_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        ReliabilityThresholds(**changes)


@pytest.mark.parametrize(
    "history",
    [(-1, 0, 0), (3, -1, 0), (3, 0, -1), (3, 2, 2), (3, 4, 0)],
)
def test_impossible_histories_are_refused(history: tuple[int, int, int]) -> None:
    with pytest.raises(InvalidValue):
        reporter_reliability(*history)


# R24: reliability never lowers priority.


def test_a_reporter_graded_f_still_gets_p1_for_an_ongoing_attack() -> None:
    reliability = reporter_reliability(0, 0, 0)
    decision = assign_priority(
        "ATK",
        time_class=None,
        urgent_keywords=False,
        threat_of_imminent_attack=False,
        ongoing=True,
        reliability=reliability,
    )
    assert (reliability, decision.priority) == ("F", "P1")


# §4.3 / R21: independent sources.


@pytest.mark.parametrize(
    ("reports", "count"),
    [
        ([], 0),
        ([report("r1")], 1),
        ([report("r1"), report("r1")], 1),
        ([report("r1", text="Attaque à Kiwanja"), report("r1", text="Ils brûlent les maisons")], 1),
        ([report("r1", "g1"), report("r2", "g1")], 1),
        ([report("r1", text="Hommes armés à Rutshuru!"), report("r2", text="hommes  armes a RUTSHURU")], 1),
        ([report("r1"), report("r2")], 2),
        ([report("r1", "g1"), report("r2", "g2")], 2),
        ([report("r1", None), report("r2", None)], 2),
        ([report("r1", text="Attaque à Kiwanja"), report("r2", text="Ils brûlent les maisons")], 2),
        ([report("r1", "g1"), report("r2", "g1"), report("r3")], 2),
        ([report("r1", "g1"), report("r2", "g2"), report("r1", "g2")], 1),
        ([report("r1", "g1"), report("r2", text="same words"), report("r3", "g1", text="Same words.")], 1),
        ([report("r1"), report("r2"), report("r3"), report("r2", "g9")], 3),
    ],
)
def test_independent_sources_counts_each_reporter_group_and_forwarded_text_once(
    reports: list[SourceReport], count: int
) -> None:
    assert independent_sources(reports) == count


def test_reports_without_free_text_are_not_merged_by_their_empty_fingerprint() -> None:
    assert independent_sources([SourceReport("r1", None, ""), SourceReport("r2", None, "")]) == 2


def test_independent_sources_accepts_any_iterable() -> None:
    assert independent_sources(report(key) for key in ("r1", "r2", "r1")) == 2


@pytest.mark.parametrize(
    ("original", "forwarded"),
    [
        ("Hommes armés à Rutshuru maintenant", "hommes armes a rutshuru maintenant"),
        ("Attack at the market, NOW!!!", "attack at the market now"),
        ("  Watu\twenye silaha\n\nkijijini ", "Watu wenye silaha kijijini."),
        ("ATTAQUE—village de Kibirizi…", "attaque village de kibirizi"),
        ("Ａｔｔａｑｕｅ", "attaque"),
    ],
)
def test_forwarded_copies_have_the_same_fingerprint(original: str, forwarded: str) -> None:
    assert text_fingerprint(original) == text_fingerprint(forwarded)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Attaque à Kiwanja", "Attaque à Kitchanga"),
        ("armed men at the market", "armed men at the market now"),
        ("ab", "a b"),
    ],
)
def test_different_wording_has_different_fingerprints(one: str, other: str) -> None:
    assert text_fingerprint(one) != text_fingerprint(other)


def test_a_fingerprint_does_not_reveal_the_narrative() -> None:
    fingerprint = text_fingerprint("Hommes armés à Rutshuru")
    assert len(fingerprint) == 64
    assert "rutshuru" not in fingerprint


@pytest.mark.parametrize("text", ["", "   ", "?!... —"])
def test_text_without_words_has_an_empty_fingerprint(text: str) -> None:
    assert text_fingerprint(text) == ""


# R21: the credibility rules.


@pytest.mark.parametrize(
    ("reports", "grade"),
    [
        ([report("r1"), report("r1")], 3),
        ([report("r1", "household-7"), report("r2", "household-7")], 3),
        ([report("r1", text="Armed men NOW!"), report("r2", text="armed men now")], 3),
        ([report("r1"), report("r2")], 1),
        ([report("r1", "g1"), report("r2", "g2")], 1),
    ],
)
def test_only_two_independent_reporters_yield_credibility_one(
    reports: list[SourceReport], grade: int
) -> None:
    assert credibility(independent_sources=independent_sources(reports)) == grade


@pytest.mark.parametrize(
    ("changes", "grade"),
    [
        ({}, 3),
        ({"independent_sources": 2}, 1),
        ({"independent_sources": 5}, 1),
        ({"independent_sources": 0, "external_confirmation": True}, 1),
        ({"external_confirmation": True}, 1),
        ({"consistent_with_pattern": True}, 2),
        ({"contradicted": True}, 4),
        ({"contradicted": True, "contradicted_externally": True}, 5),
        ({"contradicted_externally": True}, 5),
        ({"detail_sufficient": False}, 6),
        ({"independent_sources": 0, "detail_sufficient": False}, 6),
    ],
)
def test_each_credibility_rule(changes: dict[str, Any], grade: int) -> None:
    assert credibility(**changes) == grade


@pytest.mark.parametrize(
    ("changes", "grade", "why"),
    [
        ({"contradicted_externally": True, "independent_sources": 3}, 5, "a patrol outweighs reporters"),
        ({"external_confirmation": True, "contradicted": True}, 1, "a patrol outweighs reporters"),
        ({"contradicted": True, "independent_sources": 2}, 4, "contradiction blocks 1"),
        ({"contradicted": True, "detail_sufficient": False}, 4, "contradiction is a judgement"),
        ({"external_confirmation": True, "detail_sufficient": False}, 1, "confirmed is judged"),
        ({"independent_sources": 2, "detail_sufficient": False}, 1, "corroborated is judged"),
        ({"detail_sufficient": False, "consistent_with_pattern": True}, 6, "vague cannot match"),
        ({"independent_sources": 2, "consistent_with_pattern": True}, 1, "confirmation beats pattern"),
    ],
)
def test_credibility_rules_apply_in_documented_order(changes: dict[str, Any], grade: int, why: str) -> None:
    assert credibility(**changes) == grade, why


def test_every_evidence_combination_yields_a_credibility_grade() -> None:
    flag = (False, True)
    for sources, external, contradicted, pattern, detail in product(range(4), flag, flag, flag, flag):
        value = information_credibility(sources, external, contradicted, pattern, detail)
        assert value in CREDIBILITY_GRADES
        if value == 1:
            assert external or sources >= 2


def test_one_external_check_cannot_both_confirm_and_contradict() -> None:
    with pytest.raises(InvalidValue):
        credibility(external_confirmation=True, contradicted_externally=True)


def test_a_negative_source_count_is_refused() -> None:
    with pytest.raises(InvalidValue):
        credibility(independent_sources=-1)


# The combined label.


@pytest.mark.parametrize(
    ("reliability", "credibility_grade", "label"),
    [("B", 2, "B2"), ("A", 1, "A1"), ("F", 6, "F6"), ("E", 5, "E5")],
)
def test_combined_grade_joins_the_two_grades(reliability: str, credibility_grade: int, label: str) -> None:
    assert combined_grade(reliability, credibility_grade) == label


@pytest.mark.parametrize(
    ("reliability", "credibility_grade"),
    [("G", 2), ("b", 2), ("", 2), ("B", 0), ("B", 7), ("B", True)],
)
def test_combined_grade_refuses_values_outside_the_scales(reliability: str, credibility_grade: int) -> None:
    with pytest.raises(InvalidValue):
        combined_grade(reliability, credibility_grade)
