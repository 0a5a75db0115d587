"""Everything inside the map frame, drawn in the UTM zone of the data's centre so that the scale is true.

Only matplotlib's object API is used (no ``pyplot``): the web app renders in threads. Each class is one
collection, so tens of thousands of cells render in a few seconds. The map itself is never mirrored,
whatever the language: north up, east right. Labels (sectors, team sites, the areas holding hot cells)
never overlap one another nor leave the frame.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from pyproj import CRS, Transformer

from geo.crs import WGS84, utm_crs
from geo.patrol_map.frames import texts, valid
from geo.patrol_map.labels import FONT, upright
from geo.patrol_map.page import Page
from geo.patrol_map.scale import MapFrame
from geo.patrol_map.styles import CLASS_STYLES, DRAW_ORDER, HOT_WEIGHT
from geo.products import HotspotProduct

MAX_AREA_LABELS = 15
MAX_SITE_LABELS = 30


class MapDrawer:
    """Everything inside the map frame, in the UTM zone of the data's centre."""

    def __init__(self, axes: Axes, page: Page, product: HotspotProduct) -> None:
        self.axes = axes
        self.page = page
        self.product = product
        self.placed: list[Bbox] = []
        box = axes.get_position()
        self.width_in = box.width * page.figure.get_figwidth()
        self.height_in = box.height * page.figure.get_figheight()

    def draw(self) -> MapFrame | None:
        cells = valid(self.product.cells)
        incidents = valid(self.product.incidents)
        sites = valid(self.product.sites)
        sectors = valid(self.product.sectors)
        boundaries = valid(self.product.boundaries)
        focus = [f for f in (cells, incidents) if len(f)] or [f for f in (sectors, sites) if len(f)]
        focus = focus or [f for f in (boundaries,) if len(f)]
        if not focus:
            self.axes.set_xlim(0, 1)
            self.axes.set_ylim(0, 1)
            self.message()
            return None
        west, south, east, north = _union_bounds([f.total_bounds for f in focus])
        lon, lat = (west + east) / 2, (south + north) / 2
        crs = utm_crs(lon, lat)
        view = self.view([f.to_crs(crs).total_bounds for f in focus])
        self.axes.set_xlim(view[0], view[2])
        self.axes.set_ylim(view[1], view[3])
        self.axes.set_aspect("equal", adjustable="datalim")
        self.axes.set_facecolor("white")
        to_wgs84 = Transformer.from_crs(crs, WGS84, always_xy=True)
        pad = 0.05 * (view[2] - view[0])
        outer = (view[0] - pad, view[1] - pad, view[2] + pad, view[3] + pad)
        window = to_wgs84.transform_bounds(*outer)
        tolerance = (view[2] - view[0]) / (self.width_in * 200)  # about 1/200 inch on paper

        area_geoms = self.outlines(boundaries, crs, window, outer, tolerance, "#8c8c8c", "-", 0.45, 3)
        self.cells(cells, crs)
        sector_geoms = self.outlines(sectors, crs, window, outer, tolerance, "#202020", "--", 1.1, 4)
        if len(incidents):
            xy = shapely.get_coordinates(incidents.to_crs(crs).geometry.values)
            self.axes.scatter(
                xy[:, 0], xy[:, 1], s=4 * self.page.scale, c="black", marker="o", linewidths=0, zorder=5
            )
        self.sites(sites, crs)
        if len(sectors):
            self.sector_labels(sectors, sector_geoms, view)
        self.area_labels(cells, boundaries, area_geoms, crs, view)
        if not len(cells):
            self.message()
        self.axes.apply_aspect()
        (x0, x1), (y0, y1) = self.axes.get_xlim(), self.axes.get_ylim()
        return MapFrame(crs, (x0, y0, x1, y1), lon, lat)

    def view(self, bounds: list[npt.NDArray[np.float64]]) -> tuple[float, float, float, float]:
        """The focus bounds with a margin, widened to the map frame's aspect ratio."""
        west, south, east, north = _union_bounds(bounds)
        span_x, span_y = max(east - west, 2000.0), max(north - south, 2000.0)
        span_x, span_y = span_x * 1.08, span_y * 1.08
        aspect = self.width_in / self.height_in
        if span_x / span_y < aspect:
            span_x = span_y * aspect
        else:
            span_y = span_x / aspect
        cx, cy = (west + east) / 2, (south + north) / 2
        return (cx - span_x / 2, cy - span_y / 2, cx + span_x / 2, cy + span_y / 2)

    def cells(self, cells: gpd.GeoDataFrame, crs: CRS) -> None:
        if not len(cells):
            return
        projected = cells.to_crs(crs)
        classes = np.array(texts(projected["hotspot"]), dtype=object)
        geoms = projected.geometry.values
        edge_width = 0.25 if len(cells) < 2000 else 0.1
        for order, name in enumerate(DRAW_ORDER):
            chosen = geoms[classes == name]
            if not len(chosen):
                continue
            style = CLASS_STYLES[name]
            collection = PathCollection(
                _polygon_paths(np.asarray(chosen)),
                facecolors=style.face or "none",
                edgecolors=style.edge,
                linewidths=edge_width if style.face else max(edge_width, 0.2),
                hatch=style.hatch,
                hatchcolor=style.hatch_color,
                zorder=2 + order / 100,
            )
            collection.set_hatch_linewidth(0.6)
            self.axes.add_collection(collection, autolim=False)

    def outlines(
        self,
        frame: gpd.GeoDataFrame,
        crs: CRS,
        window: tuple[float, float, float, float],
        outer: tuple[float, float, float, float],
        tolerance: float,
        color: str,
        style: str,
        width: float,
        zorder: float,
    ) -> npt.NDArray[np.object_]:
        """Draw polygon outlines clipped and simplified to the map scale; the geometries drawn, by row."""
        if not len(frame):
            return np.empty(0, dtype=object)
        bounds = shapely.bounds(frame.geometry.values)
        near = np.flatnonzero(
            (bounds[:, 2] >= window[0])
            & (bounds[:, 0] <= window[2])
            & (bounds[:, 3] >= window[1])
            & (bounds[:, 1] <= window[3])
        )
        geoms = np.full(len(frame), None, dtype=object)
        if not len(near):
            return geoms
        degrees = tolerance / 111_320 / 2  # coarse first pass in degrees: fewer vertices to reproject
        rough = shapely.simplify(frame.geometry.values[near], degrees)
        projected = gpd.GeoSeries(rough, crs=WGS84).to_crs(crs).values
        fine = shapely.simplify(shapely.clip_by_rect(projected, *outer), tolerance)
        geoms[near] = fine
        paths = _polygon_paths(np.asarray(fine))
        if paths:
            collection = PathCollection(
                paths, facecolors="none", edgecolors=color, linewidths=width, linestyles=style, zorder=zorder
            )
            self.axes.add_collection(collection, autolim=False)
        return geoms

    def sites(self, sites: gpd.GeoDataFrame, crs: CRS) -> None:
        if not len(sites):
            return
        projected = sites.to_crs(crs)
        points = shapely.get_coordinates(projected.geometry.values)
        self.axes.scatter(
            points[:, 0],
            points[:, 1],
            s=45 * self.page.scale,
            marker="^",
            c="black",
            edgecolors="white",
            linewidths=0.8,
            zorder=6,
        )
        if len(points) != len(projected) or "name" not in projected:  # multipoints: markers only
            return
        for (x, y), name in list(zip(points, texts(projected["name"]), strict=True))[:MAX_SITE_LABELS]:
            if name:
                self.label((x, y), name, 7.5, offset=(5, 3), ha="left", va="bottom", fontweight="bold")

    def sector_labels(
        self, sectors: gpd.GeoDataFrame, geoms: npt.NDArray[np.object_], view: tuple[float, ...]
    ) -> None:
        names = texts(sectors["name"]) if "name" in sectors else []
        inner = _inset(view, 0.06)
        for geom, name in zip(geoms, names, strict=False):
            if geom is None or not name:
                continue
            visible = shapely.clip_by_rect(geom, *inner)
            for xy in [*_corners(visible, view), *_anchors(visible)]:
                if self.label(xy, name.upper(), 8, ha="center", va="center", fontweight="bold", color="#222"):
                    break

    def area_labels(
        self,
        cells: gpd.GeoDataFrame,
        boundaries: gpd.GeoDataFrame,
        geoms: npt.NDArray[np.object_],
        crs: CRS,
        view: tuple[float, ...],
    ) -> None:
        """Name the areas holding hot cells, hottest first, at most `MAX_AREA_LABELS`, none overlapping."""
        if not len(cells):
            return
        classes = texts(cells["hotspot"])
        rows = np.flatnonzero([c in HOT_WEIGHT for c in classes])
        if not len(rows):
            return
        hot = cells.iloc[rows]
        weights = [HOT_WEIGHT[str(classes[i])] for i in rows]
        inner = _inset(view, 0.04)
        candidates: list[tuple[float, str, list[tuple[float, float]]]] = []
        if len(boundaries) and "pcode" in boundaries:
            pcodes = texts(boundaries["pcode"])
            names = texts(boundaries["name"]) if "name" in boundaries else pcodes
            for level in ("adm2_pcode", "adm1_pcode"):
                if level not in hot:
                    continue
                score: dict[str, float] = defaultdict(float)
                for key, weight in zip(texts(hot[level]), weights, strict=True):
                    if key is not None:
                        score[key] += weight
                for pcode, name, geom in zip(pcodes, names, geoms, strict=True):
                    if pcode in score and geom is not None:
                        anchors = _anchors(shapely.clip_by_rect(geom, *inner))
                        if anchors:
                            candidates.append((score[pcode], name or pcode, anchors))
                if candidates:
                    break
        if not candidates:  # no boundary layer: name the hot cells' areas at the cells' centre
            centres = shapely.get_coordinates(shapely.centroid(hot.to_crs(crs).geometry.values))
            for level in ("adm2_name", "adm1_name"):
                if level not in hot:
                    continue
                groups: dict[str, list[int]] = defaultdict(list)
                for i, key in enumerate(texts(hot[level])):
                    if key:
                        groups[key].append(i)
                for key, members in groups.items():
                    x, y = centres[members].mean(axis=0)
                    candidates.append((sum(weights[i] for i in members), key, [(float(x), float(y))]))
                if candidates:
                    break
        candidates.sort(key=lambda c: (-c[0], c[1]))
        shown = 0
        for _, name, anchors in candidates:
            if shown >= MAX_AREA_LABELS:
                break
            for xy in anchors:
                if self.label(xy, name, 8.5, ha="center", va="center", color="#1a1a1a", fontstyle="italic"):
                    shown += 1
                    break

    def label(
        self,
        xy: tuple[float, float],
        content: str,
        size: float,
        offset: tuple[float, float] = (0, 0),
        **kwargs: Any,
    ) -> bool:
        """Place a haloed label unless it would overlap one already placed or leave the frame."""
        text = self.axes.annotate(
            content,
            xy,
            xytext=offset,
            textcoords="offset points",
            fontsize=self.page.pt(size),
            family=FONT,
            parse_math=False,
            zorder=7,
            annotation_clip=True,
            path_effects=[patheffects.withStroke(linewidth=2.6 * self.page.scale, foreground="white")],
            **upright(content, kwargs),
        )
        box = text.get_window_extent(self.page.renderer).expanded(1.08, 1.15)
        frame = self.axes.get_window_extent(self.page.renderer)
        inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
        if not inside or any(box.overlaps(other) for other in self.placed):
            text.remove()
            return False
        self.placed.append(box)
        return True

    def message(self) -> None:
        self.axes.text(
            0.5,
            0.5,
            self.page.words.display(self.page.words.text("page.no_incidents")),
            transform=self.axes.transAxes,
            ha="center",
            va="center",
            fontsize=self.page.pt(15),
            family=FONT,
            fontweight="bold",
            color="#303030",
            zorder=10,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": "#808080", "alpha": 0.95},
        )


