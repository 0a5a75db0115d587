"""Reporter-facing SMS templates and keywords, loaded from data and checked for safety (R9, R32)."""

from __future__ import annotations

import re
import string
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerts.triage.taxonomy import Taxonomy
from channels.gsm import GSM7_SINGLE, UCS2_SINGLE, is_gsm7, septets, utf16_units

DEFAULT_MESSAGES = Path(__file__).with_name("data") / "messages.toml"
FALLBACK_LANGUAGE = "en"
TEMPLATE_KEYS = ("receipt", "passed_on", "closure", "more_info", "help", "stopped", "language_set", "joined")
KEYWORD_KINDS = ("help", "stop", "language", "join")
PLACEHOLDERS = frozenset({"ref"})
SAMPLE_VALUES = {"ref": "ACDEF347"}
"""Worst-case values for length checks: a reference as long as the column that stores it."""


@dataclass(frozen=True, slots=True)
class Messages:
    templates: Mapping[str, Mapping[str, str]]
    """language -> template key -> text with ``{ref}`` placeholders."""
    deny: Mapping[str, tuple[str, ...]]
    """group (a language or ``missions``) -> words no template may contain."""
    keywords: Mapping[str, Mapping[str, tuple[str, ...]]]
    """language -> kind (help, stop, language, join) -> words."""
    panic: str
    """Default panic word; a network's own word, from configuration, overrides it."""
    language_names: Mapping[str, tuple[str, ...]]
    """language code -> names that may follow a language keyword instead of the code."""

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.templates)


def load_messages(path: Path = DEFAULT_MESSAGES, *, taxonomy: Taxonomy | None = None) -> Messages:
    """Read a messages file; fail loudly, naming every problem, on a template that ``check_templates``
    refuses (missing in English, not one SMS, a deny-listed word or, given the ``taxonomy``, a category
    code or label: R9, R32) or a keyword in two kinds. A deployment's edited file is checked too."""
    with path.open("rb") as f:
        raw: dict[str, Any] = tomllib.load(f)
    keywords_raw: dict[str, Any] = dict(raw.get("keywords", {}))
    panic = keywords_raw.pop("panic", None)
    if not isinstance(panic, str) or not panic.strip():
        raise ValueError(f"{path}: [keywords] needs a panic word")
    messages = Messages(
        templates={lang: dict(entries) for lang, entries in raw["templates"].items()},
        deny={group: tuple(words) for group, words in raw.get("deny", {}).items()},
        keywords={
            lang: {kind: tuple(words) for kind, words in kinds.items()}
            for lang, kinds in keywords_raw.items()
        },
        panic=panic,
        language_names={lang: tuple(names) for lang, names in raw.get("languages", {}).items()},
    )
    if problems := check_templates(messages, category_terms(taxonomy)) + keyword_clashes(messages):
        raise ValueError(f"{path}: {'; '.join(problems)}")
    return messages


def category_terms(taxonomy: Taxonomy | None) -> list[str]:
    """What would name a category in a message: its codes and its labels in every language."""
    if taxonomy is None:
        return []
    return [
        *taxonomy.categories,
        *(label for c in taxonomy.categories.values() for label in c.labels.values()),
    ]


def render(messages: Messages, key: str, language: str | None, **values: str) -> str:
    """The template in the reporter's language, else English, with its placeholders filled."""
    localised = messages.templates.get(language or FALLBACK_LANGUAGE, {})
    template = localised.get(key) or messages.templates[FALLBACK_LANGUAGE][key]
    return template.format(**values)


_FOLD = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "œ": "oe",
        "æ": "ae",
        "ø": "o",
        "ɛ": "e",
        "ɔ": "o",
        "ɲ": "ny",
        "ŋ": "ng",
        "ة": "ه",
        "ى": "ي",
        "ـ": None,
    }
)
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Casefolded, accents and Arabic diacritics and hamza seats dropped, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", bare.casefold().translate(_FOLD)).strip()


_ARABIC_BLOCKS = (
    ("\u0600", "\u06ff"),
    ("\u0750", "\u077f"),
    ("\u0870", "\u08ff"),
    ("\ufb50", "\ufdff"),
    ("\ufe70", "\ufefc"),
)


def _is_arabic(ch: str) -> bool:
    return any(low <= ch <= high for low, high in _ARABIC_BLOCKS)


