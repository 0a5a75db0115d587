from __future__ import annotations

from typing import Any

import pytest

from alerts.errors import InvalidValue
from alerts.triage.flags import HARM_TYPES
from alerts.triage.vawe import (
    ELECTION_PROCESS_QUEUE,
    HARM_CATEGORIES,
    TRIAGE_QUEUE,
    assess_vawe,
    ele_menu_answer,
    election_queue,
)

pytestmark = pytest.mark.unit

NO_SIGNAL: dict[str, Any] = {
    "category": "ATK",
    "harm_type": None,
    "women_targeted": True,
    "female_keywords": False,
    "chose_ele": False,
    "election_words": False,
    "target_role": None,
    "in_window": False,
}


def assess(**changes: Any) -> tuple[str, str]:
    result = assess_vawe(**(NO_SIGNAL | changes))
    return result.vawe, result.evidence


# The four cases R15 names.


def test_an_election_keyword_without_harm_is_not_vawe() -> None:
    result = assess_vawe("ELE", None, True, False, False, True, None, False)
    assert (result.vawe, result.evidence) == ("no", "E3")
    assert "no harm" in result.reasons


def test_harm_to_a_woman_with_no_election_signal_outside_every_window_is_not_vawe() -> None:
    result = assess_vawe("ATK", "physical", True, False, False, False, None, False)
    assert (result.vawe, result.evidence) == ("no", "none")
    assert "no election evidence" in result.reasons


def test_harm_to_a_woman_dated_inside_a_window_only_is_possible_with_e1() -> None:
    result = assess_vawe("ATK", None, True, False, False, False, None, True)
    assert (result.vawe, result.evidence) == ("possible", "E1")
    assert any("never auto-confirmed" in r for r in result.reasons)


def test_an_explicit_ele_choice_with_a_woman_and_harm_is_likely_with_e3() -> None:
    result = assess_vawe("SXV", "sexual", True, False, True, False, None, False)
    assert (result.vawe, result.evidence) == ("likely", "E3")
    assert result.reasons[-1] == "election E3: reporter chose ELE"


