"""A reviewer corrects what triage got wrong (R5): an incident's category, flags, priority, time,
place and restriction, one audited transition each, with the values before and after, undoable by
a later correction.

Safety first for sexual violence (R29, R36): a correction *to* a restricted category restricts the
incident at once, and its audit event names who had read the narratives before; a restricted
incident (by category, or by a sexual-violence cue in a report's words) is corrected and cleared
by the CRSV focal point only. Each correction also teaches: the incident's reports become labelled
examples for the classifier, and the words a monitor wrote for a corrected place a proposed alias.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.accounts.policy import RESTRICTED, may, require_correction, scoped
from alerts.audit.trail import record_event
from alerts.errors import InvalidValue, NotPermitted, UnknownIncident
from alerts.incidents.corroboration import lock_incidents
from alerts.incidents.reports import text_language
from alerts.messages import Viewer
from alerts.models import Correction, Incident, LabelledExample, NarrativeRead, PlaceAlias, Report, utcnow
from alerts.ports import Places
from alerts.queries import insert_for
from alerts.triage.flags import validate_flags
from alerts.triage.priority import review_deadline
from alerts.triage.taxonomy import Taxonomy
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import CORRECTED_FIELDS, PRIORITIES
from geo.hotspots import h3_cells
from geo.placenames import normalise_place
from geo.types import TOWN_KINDS, PlaceOption, area_fields

CORRECTED_FLAGS = (
    "vawe",
    "vawe_evidence",
    "women_targeted",
    "women_target_type",
    "election_related",
    "electoral_phase",
    "election_tag",
    "children_affected",
    "perpetrator_type",
)
"""The flags a reviewer sets (DOMAIN.md §2.4); the pipeline's working flags are not hers to edit."""
PLACE_CHOICES = ("alternative", "search", "map", "area")
"""How she chose the place: one of the geocoder's alternatives, a name she searched, a click on
the map (precision 1), an admin area only (precision 2 or 3)."""
PLACE_KEYS = ("how", "name", "lon", "lat", "country", "kind", "pcode")
RESTRICTIONS = ("restricted", "cleared")
CLOCK_SKEW = timedelta(minutes=10)
"""How far in the future a corrected time may be: phones and servers disagree a little."""
REASON_LIMIT = 500
REASON_NEEDED = ("priority", "restriction")
"""Raising or lowering a priority, restricting or clearing: she says why (an undo names what it undoes)."""


@dataclass(frozen=True, slots=True)
class CorrectionRequest:
    field: str
    value: Any
    reason: str = ""
    place_words: str = ""
    """For a place: the words of the report that name it, proposed as an alias."""


def correct(
    incident_id: int,
    request: CorrectionRequest,
    viewer: Viewer,
    *,
    uow: UnitOfWork,
    taxonomy: Taxonomy,
    places: Places,
    now: datetime,
) -> dict[str, Any]:
    """Apply one correction to an incident she may act on; returns it as the API shows it."""
    with uow:
        lock_incidents(uow.session, [incident_id])
        incident = _load(uow.session, incident_id, viewer, request.field)
        row = _apply(uow.session, incident, request, viewer, taxonomy, places, now, undoes=None)
        uow.commit()
        return correction_view(row)


def undo(
    correction_id: int,
    viewer: Viewer,
    *,
    uow: UnitOfWork,
    taxonomy: Taxonomy,
    places: Places,
    now: datetime,
    reason: str = "",
    incident_id: int | None = None,
) -> dict[str, Any]:
    """Put back what a correction changed, as a new correction (the history keeps both); with
    ``incident_id``, only a correction of that incident."""
    with uow:
        earlier = uow.session.get(Correction, correction_id)
        if earlier is None or incident_id not in (None, earlier.incident_id):
            raise InvalidValue(f"no correction {correction_id} of this incident")
        lock_incidents(uow.session, [earlier.incident_id])
        incident = _load(uow.session, earlier.incident_id, viewer, earlier.field)
        request = CorrectionRequest(earlier.field, _value_of(earlier.field, earlier.before), reason)
        row = _apply(uow.session, incident, request, viewer, taxonomy, places, now, undoes=earlier.id)
        uow.commit()
        return correction_view(row)


