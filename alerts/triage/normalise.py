"""Triage text normaliser (DOMAIN.md §8.3 rule 2, R11, R12): the form keyword matching reads.

Pipeline, word by word:

1. Unicode NFKC, then lowercase.
2. Accents and special letters: é/è/ê→e, à/â→a, ç→c, ɛ→e, ɔ→o, ɲ→ny, ŋ→ng (and the other Latin
   letters of :mod:`geo.placenames`: ß→ss, œ→oe, ɓ→b, ɗ→d, ...). Combining marks are dropped only on
   Latin letters: Arabic script (and any other script) keeps its marks and is otherwise left as NFKC
   made it.
3. Arabizi, only in an ASCII word that mixes letters and digits and is not a number or code: the
   canonical form is the Latin one gazetteers and Juba Arabic writers use, shared with
   :mod:`geo.placenames`: 7→h, 5→kh, 7'→kh, 3'→gh, 6→t, 9→s, and ʿayn (3) and hamza (2) are dropped
   ("3askar" → "askar", "7aram" → "haram"). Kept as written: pure numbers ("2", "12"), digits with a
   unit or ordinal suffix ("5h", "15h30", "10km", "2e"), letters followed by two or more digits
   ("pk12", "rn44"), consonants followed by one digit ("rn5", "km7") and numbered place words with
   their number ("kilo5").
4. Letters repeated three or more times become one ("viiiite" → "vite", "plzzzz" → "plz"); doubles
   are kept ("attaque"). One letter rather than two because emphasis mostly stretches single letters.
   Arabic script is not squashed. This runs *before* abbreviation expansion (the brief's order has
   it after) so that "plzzzz" and "sltttt" are expanded and normalising twice gives the same result.
5. SMS abbreviations of every configured language, per word (§8.3 rule 4: no language
   identification), from ``alerts/data/abbreviations.toml``. A word is looked up as written (so "2m1"
   is not read as Arabizi) and after steps 3-4. Ambiguous abbreviations are not expanded. A numbered
   place word followed by a number stays as written ("pk 12" is a place, "pk" alone is "pourquoi").
6. Tolerant tokenisation: words are runs of letters, digits and marks; any other character separates
   them, so missing spaces after punctuation do not glue words. ``text`` keeps apostrophes inside
   words ("c'est", "s'il"); ``tokens`` also split there (French elision: "l'armee" → "l", "armee").

Normalising is idempotent: ``normalise_report(r.text, a) == r`` for any result ``r``.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

# One source for the letter rules shared with place matching (DOMAIN.md §8.3). They are private names
# of geo.placenames; a public helper there would be cleaner.
from geo.placenames import ARABIZI_DIGITS, ARABIZI_PAIRS, SPECIAL_LETTERS, load_place_words

DEFAULT_ABBREVIATIONS = Path(__file__).parents[1] / "data" / "abbreviations.toml"

_APOSTROPHES = "'’‘`´ʼʻʿʾ′"
_TO_APOSTROPHE = str.maketrans(dict.fromkeys(_APOSTROPHES, "'"))
_LATIN_LETTERS = {k: v for k, v in SPECIAL_LETTERS.items() if k < 0x600}  # not geo's Arabic letter folds
_SQUASH = re.compile(r"([a-z])\1{2,}")
_APOSTROPHE_RUN = re.compile("'{2,}")
_CODE = re.compile(
    r"\d+(?:[.,:h]\d+)?(?:h|hr|hrs|min|mn|km|m|kg|x|e|er|ere|eme|st|nd|rd|th|ans?|j|jrs?)?\d*"
    r"|[a-z]+\d{2,}"
    r"|[b-df-hj-np-tv-xz]+\d"
)
_TRAILING_DIGIT = re.compile(r"([a-z]+)(\d)")
_KEY = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class Abbreviation:
    short: str
    expansion: str
    """Normalised (accents folded, lowercase): what replaces the abbreviation."""
    language: str
    source: str


@dataclass(frozen=True, slots=True)
class Abbreviations:
    """The SMS abbreviations of some languages, and the problems found when loading them."""

    entries: tuple[Abbreviation, ...]
    languages: tuple[str, ...]
    problems: tuple[str, ...] = ()
    """Ambiguous abbreviations and expansions that contain an abbreviation; empty for a sound file."""
    numbered: frozenset[str] = frozenset()
    """Numbered place words ("pk", "kilo"): not expanded when a number follows."""
    table: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Abbreviation → expansion, ambiguous abbreviations left out."""


@dataclass(frozen=True, slots=True)
class Normalised:
    text: str
    """Normalised words joined by single spaces."""
    tokens: tuple[str, ...]
    """The words of ``text``, also split at apostrophes."""


def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


