"""The JOC review queue and the reviewer's actions (DOMAIN.md §4, §5, §6.4; R22, R23, R26, R29, R30).

Every read and action takes the signed-in ``Viewer``; who may see and do what is decided by
``alerts.accounts.policy``, in the service layer and not in the pages (R29). Each action is a recorded
transition in the audit trail (R30), and every read of a sexual-violence narrative is audited too.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, tuple_

from alerts.accounts.policy import (
    COARSE_AREA_KEYS,
    INCIDENTS,
    RESPOND,
    RESTRICTED,
    REVIEW,
    VERIFIED_FEED,
    correctable_fields,
    incident_scope,
    may,
    may_read_narrative,
    redact_history,
    redact_incident,
    require,
    scoped,
    scoped_reports,
    sees_restricted,
    visible_states,
)
from alerts.accounts.users import viewer_of
from alerts.audit.trail import record_event
from alerts.errors import InvalidValue, NotPermitted, UnknownIncident
from alerts.incidents.corrections import corrections_of, record_narrative_read
from alerts.incidents.corroboration import (
    dismiss_locked,
    lock_incidents,
    lock_merge,
    lock_suggestion,
    merge_locked,
    record_check_locked,
    refresh_reliability,
    reporters_of,
    unmerge_locked,
)
from alerts.incidents.escalation import raise_priority, stale_incidents
from alerts.incidents.reports import report_view, transition_details
from alerts.incidents.workflow import TRANSITIONS, check_transition
from alerts.messages import Viewer
from alerts.models import AuditEvent, DuplicateSuggestion, Incident, IncidentMerge, Report, Reporter, User
from alerts.queries import REAL_INCIDENTS, UNMERGED, VERIFIED
from alerts.triage.priority import review_deadline
from alerts.triage.taxonomy import Taxonomy
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import (
    AWAITING_REVIEW,
    CORRECTED_FIELDS,
    CREDIBILITY_GRADES,
    OPEN_STATES,
    PRIORITIES,
    QUEUE_VIEWS,
    RELIABILITY_GRADES,
)

PAGE = 50
MAX_PAGE = 200
MAX_ID = 2**63 - 1
"""Ids are BIGINT: nothing larger exists, and the drivers refuse to bind it."""


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What a reviewer narrows the queue to; every field is optional."""

    country: str | None = None
    area: str | None = None
    """A P-code at any admin level."""
    sector: str | None = None
    category: str | None = None
    status: str | None = None
    network_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    queue: str = "triage"
    view: str | None = None
    """A key of ``QUEUE_VIEWS`` (awaiting a decision, or handled); None: all open, awaiting first."""
    training: bool = False
    """The training queue: incidents made in training sessions (phone simulator), never real ones."""


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _area(incident_areas: Any, code: str) -> Any:
    levels = ("adm1_pcode", "adm2_pcode", "adm3_pcode")
    return or_(*(incident_areas[level].as_string() == code for level in levels))


def encode_cursor(incident: Incident) -> str:
    handled = int(incident.status not in AWAITING_REVIEW)
    raw = f"{handled}|{incident.priority}|{incident.deadline_at.isoformat()}|{incident.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, str, datetime, int]:
    try:
        handled, priority, deadline, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        when, number = datetime.fromisoformat(deadline), int(ident)
        # A forged cursor must fail here, not in the driver: naive or out-of-range values raise there.
        if handled not in ("0", "1") or priority not in PRIORITIES or when.tzinfo is None:
            raise ValueError(priority)
        if not 0 < number <= MAX_ID:
            raise ValueError(number)
        return int(handled), priority, when.astimezone(UTC), number
    except (ValueError, OverflowError) as exc:
        raise InvalidValue("the page cursor is not one this server gave") from exc


