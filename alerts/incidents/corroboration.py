"""Duplicates, reviewer-confirmed merges and the two credibility grades, kept in step (§4.2, §4.3).

Triage proposes duplicates (R25) and never merges on its own; a reviewer merges, and an unmerge
puts back exactly the reports and the target fields the merge moved (R26). An incident's
information credibility is recomputed from its independent sources and any external check
whenever its reports change (R21); a reporter's reliability is recomputed from her reviewed
history whenever a review outcome changes (R20). Neither grade reads the other (R19).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from alerts.audit.trail import record_event
from alerts.errors import InvalidValue, UnknownIncident
from alerts.incidents.clustering import ClusterRules, Sighting, duplicate_candidates
from alerts.incidents.credibility import (
    DEFAULT_RELIABILITY_THRESHOLDS,
    ReliabilityThresholds,
    SourceReport,
    independent_sources,
    information_credibility,
    reporter_reliability,
    text_fingerprint,
)
from alerts.models import DuplicateSuggestion, Incident, IncidentMerge, Report, Reporter, utcnow
from alerts.queries import REAL_REPORTS, UNMERGED
from alerts.triage.taxonomy import FALLBACK
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import EXTERNAL_CHECKS, OPEN_STATES, PRIORITIES, REVIEWED_STATES, VERIFIED_STATES

KM_PER_DEGREE = 111.0
"""Of latitude, and of longitude at the equator: the box only has to hold the true circle."""


def _sighting(incident: Incident) -> Sighting:
    return Sighting(
        id=incident.id,
        category=incident.category,
        lon=incident.lon,
        lat=incident.lat,
        precision=incident.precision,
        admin3_pcode=incident.areas.get("adm3_pcode"),
        in_town=incident.in_town,
        at=incident.first_reported_at,
    )


MAX_SUGGESTIONS = 20
"""Suggestions kept per incident, best first: a reviewer compares a few, and a flood of reports
from one place must not cost each new one a row per earlier one."""


NEAREST_IN_TIME = 200
"""Precise incidents read from the box around her point, nearest in time first: in a crowded place
the best 20 by distance are sought among these, not among every pin of the day."""


def _nearby(session: Session, incident: Incident, new: Sighting, rules: ClusterRules) -> list[Incident]:
    """What `duplicate_candidates` may match, read with limits: precise points in a box around hers,
    and incidents of her admin-3 area nearest in time on either side (all it keeps of them)."""
    window = timedelta(hours=rules.window_for(incident.category))
    common = select(Incident).where(
        Incident.id != incident.id,
        Incident.status.in_(OPEN_STATES),
        UNMERGED,
        Incident.training.is_(incident.training),
        Incident.category.in_(rules.compatible_with(incident.category)),
        Incident.first_reported_at.between(new.at - window, new.at + window),
    )
    found: list[Incident] = []
    if point := new.precise_point:
        lon, lat = point
        km = max(rules.distance_km, rules.town_distance_km)
        dlat = km / KM_PER_DEGREE
        dlon = km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        box = common.where(
            Incident.precision == 1,
            Incident.lon.between(lon - dlon, lon + dlon),
            Incident.lat.between(lat - dlat, lat + dlat),
        )
        found += _nearest_in_time(session, box, new.at, NEAREST_IN_TIME)
    if new.admin3_pcode:
        same_area = common.where(Incident.areas["adm3_pcode"].as_string() == new.admin3_pcode)
        if point:  # two precise points are compared by distance alone
            same_area = same_area.where(Incident.precision.is_distinct_from(1))
        found += _nearest_in_time(session, same_area, new.at, MAX_SUGGESTIONS)
    return found


def _nearest_in_time(session: Session, query: Select[Incident], at: datetime, limit: int) -> list[Incident]:
    earlier = query.where(Incident.first_reported_at <= at).order_by(Incident.first_reported_at.desc())
    later = query.where(Incident.first_reported_at > at).order_by(Incident.first_reported_at)
    return [*session.scalars(earlier.limit(limit)), *session.scalars(later.limit(limit))]


def suggest_duplicates(incident_id: int, *, uow: UnitOfWork, rules: ClusterRules) -> list[int]:
    """Store the open incidents this new one may duplicate, best first; return their ids (R25)."""
    with uow:
        incident = _incident(uow.session, incident_id)
        new = _sighting(incident)
        nearby = _nearby(uow.session, incident, new, rules)
        matches = duplicate_candidates(new, [_sighting(old) for old in nearby], rules)[:MAX_SUGGESTIONS]
        known = set(
            uow.session.scalars(
                select(DuplicateSuggestion.candidate_id).where(DuplicateSuggestion.incident_id == incident.id)
            )
        )
        fresh = [m for m in matches if m.incident_id not in known]
        if fresh:  # most reports have no neighbour: then nothing changes and nothing is written
            uow.session.add_all(
                DuplicateSuggestion(
                    incident_id=incident.id,
                    candidate_id=match.incident_id,
                    distance_km=match.distance_km,
                    hours_apart=match.hours_apart,
                    reason=match.reason[:200],
                )
                for match in fresh
            )
            uow.session.flush()
            refresh_credibility(uow.session, incident)
            uow.commit()
        return [m.incident_id for m in matches]


# A reviewer's merge, unmerge, dismissal or check is one transaction that first locks the incidents
# it concerns, then checks and acts on them as they are now: two reviewers' concurrent merges of
# one incident are decided one after the other, and the second is refused. Each function below
# has a ``*_locked`` form for callers (incidents/review.py) that check permissions under the same locks.


def lock_incidents(session: Session, incident_ids: Iterable[int]) -> list[Incident]:
    """Lock these incidents' rows until the transaction ends and read them afresh. Locks are taken
    in id order, so two transactions after overlapping sets wait for each other, never deadlock.
    SQLite ignores FOR UPDATE (it writes one transaction at a time)."""
    query = select(Incident).where(Incident.id.in_(sorted(set(incident_ids)))).order_by(Incident.id)
    return list(session.scalars(query.with_for_update().execution_options(populate_existing=True)))


def lock_merge(session: Session, source_id: int) -> None:
    """Lock an incident and the one it is merged into, if any: what an unmerge changes."""
    into = session.scalar(select(Incident.merged_into_id).where(Incident.id == source_id))
    locked = lock_incidents(session, [source_id, into] if into else [source_id])
    now_into = next((incident.merged_into_id for incident in locked if incident.id == source_id), None)
    if now_into is not None and now_into != into:  # unmerged and merged elsewhere between the reads
        lock_incidents(session, [now_into])


def lock_suggestion(session: Session, suggestion_id: int) -> None:
    """Lock the two incidents of a duplicate suggestion: what a merge of them would change too."""
    pair = session.execute(
        select(DuplicateSuggestion.incident_id, DuplicateSuggestion.candidate_id).where(
            DuplicateSuggestion.id == suggestion_id
        )
    ).one_or_none()
    lock_incidents(session, pair or ())


def merge_incidents(source_id: int, target_id: int, *, actor: str, uow: UnitOfWork) -> None:
    """A reviewer's merge: the source's reports join the target, which becomes as urgent as either."""
    with uow:
        lock_incidents(uow.session, (source_id, target_id))
        merge_locked(uow.session, source_id, target_id, actor=actor)
        uow.commit()


def merge_locked(session: Session, source_id: int, target_id: int, *, actor: str) -> None:
    """`merge_incidents` in the caller's transaction, which has locked both incidents."""
    source, target = _incident(session, source_id), _incident(session, target_id)
    if source.id == target.id:
        raise InvalidValue("an incident cannot be merged into itself")
    for incident in (source, target):
        if incident.merged_into_id is not None:
            raise InvalidValue(f"incident {incident.id} is already merged into {incident.merged_into_id}")
    if source.training != target.training:
        raise InvalidValue("training and real incidents cannot be merged")
    report_ids = list(session.scalars(select(Report.id).where(Report.incident_id == source.id)))
    session.add(
        IncidentMerge(
            source_id=source.id,
            target_id=target.id,
            report_ids=report_ids,
            target_before=_merge_fields(target),
            merged_by=actor,
        )
    )
    session.execute(update(Report).where(Report.id.in_(report_ids)).values(incident_id=target.id))
    source.merged_into_id = target.id
    target.priority = min(source.priority, target.priority, key=PRIORITIES.index)
    target.deadline_at = min(source.deadline_at, target.deadline_at)
    target.first_reported_at = min(source.first_reported_at, target.first_reported_at)
    target.restricted = source.restricted or target.restricted
    _decide_suggestions(session, source.id, target.id, "merged", actor)
    session.flush()
    refresh_credibility(session, target)
    record_event(
        session,
        actor=actor,
        action="incident.merge",
        subject_type="incident",
        subject_id=target.id,
        details={"source": source.id, "target": target.id, "reports": report_ids},
    )