def _fold(text: str) -> str:
    """NFKC, lowercase, special letters, combining marks dropped from Latin letters (steps 1-2)."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_LATIN_LETTERS)
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.category(ch)[0] == "M":
            if base.isalpha() and not _is_latin(base):
                kept.append(ch)
            continue
        base = ch
        kept.append(ch)
    return unicodedata.normalize("NFKC", "".join(kept)).translate(_TO_APOSTROPHE)


def _is_word_char(ch: str) -> bool:
    return bool(ch) and (ch.isalnum() or unicodedata.category(ch)[0] == "M")


def _words(text: str) -> Iterator[str]:
    """Runs of letters, digits and marks, with apostrophes inside a word (or after 3/5/7) kept."""
    word: list[str] = []
    for i, ch in enumerate(text):
        if _is_word_char(ch):
            word.append(ch)
            continue
        if ch == "'" and word:
            after = text[i + 1] if i + 1 < len(text) else ""
            if _is_word_char(after) or word[-1] in "357":
                word.append(ch)
                continue
        if word:
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


def _arabizi(word: str, numbered: frozenset[str]) -> str:
    """Step 3: Arabizi digits in a word that mixes ASCII letters and digits and is no code."""
    if not word.isascii() or not any(c.isdigit() for c in word) or not any(c.isalpha() for c in word):
        return word
    if _CODE.fullmatch(word):
        return word
    if (trailing := _TRAILING_DIGIT.fullmatch(word)) and trailing.group(1) in numbered:
        return word
    for pair, letters in ARABIZI_PAIRS:
        word = word.replace(pair, letters)
    return word.translate(ARABIZI_DIGITS)


def _squash(word: str) -> str:
    return _SQUASH.sub(r"\1", word)


def _normal_words(text: str, abbreviations: Abbreviations) -> list[str]:
    words = list(_words(_fold(text)))
    out: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        shaped = _APOSTROPHE_RUN.sub("'", _squash(_arabizi(word, abbreviations.numbered))).strip("'")
        if not shaped:
            continue
        if following.isdigit() and shaped in abbreviations.numbered:
            out.append(shaped)
            continue
        expansion = abbreviations.table.get(word, abbreviations.table.get(shaped))
        out.extend((expansion or shaped).split())
    return out


def normalise_report(text: str, abbreviations: Abbreviations) -> Normalised:
    """The triage form of a report's text: normalised string and tokens (see the module doc)."""
    words = _normal_words(text, abbreviations)
    tokens = tuple(t for word in words for t in word.split("'") if t)
    return Normalised(" ".join(words), tokens)


def _entries(raw: dict[str, Any], path: Path, wanted: set[str] | None) -> Iterator[Abbreviation]:
    for language, table in raw.items():
        if wanted is not None and language not in wanted:
            continue
        if not isinstance(table, dict) or not isinstance(table.get("source"), str):
            raise ValueError(f"{path}: language {language!r} needs a source")
        for short, expansion in table.get("entries", {}).items():
            if not isinstance(expansion, str) or not expansion.strip():
                raise ValueError(f"{path}: {language}.{short} needs an expansion text")
            if not _KEY.fullmatch(short) or _squash(short) != short:
                raise ValueError(f"{path}: {language}.{short} is not written in normalised form")
            folded = " ".join(_words(_fold(expansion)))
            yield Abbreviation(short, folded, language, table["source"])


def build_abbreviations(
    raw: dict[str, Any], languages: Iterable[str] | None = None, path: Path = DEFAULT_ABBREVIATIONS
) -> Abbreviations:
    """Abbreviations from a parsed table {language: {source, entries}}, for some or all languages."""
    wanted = None if languages is None else {lang.casefold() for lang in languages}
    if wanted is not None and (unknown := wanted - set(raw)):
        raise ValueError(f"{path}: no abbreviations for language(s) {', '.join(sorted(unknown))}")
    entries = tuple(_entries(raw, path, wanted))
    meanings: dict[str, dict[str, list[str]]] = {}
    for entry in entries:
        meanings.setdefault(entry.short, {}).setdefault(entry.expansion, []).append(entry.language)
    problems = [
        f"ambiguous abbreviation {short!r}: "
        + "; ".join(f"{'/'.join(langs)} {exp!r}" for exp, langs in by_expansion.items())
        for short, by_expansion in meanings.items()
        if len(by_expansion) > 1
    ]
    table = {short: next(iter(m)) for short, m in meanings.items() if len(m) == 1}
    problems += [
        f"expansion {e.expansion!r} of {e.language}.{e.short} contains an abbreviation"
        for e in entries
        if any(w in meanings for w in e.expansion.split())
    ]
    numbered = load_place_words().numbered
    return Abbreviations(
        entries=entries,
        languages=tuple(lang for lang in raw if wanted is None or lang in wanted),
        problems=tuple(problems),
        numbered=numbered,
        table=MappingProxyType(table),
    )


def load_abbreviations(
    path: Path = DEFAULT_ABBREVIATIONS, languages: Iterable[str] | None = None
) -> Abbreviations:
    """Read the SMS abbreviations of the given languages (all when None) from a TOML data file."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return build_abbreviations(raw, languages, path)
