"""The figures a mission reports on, and the feedback a network gets (DOMAIN.md §4.1, §5; R23, R50).

Times come from the audit trail's recorded transitions, so they are exactly what reviewers did:
time to triage (received → first step out of ``received``), to verification (→ ``verified``) and to
action (→ ``response_dispatched``). "Addressed" is an alert that reached a response, out of those
not rejected. Aggregates only: no reporter key, no narrative, and counts below ``SMALL_COUNT``
are shown as a band so a network's feedback never points at one woman.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from alerts.accounts.policy import INDICATORS, OWN_NETWORKS, PROTECTION, RESTRICTED, may, require, scoped
from alerts.errors import InvalidValue, NotPermitted
from alerts.messages import Viewer
from alerts.models import AuditEvent, Incident, Network, Report
from alerts.queries import REAL_INCIDENTS, REAL_REPORTS, UNMERGED, VERIFIED
from alerts.unit_of_work import UnitOfWork

SMALL_COUNT = 3
"""Counts below this are reported as "<3" in network feedback (k-anonymity, §6.3 item 7)."""
ADDRESSED = ("response_dispatched", "closed")
GROUPINGS = ("network", "area", "week")


@dataclass(frozen=True, slots=True)
class _Timeline:
    triaged: datetime | None = None
    verified: datetime | None = None
    actioned: datetime | None = None


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 60


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def _timelines(uow: UnitOfWork, ids: list[int]) -> dict[int, _Timeline]:
    firsts: dict[int, dict[str, datetime]] = defaultdict(dict)
    for chunk in range(0, len(ids), 1000):
        events = uow.session.execute(
            select(AuditEvent.subject_id, AuditEvent.at, AuditEvent.details)
            .where(
                AuditEvent.action == "incident.transition",
                AuditEvent.subject_type == "incident",
                AuditEvent.subject_id.in_([str(i) for i in ids[chunk : chunk + 1000]]),
            )
            .order_by(AuditEvent.id)
        )
        for subject, at, details in events:
            seen = firsts[int(subject)]
            if details.get("from") == "received":
                seen.setdefault("triaged", at)
            seen.setdefault(str(details.get("to")), at)
    return {
        i: _Timeline(t.get("triaged"), t.get("verified"), t.get("response_dispatched"))
        for i, t in firsts.items()
    }


def _summary(incidents: list[Incident], timelines: dict[int, _Timeline]) -> dict[str, Any]:
    statuses = Counter(i.status for i in incidents)
    considered = len(incidents) - statuses["rejected"]
    addressed = sum(statuses[s] for s in ADDRESSED)
    empty = _Timeline()
    return {
        "alerts": len(incidents),
        "by_status": dict(sorted(statuses.items())),
        "by_priority": dict(sorted(Counter(i.priority for i in incidents).items())),
        "addressed_share": round(addressed / considered, 3) if considered else None,
        "median_minutes_to_triage": _median(
            _minutes(i.first_reported_at, timelines.get(i.id, empty).triaged) for i in incidents
        ),
        "median_minutes_to_verification": _median(
            _minutes(i.first_reported_at, timelines.get(i.id, empty).verified) for i in incidents
        ),
        "median_minutes_to_action": _median(
            _minutes(i.first_reported_at, timelines.get(i.id, empty).actioned) for i in incidents
        ),
    }


def indicators(
    viewer: Viewer, *, uow: UnitOfWork, since: datetime, until: datetime, group_by: str = "network"
) -> dict[str, Any]:
    """Time to triage, to verification and to action, and the share addressed, overall and per
    network, area (admin-1) or ISO week, for alerts first reported in [since, until) (R23)."""
    require(viewer, INDICATORS, "read indicators")
    if group_by not in GROUPINGS:
        raise InvalidValue(f"group_by must be one of {', '.join(GROUPINGS)}")
    if since >= until:
        raise InvalidValue("the period must end after it starts")
    with uow:
        query = select(Incident).where(
            Incident.first_reported_at >= since,
            Incident.first_reported_at < until,
            REAL_INCIDENTS,
            UNMERGED,
        )
        incidents = list(uow.session.scalars(scoped(query, viewer, aggregate=True)))
        networks = _networks(uow, [i.id for i in incidents])
        if may(viewer, OWN_NETWORKS):  # grouped by the first report's network: only hers
            incidents = [i for i in incidents if networks.get(i.id) in viewer.network_ids]
        names: dict[int, str] = {
            row.id: row.name for row in uow.session.execute(select(Network.id, Network.name))
        }
        timelines = _timelines(uow, [i.id for i in incidents])
        groups: dict[str, list[Incident]] = defaultdict(list)
        for incident in incidents:
            groups[_group_key(incident, group_by, networks, names)].append(incident)
        return {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "group_by": group_by,
            "overall": _summary(incidents, timelines),
            "groups": {key: _summary(members, timelines) for key, members in sorted(groups.items())},
            "caveat": "reported incidents, not prevalence",
        }


def _networks(uow: UnitOfWork, ids: list[int]) -> dict[int, int]:
    """The network of each incident's first report (reports are kept per network)."""
    found: dict[int, int] = {}
    for chunk in range(0, len(ids), 1000):
        rows = uow.session.execute(
            select(Report.incident_id, Report.network_id)
            .where(Report.incident_id.in_(ids[chunk : chunk + 1000]), Report.network_id.is_not(None))
            .order_by(Report.id)
        )
        for incident_id, network_id in rows:
            if incident_id is not None and network_id is not None:
                found.setdefault(incident_id, network_id)
    return found


