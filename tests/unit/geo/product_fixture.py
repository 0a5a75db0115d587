"""A small synthetic hotspot product for the writers' tests (exports, patrol map).

Six square cells of 0.05° near Bentiu (one per kind of class, one suppressed, one MultiPolygon) and three
incident points, with the contract's pandas nullable dtypes and a non-ASCII name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPolygon, Point, box

from geo.crs import WGS84
from geo.patrol_map.wording import Lattice, Phrase
from geo.products import CELL_COLUMNS, GI_BINS, INCIDENT_COLUMNS, HotspotProduct, ProductInfo, empty_incidents

ORIGIN = (29.80, 9.20)
"""Lon, lat of the south-west corner of the lattice (Unity, South Sudan)."""
SIZE = 0.05

# cell_id, column, row, class, reports, weighted, gi_z, gi_p, trend
_CELLS: list[tuple[str, int, int, str, int | None, float | None, float | None, float | None, int | None]] = [
    ("g0_0", 0, 0, "hot_99", 14, 31.0, 3.41, 0.001, 1),
    ("g1_0", 1, 0, "hot_95", 9, 17.0, 2.12, 0.02, 0),
    ("g2_0", 2, 0, "not_significant", 5, 6.0, 0.31, 0.38, None),
    ("g0_1", 0, 1, "cold_90", 6, 6.0, -1.71, 0.09, -1),
    ("g1_1", 1, 1, "suppressed", None, None, None, None, None),
    ("g2_1", 2, 1, "hot_90", 7, 9.5, 1.70, 0.09, 0),
]

ADM = {"adm1_pcode": "SS07", "adm1_name": "Unity", "adm2_pcode": "SS0708", "adm2_name": "Rubkona"}


def cell_box(col: int, row: int) -> Any:
    x, y = ORIGIN[0] + col * SIZE, ORIGIN[1] + row * SIZE
    return box(x, y, x + SIZE, y + SIZE)


def make_cells() -> gpd.GeoDataFrame:
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for cell_id, col, row, hotspot, reports, weighted, z, p, trend in _CELLS:
        suppressed = hotspot == "suppressed"
        rows.append(
            {
                "cell_id": cell_id,
                **ADM,
                "reports": reports,
                "weighted": weighted,
                "gi_z": z,
                "gi_p": p,
                "gi_bin": None if suppressed else GI_BINS[hotspot],
                "hotspot": hotspot,
                "trend": trend,
                "suppressed": suppressed,
            }
        )
        square = cell_box(col, row)
        if (col, row) == (2, 1):  # in two parts, as an admin area with an exclave would be
            square = MultiPolygon([square, box(*(v + 0.2 for v in square.bounds))])
        geoms.append(square)
    frame = pd.DataFrame(rows, columns=list(CELL_COLUMNS)).astype(
        {
            "cell_id": "string",
            "adm1_pcode": "string",
            "adm1_name": "string",
            "adm2_pcode": "string",
            "adm2_name": "string",
            "reports": "Int64",
            "weighted": "Float64",
            "gi_z": "Float64",
            "gi_p": "Float64",
            "gi_bin": "Int64",
            "hotspot": "string",
            "trend": "Int64",
            "suppressed": "boolean",
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=WGS84)


def make_incidents() -> gpd.GeoDataFrame:
    rows = [
        ("INC-101", "2026-10-03", "ATK", "P1", "verified", 2, 1, 29.81, 9.21, "Bentiu"),
        ("INC-102", "2026-10-12", "ABD", "P2", "verified", 3, 2, 29.86, 9.22, "Rubkona"),
        ("INC-103", "2026-10-28", "INT", "P3", "verified", None, None, 29.93, 9.27, "Guit – Ñyal"),
    ]
    frame = pd.DataFrame(
        [
            {
                "incident_id": r[0],
                "date": r[1],
                "category": r[2],
                "priority": r[3],
                "status": r[4],
                "credibility": r[5],
                "precision": r[6],
                **ADM,
                "adm2_name": r[9],
            }
            for r in rows
        ],
        columns=list(INCIDENT_COLUMNS),
    ).astype(
        {
            "incident_id": "string",
            "date": "string",
            "category": "string",
            "priority": "string",
            "status": "string",
            "credibility": "Int64",
            "precision": "Int64",
            "adm1_pcode": "string",
            "adm1_name": "string",
            "adm2_pcode": "string",
            "adm2_name": "string",
        }
    )
    return gpd.GeoDataFrame(frame, geometry=[Point(r[7], r[8]) for r in rows], crs=WGS84)


def make_info(**overrides: Any) -> ProductInfo:
    values: dict[str, Any] = {
        "title_parts": "Hotspots – Unity, October 2026",
        "sensitivity": "UN RESTRICTED",
        "since": datetime(2026, 10, 1, tzinfo=UTC),
        "until": datetime(2026, 11, 1, tzinfo=UTC),
        "categories": ("ATK", "ABD", "INT"),
        "lattice": Lattice("grid", "5"),
        "k": 3,
        "incidents": 41,
        "suppressed_cells": 1,
        # Not the engine's method: phrases it states and text it does not, as a product may hold.
        "method_parts": (
            "Gi* binary distance band 10 km, ",
            Phrase("permutations", "999"),
            ", ",
            Phrase("seed", "42"),
            ", FDR 0.05",
        ),
        "generated_at": datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return ProductInfo(**values)


def make_product(*, points: bool = True, **info: Any) -> HotspotProduct:
    """The product; ``points=False`` gives the empty incidents frame of a product without points."""
    return HotspotProduct(
        info=make_info(**info),
        cells=make_cells(),
        incidents=make_incidents() if points else empty_incidents(),
    )


def empty_cells() -> gpd.GeoDataFrame:
    """A cells frame with the contract's columns and no row: a filter that matched nothing."""
    return gpd.GeoDataFrame({c: [] for c in CELL_COLUMNS}, geometry=[], crs=WGS84)
