"""Hotspot products on the protection page: the map preview's GeoJSON and every download (R30, R45)."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file

from alerts.accounts.policy import PROTECTION, roles_with
from alerts.hotspots.products import EXPORT_FORMATS, HotspotRequest, build_product, export_hotspots
from alerts.messages import Viewer
from app import current_services
from app.hotspot_params import hotspot_request
from app.web.access import current_viewer, requires_roles
from app.web.language import select_language
from geo.exports import export_format, write_vector
from geo.patrol_map import LANGUAGES, PAPERS
from geo.patrol_map.statement import statement
from geo.products import ProductInfo

bp = Blueprint("hotspots", __name__, url_prefix="/protection/hotspots")

MAP_MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf"}


def media_type(fmt: str) -> str:
    return MAP_MEDIA_TYPES[fmt] if fmt in MAP_MEDIA_TYPES else export_format(fmt).media_type


def file_name(hotspots: HotspotRequest, fmt: str) -> str:
    last_day = hotspots.until.date().fromordinal(hotspots.until.date().toordinal() - 1)
    stem = f"dalili-hotspots-{hotspots.since:%Y%m%d}-{last_day:%Y%m%d}"
    return f"{stem}.{fmt}" if fmt in MAP_MEDIA_TYPES else export_format(fmt).filename(stem)


def product_geojson(viewer: Viewer, hotspots: HotspotRequest, language: str = "en") -> Response:
    """The product as one GeoJSON document: what the page's map draws and the API returns.

    Its ``description``, the statement the page shows under the map, is in ``language`` (the page's);
    the ``product`` member keeps the file's English statement, as every export does."""
    services = current_services()
    product = build_product(
        viewer, hotspots, uow=services.uow(), rules=services.hotspot_rules, layers=services.geocoder
    )
    with tempfile.TemporaryDirectory(prefix="dalili-preview-") as folder:
        body = write_vector(product, "geojson", Path(folder) / "product.geojson").read_bytes()
    if language != "en":  # the English statement is the file's own description already
        document = json.loads(body)
        document["description"] = statement_text(product.info, language)
        body = json.dumps(document, ensure_ascii=False).encode()
    return Response(body, mimetype=media_type("geojson"), headers={"Cache-Control": "no-store"})


def statement_text(info: ProductInfo, language: str) -> str:
    """The product's statement (R47) in ``language``, a line each, with the bidi marks that keep an
    Arabic line's ISO dates and codes in order (as on the patrol map)."""
    said = statement(info, language)
    return said.words.display("\n".join(said.lines()))


def export_file(viewer: Viewer, hotspots: HotspotRequest, fmt: str, paper: str, language: str) -> Response:
    """One product file, written for this request and recorded in the audit trail (R30)."""
    services = current_services()
    with tempfile.TemporaryDirectory(prefix="dalili-export-") as folder:
        record = export_hotspots(
            viewer,
            hotspots,
            fmt,
            Path(folder) / file_name(hotspots, fmt),
            uow=services.uow(),
            rules=services.hotspot_rules,
            layers=services.geocoder,
            paper=paper,
            language=language,
        )
        body = record.path.read_bytes()
    response = send_file(
        io.BytesIO(body), mimetype=media_type(fmt), as_attachment=True, download_name=file_name(hotspots, fmt)
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Dalili-Sha256"] = record.sha256
    response.headers["X-Dalili-Sensitivity"] = record.sensitivity
    return response


@bp.get("/preview.geojson")
@requires_roles(*roles_with(PROTECTION))
def preview() -> Response:
    """The cells (and the points the classification allows) the page's map draws; not a file export."""
    return product_geojson(current_viewer(), hotspot_request(request.args), select_language())


@bp.get("/download/<fmt>")
@requires_roles(*roles_with(PROTECTION))
def download(fmt: str) -> Response:
    if fmt not in EXPORT_FORMATS:
        abort(404)
    paper, language = request.args.get("paper", "A4"), request.args.get("language") or select_language()
    if paper not in PAPERS:
        abort(400, f"paper: one of {', '.join(PAPERS)}")
    if language not in LANGUAGES:
        abort(400, f"language: one of {', '.join(LANGUAGES)}")
    return export_file(current_viewer(), hotspot_request(request.args), fmt, paper, language)
