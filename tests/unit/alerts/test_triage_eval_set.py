"""The labelled evaluation set for the triage classifier (tests/data/triage_eval.jsonl).

The file is data: one report per line with the category, priority and flags a reviewer would give it
(DOMAIN.md §2.3, §2.4, §3.4, §4.1). These tests keep it well-formed and internally consistent so
that a broken or contradictory entry fails CI before it skews a classifier score.

Conventions of the file:
- ``vawe_evidence`` is the confidence of the VAWE flag: ``none`` when ``vawe`` is ``no``, ``E1``
  for ``possible``, ``E2``/``E3`` for ``likely``. Election words without harm still set
  ``election_related``; they do not raise ``vawe_evidence``.
- ``calendar_window`` is true exactly when ``received_at`` falls inside the electoral window of
  ``ELECTORAL_WINDOWS`` for that country (polling − 60 days … polling + 90 days, the §3.4 defaults).
  Entries inside a window name it in their notes.
- ``notes`` start with ``R15 near-miss (<kind>)`` for the negative cases of R15, and TEN entries
  that are rumours say ``rumour``.
- ``category_hint`` is present exactly when the text is a structured share ("2 Bambari",
  "SXV Rubkona now"); an ELE share keeps the ELE hint and stores the harm category (§2.3).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.triage.taxonomy import load_taxonomy, parse_structured
from alerts.vocabulary import PRIORITIES

pytestmark = pytest.mark.unit

EVAL_SET = Path(__file__).resolve().parents[2] / "data" / "triage_eval.jsonl"
TAXONOMY = load_taxonomy()

LANGUAGES = {"en", "fr", "ar", "pga", "sw", "ln", "sg", "mixed"}
CHANNELS = {"sms", "whatsapp", "ussd"}
COUNTRIES = {"SS", "CF", "CD", "ML", "SD", "LB"}
VAWE = {"no", "possible", "likely"}
EVIDENCE = {"none", "E1", "E2", "E3"}
HARM_TYPES = {"physical", "sexual", "psychological", "threat_coercion", "economic", "online"}
TIME_CLASSES = {"happening_now", "today", "yesterday", "earlier"}
HARM_CATEGORIES = {"ATK", "SXV", "ABD", "THR", "LOT", "FIG", "MOB"}
"""§3.4: harm = one of these categories, PRO with force, or any harm_type."""

ELECTORAL_WINDOWS = {
    "CD": date(2023, 12, 20),  # general elections
    "CF": date(2025, 12, 28),  # combined presidential, legislative and local elections
    "SS": date(2026, 12, 22),  # general elections as scheduled
    "LB": date(2025, 5, 24),  # municipal elections, South Lebanon phase
    "ML": date(2023, 6, 18),  # constitutional referendum
}
"""Polling dates; the window is polling − 60 days … polling + 90 days (DOMAIN.md §3.4 defaults)."""

MINIMA = {
    "lines": 400,
    "per_category": 15,
    "SXV": 35,
    "ATK": 30,
    "ARM": 30,
    "FIG": 30,
    "THR": 30,
    "ABD": 30,
    "OTH": 30,
    "rumours": 20,
    "likely": 40,
    "possible": 15,
    "near_miss": 40,
    "near_miss_kind": 8,
    "fr": 120,
    "en": 120,
    "ar": 40,
    "pga": 40,
    "mixed": 40,
    "other_african": 10,
}
NEAR_MISS_KINDS = (
    "election, no harm",
    "harm, no woman",
    "harm + woman, no election",
    "calendar, no harm",
)
TOP_LEVEL_KEYS = {
    "id",
    "text",
    "language",
    "channel",
    "received_at",
    "country",
    "category_hint",
    "calendar_window",
    "expected",
    "notes",
}


def _load() -> list[dict[str, Any]]:
    entries = []
    for number, line in enumerate(EVAL_SET.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"line {number} is blank"
        entry = json.loads(line)
        assert isinstance(entry, dict), f"line {number} is not a JSON object"
        entries.append(entry)
    return entries


ENTRIES = _load()


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("id")) for e in entries]


def _received(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["received_at"].replace("Z", "+00:00"))


def _in_window(entry: dict[str, Any]) -> bool:
    polling = ELECTORAL_WINDOWS.get(entry["country"])
    if polling is None:
        return False
    day = _received(entry).date()
    return polling - timedelta(days=60) <= day <= polling + timedelta(days=90)


def _is_harm(entry: dict[str, Any]) -> bool:
    expected = entry["expected"]
    return expected["category"] in HARM_CATEGORIES or "harm_type" in expected["flags"]


def _near_miss_kind(entry: dict[str, Any]) -> str | None:
    notes: str = entry["notes"]
    if not notes.startswith("R15 near-miss ("):
        return None
    return notes[len("R15 near-miss (") :].split(")", 1)[0]


def test_at_least_400_entries_with_unique_ids_and_texts() -> None:
    assert len(ENTRIES) >= MINIMA["lines"]
    ids = _ids(ENTRIES)
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    texts = [e["text"].strip().casefold() for e in ENTRIES]
    assert len(set(texts)) == len(texts), [t for t, n in Counter(texts).items() if n > 1]
    assert all(i.startswith("ev-") and i[3:].isdigit() for i in ids)


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_entry_is_well_formed(entry: dict[str, Any]) -> None:
    assert set(entry) <= TOP_LEVEL_KEYS
    assert TOP_LEVEL_KEYS - {"category_hint"} <= set(entry)
    assert isinstance(entry["text"], str)
    assert entry["text"].strip()
    assert entry["language"] in LANGUAGES
    assert entry["channel"] in CHANNELS
    assert entry["country"] in COUNTRIES
    assert entry["received_at"].endswith("Z")
    assert _received(entry).utcoffset() == timedelta(0)
    assert isinstance(entry["calendar_window"], bool)
    assert isinstance(entry["notes"], str)
    assert entry["notes"].strip()

    expected = entry["expected"]
    assert set(expected) == {"category", "priority", "flags", "vawe_evidence"}
    assert expected["category"] in TAXONOMY.categories
    assert expected["priority"] in PRIORITIES
    assert expected["vawe_evidence"] in EVIDENCE
    flags = expected["flags"]
    assert {"vawe", "election_related", "women_targeted"} <= set(flags)
    assert set(flags) <= {"vawe", "election_related", "women_targeted", "harm_type", "time_reported_class"}
    assert flags["vawe"] in VAWE
    assert isinstance(flags["election_related"], bool)
    assert isinstance(flags["women_targeted"], bool)
    assert flags.get("harm_type", "physical") in HARM_TYPES
    assert flags.get("time_reported_class", "today") in TIME_CLASSES


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_structured_share_matches_its_hint(entry: dict[str, Any]) -> None:
    parsed = parse_structured(entry["text"], TAXONOMY)
    hint = entry.get("category_hint")
    if hint is None:
        assert parsed is None, "free text must not read as a structured share; add a category_hint"
        return
    assert parsed is not None
    assert parsed[0].code == hint
    category = entry["expected"]["category"]
    if hint == "ELE":
        assert entry["expected"]["flags"]["election_related"]
        assert category == "ELE" or _is_harm(entry)
    else:
        assert category == hint


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_vawe_follows_the_rule_of_section_3_4(entry: dict[str, Any]) -> None:
    expected = entry["expected"]
    flags = expected["flags"]
    harm, woman, election = _is_harm(entry), flags["women_targeted"], flags["election_related"]
    assert entry["calendar_window"] == _in_window(entry), "calendar_window disagrees with received_at"

    if harm and woman and election:
        rule = "likely"
    elif harm and woman and entry["calendar_window"]:
        rule = "possible"
    else:
        rule = "no"
    assert flags["vawe"] == rule

    if rule == "likely":
        assert expected["vawe_evidence"] in {"E2", "E3"}
        category = expected["category"]
        assert category in HARM_CATEGORIES or (category == "PRO" and "harm_type" in flags)
    elif rule == "possible":
        assert expected["vawe_evidence"] == "E1"
        assert entry["calendar_window"]
        assert expected["category"] in HARM_CATEGORIES
    else:
        assert expected["vawe_evidence"] == "none"

    if expected["category"] == "ELE":
        assert election, "ELE stays primary only for election-process issues (§2.3)"
        assert not harm, "an ELE share with harm is stored under the harm category (§2.3)"


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_near_misses_are_labelled_no_and_match_their_kind(entry: dict[str, Any]) -> None:
    kind = _near_miss_kind(entry)
    if kind is None:
        return
    assert kind in NEAR_MISS_KINDS
    flags = entry["expected"]["flags"]
    assert flags["vawe"] == "no"
    harm = _is_harm(entry)
    if kind == "election, no harm":
        assert flags["election_related"]
        assert not harm
    elif kind == "harm, no woman":
        assert harm
        assert not flags["women_targeted"]
    elif kind == "harm + woman, no election":
        assert harm
        assert flags["women_targeted"]
        assert not flags["election_related"]
        assert not entry["calendar_window"]
    else:
        assert entry["calendar_window"]
        assert not harm
        assert not flags["election_related"]


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_priority_follows_section_4_1(entry: dict[str, Any]) -> None:
    expected = entry["expected"]
    category, priority = expected["category"], expected["priority"]
    time_class = expected["flags"].get("time_reported_class")
    if category == "PCE":
        assert priority == "P4"
    else:
        assert priority != "P4", "P4 is for peace and positive signals only"
    if time_class == "happening_now" and category in {"ATK", "SXV", "ABD", "FIG"}:
        assert priority == "P1", "ongoing ATK/SXV/ABD/FIG is P1"
    if time_class == "earlier" and category in {"ATK", "SXV", "FIG", "MOB", "LOT"}:
        assert priority == "P3", "past incidents (> 24 h) are P3"
    if category in {"ELE", "OTH"}:
        assert priority == "P3"
    if category == "DSP":
        assert priority in {"P2", "P3"}
    if category == "MOV":
        assert priority in {"P2", "P3"}


def test_distribution_minima() -> None:
    categories = Counter(e["expected"]["category"] for e in ENTRIES)
    for code in TAXONOMY.categories:
        assert categories[code] >= MINIMA["per_category"], (code, categories[code])
    for code in ("SXV", "ATK", "ARM", "FIG", "THR", "ABD", "OTH"):
        assert categories[code] >= MINIMA[code], (code, categories[code])

    rumours = [e for e in ENTRIES if e["expected"]["category"] == "TEN" and "rumour" in e["notes"]]
    assert len(rumours) >= MINIMA["rumours"]

    vawe = Counter(e["expected"]["flags"]["vawe"] for e in ENTRIES)
    assert vawe["likely"] >= MINIMA["likely"]
    assert vawe["possible"] >= MINIMA["possible"]
    evidence = Counter(e["expected"]["vawe_evidence"] for e in ENTRIES)
    assert evidence["E2"] >= 1
    assert evidence["E3"] >= 1

    kinds = Counter(_near_miss_kind(e) for e in ENTRIES)
    assert sum(n for k, n in kinds.items() if k) >= MINIMA["near_miss"]
    for kind in NEAR_MISS_KINDS[:3]:
        assert kinds[kind] >= MINIMA["near_miss_kind"], (kind, kinds[kind])
    assert kinds[NEAR_MISS_KINDS[3]] >= 1

    languages = Counter(e["language"] for e in ENTRIES)
    for language in ("fr", "en", "ar", "pga", "mixed"):
        assert languages[language] >= MINIMA[language], (language, languages[language])
    assert all(languages[language] > 0 for language in ("sw", "ln", "sg"))
    assert languages["sw"] + languages["ln"] + languages["sg"] >= MINIMA["other_african"]

    assert set(Counter(e["expected"]["priority"] for e in ENTRIES)) == set(PRIORITIES)
    assert set(Counter(e["country"] for e in ENTRIES)) == COUNTRIES
    assert set(Counter(e["channel"] for e in ENTRIES)) == CHANNELS


def test_sexual_violence_includes_euphemisms_without_explicit_words() -> None:
    explicit = ("rape", "raped", "viol", "sexual", "sexuel", "wamewabaka", "ghasabu", "اغتصب")
    sxv = [e for e in ENTRIES if e["expected"]["category"] == "SXV" and "category_hint" not in e]
    implicit = [e for e in sxv if not any(word in e["text"].casefold() for word in explicit)]
    assert len(implicit) >= 15


def test_arabic_script_entries_contain_arabic_and_arabizi_entries_use_digit_letters() -> None:
    for entry in ENTRIES:
        has_arabic = any("\u0600" <= ch <= "\u06ff" for ch in entry["text"])
        assert has_arabic == (entry["language"] == "ar"), entry["id"]
    arabizi = [
        e for e in ENTRIES if e["language"] in {"pga", "mixed"} and any(d in e["text"] for d in "23579")
    ]
    assert len(arabizi) >= 15