def _union_bounds(bounds: Sequence[npt.NDArray[np.float64]]) -> tuple[float, float, float, float]:
    stacked = np.vstack(bounds)
    return (
        float(stacked[:, 0].min()),
        float(stacked[:, 1].min()),
        float(stacked[:, 2].max()),
        float(stacked[:, 3].max()),
    )


def _inset(view: tuple[float, ...], fraction: float) -> tuple[float, float, float, float]:
    dx, dy = (view[2] - view[0]) * fraction, (view[3] - view[1]) * fraction
    return (view[0] + dx, view[1] + dy, view[2] - dx, view[3] - dy)


def _anchors(area: Any) -> list[tuple[float, float]]:
    """Where a label may go inside ``area``: its representative point, then a 3 × 3 grid of inner points."""
    if area is None or area.is_empty:
        return []
    point = area.representative_point()
    west, south, east, north = area.bounds
    xs, ys = np.meshgrid(np.linspace(west, east, 5)[1:-1], np.linspace(south, north, 5)[1:-1])
    grid = np.c_[xs.ravel(), ys.ravel()]
    inside = grid[shapely.contains_xy(area, grid[:, 0], grid[:, 1])]
    return [(point.x, point.y), *((float(x), float(y)) for x, y in inside)]


def _corners(area: Any, view: tuple[float, ...]) -> list[tuple[float, float]]:
    """Inner corners of ``area``'s box (north-west first) that lie in it: sector names keep off the cells."""
    if area is None or area.is_empty:
        return []
    west, south, east, north = area.bounds
    dx, dy = 0.07 * (view[2] - view[0]), 0.025 * (view[3] - view[1])
    points = [(x, y) for y in (north - dy, south + dy) for x in (west + dx, east - dx)]
    return [(x, y) for x, y in points if area.contains(shapely.Point(x, y))]


def _polygon_paths(geoms: npt.NDArray[np.object_]) -> list[MplPath]:
    """One compound path per (multi)polygon, holes included, built with vectorised shapely calls."""
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return []
    geoms = shapely.orient_polygons(geoms)
    parts, part_source = shapely.get_parts(geoms, return_index=True)
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, part_source = parts[polygons], part_source[polygons]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return []
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    starts = np.flatnonzero(np.r_[True, coord_ring[1:] != coord_ring[:-1]])
    codes[starts] = MplPath.MOVETO
    codes[np.r_[starts[1:] - 1, len(coords) - 1]] = MplPath.CLOSEPOLY
    source = part_source[ring_part[coord_ring]]
    splits = np.flatnonzero(source[1:] != source[:-1]) + 1
    return [
        MplPath(vertices, kinds)
        for vertices, kinds in zip(np.split(coords, splits), np.split(codes, splits), strict=True)
    ]