def corrections_of(uow: UnitOfWork, incident_id: int) -> list[dict[str, Any]]:
    """Every correction of an incident, oldest first, as ``details`` the history redaction reads
    (inside the caller's unit of work: she has been shown she may see the incident)."""
    rows = uow.session.scalars(
        select(Correction).where(Correction.incident_id == incident_id).order_by(Correction.id)
    )
    return [correction_view(c) for c in rows]


def correction_view(row: Correction) -> dict[str, Any]:
    """As the API and the page show it: ``details`` holds what ``redact_history`` may hide."""
    return {
        "id": row.id,
        "incident_id": row.incident_id,
        "field": row.field,
        "actor": row.actor,
        "undoes": row.undoes_id,
        "at": row.at.isoformat(),
        "details": {"before": row.before, "after": row.after, "reason": row.reason},
    }


def record_narrative_read(session: Session, incident_id: int, reader: str) -> None:
    """Remember that she read its narratives, once per reader (see ``NarrativeRead``); two pages
    of hers opened at once insert it once."""
    row = {"incident_id": incident_id, "reader": reader, "first_at": utcnow()}
    session.execute(insert_for(session)(NarrativeRead).values(**row).on_conflict_do_nothing())


# Loading and checking -----------------------------------------------------------------------------


def _load(session: Session, incident_id: int, viewer: Viewer, field: str) -> Incident:
    if field not in CORRECTED_FIELDS:
        raise InvalidValue(f"field {field!r} cannot be corrected; one of {', '.join(CORRECTED_FIELDS)}")
    require_correction(viewer, field)
    incident = session.scalar(scoped(select(Incident).where(Incident.id == incident_id), viewer))
    if incident is None:
        raise UnknownIncident(f"no incident {incident_id} (or none you may see)")
    if incident.restricted and not may(viewer, RESTRICTED):
        # Which also keeps corrections away from sexual violence, and clearing, hers alone.
        raise NotPermitted("only the CRSV focal point can correct a restricted incident")
    if incident.merged_into_id is not None:
        raise InvalidValue(
            f"incident {incident.id} is merged into {incident.merged_into_id}: correct that one"
        )
    return incident


def _reason(request: CorrectionRequest, *, required: bool) -> str:
    reason = " ".join(request.reason.split())[:REASON_LIMIT]
    if required and not reason:
        raise InvalidValue(f"say why the {request.field} is corrected")
    return reason


# Applying ---------------------------------------------------------------------------------------

_Snapshot = dict[str, Any]


def _apply(
    session: Session,
    incident: Incident,
    request: CorrectionRequest,
    viewer: Viewer,
    taxonomy: Taxonomy,
    places: Places,
    now: datetime,
    *,
    undoes: int | None,
) -> Correction:
    reports = list(
        session.scalars(select(Report).where(Report.incident_id == incident.id).order_by(Report.id))
    )
    field = request.field
    if field == "category":
        before, after = _category(incident, reports, request.value, taxonomy)
    elif field == "flags":
        before, after = _flags(reports, request.value)
    elif field == "priority":
        before, after = _priority(incident, request.value, now)
    elif field == "occurred_at":
        before, after = _occurred(incident, request.value, now)
    elif field == "place":
        before, after = _place(incident, request.value, places)
    else:
        before, after = _restriction(incident, request.value, taxonomy)
    if before == after:
        raise InvalidValue(f"the {field} is already {_shown(after)}: nothing to correct")
    reason = _reason(request, required=field in REASON_NEEDED and undoes is None)
    newly_restricted = after.get("restricted") and not before.get("restricted")
    read_before = _readers(session, incident, reports) if newly_restricted else None
    row = Correction(
        incident_id=incident.id,
        field=field,
        before=before,
        after=after,
        reason=reason,
        actor=viewer.email,
        undoes_id=undoes,
        at=now,
    )
    session.add(row)
    session.flush()
    details: dict[str, Any] = {"correction": row.id, "field": field, "before": before, "after": after}
    if reason:
        details["reason"] = reason
    if undoes is not None:
        details["undoes"] = undoes
    if read_before is not None:
        details["read_before"] = read_before
    record_event(
        session,
        actor=viewer.email,
        action="incident.correct",
        subject_type="incident",
        subject_id=incident.id,
        details=details,
    )
    if field in ("category", "flags", "restriction"):
        _label(session, incident, reports, viewer, now)
    if field == "place" and request.place_words.strip():
        _propose_alias(session, incident, request.place_words, viewer, now)
    return row


