"""Where intake places a report: one resolution of her words, a pin before words (issue #15)."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.intake.placement import Placement, place_report
from geo.geocoder import Candidate, GeocodeResult, Resolution
from geo.types import AreaAssignment, PlaceOption

pytestmark = pytest.mark.unit

YEI = GeocodeResult(
    "Yei", "SS", 30.68, 4.09, 1, 0.9, "yei", pcodes={"adm2": "SS0101"}, names={"adm2": "Yei"}, kind="town"
)
MAJOK = tuple(Candidate("Majok", "SS", lon, 8.5, "village", 1.0, "majok", "exact") for lon in (27.1, 28.9))


class Recording:
    """A ``Places`` that answers from a script and remembers every question."""

    def __init__(self, result: GeocodeResult | None, candidates: tuple[Candidate, ...] = ()) -> None:
        self.resolution = Resolution(result, candidates)
        self.resolved: list[tuple[str, dict[str, Any]]] = []
        self.located: list[tuple[float, float]] = []

    def resolve(self, text: str, country: str | None, **context: str | None) -> Resolution:
        self.resolved.append((text, context))
        return self.resolution

    def locate(self, lon: float, lat: float) -> AreaAssignment | None:
        self.located.append((lon, lat))
        return AreaAssignment({"adm1": "SS01"}, {"adm1": "Central Equatoria"}, "Sector South", ("Abyei",))

    def search(self, text: str, country: str | None, *, limit: int = 10) -> list[PlaceOption]:
        return []

    def area(self, pcode: str) -> PlaceOption | None:
        return None


def _place(
    places: Recording, content: dict[str, Any] | None = None, query: str = "", **kwargs: Any
) -> Placement:
    context: dict[str, Any] = {
        "missed_call": False,
        "country": "SS",
        "home_area": "Yei",
        "network_area": "Morobo",
    }
    return place_report(content or {}, query, places=places, **context | kwargs)


def test_a_trusted_place_is_resolved_once_with_her_home_area_and_her_networks() -> None:
    places = Recording(YEI)
    placement = _place(places, query="shooting in Yei")
    assert places.resolved == [("shooting in Yei", {"home_area": "Yei", "network_area": "Morobo"})]
    assert (placement.place_name, placement.precision, placement.in_town) == ("Yei", 1, True)
    assert placement.areas == {"adm2_pcode": "SS0101", "adm2_name": "Yei"}
    assert placement.flags == {"geocode_confidence": 0.9}


def test_an_unresolved_place_keeps_candidates_ranked_without_her_networks_area() -> None:
    """As before #15: the network's area helps choose a place, not order the reviewer's list."""
    places = Recording(None, MAJOK)
    placement = _place(places, query="Majok")
    assert [context for _, context in places.resolved] == [
        {"home_area": "Yei", "network_area": "Morobo"},
        {"home_area": "Yei"},
    ]
    assert placement.flags["place_unresolved"] is True
    assert [c["lon"] for c in placement.flags["place_candidates"]] == [27.1, 28.9]


def test_without_a_networks_area_an_unresolved_place_is_resolved_once() -> None:
    places = Recording(None, MAJOK)
    _place(places, query="Majok", network_area=None)
    assert len(places.resolved) == 1


def test_a_pin_is_located_and_her_words_are_not_resolved() -> None:
    places = Recording(YEI)
    placement = _place(places, {"lon": 31.6, "lat": 4.85}, query="shooting in Yei")
    assert (places.resolved, places.located) == ([], [(31.6, 4.85)])
    assert (placement.lon, placement.lat, placement.precision, placement.place_name) == (31.6, 4.85, 1, None)
    assert placement.areas["special_area"] == "Abyei"


def test_a_missed_call_is_placed_in_her_home_area_at_area_precision() -> None:
    places = Recording(YEI)
    placement = _place(places, missed_call=True)
    assert places.resolved[0][0] == "Yei"
    assert placement.precision == 2
