"""Normalise place names and find the word spans of a report that may name a place.

The pipeline follows DOMAIN.md §8.3 for place matching: Unicode NFKC, special letters
(ɛ→e, ɔ→o, ɲ→ny, ŋ→ng), accents stripped, casefold, Arabic letter variants folded, Arabizi
digits inside words turned into the Latin letters that gazetteers write (7→h, 5→kh, 3'→gh;
ʿayn and hamza dropped, as the settlement lists drop them), apostrophes removed, any other
punctuation made a space, runs of one letter squashed. Stop-phrases per language come from
``geo/data/place_words.toml``.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PLACE_WORDS_FILE = Path(__file__).with_name("data") / "place_words.toml"
MAX_SPAN_WORDS = 4
"""Longest place name, in words, looked up in a text ("Adama Umm Kureita Var")."""

SPECIAL_LETTERS = str.maketrans(
    {
        "ɛ": "e", "Ɛ": "E", "ɔ": "o", "Ɔ": "O", "ɲ": "ny", "Ɲ": "Ny", "ŋ": "ng", "Ŋ": "Ng",
        "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ø": "o", "Ø": "O", "đ": "d",
        "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "ɓ": "b", "Ɓ": "B", "ɗ": "d", "Ɗ": "D",
        "ƙ": "k", "ʃ": "sh", "ɣ": "gh", "Ɣ": "Gh",
        "ة": "ه", "ى": "ي", "ـ": "",
    }
)  # fmt: skip
"""Letters of African-language orthographies and Arabic variants folded to their common spelling (R11)."""
_APOSTROPHES = "'’‘`´ʼʻʿʾ"
_RAW_TOKEN = re.compile(rf"[^\W_]+(?:[{_APOSTROPHES}]+[^\W_]*)*|[{_APOSTROPHES}]+[^\W_]+")
_ELISION = re.compile(rf"^(qu|[ldjcs])[{_APOSTROPHES}](?=[a-z])")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th|e|eme|er|ere|ème)")
_TRAILING_NUMBER = re.compile(r"([^\d]*[^\W\d_])(\d+)")
ARABIZI_PAIRS = (("3'", "gh"), ("7'", "kh"), ("5'", "kh"))
ARABIZI_DIGITS = str.maketrans({"2": "", "3": "", "5": "kh", "6": "t", "7": "h", "9": "s"})
"""Arabizi digit-letters in Latin spelling (DOMAIN.md §8.3): ʿayn and hamza are dropped, as in Juba Arabic."""
_SQUASH = re.compile(r"([^\W\d_])\1+")
_APOSTROPHE_RUN = re.compile(f"[{_APOSTROPHES}]+")


def _fold(text: str) -> str:
    """NFKC, special letters, accents stripped: case is kept so capitals can still be seen."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).translate(SPECIAL_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def _normal_tokens(raw: str) -> tuple[str, ...]:
    """One raw token (letters, digits, apostrophes) as zero or more normalised tokens."""
    return tuple(_normalise_token(raw))


def _name_and_number(token: str) -> tuple[str, str] | None:
    """ "kilo5", "pk12": a name and its number, or None."""
    if (trailing := _TRAILING_NUMBER.fullmatch(token)) and not any(ch.isdigit() for ch in trailing.group(1)):
        return trailing.group(1), trailing.group(2)
    return None


def _normalise_token(raw: str) -> Iterator[str]:
    token = raw.casefold()
    if elided := _ELISION.match(token):  # French l'/d'/qu' before a name: "d'Obo" is "d Obo"
        yield elided.group(1)
        token = token[elided.end() :]
    if ordinal := _ORDINAL.fullmatch(token):
        yield ordinal.group(1)
        return
    numbered = _name_and_number(_APOSTROPHE_RUN.sub("", token))
    if not numbered and any(ch.isdigit() for ch in token) and any(ch.isalpha() for ch in token):
        for pair, letters in ARABIZI_PAIRS:
            token = token.replace(pair, letters)
        token = token.translate(ARABIZI_DIGITS)
    token = _APOSTROPHE_RUN.sub("", token)
    # Checked again after Arabizi: "2a0" is "a0", a name and its number, as a second pass would say.
    if numbered := _name_and_number(token):
        yield from (t for t in (_SQUASH.sub(r"\1", numbered[0]), numbered[1]) if t)
    elif token := _SQUASH.sub(r"\1", token):
        # Squashing can make an ordinal ("0ee" is "0e"): read it as one, as a second pass would.
        yield ordinal.group(1) if (ordinal := _ORDINAL.fullmatch(token)) else token


def place_tokens(text: str) -> list[tuple[str, bool]]:
    """Normalised tokens of a text, each with whether its author wrote it with a capital."""
    folded = _fold(text)
    mixed_case = folded != folded.lower() and folded != folded.upper()
    tokens: list[tuple[str, bool]] = []
    for raw in _RAW_TOKEN.findall(folded):
        marked = mixed_case and raw[0].isupper()
        tokens.extend((token, marked) for token in _normal_tokens(raw))
    return tokens


