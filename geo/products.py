"""A hotspot product: what every export format and the patrol map are written from (DOMAIN.md §7).

The engine (`geo.hotspots`) fills it; the writers (`geo.exports`, `geo.patrol_map`) only read it. Every
frame is WGS84 (RFC 7946 order lon, lat). A product holds what its readers may see and nothing else:
no reporter key, contact or narrative ever enters it (R35), sexual-violence incidents never appear as
points (R36), and suppressed cells carry no figures (R37).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd

from geo.crs import WGS84
from geo.patrol_map.labels import labels
from geo.patrol_map.wording import Lattice, Method, Title, format_lattice, format_method, format_title

CAVEAT = "reported incidents, not prevalence"
"""Stated on every product (R47): counts exist only where networks report."""

SENSITIVITIES = ("PUBLIC", "PARTNER", "UN RESTRICTED", "STRICTLY CONFIDENTIAL")
"""Classification markings (R38), least to most restricted."""

HOTSPOT_CLASSES = (
    "hot_99",
    "hot_95",
    "hot_90",
    "not_significant",
    "cold_90",
    "cold_95",
    "cold_99",
    "suppressed",
)
"""A cell's class: Gi* hot or cold at a confidence level after FDR, or suppressed (fewer than k)."""

HOTSPOT_COLOURS = {
    "hot_99": "#7f0000",
    "hot_95": "#ef6548",
    "hot_90": "#fdd0a2",
    "not_significant": "#a6a6a6",
    "cold_90": "#c6dbef",
    "cold_95": "#4292c6",
    "cold_99": "#08306b",
    "suppressed": "#e6e6e6",
}
"""One colour per class for every product — the patrol map, the KML and the dashboard's map: the fill,
or the outline of ``not_significant`` (drawn hollow). Hot dark to light, cold light to dark, each step
distinct in greyscale (luminance 38 / 139 / 218 and 215 / 128 / 43)."""

GI_BINS = {
    "hot_99": 3,
    "hot_95": 2,
    "hot_90": 1,
    "not_significant": 0,
    "cold_90": -1,
    "cold_95": -2,
    "cold_99": -3,
}
"""The class as a signed confidence bin, as ArcGIS's Gi_Bin (suppressed cells have none)."""

CELL_COLUMNS = (
    "cell_id",
    "adm1_pcode",
    "adm1_name",
    "adm2_pcode",
    "adm2_name",
    "reports",
    "weighted",
    "gi_z",
    "gi_p",
    "gi_bin",
    "hotspot",
    "trend",
    "suppressed",
)
"""Columns of ``HotspotProduct.cells`` (plus ``geometry``, polygons).

``cell_id`` is the H3 index, the grid cell ``g<col>_<row>`` or the admin P-code; the P-codes are those of
the area holding the cell's centre. ``reports`` (int), ``weighted`` (severity-weighted count, R44),
``gi_z``/``gi_p`` (Gi* z-score and pseudo p-value), ``gi_bin`` (−3…3) and ``trend`` (+1/0/−1 from the
emerging-hotspot test, R43; null without one) are null where ``suppressed``."""

