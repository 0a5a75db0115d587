"""The printed patrol map: a hotspot product as one landscape PNG or PDF page (DOMAIN.md §7.3, R38, R47).

The page carries the sensitivity marking at top and bottom (classification convention, R38), the title,
the map, a legend with the number of cells per class, and the product's statement (period, categories,
cells, suppressed count, method and the caveat "reported incidents, not prevalence", R47). The same
statement goes into the file's metadata (PDF Title/Subject/Keywords, PNG text chunks).

The map is drawn in the UTM zone of the data's centre so that the scale bar is true. Classes stay
readable on a greyscale printer: hot classes run dark to light with diagonal hatches, cold classes with
horizontal/vertical hatches, suppressed cells light grey with dots, not-significant cells as outlines.

Only matplotlib's object API is used (no ``pyplot``): the web app renders in threads. Each class is one
collection, so tens of thousands of cells render in a few seconds.
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox
from pyproj import CRS, Transformer

from geo.crs import WGS84, utm_crs
from geo.products import HOTSPOT_CLASSES, HotspotProduct, ProductInfo

MM_PER_INCH = 25.4
PAPER: dict[str, tuple[float, float]] = {
    "A4": (297 / MM_PER_INCH, 210 / MM_PER_INCH),
    "A3": (420 / MM_PER_INCH, 297 / MM_PER_INCH),
}
"""Landscape paper sizes in inches (A4 11.69 × 8.27, A3 16.54 × 11.69): 842 × 595 pt for A4."""
PAPERS = tuple(PAPER)
"""The paper names accepted (``A4``, ``A3``)."""

FORMATS = ("png", "pdf")
MIN_DPI, MAX_DPI = 50, 600
FONT = "DejaVu Sans"
"""Bundled with matplotlib, so no font or glyph falls back (and no warning is raised)."""

NO_INCIDENTS = "No verified incidents match this filter"
MAX_AREA_LABELS = 15
MAX_SITE_LABELS = 30


@dataclass(frozen=True, slots=True)
class ClassStyle:
    """How one hotspot class is drawn; ``face`` None means an outline only."""

    label: str
    face: str | None
    edge: str
    hatch: str | None
    hatch_color: str


CLASS_STYLES: dict[str, ClassStyle] = {
    # hot: dark to light, diagonal hatch family (luminance 38 / 139 / 218)
    "hot_99": ClassStyle("Hot spot, 99% confidence", "#7f0000", "#3a0000", "xx", "#ffffff"),
    "hot_95": ClassStyle("Hot spot, 95% confidence", "#ef6548", "#7f0000", "///", "#000000"),
    "hot_90": ClassStyle("Hot spot, 90% confidence", "#fdd0a2", "#b35806", "\\\\", "#4d2600"),
    "not_significant": ClassStyle("Not significant", None, "#a6a6a6", None, "#a6a6a6"),
    # cold: light to dark, horizontal/vertical hatch family (luminance 215 / 128 / 43)
    "cold_90": ClassStyle("Cold spot, 90% confidence", "#c6dbef", "#4a6f8f", "||", "#08306b"),
    "cold_95": ClassStyle("Cold spot, 95% confidence", "#4292c6", "#08306b", "--", "#000000"),
    "cold_99": ClassStyle("Cold spot, 99% confidence", "#08306b", "#00152f", "++", "#ffffff"),
    "suppressed": ClassStyle("Suppressed", "#e6e6e6", "#9e9e9e", "..", "#6e6e6e"),
}
"""One style per class of `geo.products.HOTSPOT_CLASSES`, in legend order."""

_DRAW_ORDER = ("not_significant", "suppressed", "cold_90", "cold_95", "cold_99", "hot_90", "hot_95", "hot_99")
_HOT_WEIGHT = {"hot_99": 3, "hot_95": 2, "hot_90": 1}

# figure layout, as fractions of the page (the same on A4 and A3; fonts scale with the paper)
_MAP_BOX = (0.03, 0.085, 0.655, 0.80)  # left, bottom, width, height
_PANEL_LEFT, _PANEL_RIGHT = 0.705, 0.975
_TOP_BANNER_Y, _BOTTOM_BANNER_Y = 0.977, 0.023
_BANNER_BOX = {"boxstyle": "square,pad=0.35", "facecolor": "white", "edgecolor": "black", "linewidth": 1.2}
_ARROW = {"arrowstyle": "-|>,head_length=0.8,head_width=0.4", "color": "black", "linewidth": 1.6}


def luminance(color: str) -> float:
    """ITU-R 601 luma (0–255) of a ``#rrggbb`` colour, as PIL's ``L`` conversion computes it."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue


