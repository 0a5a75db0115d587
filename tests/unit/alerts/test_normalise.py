from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from alerts.triage.normalise import (
    DEFAULT_ABBREVIATIONS,
    Abbreviation,
    Abbreviations,
    build_abbreviations,
    load_abbreviations,
    normalise_report,
)

pytestmark = pytest.mark.unit
ABBREVIATIONS = load_abbreviations()
NONE = build_abbreviations({})


def text(raw: str, abbreviations: Abbreviations = ABBREVIATIONS) -> str:
    return normalise_report(raw, abbreviations).text


# R11: each letter mapping.
@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("é", "e"),
        ("è", "e"),
        ("ê", "e"),
        ("à", "a"),
        ("â", "a"),
        ("ç", "c"),
        ("ɛ", "e"),
        ("ɔ", "o"),
        ("ɲ", "ny"),
        ("ŋ", "ng"),
        ("Ɛ", "e"),
        ("Ɔ", "o"),
        ("Ɲ", "ny"),
        ("Ŋ", "ng"),
        ("É", "e"),
        ("Ç", "c"),
        ("e\u0301", "e"),  # decomposed accent
    ],
)
def test_each_letter_mapping_of_r11(raw: str, normal: str) -> None:
    assert text(f"x{raw}x") == f"x{normal}x"


def test_french_and_bambara_words_lose_accents_and_special_letters() -> None:
    assert text("Enlèvement à Bangui, ça brûle") == "enlevement a bangui ca brule"
    assert text("Sɔgɔma ɲɛ ŋaa") == "sogoma nye ngaa"


# R11: each Arabizi digit, canonical Latin form shared with geo.placenames (ʿayn and hamza dropped).
@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("2amn", "amn"),  # 2 = ء (hamza), dropped
        ("su2al", "sual"),
        ("3askar", "askar"),  # 3 = ع (ʿayn), dropped
        ("ma3ak", "maak"),
        ("3'arb", "gharb"),  # 3' = غ
        ("fara3'", "faragh"),
        ("5alas", "khalas"),  # 5 = خ
        ("7'alas", "khalas"),  # 7' = خ
        ("7aram", "haram"),  # 7 = ح
        ("sa7", "sah"),
        ("6ayyara", "tayyara"),  # 6 = ط
        ("9aba7", "sabah"),  # 9 = ص
        ("3'", "3"),  # no letter: a number, the apostrophe is punctuation
    ],
)
def test_each_arabizi_digit_of_r11(raw: str, normal: str) -> None:
    assert text(raw) == normal


def test_arabizi_in_a_sentence_with_other_words() -> None:
    assert text("Fi 3askar kteer 2odam el beit") == "fi askar kteer odam el beit"


@pytest.mark.parametrize(
    "raw",
    [
        *("2", "12", "3", "7", "kilo5", "pk12", "rn5", "km7", "5h", "15h30", "10km"),
        *("2e", "3eme", "1er", "2nd", "7j", "2 kaga bandoro", "kilo 5", "pk 12"),
    ],
)
def test_numbers_codes_and_numbered_places_are_kept(raw: str) -> None:
    assert text(raw) == raw


def test_structured_report_keeps_its_menu_digit_and_place() -> None:
    result = normalise_report("2 Kaga Bandoro", ABBREVIATIONS)
    assert result.tokens == ("2", "kaga", "bandoro")
    assert text("SXV 3 hommes armés PK 12 à 5h") == "sxv 3 hommes armes pk 12 a 5h"


def test_pk_is_pourquoi_unless_a_number_follows() -> None:
    assert text("pk tu viens pas") == "pourquoi tu viens pas"
    assert text("pk 12") == "pk 12"


# R12: one test per configured entry, generated from the data file.
ENTRIES = ABBREVIATIONS.entries


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.language}-{e.short}" for e in ENTRIES])
def test_each_configured_abbreviation_is_expanded(entry: Abbreviation) -> None:
    assert text(entry.short) == entry.expansion
    assert text(f"ok {entry.short.upper()}, ok") == f"ok {entry.expansion} ok"
    assert entry.source


def test_every_entry_of_the_data_file_is_loaded_and_tested() -> None:
    with DEFAULT_ABBREVIATIONS.open("rb") as handle:
        raw = tomllib.load(handle)
    in_file = {(lang, short) for lang, table in raw.items() for short in table.get("entries", {})}
    assert {(e.language, e.short) for e in ENTRIES} == in_file
    required = {"slt", "bjr", "stp", "pr", "ds", "qd", "bcp", "c", "ke", "kel", "pk", "jsp"}
    assert required <= {e.short for e in ENTRIES if e.language == "fr"}


def test_shipped_abbreviations_have_no_problems_and_folded_expansions() -> None:
    assert ABBREVIATIONS.problems == ()
    assert ABBREVIATIONS.languages == ("fr", "en", "sw", "pga")
    stp = next(e for e in ENTRIES if e.short == "stp")
    assert stp.expansion == "s'il te plait"
    assert all(e.expansion.isascii() for e in ENTRIES)