def has_arabic_script(text: str) -> bool:
    """True when any character is Arabic script (such a message is UCS-2, limited to 70)."""
    return any(_is_arabic(ch) for ch in text)


def _term_pattern(term: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(word) for word in fold(term).split(" "))
    # Arabic attaches articles and prepositions (al-, wa-, bi-) to the word: match inside words there.
    if has_arabic_script(term):
        return re.compile(words)
    return re.compile(rf"(?<!\w){words}(?!\w)")


_LABEL_PARTS = re.compile(r"\s*[,;/]\s*|\s+(?:or|ou|أو)\s+")


def _label_terms(label: str) -> set[str]:
    # "Looting, burning, cattle raid" lists alternatives: each one alone is as revealing as the label.
    return {label, *(part for part in _LABEL_PARTS.split(label) if part.strip())}


def _encoding_problem(where: str, text: str) -> str | None:
    if has_arabic_script(text):
        if utf16_units(text) > UCS2_SINGLE:
            return f"{where}: {utf16_units(text)} characters in Arabic script, more than {UCS2_SINGLE}"
        return None
    if not is_gsm7(text):
        bad = "".join(sorted({ch for ch in text if not is_gsm7(ch)}))
        return f"{where}: not GSM-7 because of {bad!r}"
    if septets(text) > GSM7_SINGLE:
        return f"{where}: {septets(text)} septets, more than one SMS ({GSM7_SINGLE})"
    return None


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _forbidden_terms(messages: Messages, taxonomy_labels: Iterable[str]) -> list[tuple[str, re.Pattern[str]]]:
    terms = [
        (f"deny-listed word {w!r} ({group})", w) for group, words in messages.deny.items() for w in words
    ]
    terms += [(f"category label {term!r}", term) for label in taxonomy_labels for term in _label_terms(label)]
    return [(reason, _term_pattern(term)) for reason, term in terms if fold(term)]


def _template_problems(
    where: str, template: str, english: str | None, forbidden: list[tuple[str, re.Pattern[str]]]
) -> list[str]:
    try:
        names = _placeholders(template)
        text = template.format(**SAMPLE_VALUES) if names <= PLACEHOLDERS else None
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        return [f"{where}: unreadable placeholder ({exc})"]
    if text is None:
        return [f"{where}: placeholders {sorted(names - PLACEHOLDERS)} beyond {sorted(PLACEHOLDERS)}"]
    problems = []
    try:
        if english is not None and names != _placeholders(english):
            problems.append(f"{where}: placeholders differ from {FALLBACK_LANGUAGE}")
    except ValueError:
        pass  # reported against the English template itself
    if problem := _encoding_problem(where, text):
        problems.append(problem)
    folded = fold(text)
    return problems + [f"{where}: {reason}" for reason, pattern in forbidden if pattern.search(folded)]


def check_templates(messages: Messages, taxonomy_labels: Iterable[str]) -> list[str]:
    """Every problem in every template: encoding, length, placeholders, deny-listed words, category labels."""
    forbidden = _forbidden_terms(messages, taxonomy_labels)
    english = messages.templates.get(FALLBACK_LANGUAGE, {})
    problems = [
        f"{FALLBACK_LANGUAGE}.{key}: missing (it is the fallback)"
        for key in TEMPLATE_KEYS
        if key not in english
    ]
    for language, templates in messages.templates.items():
        for key, template in templates.items():
            where = f"{language}.{key}"
            if key not in TEMPLATE_KEYS:
                problems.append(f"{where}: unknown template key")
            reference = english.get(key) if language != FALLBACK_LANGUAGE else None
            problems += _template_problems(where, template, reference, forbidden)
    return problems


def keyword_clashes(messages: Messages) -> list[str]:
    """Keywords (and the panic word) that would mean two different commands."""
    kinds: dict[str, set[str]] = {fold(messages.panic): {"panic"}}
    for by_kind in messages.keywords.values():
        for kind, words in by_kind.items():
            for word in words:
                kinds.setdefault(fold(word), set()).add(kind)
    unknown = {kind for by_kind in messages.keywords.values() for kind in by_kind} - set(KEYWORD_KINDS)
    clashes = [f"unknown keyword kind {kind!r}" for kind in sorted(unknown)]
    clashes += [
        f"keyword {word!r} means {' and '.join(sorted(k))}" for word, k in kinds.items() if len(k) > 1
    ]
    return clashes
