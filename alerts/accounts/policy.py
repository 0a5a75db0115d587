"""Who may see and do what (DOMAIN.md §6.4; R29, R35, R36): one table, one scope, one redaction.

Services and pages ask ``may``/``require``/``roles_with`` instead of keeping role sets of their own;
every read of incidents or reports narrows its query with ``scoped`` or ``scoped_reports``; every
view of an incident, a report or an incident's history leaves through a ``redact_*`` function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import aliased

from alerts.errors import NotPermitted
from alerts.messages import Viewer
from alerts.models import Incident, Report
from alerts.queries import VERIFIED
from alerts.vocabulary import INCIDENT_STATES, VERIFIED_STATES

INCIDENTS = "incidents"
"""The queue, incident detail and reports, within the scope below."""
NARRATIVES = "narratives"
"""Free text, and the words quoted from it (the classifier's evidence) (R35)."""
REPORTERS = "reporters"
"""Reporter pseudonyms (R35)."""
RESTRICTED = "restricted"
"""Sexual-violence detail: narratives, points, places, what reviewers wrote, and acting on them (R29, R36)."""
VERIFIED_ONLY = "verified_only"
"""Incidents, and their reports, only once verified."""
OWN_NETWORKS = "own_networks"
"""Only incidents her networks reported, and of them only her networks' reports."""
REVIEW = "review"
"""Verify, reject, merge, assign, escalate, ask for information, record checks; the stale view (R22)."""
RESPOND = "respond"
"""Mark actioned and close."""
VERIFIED_FEED = "verified_feed"
"""The /api/verified feed for mission systems (no narrative or reporter in it)."""
INDICATORS = "indicators"
"""Aggregate indicators and network feedback (R23, R50)."""
PROTECTION = "protection"
"""The protection summary and hotspot products."""
CONTACTS = "contacts"
"""The contact vault (R28)."""
ADMINISTER = "administer"
"""Users, networks and monitors by pseudonym: configuration, not content."""
CORRECT = "correct"
"""Correct an incident's category, flags, priority, time, place and restriction (#16)."""
CORRECT_WHERE_WHEN = "correct_where_when"
"""Correct only where and when it happened and its priority: what a patrol finds out."""
TRAIN = "train"
"""The phone simulator (training deployments): the coordinator trains her monitors, the admin staff."""
AUDIT = "audit"
"""The audit trail, a restricted incident's events redacted as its history is, and its chain's check (R30)."""
TRIAGE_QUALITY = "triage_quality"
"""How often reviewers kept or changed triage's category and place (#16): aggregates only."""

CAPABILITIES: Mapping[str, frozenset[str]] = {
    "network_coordinator": frozenset({INCIDENTS, OWN_NETWORKS, INDICATORS, TRAIN}),
    "triage_reviewer": frozenset(
        {INCIDENTS, NARRATIVES, REPORTERS, REVIEW, CORRECT, RESPOND, VERIFIED_FEED, INDICATORS}
    ),
    "joc_officer": frozenset(
        {
            INCIDENTS,
            VERIFIED_ONLY,
            CORRECT_WHERE_WHEN,
            RESPOND,
            VERIFIED_FEED,
            INDICATORS,
            PROTECTION,
            TRIAGE_QUALITY,
        }
    ),
    "protection_analyst": frozenset({INCIDENTS, VERIFIED_ONLY, VERIFIED_FEED, INDICATORS, PROTECTION}),
    "wpa_crsv_focal": frozenset(
        {
            INCIDENTS,
            NARRATIVES,
            REPORTERS,
            RESTRICTED,
            REVIEW,
            CORRECT,
            RESPOND,
            VERIFIED_FEED,
            INDICATORS,
            PROTECTION,
        }
    ),
    "contact_officer": frozenset({CONTACTS}),
    "admin": frozenset({INDICATORS, ADMINISTER, TRAIN, TRIAGE_QUALITY}),
    "auditor": frozenset({AUDIT}),
}
"""DOMAIN.md §6.4 as capabilities, one row per role. Verified only: the JOC officer ("verified
incidents") and the protection analyst, whose incident detail is that of verified incidents
(decisions.md D22). The audit trail is the auditor's alone: the administrator, whose own acts it
records, has "configuration, not content", and rejection reasons in it are content."""

COARSE_AREA_KEYS = ("adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name", "sector")
"""All a restricted incident or report shows of where it happened outside the CRSV focal point:
admin-2 at finest, no point, no place name (R36)."""
NARRATIVE_FLAGS = ("evidence",)
"""Flags that quote her words: they go with the narrative."""
RESTRICTED_FLAGS = ("women_target_type", "place_candidates")
"""Flags that describe a sexual-violence survivor or place her: CRSV focal point only."""
FREE_TEXT_DETAILS = ("reason", "before", "after")
"""History details a reviewer wrote in her own words, and a correction's values (a place, a
survivor's flags): of a restricted incident, CRSV focal point only."""
WHERE_WHEN_FIELDS = ("place", "occurred_at", "priority")
"""What ``CORRECT_WHERE_WHEN`` corrects."""

_Columns = TypeVarTuple("_Columns")


def may(viewer: Viewer, capability: str) -> bool:
    return capability in CAPABILITIES.get(viewer.role, frozenset())


def require(viewer: Viewer, capability: str, what: str) -> None:
    if not may(viewer, capability):
        raise NotPermitted(f"role {viewer.role} cannot {what}")


def roles_with(capability: str) -> frozenset[str]:
    """The roles that have ``capability`` (for pages that open to them, and for navigation)."""
    return frozenset(role for role, capabilities in CAPABILITIES.items() if capability in capabilities)


def correctable_fields(viewer: Viewer, fields: tuple[str, ...]) -> tuple[str, ...]:
    """Which of an incident's ``fields`` she may correct (the pages offer these only)."""
    if may(viewer, CORRECT):
        return fields
    return tuple(f for f in fields if f in WHERE_WHEN_FIELDS) if may(viewer, CORRECT_WHERE_WHEN) else ()


def require_correction(viewer: Viewer, field: str) -> None:
    if field not in correctable_fields(viewer, (field,)):
        raise NotPermitted(f"role {viewer.role} cannot correct the {field} of an incident")


def sees_restricted(viewer: Viewer, restricted: bool) -> bool:
    """Whether she may see all of an incident or report of this restriction (and act on it)."""
    return not restricted or may(viewer, RESTRICTED)


def may_read_narrative(viewer: Viewer, restricted: bool) -> bool:
    return may(viewer, NARRATIVES) and sees_restricted(viewer, restricted)


def visible_states(viewer: Viewer) -> tuple[str, ...]:
    """The incident statuses she may ever see: a verified-only reader, those of verified incidents.
    The queue reads no state outside them and offers none as a filter."""
    return VERIFIED_STATES if may(viewer, VERIFIED_ONLY) else INCIDENT_STATES


def incident_scope(viewer: Viewer, *, aggregate: bool = False) -> list[ColumnElement[bool]]:
    """Conditions on ``Incident`` that keep her to what she may see: the countries she works on, her
    networks' incidents for a coordinator, and verified ones for verified-only roles — except in
    ``aggregate`` counts, which show no incident (indicators). Callers check the role first."""
    conditions: list[ColumnElement[bool]] = []
    if viewer.countries:
        conditions.append(Incident.country.in_(sorted(viewer.countries)))
    if may(viewer, VERIFIED_ONLY) and not aggregate:
        conditions.append(VERIFIED)
    if may(viewer, OWN_NETWORKS):
        theirs = aliased(Report)  # the outer query may select reports too: correlate on the incident only
        mine = select(theirs.id).where(
            theirs.incident_id == Incident.id, theirs.network_id.in_(sorted(viewer.network_ids))
        )
        conditions.append(exists(mine))
    return conditions


def scoped(query: Select[*_Columns], viewer: Viewer, *, aggregate: bool = False) -> Select[*_Columns]:
    """``query`` over incidents, narrowed to those she may see (``incident_scope``)."""
    return query.where(*incident_scope(viewer, aggregate=aggregate))


def scoped_reports(query: Select[*_Columns], viewer: Viewer) -> Select[*_Columns]:
    """``query`` over reports joined to their incident, narrowed to the reports she may see: those of
    incidents she may see and, for a coordinator, her networks' own."""
    query = scoped(query, viewer)
    if may(viewer, OWN_NETWORKS):
        query = query.where(Report.network_id.in_(sorted(viewer.network_ids)))
    return query


def _coarse(view: dict[str, Any]) -> dict[str, Any]:
    hidden: dict[str, Any] = {key: None for key in ("lon", "lat", "precision", "place_name") if key in view}
    if "areas" in view:
        hidden["areas"] = {k: v for k, v in (view["areas"] or {}).items() if k in COARSE_AREA_KEYS}
    return view | hidden


def redact_incident(view: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    """An incident view (queue item, detail, suggestion, stale row, feed item) as she may have it."""
    return view if sees_restricted(viewer, view["restricted"]) else _coarse(view)


def redact_report(view: dict[str, Any], viewer: Viewer, restricted: bool) -> dict[str, Any]:
    """A report view as she may have it: text and quoted words only for narrative readers, the
    pseudonym only for those who may see reporters, and a restricted one coarse (R29, R35, R36)."""
    hidden_flags = set() if may_read_narrative(viewer, restricted) else set(NARRATIVE_FLAGS)
    if not sees_restricted(viewer, restricted):
        hidden_flags |= set(RESTRICTED_FLAGS)
        view = _coarse(view)
    view = view | {"flags": {k: v for k, v in (view.get("flags") or {}).items() if k not in hidden_flags}}
    if not may_read_narrative(viewer, restricted):
        view.pop("text", None)
    if not may(viewer, REPORTERS):
        view.pop("reporter_key", None)
    return view


def redact_history(events: list[dict[str, Any]], viewer: Viewer, restricted: bool) -> list[dict[str, Any]]:
    """An incident's history as she may read it: of a restricted incident, no reviewer's own words."""
    if sees_restricted(viewer, restricted):
        return events
    return [
        e | {"details": {k: v for k, v in (e["details"] or {}).items() if k not in FREE_TEXT_DETAILS}}
        for e in events
    ]
