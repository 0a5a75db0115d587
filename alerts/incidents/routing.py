"""Who is alerted about an incident, and with what words (DOMAIN.md §4.1, R17, R22, R48, R49).

Pure rules over a deployment's routing file (``config/routing.toml``): responders with a kind, an
address, the events and priorities they take and the countries they serve. A deployment without a
JOC (Mali) simply lists other responders for its country. Alert texts name no reporter and carry
no narrative; a restricted (sexual-violence) incident is named as such only to cleared responders.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from alerts.vocabulary import PRIORITIES

Event = Literal["new", "escalation"]
EVENTS: tuple[Event, ...] = ("new", "escalation")
KINDS = ("email", "webhook", "sms")


class RoutingError(ValueError):
    """The routing file cannot be used; the message names the entry and the field."""


@dataclass(frozen=True, slots=True)
class Responder:
    name: str
    kind: str
    address: str
    events: frozenset[str]
    priorities: frozenset[str]
    countries: frozenset[str]
    """Empty: every country."""
    restricted: bool = False
    """Cleared for sexual-violence detail (category and place of restricted incidents)."""

    def takes(self, event: str, priority: str, country: str | None) -> bool:
        serves = not self.countries or (country is not None and country in self.countries)
        return event in self.events and priority in self.priorities and serves


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What an alert may say about an incident: no narrative, no reporter."""

    incident_id: int
    priority: str
    category: str
    category_label: str
    restricted: bool
    country: str | None
    place: str | None
    deadline_at: datetime
    queue: str
    training: bool


@dataclass(frozen=True, slots=True)
class Routing:
    responders: tuple[Responder, ...]

    def recipients(self, event: str, facts: AlertFacts) -> list[Responder]:
        """Responders to alert for this event; none for training or election-process items (R17)."""
        if facts.training or facts.queue != "triage":
            return []
        return [r for r in self.responders if r.takes(event, facts.priority, facts.country)]

    def by_name(self, name: str) -> Responder | None:
        return next((r for r in self.responders if r.name == name), None)


def alert_text(event: str, facts: AlertFacts, *, cleared: bool, url: str) -> tuple[str, str]:
    """(subject, text) of an alert; what happened and where only for a cleared responder."""
    subject = f"Dalili {facts.priority} alert #{facts.incident_id}"
    if event == "escalation":
        subject += " overdue"
    if facts.restricted and not cleared:
        what = "restricted category"
    else:
        what = facts.category_label + (f" at {facts.place}" if facts.place else "")
    country = f" ({facts.country})" if facts.country else ""
    deadline = facts.deadline_at.strftime("%d %b %H:%M UTC")
    when = "not reviewed in time, now due" if event == "escalation" else "review by"
    return subject, f"{subject}: {what}{country}, {when} {deadline}. {url}"


DIGEST_TEXT_LIMIT = 320
"""An SMS digest stays within about two parts (channels.staff.StaffAlert)."""


def digest_text(incident_ids: Sequence[int], *, url: str) -> tuple[str, str]:
    """(subject, text) of a reminder listing overdue incidents by number only: the same words for
    every responder, cleared or not, so no category or place is named."""
    subject = f"Dalili reminder: {len(incident_ids)} overdue"
    listed: list[str] = []
    for position, incident_id in enumerate(incident_ids):
        more = len(incident_ids) - position - 1
        candidate = ", ".join([*listed, f"#{incident_id}"]) + (f" and {more} more" if more else "")
        if len(f"{subject}, still not reviewed: {candidate}. {url}") > DIGEST_TEXT_LIMIT:
            break
        listed.append(f"#{incident_id}")
    rest = len(incident_ids) - len(listed)
    names = ", ".join(listed) + (f" and {rest} more" if listed and rest else "") or f"{rest} incidents"
    return subject, f"{subject}, still not reviewed: {names}. {url}"


def parse_routing(raw: Mapping[str, Any]) -> Routing:
    entries = raw.get("responders", [])
    if not isinstance(entries, list):
        raise RoutingError("routing: [[responders]] must be a list of tables")
    responders = tuple(_responder(i, entry) for i, entry in enumerate(entries, start=1))
    names = [r.name for r in responders]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise RoutingError(f"routing: responder name {duplicate!r} is used twice")
    return Routing(responders)


def load_routing(path: Path | str) -> Routing:
    try:
        with Path(path).open("rb") as f:
            return parse_routing(tomllib.load(f))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RoutingError(f"routing file {path}: {exc}") from exc


def _responder(index: int, entry: Any) -> Responder:
    where = f"routing: responder {index}"
    if not isinstance(entry, dict):
        raise RoutingError(f"{where} is not a table")
    name = _text(entry, "name", where)
    where = f"routing: responder {name!r}"
    kind = _text(entry, "kind", where)
    if kind not in KINDS:
        raise RoutingError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    return Responder(
        name=name,
        kind=kind,
        address=_text(entry, "address", where),
        events=_subset(entry, "events", EVENTS, where),
        priorities=_subset(entry, "priorities", PRIORITIES, where),
        countries=frozenset(_codes(entry.get("countries", []), where)),
        restricted=_flag(entry.get("restricted", False), where),
    )


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RoutingError(f"{where}: {key} must be non-empty text")
    return value.strip()


def _subset(entry: Mapping[str, Any], key: str, allowed: Sequence[str], where: str) -> frozenset[str]:
    values = entry.get(key)
    if not isinstance(values, list) or not values:
        raise RoutingError(f"{where}: {key} must list at least one of {', '.join(allowed)}")
    if unknown := [v for v in values if v not in allowed]:
        raise RoutingError(f"{where}: {key} has {unknown!r}; allowed: {', '.join(allowed)}")
    return frozenset(values)


def _codes(values: Any, where: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) and len(v) == 2 for v in values):
        raise RoutingError(f'{where}: countries must be ISO 3166 alpha-2 codes such as "ML"')
    return [v.upper() for v in values]


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RoutingError(f"{where}: restricted must be true or false")
    return value