def test_abbreviations_of_one_language_only() -> None:
    french = load_abbreviations(languages=["FR"])
    assert french.languages == ("fr",)
    assert text("slt u", french) == "salut u"
    with pytest.raises(ValueError, match="xx"):
        load_abbreviations(languages=["xx"])


def test_ambiguous_abbreviation_is_a_problem_and_is_not_expanded(tmp_path: Path) -> None:
    data = tmp_path / "abbr.toml"
    data.write_text(
        '[fr]\nsource = "t"\n[fr.entries]\nbr = "bonne route"\nmsg = "message"\n'
        '[en]\nsource = "t"\n[en.entries]\nbr = "bedroom"\nmsg = "message"\n',
        encoding="utf-8",
    )
    loaded = load_abbreviations(data)
    assert len(loaded.problems) == 1
    assert "'br'" in loaded.problems[0]
    assert "bonne route" in loaded.problems[0]
    assert "bedroom" in loaded.problems[0]
    assert text("br msg", loaded) == "br message"  # the same meaning in two languages is fine
    assert load_abbreviations(data, languages=["fr"]).problems == ()


def test_expansion_containing_an_abbreviation_is_a_problem() -> None:
    loaded = build_abbreviations({"en": {"source": "t", "entries": {"r": "are", "ru": "r u"}}})
    assert loaded.problems == ("expansion 'r u' of en.ru contains an abbreviation",)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"fr": {"entries": {"slt": "salut"}}}, "source"),
        ({"fr": {"source": "t", "entries": {"slt": ""}}}, "expansion"),
        ({"fr": {"source": "t", "entries": {"Slt": "salut"}}}, "normalised"),
        ({"fr": {"source": "t", "entries": {"sllt": "salut", "slllt": "salut"}}}, "normalised"),
    ],
)
def test_malformed_data_fails_loudly(raw: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_abbreviations(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("plzzzz", "please"),
        ("viiiite", "vite"),
        ("aidezzzz nouuuus", "aidez nous"),
        ("attaque", "attaque"),  # doubles are kept
        ("sltttt", "salut"),
    ],
)
def test_letters_repeated_three_times_or_more_become_one(raw: str, normal: str) -> None:
    assert text(raw) == normal


def test_mixed_french_and_lingala_with_abbreviations_of_every_language() -> None:
    result = normalise_report("Slt, je passerai chez toi avant nakende bilanga pls", ABBREVIATIONS)
    assert result.text == "salut je passerai chez toi avant nakende bilanga please"


def test_juba_arabic_in_latin_script_is_only_lowercased() -> None:
    result = normalise_report("askari kutir fi Bentiu", ABBREVIATIONS)
    assert result.tokens == ("askari", "kutir", "fi", "bentiu")


def test_swahili_and_french_in_one_message() -> None:
    assert text("cjui kama ni vrai, c grave") == "sijui kama ni vrai c'est grave"


def test_tokens_split_at_elision_and_punctuation_without_spaces() -> None:
    result = normalise_report("L’armée est là!Ils ont pris 2 filles,stp", ABBREVIATIONS)
    assert result.text == "l'armee est la ils ont pris 2 filles s'il te plait"
    assert result.tokens[:4] == ("l", "armee", "est", "la")
    assert result.tokens[-4:] == ("s", "il", "te", "plait")


@pytest.mark.parametrize(
    "raw",
    ["هجومٌ على القرية", "رجال مسلحون في كيلو ٥", "ههههه", "أمن آمن إلى مدرسة"],
)
def test_arabic_script_is_untouched_except_nfkc(raw: str) -> None:
    assert normalise_report(raw, ABBREVIATIONS).tokens == tuple(unicodedata.normalize("NFKC", raw).split())


def test_arabic_presentation_forms_are_folded_by_nfkc_only() -> None:
    assert text("ﻫﺠﻮﻡ") == "هجوم"


def test_empty_and_punctuation_only_texts() -> None:
    assert normalise_report("", ABBREVIATIONS).tokens == ()
    assert normalise_report(" ?!… ,", ABBREVIATIONS).text == ""


def test_without_abbreviations_the_words_are_kept() -> None:
    assert text("slt stp", NONE) == "slt stp"


_ALPHABET = st.sampled_from(
    [*"aeiouzsct 23579'’éɛɔɲŋ.,!-_\u0301\u064eAZ0", "هج", "3'", "7'", "pk", "slt", "c"]
)


@settings(max_examples=400)
@given(st.text() | st.lists(_ALPHABET, max_size=30).map("".join))
@example("pk 12 pk")
@example("c c'est")
@example("ﷺ ǅ ﬃ İ")
def test_normalising_never_raises_and_is_idempotent(raw: str) -> None:
    once = normalise_report(raw, ABBREVIATIONS)
    assert normalise_report(once.text, ABBREVIATIONS) == once
    assert all(once.tokens)
    assert "  " not in once.text
