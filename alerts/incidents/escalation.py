"""Deadlines, escalation and staff alerts (DOMAIN.md §4.1; R22, R48).

An incident still awaiting review after its deadline escalates one priority level with a fresh
deadline, and shows in the stale view; at P1 it escalates once more (overdue at P1) and then no
further. Staff alerts are planned as one row per (incident, event, responder), the escalation event
named by the priority it reached, so each responder hears once per level however often the job
runs. What stays overdue after that comes to each responder as one digest per interval. Sending is
the job's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from alerts.audit.trail import record_event
from alerts.errors import UnknownIncident
from alerts.incidents.routing import AlertFacts, Responder, Routing, alert_text, digest_text
from alerts.models import Incident, StaffDigest, StaffNotification, utcnow
from alerts.queries import REAL_INCIDENTS, UNMERGED, insert_for
from alerts.triage.priority import escalate, review_deadline
from alerts.triage.taxonomy import Taxonomy
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import AWAITING_REVIEW, PRIORITIES, REVIEW_DEADLINES

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:escalation"
STALE_PAGE = 200
URGENT = ("P1", "P2")
"""A deployment must route these somewhere, JOC or not (R48): an unrouted one is logged as a warning."""
FULLY_ESCALATED: ColumnElement[bool] = (Incident.priority == PRIORITIES[0]) & (Incident.escalation_level > 0)
"""At P1 after an escalation: it escalates no further, and is reminded in the responders' digests."""


def escalate_overdue(
    now: datetime, *, uow: UnitOfWork, deadlines: Mapping[str, timedelta] = REVIEW_DEADLINES
) -> list[int]:
    """Escalate every incident awaiting review past its deadline; return their ids (R22)."""
    with uow:
        overdue = uow.session.scalars(
            select(Incident)
            .where(
                Incident.status.in_(AWAITING_REVIEW),
                UNMERGED,
                REAL_INCIDENTS,
                Incident.deadline_at < now,
                ~FULLY_ESCALATED,
            )
            .order_by(Incident.deadline_at)
            .with_for_update(skip_locked=True)  # two sweeps never escalate one incident twice
        ).all()
        for incident in overdue:
            # The old deadline has passed: the new one counts from now.
            raise_priority(
                uow.session, incident, actor=SYSTEM_ACTOR, due=lambda p: review_deadline(p, now, deadlines)
            )
        uow.commit()
        return [incident.id for incident in overdue]


def raise_priority(
    session: Session, incident: Incident, *, actor: str, due: Callable[[str], datetime]
) -> None:
    """One escalation step: a priority level up (P1 stays P1), the deadline ``due(new priority)``,
    and the step in the audit trail."""
    before = incident.priority
    incident.priority = escalate(before)
    incident.escalation_level += 1
    incident.deadline_at = due(incident.priority)
    record_event(
        session,
        actor=actor,
        action="incident.escalate",
        subject_type="incident",
        subject_id=incident.id,
        details={"from": before, "to": incident.priority, "level": incident.escalation_level},
    )