def _tabs(filters: QueueFilter, viewer: Viewer) -> list[tuple[int, tuple[str, ...]]]:
    """The tabs a page reads, in order, as (rank, states): awaiting a decision (0), then handled (1).

    Only states she may see (``visible_states``): a tab with none is not read at all (walking the
    awaiting incidents' index for a verified-only reader would find nothing, slowly)."""
    if filters.view is not None and filters.view not in QUEUE_VIEWS:
        raise InvalidValue(f"view {filters.view!r} is not one of {', '.join(QUEUE_VIEWS)}")
    allowed = QUEUE_VIEWS[filters.view] if filters.view else OPEN_STATES
    if filters.status and filters.status not in allowed:
        raise InvalidValue(f"status {filters.status!r} is not in this view; allowed: {', '.join(allowed)}")
    tabs, visible = [], visible_states(viewer)
    for rank, name in enumerate(QUEUE_VIEWS):
        states = tuple(
            s for s in QUEUE_VIEWS[name] if (s == filters.status or not filters.status) and s in visible
        )
        if states and filters.view in (None, name):
            tabs.append((rank, states))
    return tabs


def list_queue(
    viewer: Viewer, filters: QueueFilter, *, uow: UnitOfWork, limit: int = PAGE, after: str | None = None
) -> QueuePage:
    """Open incidents, those awaiting a decision before those handled, each most urgent and soonest
    due first, a page at a time (keyset pagination on (rank, priority, deadline, id)); real ones, or
    in the training queue only training ones.

    Each tab is read on its own, in the order of the partial queue indexes, and a page that ends one
    tab goes on into the next: no query sorts every open incident by the rank.
    """
    require(viewer, INCIDENTS, "read the queue")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue(f"limit must be between 1 and {MAX_PAGE}")
    tabs = _tabs(filters, viewer)
    start = _decode_cursor(after) if after else None
    if start and filters.view is not None and start[0] != list(QUEUE_VIEWS).index(filters.view):
        raise InvalidValue("the page cursor is not one this server gave")  # another tab's
    training = Incident.training.is_(filters.training)  # the queue index leaves it out: both use it
    query = _filtered(scoped(select(Incident).where(UNMERGED, training), viewer), filters)
    key = (Incident.priority, Incident.deadline_at, Incident.id)
    with uow:
        rows: list[Incident] = []
        for rank, states in tabs:
            if start and rank < start[0]:
                continue
            tab = query.where(Incident.status.in_(states))
            if start and rank == start[0]:
                tab = tab.where(tuple_(*key) > tuple_(*start[1:]))
            rows += uow.session.scalars(tab.order_by(*key).limit(limit + 1 - len(rows)))
            if len(rows) > limit:
                break
        counts = _report_counts(uow, [i.id for i in rows[:limit]])
        items = [redact_incident(_queue_item(i, counts.get(i.id, 0)), viewer) for i in rows[:limit]]
        cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return QueuePage(items, cursor)


def _filtered(query: Any, filters: QueueFilter) -> Any:
    query = query.where(Incident.queue == filters.queue)
    if filters.country:
        query = query.where(Incident.country == filters.country.upper())
    if filters.area:
        query = query.where(_area(Incident.areas, filters.area))
    if filters.sector:
        query = query.where(Incident.areas["sector"].as_string() == filters.sector)
    if filters.category:
        query = query.where(Incident.category == filters.category.upper())
    if filters.network_id is not None:
        mine = select(Report.id).where(
            Report.incident_id == Incident.id, Report.network_id == filters.network_id
        )
        query = query.where(exists(mine))
    if filters.since:
        query = query.where(Incident.first_reported_at >= filters.since)
    if filters.until:
        query = query.where(Incident.first_reported_at < filters.until)
    return query


