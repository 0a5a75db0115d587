"""The audit trail as the auditor reads it (R30): filtered, newest first, a page at a time, and checked.

Events about a restricted incident leave through ``redact_history``, as that incident's history
does: she reads who did what, not a reviewer's own words about a sexual-violence report. Checking
the chain walks the whole live trail (tens of microseconds an event), so it runs when she asks, and
its outcome is itself an event of the trail: who checked, when, through which event, what was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from alerts.accounts.policy import AUDIT, redact_history, require
from alerts.audit.anchor import TrailCheck, verify_trail
from alerts.audit.trail import record_event
from alerts.errors import InvalidValue
from alerts.messages import Viewer
from alerts.models import AuditEvent, Incident
from alerts.unit_of_work import UnitOfWork

PAGE = 50
MAX_PAGE = 200
VERIFY_ACTION = "audit.verify"
PROBLEMS_KEPT = 20
"""Problems of one check kept in its event (the count is always kept): a trail broken everywhere
would otherwise write an event as long as the trail."""


@dataclass(frozen=True, slots=True)
class TrailFilter:
    """What the auditor narrows the trail to; every field is optional."""

    actor: str | None = None
    action: str | None = None
    """The start of an action: ``incident.`` finds every incident action."""
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class TrailPage:
    events: list[dict[str, Any]]
    older_than: int | None
    """The id the next (older) page starts below, if there is one."""


def read_trail(
    viewer: Viewer, filters: TrailFilter, *, uow: UnitOfWork, limit: int = PAGE, before: int | None = None
) -> TrailPage:
    """The events matching ``filters``, newest first, below event ``before`` (keyset on the id)."""
    require(viewer, AUDIT, "read the audit trail")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue(f"limit must be between 1 and {MAX_PAGE}")
    query = select(AuditEvent)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor.strip().lower())
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action.strip(), autoescape=True))
    if filters.subject_type:
        query = query.where(AuditEvent.subject_type == filters.subject_type.strip())
    if filters.subject_id:
        query = query.where(AuditEvent.subject_id == filters.subject_id.strip())
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    with uow:
        rows = list(uow.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
        events = _redacted(uow, [_event(e) for e in rows[:limit]], viewer)
    return TrailPage(events, events[-1]["id"] if len(rows) > limit else None)


def _event(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "details": event.details,
    }


def _redacted(uow: UnitOfWork, events: list[dict[str, Any]], viewer: Viewer) -> list[dict[str, Any]]:
    """Each incident's events as its history would show them to her; an incident that cannot be
    found is taken as restricted."""
    ids = {incident_id for e in events if (incident_id := _incident_id(e)) is not None}
    rows = uow.session.execute(select(Incident.id, Incident.restricted).where(Incident.id.in_(ids)))
    restricted = {incident_id: flag for incident_id, flag in rows}
    return [
        redact_history([e], viewer, restricted.get(incident_id, True))[0]
        if (incident_id := _incident_id(e)) is not None
        else e
        for e in events
    ]


def _incident_id(event: dict[str, Any]) -> int | None:
    """The incident the event is about (0, no incident, for a malformed id), or None for another subject."""
    subject = event["subject_id"]
    if event["subject_type"] != "incident":
        return None
    return int(subject) if subject.isascii() and subject.isdigit() and len(subject) < 19 else 0


def verify(
    viewer: Viewer, now: datetime, *, uow: UnitOfWork, anchor_dir: Path, archive_dir: Path, archive_days: int
) -> TrailCheck:
    """Check the trail as `dalili audit verify` does (``verify_trail``) and record the outcome."""
    require(viewer, AUDIT, "verify the audit trail")
    with uow:
        through = uow.session.scalar(select(func.max(AuditEvent.id))) or 0
    check = verify_trail(
        now, uow=uow, anchor_dir=anchor_dir, archive_dir=archive_dir, archive_days=archive_days
    )
    with uow:
        record_event(
            uow.session,
            actor=viewer.email,
            action=VERIFY_ACTION,
            subject_type="audit_event",
            subject_id=through,
            details={
                "intact": not check.problems,
                "problem_count": len(check.problems),
                "problems": list(check.problems[:PROBLEMS_KEPT]),
                "archives_verified": check.archives.verified,
                "archives_expired": check.archives.expired,
            },
        )
        uow.commit()
    return check


def latest_verification(viewer: Viewer, *, uow: UnitOfWork) -> dict[str, Any] | None:
    """The last check recorded in the trail, with how many events were recorded after it."""
    require(viewer, AUDIT, "read the audit trail")
    with uow:
        checks = select(AuditEvent).where(AuditEvent.action == VERIFY_ACTION)
        event = uow.session.scalar(checks.order_by(AuditEvent.id.desc()).limit(1))
        if event is None:
            return None
        after = select(func.count()).select_from(AuditEvent).where(AuditEvent.id > event.id)
        since = uow.session.scalar(after) or 0
        return _event(event) | {"through": int(event.subject_id), "events_since": since}