def _shown(snapshot: _Snapshot) -> str:
    return ", ".join(f"{k} {v}" for k, v in snapshot.items()) or "unset"


def _value_of(field: str, snapshot: _Snapshot) -> Any:
    """The request value that puts a snapshot back (an undo)."""
    if field == "category":
        return snapshot["category"]
    if field == "priority":
        return snapshot["priority"]
    if field == "occurred_at":
        return snapshot["occurred_at"]
    if field == "restriction":
        return "restricted" if snapshot["restricted"] else "cleared"
    if field == "place":
        return {"how": "snapshot", **snapshot}
    return snapshot  # flags: the values they had


def _category(
    incident: Incident, reports: list[Report], value: Any, taxonomy: Taxonomy
) -> tuple[_Snapshot, _Snapshot]:
    code = str(value or "").strip().upper()
    if code not in taxonomy.categories:
        raise InvalidValue(f"category {value!r} is not one of {', '.join(taxonomy.categories)}")
    restricted = taxonomy[code].restricted
    before = {"category": incident.category, "restricted": incident.restricted}
    # Away from sexual violence, a cue in her words still keeps it restricted until cleared.
    incident.category = code
    incident.restricted = restricted or (incident.restricted and _cued(reports))
    for report in reports:
        report.category = code
    return before, {"category": code, "restricted": incident.restricted}


def _cued(reports: list[Report]) -> bool:
    return any(r.flags.get("sexual_violence_cue") for r in reports)


def _flags(reports: list[Report], value: Any) -> tuple[_Snapshot, _Snapshot]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidValue(f"flags must be an object of one or more of {', '.join(CORRECTED_FLAGS)}")
    unknown = sorted(set(value) - set(CORRECTED_FLAGS))
    if unknown:
        raise InvalidValue(
            f"flags {', '.join(unknown)} cannot be corrected; allowed: {', '.join(CORRECTED_FLAGS)}"
        )
    first = reports[0].flags if reports else {}
    before = {k: first.get(k) for k in value}
    checked = validate_flags({k: v for k, v in first.items() if k in CORRECTED_FLAGS} | dict(value))
    for report in reports:
        report.flags = report.flags | {k: checked[k] for k in value}
    return before, {k: checked[k] for k in value}


def _priority(incident: Incident, value: Any, now: datetime) -> tuple[_Snapshot, _Snapshot]:
    priority = str(value or "").strip().upper()
    if priority not in PRIORITIES:
        raise InvalidValue(f"priority {value!r} is not one of {', '.join(PRIORITIES)}")
    before = {"priority": incident.priority, "deadline_at": incident.deadline_at.isoformat()}
    due = review_deadline(priority, now)
    # Raised: due no later than it was; lowered: due by the new priority's deadline from now.
    raised = PRIORITIES.index(priority) < PRIORITIES.index(incident.priority)
    incident.deadline_at = min(incident.deadline_at, due) if raised else due
    incident.priority = priority
    return before, {"priority": priority, "deadline_at": incident.deadline_at.isoformat()}


