"""Oversight pages: stale alerts (R22), indicators and network feedback (R23, R50), protection summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from alerts.accounts.policy import INDICATORS, PROTECTION, REVIEW, roles_with
from alerts.errors import InvalidValue
from alerts.incidents.indicators import GROUPINGS, indicators, network_feedback
from alerts.incidents.indicators import protection_summary as summarise_protection
from alerts.incidents.review import stale as stale_rows
from alerts.models import utcnow
from app import current_services
from app.hotspot_params import PARAMETERS, hotspot_request
from app.web.access import current_viewer, requires_roles
from app.web.maps import LEAFLET_VERSION, boundaries_installed
from app.web.review_format import duration, status_label, week_text

bp = Blueprint("oversight", __name__)


@bp.app_context_processor
def _period_helpers() -> dict[str, timedelta]:
    return {"one_second": timedelta(seconds=1)}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"duration": duration, "status_label": status_label, "week_text": week_text}


DEFAULT_PERIOD = timedelta(days=30)
STALE_PAGE_SIZE = 50
"""Stale alerts per page; the service gives them all (up to its own cap), the page shows them in slices."""


def _period() -> tuple[datetime, datetime]:
    """The [since, until) period of the page's date fields; the last 30 days by default."""
    try:
        until_day = date.fromisoformat(request.args["until"]) if request.args.get("until") else None
        since_day = date.fromisoformat(request.args["since"]) if request.args.get("since") else None
    except ValueError:
        abort(400, _("Dates are written YYYY-MM-DD."))
    until = datetime.combine(until_day + timedelta(days=1), time(), UTC) if until_day else utcnow()
    since = datetime.combine(since_day, time(), UTC) if since_day else until - DEFAULT_PERIOD
    return since, until


@bp.get("/stale")
@requires_roles(*roles_with(REVIEW))
def stale() -> str:
    rows = stale_rows(current_viewer(), uow=current_services().uow(), now=utcnow())
    pages = max(1, -(-len(rows) // STALE_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    start = (page - 1) * STALE_PAGE_SIZE
    return render_template(
        "stale.html",
        rows=rows[start : start + STALE_PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=pages,
        previous_url=url_for("oversight.stale", page=page - 1) if page > 1 else None,
        next_url=url_for("oversight.stale", page=page + 1) if page < pages else None,
        taxonomy=current_services().taxonomy,
    )


@bp.get("/indicators")
@requires_roles(*roles_with(INDICATORS))
def indicators_page() -> str:
    since, until = _period()
    group_by = request.args.get("group_by", "network")
    if group_by not in GROUPINGS:
        abort(400, _("Group by network, area or week."))
    services, viewer = current_services(), current_viewer()
    result = indicators(viewer, uow=services.uow(), since=since, until=until, group_by=group_by)
    feedback = None
    if network := request.args.get("network", type=int):
        try:
            feedback = network_feedback(viewer, network, uow=services.uow(), since=since, until=until)
        except InvalidValue:
            abort(404)
    return render_template(
        "indicators.html", result=result, feedback=feedback, since=since, until=until, group_by=group_by
    )


@bp.get("/protection")
@requires_roles(*roles_with(PROTECTION))
def protection() -> str:
    """Hotspot map with its filters and downloads, above the summary table of verified incidents."""
    services, viewer = current_services(), current_viewer()
    hotspots = hotspot_request(request.args)  # a bad filter is a 400 naming it (app.errors)
    rules = services.hotspot_rules
    sensitivities = [name for name, level in rules.sensitivities.items() if viewer.role in level.roles]
    sensitivity = hotspots.sensitivity or rules.default_sensitivity
    summary = summarise_protection(viewer, uow=services.uow(), since=hotspots.since, until=hotspots.until)
    query = {key: request.args.getlist(key) for key in PARAMETERS if request.args.get(key)}
    return render_template(
        "protection.html",
        summary=summary,
        since=hotspots.since,
        until=hotspots.until,
        taxonomy=services.taxonomy,
        hotspots=hotspots,
        rules=rules,
        cells=hotspots.cells or rules.cells,
        cell_kinds=[("h3", _("Hexagons (H3)")), ("grid", _("Grid squares")), ("admin", _("Admin areas"))],
        sensitivities=sensitivities,
        sensitivity=sensitivity,
        k=rules.sensitivities[sensitivity].k if sensitivity in rules.sensitivities else "",
        query=query,
        boundaries=boundaries_installed(),
        leaflet_version=LEAFLET_VERSION,
        classes=hotspot_class_labels(),
        formats=[
            ("pdf", _("Patrol map (PDF, A4)")),
            ("png", _("Patrol map (PNG)")),
            ("geojson", "GeoJSON"),
            ("kml", _("KML (Google Earth)")),
            ("gpkg", _("GeoPackage (QGIS, ArcGIS)")),
            ("shp", _("Shapefile (zip)")),
            ("csv", _("CSV with P-codes and HXL")),
        ],
    )


def hotspot_class_labels() -> list[tuple[str, str]]:
    """The legend of hotspot classes, translated."""
    return [
        *((f"hot_{level}", _("Hot spot, %(level)s%% confidence", level=level)) for level in (99, 95, 90)),
        ("not_significant", _("Not significant")),
        *((f"cold_{level}", _("Cold spot, %(level)s%% confidence", level=level)) for level in (90, 95, 99)),
        ("suppressed", _("Suppressed (fewer than k reports)")),
    ]