@dataclass(frozen=True, slots=True)
class PatrolMapFigure:
    """A drawn page: the figure, its map axes and the metric CRS of the map (None when nothing to map)."""

    figure: Figure
    axes: Axes
    crs: CRS | None


@dataclass(frozen=True, slots=True)
class _MapFrame:
    """What the map shows: its CRS, its final limits (x0, y0, x1, y1 in metres) and its centre."""

    crs: CRS
    view: tuple[float, float, float, float]
    lon: float
    lat: float

    def north_angle(self) -> float:
        """Clockwise angle from grid north to true north at the centre (the grid convergence), radians."""
        forward = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        (x0, x1), (y0, y1) = forward.transform([self.lon, self.lon], [self.lat, min(self.lat + 0.05, 89.9)])
        return math.atan2(x1 - x0, y1 - y0)


def render_patrol_map(
    product: HotspotProduct, path: Path, *, fmt: str = "pdf", paper: str = "A4", dpi: int = 150
) -> Path:
    """Write the patrol map of ``product`` to ``path`` as a landscape ``png`` or ``pdf`` page.

    ``paper`` is ``A4`` or ``A3``; the page is exactly the paper (an A4 PNG at 150 dpi is 1754 × 1240 px).
    Raises ValueError for an unknown format, paper or a dpi outside 50–600.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    drawn = build_patrol_map(product, paper=paper, dpi=dpi, pixel_exact=fmt == "png")
    metadata = png_metadata(product.info) if fmt == "png" else pdf_metadata(product.info)
    drawn.figure.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    return path


def pdf_metadata(info: ProductInfo) -> dict[str, Any]:
    """PDF document information: the classification and the statement (R38, R47)."""
    metadata: dict[str, Any] = {
        "Title": f"{info.title} [{info.sensitivity}]",
        "Subject": " | ".join(info.lines()),
        "Keywords": ", ".join(
            [info.sensitivity, *info.categories, info.period(), info.caveat, "Dalili patrol map"]
        ),
        "Author": "Dalili",
        "Creator": "Dalili patrol map",
    }
    if info.generated_at is not None:
        metadata["CreationDate"] = _aware(info.generated_at)
    return metadata


def png_metadata(info: ProductInfo) -> dict[str, str]:
    """PNG text chunks: the classification and the statement (R38, R47)."""
    metadata = {
        "Title": f"{info.title} [{info.sensitivity}]",
        "Description": "\n".join(info.lines()),
        "Classification": info.sensitivity,
        "Disclaimer": info.caveat,
        "Source": "Dalili patrol map",
    }
    if info.generated_at is not None:
        metadata["Creation Time"] = _aware(info.generated_at).isoformat()
    return metadata


def build_patrol_map(
    product: HotspotProduct, *, paper: str = "A4", dpi: int = 150, pixel_exact: bool = False
) -> PatrolMapFigure:
    """Draw the page on a new figure (not saved). ``pixel_exact`` rounds the size to whole pixels."""
    size = _paper_size(paper)
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"dpi {dpi} outside {MIN_DPI}–{MAX_DPI}")
    if pixel_exact:  # Agg truncates the page to whole pixels: round instead (1753.9 → 1754)
        size = (round(size[0] * dpi) / dpi + 1e-9, round(size[1] * dpi) / dpi + 1e-9)
    counts = _class_counts(product.cells)
    scale = size[0] / PAPER["A4"][0]
    figure = Figure(figsize=size, dpi=dpi, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    renderer: RendererBase = canvas.get_renderer()  # type: ignore[no-untyped-call]
    page = _Page(figure, renderer, scale)

    page.banners(product.info.sensitivity)
    page.title(product.info)
    axes = figure.add_axes(_MAP_BOX)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_linewidth(0.8)
    frame = _MapDrawer(axes, page, product).draw()
    legend = page.legend(_legend_entries(product, counts, frame is not None))
    bottom = page.furniture(frame, axes) if frame is not None else _MAP_BOX[1]
    page.statement(product.info, legend, bottom)
    page.footer(product.info, frame.crs if frame is not None else None)
    return PatrolMapFigure(figure, axes, frame.crs if frame is not None else None)


def _paper_size(paper: str) -> tuple[float, float]:
    try:
        return PAPER[paper.upper()]
    except KeyError:
        raise ValueError(f"unknown paper {paper!r}; one of {', '.join(PAPER)}") from None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _texts(column: Any) -> list[str | None]:
    """A pandas column as Python strings, missing values (None, NaN, pd.NA) as None."""
    missing = column.isna().to_numpy()
    return [None if gone else str(value) for value, gone in zip(column.tolist(), missing, strict=True)]


def _class_counts(cells: gpd.GeoDataFrame) -> dict[str, int]:
    tally = Counter(_texts(cells["hotspot"])) if len(cells) else Counter[str | None]()
    unknown = sorted(str(c) for c in set(tally) - set(HOTSPOT_CLASSES))
    if unknown:
        raise ValueError(f"unknown hotspot classes {unknown}; one of {', '.join(HOTSPOT_CLASSES)}")
    return {name: tally[name] for name in HOTSPOT_CLASSES}


def _legend_entries(
    product: HotspotProduct, counts: dict[str, int], has_map: bool
) -> list[tuple[Artist, str]]:
    entries: list[tuple[Artist, str]] = []
    for name, style in CLASS_STYLES.items():
        label = style.label
        if name == "suppressed":
            label = f"Suppressed, fewer than {product.info.k} reports"
        patch = Patch(
            facecolor=style.face or "white",
            edgecolor=style.edge,
            hatch=style.hatch,
            hatchcolor=style.hatch_color,
            linewidth=0.6,
        )
        entries.append((patch, f"{label} ({counts[name]:,})"))
    points = _valid(product.incidents)
    if len(points):
        marker = Line2D([], [], marker="o", linestyle="none", markersize=3.5, color="black")
        entries.append((marker, f"Verified incident ({len(points):,})"))
    sites = _valid(product.sites)
    if len(sites):
        site = Line2D(
            [],
            [],
            marker="^",
            linestyle="none",
            markersize=7,
            markerfacecolor="black",
            markeredgecolor="white",
        )
        entries.append((site, f"Team site / base ({len(sites):,})"))
    if has_map and product.sectors is not None and len(_valid(product.sectors)):
        entries.append((Line2D([], [], color="#202020", linestyle="--", linewidth=1.2), "Mission sector"))
    if has_map and product.boundaries is not None and len(_valid(product.boundaries)):
        entries.append((Line2D([], [], color="#8c8c8c", linewidth=0.7), "Administrative boundary"))
    return entries


def _valid(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The rows with a non-empty geometry (an empty frame for None)."""
    if frame is None or len(frame) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    geoms = frame.geometry.values
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return frame[keep]


