"""The patrol map as a file: the page drawn on a new figure and saved as one landscape PNG or PDF page.

The file's metadata carries the same statement as the page (PDF Title/Subject/Keywords, PNG text chunks).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from pyproj import CRS

from geo.patrol_map.drawer import MapDrawer
from geo.patrol_map.frames import texts
from geo.patrol_map.page import MAP_BOX, Page, legend_entries
from geo.patrol_map.scale import FORMATS, MAX_DPI, MIN_DPI, PAPER
from geo.patrol_map.statement import statement
from geo.products import HOTSPOT_CLASSES, HotspotProduct


@dataclass(frozen=True, slots=True)
class PatrolMapFigure:
    """A drawn page: the figure, its map axes and the metric CRS of the map (None when nothing to map)."""

    figure: Figure
    axes: Axes
    crs: CRS | None


def render_patrol_map(
    product: HotspotProduct,
    path: Path,
    *,
    fmt: str = "pdf",
    paper: str = "A4",
    dpi: int = 150,
    language: str = "en",
) -> Path:
    """Write the patrol map of ``product`` to ``path`` as a landscape ``png`` or ``pdf`` page.

    ``paper`` is ``A4`` or ``A3``; the page is exactly the paper (an A4 PNG at 150 dpi is 1754 × 1240 px).
    ``language`` is ``en``, ``fr`` or ``ar`` (`LANGUAGES`): the page and the file's metadata are in it,
    but for the English classification marking. Raises ValueError for an unknown format, paper or
    language, or a dpi outside 50–600.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    drawn = build_patrol_map(product, paper=paper, dpi=dpi, pixel_exact=fmt == "png", language=language)
    about = statement(product.info, language)
    metadata = about.png_metadata() if fmt == "png" else about.pdf_metadata()
    drawn.figure.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    return path


def build_patrol_map(
    product: HotspotProduct,
    *,
    paper: str = "A4",
    dpi: int = 150,
    pixel_exact: bool = False,
    language: str = "en",
) -> PatrolMapFigure:
    """Draw the page on a new figure (not saved). ``pixel_exact`` rounds the size to whole pixels."""
    about = statement(product.info, language)
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
    page = Page(figure, renderer, scale, about)

    page.banners()
    page.title()
    axes = figure.add_axes(MAP_BOX)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_linewidth(0.8)
    frame = MapDrawer(axes, page, product).draw()
    legend = page.legend(legend_entries(product, counts, frame is not None, about.words))
    bottom = page.furniture(frame, axes) if frame is not None else MAP_BOX[1]
    page.statement(legend, bottom)
    page.footer(frame.crs if frame is not None else None)
    return PatrolMapFigure(figure, axes, frame.crs if frame is not None else None)


def _paper_size(paper: str) -> tuple[float, float]:
    try:
        return PAPER[paper.upper()]
    except KeyError:
        raise ValueError(f"unknown paper {paper!r}; one of {', '.join(PAPER)}") from None


def _class_counts(cells: gpd.GeoDataFrame) -> dict[str, int]:
    tally = Counter(texts(cells["hotspot"])) if len(cells) else Counter[str | None]()
    unknown = sorted(str(c) for c in set(tally) - set(HOTSPOT_CLASSES))
    if unknown:
        raise ValueError(f"unknown hotspot classes {unknown}; one of {', '.join(HOTSPOT_CLASSES)}")
    return {name: tally[name] for name in HOTSPOT_CLASSES}