def _report_counts(uow: UnitOfWork, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = uow.session.execute(
        select(Report.incident_id, func.count())
        .where(Report.incident_id.in_(ids))
        .group_by(Report.incident_id)
    )
    return {incident_id: count for incident_id, count in rows if incident_id is not None}


def _queue_item(incident: Incident, reports: int) -> dict[str, Any]:
    return {
        "id": incident.id,
        "category": incident.category,
        "restricted": incident.restricted,
        "priority": incident.priority,
        "status": incident.status,
        "deadline_at": incident.deadline_at.isoformat(),
        "first_reported_at": incident.first_reported_at.isoformat(),
        "country": incident.country,
        "place_name": incident.place_name,
        "areas": incident.areas,
        "credibility": incident.credibility,
        "escalation_level": incident.escalation_level,
        "reports": reports,
    }


def incident_detail(
    incident_id: int, viewer: Viewer, *, uow: UnitOfWork, taxonomy: Taxonomy
) -> dict[str, Any]:
    """One incident with its reports (narratives only for roles that may read them), duplicate
    suggestions, merges and history; reading a restricted narrative is audited (R29, R30)."""
    require(viewer, INCIDENTS, "read incidents")
    with uow:
        incident = uow.session.scalar(scoped(select(Incident).where(Incident.id == incident_id), viewer))
        if incident is None:
            raise UnknownIncident(f"no incident {incident_id} (or none you may see)")
        reports = uow.session.scalars(
            scoped_reports(select(Report).join(Incident, Incident.id == Report.incident_id), viewer)
            .where(Report.incident_id == incident.id)
            .order_by(Report.id)
        )
        views = [
            report_view(r, incident.status, viewer, taxonomy, incident_restricted=incident.restricted)
            for r in reports
        ]
        if incident.restricted and may(viewer, RESTRICTED) and views:
            record_event(
                uow.session,
                actor=viewer.email,
                action="restricted.read",
                subject_type="incident",
                subject_id=incident.id,
                details={"reports": [v["id"] for v in views]},
            )
        elif may_read_narrative(viewer, incident.restricted) and views:
            record_narrative_read(uow.session, incident.id, viewer.email)
        detail = _queue_item(incident, len(views)) | {
            "queue": incident.queue,
            "training": incident.training,
            "lon": incident.lon,
            "lat": incident.lat,
            "precision": incident.precision,
            "occurred_at": incident.occurred_at.isoformat() if incident.occurred_at else None,
            "external_check": incident.external_check,
            "responder": incident.responder,
            "action_ref": incident.action_ref,
            "assigned_to": _email(uow, incident.assigned_to_id),
            "narrative_visible": may_read_narrative(viewer, incident.restricted),
            "reports": views,
            "suggestions": _suggestions(uow, incident.id, viewer),
            "merged_from": _merged_from(uow, incident.id),
            "merged_into": incident.merged_into_id,
            "history": redact_history(_history(uow, incident.id), viewer, incident.restricted),
            "corrections": redact_history(corrections_of(uow, incident.id), viewer, incident.restricted),
            "correctable": correctable_fields(viewer, CORRECTED_FIELDS)
            if sees_restricted(viewer, incident.restricted) and incident.merged_into_id is None
            else (),
        }
        uow.commit()
    return redact_incident(detail, viewer)


def _email(uow: UnitOfWork, user_id: int | None) -> str | None:
    return uow.session.scalar(select(User.email).where(User.id == user_id)) if user_id else None


def _suggestions(uow: UnitOfWork, incident_id: int, viewer: Viewer) -> list[dict[str, Any]]:
    """Open duplicate suggestions of the incident, with the other incident only if she may see it."""
    rows = uow.session.execute(
        select(DuplicateSuggestion, Incident)
        .join(
            Incident,
            Incident.id
            == func.coalesce(
                func.nullif(DuplicateSuggestion.candidate_id, incident_id), DuplicateSuggestion.incident_id
            ),
        )
        .where(
            or_(
                DuplicateSuggestion.incident_id == incident_id,
                DuplicateSuggestion.candidate_id == incident_id,
            ),
            DuplicateSuggestion.status == "open",
            UNMERGED,
            *incident_scope(viewer),
        )
    )
    return [redact_incident(_suggestion_item(s, other), viewer) for s, other in rows]


def _suggestion_item(s: DuplicateSuggestion, other: Incident) -> dict[str, Any]:
    return {
        "id": s.id,
        "incident_id": other.id,
        "category": other.category,
        "restricted": other.restricted,
        "priority": other.priority,
        "status": other.status,
        "place_name": other.place_name,
        "distance_km": s.distance_km,
        "hours_apart": round(s.hours_apart, 1),
        "reason": s.reason,
    }


def _merged_from(uow: UnitOfWork, incident_id: int) -> list[int]:
    return list(
        uow.session.scalars(
            select(IncidentMerge.source_id).where(
                IncidentMerge.target_id == incident_id, IncidentMerge.undone_at.is_(None)
            )
        )
    )


def _history(uow: UnitOfWork, incident_id: int) -> list[dict[str, Any]]:
    events = uow.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "incident", AuditEvent.subject_id == str(incident_id))
        .order_by(AuditEvent.id)
    )
    return [
        {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "details": e.details} for e in events
    ]