def _occurred(incident: Incident, value: Any, now: datetime) -> tuple[_Snapshot, _Snapshot]:
    when: datetime | None = None
    if value not in (None, ""):
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise InvalidValue(f"occurred_at {value!r} is not an ISO 8601 date and time") from exc
        if when.tzinfo is None:
            raise InvalidValue("occurred_at needs a time zone (e.g. 2026-12-01T14:00:00+02:00)")
        when = when.astimezone(UTC)
        if when > now + CLOCK_SKEW:
            raise InvalidValue("occurred_at is in the future")
    before = {"occurred_at": incident.occurred_at.isoformat() if incident.occurred_at else None}
    incident.occurred_at = when
    return before, {"occurred_at": when.isoformat() if when else None}


def _place_snapshot(incident: Incident) -> _Snapshot:
    return {
        "place_name": incident.place_name,
        "country": incident.country,
        "lon": incident.lon,
        "lat": incident.lat,
        "precision": incident.precision,
        "in_town": incident.in_town,
        "areas": dict(incident.areas),
    }


def _place(incident: Incident, value: Any, places: Places) -> tuple[_Snapshot, _Snapshot]:
    if not isinstance(value, Mapping):
        raise InvalidValue(f"place must be an object with how: one of {', '.join(PLACE_CHOICES)}")
    before = _place_snapshot(incident)
    after = _snapshot_of(value) if value.get("how") == "snapshot" else _chosen(value, incident, places)
    incident.place_name, incident.country = after["place_name"], after["country"]
    incident.lon, incident.lat = after["lon"], after["lat"]
    incident.precision, incident.in_town, incident.areas = (
        after["precision"],
        after["in_town"],
        after["areas"],
    )
    cells = (
        h3_cells(incident.lon, incident.lat) if incident.lon is not None and incident.lat is not None else {}
    )
    incident.h3_r5, incident.h3_r6, incident.h3_r7 = cells.get(5), cells.get(6), cells.get(7)
    return before, after


def _snapshot_of(value: Mapping[str, Any]) -> _Snapshot:
    return {
        key: value.get(key) for key in ("place_name", "country", "lon", "lat", "precision", "in_town")
    } | {"areas": dict(value.get("areas") or {})}


def _chosen(value: Mapping[str, Any], incident: Incident, places: Places) -> _Snapshot:
    unknown = sorted(set(value) - set(PLACE_KEYS))
    if unknown:
        raise InvalidValue(f"place.{unknown[0]} is not known; a place has {', '.join(PLACE_KEYS)}")
    how = value.get("how")
    if how not in PLACE_CHOICES:
        raise InvalidValue(f"place.how {how!r} is not one of {', '.join(PLACE_CHOICES)}")
    if how == "area":
        pcode = _place_text(value, "pcode", 32)
        option = places.area(pcode)
        if option is None:
            raise InvalidValue(f"no admin area with P-code {pcode!r} in the loaded layers")
        return _from_option(option, incident.country)
    lon, lat = _coordinates(value)
    found = places.locate(lon, lat)
    areas = area_fields(found.pcodes, found.names, found.sector, found.special_areas) if found else {}
    name = _place_text(value, "name", 200)
    if how != "map" and not name:
        raise InvalidValue(f"place.name is needed for a place chosen by {how}")
    country = _place_text(value, "country", 2).upper()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise InvalidValue(f"place.country {country!r} is not a two-letter country code")
    return {
        "place_name": name or None,
        "country": country or incident.country,
        "lon": lon,
        "lat": lat,
        "precision": 1,
        "in_town": _place_text(value, "kind", 32) in TOWN_KINDS,
        "areas": areas,
    }


