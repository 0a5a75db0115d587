"""The lattices hotspot statistics run on: H3 hexagons, a metric square grid, admin areas (DOMAIN.md §7.2).

Every builder takes a tally (index: cell id; columns ``reports``, ``weighted``; see ``geo.hotspots.tally``)
and returns the study area as a WGS84 frame (``cell_id``, ``reports``, ``weighted``, polygons in lon/lat
order) with binary contiguity weights (``Contiguity``) whose ``id_order`` is the frame's ``cell_id`` order.
``frame.attrs`` holds ``lattice`` (``h3``, ``grid``, ``admin``), ``cells`` (a description for
``ProductInfo.cells``) and ``unplaced`` (tally ids the lattice has no cell for, with their reports).

The study area. Reports exist only where women's networks report ("reported incidents, not prevalence",
R47), and Gi* compares each neighbourhood with the whole study area, so the study area decides what
"hot" means. A country-wide background would add thousands of zeros where nobody reports and make every
reporting place look hot; the reported cells alone would leave a cluster no contrast at its edge. The H3
and grid lattices therefore hold every cell with reports plus ``ring`` rings of neighbouring cells with
zero reports: contrast for Gi* without inventing a background. The admin lattice takes every configured
area, since areas are what a mission plans by and their number is fixed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import h3  # type: ignore[import-untyped, unused-ignore]  # reason: h3 ships no type hints
import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # reason: no pandas-stubs installed
import scipy.sparse as sp
import shapely
from pyproj import CRS, Transformer

from geo.crs import WGS84

STORED_H3_RESOLUTIONS = (5, 6, 7)
"""The H3 cells stored with every geocoded incident (migration 0005); coarser ones are rolled up."""

_GRID_ID = re.compile(r"^g(-?\d+)_(-?\d+)$")


def _check_lonlat(lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]) -> None:
    if not (np.isfinite(lons).all() and np.isfinite(lats).all()):
        raise ValueError("coordinates must be finite numbers")
    if (np.abs(lats) > 90).any() or (np.abs(lons) > 180).any():
        raise ValueError("coordinates out of range: lon must lie in [-180, 180], lat in [-90, 90]")


def h3_cells(lon: float, lat: float) -> dict[int, str]:
    """Return the H3 cell of a point at each stored resolution, e.g. ``{5: "85…", 6: "86…", 7: "87…"}``."""
    _check_lonlat(np.array([lon], dtype=float), np.array([lat], dtype=float))
    return {r: h3.latlng_to_cell(float(lat), float(lon), r) for r in STORED_H3_RESOLUTIONS}


def _h3_resolution(cell: str) -> int:
    if not h3.is_valid_cell(cell):
        raise ValueError(f"not an H3 cell: {cell!r}")
    return int(h3.get_resolution(cell))


def h3_rollup(groups: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """Re-key GROUP BY rows (``cell``, …, ``n``) to the parent cells at a coarser ``resolution``.

    Every other column stays a group key and ``n`` is summed. A parent is H3's index parent: about 7 % of
    points lie geometrically in a neighbouring hexagon of the parent's resolution, since seven children do
    not tile their parent exactly. Cells finer than ``resolution`` are rolled up, equal ones kept, coarser
    ones refused (ValueError).
    """
    if "cell" not in groups.columns or "n" not in groups.columns:
        raise ValueError("groups need the columns 'cell' and 'n'")
    parents: dict[str, str] = {}
    for cell in groups["cell"].unique().tolist():
        own = _h3_resolution(str(cell))
        if own < resolution:
            raise ValueError(f"cannot refine {cell} (resolution {own}) to resolution {resolution}")
        parents[cell] = h3.cell_to_parent(str(cell), resolution) if own > resolution else str(cell)
    keys = [c for c in groups.columns if c != "n"]
    rolled = groups.assign(cell=groups["cell"].map(parents))
    out = rolled.groupby(keys, sort=True, dropna=False, as_index=False)["n"].sum()
    return out[list(groups.columns)].reset_index(drop=True)


def _check_tally(tally_df: pd.DataFrame) -> None:
    missing = {"reports", "weighted"} - set(tally_df.columns)
    if missing:
        raise ValueError(f"the tally lacks the columns {', '.join(sorted(missing))}")
    if not tally_df.index.is_unique:
        raise ValueError("the tally must hold each cell once")


@dataclass(frozen=True)
class Contiguity:
    """Binary contiguity weights: each cell's neighbours by id, cells in ``id_order`` (default: as given).

    Islands and disconnected parts are expected (reports cluster where networks are). The attribute names
    are libpysal's ``W``'s (the tests rebuild one for esda, the reference Gi*).
    """

    neighbors: Mapping[str, list[str]]
    id_order: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.id_order:
            object.__setattr__(self, "id_order", list(self.neighbors))
        if sorted(self.id_order) != sorted(self.neighbors):
            raise ValueError("id_order must list every cell of neighbors once")

    @property
    def n(self) -> int:
        return len(self.id_order)

    @cached_property
    def sparse(self) -> sp.csr_matrix:
        """The n × n 0/1 matrix, rows and columns in ``id_order``."""
        position = {cell: i for i, cell in enumerate(self.id_order)}
        rows = [position[cell] for cell in self.id_order for _ in self.neighbors[cell]]
        cols = [position[other] for cell in self.id_order for other in self.neighbors[cell]]
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(self.n, self.n))


def _weights(neighbours: Mapping[str, Sequence[str]], ids: list[str]) -> Contiguity:
    return Contiguity({i: list(neighbours[i]) for i in ids}, id_order=ids)


def _frame(
    ids: list[str], tally_df: pd.DataFrame, polygons: Iterable[object], attrs: Mapping[str, object]
) -> gpd.GeoDataFrame:
    counts = tally_df.reindex(pd.Index(ids, dtype=object))
    geometry = shapely.orient_polygons(np.asarray(list(polygons), dtype=object))  # RFC 7946: exterior CCW
    frame = gpd.GeoDataFrame(
        {
            "cell_id": pd.Series(ids, dtype=object),
            "reports": counts["reports"].fillna(0).astype("int64").to_numpy(),
            "weighted": counts["weighted"].fillna(0.0).astype("float64").to_numpy(),
        },
        geometry=geometry,
        crs=WGS84,
    )
    frame.attrs.update(attrs)
    return frame


def h3_lattice(
    tally_df: pd.DataFrame, resolution: int, *, ring: int = 1
) -> tuple[gpd.GeoDataFrame, Contiguity]:
    """The cells with reports plus ``ring`` rings of zero cells (see the module), as hexagons.

    Tally ids must be H3 cells at ``resolution``. Cells are sorted by id; neighbours share an edge. Cells
    crossing the antimeridian are not handled (no deployment is near it).
    """
    _check_tally(tally_df)
    if ring < 0:
        raise ValueError("ring must be 0 or more")
    area: set[str] = set()
    for cell in map(str, tally_df.index):
        if _h3_resolution(cell) != resolution:
            raise ValueError(f"{cell} is not at resolution {resolution}")
        area.update(h3.grid_disk(cell, ring))
    ids = sorted(area)
    neighbours = {c: sorted(n for n in h3.grid_disk(c, 1) if n != c and n in area) for c in ids}
    polygons = (shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in ids)
    attrs = {"lattice": "h3", "cells": f"h3 resolution {resolution}", "unplaced": {}}
    return _frame(ids, tally_df, polygons, attrs), _weights(neighbours, ids)


def _grid_size(cell_km: float) -> float:
    if not (math.isfinite(cell_km) and cell_km > 0):
        raise ValueError(f"cell_km must be a positive number, not {cell_km}")
    return cell_km * 1000.0


def grid_cells(lons: npt.ArrayLike, lats: npt.ArrayLike, *, cell_km: float, crs: CRS | str) -> list[str]:
    """Return the square ``g<col>_<row>`` holding each point on a ``cell_km`` grid in the metric ``crs``.

    Column and row count cells from the CRS origin, so an id stays the same across runs and periods as
    long as the same CRS is used (e.g. ``geo.crs.utm_crs`` of the deployment's centre, fixed per deployment).
    """
    size = _grid_size(cell_km)
    xs_in = np.asarray(lons, dtype=float).ravel()
    ys_in = np.asarray(lats, dtype=float).ravel()
    if xs_in.shape != ys_in.shape:
        raise ValueError("lons and lats must have equal length")
    _check_lonlat(xs_in, ys_in)
    xs, ys = Transformer.from_crs(WGS84, crs, always_xy=True).transform(xs_in, ys_in)
    cols = np.floor(np.asarray(xs) / size).astype(np.int64)
    rows = np.floor(np.asarray(ys) / size).astype(np.int64)
    return [f"g{c}_{r}" for c, r in zip(cols.tolist(), rows.tolist(), strict=True)]


def _grid_index(cell: str) -> tuple[int, int]:
    match = _GRID_ID.match(cell)
    if match is None:
        raise ValueError(f"not a grid cell id: {cell!r}")
    return int(match.group(1)), int(match.group(2))


def grid_lattice(
    tally_df: pd.DataFrame, *, cell_km: float, crs: CRS | str, ring: int = 1
) -> tuple[gpd.GeoDataFrame, Contiguity]:
    """The squares with reports plus ``ring`` rings of zero squares; queen contiguity (8 neighbours).

    ``cell_km`` and ``crs`` must be those the ids were made with (``grid_cells``). Cells are sorted by
    (column, row); squares are drawn in ``crs`` and reprojected to WGS84.
    """
    _check_tally(tally_df)
    size = _grid_size(cell_km)
    if ring < 0:
        raise ValueError("ring must be 0 or more")
    steps = range(-ring, ring + 1)
    area: set[tuple[int, int]] = set()
    for col, row in (_grid_index(str(c)) for c in tally_df.index):
        area.update((col + dc, row + dr) for dc in steps for dr in steps)
    keys = sorted(area)
    ids = [f"g{c}_{r}" for c, r in keys]
    near = [(dc, dr) for dc in (-1, 0, 1) for dr in (-1, 0, 1) if (dc, dr) != (0, 0)]
    neighbours = {
        f"g{c}_{r}": [f"g{c + dc}_{r + dr}" for dc, dr in near if (c + dc, r + dr) in area] for c, r in keys
    }
    cols = np.array([c for c, _ in keys], dtype=float)
    rows = np.array([r for _, r in keys], dtype=float)
    squares = gpd.GeoSeries(
        shapely.box(cols * size, rows * size, (cols + 1) * size, (rows + 1) * size), crs=crs
    ).to_crs(WGS84)
    attrs = {"lattice": "grid", "cells": f"grid {cell_km:g} km", "unplaced": {}}
    return _frame(ids, tally_df, squares.to_numpy(), attrs), _weights(neighbours, ids)


def admin_lattice(
    tally_df: pd.DataFrame, areas: gpd.GeoDataFrame, *, level: int = 2
) -> tuple[gpd.GeoDataFrame, Contiguity]:
    """Every admin area as a cell (``cell_id`` = P-code, zero where nothing was reported), in ``areas`` order.

    ``areas`` holds ``pcode``, ``name`` and polygons in WGS84, all of one admin ``level``; columns
    ``adm<n>_pcode``/``adm<n>_name`` of coarser levels are carried along, as is ``name``. Areas sharing at
    least a boundary point are neighbours (queen contiguity, tested on the shapes rather than on shared
    vertices, so imperfect COD topology still touches); an area touching none is an island and can never
    be significant. Tally P-codes not among the areas are not dropped silently: they are in
    ``frame.attrs["unplaced"]`` (P-code -> reports) for the caller to count as not placed.
    """
    _check_tally(tally_df)
    if areas.crs is None or not CRS.from_user_input(areas.crs).equals(CRS.from_user_input(WGS84)):
        raise ValueError(f"areas must be in {WGS84}, not {areas.crs}")
    if not {"pcode", "name"} <= set(areas.columns):
        raise ValueError("areas need the columns 'pcode' and 'name'")
    ids = [str(p) for p in areas["pcode"].tolist()]
    if len(set(ids)) != len(ids):
        raise ValueError("areas repeat a P-code")
    geoms = areas.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    neighbours: dict[str, list[str]] = {i: [] for i in ids}
    for a, b in sorted(zip(left.tolist(), right.tolist(), strict=True)):
        if a != b:
            neighbours[ids[a]].append(ids[b])
    known = set(ids)
    unplaced = {str(c): int(r) for c, r in tally_df["reports"].items() if str(c) not in known}
    attrs = {"lattice": "admin", "cells": f"admin level {level}", "admin_level": level, "unplaced": unplaced}
    frame = _frame(ids, tally_df, geoms, attrs)
    carried = ["name"] + [
        c
        for c in areas.columns
        if (m := re.fullmatch(r"adm(\d)_(pcode|name)", c)) and int(m.group(1)) < level
    ]
    for column in carried:
        frame.insert(len(frame.columns) - 1, column, areas[column].to_numpy())
    return frame, _weights(neighbours, ids)
