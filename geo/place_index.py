"""The lookup index a geocoder builds once from a gazetteer: name keys, fuzzy blocks, admin area names.

Every entry (places, aliases that carry their own position, and an admin label point derived for
each area that settlements name but no list gives) is indexed under its normalised name, its
alternate names and their shorter forms ("juba town" → "juba"). Fuzzy choices are blocked per
country by their first letters; admin area names and P-codes are kept for reading the areas a
text, a reporter or a network mentions.
"""

from __future__ import annotations

import bisect
import logging
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from rapidfuzz import process
from rapidfuzz.distance import OSA

from geo.gazetteer import AdminArea, Gazetteer, GazetteerEntry, PlaceAlias
from geo.placenames import PlaceSpan, PlaceWords, normalise_place
from geo.types import AreaLocator

log = logging.getLogger(__name__)

EXACT, ALIAS, FUZZY, AREA = "exact", "alias", "fuzzy", "area"
DERIVED = "derived"
"""Source of an admin label point computed from the settlements that name the area."""
_ALTERNATE_SCORE, _FORM_SCORE, _DERIVED_SCORE = 0.97, 0.95, 0.9


def max_edits(length: int) -> int:
    """Edits a fuzzy match may differ by, for a name of ``length`` letters (short names must be near)."""
    if length < 3:
        return 0
    return 1 if length <= 4 else 2 if length <= 8 else 3


class _Block:
    """Fuzzy choices of one country, blocked by their first letters and sorted by length."""

    def __init__(self, keys: Iterable[str]) -> None:
        tables: dict[str, defaultdict[str, list[str]]] = {n: defaultdict(list) for n in ("1", "12", "23")}
        # length, then the key itself: ties at a fuzzy lookup's limit must not depend on the hash seed
        for key in sorted(set(keys), key=lambda k: (len(k), k)):
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


class PlaceIndex:
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
            for form in sorted(_forms(key, words)):
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