def _group_key(incident: Incident, group_by: str, networks: dict[int, int], names: dict[int, str]) -> str:
    if group_by == "network":
        network = networks.get(incident.id)
        return names.get(network, "no network") if network is not None else "no network"
    if group_by == "area":
        return str(incident.areas.get("adm1_name") or incident.country or "unknown area")
    year, week, _ = incident.first_reported_at.isocalendar()
    return f"{year}-W{week:02d}"


def _band(count: int) -> int | str:
    return count if count == 0 or count >= SMALL_COUNT else f"<{SMALL_COUNT}"


def network_feedback(
    viewer: Viewer, network_id: int, *, uow: UnitOfWork, since: datetime, until: datetime
) -> dict[str, Any]:
    """What a coordinator brings to the network's feedback meeting: how many alerts, of which kinds,
    how many were verified and responded to — aggregates only, small counts banded (R50)."""
    require(viewer, INDICATORS, "read network feedback")
    if may(viewer, OWN_NETWORKS) and network_id not in viewer.network_ids:
        raise NotPermitted("a coordinator sees her own networks' feedback only")
    with uow:
        network = uow.session.get(Network, network_id)
        if network is None or (viewer.countries and network.country not in viewer.countries):
            raise InvalidValue(f"no network {network_id} in the countries you work on")
        rows = uow.session.execute(
            select(Report.category, Incident.status)
            .join(Incident, Incident.id == Report.incident_id)
            .where(
                Report.network_id == network_id,
                Report.received_at >= since,
                Report.received_at < until,
                REAL_REPORTS,
            )
        ).all()
        name = network.name
    statuses = Counter(status for _, status in rows)
    return {
        "network": name,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "reports": _band(len(rows)),
        "by_category": {c: _band(n) for c, n in sorted(Counter(c for c, _ in rows).items())},
        "verified": _band(sum(statuses[s] for s in ("verified", *ADDRESSED))),
        "responded": _band(sum(statuses[s] for s in ADDRESSED)),
        "caveat": "reported incidents, not prevalence",
    }


def protection_summary(
    viewer: Viewer, *, uow: UnitOfWork, since: datetime, until: datetime
) -> dict[str, Any]:
    """Verified incidents per admin-1 area and category for patrol planning: counts only, no points;
    restricted (sexual-violence) counts banded below ``SMALL_COUNT`` for every role but the CRSV
    focal point (§6.3 item 7, R36, R37)."""
    require(viewer, PROTECTION, "read protection summaries")
    with uow:
        query = select(Incident.areas, Incident.country, Incident.category, Incident.restricted).where(
            VERIFIED,
            Incident.first_reported_at >= since,
            Incident.first_reported_at < until,
            REAL_INCIDENTS,
            UNMERGED,
        )
        rows = uow.session.execute(scoped(query, viewer)).all()
    counts: Counter[tuple[str, str]] = Counter()
    restricted: set[str] = set()
    for areas, country, category, is_restricted in rows:
        counts[(str(areas.get("adm1_name") or country or "unknown area"), category)] += 1
        if is_restricted:
            restricted.add(category)
    exact = may(viewer, RESTRICTED)
    table: dict[str, dict[str, int | str]] = defaultdict(dict)
    for (area, category), count in sorted(counts.items()):
        table[area][category] = count if exact or category not in restricted else _band(count)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "categories": sorted({category for _, category in counts}),
        "areas": dict(table),
        "total": len(rows),
        "caveat": "reported incidents, not prevalence",
    }
