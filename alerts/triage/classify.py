"""Keyword triage classifier (DOMAIN.md §2.3, §3.4, §8.3; R6, R10, R13, R14, R15, R18, R49).

Pipeline for one report:

1. Normalise the text (:func:`alerts.triage.normalise.normalise_report`).
2. Structured or free text, decided first (§8.3 rule 1, R6; :func:`read_structured`): a leading SMS
   code or USSD digit followed by nothing but a place ("SXV Bambari", "2 Kaga Bandoro") or a
   ``category_hint`` (a USSD answer) decides the category; a sentence that merely starts with a
   number or a code-like word ("5 girls raped by armed men") is free text. An ELE share whose rest
   of text matches a harm category is stored under that harm category with ``election_related`` set
   (§2.3: ELE is an entry point, not a stored harm class).
3. Free text: every lexicon of the country is matched per token (§8.3 rule 4: no language
   identification first). At each token the longest phrase wins (the heavier one between equally
   long phrases of two languages) and its tokens are consumed, so a
   token never counts for two category terms. A category's score is the sum of its matched weights.
4. Decision: SXV whenever its affirmed (not negated) evidence reaches ``MIN_SCORE``, whatever the
   other categories sum to (never outvoted; ``flags.harms`` lists every harm shown); otherwise
   the best category when its score reaches ``MIN_SCORE``; ties are broken by
   ``PRECEDENCE`` (most severe first, so a tie never hides sexual violence behind a lesser
   category; the reviewer sees every score). ELE is chosen only when no other category reaches
   ``MIN_SCORE`` (election words alone are a process report). Anything else, including text in a
   language no lexicon knows, is OTH for human review, never dropped (R10). There is deliberately
   no "margin too small -> OTH" rule: on the labelled set every near-tie was between two real
   categories (e.g. FIG vs ATK), and sending those to OTH would lower their priority (OTH is P3);
   the runner-up stays visible in ``scores`` for the reviewer.
5. Flags from cue lists (women/girls, election words, target roles, harm types, time words), the
   VAWE rule (:func:`alerts.triage.vawe.assess_vawe`; E1 from :func:`alerts.triage.elections.electoral_phase`
   when calendars and ``received_at`` are given) and the priority
   (:func:`alerts.triage.priority.assign_priority`).

Every non-OTH free-text prediction carries the matched normalised terms as evidence (R14).
Lexicons are data (``alerts/data/lexicons``): one file per language plus optional per-country files
(``countries/<CC>.toml``) that restrict the languages and add entries (R13, R49).

    python -m alerts.triage.classify --country SS < reports.jsonl > classified.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from alerts.triage.elections import Election, electoral_phase, load_calendars
from alerts.triage.normalise import Abbreviations, load_abbreviations, normalise_report
from alerts.triage.priority import assign_priority
from alerts.triage.taxonomy import FALLBACK, Category, Taxonomy, load_taxonomy, parse_structured
from alerts.triage.vawe import ELECTION_TARGET_ROLES, HARM_CATEGORIES, assess_vawe

DEFAULT_LEXICONS = Path(__file__).parents[1] / "data" / "lexicons"

MIN_SCORE = 1.0
"""A category needs at least this much matched weight (one full-weight term, or two weak ones)."""
PRECEDENCE = (
    "SXV", "ABD", "FIG", "ATK", "MOB", "LOT", "THR", "ARM", "DSP", "TEN", "MOV", "PRO", "PCE", "ELE",
)  # fmt: skip
"""Tie-break order, most severe first."""

CATEGORY_HARM_TYPE = {
    "ATK": "physical",
    "ABD": "physical",
    "FIG": "physical",
    "MOB": "physical",
    "SXV": "sexual",
    "THR": "threat_coercion",
    "LOT": "economic",
}
"""Default ``harm_type`` of a harm category (§3.1); a harm cue may refine it (``online``)."""

ROLE_CUES = (
    "candidate",
    "politician",
    "party_supporter",
    "voter",
    "government_official",
    "election_official",
    "observer",
    "activist_hrd",
    "journalist",
    "accused_of_witchcraft",
)
TIME_CUES = ("happening_now", "today", "yesterday", "earlier")
CUE_KINDS = frozenset(
    {"women", "girl", "civilian", "negation", "election", "force", "imminent", "function"}
    | {f"role:{r}" for r in ROLE_CUES}
    | {f"time:{t}" for t in TIME_CUES}
    | {"harm:online", "harm:psychological"}
)
"""Closed set of cue kinds a lexicon file may use."""
CIVILIAN_CUES = ("civilian", "women", "girl")
"""Cues that name civilians as the people harmed: a violent act against them is an attack (ATK),
between armed actors it is fighting (FIG) (DOMAIN.md §2.3; see ``Term.on_civilians``)."""
NEGATION_REACH = 3
"""A negation cue or a threat term (THR) this many words or fewer before a sexual-violence term ("no
one was raped", "pas de viol", "threatened to rape her") makes that term no evidence for SXV: the
act is denied or announced, not reported. It still raises the cue flag."""
PLACE_WORDS = 4
"""Most words a structured message may have after its code (time words aside): a place name
("Kaga Bandoro quartier Bac") with at most a count or victim ("Kajo Keji 2 girls"). A sentence
that merely starts with a number or a code-like word ("5 girls raped by armed men") is longer or
carries words that place names never do (see :func:`read_structured`)."""
CODE_WORDS = frozenset({"TEN", "PRO", "ARM", "LOT", "MOB"})
"""Category codes that are also words of a deployment language ("Ten civilians", "Pro-government"):
like a menu digit, a code only before a place. Any other letter code ("ATK", "SXV") starts no
sentence, so it is a code whatever follows it ("ATK Juba they are shooting")."""

MAX_EVIDENCE_SPANS = 10
"""Most spans kept per category or cue in ``evidence`` (R14), first ones first: a pasted bulletin
or a repeated word would otherwise store hundreds of spans in every incident row and bury the
reviewer's screen. Scores still count every match; ten spans are enough to see why."""

RELIABILITY_UNKNOWN = "F"
"""Reliability cannot be judged at triage; it never changes the priority (R24)."""

Mode = Literal["exact", "prefix", "contains"]


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon phrase: normalised tokens, each matched exactly, as a prefix ("viol*") or, for
    Arabic script, as a substring ("*ضرب*")."""

    text: str
    pattern: tuple[tuple[Mode, str], ...]
    key: str
    """``category`` code or ``cue:<kind>``."""
    language: str
    weight: float
    source: str
    on_civilians: str | None = None
    """The category when civilians are named as targets ("ambushed", "opened fire": ATK against
    villagers, FIG against a patrol); ``key`` otherwise."""


@dataclass(frozen=True, slots=True)
class Lexicons:
    country: str | None
    languages: tuple[str, ...]
    terms: tuple[Term, ...]
    _exact: Mapping[str, tuple[Term, ...]] = field(repr=False)
    _prefix: Mapping[str, tuple[Term, ...]] = field(repr=False)
    _contains: tuple[Term, ...] = field(repr=False)

    def candidates(self, token: str) -> list[Term]:
        found = list(self._exact.get(token, ()))
        found += self._prefix.get(token[:3], ())
        if self._contains and not token.isascii():
            found += [t for t in self._contains if t.pattern[0][1] in token]
        return found


@dataclass(frozen=True, slots=True)
class Classification:
    category: str
    scores: dict[str, float]
    evidence: dict[str, list[str]]
    flags: dict[str, Any]
    priority: str
    language: str
    vawe_evidence: str
    reasons: tuple[str, ...] = ()
    body: str = ""
    """The words after a leading code or menu digit (all of them for free text): where places are."""


# Loading ------------------------------------------------------------------------------------------


def _pattern(text: str, where: str) -> tuple[tuple[Mode, str], ...]:
    parts: list[tuple[Mode, str]] = []
    for word in text.replace("'", " ").split():
        if word.startswith("*") and word.endswith("*") and len(word) > 2:
            parts.append(("contains", word[1:-1]))
        elif word.endswith("*") and len(word) > 3:
            parts.append(("prefix", word[:-1]))
        elif "*" in word:
            raise ValueError(f"{where}: bad wildcard in {text!r} (use 'abc*' or '*xyz*')")
        else:
            parts.append(("exact", word))
    if not parts:
        raise ValueError(f"{where}: empty term")
    if any(mode == "contains" for mode, _ in parts) and len(parts) > 1:
        raise ValueError(f"{where}: a '*x*' term must be a single word: {text!r}")
    return tuple(parts)


def _check_normalised(term: str, abbreviations: Abbreviations, where: str) -> None:
    plain = term.replace("*", "")
    normal = normalise_report(plain, abbreviations).text
    if normal != plain:
        raise ValueError(f"{where}: term {term!r} is not in normalised form (normalises to {normal!r})")


def _read_entries(
    raw: Mapping[str, Any],
    path: Path,
    categories: Iterable[str] | None,
    abbreviations: Abbreviations | None,
) -> list[Term]:
    known = set(categories) if categories is not None else None
    terms: list[Term] = []
    for n, entry in enumerate(raw.get("entries", []), 1):
        where = f"{path.name} entry {n}"
        for required in ("language", "source", "terms"):
            if not entry.get(required):
                raise ValueError(f"{where}: needs {required!r}")
        category, cue = entry.get("category"), entry.get("cue")
        if (category is None) == (cue is None):
            raise ValueError(f"{where}: give exactly one of 'category' or 'cue'")
        on_civilians = entry.get("on_civilians")
        for code in (category, on_civilians):
            if code is not None and known is not None and code not in known:
                raise ValueError(f"{where}: category {code!r} is not in the taxonomy")
        if on_civilians is not None and category is None:
            raise ValueError(f"{where}: 'on_civilians' needs a 'category'")
        if cue is not None and cue not in CUE_KINDS:
            raise ValueError(f"{where}: cue {cue!r} is not one of {sorted(CUE_KINDS)}")
        weight = float(entry.get("weight", 1.0))
        if weight <= 0:
            raise ValueError(f"{where}: weight must be positive")
        key = str(category) if category is not None else f"cue:{cue}"
        for text in entry["terms"]:
            if abbreviations is not None:
                _check_normalised(text, abbreviations, where)
            terms.append(
                Term(
                    text,
                    _pattern(text, where),
                    key,
                    str(entry["language"]),
                    weight,
                    str(entry["source"]),
                    on_civilians,
                )
            )
    return terms


def build_lexicons(country: str | None, terms: Sequence[Term], languages: Sequence[str]) -> Lexicons:
    exact: dict[str, list[Term]] = {}
    prefix: dict[str, list[Term]] = {}
    contains: list[Term] = []
    for term in terms:
        mode, first = term.pattern[0]
        if mode == "exact":
            exact.setdefault(first, []).append(term)
        elif mode == "prefix":
            prefix.setdefault(first[:3], []).append(term)
        else:
            contains.append(term)

    def longest_first(table: dict[str, list[Term]]) -> dict[str, tuple[Term, ...]]:
        return {k: tuple(sorted(v, key=lambda t: (-len(t.pattern), -t.weight))) for k, v in table.items()}

    return Lexicons(
        country=country,
        languages=tuple(languages),
        terms=tuple(terms),
        _exact=longest_first(exact),
        _prefix=longest_first(prefix),
        _contains=tuple(contains),
    )


class UnknownCountry(ValueError):
    """A country with no file in ``countries/``: no configuration to read its reports with."""


def configured_countries(path: Path = DEFAULT_LEXICONS) -> tuple[str, ...]:
    """ISO2 codes of the countries with a lexicon file (``countries/<CC>.toml``), sorted."""
    return tuple(sorted(file.stem.upper() for file in (path / "countries").glob("*.toml")))


def load_lexicons(
    country: str | None = None,
    path: Path = DEFAULT_LEXICONS,
    *,
    taxonomy: Taxonomy | None = None,
    abbreviations: Abbreviations | None = None,
) -> Lexicons:
    """All language lexicons (code-mixing, §8.3 rule 4), then the country file when there is one:
    its ``languages`` list restricts the language files and its entries are added (R13).

    Entries are checked: a category of the taxonomy or a known cue kind, a language, a source, and
    (when ``abbreviations`` is given) terms already in normalised form.
    """
    taxonomy = taxonomy or load_taxonomy()
    categories = [c for c in taxonomy.categories if c != FALLBACK]
    country_raw: dict[str, Any] = {}
    country_file = path / "countries" / f"{country.upper()}.toml" if country else None
    if country is not None and country.upper() not in configured_countries(path):
        # Never a silent default: reports would be read with another country's vocabulary.
        raise UnknownCountry(
            f"country {country!r} has no triage configuration ({path / 'countries'}); "
            f"configured countries: {', '.join(configured_countries(path)) or 'none'}"
        )
    if country_file is not None:
        with country_file.open("rb") as f:
            country_raw = tomllib.load(f)
    files = sorted(path.glob("*.toml"))
    wanted = country_raw.get("languages")
    terms: list[Term] = []
    languages: list[str] = []
    for file in files:
        if wanted is not None and file.stem not in wanted:
            continue
        with file.open("rb") as f:
            raw = tomllib.load(f)
        if raw.get("language") != file.stem or not raw.get("source"):
            raise ValueError(f"{file.name}: needs language = {file.stem!r} and a source")
        languages.append(file.stem)
        terms += _read_entries(raw, file, categories, abbreviations)
    if country_file is not None and country_raw:
        terms += _read_entries(country_raw, country_file, categories, abbreviations)
    return build_lexicons(country.upper() if country else None, terms, languages)


# Matching -----------------------------------------------------------------------------------------


def _token_matches(mode: Mode, value: str, token: str) -> bool:
    if mode == "exact":
        return token == value
    if mode == "prefix":
        return token.startswith(value)
    return value in token


def _matches_at(term: Term, tokens: Sequence[str], i: int) -> bool:
    if i + len(term.pattern) > len(tokens):
        return False
    return all(_token_matches(m, v, tokens[i + k]) for k, (m, v) in enumerate(term.pattern))


@dataclass(slots=True)
class _Matches:
    scores: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    cues: dict[str, list[str]] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    sxv_affirmed: float = 0.0
    """SXV weight of the terms not under a negation: the evidence that makes the category SXV."""


def _match(tokens: Sequence[str], lexicons: Lexicons) -> _Matches:
    """Category terms: longest phrase first, tokens consumed. Cues: every cue phrase, independently.
    A term with ``on_civilians`` counts for that category when a civilian cue occurs anywhere."""
    out = _Matches()
    by_target: list[tuple[Term, str]] = []
    unaffirming: list[int] = []
    """Where a negation or a threat ends (``NEGATION_REACH``)."""
    i = 0
    n = len(tokens)
    while i < n:
        candidates = sorted(lexicons.candidates(tokens[i]), key=lambda t: (-len(t.pattern), -t.weight))
        consumed = 1
        category_done = False
        for term in candidates:
            is_cue = term.key.startswith("cue:")
            if (not is_cue and category_done) or not _matches_at(term, tokens, i):
                continue
            span = " ".join(tokens[i : i + len(term.pattern)])
            out.languages[term.language] = out.languages.get(term.language, 0) + 1
            if is_cue:
                kind = term.key[4:]
                if kind == "negation":
                    unaffirming.append(i + len(term.pattern) - 1)
                if span not in out.cues.setdefault(kind, []):
                    out.cues[kind].append(span)
                continue
            category_done = True
            consumed = len(term.pattern)
            if term.on_civilians is not None:
                by_target.append((term, span))
                continue
            if term.key == "SXV" and not any(0 < i - k <= NEGATION_REACH for k in unaffirming):
                out.sxv_affirmed += term.weight
            if term.key == "THR":
                unaffirming.append(i + consumed - 1)
            _score(out, term.key, term.weight, span)
        i += consumed
    civilians = any(kind in out.cues for kind in CIVILIAN_CUES)
    for term, span in by_target:
        _score(out, term.on_civilians if civilians and term.on_civilians else term.key, term.weight, span)
    return out


def _score(out: _Matches, category: str, weight: float, span: str) -> None:
    out.scores[category] = out.scores.get(category, 0.0) + weight
    out.evidence.setdefault(category, []).append(span)


def _decide(scores: Mapping[str, float], sxv_affirmed: float = 0.0) -> str:
    """Sexual violence first: affirmed SXV evidence of at least ``MIN_SCORE`` (one full term or two
    weak ones, none negated) makes the category SXV whatever the other categories sum to, so it is
    never outvoted by the killing, abduction or armed-men words that come with it (the other harms
    stay in ``harms``). Otherwise the best-scoring other category (module doc): denied, threatened
    or weak sexual-violence words raise the cue flag, not the category."""
    if sxv_affirmed >= MIN_SCORE:
        return "SXV"
    ranked = sorted(
        ((s, c) for c, s in scores.items() if c not in {"ELE", "SXV"} and s >= MIN_SCORE),
        key=lambda sc: (-sc[0], PRECEDENCE.index(sc[1]) if sc[1] in PRECEDENCE else len(PRECEDENCE)),
    )
    if ranked:
        return ranked[0][1]
    if scores.get("ELE", 0.0) >= MIN_SCORE:
        return "ELE"
    return FALLBACK


def _language(text: str, matches: _Matches) -> str:
    if any("\u0600" <= ch <= "\u06ff" for ch in text):
        return "ar"
    counts = sorted(matches.languages.items(), key=lambda kv: -kv[1])
    if not counts:
        return "unknown"
    if len(counts) > 1 and counts[1][1] >= 2 and counts[1][1] * 3 >= counts[0][1]:
        return "mixed"
    return counts[0][0]


def _harms(category: str, scores: Mapping[str, float]) -> list[str]:
    """Every harm the report shows (multi-label): the category first, then each other harm category
    with enough evidence to have been chosen on its own, most severe first."""
    others = [
        c for c in PRECEDENCE if c in HARM_CATEGORIES and c != category and scores.get(c, 0.0) >= MIN_SCORE
    ]
    return ([category] if category in HARM_CATEGORIES else []) + others


def read_structured(
    text: str, *, taxonomy: Taxonomy, lexicons: Lexicons, abbreviations: Abbreviations
) -> tuple[Category, str] | None:
    """The code and the rest when ``text`` is a structured message, None when it is free text.

    Structured means a leading letter code that is no word (``CODE_WORDS``), or a menu digit or
    code word (:func:`parse_structured`) followed by nothing but a place: at most ``PLACE_WORDS``
    words once time words ("now", "hier soir") are set aside, no function word of prose ("the",
    "were", "people": the lexicons' ``function`` cue), and
    no category term other than one of the code's own category ("LOT Rumbek cattle"). A word of
    another category is the verb of a sentence that happens to start with a number or a code-like
    word ("5 girls raped by armed men", "Ten civilians were killed"): that is free text and its
    words decide. A USSD answer comes as ``category_hint`` and needs no such reading.
    """
    parsed = parse_structured(text, taxonomy)
    if parsed is None:
        return None
    category, rest = parsed
    marker = text.split(maxsplit=1)[0].strip(",.;:!-").upper()
    if marker.isalpha() and marker not in CODE_WORDS:
        return parsed
    tokens = normalise_report(rest, abbreviations).tokens
    matches = _match(tokens, lexicons)
    time_words = sum(len(span.split()) for kind in TIME_CUES for span in matches.cues.get(f"time:{kind}", ()))
    if len(tokens) - time_words > PLACE_WORDS or "function" in matches.cues:
        return None
    if any(code != category.code for code in matches.scores):
        return None
    return parsed


def _time_class(cues: Mapping[str, list[str]]) -> str | None:
    for kind in TIME_CUES:
        if f"time:{kind}" in cues:
            return kind
    return None


def _target_role(cues: Mapping[str, list[str]], electoral_context: bool) -> str | None:
    """The first role named; an electoral role (voter, party supporter...) only in an electoral
    context: "supporters", "observers" or "agents" are everyday words of conflict reports."""
    for role in ROLE_CUES:
        if f"role:{role}" in cues and (electoral_context or role not in ELECTION_TARGET_ROLES):
            return role
    if "girl" in cues:
        return "girl"
    return None


def classify(
    text: str,
    *,
    lexicons: Lexicons,
    taxonomy: Taxonomy,
    abbreviations: Abbreviations,
    category_hint: str | None = None,
    channel: str | None = None,
    received_at: datetime | None = None,
    calendars: Iterable[Election] | None = None,
    country: str | None = None,
    area_pcodes: Sequence[str] = (),
) -> Classification:
    """Category, scores, evidence, flags, priority and language of one report (module doc)."""
    reasons: list[str] = []
    structured = read_structured(text, taxonomy=taxonomy, lexicons=lexicons, abbreviations=abbreviations)
    body = structured[1] if structured else text
    normal = normalise_report(body, abbreviations)
    matches = _match(normal.tokens, lexicons)
    scores = {c: round(s, 3) for c, s in sorted(matches.scores.items(), key=lambda kv: -kv[1])}
    free_choice = _decide(matches.scores, matches.sxv_affirmed)

    hint = category_hint if category_hint in taxonomy.categories else None
    if category_hint and hint is None:
        reasons.append(f"unknown category_hint {category_hint!r} ignored")
    chosen = hint or (structured[0].code if structured else None)
    chose_ele = chosen == "ELE"
    if chosen is None:
        category = free_choice
        reasons.append(f"free text: {category}" + ("" if category != FALLBACK else " (no clear evidence)"))
    elif chose_ele:
        harm = free_choice if free_choice in HARM_CATEGORIES else None
        category = harm or "ELE"
        reasons.append(f"structured ELE; stored as {category}")
    else:
        category = chosen
        reasons.append(f"structured input {'hint' if hint else 'code'}: {category}")

    cues = matches.cues
    # Election words, never weak ELE terms alone ("party", "register"): a party or movement named
    # in a conflict report ("SPLM soldiers") is no evidence of an election (#17 class 6).
    election_words = "election" in cues or scores.get("ELE", 0.0) >= MIN_SCORE or category == "ELE"
    phase = None
    if calendars is not None and received_at is not None and country:
        phase = electoral_phase(calendars, country, area_pcodes, received_at)
    target_role = _target_role(cues, chose_ele or election_words or phase is not None)
    female = bool(cues.get("women") or cues.get("girl"))
    harm_type = CATEGORY_HARM_TYPE.get(category)
    if harm_type == "threat_coercion" and "harm:online" in cues:
        harm_type = "online"
    force_used = bool(cues.get("force")) and category == "PRO"
    if category == "PRO" and force_used:
        harm_type = "physical"

    vawe = assess_vawe(
        category,
        harm_type,
        False,
        female,
        chose_ele,
        election_words,
        target_role if target_role != "girl" else None,
        phase is not None,
        force_used=force_used,
    )
    # An electoral role counts only inside an electoral window (``_target_role``), so a role is
    # evidence together with the calendar, never alone.
    election_related = chose_ele or election_words or target_role in ELECTION_TARGET_ROLES
    time_class = _time_class(cues)
    urgent = "time:happening_now" in cues
    imminent = bool(cues.get("imminent"))
    decision = assign_priority(
        category, time_class, urgent, imminent, False, RELIABILITY_UNKNOWN, force_used=force_used
    )

    flags: dict[str, Any] = {
        "vawe": vawe.vawe,
        "election_related": election_related,
        "women_targeted": female,
        "women_target_type": target_role if female else None,
        "harm_type": harm_type,
        "time_reported_class": time_class,
        "electoral_phase": phase.phase if phase else None,
        "election_tag": "election_related" if election_related else None,
        "structured": chosen is not None,
        "channel": channel,
        # Sexual-violence words that did not carry the category: restricted until the CRSV focal
        # point clears it (#16), never lost to a co-occurring category.
        "sexual_violence_cue": category != "SXV" and scores.get("SXV", 0.0) > 0,
        "harms": _harms(category, scores),
    }
    evidence = {c: v[:MAX_EVIDENCE_SPANS] for c, v in matches.evidence.items()}
    if chosen is not None:
        # R14 for structured input: the code or menu digit is the evidence of the chosen category.
        marker = text.split(maxsplit=1)[0].lower() if structured else f"hint:{chosen.lower()}"
        evidence["structured"] = [marker]
        if category not in evidence:
            evidence[category] = [marker]
    for kind, spans in cues.items():
        if kind != "function":
            evidence[f"cue:{kind}"] = spans[:MAX_EVIDENCE_SPANS]
    return Classification(
        category=category,
        scores=scores,
        evidence=evidence,
        flags=flags,
        priority=decision.priority,
        language=_language(text, matches),
        vawe_evidence=vawe.evidence if vawe.vawe != "no" else "none",
        reasons=(*reasons, *vawe.reasons, *decision.reasons),
        body=body,
    )


# CLI ----------------------------------------------------------------------------------------------


def _received(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def classify_record(
    record: Mapping[str, Any],
    *,
    lexicons: Lexicons,
    taxonomy: Taxonomy,
    abbreviations: Abbreviations,
    country: str | None,
    calendars: Iterable[Election] | None = None,
) -> dict[str, Any]:
    """One output line {id, category, scores, evidence, flags, priority, language} for one input."""
    hint = record.get("category_hint")
    result = classify(
        str(record.get("text") or ""),
        lexicons=lexicons,
        taxonomy=taxonomy,
        abbreviations=abbreviations,
        category_hint=hint if isinstance(hint, str) and hint else None,
        channel=record.get("channel") if isinstance(record.get("channel"), str) else None,
        received_at=_received(record.get("received_at")),
        calendars=calendars,
        country=country,
    )
    flags = dict(result.flags)
    flags["vawe_evidence"] = result.vawe_evidence
    return {
        "id": record.get("id"),
        "category": result.category,
        "scores": result.scores,
        "evidence": result.evidence,
        "flags": flags,
        "priority": result.priority,
        "language": result.language,
    }


def run(lines: Iterable[str], out: TextIO, country: str | None) -> int:
    """Classify JSON lines; a line that is not a JSON object is classified as its raw text (R10)."""
    taxonomy = load_taxonomy()
    abbreviations = load_abbreviations()
    lexicons = load_lexicons(country, taxonomy=taxonomy)
    count = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            record = {"id": None, "text": line.strip()}
        row = classify_record(
            record, lexicons=lexicons, taxonomy=taxonomy, abbreviations=abbreviations, country=country
        )
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alerts.triage.classify", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--country", help=f"ISO2 country whose lexicons to use ({', '.join(configured_countries())})"
    )
    args = parser.parse_args(argv)
    country = args.country.upper() if args.country else None
    if country is not None and country not in configured_countries():
        parser.error(
            f"--country {country}: no triage configuration; configured: {', '.join(configured_countries())}"
        )
    run(sys.stdin, sys.stdout, country)
    return 0


@dataclass(frozen=True, slots=True)
class Classifier:
    """The classifier with its data loaded once: what the triage job calls for each report."""

    taxonomy: Taxonomy
    lexicons: Lexicons
    """The default country's: for a report whose country is unknown (a sender in no network)."""
    abbreviations: Abbreviations
    calendars: tuple[Election, ...] = ()
    country_lexicons: Mapping[str, Lexicons] = field(default_factory=dict)
    """Each served country's own, by ISO2 code: a report is read with her network's country file."""

    def lexicons_for(self, country: str | None) -> Lexicons:
        if country is None:
            return self.lexicons
        return self.country_lexicons.get(country.upper(), self.lexicons)

    def __call__(
        self,
        text: str,
        *,
        category_hint: str | None = None,
        channel: str | None = None,
        received_at: datetime | None = None,
        country: str | None = None,
    ) -> Classification:
        return classify(
            text,
            lexicons=self.lexicons_for(country),
            taxonomy=self.taxonomy,
            abbreviations=self.abbreviations,
            category_hint=category_hint,
            channel=channel,
            received_at=received_at,
            calendars=self.calendars,
            country=country,
        )


def build_classifier(country: str | None, taxonomy: Taxonomy, countries: Iterable[str] = ()) -> Classifier:
    """Load abbreviations, the lexicons of the default ``country`` (:class:`UnknownCountry` when it
    has no configuration) and of each served one that has a country file (a served country without
    one is read with the default's, D19), and the announced electoral calendars."""
    abbreviations = load_abbreviations()

    def lexicons(code: str | None) -> Lexicons:
        return load_lexicons(code, taxonomy=taxonomy, abbreviations=abbreviations)

    configured = set(configured_countries())
    wanted = {code.upper() for code in countries if code.upper() in configured}
    served = {code: lexicons(code) for code in wanted | ({country.upper()} if country else set())}
    default = served[country.upper()] if country else lexicons(None)
    return Classifier(taxonomy, default, abbreviations, load_calendars(), served)


if __name__ == "__main__":
    raise SystemExit(main())
