"""Priority P1-P4 and review deadlines (DOMAIN.md §2.3, §4.1; R18, R22, R24, R49).

The rules are data (``data/priority.toml``): a per-category table over a time column
(now / today / yesterday / earlier / unknown), then raise-only rules (imminent attack, force
used). Source reliability is validated and recorded in the reasons but never read by a rule:
low reliability never lowers, nor delays, a life-safety alert (R24).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from alerts.errors import InvalidValue
from alerts.triage.flags import TIME_REPORTED_CLASSES, invalid_flag
from alerts.vocabulary import PRIORITIES, RELIABILITY_GRADES, REVIEW_DEADLINES

DEFAULT_RULES = Path(__file__).parents[1] / "data" / "priority.toml"
TIME_COLUMNS = ("now", "today", "yesterday", "earlier", "unknown")


@dataclass(frozen=True, slots=True)
class RaiseRule:
    categories: frozenset[str]
    priority: str


@dataclass(frozen=True, slots=True)
class PriorityRules:
    table: Mapping[str, Mapping[str, str]]
    """category -> time column -> priority."""
    imminent_attack: RaiseRule
    force_used: RaiseRule


@dataclass(frozen=True, slots=True)
class PriorityDecision:
    priority: str
    reasons: tuple[str, ...]


def _priority(value: Any, where: str) -> str:
    if value not in PRIORITIES:
        raise ValueError(f"{where}: {value!r} is not one of {', '.join(PRIORITIES)}")
    return str(value)


def parse_priority_rules(raw: Mapping[str, Any]) -> PriorityRules:
    """Rules from a parsed document; fail loudly on a missing column or an unknown priority."""
    table: dict[str, dict[str, str]] = {}
    for code, row in raw["categories"].items():
        if set(row) != set(TIME_COLUMNS):
            raise ValueError(f"priority rules {code}: columns must be exactly {', '.join(TIME_COLUMNS)}")
        table[code] = {col: _priority(row[col], f"priority rules {code}.{col}") for col in TIME_COLUMNS}

    def rule(name: str) -> RaiseRule:
        entry = raw["rules"][name]
        return RaiseRule(frozenset(entry["categories"]), _priority(entry["priority"], f"rule {name}"))

    return PriorityRules(table, rule("imminent_attack"), rule("force_used"))


def load_priority_rules(path: Path = DEFAULT_RULES) -> PriorityRules:
    with path.open("rb") as f:
        return parse_priority_rules(tomllib.load(f))


@cache
def default_rules() -> PriorityRules:
    return load_priority_rules()


def _higher(a: str, b: str) -> str:
    return min(a, b, key=PRIORITIES.index)


def assign_priority(
    category: str,
    time_class: str | None,
    urgent_keywords: bool,
    threat_of_imminent_attack: bool,
    ongoing: bool,
    reliability: str,
    *,
    force_used: bool = False,
    rules: PriorityRules | None = None,
) -> PriorityDecision:
    """P1-P4 from the category, the time class and urgency signals, by the rules of §4.1 (R18).

    ``reliability`` (A-F) is checked but never changes the result (R24).
    """
    rules = default_rules() if rules is None else rules
    if category not in rules.table:
        raise InvalidValue(f"no priority rule for category {category!r}; known: {', '.join(rules.table)}")
    if time_class is not None and time_class not in TIME_REPORTED_CLASSES:
        raise invalid_flag("time_reported_class", time_class, TIME_REPORTED_CLASSES)
    if reliability not in RELIABILITY_GRADES:
        raise InvalidValue(f"reliability {reliability!r} is not one of {', '.join(RELIABILITY_GRADES)}")

    signals = [
        name
        for name, on in (
            ("ongoing", ongoing),
            ("happening_now", time_class == "happening_now"),
            ("urgent words", urgent_keywords),
        )
        if on
    ]
    if signals:
        column, why = "now", f"now ({', '.join(signals)})"
    else:
        column = time_class or "unknown"
        why = column if time_class else "no time given"
    priority = rules.table[category][column]
    reasons = [f"{category} {why}: {priority}"]

    for name, on, rule in (
        ("threat of imminent attack", threat_of_imminent_attack, rules.imminent_attack),
        ("force used", force_used, rules.force_used),
    ):
        if on and category in rule.categories and _higher(rule.priority, priority) != priority:
            priority = rule.priority
            reasons.append(f"{name}: raised to {priority}")
    reasons.append(f"reliability {reliability} does not change priority")
    return PriorityDecision(priority, tuple(reasons))


def review_deadline(
    priority: str, received_at: datetime, deadlines: Mapping[str, timedelta] = REVIEW_DEADLINES
) -> datetime:
    """When a report must have been reviewed (R22); ``received_at`` must be timezone-aware."""
    if priority not in deadlines:
        raise InvalidValue(f"no review deadline for priority {priority!r}; known: {', '.join(deadlines)}")
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise InvalidValue("received_at must be timezone-aware")
    return received_at + deadlines[priority]


def escalate(priority: str) -> str:
    """One level up, as an unreviewed item escalates at its deadline (R22); P1 stays P1."""
    if priority not in PRIORITIES:
        raise InvalidValue(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")
    return PRIORITIES[max(PRIORITIES.index(priority) - 1, 0)]
