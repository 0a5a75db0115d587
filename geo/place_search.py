"""Type-ahead over place names: a reviewer correcting where a report happened types a few letters and
picks a settlement (precision 1) or an admin area (precision 2, or 3 for admin-1) (issue #16).

``PlaceSearch`` is built once from the geocoder's index (names, alternate names and deployment
aliases, normalised by ``geo.placenames``) and the admin areas of the boundary layers. Every word of
a name is a way in: "keji" finds Kajo Keji. Ranking: the whole name typed, then names that start with
it, then names with a later word that does, then (from ``FUZZY_FROM`` letters) names a few edits
away; within each, a place's main name before its other names, then bigger places first (admin-1,
admin-2, …, then by kind and population). One place listed twice (the same name nearby, as GeoNames
and a settlement list both have it) is offered once.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from geo.admin_areas import AdminAreas, area_precision, level_number
from geo.gazetteer import GazetteerEntry, country_code, pcode_country
from geo.geocoder import SAME_PLACE_KM, distance_km
from geo.place_index import DERIVED, EXACT, PlaceIndex, max_edits
from geo.placenames import normalise_place
from geo.types import AreaAssignment, PlaceOption

MIN_LETTERS = 2
"""A single letter starts too many names to be worth a search: a type-ahead waits for the second."""
FUZZY_FROM = 4
"""Letters from which names a few edits away are offered too (after every name that starts so)."""
MAX_LIMIT = 50
"""Most options one search returns."""
_SHORT = 3
"""Queries up to this long are answered from a table of the best names per prefix, built once: a
two-letter prefix starts thousands of names in a country's full GeoNames dump."""
_KEPT_PER_PREFIX = 2 * MAX_LIMIT
"""Names kept per short prefix, room for places listed twice that the answer drops."""
_FUZZY_KEYS = 25
_EXACT, _START, _WORD = 0, 1, 2
_KIND_WEIGHT = {
    "adm1": 5.0, "adm2": 4.5, "adm3": 4.0, "adm4": 3.5, "national capital": 3.0, "capital": 3.0,
    "state capital": 2.5, "primary town": 2.0, "city": 2.0, "town": 1.5, "secondary town": 1.0,
}  # fmt: skip
"""Importance by kind, added to log10 of the population: an admin-2 area weighs as a town of 1,000."""

_Rank = tuple[int, int, int]
"""(tier, 1 for another name than the main one, the place's order by importance): smaller first."""


@dataclass(frozen=True, slots=True)
class _Choice:
    """One place to offer: an entry of the geocoder's index, or an admin area of the layers."""

    key: str
    country: str | None
    entry: int | None = None
    pcode: str | None = None


@dataclass(frozen=True, slots=True)
class _Name:
    """A normalised name of a choice from one of its words on: "keji" of "kajo keji"."""

    text: str
    choice: int
    first: bool
    """From the name's first word: the whole name."""
    alternate: bool


class _Group:
    """The names of one country's places (or every country's), sorted for prefix search."""

    def __init__(self, names: list[_Name], order: list[int]) -> None:
        names.sort(key=lambda n: n.text)
        self.names = names
        self.texts = [n.text for n in names]
        self.order = order
        best: defaultdict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
        for name in names:
            for size in range(MIN_LETTERS, min(_SHORT, len(name.text)) + 1):
                prefix = name.text[:size]
                best[prefix].append((*self.rank(name, prefix), name.choice))
        self.short = {prefix: _best_choices(ranked) for prefix, ranked in best.items()}
        self.owners: defaultdict[str, list[_Name]] = defaultdict(list)
        for name in names:
            if name.first:
                self.owners[name.text].append(name)

    def rank(self, name: _Name, query: str) -> _Rank:
        tier = (_EXACT if name.text == query else _START) if name.first else _WORD
        return tier, int(name.alternate), self.order[name.choice]

    def matching(self, query: str) -> list[int]:
        """Choices with a name that is, or has a word that starts with, ``query``; best first."""
        if len(query) <= _SHORT:
            return self.short.get(query, [])
        found: dict[int, _Rank] = {}
        for i in range(bisect.bisect_left(self.texts, query), len(self.texts)):
            if not self.texts[i].startswith(query):
                break
            name = self.names[i]
            rank = self.rank(name, query)
            if name.choice not in found or rank < found[name.choice]:
                found[name.choice] = rank
        return sorted(found, key=found.__getitem__)

    def near(self, query: str, keys: list[str]) -> list[int]:
        """Choices whose whole name is one of ``keys`` within a few edits of ``query``: nearest first."""
        edits = max_edits(len(query.replace(" ", "")))
        found: dict[int, tuple[float, int, int]] = {}
        for key, distance, _ in process.extract(
            query, keys, scorer=OSA.distance, score_cutoff=edits, limit=_FUZZY_KEYS
        ):
            for name in self.owners.get(key, ()):
                rank = (distance, int(name.alternate), self.order[name.choice])
                if name.choice not in found or rank < found[name.choice]:
                    found[name.choice] = rank
        return sorted(found, key=found.__getitem__)


