from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.gsm import BASIC_TABLE, ESCAPE, EXTENSION_TABLE, is_gsm7, septets, utf16_units
from tests.unit.channels.sms_parts import encoding, fits_one_sms, segments

pytestmark = pytest.mark.unit

GSM7_TEXT = st.text(
    alphabet=st.sampled_from(sorted(set(BASIC_TABLE) - {ESCAPE} | set(EXTENSION_TABLE.values())))
)


def test_tables_have_the_gsm_0338_shape() -> None:
    assert len(BASIC_TABLE) == 128
    assert BASIC_TABLE[0x00] == "@"
    assert BASIC_TABLE[0x1B] == ESCAPE
    assert BASIC_TABLE[0x7F] == "à"
    assert len(set(BASIC_TABLE)) == 128
    assert set(EXTENSION_TABLE.values()) == set("^{}\\[~]|€\f")
    assert not set(EXTENSION_TABLE.values()) & set(BASIC_TABLE)


@pytest.mark.parametrize(
    ("text", "gsm7"),
    [
        ("Votre signalement est recu.", True),
        ("Votre signalement est reçu.", False),
        ("à ä æ é è ù ü Ä Æ Ç É Ü", True),  # French that stays GSM-7
        ("Prix: 5€ [x] {y} ~|^\\", True),
        ("l’école", False),  # typographic apostrophe
        ("« bonjour »", False),
        ("n° 4", False),
        ("ç", False),  # only the capital exists
        ("ê", False),
        ("â", False),
        ("î", False),
        ("ô", False),
        ("û", False),
        ("ë", False),
        ("ï", False),
        ("œ", False),
        ("À", False),
        ("È", False),
        ("ɛ ɔ ɲ ŋ", False),
        ("شكرا", False),
        ("ok 👍", False),
        ("", True),
    ],
)
def test_gsm7_membership(text: str, gsm7: bool) -> None:
    assert is_gsm7(text) is gsm7
    assert encoding(text) == ("GSM-7" if gsm7 else "UCS-2")


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Merci, bien recu. Ref K7Q", 25),
        ("€", 2),
        ("^{}\\[~]|€\f", 20),
        ("a\nb", 3),
        ("€" * 81, 162),
        ("", 0),
    ],
)
def test_extension_characters_cost_two_septets(text: str, count: int) -> None:
    assert septets(text) == count


def test_septets_of_text_outside_gsm7_is_an_error() -> None:
    with pytest.raises(ValueError, match="position 2"):
        septets("reçu")


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é" * 161, 2),  # CHANNELS.md §11
        ("€" * 80, 1),
        ("€" * 81, 2),  # 162 septets
        ("a" * 158 + "€", 1),  # 160 septets
        ("a" * 159 + "€", 2),  # 161 septets
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but the pair cannot straddle the boundary
        ("ش" * 70, 1),  # Arabic is always UCS-2
        ("ش" * 71, 2),
        ("ش" * 134, 2),
        ("ش" * 135, 3),
        ("a" * 69 + "ç", 1),
        ("a" * 70 + "ç", 2),  # one character turns the whole message UCS-2
        ("👍" * 35, 1),  # emoji are two UTF-16 units
        ("👍" * 36, 2),
        ("a" * 66 + "👍" + "a" * 66, 3),  # 134 units, but a surrogate pair cannot straddle a boundary
    ],
)
def test_segments(text: str, count: int) -> None:
    assert segments(text) == count
    assert fits_one_sms(text) is (count == 1)


def test_utf16_units_count_surrogate_pairs_twice() -> None:
    assert utf16_units("شكرا") == 4
    assert utf16_units("👍") == 2


@given(GSM7_TEXT)
def test_gsm7_text_segments_follow_the_septet_count(text: str) -> None:
    count = septets(text)
    assert count >= len(text)
    assert fits_one_sms(text) is (count <= 160)
    assert segments(text) >= -(-count // 153)


@given(st.text())
def test_segments_never_shrink_when_text_grows(text: str) -> None:
    assert 1 <= segments(text) <= segments(text + "x") <= segments(text + "xç")
