"""/api/quality: the triage-quality figures of the /quality page, for scripts and dashboards (#16)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from alerts.incidents.quality import DEFAULT_WEEKS, MAX_WEEKS, triage_quality
from alerts.models import utcnow
from app import current_services
from app.api.incidents import Query
from app.auth import current_viewer

bp = Blueprint("quality_api", __name__, url_prefix="/api/quality")


@bp.get("")
def quality() -> dict[str, Any]:
    """Kept and changed categories and places, precision and recall, per week and language."""
    viewer = current_viewer()
    args = Query(request.args, ("weeks", "country"))
    weeks = args.whole("weeks", 1, MAX_WEEKS, DEFAULT_WEEKS) or DEFAULT_WEEKS
    return triage_quality(
        viewer, uow=current_services().uow(), now=utcnow(), weeks=weeks, country=args.country("country")
    )
