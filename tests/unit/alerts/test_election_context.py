"""Election flags need an electoral context (#17 class 6); unknown countries fail; evidence is capped.

``election_related`` (and ``election_tag``, and an electoral ``women_target_type``) holds only with
election words, an ELE answer, or an electoral role inside an electoral window. Party and movement
names ("SPLM", "MPC") and armed "militants" are conflict vocabulary, not election evidence.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache

import pytest

from alerts.triage.classify import (
    MAX_EVIDENCE_SPANS,
    Classifier,
    UnknownCountry,
    build_classifier,
    configured_countries,
)
from alerts.triage.elections import parse_calendars
from alerts.triage.taxonomy import load_taxonomy

NON_ELECTORAL = [
    "SPLA-IO militants attacked Leer",
    "SPLM soldiers looted the market in Yei",
    "SPLM-IO forces clashed with SSPDF near Nasir",
    "Militants ambushed a convoy on the Juba-Nimule road",
    "Islamist militants killed 12 villagers near Menaka",
    "Militia supporters burned houses in Bambari",
    "Supporters of the armed group blocked the bridge",
    "UN monitors reported shelling in Malakal",
    "Observers said gunmen opened fire on the cattle camp",
    "The party headquarters of the armed movement was attacked by rebels",
    "Anti-balaka militants abducted two women near Bossangoa",
    "Ex-Seleka fighters attacked a church in Alindao",
    "The military campaign against the rebels displaced 3,000 people",
    "Results of the attack: five dead and ten wounded",
    "Witnesses said soldiers raped a woman in Kajo Keji",
    "A clerk at the health centre was beaten by soldiers",
    "Humanitarian bulletin: armed men looted the NGO compound",
    "UPC militants killed a trader near Bria",
    "Les militants de l'UPC ont attaque le village",
    "Des miliciens ont pille le marche de Kaga Bandoro",
    "Les militants armes ont enleve deux filles",
    "Selon des temoins, les rebelles ont tire sur les civils",
    "Bulletin humanitaire : affrontements entre le MPC et les FACA",
    "Les partisans du groupe arme ont incendie des maisons",
    "Les militants du parti ont ete arretes par la police",
    "Des observateurs signalent des combats a Kouki",
    "Le FPRC a attaque une patrouille de la MINUSCA",
    "Des hommes armes ont tue trois civils pres de Bangassou",
    "Les militants islamistes ont attaque un poste militaire a Tessit",
    "La campagne militaire contre les rebelles a deplace des milliers de personnes",
    "Resultats de l'attaque : cinq morts et dix blesses",
    "UNHCR registered 500 refugees after the fighting in Renk",
    "Women supporters of the party were beaten by youths",
]
"""Conflict reports with no election word, read outside any electoral window. "Les militants du
parti ont ete arretes" is here on purpose: party members arrested is political repression, not an
election, unless the words or the calendar say an election is on (see the window test below)."""

ELECTORAL = [
    "Soldiers beat voters at the polling station in Juba",
    "A woman candidate was threatened during the campaign in Yei",
    "Ballot boxes were burned in Bor after the election",
    "Armed men attacked an NEC registration centre",
    "Party agents were chased from the polling centre",
    "Des hommes armes ont menace les electeurs au bureau de vote",
    "Une candidate aux elections a ete agressee a Bangui",
    "Les urnes ont ete brulees pendant le depouillement",
    "Violences pendant la campagne electorale a Bimbo",
    "They stopped the vote counting and beat the women observers",
    "Les resultats provisoires ont provoque des violences a Bangui",
]


@cache
def classifier() -> Classifier:
    return build_classifier("SS", load_taxonomy(), ("CF",))


def windowed() -> Classifier:
    polling = date(2026, 12, 22)
    return replace(
        classifier(),
        calendars=parse_calendars({"elections": [{"id": "t", "country": "SS", "polling": polling}]}),
    )


@pytest.mark.parametrize("text", NON_ELECTORAL)
def test_conflict_reports_are_not_election_related(text: str) -> None:
    flags = classifier()(text, country="SS").flags
    assert (flags["election_related"], flags["election_tag"]) == (False, None), text
    assert flags["vawe"] == "no"
    assert flags["women_target_type"] not in {
        "candidate",
        "election_official",
        "observer",
        "party_supporter",
        "voter",
    }


@pytest.mark.parametrize("text", ELECTORAL)
def test_reports_with_election_words_are_election_related(text: str) -> None:
    flags = classifier()(text, country="SS").flags
    assert (flags["election_related"], flags["election_tag"]) == (True, "election_related"), text


def test_an_electoral_role_counts_inside_an_electoral_window_only() -> None:
    text = "Women supporters of the party were beaten by youths"
    inside = windowed()(text, country="SS", received_at=datetime(2026, 12, 1, tzinfo=UTC))
    outside = windowed()(text, country="SS", received_at=datetime(2026, 3, 1, tzinfo=UTC))
    assert (inside.flags["election_related"], inside.flags["women_target_type"]) == (True, "party_supporter")
    assert (inside.flags["vawe"], inside.vawe_evidence) == ("likely", "E2")
    assert (outside.flags["election_related"], outside.flags["women_target_type"]) == (False, None)
    assert outside.flags["vawe"] == "no"


def test_a_window_alone_without_an_electoral_role_is_not_election_related() -> None:
    result = windowed()(
        "SPLM soldiers looted the market in Yei", country="SS", received_at=datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert result.flags["electoral_phase"] == "campaign"
    assert result.flags["election_related"] is False


def test_an_ele_code_is_election_related_without_election_words() -> None:
    assert classifier()("men beat women in the market", category_hint="ELE", country="SS").flags[
        "election_related"
    ]


# Countries ----------------------------------------------------------------------------------------


def test_the_deployment_countries_are_configured() -> None:
    assert {"SS", "CF", "CD", "ML", "SD", "LB"} <= set(configured_countries())


def test_build_classifier_refuses_an_unconfigured_country() -> None:
    with pytest.raises(UnknownCountry, match=r"'ZZ'.*configured countries: .*CF.*SS"):
        build_classifier("ZZ", load_taxonomy())


def test_the_cli_exits_2_naming_the_configured_countries() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "alerts.triage.classify", "--country", "zz"],
        input='{"id": 1, "text": "gunfire"}\n',
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "--country ZZ" in done.stderr
    assert "CF, CD" not in done.stderr  # sorted: CD, CF, ..., SS
    assert "CD, CF" in done.stderr
    assert "SS" in done.stderr
    assert done.stdout == ""


# Evidence ------------------------------------------------------------------------------------------


def test_evidence_lists_are_capped_but_scores_count_every_match() -> None:
    result = classifier()(" ".join(["looted"] * 25 + ["woman", "women", "lady"] * 6), country="SS")
    assert len(result.evidence["LOT"]) == MAX_EVIDENCE_SPANS
    assert result.scores["LOT"] >= 25
    assert all(len(spans) <= MAX_EVIDENCE_SPANS for spans in result.evidence.values())
