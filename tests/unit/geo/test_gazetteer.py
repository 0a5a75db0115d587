from __future__ import annotations

import pytest

from geo.gazetteer import TownGazetteer, normalise_place

pytestmark = pytest.mark.unit

GAZETTEER = TownGazetteer(["SS", "CF", "CD", "ML", "SD"])


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("Kaga-Bandoro", "kaga bandoro"), ("Ségou", "segou"), ("  BENTIU,PoC ", "bentiu poc")],
)
def test_place_names_are_normalised(raw: str, normal: str) -> None:
    assert normalise_place(raw) == normal


@pytest.mark.parametrize(
    ("text", "country", "town"),
    [
        ("armed men near Yei market", "SS", "Yei"),
        ("route de kaga bandoro coups de feu", "CF", "Kaga-Bandoro"),
        ("SEGOU hommes armes", "ML", "Ségou"),
        ("fighting in Goma since morning", "CD", "Goma"),
    ],
)
def test_a_town_named_in_the_text_is_found_with_its_position(text: str, country: str, town: str) -> None:
    match = GAZETTEER.geocode(text, country)
    assert match is not None
    assert (match.name, match.country, match.precision) == (town, country, 1)
    assert -180 <= match.lon <= 180
    assert -90 <= match.lat <= 90


def test_text_without_a_known_place_finds_nothing() -> None:
    assert GAZETTEER.geocode("they came at night", "SS") is None
