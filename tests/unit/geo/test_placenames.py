from __future__ import annotations

import tomllib

import pytest

from geo.placenames import (
    PLACE_WORDS_FILE,
    build_place_words,
    find_place_spans,
    load_place_words,
    normalise_place,
    place_tokens,
)

pytestmark = pytest.mark.unit

WORDS = load_place_words()


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Kaga-Bandoro", "kaga bandoro"),
        ("Ségou", "segou"),
        ("  BENTIU,PoC ", "bentiu poc"),
        ("Kèrè Bêko", "kere beko"),
        ("Kâ Bà", "ka ba"),
        ("Çava", "cava"),
        ("sɛgɛ", "sege"),
        ("dɔgɔ", "dogo"),
        ("ɲɛnɛ", "nyene"),
        ("ŋaŋa", "nganga"),
        ("Ɛ Ɔ Ɲ Ŋ", "e o ny ng"),
    ],
)
def test_letters_and_accents_fold_as_r11_asks(raw: str, normal: str) -> None:
    assert normalise_place(raw) == normal


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("3askar", "askar"),  # 3 = ʿayn, which settlement lists do not write
        ("sa3dan", "sadan"),
        ("2urb", "urb"),  # 2 = hamza
        ("7ay", "hay"),  # 7 = ḥ
        ("5artum", "khartum"),  # 5 = kh
        ("7'artum", "khartum"),  # 7' = kh
        ("3'azal", "ghazal"),  # 3' = gh
        ("9abah", "sabah"),  # 9 = ṣ
        ("6ariq", "tariq"),  # 6 = ṭ
    ],
)
def test_arabizi_digits_inside_words_become_the_letters_gazetteers_write(raw: str, normal: str) -> None:
    assert normalise_place(raw) == normal


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("kilo 5", "kilo 5"),
        ("Kilo5", "kilo 5"),
        ("PK12", "pk 12"),
        ("Dimu 1", "dimu 1"),
        ("2nd street", "2 stret"),
        ("Sa`dan", "sadan"),
        ("Kading'etom", "kadingetom"),
        ("'Abi", "abi"),
        ("d'Obo", "d obo"),
        ("l'église", "l eglise"),
        ("N'gok", "ngok"),
        ("Mangalla", "mangala"),
        ("Aweeeil", "aweil"),
        ("BIL CENTRE_", "bil centre"),
        ("Mer Alath\nMer Alath", "mer alath mer alath"),
    ],
)
def test_numbers_apostrophes_and_repeated_letters(raw: str, normal: str) -> None:
    assert normalise_place(raw) == normal


def test_arabic_script_letter_variants_fold() -> None:
    assert normalise_place("أبيي") == normalise_place("ابيي")
    assert normalise_place("مدينة") == normalise_place("مدينه")
    assert normalise_place("مَلَكَال") == "ملكال"  # vowel marks dropped


def test_capitals_are_seen_only_in_mixed_case_text() -> None:
    assert place_tokens("armed men near Yei") == [
        ("armed", False),
        ("men", False),
        ("near", False),
        ("yei", True),
    ]
    assert all(not marked for _, marked in place_tokens("ARMED MEN NEAR YEI"))


def spans(text: str) -> dict[str, tuple[bool, bool]]:
    return {s.key: (s.near, s.core) for s in find_place_spans(text, WORDS).spans}


@pytest.mark.parametrize(
    "text",
    [
        "armed men near Yei",
        "shooting close to Yei",
        "next to the market of Yei",
        "behind Yei",
        "hommes armés près de Yei",
        "à côté de Yei",
        "coups de feu vers Yei",
        "route de Yei",
        "askar jamb Yei",
        "قرب Yei",
        "watu karibu na Yei",
    ],
)
def test_a_near_phrase_in_any_configured_language_marks_the_place(text: str) -> None:
    found = spans(text)
    assert found["yei"] == (True, True)
    assert find_place_spans(text, WORDS).near


@pytest.mark.parametrize("text", ["Yei market", "in Yei village", "Yei PoC", "SXV Yei they took two girls"])
def test_framing_words_do_not_make_a_place_near(text: str) -> None:
    assert spans(text)["yei"] == (False, True)
    assert not find_place_spans(text, WORDS).near


def test_framing_and_common_words_are_never_places_on_their_own() -> None:
    found = spans("armed men at the market in Yei")
    assert "market" not in found
    assert "armed" not in found
    assert "armed men" not in found
    assert found["market in yei"] == (False, False)  # looked up exactly, never fuzzily


def test_a_numbered_name_stays_whole() -> None:
    found = spans("checkpoint at kilo5 near Juba")
    assert "kilo 5" in found
    assert "kilo" not in found
    assert "5" not in found


def test_a_name_with_an_inner_framing_word_is_a_span() -> None:
    found = spans("near Juba Na Bari")
    assert found["juba na bari"] == (True, True)
    assert found["juba na"] == (True, False)


def test_spans_stop_at_a_near_phrase() -> None:
    found = spans("Yei near Morobo")
    assert "yei near morobo" not in found
    assert found["morobo"] == (True, True)
    assert found["yei"] == (False, True)


def test_place_words_can_be_limited_to_some_languages() -> None:
    french = load_place_words(("fr",))
    assert french.languages == ("fr",)
    assert ("pres", "de") in french.near
    assert ("jamb",) not in french.near
    assert find_place_spans("jamb Yei", french).near is False


def test_every_configured_phrase_normalises_to_something() -> None:
    with PLACE_WORDS_FILE.open("rb") as handle:
        table = tomllib.load(handle)
    assert set(table) == {"near", "filler", "common", "numbered"}
    for role, by_language in table.items():
        for language, entries in by_language.items():
            for entry in entries:
                assert normalise_place(entry), (role, language, entry)
    assert build_place_words(table).near == WORDS.near
