"""Liveness and readiness probes; /healthz is also the benchmarks' trivial baseline."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from app import current_services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[str, int]:
    return "ok", 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    services = current_services()
    checks = {}
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means not ready
        checks["database"] = type(exc).__name__
    try:
        services.queues.connection.ping()
        checks["queue"] = "ok"
    except Exception as exc:  # any client error means not ready
        checks["queue"] = type(exc).__name__
    ready = all(v == "ok" for v in checks.values())
    return checks, 200 if ready else 503