def _best_choices(ranked: list[tuple[int, int, int, int]]) -> list[int]:
    """Each choice once, at its best rank, best first, at most ``_KEPT_PER_PREFIX``."""
    kept: dict[int, None] = {}
    for *_, choice in sorted(ranked):
        kept.setdefault(choice)
        if len(kept) == _KEPT_PER_PREFIX:
            break
    return list(kept)


def _weight(kind: str, population: int) -> float:
    return _KIND_WEIGHT.get(kind, 0.0) + math.log10(population + 1)


class PlaceSearch:
    """Settlements and admin areas by name, as options a reviewer can choose, built once."""

    def __init__(self, index: PlaceIndex, areas: AdminAreas | None) -> None:
        self._index, self._areas = index, areas
        self._choices: list[_Choice] = []
        weights: list[tuple[float, str]] = []
        self._names: list[_Name] = []
        layer_areas = areas.admin_areas() if areas is not None else ()
        pcodes = {a.pcode for a in layer_areas}
        named = {(a.level, normalise_place(a.name)) for a in layer_areas}
        of_entry: dict[int, int] = {}
        for i, entry in enumerate(index.entries):
            if entry.source == DERIVED or _covered(entry, pcodes, named):
                continue  # a median of settlements is no place; a label point the layers have is
            of_entry[i] = len(self._choices)
            self._choices.append(_Choice(normalise_place(entry.name), entry.country, entry=i))
            weights.append((_weight(entry.kind, entry.population), entry.name))
        for key, owners in index.keys.items():
            for i, (_score, how) in owners.items():
                if i in of_entry:
                    self._add_name(key, of_entry[i], alternate=how != EXACT)
        self._area_keys = sorted({normalise_place(a.name) for a in layer_areas})
        for area in layer_areas:
            choice = len(self._choices)
            self._choices.append(
                _Choice(normalise_place(area.name), pcode_country(area.pcode), pcode=area.pcode)
            )
            weights.append((_weight(area.level, 0), area.name))
            self._add_name(normalise_place(area.name), choice, alternate=False)
        by_importance = sorted(
            range(len(weights)), key=lambda c: (-weights[c][0], len(weights[c][1]), weights[c][1], c)
        )
        self._order = [0] * len(weights)
        for position, choice in enumerate(by_importance):
            self._order[choice] = position
        self._groups: dict[str | None, _Group] = {}

    def _add_name(self, key: str, choice: int, *, alternate: bool) -> None:
        words = key.split(" ")
        for start in range(len(words)):
            text = " ".join(words[start:])
            if text:
                self._names.append(_Name(text, choice, start == 0, alternate))

    def _group(self, country: str | None) -> _Group:
        """The names of ``country`` (and of areas whose country is unknown), or of all; built on first use."""
        if country not in self._groups:
            names = [
                n
                for n in self._names
                if country is None or self._choices[n.choice].country in (country, None)
            ]
            self._groups[country] = _Group(names, self._order)
        return self._groups[country]

    def search(self, text: str, country: str | None, *, limit: int = 10) -> list[PlaceOption]:
        """Places whose name is, or has a word that starts with, ``text`` (then names a few edits
        away), in ``country`` when given; best first, at most ``limit`` (up to ``MAX_LIMIT``)."""
        query = normalise_place(text)
        limit = min(limit, MAX_LIMIT)
        if len(query.replace(" ", "")) < MIN_LETTERS or limit < 1:
            return []
        wanted = country_code(country) if country else None
        group = self._group(wanted)
        chosen = self._distinct(group.matching(query), limit)
        if len(chosen) < limit and len(query.replace(" ", "")) >= FUZZY_FROM:
            chosen = self._distinct([*chosen, *group.near(query, self._fuzzy_keys(query, wanted))], limit)
        return self._options(chosen)

    def _fuzzy_keys(self, query: str, country: str | None) -> list[str]:
        """Names that may be a few edits from ``query``: the geocoder's blocks (same first letters,
        near lengths) of the country's gazetteer, and every admin area's name (a few hundred)."""
        block = self._index.blocks.get(country) if country else self._index.any_block
        edits = max_edits(len(query.replace(" ", "")))
        names = block.choices(query, edits) if block is not None else []
        return list(dict.fromkeys(names + self._area_keys))  # a key may sit in several of a block's tables

    def _distinct(self, ranked: Iterable[int], limit: int) -> list[int]:
        """Each place once: a settlement of the same name near a better one is that one (2 km, more
        for a city of ten thousands: 100 km × √population / 10,000)."""
        kept: list[int] = []
        for choice in dict.fromkeys(ranked):
            if not any(self._same_place(choice, other) for other in kept):
                kept.append(choice)
                if len(kept) == limit:
                    break
        return kept

    def _same_place(self, one: int, two: int) -> bool:
        a, b = self._choices[one], self._choices[two]
        if a.entry is None or b.entry is None or a.key != b.key:
            return False
        x, y = self._index.entries[a.entry], self._index.entries[b.entry]
        # A city's listed points (its centre, its town hall, a centroid) may lie kilometres apart.
        within = max(SAME_PLACE_KM, math.sqrt(max(x.population, y.population)) / 100)
        return distance_km(x.lon, x.lat, y.lon, y.lat) <= within

    def _options(self, chosen: list[int]) -> list[PlaceOption]:
        entries = [
            self._index.entries[c.entry]
            for c in map(self._choices.__getitem__, chosen)
            if c.entry is not None
        ]
        located = iter(
            self._areas.locate_many([e.lon for e in entries], [e.lat for e in entries])
            if self._areas is not None
            else [AreaAssignment() for _ in entries]
        )
        options: list[PlaceOption] = []
        for choice in map(self._choices.__getitem__, chosen):
            if choice.pcode is not None and self._areas is not None:
                area = self._areas.area(choice.pcode)
                if area is not None:
                    options.append(area)
            elif choice.entry is not None:
                options.append(_entry_option(self._index.entries[choice.entry], next(located)))
        return options