def unmerge_incident(source_id: int, *, actor: str, uow: UnitOfWork) -> None:
    """Undo the merge of ``source_id``: its reports and the target's fields go back as they were."""
    with uow:
        lock_merge(uow.session, source_id)
        unmerge_locked(uow.session, source_id, actor=actor)
        uow.commit()


def unmerge_locked(session: Session, source_id: int, *, actor: str) -> None:
    """`unmerge_incident` in the caller's transaction, which has called `lock_merge`."""
    source = _incident(session, source_id)
    merge = session.scalar(
        select(IncidentMerge).where(IncidentMerge.source_id == source.id, IncidentMerge.undone_at.is_(None))
    )
    if merge is None or source.merged_into_id is None:
        raise InvalidValue(f"incident {source.id} is not merged into another")
    target = _incident(session, merge.target_id)
    if target.merged_into_id is not None:
        raise InvalidValue(f"unmerge incident {target.id} from {target.merged_into_id} first")
    session.execute(update(Report).where(Report.id.in_(merge.report_ids)).values(incident_id=source.id))
    source.merged_into_id = None
    before = merge.target_before
    target.priority, target.restricted = before["priority"], before["restricted"]
    target.deadline_at = datetime.fromisoformat(before["deadline_at"])
    target.first_reported_at = datetime.fromisoformat(before["first_reported_at"])
    merge.undone_by, merge.undone_at = actor, utcnow()
    _decide_suggestions(session, source.id, target.id, "open", None)
    session.flush()
    refresh_credibility(session, source)
    refresh_credibility(session, target)
    record_event(
        session,
        actor=actor,
        action="incident.unmerge",
        subject_type="incident",
        subject_id=target.id,
        details={"source": source.id, "target": target.id, "reports": merge.report_ids},
    )


