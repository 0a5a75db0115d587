"""Where a report happened: her pin, else the place her words name (for a missed call, her home area)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerts.ports import Places
from geo.geocoder import Candidate, GeocodeResult
from geo.placenames import normalise_place
from geo.types import TOWN_KINDS, area_fields

PLACE_CANDIDATES = 5
"""How many candidate places an unresolved report keeps for the reviewer."""


@dataclass(frozen=True, slots=True)
class Placement:
    """What intake stores of where a report happened, on the report and on its incident."""

    country: str | None
    lon: float | None = None
    lat: float | None = None
    precision: int | None = None
    """1 settlement or pin, 2 admin-2 or near a place (or her home area), 3 admin-1 only."""
    place_name: str | None = None
    in_town: bool = False
    areas: dict[str, str] = field(default_factory=dict)
    flags: dict[str, Any] = field(default_factory=dict)
    """``geocode_confidence`` for a place found in words; ``place_unresolved`` and
    ``place_candidates`` when none was trusted enough."""


@dataclass(frozen=True, slots=True)
class KnownPlace:
    """An approved alias: words monitors of this deployment write for a place (``PlaceAlias``)."""

    text: str
    """Normalised, as ``normalise_place`` gives it."""
    name: str
    country: str | None
    lon: float
    lat: float
    precision: int
    areas: dict[str, str]


def place_report(
    content: Mapping[str, Any],
    place_query: str,
    *,
    missed_call: bool,
    country: str | None,
    home_area: str | None,
    network_area: str | None,
    places: Places,
    aliases: Iterable[KnownPlace] = (),
) -> Placement:
    """A pin wins over words; words a reviewer taught (approved aliases) over the gazetteer; words
    are resolved once, against her home area and her network's."""
    lon, lat = content.get("lon"), content.get("lat")
    if lon is not None and lat is not None:
        return _pinned(lon, lat, country, places)
    # A missed call has no words: her home area is where to look first.
    query = place_query or (home_area or "" if missed_call else "")
    if not query:
        return Placement(country)
    if place_query and (known := alias_in(place_query, aliases)):
        return _taught(known)
    resolution = places.resolve(query, country, home_area=home_area, network_area=network_area)
    if resolution.result is not None:
        return _named(resolution.result, in_words=bool(place_query))
    if network_area:
        # The reviewer's candidates have always been ranked without her network's area (#15 keeps
        # that, decisions.md); with it, the one resolution above would serve both.
        resolution = places.resolve(query, country, home_area=home_area)
    return _unresolved(country, resolution.candidates)


def alias_in(text: str, aliases: Iterable[KnownPlace]) -> KnownPlace | None:
    """The longest approved alias whose words appear, whole, in ``text``."""
    words = f" {normalise_place(text)} "
    found = [a for a in aliases if a.text and f" {a.text} " in words]
    return max(found, key=lambda a: len(a.text), default=None)


def _taught(known: KnownPlace) -> Placement:
    return Placement(
        known.country,
        known.lon,
        known.lat,
        known.precision,
        known.name,
        areas=dict(known.areas),
        flags={"geocode_confidence": 1.0, "place_alias": known.text},
    )


def _pinned(lon: float, lat: float, country: str | None, places: Places) -> Placement:
    found = places.locate(lon, lat)
    areas = area_fields(found.pcodes, found.names, found.sector, found.special_areas) if found else {}
    return Placement(country, lon, lat, 1, areas=areas)


def _named(place: GeocodeResult, *, in_words: bool) -> Placement:
    return Placement(
        place.country,
        place.lon,
        place.lat,
        place.precision if in_words else 2,  # a home area is not the scene
        place.name,
        place.kind in TOWN_KINDS,
        area_fields(place.pcodes, place.names, place.sector),
        {"geocode_confidence": place.confidence},
    )


def _unresolved(country: str | None, candidates: Sequence[Candidate]) -> Placement:
    """Nothing trusted enough: the report stays in the queue with the places a reviewer can pick."""
    listed = [
        {"place": c.name, "lon": c.lon, "lat": c.lat, "country": c.country}
        for c in candidates[:PLACE_CANDIDATES]
    ]
    return Placement(country, flags={"place_unresolved": True, "place_candidates": listed})