INCIDENT_COLUMNS = (
    "incident_id",
    "date",
    "category",
    "priority",
    "status",
    "credibility",
    "precision",
    "adm1_pcode",
    "adm1_name",
    "adm2_pcode",
    "adm2_name",
)
"""Columns of ``HotspotProduct.incidents`` (plus ``geometry``, points): verified, non-restricted
incidents, only in products whose sensitivity allows points. ``date`` is ISO ``YYYY-MM-DD``."""


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """What the product states about itself (R38, R47), repeated in every format's metadata.

    The title, the lattice and the method are held as the engine's parts (`geo.patrol_map.wording`), which
    the patrol map formats in its language; ``title``, ``cells`` and ``method`` are their English, which
    every other format states.
    """

    title_parts: Title | str
    """The engine's `Title`, or a title written freely (printed as given in every language)."""
    sensitivity: str
    since: datetime
    until: datetime
    """The period [since, until) of first reports."""
    categories: tuple[str, ...]
    """Category codes included (every category when the filter named none)."""
    lattice: Lattice | str
    """The cells (``Lattice("h3", "6")``: ``h3 resolution 6`` in English)."""
    k: int
    """Cells with fewer reports than this are suppressed (R37)."""
    incidents: int
    """Incidents in the cells shown (not in suppressed ones: their sum would reveal a lone cell's count)."""
    suppressed_cells: int
    not_placed: int = 0
    """Incidents matching the filter that no cell could hold (no coordinates, or too imprecise)."""
    points_left_out: int = 0
    """Points the classification allows but a product cannot carry (too many): the filter is too wide."""
    method_parts: Method = ()
    """How the hot and cold cells were found (statistic, weights, permutations, seed, FDR)."""
    filters: dict[str, Any] = field(default_factory=dict)
    generated_at: datetime | None = None
    caveat: str = CAVEAT

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITIES:
            raise ValueError(f"unknown sensitivity {self.sensitivity!r}; one of {', '.join(SENSITIVITIES)}")

    @property
    def title(self) -> str:
        return format_title(self.title_parts, _ENGLISH)

    @property
    def cells(self) -> str:
        """The lattice, e.g. ``h3 resolution 6``, ``grid 5 km``, ``admin level 2``."""
        return format_lattice(self.lattice, _ENGLISH)

    @property
    def method(self) -> str:
        return format_method(self.method_parts, _ENGLISH)

    def period(self) -> str:
        """The period as dates, the last day included: ``2026-10-01 – 2026-10-31``."""
        last_day = (self.until - timedelta(microseconds=1)).date()
        return f"{self.since.date().isoformat()} – {last_day.isoformat()}"

    def lines(self) -> list[str]:
        """The statement every product carries, one line each (footer, metadata, README)."""
        return [
            self.sensitivity,
            self.title,
            f"Period: {self.period()}",
            f"Categories: {', '.join(self.categories) if self.categories else 'all'}",
            f"Cells: {self.cells}; {self.incidents} incidents in the cells shown",
            f"Suppressed cells (fewer than {self.k} reports): {self.suppressed_cells}",
            *([f"Not placed (no or imprecise location): {self.not_placed}"] if self.not_placed else []),
            *(
                [f"Points left out: {self.points_left_out} incidents, too many to map; narrow the filter"]
                if self.points_left_out
                else []
            ),
            *([f"Method: {self.method}"] if self.method else []),
            f"Caveat: {self.caveat}",
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready metadata (datetimes as ISO strings; the title, cells and method in English)."""
        names = (_IN_ENGLISH.get(field.name, field.name) for field in fields(self))
        data = {name: getattr(self, name) for name in names}
        for key in ("since", "until", "generated_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        data["categories"] = list(self.categories)
        data["filters"] = deepcopy(self.filters)
        data["period"] = self.period()
        return data


@dataclass(frozen=True, slots=True)
class HotspotProduct:
    """Cells, the points allowed, and what the map draws around them."""

    info: ProductInfo
    cells: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame | None = None
    """Admin areas to draw (columns ``pcode``, ``name``, polygons); None when none are installed."""
    sectors: gpd.GeoDataFrame | None = None
    """Mission sectors (``name``, polygons)."""
    sites: gpd.GeoDataFrame | None = None
    """Team sites and bases (``name``, points)."""

    def __post_init__(self) -> None:
        for name in ("cells", "incidents", "boundaries", "sectors", "sites"):
            frame = getattr(self, name)
            if frame is not None and (frame.crs is None or frame.crs != WGS84):
                raise ValueError(f"{name} must be in {WGS84}, not {frame.crs}")


_ENGLISH = labels("en")
_IN_ENGLISH = {"title_parts": "title", "lattice": "cells", "method_parts": "method"}
"""The fields held as parts, and the English property the JSON metadata states each as."""


def empty_incidents() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in INCIDENT_COLUMNS}, geometry=[], crs=WGS84)
