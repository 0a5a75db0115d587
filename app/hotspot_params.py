"""Hotspot filters from a query string: the protection page, its downloads and the API read the same."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from werkzeug.datastructures import MultiDict

from alerts.errors import InvalidValue
from alerts.hotspots.products import HotspotRequest, default_period
from alerts.models import utcnow

PARAMETERS = (
    "since",
    "until",
    "category",
    "priority",
    "area",
    "network",
    "cells",
    "resolution",
    "cell_km",
    "admin_level",
    "sensitivity",
    "half_life",
    "slice_days",
)
TEXT_LIMIT = 32


def _day(args: MultiDict[str, str], name: str) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidValue(f"{name}: dates are written YYYY-MM-DD") from None


def _number(args: MultiDict[str, str], name: str, kind: type[int] | type[float]) -> int | float | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise InvalidValue(f"{name}: not a number: {raw[:TEXT_LIMIT]!r}") from None


def _text(args: MultiDict[str, str], name: str) -> str | None:
    raw = args.get(name, "").strip()
    if len(raw) > TEXT_LIMIT:
        raise InvalidValue(f"{name}: at most {TEXT_LIMIT} characters")
    return raw or None


def _codes(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    values = [v.strip().upper() for raw in args.getlist(name) for v in raw.split(",") if v.strip()]
    if any(len(v) > TEXT_LIMIT for v in values):
        raise InvalidValue(f"{name}: at most {TEXT_LIMIT} characters each")
    return tuple(dict.fromkeys(values))


def hotspot_request(args: MultiDict[str, str]) -> HotspotRequest:
    """The request the query string describes; the last 30 days by default. Bad values: InvalidValue."""
    default_since, default_until = default_period(utcnow().date())
    since, until = _day(args, "since"), _day(args, "until")
    resolution, admin_level = _number(args, "resolution", int), _number(args, "admin_level", int)
    network, slice_days = _number(args, "network", int), _number(args, "slice_days", int)
    cell_km, half_life = _number(args, "cell_km", float), _number(args, "half_life", float)
    try:
        end = datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1) if until else None
    except OverflowError:
        raise InvalidValue("until: a day before 9999-12-31") from None
    return HotspotRequest(
        since=datetime(since.year, since.month, since.day, tzinfo=UTC) if since else default_since,
        until=end or default_until,
        categories=_codes(args, "category"),
        priorities=_codes(args, "priority"),
        area=_text(args, "area"),
        network_id=int(network) if network is not None else None,
        cells=_text(args, "cells"),
        resolution=int(resolution) if resolution is not None else None,
        cell_km=cell_km,
        admin_level=int(admin_level) if admin_level is not None else None,
        sensitivity=(args.get("sensitivity") or "").strip() or None,
        half_life_days=half_life,
        slice_days=int(slice_days) if slice_days is not None else None,
    )
