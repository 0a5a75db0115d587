"""Issue #17, first slice: structured vs free text decided first, sexual violence never outvoted,
and the action words that scored nothing (alerts.triage.classify)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from alerts.triage.classify import Classification, Lexicons, classify, load_lexicons, read_structured
from alerts.triage.normalise import load_abbreviations
from alerts.triage.taxonomy import load_taxonomy
from bench.triage import ucdp

pytestmark = pytest.mark.unit

TAXONOMY = load_taxonomy()
ABBREVIATIONS = load_abbreviations()


@cache
def lexicons(country: str = "CF") -> Lexicons:
    return load_lexicons(country, taxonomy=TAXONOMY, abbreviations=ABBREVIATIONS)


def run(text: str, country: str = "CF") -> Classification:
    return classify(text, lexicons=lexicons(country), taxonomy=TAXONOMY, abbreviations=ABBREVIATIONS)


def structured(text: str) -> tuple[str, str] | None:
    parsed = read_structured(text, taxonomy=TAXONOMY, lexicons=lexicons(), abbreviations=ABBREVIATIONS)
    return (parsed[0].code, parsed[1]) if parsed else None


# 1. Structured vs free text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "rest"),
    [
        ("5 Bentiu", "THR", "Bentiu"),
        ("SXV Yei", "SXV", "Yei"),
        ("2 Kaga Bandoro", "SXV", "Kaga Bandoro"),
        ("2 Kaga Bandoro quartier Bac hier soir", "SXV", "Kaga Bandoro quartier Bac hier soir"),
        ("ABD Kajo Keji 2 girls yesterday", "ABD", "Kajo Keji 2 girls yesterday"),
        ("LOT Rumbek cattle", "LOT", "Rumbek cattle"),
        ("0*1 Bor", "MOV", "Bor"),
        ("ATK Juba they are shooting at the market now", "ATK", "Juba they are shooting at the market now"),
        ("ATK", "ATK", ""),
    ],
)
def test_a_code_followed_by_a_place_is_structured(text: str, code: str, rest: str) -> None:
    assert structured(text) == (code, rest)


@pytest.mark.parametrize(
    "text",
    [
        "5 girls raped by armed men",  # another category's word: a sentence
        "2 people were killed in Bambari",  # prose function words
        "3 women raped near Bria",
        "Ten civilians were killed",
        "Pro-government militia attacked civilians",
        "4 men came to our village at night and took the goats",  # longer than a place
        "hello there",  # no code at all
    ],
)
def test_a_sentence_starting_with_a_number_or_code_like_word_is_free_text(text: str) -> None:
    assert structured(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("5 girls raped by armed men", "SXV"),
        ("2 people were killed in Bambari", "ATK"),
        ("3 women raped near Bria", "SXV"),
        ("Ten civilians were killed", "ATK"),
        ("Pro-government militia attacked civilians", "ATK"),
    ],
)
def test_free_text_is_decided_by_its_words_not_its_first_token(text: str, category: str) -> None:
    result = run(text)
    assert (result.category, result.flags["structured"]) == (category, False)


@pytest.mark.parametrize(
    ("text", "category"), [("5 Bentiu", "THR"), ("SXV Yei", "SXV"), ("2 Kaga Bandoro", "SXV")]
)
def test_structured_messages_keep_their_code(text: str, category: str) -> None:
    result = run(text, "SS")
    assert (result.category, result.flags["structured"]) == (category, True)
    assert result.body == text.split(maxsplit=1)[1]


def test_a_ussd_answer_decides_whatever_the_text() -> None:
    result = classify(
        "Bria", lexicons=lexicons(), taxonomy=TAXONOMY, abbreviations=ABBREVIATIONS, category_hint="MOB"
    )
    assert (result.category, result.flags["structured"]) == ("MOB", True)


# 2. Sexual violence never outvoted -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "harms"),
    [
        ("armed men abducted, kidnapped and took away two women and raped one", ["SXV", "ABD"]),
        ("they beat, whipped and stabbed a woman and raped her, she is bleeding", ["SXV", "ATK"]),
        ("des hommes armes ont enleve et sequestre deux femmes, ils ont viole une", ["SXV", "ABD"]),
        ("gunmen killed three men, burned and looted the village and raped a girl", ["SXV", "ATK", "LOT"]),
    ],
)
def test_sexual_violence_is_never_outvoted_and_other_harms_stay_visible(text: str, harms: list[str]) -> None:
    result = run(text)
    assert result.category == "SXV"
    assert result.flags["harms"] == harms
    assert result.flags["sexual_violence_cue"] is False  # the category itself says it


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("they beat him badly but no one was raped", "ATK"),  # negated
        ("des inconnus ont menace la candidate: on va te violer", "THR"),  # a threat of rape
        ("men threatened to rape her if she goes to the market", "THR"),
        ("a soldier touched her at the checkpoint and beat her", "ATK"),  # weak, euphemistic
    ],
)
def test_denied_threatened_or_weak_sexual_words_raise_the_cue_not_the_category(
    text: str, category: str
) -> None:
    result = run(text)
    assert result.category == category
    assert result.flags["sexual_violence_cue"] is True


def test_harms_is_empty_for_a_report_that_shows_none() -> None:
    assert run("peace dialogue in the village today").flags["harms"] == []


# 3. Action words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("rebels ambushed an army patrol near Kaga Bandoro", "FIG"),
        ("they ambushed villagers on the road to Bria", "ATK"),
        ("soldiers opened fire on civilians at the market", "ATK"),
        ("soldiers opened fire near the river", "FIG"),
        ("soldiers and rebels exchanged fire all night", "FIG"),
        ("militia torched houses in the village", "LOT"),
        ("youths rioted in the market", "MOB"),
        ("women demonstrated against the killings", "PRO"),
        ("les rebelles ont tendu une embuscade a une patrouille", "FIG"),
        ("embuscade contre des commercants sur l axe", "ATK"),
        ("les deux groupes echangent des tirs depuis ce matin", "FIG"),
        ("emeutes au marche central", "MOB"),
        ("تبادل إطلاق النار في السوق", "FIG"),
        ("أعمال شغب في المدينة", "MOB"),
        ("تظاهروا أمام البلدية", "PRO"),
    ],
)
def test_action_words_score_for_the_category_their_target_implies(text: str, category: str) -> None:
    assert run(text).category == category


# The independent real set's scorer (bench/triage/ucdp.py) ------------------------------------------


def test_the_ucdp_scorer_counts_fighting_civilians_and_sexual_violence() -> None:
    rows = [
        {"type_of_violence": "1", "headline": "clashes in Bria", "category": "FIG", "cue": False},
        {"type_of_violence": "2", "headline": "fighting", "category": "ATK", "cue": False},
        {"type_of_violence": "3", "headline": "women raped in Bambari", "category": "SXV", "cue": False},
        {"type_of_violence": "3", "headline": "femmes violées a Bangassou", "category": "ATK", "cue": True},
        {"type_of_violence": "3", "headline": "monthly report", "category": "OTH", "cue": False},
    ]
    for row in rows:
        row["election_related"] = row["headline"] == "fighting"
    figures = ucdp.score(rows)
    assert figures["headlines"] == 5
    assert figures["fig_atk_accuracy"] == pytest.approx(3 / 5)
    assert (figures["decided"], figures["fig_atk_accuracy_decided"]) == (4, pytest.approx(3 / 4))
    assert (figures["sexual_headlines"], figures["sxv_recall"], figures["sxv_or_cue_recall"]) == (2, 0.5, 1.0)
    assert figures["election_related_share"] == pytest.approx(1 / 5)


def test_the_ucdp_evaluation_skips_cleanly_without_shared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ucdp.main(["--csv", str(tmp_path / "absent.csv")]) == 0
    assert "skipped" in capsys.readouterr().out
