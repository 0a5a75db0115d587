"""The offline geocoder that resolves place names in report text against a gazetteer (DOMAIN.md §7.4, R39).

``GazetteerGeocoder`` indexes a ``Gazetteer`` once (``geo.place_index``) and matches exact → alias →
fuzzy (rapidfuzz), ranking with what the text and the reporter say about the area. Below
``DEFAULT_MIN_CONFIDENCE`` it chooses nothing and hands back the ranked candidates for review.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from geo.gazetteer import Gazetteer, GazetteerEntry, country_code
from geo.place_index import EXACT, FUZZY, PlaceIndex, max_edits
from geo.placenames import PlaceSpan, PlaceWords, find_place_spans, load_place_words, normalise_place
from geo.types import AreaLocator

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

_AREA_PRECISION = {"adm1": 3, "adm2": 2, "adm3": 2, "adm4": 2}
_KIND_WEIGHT = {
    "national capital": 0.08, "capital": 0.07, "state capital": 0.06, "primary town": 0.05,
    "city": 0.05, "town": 0.04, "idp": 0.02, "camp": 0.02,
}  # fmt: skip
_FUZZY_WEIGHT = 0.95
_WORD_BONUS, _MARKED_BONUS, _MAX_IMPORTANCE = 0.25, 0.02, 0.08
_MENTION_BOOST, _HOME_BOOST, _NETWORK_BOOST = 0.3, 0.3, 0.15
_MENTION_PENALTY, _FOREIGN_PENALTY, _FOREIGN_CONFIDENCE = 0.3, 0.4, 0.6


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


@dataclass(frozen=True, slots=True)
class Resolution:
    """The chosen place, if any, and every ranked candidate for review."""

    result: GeocodeResult | None
    candidates: tuple[Candidate, ...]


# Geocoder -----------------------------------------------------------------------------------------


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


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
        self._index: PlaceIndex | None = None
        self._located: dict[int, frozenset[str]] = {}

    @property
    def index(self) -> PlaceIndex:
        """The lookup index, built from the gazetteer on first use."""
        if self._index is None:
            gazetteer = self._source if isinstance(self._source, Gazetteer) else self._source()
            self._index = PlaceIndex(gazetteer, self._words or load_place_words(), self._locator)
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

        def order(pair: tuple[float, _Hit]) -> tuple[float, str, int]:
            # a total order: equal scores fall back on the name, then the gazetteer's own order
            return -pair[0], index.entries[pair[1].entry].name, pair[1].entry

        if mentioned or home or network:
            ranked.sort(key=order)
            ranked = [
                (s + self._prior(h.entry, mentioned, home, network, n), h) for n, (s, h) in enumerate(ranked)
            ]
        ranked.sort(key=order)
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