# Actions --------------------------------------------------------------------------------------


def _load_for_action(
    uow: UnitOfWork, incident_id: int, viewer: Viewer, capability: str, what: str
) -> Incident:
    require(viewer, capability, what)
    incident = uow.session.scalar(scoped(select(Incident).where(Incident.id == incident_id), viewer))
    if incident is None:
        raise UnknownIncident(f"no incident {incident_id} (or none you may see)")
    if not sees_restricted(viewer, incident.restricted):
        raise NotPermitted(f"only the CRSV focal point can {what} a restricted incident")
    return incident


def _move(uow: UnitOfWork, incident: Incident, target: str, viewer: Viewer, details: dict[str, Any]) -> None:
    """Move to ``target``, one audited step; acting on an untouched incident first opens its review
    (received → under_review), and no other step is taken on her behalf (never through verified).
    A training incident's steps say so in the trail."""
    steps = [target]
    if incident.status == "received" and target not in TRANSITIONS["received"]:
        steps = ["under_review", target]
    for step in steps:
        check_transition(incident.status, step)
        previous, incident.status = incident.status, step
        record_event(
            uow.session,
            actor=viewer.email,
            action="incident.transition",
            subject_type="incident",
            subject_id=incident.id,
            details=transition_details(incident, previous, step) | (details if step == target else {}),
        )


def verify(
    incident_id: int,
    viewer: Viewer,
    *,
    uow: UnitOfWork,
    credibility: int,
    reliability: str | None = None,
) -> None:
    """Verified, with the reviewer's information credibility 1-6 and, if she judged it, the source
    reliability A-F of its reports: two separate fields (R19)."""
    if credibility not in CREDIBILITY_GRADES:
        raise InvalidValue(f"credibility {credibility!r} is not one of 1-6")
    if reliability is not None and reliability not in RELIABILITY_GRADES:
        raise InvalidValue(f"reliability {reliability!r} is not one of {', '.join(RELIABILITY_GRADES)}")
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, REVIEW, "verify")
        _move(uow, incident, "verified", viewer, {"credibility": credibility, "reliability": reliability})
        incident.credibility = credibility
        for report in uow.session.scalars(select(Report).where(Report.incident_id == incident.id)):
            report.credibility = credibility
            if reliability is not None:
                report.reliability = reliability
        uow.session.flush()
        refresh_reliability(uow.session, reporters_of(uow.session, incident.id))
        uow.commit()


def reject(incident_id: int, viewer: Viewer, *, uow: UnitOfWork, reason: str) -> None:
    """Rejected, with the reason the reporter's network can learn from (kept in the audit trail)."""
    if not reason.strip():
        raise InvalidValue("say why the incident is rejected")
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, REVIEW, "reject")
        _move(uow, incident, "rejected", viewer, {"reason": reason.strip()[:500]})
        uow.session.flush()
        refresh_reliability(uow.session, reporters_of(uow.session, incident.id))
        uow.commit()


def mark_unverified(incident_id: int, viewer: Viewer, *, uow: UnitOfWork) -> None:
    """Looked at, could not be confirmed yet: stays open for more information."""
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, REVIEW, "review")
        _move(uow, incident, "unverified", viewer, {})
        uow.session.flush()
        refresh_reliability(uow.session, reporters_of(uow.session, incident.id))
        uow.commit()


def start_review(incident_id: int, viewer: Viewer, *, uow: UnitOfWork) -> None:
    """She has opened it: the clock stops counting it as untouched (time to triage, R23)."""
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, REVIEW, "review")
        if incident.status == "received":
            _move(uow, incident, "under_review", viewer, {})
            uow.commit()


def assign(incident_id: int, viewer: Viewer, *, uow: UnitOfWork, email: str | None) -> None:
    """Give it to a colleague who may see it and act on it (or to nobody)."""
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, REVIEW, "assign")
        user = None
        if email:
            user = uow.session.scalar(select(User).where(User.email == email.strip().lower(), User.active))
            if user is None or not _may_take(uow, incident, viewer_of(uow.session, user)):
                raise InvalidValue(
                    f"{email} is not an active reviewer or responder who may see this incident"
                )
        incident.assigned_to_id = user.id if user else None
        record_event(
            uow.session,
            actor=viewer.email,
            action="incident.assign",
            subject_type="incident",
            subject_id=incident.id,
            details={"to": user.email if user else None},
        )
        uow.commit()