# Every evidence level, and the strongest one wins.


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        ({}, ("no", "none")),
        ({"in_window": True}, ("possible", "E1")),
        ({"target_role": "candidate"}, ("likely", "E2")),
        ({"target_role": "election_official"}, ("likely", "E2")),
        ({"target_role": "observer"}, ("likely", "E2")),
        ({"target_role": "party_supporter"}, ("likely", "E2")),
        ({"target_role": "voter"}, ("likely", "E2")),
        ({"target_role": "journalist", "in_window": True}, ("possible", "E1")),
        ({"target_role": "journalist"}, ("no", "none")),
        ({"election_words": True}, ("likely", "E3")),
        ({"chose_ele": True}, ("likely", "E3")),
        ({"in_window": True, "target_role": "voter"}, ("likely", "E2")),
        ({"in_window": True, "target_role": "voter", "election_words": True}, ("likely", "E3")),
    ],
)
def test_the_strongest_election_evidence_decides_between_possible_and_likely(
    signals: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert assess(**signals) == expected


# Each harm category, harm_type, and protest with force.


@pytest.mark.parametrize("category", sorted(HARM_CATEGORIES))
def test_each_harm_category_counts_as_harm(category: str) -> None:
    assert assess(category=category, chose_ele=True) == ("likely", "E3")


def test_the_seven_harm_categories_are_those_of_the_rule() -> None:
    assert frozenset({"ATK", "SXV", "ABD", "THR", "LOT", "FIG", "MOB"}) == HARM_CATEGORIES


@pytest.mark.parametrize("category", ["ARM", "DSP", "MOV", "TEN", "PRO", "PCE", "OTH", "ELE"])
def test_other_categories_are_not_harm_on_their_own(category: str) -> None:
    assert assess(category=category, chose_ele=True) == ("no", "E3")


@pytest.mark.parametrize("harm_type", HARM_TYPES)
def test_any_harm_type_makes_harm_whatever_the_category(harm_type: str) -> None:
    assert assess(category="ELE", harm_type=harm_type, chose_ele=True) == ("likely", "E3")


def test_harm_type_none_is_no_harm() -> None:
    assert assess(category="OTH", harm_type="none", chose_ele=True) == ("no", "E3")


def test_a_protest_is_harm_only_when_force_was_used() -> None:
    assert assess(category="PRO", election_words=True) == ("no", "E3")
    assert assess_vawe("PRO", None, True, False, False, True, None, False, force_used=True).vawe == "likely"


# The woman-targeted leg.


def test_female_keywords_stand_in_for_the_women_targeted_flag() -> None:
    assert assess(women_targeted=False, female_keywords=True, chose_ele=True) == ("likely", "E3")


def test_without_a_woman_targeted_there_is_no_vawe() -> None:
    result = assess_vawe("ATK", "physical", False, False, True, True, "candidate", True)
    assert (result.vawe, result.evidence) == ("no", "E3")
    assert "no woman targeted" in result.reasons


@pytest.mark.parametrize(("harm_type", "role"), [("verbal", None), (None, "bystander")])
def test_out_of_range_harm_type_or_role_is_rejected(harm_type: str | None, role: str | None) -> None:
    with pytest.raises(InvalidValue, match="allowed values"):
        assess(harm_type=harm_type, target_role=role)


# ELE routing (R17): process issues go to the election-process queue, never to the JOC.


@pytest.mark.parametrize(
    ("category", "option", "queue"),
    [
        ("ELE", 4, ELECTION_PROCESS_QUEUE),
        ("ELE", 5, ELECTION_PROCESS_QUEUE),
        ("ELE", "4", ELECTION_PROCESS_QUEUE),
        ("ATK", 5, ELECTION_PROCESS_QUEUE),
        ("ELE", None, ELECTION_PROCESS_QUEUE),  # ELE kept as category = no harm
        ("ELE", 1, ELECTION_PROCESS_QUEUE),
        ("ATK", 1, TRIAGE_QUEUE),
        ("SXV", 2, TRIAGE_QUEUE),
        ("THR", "3", TRIAGE_QUEUE),
        ("FIG", None, TRIAGE_QUEUE),
        ("ATK", "", TRIAGE_QUEUE),
    ],
)
def test_election_process_issues_route_away_from_triage_and_the_joc(
    category: str, option: int | str | None, queue: str
) -> None:
    assert election_queue(category, option) == queue


@pytest.mark.parametrize("option", [0, 6, "x", "9"])
def test_an_unknown_sub_menu_option_is_rejected(option: int | str) -> None:
    with pytest.raises(InvalidValue, match="1, 2, 3, 4, 5"):
        election_queue("ELE", option)


# The ELE sub-menu answer (DOMAIN.md §3.4, R17).


@pytest.mark.parametrize(("option", "target"), [(1, "voter"), ("2", "candidate"), (3, "election_official")])
def test_ele_options_one_to_three_are_likely_vawe_against_the_named_woman(
    option: int | str, target: str
) -> None:
    answer = ele_menu_answer(option)
    assert (answer.category, election_queue(answer.category, option)) == ("THR", "triage")
    assert answer.flags["women_target_type"] == target
    assert (answer.flags["vawe"], answer.flags["vawe_evidence"]) == ("likely", "E3")


@pytest.mark.parametrize("option", [4, "5"])
def test_ele_options_four_and_five_go_to_the_election_process_queue(option: int | str) -> None:
    answer = ele_menu_answer(option)
    assert (answer.category, election_queue(answer.category, option)) == ("ELE", "election_process")
    assert "vawe" not in answer.flags


@pytest.mark.parametrize("option", [0, 6, "x"])
def test_an_unknown_ele_option_is_refused(option: int | str) -> None:
    with pytest.raises(InvalidValue, match="ELE sub-menu option"):
        ele_menu_answer(option)