def dismiss_suggestion(suggestion_id: int, *, actor: str, uow: UnitOfWork) -> None:
    """A reviewer says the two incidents are different; the suggestion stays, marked dismissed."""
    with uow:
        lock_suggestion(uow.session, suggestion_id)
        dismiss_locked(uow.session, suggestion_id, actor=actor)
        uow.commit()


def dismiss_locked(session: Session, suggestion_id: int, *, actor: str) -> None:
    """`dismiss_suggestion` in the caller's transaction, which has called `lock_suggestion`."""
    suggestion = session.get(DuplicateSuggestion, suggestion_id)
    if suggestion is None:
        raise InvalidValue(f"no duplicate suggestion {suggestion_id}")
    suggestion.status, suggestion.decided_by, suggestion.decided_at = "dismissed", actor, utcnow()
    record_event(
        session,
        actor=actor,
        action="suggestion.dismiss",
        subject_type="incident",
        subject_id=suggestion.incident_id,
        details={"candidate": suggestion.candidate_id},
    )


def record_external_check(incident_id: int, outcome: str | None, *, actor: str, uow: UnitOfWork) -> int:
    """A patrol, JOC or partner confirmed or contradicted the incident (None clears it); new credibility."""
    with uow:
        lock_incidents(uow.session, [incident_id])
        credibility = record_check_locked(uow.session, incident_id, outcome, actor=actor)
        uow.commit()
        return credibility


