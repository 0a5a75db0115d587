"""Offline place lookup in report text against the embedded town gazetteer.

A first, exact-name geocoder: it finds the longest town name (one to three words) that the text
contains, preferring the expected country. Fuzzy matching, admin layers and P-codes come on top.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from geo.towns import Town, embedded_towns

MAX_NAME_WORDS = 3
MIN_ALTERNATE_NAME = 4
"""Shorter alternate names ("Ej", "Yey") collide with ordinary words; main names are always kept."""


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    name: str
    country: str
    lon: float
    lat: float
    precision: int
    """1 settlement or pin, 2 admin-2 or near a place, 3 admin-1 only (ACLED geo_precision)."""
    confidence: float
    matched: str


class Geocoder(Protocol):
    def geocode(self, text: str, country: str | None) -> PlaceMatch | None: ...


def normalise_place(text: str) -> str:
    """Lowercase, accents removed, anything but letters and digits turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.split(r"[^\w]+|_", plain)).strip()


class TownGazetteer:
    """Exact name and alternate-name lookup over GeoNames towns; the index is built on first use."""

    def __init__(self, countries: Iterable[str]) -> None:
        self._countries = tuple(countries)
        self._index: dict[str, dict[str, Town]] | None = None

    def _build(self) -> dict[str, dict[str, Town]]:
        index: dict[str, dict[str, Town]] = {}
        for town in reversed(embedded_towns(self._countries)):  # larger towns overwrite smaller
            names = {town.name} | {n for n in town.alternate_names if len(n) >= MIN_ALTERNATE_NAME}
            for name in names:
                key = normalise_place(name)
                if key:
                    index.setdefault(key, {})[town.country] = town
        return index

    def geocode(self, text: str, country: str | None) -> PlaceMatch | None:
        """Return the best town named in ``text``, or None when no name is found."""
        if self._index is None:
            self._index = self._build()
        words = normalise_place(text).split()
        for size in range(MAX_NAME_WORDS, 0, -1):
            for start in range(len(words) - size + 1):
                key = " ".join(words[start : start + size])
                by_country = self._index.get(key)
                if not by_country:
                    continue
                town = by_country.get(country or "") or max(by_country.values(), key=lambda t: t.population)
                confidence = 0.9 if town.country == country else 0.6
                return PlaceMatch(town.name, town.country, town.lon, town.lat, 1, confidence, key)
        return None
