"""Every fixed text of the page in one language, and how numbers and bidi text are written in it (R49).

The texts come from ``geo/data/patrol_map.toml``, one table per language. Numbers stay Western digits,
dates ISO; category codes, place names and the classification marking stay as they are. Matplotlib
(3.11 and later) shapes Arabic and lays it out right to left itself (libraqm: HarfBuzz and a bidi
algorithm), so Arabic strings are given to it in logical order; `Labels.display` only adds the marks the
bidi algorithm needs.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FONT = "DejaVu Sans"
"""Bundled with matplotlib, so no font or glyph falls back (and no warning is raised); it covers Latin,
French accents, Arabic (with its presentation forms) and the bidi marks RLM/LRM."""

LABELS_FILE = Path(__file__).parent.with_name("data") / "patrol_map.toml"
"""Every fixed text of the page, one table per language (R49)."""


@functools.cache
def label_tables() -> Mapping[str, Mapping[str, Any]]:
    """The label tables of ``LABELS_FILE`` by language code (``en``, ``fr``, ``ar``)."""
    with LABELS_FILE.open("rb") as handle:
        return tomllib.load(handle)


LANGUAGES = tuple(label_tables())
"""The languages the map is printed in (``en``, ``fr``, ``ar``): the tables of ``LABELS_FILE``."""
NO_INCIDENTS: str = label_tables()["en"]["page"]["no_incidents"]
"""What an empty map says, in English."""

RLM, LRM = "\u200f", "\u200e"
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
_LATIN_TAIL = re.compile(r"(?<=[A-Za-z])(?:\*|,$)")


@dataclass(frozen=True, slots=True)
class Labels:
    """The texts of one language and how to write numbers and bidi text in it."""

    language: str
    table: Mapping[str, Any]

    @property
    def rtl(self) -> bool:
        return bool(self.table["direction"] == "rtl")

    def text(self, key: str, **fields: object) -> str:
        """The text at ``section.name`` with its ``{placeholders}`` filled in."""
        section, name = key.split(".")
        return str(self.table[section][name]).format(**fields)

    def number(self, value: float) -> str:
        """Western digits, grouped and with the decimal sign of the language (12,345.5; 12 345,5)."""
        text = f"{value:,}" if isinstance(value, int) else f"{value:,g}"
        return text.translate({ord(","): self.table["thousands"], ord("."): self.table["decimal"]})

    def decimal(self, numeral: str) -> str:
        """A numeral as the engine wrote it (``2.5``), with the decimal sign of the language (``2,5``)."""
        return numeral.replace(".", str(self.table["decimal"]))

    def display(self, text: str) -> str:
        """The text as handed to matplotlib: unchanged, but for the lines of an Arabic page that hold Arabic.

        Those start with a right-to-left mark, so that a wrapped line that begins with a code or a Latin
        word still runs right to left, and ISO dates get a left-to-right mark before them: after an Arabic
        letter, the bidi algorithm reads digits as Arabic numbers, which a hyphen does not join, and
        2026-10-01 would print as 01-10-2026. A Latin word followed by ``*`` (Gi*) or by the ``,`` that ends
        a wrapped line of codes gets one after it, so that the sign stays with the word. The marks are
        zero-width and only on the page, never in metadata.
        """
        if not self.rtl:
            return text
        return "\n".join(_rtl_line(line) for line in text.split("\n"))


def _rtl_line(line: str) -> str:
    if not _ARABIC.search(line):
        return line
    line = _ISO_DATE.sub(lambda match: LRM + match.group(), line)
    return RLM + _LATIN_TAIL.sub(lambda match: match.group() + LRM, line)


def upright(content: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` without an italic style when ``content`` holds Arabic: DejaVu Sans Oblique has no Arabic
    glyphs (the regular and bold faces have them), and Arabic is not set in italics anyway."""
    if _ARABIC.search(content) and "fontstyle" in kwargs:
        return {key: value for key, value in kwargs.items() if key != "fontstyle"}
    return kwargs


def labels(language: str) -> Labels:
    """The labels of ``language`` (case-insensitive); ValueError for a language without a table."""
    code = language.lower()
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; one of {', '.join(LANGUAGES)}")
    return Labels(code, label_tables()[code])


def class_label(name: str, language: str = "en", *, k: int) -> str:
    """The legend label of a hotspot class (``k``: the suppression threshold of the product)."""
    return labels(language).text(f"classes.{name}", k=k)