def normalise_place(text: str) -> str:
    """The matching key of a place name or text: normalised tokens joined by single spaces."""
    return " ".join(token for token, _ in place_tokens(text))


@dataclass(frozen=True, slots=True)
class PlaceWords:
    """Stop-phrases for place matching, normalised, as tuples of tokens."""

    near: frozenset[tuple[str, ...]]
    filler: frozenset[tuple[str, ...]]
    common: frozenset[str]
    numbered: frozenset[str]
    languages: tuple[str, ...]
    longest_phrase: int = 1
    """Length in tokens of the longest near or filler phrase."""


def _phrases(entries: Iterable[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(tokens for entry in entries if (tokens := tuple(normalise_place(entry).split())))


def build_place_words(
    table: dict[str, dict[str, list[str]]], languages: Iterable[str] | None = None
) -> PlaceWords:
    """Place words from a parsed table {role: {language: [phrases]}}, for some or all languages."""
    wanted = None if languages is None else {lang.casefold() for lang in languages}

    def entries(role: str) -> list[str]:
        by_language = table.get(role, {})
        return [e for lang, items in by_language.items() if wanted is None or lang in wanted for e in items]

    present = sorted({lang for role in table.values() for lang in role})
    near, filler = _phrases(entries("near")), _phrases(entries("filler"))
    return PlaceWords(
        near=near,
        filler=filler,
        common=frozenset(t for p in _phrases(entries("common")) for t in p),
        numbered=frozenset(t for p in _phrases(entries("numbered")) for t in p),
        languages=tuple(lang for lang in present if wanted is None or lang in wanted),
        longest_phrase=max((len(p) for p in near | filler), default=1),
    )


@lru_cache(maxsize=8)
def load_place_words(languages: tuple[str, ...] | None = None, path: Path = PLACE_WORDS_FILE) -> PlaceWords:
    """Read the place words of the given languages (all when None) from the TOML data file."""
    with path.open("rb") as handle:
        table = tomllib.load(handle)
    return build_place_words(table, languages)


@dataclass(frozen=True, slots=True)
class PlaceSpan:
    """A run of words that may name a place."""

    key: str
    """Normalised words joined by spaces: the lookup key."""
    start: int
    end: int
    """Token indices, end excluded."""
    near: bool
    """A near-phrase ("near", "près de", "jamb", "karibu na") comes before it."""
    core: bool
    """Starts and ends with a name-like word, so fuzzy matching is worth trying."""
    marked: bool
    """Its first word was written with a capital in a mixed-case text."""


@dataclass(frozen=True, slots=True)
class PlaceText:
    """A text read for places: its tokens and the spans to look up."""

    tokens: tuple[str, ...]
    spans: tuple[PlaceSpan, ...]
    near: bool
    """Any near-phrase in the text."""


_WORD, _NEAR, _FILLER, _COMMON = 0, 1, 2, 3


def _merge_numbered(tokens: list[tuple[str, bool]], numbered: frozenset[str]) -> list[tuple[str, bool]]:
    """Keep "kilo 5", "pk 12", "block 3" as one token so neither half is matched alone."""
    merged: list[tuple[str, bool]] = []
    for token, marked in tokens:
        if merged and token.isdigit() and merged[-1][0] in numbered:
            merged[-1] = (f"{merged[-1][0]} {token}", merged[-1][1])
        else:
            merged.append((token, marked))
    return merged


def _roles(tokens: list[str], words: PlaceWords) -> list[int]:
    roles = [_WORD] * len(tokens)
    longest = words.longest_phrase
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            phrase = tuple(tokens[i : i + size])
            if phrase in words.near:
                roles[i : i + size] = [_NEAR] * size
                break
            if phrase in words.filler:
                roles[i : i + size] = [_FILLER] * size
                break
        else:
            if tokens[i] in words.common or tokens[i].isdigit():
                roles[i] = _COMMON
            size = 1
        i += size
    return roles


def find_place_spans(text: str, words: PlaceWords, max_words: int = MAX_SPAN_WORDS) -> PlaceText:
    """The spans of ``text`` that may name a place, and whether a near-phrase was used."""
    pairs = _merge_numbered(place_tokens(text), words.numbered)
    tokens = [t for t, _ in pairs]
    roles = _roles(tokens, words)
    near_before = [False] * len(tokens)
    last_near = False
    for i, role in enumerate(roles):
        near_before[i] = last_near
        if role == _NEAR:
            last_near = True
        elif role in (_WORD, _COMMON):
            last_near = False
    spans: list[PlaceSpan] = []
    for start in range(len(tokens)):
        if roles[start] == _NEAR:
            continue
        for end in range(start + 1, min(len(tokens), start + max_words) + 1):
            if roles[end - 1] == _NEAR:
                break
            if all(r != _WORD for r in roles[start:end]):
                continue
            last = tokens[end - 1]
            core = roles[start] == _WORD and (roles[end - 1] == _WORD or last.isdigit())
            key = " ".join(tokens[start:end])
            spans.append(PlaceSpan(key, start, end, near_before[start], core, pairs[start][1]))
    return PlaceText(tuple(tokens), tuple(spans), any(r == _NEAR for r in roles))