def _place_text(value: Mapping[str, Any], key: str, limit: int) -> str:
    raw = value.get(key)
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > limit:
        raise InvalidValue(f"place.{key} must be a string of at most {limit} characters")
    return raw.strip()


def _coordinates(value: Mapping[str, Any]) -> tuple[float, float]:
    lon, lat = value.get("lon"), value.get("lat")
    if not (isinstance(lon, int | float) and isinstance(lat, int | float)) or bool in (type(lon), type(lat)):
        raise InvalidValue("place.lon and place.lat must be numbers")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidValue(f"({lon}, {lat}) is not a longitude and latitude")
    return float(lon), float(lat)


def _from_option(option: PlaceOption, country: str | None) -> _Snapshot:
    areas = option.areas
    return {
        "place_name": option.name,
        "country": option.country or country,
        "lon": option.lon,
        "lat": option.lat,
        "precision": option.precision,
        "in_town": False,
        "areas": area_fields(areas.pcodes, areas.names, areas.sector, areas.special_areas),
    }


def _restriction(incident: Incident, value: Any, taxonomy: Taxonomy) -> tuple[_Snapshot, _Snapshot]:
    """Restrict (anyone who corrects), or clear a restriction that came from a cue in her words,
    not from the category (the CRSV focal point: ``_load`` lets no one else touch a restricted one)."""
    if value not in RESTRICTIONS:
        raise InvalidValue(f"restriction {value!r} is not one of {', '.join(RESTRICTIONS)}")
    if value == "cleared" and taxonomy[incident.category].restricted:
        raise InvalidValue(f"a {incident.category} incident stays restricted: correct its category first")
    before = {"restricted": incident.restricted}
    incident.restricted = value == "restricted"
    return before, {"restricted": incident.restricted}


# Who read it before; what the correction teaches ------------------------------------------------


def _readers(session: Session, incident: Incident, reports: list[Report]) -> list[str]:
    """Who first read its narratives, here or in an incident a report came from (merges)."""
    ids = {incident.id} | {r.origin_incident_id for r in reports if r.origin_incident_id is not None}
    rows = session.scalars(
        select(NarrativeRead.reader)
        .where(NarrativeRead.incident_id.in_(ids))
        .distinct()
        .order_by(NarrativeRead.reader)
    )
    return list(rows)


def _label(
    session: Session, incident: Incident, reports: list[Report], viewer: Viewer, now: datetime
) -> None:
    """Each report of the corrected incident, as the reviewer now labels it (upserted)."""
    for report in reports:
        flags = {k: report.flags.get(k) for k in CORRECTED_FLAGS if k in report.flags}
        example = session.get(LabelledExample, report.id)
        if example is None:
            example = LabelledExample(report_id=report.id, triage_category=_triage_category(session, report))
            session.add(example)
        example.country, example.language = incident.country, text_language(report.language, report.flags)
        example.category, example.flags = incident.category, flags
        example.labelled_by, example.labelled_at, example.training = viewer.email, now, report.training


def _triage_category(session: Session, report: Report) -> str:
    """What the classifier said: the category before the first correction that changed it."""
    first = session.scalar(
        select(Correction.before)
        .where(Correction.incident_id == report.origin_incident_id, Correction.field == "category")
        .order_by(Correction.id)
        .limit(1)
    )
    return str(first["category"]) if first else report.category


def _propose_alias(session: Session, incident: Incident, words: str, viewer: Viewer, now: datetime) -> None:
    typed = " ".join(words.split())[:200]
    key = normalise_place(typed)
    if not key or incident.lon is None or incident.lat is None or not incident.place_name:
        return
    session.add(
        PlaceAlias(
            text=key,
            typed=typed,
            country=incident.country or "",
            place_name=incident.place_name,
            lon=incident.lon,
            lat=incident.lat,
            precision=incident.precision or 1,
            areas=dict(incident.areas),
            incident_id=incident.id,
            proposed_by=viewer.email,
            proposed_at=now,
        )
    )
