"""Reports as a viewer may see them, and an incident's move along the workflow (one unit of work each)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alerts.accounts.policy import INCIDENTS, redact_report, require, scoped_reports
from alerts.audit.trail import record_event
from alerts.errors import InvalidValue, UnknownIncident
from alerts.incidents.corroboration import refresh_reliability, reporters_of
from alerts.incidents.workflow import check_transition
from alerts.messages import Viewer
from alerts.models import Incident, Report
from alerts.triage.taxonomy import Taxonomy
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import REVIEWED_STATES

MAX_PAGE = 500
"""Largest page a list call returns."""


def list_reports(
    viewer: Viewer,
    *,
    uow: UnitOfWork,
    taxonomy: Taxonomy,
    limit: int = 50,
    before_id: int | None = None,
    include_training: bool = False,
) -> list[dict[str, Any]]:
    """Newest reports first, keyset-paginated, of the incidents she may see (``alerts.accounts.policy``)."""
    require(viewer, INCIDENTS, "list reports")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue(f"limit must be between 1 and {MAX_PAGE}")
    query = select(Report, Incident.status, Incident.restricted).join(
        Incident, Incident.id == Report.incident_id
    )
    query = scoped_reports(query.where(Report.training.is_(include_training)), viewer)
    if before_id is not None:
        query = query.where(Report.id < before_id)
    query = query.order_by(Report.id.desc()).limit(limit)
    with uow:
        rows = uow.session.execute(query).all()
        return [
            report_view(report, status, viewer, taxonomy, incident_restricted=restricted)
            for report, status, restricted in rows
        ]


def report_view(
    report: Report, status: str | None, viewer: Viewer, taxonomy: Taxonomy, *, incident_restricted: bool
) -> dict[str, Any]:
    """A report as she may see it: restricted when its category is, or when its incident is (a
    correction to sexual violence, a cue in the words of any of its reports, a reviewer's restriction)."""
    view: dict[str, Any] = {
        "id": report.id,
        "ref": report.ref,
        "incident_id": report.incident_id,
        "incident_status": status,
        "channel": report.channel,
        "received_at": report.received_at.isoformat(),
        "category": report.category,
        "priority": report.priority,
        "reliability": report.reliability,
        "credibility": report.credibility,
        "language": report.language,
        "place_name": report.place_name,
        "lon": report.lon,
        "lat": report.lat,
        "precision": report.precision,
        "areas": report.areas,
        "flags": report.flags,
        "training": report.training,
        "text": report.text,
        "reporter_key": report.reporter_key,
    }
    return redact_report(view, viewer, incident_restricted or taxonomy.categories[report.category].restricted)


def text_language(profile_language: str | None, flags: dict[str, Any]) -> str | None:
    """The language a report is written in: what the classifier read in its words, else her profile's
    (which says what she reads, not what she wrote: a French speaker may text in Arabizi)."""
    guess = flags.get("language_guess")
    return str(guess) if guess and guess != "unknown" else profile_language


def transition_details(incident: Incident, previous: str, target: str) -> dict[str, Any]:
    """What the trail says of every status change: from, to, and for a training incident that it
    was training, so a training verification is never read as a real one."""
    return {"from": previous, "to": target} | ({"training": True} if incident.training else {})


def change_incident_status(
    incident_id: int, target: str, *, actor: str, uow: UnitOfWork, reason: str | None = None
) -> None:
    """Move an incident along the workflow, recording who did it in the audit trail."""
    with uow:
        incident = uow.session.get(Incident, incident_id)
        if incident is None:
            raise UnknownIncident(str(incident_id))
        check_transition(incident.status, target)
        previous, incident.status = incident.status, target
        if {previous, target} & set(REVIEWED_STATES):  # a review outcome: her history changed (R20)
            uow.session.flush()
            refresh_reliability(uow.session, reporters_of(uow.session, incident_id))
        record_event(
            uow.session,
            actor=actor,
            action="incident.transition",
            subject_type="incident",
            subject_id=incident_id,
            details=transition_details(incident, previous, target) | ({"reason": reason} if reason else {}),
        )
        uow.commit()
