from __future__ import annotations

import dataclasses

import pytest

from channels.keywords import KINDS, Keyword, parse_keyword
from channels.messages import load_messages

pytestmark = pytest.mark.unit

MESSAGES = load_messages()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English
        ("HELP", Keyword("help")),
        ("help", Keyword("help")),
        ("  Help  ", Keyword("help")),
        ("help?", Keyword("help")),
        ("Info", Keyword("help")),
        ("STOP", Keyword("stop")),
        ("stop", Keyword("stop")),
        ("Stop!!!", Keyword("stop")),
        ("unsubscribe", Keyword("stop")),
        ("LANG fr", Keyword("language", "fr")),
        ("language   English", Keyword("language", "en")),
        ("Lang: ar", Keyword("language", "ar")),
        ("JOIN k7q2", Keyword("join", "K7Q2")),
        ("join  AB-12 ", Keyword("join", "AB-12")),
        # French
        ("AIDE", Keyword("help")),
        ("aide.", Keyword("help")),
        ("Aidé", Keyword("help")),
        ("ARRÊT", Keyword("stop")),
        ("arrête", Keyword("stop")),
        ("Arrêter", Keyword("stop")),
        ("arret", Keyword("stop")),
        ("LANGUE français", Keyword("language", "fr")),
        ("langue FR", Keyword("language", "fr")),
        ("Langue anglais", Keyword("language", "en")),
        ("rejoindre x9z", Keyword("join", "X9Z")),
        # Arabic
        ("مساعدة", Keyword("help")),
        ("مساعده", Keyword("help")),
        ("توقف", Keyword("stop")),
        ("إيقاف", Keyword("stop")),
        ("ايقاف", Keyword("stop")),
        ("قف!", Keyword("stop")),
        ("لغة عربي", Keyword("language", "ar")),
        ("اللغة العربية", Keyword("language", "ar")),
        ("لغة fr", Keyword("language", "fr")),
        ("انضم X9Z", Keyword("join", "X9Z")),
        # Swahili
        ("msaada", Keyword("help")),
        ("MSAADA", Keyword("help")),
        ("Saidia", Keyword("help")),
        ("acha", Keyword("stop")),
        ("ACHA.", Keyword("stop")),
        ("sitisha", Keyword("stop")),
        ("lugha sw", Keyword("language", "sw")),
        ("Lugha Kiswahili", Keyword("language", "sw")),
        ("jiunge abc123", Keyword("join", "ABC123")),
        # Sango (French keywords are common in written Sango)
        ("yanga sg", Keyword("language", "sg")),
        ("Yanga Sango", Keyword("language", "sg")),
        ("langue sango", Keyword("language", "sg")),
        # Panic: the data default
        ("MAMA", Keyword("panic")),
        ("mama", Keyword("panic")),
        (" Mama. ", Keyword("panic")),
    ],
)
def test_keyword_table(text: str, expected: Keyword) -> None:
    assert parse_keyword(text, MESSAGES) == expected


@pytest.mark.parametrize(
    "text",
    [
        "they did not stop shooting",
        "Stop the men at the road",
        "help us please, men with guns",
        "Mama and children fled",
        "aide humanitaire bloquée",
        "arrêt des tirs hier",
        "acha kupiga risasi",
        "4 market road",
        "STOP 4",
        "stop stop help",
        "",
        "   ",
        "...",
        "lang",  # no code
        "lang de",  # not a configured language
        "lang fr please",
        "langue",
        "join",  # no code
        "join a",  # too short to be a code
        "join ab cd",
        "join ab!cd",
        "mama mia",
    ],
)
def test_a_report_that_merely_contains_a_keyword_is_not_a_command(text: str) -> None:
    assert parse_keyword(text, MESSAGES) is None


def test_a_network_chooses_its_own_panic_word() -> None:
    assert parse_keyword("Nyanya", MESSAGES, panic_word="NYANYA") == Keyword("panic")
    assert parse_keyword("nyanya", MESSAGES, panic_word="Nyanya ") == Keyword("panic")
    assert parse_keyword("MAMA", MESSAGES, panic_word="NYANYA") is None
    assert parse_keyword("STOP", MESSAGES, panic_word="NYANYA") == Keyword("stop")


def test_a_panic_phrase_and_accents_are_folded() -> None:
    assert parse_keyword("Bonne journée", MESSAGES, panic_word="bonne journee") == Keyword("panic")


def test_the_panic_word_wins_a_clash_with_another_keyword() -> None:
    assert parse_keyword("help", MESSAGES, panic_word="HELP") == Keyword("panic")


def test_keywords_are_frozen_and_of_known_kinds() -> None:
    keyword = parse_keyword("lang fr", MESSAGES)
    assert keyword is not None
    assert keyword.kind in KINDS
    with pytest.raises(dataclasses.FrozenInstanceError):
        keyword.kind = "stop"  # type: ignore[misc]


def test_every_configured_keyword_is_recognised() -> None:
    for by_kind in MESSAGES.keywords.values():
        for word in by_kind.get("help", ()):
            assert parse_keyword(word, MESSAGES) == Keyword("help"), word
        for word in by_kind.get("stop", ()):
            assert parse_keyword(word, MESSAGES) == Keyword("stop"), word
        for word in by_kind.get("language", ()):
            for code in MESSAGES.languages:
                assert parse_keyword(f"{word} {code}", MESSAGES) == Keyword("language", code), word
        for word in by_kind.get("join", ()):
            assert parse_keyword(f"{word} K7Q2", MESSAGES) == Keyword("join", "K7Q2"), word