def _may_take(uow: UnitOfWork, incident: Incident, assignee: Viewer) -> bool:
    """Whether ``assignee`` reviews or responds, and may see and act on ``incident`` (her countries,
    her networks, verified-only, restricted)."""
    if not (may(assignee, REVIEW) or may(assignee, RESPOND)) or not sees_restricted(
        assignee, incident.restricted
    ):
        return False
    visible = scoped(select(Incident.id).where(Incident.id == incident.id), assignee)
    return uow.session.scalar(visible) is not None


def escalate_now(incident_id: int, viewer: Viewer, *, uow: UnitOfWork, now: datetime) -> None:
    """Raise it one priority level at once (a reviewer's judgement, not the clock)."""
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, REVIEW, "escalate")
        current = incident.deadline_at  # a reviewer's escalation never gives it longer
        raise_priority(
            uow.session, incident, actor=viewer.email, due=lambda p: min(current, review_deadline(p, now))
        )
        uow.commit()


def mark_actioned(
    incident_id: int, viewer: Viewer, *, uow: UnitOfWork, responder: str, action_ref: str
) -> list[int]:
    """Response dispatched by ``responder`` (patrol reference ``action_ref``); returns the inbound
    messages whose reporters opted in to the neutral "passed on" message (§5)."""
    if not responder.strip():
        raise InvalidValue("name who responded (a base, a patrol, a partner)")
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, RESPOND, "mark actioned")
        if incident.status != "verified":
            raise InvalidValue(
                f"only a verified incident can be marked actioned, not a {incident.status} one"
            )
        _move(uow, incident, "response_dispatched", viewer, {"responder": responder, "ref": action_ref})
        incident.responder, incident.action_ref = responder.strip()[:120], action_ref.strip()[:64] or None
        uow.commit()
        return _follow_up_messages(uow, incident.id)


def close(incident_id: int, viewer: Viewer, *, uow: UnitOfWork) -> None:
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, RESPOND, "close")
        _move(uow, incident, "closed", viewer, {})
        uow.commit()


def request_information(incident_id: int, viewer: Viewer, *, uow: UnitOfWork) -> list[int]:
    """Audit the request and return the inbound messages whose reporters accept follow-ups;
    the job sends each the neutral "more_info" template (no content, §6.5)."""
    with uow:
        incident = _load_for_action(uow, incident_id, viewer, REVIEW, "request information")
        record_event(
            uow.session,
            actor=viewer.email,
            action="incident.request_information",
            subject_type="incident",
            subject_id=incident.id,
        )
        uow.commit()
        return _follow_up_messages(uow, incident.id)


def _follow_up_messages(uow: UnitOfWork, incident_id: int) -> list[int]:
    rows = uow.session.scalars(
        select(Report.inbound_message_id)
        .join(Reporter, Reporter.key == Report.reporter_key)
        .where(
            Report.incident_id == incident_id,
            Report.inbound_message_id.is_not(None),
            and_(Reporter.consent_followup, Reporter.opted_out.is_(False), Reporter.withdrawn_at.is_(None)),
        )
    )
    return [r for r in rows if r is not None]


# Reviewers' merges, checks and feeds ----------------------------------------------------------


# Each of the four below locks the incidents it concerns, then checks and acts in one transaction.


def merge(source_id: int, target_id: int, viewer: Viewer, *, uow: UnitOfWork) -> None:
    """A reviewer's merge of two incidents she may both act on (R26)."""
    with uow:
        lock_incidents(uow.session, (source_id, target_id))
        for incident_id in (source_id, target_id):
            _load_for_action(uow, incident_id, viewer, REVIEW, "merge")
        merge_locked(uow.session, source_id, target_id, actor=viewer.email)
        uow.commit()


