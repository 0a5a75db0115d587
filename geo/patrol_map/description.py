"""What a patrol map states about its product, in no language yet: a `Description` read from `ProductInfo`.

The hotspot engine writes the product's title, lattice and method in English (``alerts.hotspots``
`_title`, the lattice labels, `geo.hotspots.method_text`). `describe` reads them, once, into their
parts: the kind of map, the area and the lattice of the title; the lattice's kind and number; the
method's phrases (permutations, seed, slices, half-life…) and the free text between them. Each renderer
then formats the parts in its language (`geo.patrol_map.statement`). What the engine did not write (a
title an analyst or a test wrote freely) stays a plain string and is printed as given.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from geo.patrol_map.labels import label_tables
from geo.products import CAVEAT, ProductInfo

_NUMBER = r"\d+(?:\.\d+)?"


@dataclass(frozen=True, slots=True)
class Title:
    """A title the engine wrote: ``{kind} of verified incidents[ in {area}] ({lattice} cells)``."""

    kind: str
    """``hotspots`` or ``emerging``."""
    lattice: str
    """The lattice's kind: ``h3``, ``grid`` or ``admin`` (the keys of ``lattice_kinds``)."""
    area: str | None = None
    """A name or a P-code, printed as given."""

    @property
    def key(self) -> str:
        """The key of the title's text in ``titles``."""
        return f"{self.kind}_in" if self.area is not None else self.kind


@dataclass(frozen=True, slots=True)
class Lattice:
    """The cells: ``h3`` with a resolution, ``grid`` with a square's side in km, ``admin`` with a level."""

    kind: str
    number: str
    """As the engine wrote it (``2.5``): only the decimal sign changes with the language."""


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase of the method the engine wrote (a key of ``method``), with its number if it has one."""

    key: str
    number: str | None = None


@dataclass(frozen=True, slots=True)
class Description:
    """Everything the page and the file's metadata state about a product (R38, R47)."""

    classification: str
    """The sensitivity marking, always printed in English."""
    title: Title | str
    first_day: date
    last_day: date
    """The period, both days included."""
    categories: tuple[str, ...]
    """Category codes, printed as codes; none: every category."""
    lattice: Lattice | str
    k: int
    incidents: int
    suppressed_cells: int
    not_placed: int
    points_left_out: int
    method: tuple[Phrase | str, ...]
    """The method's phrases and the text between them, in order; empty when the product states none."""
    caveat: str | None
    """None: the standard caveat (R47), in the language; otherwise the product's own, as given."""
    generated_at: datetime | None
    """Timezone-aware (a naive time is UTC)."""


def describe(info: ProductInfo) -> Description:
    """The description of a product, its engine-written English read into parts."""
    generated = info.generated_at
    return Description(
        classification=info.sensitivity,
        title=read_title(info.title),
        first_day=info.since.date(),
        last_day=(info.until - timedelta(microseconds=1)).date(),
        categories=info.categories,
        lattice=read_lattice(info.cells),
        k=info.k,
        incidents=info.incidents,
        suppressed_cells=info.suppressed_cells,
        not_placed=info.not_placed,
        points_left_out=info.points_left_out,
        method=read_method(info.method),
        caveat=None if info.caveat == CAVEAT else info.caveat,
        generated_at=generated if generated is None or generated.tzinfo else generated.replace(tzinfo=UTC),
    )


def read_title(title: str) -> Title | str:
    """``Emerging hotspots of verified incidents in CF43 (admin cells)`` as its parts; another title as is."""
    english = label_tables()["en"]
    kinds = {str(text): kind for kind, text in english["lattice_kinds"].items()}
    groups = {"area": ".+?", "lattice": "|".join(re.escape(text) for text in kinds)}
    for key, template in english["titles"].items():
        match = re.fullmatch(_template_regex(template, groups), title)
        if match:
            return Title(key.removesuffix("_in"), kinds[match["lattice"]], match.groupdict().get("area"))
    return title


def read_lattice(cells: str) -> Lattice | str:
    """``ProductInfo.cells`` (``h3 resolution 6``, ``grid 5 km``, ``admin level 2``) as its parts."""
    for kind, template in label_tables()["en"]["lattices"].items():
        match = re.fullmatch(_template_regex(template, {}), cells)
        if match:
            return Lattice(kind, match["number"])
    return cells


def read_method(method: str) -> tuple[Phrase | str, ...]:
    """``ProductInfo.method`` as the engine's phrases (`en.method`) and the text around them, in order."""
    regex, keys = _method_regex()
    parts: list[Phrase | str] = []
    end = 0
    for match in regex.finditer(method):
        i = next(i for i in range(len(keys)) if match[f"p{i}"] is not None)
        parts += [method[end : match.start()], Phrase(keys[i], match.groupdict().get(f"p{i}_number"))]
        end = match.end()
    parts.append(method[end:])
    return tuple(part for part in parts if part)


@functools.cache
def _method_regex() -> tuple[re.Pattern[str], tuple[str, ...]]:
    phrases = label_tables()["en"]["method"]
    keys = tuple(phrases)
    alternatives = [f"(?P<p{i}>{_template_regex(phrases[key], {}, f'p{i}_')})" for i, key in enumerate(keys)]
    return re.compile("|".join(alternatives)), keys


def _template_regex(template: str, groups: Mapping[str, str], prefix: str = "") -> str:
    """A regular expression matching what ``template`` gives; a placeholder not in ``groups`` is a number."""
    parts: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P<{prefix}{field}>{groups.get(field, _NUMBER)})")
    return "".join(parts)