class _Page:
    """Texts around the map, in figure coordinates, measured on an Agg renderer to avoid overlaps."""

    def __init__(self, figure: Figure, renderer: RendererBase, scale: float) -> None:
        self.figure = figure
        self.renderer = renderer
        self.scale = scale
        self.width_pt = figure.get_figwidth() * 72
        self.height_pt = figure.get_figheight() * 72

    def pt(self, size: float) -> float:
        return size * self.scale

    def text(self, x: float, y: float, content: str, size: float, **kwargs: Any) -> Text:
        return self.figure.text(
            x, y, content, fontsize=self.pt(size), family=FONT, parse_math=False, **kwargs
        )

    def extent(self, artist: Artist) -> Bbox:
        """The artist's box in figure fractions."""
        box = artist.get_window_extent(self.renderer)
        return box.transformed(self.figure.transFigure.inverted())

    def banners(self, sensitivity: str) -> None:
        for y in (_TOP_BANNER_Y, _BOTTOM_BANNER_Y):
            self.text(
                0.5,
                y,
                sensitivity,
                12,
                ha="center",
                va="center",
                fontweight="bold",
                bbox={
                    "boxstyle": "square,pad=0.35",
                    "facecolor": "white",
                    "edgecolor": "black",
                    "linewidth": 1.2,
                },
            )

    def title(self, info: ProductInfo) -> None:
        left, width = _MAP_BOX[0], _PANEL_RIGHT - _MAP_BOX[0]
        self.fitted(left, 0.928, info.title, 15, width, fontweight="bold", va="baseline")
        subtitle = "    ·    ".join(
            [
                f"Period: {info.period()}",
                f"Cells: {info.cells}",
                f"{info.incidents:,} incidents in the cells shown",
            ]
        )
        self.fitted(left, 0.902, subtitle, 9.5, width, va="baseline")

    def fitted(self, x: float, y: float, content: str, size: float, width: float, **kwargs: Any) -> Text:
        """One line shrunk (down to 60%) and then shortened with an ellipsis to fit ``width``."""
        text = self.text(x, y, content, size, **kwargs)
        fontsize = self.pt(size)
        while self.extent(text).width > width and fontsize > self.pt(size) * 0.6:
            fontsize *= 0.93
            text.set_fontsize(fontsize)
        while self.extent(text).width > width and len(content) > 4:
            content = content[: int(len(content) * 0.95) - 1].rstrip() + "…"
            text.set_text(content)
        return text

    def legend(self, entries: Sequence[tuple[Artist, str]]) -> Legend:
        top = _MAP_BOX[1] + _MAP_BOX[3]
        legend = self.figure.legend(
            [artist for artist, _ in entries],
            [label for _, label in entries],
            loc="upper left",
            bbox_to_anchor=(_PANEL_LEFT, top),
            bbox_transform=self.figure.transFigure,
            borderaxespad=0.0,
            frameon=True,
            fancybox=False,
            edgecolor="#404040",
            title="Legend (cells per class)",
            title_fontproperties={"family": FONT, "weight": "bold", "size": self.pt(9)},
            prop={"family": FONT, "size": self.pt(8.2)},
            handlelength=2.8,
            handleheight=1.6,
            labelspacing=0.55,
            alignment="left",
        )
        for label in legend.get_texts():
            label.set_parse_math(False)
        return legend

    def statement(self, info: ProductInfo, legend: Legend, bottom: float) -> None:
        """The statement (R47) under the legend, wrapped to the panel; smaller type if it would not fit."""
        width = _PANEL_RIGHT - _PANEL_LEFT
        lines = info.lines()[2:]  # the marking is in the banners and the title above the map
        caveat = lines.pop() if lines and lines[-1].startswith("Caveat") else f"Caveat: {info.caveat}"
        top = self.extent(legend).y0 - 0.025
        size = 8.2
        while True:
            body = self.wrapped(_PANEL_LEFT, top, lines, size, width)
            body_box = self.extent(body)
            note = self.wrapped(
                _PANEL_LEFT, body_box.y0 - 0.012, [caveat], size + 0.8, width, fontweight="bold"
            )
            if self.extent(note).y0 >= bottom or size <= 5.0:
                return
            body.remove()
            note.remove()
            size -= 0.4

    def wrapped(
        self, x: float, top: float, lines: Sequence[str], size: float, width: float, **kwargs: Any
    ) -> Text:
        chars = max(12, int(width * self.width_pt / (self.pt(size) * 0.55)))
        while True:
            content = "\n".join(
                textwrap.fill(line, chars, subsequent_indent="   ", break_on_hyphens=False) for line in lines
            )
            text = self.text(x, top, content, size, va="top", ha="left", linespacing=1.35, **kwargs)
            if self.extent(text).width <= width or chars <= 12:
                return text
            text.remove()
            chars -= 2

    def furniture(self, frame: _MapFrame, axes: Axes) -> float:
        """Scale bar, representative fraction and north arrow at the foot of the panel; returns its top.

        They sit beside the map rather than on it, so they never hide a cell. The bar is measured in the
        map's UTM metres, so its length on paper is true at the map's scale.
        """
        map_width_m = frame.view[2] - frame.view[0]
        map_width_fig = axes.get_position().width
        panel = _PANEL_RIGHT - _PANEL_LEFT
        length = scale_length(0.62 * panel / map_width_fig * map_width_m)
        bar = length / map_width_m * map_width_fig
        x0, y0 = _PANEL_LEFT + 0.01, _MAP_BOX[1] + 0.035
        bar_h = 0.012
        for i, face in enumerate(("black", "white")):
            self.figure.add_artist(
                Rectangle(
                    (x0 + i * bar / 2, y0),
                    bar / 2,
                    bar_h,
                    transform=self.figure.transFigure,
                    facecolor=face,
                    edgecolor="black",
                    linewidth=0.7,
                )
            )
        for x, label in ((x0, "0"), (x0 + bar / 2, _distance(length / 2)), (x0 + bar, _distance(length))):
            self.text(x, y0 - 0.006, label, 7.5, ha="center", va="top")
        paper_m = map_width_fig * self.figure.get_figwidth() * MM_PER_INCH / 1000
        scale = scale_denominator(map_width_m / paper_m)
        caption = self.text(
            x0 - 0.005, y0 + bar_h + 0.012, f"Scale 1:{scale:,} on this page", 7.5, va="bottom"
        )

        angle = frame.north_angle()
        length_pt = 24 * self.scale
        tip = (_PANEL_RIGHT - 0.03, y0 + 0.06)
        self.figure.add_artist(
            Annotation(
                "",
                xy=tip,
                xycoords="figure fraction",
                xytext=(-length_pt * math.sin(angle), -length_pt * math.cos(angle)),
                textcoords="offset points",
                arrowprops={
                    "arrowstyle": "-|>,head_length=0.8,head_width=0.4",
                    "color": "black",
                    "linewidth": 1.6,
                },
            )
        )
        north = Annotation(
            "N",
            xy=tip,
            xycoords="figure fraction",
            xytext=(3 * math.sin(angle), 3 * math.cos(angle)),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=self.pt(11),
            fontweight="bold",
            family=FONT,
        )
        self.figure.add_artist(north)
        return float(max(self.extent(caption).y1, self.extent(north).y1)) + 0.015

    def footer(self, info: ProductInfo, crs: CRS | None) -> None:
        parts = ["Dalili – women-led early warning"]
        if info.generated_at is not None:
            parts.append(f"generated {_aware(info.generated_at).astimezone(UTC):%Y-%m-%d %H:%M} UTC")
        if crs is not None:
            parts.append(f"projection {crs.name}")
        parts.append("no individual report, reporter or narrative is shown")
        self.fitted(_MAP_BOX[0], 0.056, "  ·  ".join(parts), 7, _PANEL_RIGHT - _MAP_BOX[0], color="#404040")


