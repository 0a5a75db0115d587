"""How well triage did, as reviewers judged it (#16): the platform measuring its own triage.

Over the incidents reviewers decided (verified, unverified, rejected, actioned, closed; training and
merged-away ones left out), per ISO week of the first report (when triage ran) and per language: of
those triage put in a category, how many kept it and what the others became; how many kept their
place, and how far a corrected place moved. Precision of category X is the share of those triage
called X that reviewers kept X; recall, the share of those reviewers ended with X that triage had
called X. What triage said is read from the corrections (the first one's "before"), so an undone
correction counts as kept.

Aggregates only, for every role: no narrative, no point, no incident. A restricted incident is
counted, but its distance moved is left out of the figures (it is detail of where she was).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.accounts.policy import TRIAGE_QUALITY, require, scoped
from alerts.errors import InvalidValue
from alerts.incidents.reports import text_language
from alerts.messages import Viewer
from alerts.models import Correction, Incident, Report
from alerts.queries import REAL_INCIDENTS, UNMERGED
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import REVIEWED_STATES
from geo.crs import distance_km

DEFAULT_WEEKS = 8
MAX_WEEKS = 52
CHUNK = 1000
"""Incident ids per IN (...) list: well under every backend's limit on bound parameters."""


@dataclass(frozen=True, slots=True)
class Judged:
    """One decided incident, as the figures need it."""

    week: str
    language: str | None
    triaged: str
    """The category triage gave it."""
    final: str
    """The category reviewers ended with."""
    place_changed: bool = False
    moved_km: float | None = None
    """How far its place moved: None when it kept its place, a point is missing, or it is restricted."""


def triage_quality(
    viewer: Viewer,
    *,
    uow: UnitOfWork,
    now: datetime,
    weeks: int = DEFAULT_WEEKS,
    country: str | None = None,
) -> dict[str, Any]:
    """The figures for the ``weeks`` ISO weeks up to the one holding ``now`` (the current week so
    far), in the countries she works on, or in ``country`` only."""
    require(viewer, TRIAGE_QUALITY, "read triage quality")
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidValue(f"weeks must be a whole number 1-{MAX_WEEKS}")
    since = week_start(now) - timedelta(weeks=weeks - 1)
    with uow:
        judged = _judged(uow.session, viewer, since, now, country)
    return {
        "since": since.isoformat(),
        "until": now.isoformat(),
        "country": country,
        **figures(judged, week_labels(since, weeks)),
        "caveat": "as reviewers judged it: a category or place no reviewer corrected counts as right",
    }


def week_start(when: datetime) -> datetime:
    """Monday 00:00 UTC of ``when``'s ISO week."""
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def week_label(when: datetime) -> str:
    year, week, _ = when.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def week_labels(since: datetime, weeks: int) -> list[str]:
    """The ISO weeks from the one starting at ``since``, newest first."""
    return [week_label(since + timedelta(weeks=n)) for n in reversed(range(weeks))]


# The figures (pure) ------------------------------------------------------------------------------


def figures(judged: Sequence[Judged], weeks: Sequence[str]) -> dict[str, Any]:
    """Per category over the whole period, per week (and language within it), and per language."""
    by_week: dict[str, list[Judged]] = defaultdict(list)
    for item in judged:
        by_week[item.week].append(item)
    return {
        "total": _group(judged),
        "weeks": [
            {"week": week} | _group(by_week[week]) | {"languages": _by_language(by_week[week])}
            for week in weeks
        ],
        "languages": _by_language(judged),
    }


def _by_language(judged: Sequence[Judged]) -> list[dict[str, Any]]:
    groups: dict[str | None, list[Judged]] = defaultdict(list)
    for item in judged:
        groups[item.language].append(item)
    ordered = sorted(groups.items(), key=lambda pair: (-len(pair[1]), pair[0] or ""))
    return [{"language": language} | _group(items) for language, items in ordered]


def _group(judged: Sequence[Judged]) -> dict[str, Any]:
    return {"decided": len(judged), "categories": category_rows(judged)}


