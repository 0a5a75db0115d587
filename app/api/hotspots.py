"""/api/hotspots: hotspot products for mission systems and GIS teams, with a bearer token.

The same service as the protection page: the product as GeoJSON, or one export file (audited, R30).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from alerts.errors import InvalidValue
from alerts.hotspots.products import EXPORT_FORMATS, HotspotRequest
from app import current_services
from app.api.incidents import CONTROL
from app.auth import current_viewer
from app.hotspot_params import PARAMETERS, hotspot_request
from app.web.hotspots import export_file, product_geojson
from geo.patrol_map import LANGUAGES, PAPERS

bp = Blueprint("hotspots_api", __name__, url_prefix="/api/hotspots")
MULTIPLE = ("category", "priority")


def _checked_request(known: tuple[str, ...]) -> HotspotRequest:
    """The request the query string describes; unlike the page's form, a client leaves out what it
    does not mean (no empty values), sends no control characters (PostgreSQL stores no NUL) and
    names only categories the deployment has."""
    for name in request.args:
        if name not in known:
            raise InvalidValue(f"unknown query parameter '{name}' (known: {', '.join(known)})")
        values = request.args.getlist(name)
        if name not in MULTIPLE and len(values) > 1:
            raise InvalidValue(f"query parameter '{name}' must be given once")
        if not all(value.strip() for value in values):
            raise InvalidValue(f"query parameter '{name}' must not be empty")
        if any(CONTROL.search(value) for value in values):
            raise InvalidValue(f"query parameter '{name}' must be without control characters")
    hotspots = hotspot_request(request.args)
    categories = current_services().taxonomy.categories
    if unknown := [code for code in hotspots.categories if code not in categories]:
        codes = ", ".join(categories)
        raise InvalidValue(f"query parameter 'category': unknown {', '.join(unknown)} (known: {codes})")
    return hotspots


@bp.get("")
def product() -> Response:
    """Cells (and points the classification allows) of verified incidents, as GeoJSON (RFC 7946)."""
    viewer = current_viewer()
    return product_geojson(viewer, _checked_request(PARAMETERS))


@bp.get("/export/<format>")
def export(format: str) -> Response:
    """One product file: GeoJSON, KML, GeoPackage, zipped Shapefile, CSV+HXL, PNG or PDF."""
    viewer = current_viewer()
    if format not in EXPORT_FORMATS:
        raise InvalidValue(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    hotspots = _checked_request((*PARAMETERS, "paper", "language"))
    paper, language = request.args.get("paper", "A4"), request.args.get("language", viewer.language)
    if paper not in PAPERS:
        raise InvalidValue(f"paper must be one of {', '.join(PAPERS)}")
    if language not in LANGUAGES:
        raise InvalidValue(f"language must be one of {', '.join(LANGUAGES)}")
    return export_file(viewer, hotspots, format, paper, language)