class _MapDrawer:
    """Everything inside the map frame, in the UTM zone of the data's centre."""

    def __init__(self, axes: Axes, page: _Page, product: HotspotProduct) -> None:
        self.axes = axes
        self.page = page
        self.product = product
        self.placed: list[Bbox] = []
        box = axes.get_position()
        self.width_in = box.width * page.figure.get_figwidth()
        self.height_in = box.height * page.figure.get_figheight()

    def draw(self) -> _MapFrame | None:
        cells = _valid(self.product.cells)
        incidents = _valid(self.product.incidents)
        sites = _valid(self.product.sites)
        sectors = _valid(self.product.sectors)
        boundaries = _valid(self.product.boundaries)
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
        return _MapFrame(crs, (x0, y0, x1, y1), lon, lat)

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
        classes = np.array(_texts(projected["hotspot"]), dtype=object)
        geoms = projected.geometry.values
        edge_width = 0.25 if len(cells) < 2000 else 0.1
        for order, name in enumerate(_DRAW_ORDER):
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
        for (x, y), name in list(zip(points, _texts(projected["name"]), strict=True))[:MAX_SITE_LABELS]:
            if name:
                self.label((x, y), name, 7.5, offset=(5, 3), ha="left", va="bottom", fontweight="bold")

    def sector_labels(
        self, sectors: gpd.GeoDataFrame, geoms: npt.NDArray[np.object_], view: tuple[float, ...]
    ) -> None:
        names = _texts(sectors["name"]) if "name" in sectors else []
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
        classes = _texts(cells["hotspot"])
        rows = np.flatnonzero([c in _HOT_WEIGHT for c in classes])
        if not len(rows):
            return
        hot = cells.iloc[rows]
        weights = [_HOT_WEIGHT[str(classes[i])] for i in rows]
        inner = _inset(view, 0.04)
        candidates: list[tuple[float, str, list[tuple[float, float]]]] = []
        if len(boundaries) and "pcode" in boundaries:
            pcodes = _texts(boundaries["pcode"])
            names = _texts(boundaries["name"]) if "name" in boundaries else pcodes
            for level in ("adm2_pcode", "adm1_pcode"):
                if level not in hot:
                    continue
                score: dict[str, float] = defaultdict(float)
                for key, weight in zip(_texts(hot[level]), weights, strict=True):
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
                for i, key in enumerate(_texts(hot[level])):
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
            **kwargs,
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
            NO_INCIDENTS,
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


def scale_length(target: float) -> float:
    """The largest 1, 2 or 5 × 10^n metres not above ``target`` (at least 1 m)."""
    if target <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def scale_denominator(denominator: float) -> int:
    """A representative-fraction denominator to two significant figures (1:253,000 → 1:250,000)."""
    if denominator < 100:
        return max(1, round(denominator))
    power = 10 ** (math.floor(math.log10(denominator)) - 1)
    return int(round(denominator / power) * power)


def _distance(metres: float) -> str:
    if metres >= 1000:
        return f"{metres / 1000:g} km"
    return f"{metres:g} m"


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
