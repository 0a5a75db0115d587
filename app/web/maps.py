"""Maps without the internet: Leaflet served from the xstatic-leaflet package, and the deployment's own
admin boundaries (simplified, as GeoJSON) as the only base layer — no tiles, no CDN."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import xstatic.pkg.leaflet  # type: ignore[import-untyped]  # reason: XStatic packages ship no type hints
from flask import Blueprint, Response, abort, jsonify, request, send_from_directory
from shapely.geometry import mapping

from alerts.accounts.policy import INCIDENTS, roles_with
from app import current_services
from app.web.access import requires_roles
from geo.layers import LayerError, level_from_text, read_layer
from geo.loading import BOUNDARY_SUFFIXES, layer_files, layer_kind

logger = logging.getLogger(__name__)

bp = Blueprint("maps", __name__)

LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
LEAFLET_VERSION = str(xstatic.pkg.leaflet.VERSION)
LEAFLET_FILES = frozenset(
    {
        "leaflet.js",
        "leaflet.css",
        "images/layers.png",
        "images/layers-2x.png",
        "images/marker-icon.png",
        "images/marker-icon-2x.png",
        "images/marker-shadow.png",
    }
)
"""What pages load; nothing else of the package is served."""
ASSET_MAX_AGE = 30 * 24 * 3600
"""Leaflet is versioned in its URL (?v=…): browsers keep it a month, a poor connection fetches it once."""

BASE_LEVELS = (1, 2)
"""Admin levels drawn under incidents: provinces/states and their districts (admin-2, DOMAIN §7.4)."""
SIMPLIFY_DEGREES = 0.003
"""About 300 m: outlines stay recognisable, the GeoJSON stays small enough for a poor connection."""
DECIMALS = 4
MARGIN_DEGREES = 1.0
"""How far around the incident the base layer reaches."""


@bp.get("/static/vendor/leaflet/<path:filename>")
def leaflet(filename: str) -> Response:
    """Leaflet's script, stylesheet and images from the installed xstatic-leaflet package."""
    if filename not in LEAFLET_FILES:
        abort(404)
    return send_from_directory(LEAFLET_DIR, filename, max_age=ASSET_MAX_AGE)


# Boundaries ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Area:
    level: int
    pcode: str
    name: str
    bounds: tuple[float, float, float, float]
    geometry: dict[str, Any]


def admin_layer_files(paths: Iterable[str]) -> list[Path]:
    """The admin boundary files among the deployment's layers (sectors and special areas are no base map);
    a file named for a finer level than the base map's (``…adm3…``) is not even read."""
    return [
        path
        for path in layer_files(Path(p) for p in paths)
        if path.suffix.lower() in BOUNDARY_SUFFIXES
        and layer_kind(path) == "admin"
        and (level_from_text(path.name) or 0) <= max(BASE_LEVELS)
    ]


class BoundaryCache:
    """Simplified admin areas per set of layer files, read once per process (and again if a file changes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[tuple[str, float, int], ...] | None = None
        self._areas: tuple[Area, ...] = ()

    def areas(self, files: Sequence[Path]) -> tuple[Area, ...]:
        key = tuple((str(f), f.stat().st_mtime, f.stat().st_size) for f in files if f.exists())
        with self._lock:
            if key != self._key:
                self._areas, self._key = _read_areas(files), key
            return self._areas


def _read_areas(files: Sequence[Path]) -> tuple[Area, ...]:
    by_level: dict[int, list[Area]] = {}
    for path in files:
        try:
            layer, _ = read_layer(path, kind="admin")
        except (LayerError, OSError, ValueError, RuntimeError) as error:  # GDAL read errors are RuntimeErrors
            logger.warning("boundary layer %s not drawn: %s", path.name, error)
            continue
        if layer.level is None:
            continue
        for pcode, name, geometry in zip(
            layer.frame["pcode"].tolist(), layer.frame["name"].tolist(), layer.frame.geometry, strict=True
        ):
            simple = shapely.transform(
                shapely.simplify(geometry, SIMPLIFY_DEGREES, preserve_topology=True),
                lambda xy: np.round(xy, DECIMALS),
            )
            if simple.is_empty:
                continue
            bounds = tuple(float(v) for v in shapely.bounds(simple))
            by_level.setdefault(layer.level, []).append(
                Area(
                    level=layer.level,
                    pcode=str(pcode),
                    name=str(name or pcode),
                    bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
                    geometry=mapping(simple),
                )
            )
    levels = [level for level in sorted(by_level) if level in BASE_LEVELS] or sorted(by_level)[:1]
    # Finest first: the provinces' outlines are drawn over the districts' fills.
    return tuple(area for level in reversed(levels) for area in by_level[level])


BOUNDARIES = BoundaryCache()


def boundaries_installed() -> bool:
    """Whether the deployment has admin boundary files (the page then draws them under the incident)."""
    return bool(admin_layer_files(current_services().settings.layers))


def _bbox(raw: str | None) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(v) for v in (raw or "").split(","))
    except ValueError:
        abort(400, "bbox must be west,south,east,north in degrees")
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        abort(400, "bbox must be west,south,east,north in degrees")
    return west, south, east, north


@bp.get("/map/boundaries")
@requires_roles(*roles_with(INCIDENTS))
def boundaries() -> Response:
    """Admin areas meeting ``bbox`` as a GeoJSON FeatureCollection (name, P-code, level per area)."""
    west, south, east, north = _bbox(request.args.get("bbox"))
    files = admin_layer_files(current_services().settings.layers)
    features = [
        {
            "type": "Feature",
            "properties": {"name": area.name, "pcode": area.pcode, "level": area.level},
            "geometry": area.geometry,
        }
        for area in BOUNDARIES.areas(files)
        if area.bounds[0] <= east
        and area.bounds[2] >= west
        and area.bounds[1] <= north
        and area.bounds[3] >= south
    ]
    response = jsonify(type="FeatureCollection", features=features)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def bbox_around(points: Iterable[tuple[float, float]]) -> str | None:
    """The ``bbox`` parameter for the boundaries around these (lon, lat) points, with a margin."""
    pairs = list(points)
    if not pairs:
        return None
    lons, lats = [p[0] for p in pairs], [p[1] for p in pairs]
    west, east = max(min(lons) - MARGIN_DEGREES, -180.0), min(max(lons) + MARGIN_DEGREES, 180.0)
    south, north = max(min(lats) - MARGIN_DEGREES, -90.0), min(max(lats) + MARGIN_DEGREES, 90.0)
    return f"{west:.4f},{south:.4f},{east:.4f},{north:.4f}"
