"""/api/reports: the reports a user may see, newest first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from alerts.errors import InvalidValue
from alerts.review import MAX_ID
from alerts.services import list_reports
from app import current_services
from app.auth import current_viewer

bp = Blueprint("reports", __name__, url_prefix="/api/reports")


def _int_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID):  # "²".isdigit(), yet int("²") fails
        raise InvalidValue(f"query parameter '{name}' must be a positive whole number")
    return int(raw)


@bp.get("")
def index() -> dict[str, Any]:
    services = current_services()
    limit = _int_arg("limit", 50) or 50
    reports = list_reports(
        current_viewer(),
        uow=services.uow(),
        taxonomy=services.taxonomy,
        limit=limit,
        before_id=_int_arg("before", None),
    )
    next_before = reports[-1]["id"] if len(reports) == limit else None
    return {"reports": reports, "next_before": next_before}
