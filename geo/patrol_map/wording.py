"""The parts the hotspot engine states a product in, and their text in one language.

The engine builds them (``alerts.hotspots`` the `Title` and the `Lattice`, `geo.hotspots.method_phrases`
the method's `Phrase`s) and `ProductInfo` carries them. Its English strings (the files' metadata, the
audit record) and the patrol map's statement in every language are both formatted here, from the same
parts, with the texts of ``labels``. A title an analyst or a test wrote freely is a plain string, as is
the text between the method's phrases: both are printed as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from geo.patrol_map.labels import Labels


@dataclass(frozen=True, slots=True)
class Title:
    """The engine's title: ``{kind} of verified incidents[ in {area}] ({lattice} cells)``."""

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
    """One phrase of the method (a key of ``method``), with its number if it has one."""

    key: str
    number: str | None = None


Method = tuple[Phrase | str, ...]
"""The method's phrases and the text between them, in order; empty when the product states none."""


def format_title(title: Title | str, words: Labels) -> str:
    if isinstance(title, str):
        return title
    lattice = words.table["lattice_kinds"][title.lattice]
    return words.text(f"titles.{title.key}", lattice=lattice, area=title.area)


def format_lattice(lattice: Lattice | str, words: Labels) -> str:
    if isinstance(lattice, str):
        return lattice
    return words.text(f"lattices.{lattice.kind}", number=words.decimal(lattice.number))


def format_method(method: Sequence[Phrase | str], words: Labels) -> str:
    """The method's phrases in the language, the text between them as given but for its separators."""
    text = "".join(part if isinstance(part, str) else _phrase(part, words) for part in method)
    if words.language == "en":
        return text
    text = text.replace("; ", words.table["clause_separator"])
    return text.replace(", ", words.table["list_separator"])


def _phrase(phrase: Phrase, words: Labels) -> str:
    if phrase.number is None:
        return words.text(f"method.{phrase.key}")
    return words.text(f"method.{phrase.key}", number=words.decimal(phrase.number))