def category_rows(judged: Iterable[Judged]) -> list[dict[str, Any]]:
    """One row per category triage gave or reviewers ended with, by code."""
    triaged: dict[str, list[Judged]] = defaultdict(list)
    ended: Counter[str] = Counter()
    for item in judged:
        triaged[item.triaged].append(item)
        ended[item.final] += 1
    rows = []
    for code in sorted(set(triaged) | set(ended)):
        items = triaged.get(code, [])
        kept = sum(item.final == code for item in items)
        changed_to = Counter(item.final for item in items if item.final != code)
        moved = [item.moved_km for item in items if item.moved_km is not None]
        place_changed = sum(item.place_changed for item in items)
        rows.append(
            {
                "category": code,
                "triaged": len(items),
                "kept": kept,
                "changed": len(items) - kept,
                "changed_to": [
                    {"category": other, "count": count}
                    for other, count in sorted(changed_to.items(), key=lambda pair: (-pair[1], pair[0]))
                ],
                "ended": ended[code],
                "precision": _share(kept, len(items)),
                "recall": _share(kept, ended[code]),
                "place_kept": len(items) - place_changed,
                "place_changed": place_changed,
                "km_moved": {
                    "measured": len(moved),
                    "median": round(statistics.median(moved), 1) if moved else None,
                    "max": round(max(moved), 1) if moved else None,
                },
            }
        )
    return rows


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


# Reading the decided incidents ----------------------------------------------------------------------


def _judged(
    session: Session, viewer: Viewer, since: datetime, until: datetime, country: str | None
) -> list[Judged]:
    query = select(Incident.id, Incident.category, Incident.restricted, Incident.first_reported_at).where(
        Incident.status.in_(REVIEWED_STATES),
        Incident.first_reported_at >= since,
        Incident.first_reported_at <= until,
        REAL_INCIDENTS,
        UNMERGED,
    )
    if country is not None:
        query = query.where(Incident.country == country)
    incidents = session.execute(scoped(query, viewer, aggregate=True)).all()
    ids = [row.id for row in incidents]
    corrections = _corrections(session, ids)
    languages = _languages(session, ids)
    judged = []
    for row in incidents:
        category, place = corrections.get(row.id, (None, None))
        before, after = place or ({}, {})
        judged.append(
            Judged(
                week=week_label(row.first_reported_at),
                language=languages.get(row.id),
                triaged=category or row.category,
                final=row.category,
                place_changed=before != after,
                moved_km=None if row.restricted or before == after else _moved(before, after),
            )
        )
    return judged


_Place = tuple[dict[str, Any], dict[str, Any]]
"""Its place before the first place correction, and after the last."""


def _corrections(session: Session, ids: list[int]) -> dict[int, tuple[str | None, _Place | None]]:
    """Per incident: the category triage gave (before the first category correction), and its place
    before the first and after the last place correction."""
    first_category: dict[int, str] = {}
    places: dict[int, _Place] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Correction.incident_id, Correction.field, Correction.before, Correction.after)
            .where(Correction.incident_id.in_(chunk), Correction.field.in_(("category", "place")))
            .order_by(Correction.id)
        )
        for incident_id, field, before, after in rows:
            if field == "category":
                first_category.setdefault(incident_id, str(before["category"]))
            else:
                places[incident_id] = (places.get(incident_id, (before, after))[0], after)
    return {i: (first_category.get(i), places.get(i)) for i in first_category.keys() | places.keys()}


def _languages(session: Session, ids: list[int]) -> dict[int, str | None]:
    """The language of the report triage made each incident for, as its labelled example has it."""
    found: dict[int, str | None] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Report.incident_id, Report.language, Report.flags)
            .where(Report.incident_id.in_(chunk), Report.origin_incident_id == Report.incident_id)
            .order_by(Report.id)
        )
        for incident_id, language, flags in rows:
            if incident_id not in found:
                found[incident_id] = text_language(language, flags)
    return found


def _moved(before: dict[str, Any], after: dict[str, Any]) -> float | None:
    if None in (before.get("lon"), before.get("lat"), after.get("lon"), after.get("lat")):
        return None
    return distance_km(before["lon"], before["lat"], after["lon"], after["lat"])


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