def unmerge(source_id: int, viewer: Viewer, *, uow: UnitOfWork) -> None:
    """Undo the merge of ``source_id``, if she may act on it and on the incident that holds it (R26)."""
    with uow:
        lock_merge(uow.session, source_id)
        source = _load_for_action(uow, source_id, viewer, REVIEW, "unmerge")
        if source.merged_into_id is not None:
            _load_for_action(uow, source.merged_into_id, viewer, REVIEW, "unmerge")
        unmerge_locked(uow.session, source_id, actor=viewer.email)
        uow.commit()


def dismiss(incident_id: int, suggestion_id: int, viewer: Viewer, *, uow: UnitOfWork) -> None:
    """The two incidents of an open duplicate suggestion of ``incident_id`` are different (R25)."""
    with uow:
        lock_suggestion(uow.session, suggestion_id)
        _load_for_action(uow, incident_id, viewer, REVIEW, "dismiss suggestions of")
        suggestion = uow.session.get(DuplicateSuggestion, suggestion_id)
        pair = (suggestion.incident_id, suggestion.candidate_id) if suggestion else ()
        if suggestion is None or incident_id not in pair:
            raise InvalidValue(f"incident {incident_id} has no duplicate suggestion {suggestion_id}")
        if suggestion.status != "open":
            raise InvalidValue(f"duplicate suggestion {suggestion_id} is {suggestion.status}, not open")
        other = suggestion.candidate_id if incident_id == suggestion.incident_id else suggestion.incident_id
        _load_for_action(uow, other, viewer, REVIEW, "dismiss suggestions of")
        dismiss_locked(uow.session, suggestion_id, actor=viewer.email)
        uow.commit()


def record_check(incident_id: int, viewer: Viewer, *, uow: UnitOfWork, outcome: str | None) -> int:
    """A patrol, JOC or partner confirmed or contradicted it (None clears); the new credibility (R21)."""
    with uow:
        lock_incidents(uow.session, [incident_id])
        _load_for_action(uow, incident_id, viewer, REVIEW, "record checks on")
        credibility = record_check_locked(uow.session, incident_id, outcome, actor=viewer.email)
        uow.commit()
        return credibility


def stale(viewer: Viewer, *, uow: UnitOfWork, now: datetime) -> list[dict[str, Any]]:
    """The stale view (R22) for reviewers, of the incidents they may see."""
    require(viewer, REVIEW, "read the stale view")
    return [
        redact_incident(row, viewer) for row in stale_incidents(now, uow=uow, scope=incident_scope(viewer))
    ]


def list_verified(
    viewer: Viewer, *, uow: UnitOfWork, since_id: int = 0, limit: int = PAGE
) -> list[dict[str, Any]]:
    """Verified, actioned and closed incidents after ``since_id``, oldest id first, for mission
    systems: no narrative and no reporter ever, and no point or place for restricted ones (R35, R36)."""
    require(viewer, VERIFIED_FEED, "read verified incidents")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue(f"limit must be between 1 and {MAX_PAGE}")
    query = select(Incident).where(
        Incident.id > since_id,
        VERIFIED,
        UNMERGED,
        REAL_INCIDENTS,
        Incident.queue == "triage",  # election-process issues never go to the JOC (R17)
    )
    with uow:
        rows = list(uow.session.scalars(scoped(query, viewer).order_by(Incident.id).limit(limit)))
        counts = _report_counts(uow, [i.id for i in rows])
        return [_verified_item(i, counts.get(i.id, 0)) for i in rows]


def _verified_item(incident: Incident, reports: int) -> dict[str, Any]:
    coarse = incident.restricted
    return {
        "id": incident.id,
        "category": incident.category,
        "restricted": incident.restricted,
        "status": incident.status,
        "priority": incident.priority,
        "credibility": incident.credibility,
        "external_check": incident.external_check,
        "country": incident.country,
        "place_name": None if coarse else incident.place_name,
        "lon": None if coarse else incident.lon,
        "lat": None if coarse else incident.lat,
        "precision": None if coarse else incident.precision,
        "areas": {k: v for k, v in incident.areas.items() if k in COARSE_AREA_KEYS}
        if coarse
        else incident.areas,
        "first_reported_at": incident.first_reported_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "responder": incident.responder,
        "action_ref": incident.action_ref,
        "reports": reports,
    }
