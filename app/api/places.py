"""/api/places: the type-ahead of a reviewer correcting where a report happened (issue #16).

Settlements of the gazetteer and admin areas of the boundary layers whose names start with what she
typed, as the options the correction takes. Read with a bearer token, or from the dashboard's own
pages with the signed-in session: it only reads public place names, so a page's script may call it
(a GET changes nothing, so the CSRF exemption of /api/ stays safe; decisions.md D13).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from alerts.accounts.policy import require_correction
from alerts.errors import InvalidValue
from alerts.messages import Viewer
from app import current_services
from app.api.incidents import Query
from app.auth import current_viewer
from app.web.access import signed_in_viewer
from geo.place_search import MAX_LIMIT, MIN_LETTERS
from geo.types import PlaceOption, area_fields

bp = Blueprint("places", __name__, url_prefix="/api/places")

DEFAULT_LIMIT = 10


def _viewer() -> Viewer:
    """Her bearer token's user, else the dashboard's signed-in user; 401 with neither."""
    if "Authorization" not in request.headers and (viewer := signed_in_viewer()) is not None:
        return viewer
    return current_viewer()


def option_json(option: PlaceOption) -> dict[str, Any]:
    """A place option as the API and the correction form have it: areas as flat export fields."""
    areas = option.areas
    return {
        "name": option.name,
        "country": option.country,
        "lon": round(option.lon, 6),
        "lat": round(option.lat, 6),
        "precision": option.precision,
        "kind": option.kind,
        "pcode": option.pcode,
        "areas": area_fields(areas.pcodes, areas.names, areas.sector, areas.special_areas),
    }


@bp.get("")
def search() -> dict[str, Any]:
    """Places whose name is, or has a word that starts with, ``q``; best first."""
    viewer = _viewer()
    require_correction(viewer, "place")  # the type-ahead serves whoever may correct a place
    args = Query(request.args, ("q", "country", "limit"))
    text = args.args.get("q", "")
    if text:
        args.text("q")  # at most TEXT_LIMIT characters, no control character
    if sum(char.isalnum() for char in text) < MIN_LETTERS:
        raise InvalidValue(
            f"query parameter 'q' must hold at least {MIN_LETTERS} letters or digits of a place name"
        )
    country = args.country("country")
    limit = args.whole("limit", 1, MAX_LIMIT, DEFAULT_LIMIT) or DEFAULT_LIMIT
    options = current_services().geocoder.search(text, country, limit=limit)
    return {"places": [option_json(option) for option in options]}