def _covered(entry: GazetteerEntry, pcodes: set[str], named: set[tuple[str, str]]) -> bool:
    """An admin label point of an area the layers have (by P-code, or by level and name)."""
    if level_number(entry.kind) < 1:
        return False
    return entry.pcodes.get(entry.kind) in pcodes or (entry.kind, normalise_place(entry.name)) in named


def _entry_option(entry: GazetteerEntry, found: AreaAssignment) -> PlaceOption:
    """A gazetteer entry as an option: a settlement at precision 1 in the areas its point lies in
    (the list's own admin names where no layer tells), or an admin label point of a P-code list."""
    pcodes, names = entry.pcodes | found.pcodes, entry.admin_names | found.names
    depth = level_number(entry.kind)
    if depth < 1:
        return PlaceOption(
            entry.name, entry.country, entry.lon, entry.lat, 1, entry.kind,
            areas=AreaAssignment(pcodes, names, found.sector, found.special_areas),
        )  # fmt: skip
    pcodes = {k: v for k, v in entry.pcodes.items() if level_number(k) <= depth}
    names = {k: v for k, v in entry.admin_names.items() if level_number(k) <= depth} | {
        entry.kind: entry.name
    }
    return PlaceOption(
        entry.name, entry.country, entry.lon, entry.lat, area_precision(entry.kind), entry.kind,
        pcode=pcodes.get(entry.kind), areas=AreaAssignment(pcodes, names),
    )  # fmt: skip