def stale_incidents(
    now: datetime,
    *,
    uow: UnitOfWork,
    include_training: bool = False,
    scope: Iterable[ColumnElement[bool]] = (),
) -> list[dict[str, Any]]:
    """Items awaiting review that escalated or are past their deadline, longest overdue first (R22);
    only those ``scope`` (a viewer's ``alerts.accounts.policy.incident_scope``) lets through, when given."""
    with uow:
        rows = uow.session.scalars(
            select(Incident)
            .where(
                Incident.status.in_(AWAITING_REVIEW),
                UNMERGED,
                Incident.training.is_(include_training),
                (Incident.escalation_level > 0) | (Incident.deadline_at < now),
                *scope,
            )
            .order_by(Incident.first_reported_at)
            .limit(STALE_PAGE)
        ).all()
        return [
            {
                "id": i.id,
                "category": i.category,
                "restricted": i.restricted,
                "priority": i.priority,
                "status": i.status,
                "country": i.country,
                "place_name": i.place_name,
                "first_reported_at": i.first_reported_at.isoformat(),
                "deadline_at": i.deadline_at.isoformat(),
                "escalation_level": i.escalation_level,
                "waiting_minutes": int((now - i.first_reported_at).total_seconds() // 60),
            }
            for i in rows
        ]


@dataclass(frozen=True, slots=True)
class StaffAlertPlan:
    """One planned alert, ready for a notifier: the address is read from the routing at send time."""

    notification_id: int
    """The StaffNotification's id, or the StaffDigest's for a reminder digest."""
    responder: str
    kind: str
    address: str
    subject: str
    text: str
    url: str
    data: dict[str, Any]


def plan_staff_alerts(
    incident_id: int, event: str, *, uow: UnitOfWork, routing: Routing, taxonomy: Taxonomy
) -> list[int]:
    """Reserve one notification per responder this event concerns; return the new ones' ids."""
    with uow:
        incident = _incident(uow.session, incident_id)
        facts = _facts(incident, taxonomy)
        responders = routing.recipients(event, facts)
        if not responders and event == "new" and facts.priority in URGENT and facts.queue == "triage":
            logger.warning(
                "incident %s: no responder configured for %s in %s",
                incident.id,
                facts.priority,
                facts.country,
            )
        key = event if event == "new" else f"{event}-{incident.priority}"
        created = []
        for responder in responders:
            row = {"incident_id": incident.id, "event": key, "responder": responder.name}
            if (new_id := _reserve(uow.session, StaffNotification, row)) is not None:
                created.append(new_id)
        uow.commit()
        return created


def plan_reminder_digests(
    now: datetime, *, uow: UnitOfWork, routing: Routing, taxonomy: Taxonomy, interval: timedelta
) -> list[int]:
    """Reserve one digest per responder listing the fully escalated incidents still overdue that
    she takes escalations of, at most one per ``interval`` window; return the new ones' ids."""
    window_start = datetime.fromtimestamp(
        now.timestamp() // interval.total_seconds() * interval.total_seconds(), UTC
    )
    with uow:
        overdue = uow.session.scalars(
            select(Incident)
            .where(
                Incident.status.in_(AWAITING_REVIEW),
                UNMERGED,
                REAL_INCIDENTS,
                FULLY_ESCALATED,
                Incident.deadline_at < now,
            )
            .order_by(Incident.deadline_at, Incident.id)
        ).all()
        listed: dict[str, list[int]] = {}
        for incident in overdue:
            for responder in routing.recipients("escalation", _facts(incident, taxonomy)):
                listed.setdefault(responder.name, []).append(incident.id)
        created = []
        for responder_name, incident_ids in listed.items():
            row = {"responder": responder_name, "window_start": window_start, "incident_ids": incident_ids}
            if (new_id := _reserve(uow.session, StaffDigest, row)) is not None:
                created.append(new_id)
        uow.commit()
        return created


def load_staff_digest(
    digest_id: int, *, uow: UnitOfWork, routing: Routing, base_url: str
) -> StaffAlertPlan | None:
    """The digest to send, or None when it was sent already or its responder left the routing."""
    with uow:
        digest = uow.session.get(StaffDigest, digest_id)
        if digest is None or (responder := _recipient(uow, digest, routing)) is None:
            return None
        url = f"{base_url.rstrip('/')}/stale"
        subject, text = digest_text(digest.incident_ids, url=url)
        data = {"event": "reminder", "incident_ids": list(digest.incident_ids)}
        return StaffAlertPlan(
            digest.id, responder.name, responder.kind, responder.address, subject, text, url, data
        )


def staff_alerts_waiting_since(cutoff: datetime, *, uow: UnitOfWork) -> list[int]:
    """Staff alerts planned before ``cutoff`` and still pending (their job was lost)."""
    with uow:
        return list(
            uow.session.scalars(
                select(StaffNotification.id).where(
                    StaffNotification.status == "pending", StaffNotification.created_at < cutoff
                )
            )
        )


def load_staff_alert(
    notification_id: int, *, uow: UnitOfWork, routing: Routing, taxonomy: Taxonomy, base_url: str
) -> StaffAlertPlan | None:
    """The alert to send, or None when it was sent already or its responder left the routing."""
    with uow:
        notification = uow.session.get(StaffNotification, notification_id)
        if notification is None or (responder := _recipient(uow, notification, routing)) is None:
            return None
        incident = _incident(uow.session, notification.incident_id)
        facts = _facts(incident, taxonomy)
        url = f"{base_url.rstrip('/')}/incidents/{incident.id}"
        event = notification.event.split("-")[0]
        subject, text = alert_text(event, facts, cleared=responder.restricted, url=url)
        data = {
            "incident_id": incident.id,
            "event": notification.event,
            "priority": facts.priority,
            "country": facts.country,
            "deadline_at": facts.deadline_at.isoformat(),
        }
        if responder.restricted or not facts.restricted:
            data |= {"category": facts.category, "place": facts.place}
        return StaffAlertPlan(
            notification.id, responder.name, responder.kind, responder.address, subject, text, url, data
        )


def record_staff_alert(
    notification_id: int,
    *,
    uow: UnitOfWork,
    delivery_id: str | None = None,
    error: str | None = None,
    digest: bool = False,
) -> None:
    """Mark a staff alert (or, with ``digest``, a reminder digest) sent or failed."""
    with uow:
        notification: StaffNotification | StaffDigest | None = (
            uow.session.get(StaffDigest, notification_id)
            if digest
            else uow.session.get(StaffNotification, notification_id)
        )
        if notification is None:
            return
        if delivery_id is not None:
            notification.status, notification.delivery_id, notification.sent_at = (
                "sent",
                delivery_id,
                utcnow(),
            )
            notification.error = None
        else:
            notification.status, notification.error = "failed", error
        uow.commit()


def _recipient(uow: UnitOfWork, row: StaffNotification | StaffDigest, routing: Routing) -> Responder | None:
    """Whom a pending alert or digest goes to; None once sent, or (failing it) if she left the routing."""
    if row.status == "sent":
        return None
    responder = routing.by_name(row.responder)
    if responder is None:
        row.status, row.error = "failed", "responder no longer in the routing file"
        uow.commit()
    return responder


def _reserve(
    session: Session, model: type[StaffNotification] | type[StaffDigest], row: dict[str, Any]
) -> int | None:
    """Insert a pending row unless its unique key exists (a rerun, a concurrent run): its new id, or None."""
    statement = (
        insert_for(session)(model)
        .values(**row, status="pending", created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(model.id)
    )
    new_id: int | None = session.scalar(statement)
    return new_id


def _facts(incident: Incident, taxonomy: Taxonomy) -> AlertFacts:
    category = taxonomy.categories[incident.category]
    return AlertFacts(
        incident_id=incident.id,
        priority=incident.priority,
        category=incident.category,
        category_label=category.labels.get("en", incident.category),
        restricted=incident.restricted,
        country=incident.country,
        place=incident.place_name or incident.areas.get("adm2_name"),
        deadline_at=incident.deadline_at,
        queue=incident.queue,
        training=incident.training,
    )


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise UnknownIncident(str(incident_id))
    return incident