def record_check_locked(session: Session, incident_id: int, outcome: str | None, *, actor: str) -> int:
    """`record_external_check` in the caller's transaction, which has locked the incident."""
    if outcome is not None and outcome not in EXTERNAL_CHECKS:
        raise InvalidValue(f"external check {outcome!r} is not one of {', '.join(EXTERNAL_CHECKS)}")
    incident = _incident(session, incident_id)
    incident.external_check = outcome
    credibility = refresh_credibility(session, incident)
    refresh_reliability(session, reporters_of(session, incident.id))
    record_event(
        session,
        actor=actor,
        action="incident.external_check",
        subject_type="incident",
        subject_id=incident.id,
        details={"outcome": outcome, "credibility": credibility},
    )
    return credibility


def refresh_credibility(session: Session, incident: Incident) -> int:
    """Information credibility 1-6 of an incident and its reports, from its evidence only (R19, R21)."""
    reports = session.scalars(select(Report).where(Report.incident_id == incident.id)).all()
    groups = _groups(session, {r.reporter_key for r in reports if r.reporter_key})
    sources = independent_sources(
        SourceReport(
            reporter_key=r.reporter_key or f"report-{r.id}",
            group=groups.get(r.reporter_key or ""),
            text_fingerprint=text_fingerprint(r.text),
        )
        for r in reports
    )
    suggested = session.scalar(
        select(DuplicateSuggestion.id).where(
            DuplicateSuggestion.incident_id == incident.id, DuplicateSuggestion.status == "open"
        )
    )
    grade = information_credibility(
        sources,
        external_confirmation=incident.external_check == "confirmed",
        contradicted=False,
        consistent_with_pattern=suggested is not None,
        detail_sufficient=incident.category != FALLBACK and incident.precision is not None,
        contradicted_externally=incident.external_check == "contradicted",
    )
    incident.credibility = grade
    for report in reports:
        report.credibility = grade
    return grade


def refresh_reliability(
    session: Session,
    reporter_keys: Iterable[str],
    thresholds: ReliabilityThresholds = DEFAULT_RELIABILITY_THRESHOLDS,
) -> None:
    """Each reporter's grade A-F from the outcome of her reviewed reports (R20)."""
    for key in set(reporter_keys):
        reporter = session.get(Reporter, key)
        if reporter is None:
            continue
        outcomes = session.execute(
            select(Incident.status, Incident.credibility, Incident.external_check)
            .join(Report, Report.incident_id == Incident.id)
            .where(Report.reporter_key == key, REAL_REPORTS)
            .where(Incident.status.in_(REVIEWED_STATES))
        ).all()
        contradicted = sum(1 for s, _, check in outcomes if s == "rejected" or check == "contradicted")
        confirmed = sum(
            1
            for s, grade, check in outcomes
            if s in VERIFIED_STATES and grade == 1 and check != "contradicted"
        )
        reporter.reliability = reporter_reliability(len(outcomes), confirmed, contradicted, thresholds)


def reporters_of(session: Session, incident_id: int) -> list[str]:
    keys = session.scalars(
        select(Report.reporter_key).where(Report.incident_id == incident_id, Report.reporter_key.is_not(None))
    )
    return [k for k in keys if k]


def _groups(session: Session, keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    rows = session.execute(
        select(Reporter.key, Reporter.group_key).where(
            Reporter.key.in_(keys), Reporter.group_key.is_not(None)
        )
    )
    return {key: group for key, group in rows if group}


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise UnknownIncident(str(incident_id))
    return incident


def _merge_fields(incident: Incident) -> dict[str, Any]:
    return {
        "priority": incident.priority,
        "restricted": incident.restricted,
        "deadline_at": incident.deadline_at.isoformat(),
        "first_reported_at": incident.first_reported_at.isoformat(),
    }


def _decide_suggestions(session: Session, a: int, b: int, status: str, actor: str | None) -> None:
    """Mark the suggestions linking two incidents (either way round) with a reviewer's decision."""
    session.execute(
        update(DuplicateSuggestion)
        .where(
            ((DuplicateSuggestion.incident_id == a) & (DuplicateSuggestion.candidate_id == b))
            | ((DuplicateSuggestion.incident_id == b) & (DuplicateSuggestion.candidate_id == a))
        )
        .values(status=status, decided_by=actor, decided_at=utcnow() if actor else None)
    )
