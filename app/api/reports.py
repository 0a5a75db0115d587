"""/api/reports: the reports a user may see, newest first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from alerts.incidents.reports import list_reports
from alerts.incidents.review import MAX_ID, MAX_PAGE, PAGE
from app import current_services
from app.api.incidents import Query
from app.auth import current_viewer

bp = Blueprint("reports", __name__, url_prefix="/api/reports")


@bp.get("")
def index() -> dict[str, Any]:
    viewer, services = current_viewer(), current_services()
    args = Query(request.args, ("limit", "before"))
    limit = args.whole("limit", 1, MAX_PAGE, PAGE) or PAGE
    reports = list_reports(
        viewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        limit=limit,
        before_id=args.whole("before", 1, MAX_ID),
    )
    next_before = reports[-1]["id"] if len(reports) == limit else None
    return {"reports": reports, "next_before": next_before}
