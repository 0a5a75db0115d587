"""Reporter reliability A-F and information credibility 1-6 (DOMAIN.md §4.2, §4.3; R19-R21, R24, R49).

The two Admiralty grades are computed by functions that share no input: ``reporter_reliability``
reads only a reporter's review history, ``information_credibility`` only the evidence about one
incident. Changing a reporter's grade therefore never changes a report's credibility (R19), and
neither grade is read by the priority rules (R24). Thresholds travel as arguments (R49).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from alerts.errors import InvalidValue
from alerts.vocabulary import CREDIBILITY_GRADES, RELIABILITY_GRADES

ShareBasis = Literal["not_contradicted", "confirmed"]


@dataclass(frozen=True, slots=True)
class ReliabilityThresholds:
    """When a reporter's history earns each grade (Proposal; every value is configuration, R49).

    Defaults (Proposal): F until ``minimum_reviewed`` = 3 reports have been reviewed (R20); then the
    share of reviewed reports that were corroborated or not contradicted earns A at >= 95 %, B at
    >= 80 %, C at >= 60 %, D at >= 40 %, and E below 40 %. Each bound is inclusive.

    ``basis`` chooses the share: ``"not_contradicted"`` (default, §4.2 "corroborated or not
    contradicted": reviewed minus contradicted) or ``"confirmed"`` (stricter: corroborated only).
    """

    minimum_reviewed: int = 3
    a: float = 0.95
    b: float = 0.80
    c: float = 0.60
    d: float = 0.40
    basis: ShareBasis = "not_contradicted"

    def __post_init__(self) -> None:
        if self.minimum_reviewed < 1:
            raise InvalidValue(f"minimum_reviewed must be at least 1, not {self.minimum_reviewed}")
        if not 0.0 <= self.d <= self.c <= self.b <= self.a <= 1.0:
            raise InvalidValue(
                f"thresholds must satisfy 0 <= d <= c <= b <= a <= 1, not "
                f"a={self.a}, b={self.b}, c={self.c}, d={self.d}"
            )
        if self.basis not in ("not_contradicted", "confirmed"):
            raise InvalidValue(f"basis {self.basis!r} is not one of not_contradicted, confirmed")


DEFAULT_RELIABILITY_THRESHOLDS = ReliabilityThresholds()


def reporter_reliability(
    reviewed: int,
    confirmed: int,
    contradicted: int,
    thresholds: ReliabilityThresholds = DEFAULT_RELIABILITY_THRESHOLDS,
) -> str:
    """A-F from a reporter's history of reviewed reports (§4.2, R20).

    ``confirmed`` and ``contradicted`` count reviewed reports later corroborated or contradicted;
    a report is never both, so together they cannot exceed ``reviewed``. F ("cannot be judged")
    until ``thresholds.minimum_reviewed`` reports have been reviewed.
    """
    if min(reviewed, confirmed, contradicted) < 0:
        raise InvalidValue("report counts cannot be negative")
    if confirmed + contradicted > reviewed:
        raise InvalidValue(
            f"confirmed ({confirmed}) plus contradicted ({contradicted}) exceeds reviewed ({reviewed})"
        )
    if reviewed < thresholds.minimum_reviewed:
        return "F"
    supported = confirmed if thresholds.basis == "confirmed" else reviewed - contradicted
    share = supported / reviewed
    for grade, bound in (("A", thresholds.a), ("B", thresholds.b), ("C", thresholds.c), ("D", thresholds.d)):
        if share >= bound:
            return grade
    return "E"


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What the independence rule of §4.3 needs to know about one report of an incident."""

    reporter_key: str
    """The pseudonymous reporter key."""
    group: str | None
    """Registered group, household or network id; ``None`` when the reporter belongs to none."""
    text_fingerprint: str
    """``text_fingerprint(text)``; ``""`` for reports without free text (menus), which never match."""


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    kept = "".join(ch if ch.isalnum() else " " for ch in folded if unicodedata.category(ch)[0] != "M")
    return kept.split()


def text_fingerprint(text: str) -> str:
    """A digest equal for forwarded copies: case, accents, punctuation and whitespace are ignored.

    Returns a SHA-256 hex digest, so a fingerprint can be stored without the narrative (§6), or
    ``""`` when the text has no words at all.
    """
    words = _words(text)
    if not words:
        return ""
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def independent_sources(reports: Iterable[SourceReport]) -> int:
    """How many independent sources support an incident (§4.3, R21).

    Reports sharing a pseudonymous reporter, a registered group or a (non-empty) text fingerprint
    are one source, and so, transitively, are reports linked through a chain of such ties: the
    count is the number of connected groups, so it never over-counts.
    """
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, str], int] = {}
    for i, report in enumerate(reports):
        parent[i] = i
        ties = [("reporter", report.reporter_key)]
        if report.group is not None:
            ties.append(("group", report.group))
        if report.text_fingerprint:
            ties.append(("text", report.text_fingerprint))
        for tie in ties:
            if tie in first_with:
                parent[root(i)] = root(first_with[tie])
            else:
                first_with[tie] = i
    return sum(1 for i in parent if parent[i] == i)


def information_credibility(
    independent_sources: int,
    external_confirmation: bool,
    contradicted: bool,
    consistent_with_pattern: bool,
    detail_sufficient: bool,
    *,
    contradicted_externally: bool = False,
) -> int:
    """1-6 for one incident from its evidence, by the first rule that applies (§4.2, R21):

    5. contradicted by a patrol / JOC / partner check (``contradicted_externally``): improbable;
    1. confirmed by a patrol / JOC / partner (``external_confirmation``), which outweighs
       contradiction by reporters;
    4. contradicted by other sources: doubtful, even with several independent reporters;
    1. >= 2 independent sources (count them with ``independent_sources``);
    6. insufficient detail to judge;
    2. consistent with an incident cluster or known pattern;
    3. a single plausible report.

    One external check cannot both confirm and contradict: that is an ``InvalidValue``.
    """
    if independent_sources < 0:
        raise InvalidValue(f"independent_sources cannot be negative, not {independent_sources}")
    if external_confirmation and contradicted_externally:
        raise InvalidValue("an external check cannot both confirm and contradict the incident")
    if contradicted_externally:
        return 5
    if external_confirmation:
        return 1
    if contradicted:
        return 4
    if independent_sources >= 2:
        return 1
    if not detail_sufficient:
        return 6
    if consistent_with_pattern:
        return 2
    return 3


def combined_grade(reliability: str, credibility: int) -> str:
    """The Admiralty pair as one label, e.g. ``"B2"``."""
    if reliability not in RELIABILITY_GRADES:
        raise InvalidValue(f"reliability {reliability!r} is not one of {', '.join(RELIABILITY_GRADES)}")
    if isinstance(credibility, bool) or credibility not in CREDIBILITY_GRADES:
        raise InvalidValue(f"credibility {credibility!r} is not one of 1-6")
    return f"{reliability}{credibility}"
