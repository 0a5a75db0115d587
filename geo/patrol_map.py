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

The page is printed in English, French or Arabic (``language``): every fixed text comes from
``geo/data/patrol_map.toml`` (R49), numbers stay Western digits and dates ISO, category codes, place names
and the classification marking stay as they are. Matplotlib (3.11 and later) shapes Arabic and lays it
out right to left itself (libraqm: HarfBuzz and a bidi algorithm), so Arabic strings are given to it in
logical order; an Arabic layout only adds the marks the bidi algorithm needs (`Labels.display`) and
right-aligns the texts around the map. The map itself is never mirrored: north up, east right.
"""

from __future__ import annotations

import functools
import math
import re
import string
import textwrap
import tomllib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
from geo.products import CAVEAT, HOTSPOT_CLASSES, HOTSPOT_COLOURS, HotspotProduct, ProductInfo

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
"""Bundled with matplotlib, so no font or glyph falls back (and no warning is raised); it covers Latin,
French accents, Arabic (with its presentation forms) and the bidi marks RLM/LRM."""

LABELS_FILE = Path(__file__).with_name("data") / "patrol_map.toml"
"""Every fixed text of the page, one table per language (R49)."""

MAX_AREA_LABELS = 15
MAX_SITE_LABELS = 30


@functools.cache
def label_tables() -> Mapping[str, Mapping[str, Any]]:
    """The label tables of ``LABELS_FILE`` by language code (``en``, ``fr``, ``ar``)."""
    with LABELS_FILE.open("rb") as handle:
        return tomllib.load(handle)


LANGUAGES = tuple(label_tables())
"""The languages the map is printed in (``en``, ``fr``, ``ar``): the tables of ``LABELS_FILE``."""
NO_INCIDENTS: str = label_tables()["en"]["page"]["no_incidents"]
"""What an empty map says, in English."""

RLM, LRM = "\u200f", "\u200e"
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
_LATIN_TAIL = re.compile(r"(?<=[A-Za-z])(?:\*|,$)")
_NUMBER = r"\d+(?:\.\d+)?"


@dataclass(frozen=True, slots=True)
class Labels:
    """The texts of one language and how to write numbers and bidi text in it."""

    language: str
    table: Mapping[str, Any]

    @property
    def rtl(self) -> bool:
        return bool(self.table["direction"] == "rtl")

    def text(self, key: str, **fields: object) -> str:
        """The text at ``section.name`` with its ``{placeholders}`` filled in."""
        section, name = key.split(".")
        return str(self.table[section][name]).format(**fields)

    def number(self, value: float) -> str:
        """Western digits, grouped and with the decimal sign of the language (12,345.5; 12 345,5)."""
        text = f"{value:,}" if isinstance(value, int) else f"{value:,g}"
        return text.translate({ord(","): self.table["thousands"], ord("."): self.table["decimal"]})

    def display(self, text: str) -> str:
        """The text as handed to matplotlib: unchanged, but for the lines of an Arabic page that hold Arabic.

        Those start with a right-to-left mark, so that a wrapped line that begins with a code or a Latin
        word still runs right to left, and ISO dates get a left-to-right mark before them: after an Arabic
        letter, the bidi algorithm reads digits as Arabic numbers, which a hyphen does not join, and
        2026-10-01 would print as 01-10-2026. A Latin word followed by ``*`` (Gi*) or by the ``,`` that ends
        a wrapped line of codes gets one after it, so that the sign stays with the word. The marks are
        zero-width and only on the page, never in metadata.
        """
        if not self.rtl:
            return text
        return "\n".join(_rtl_line(line) for line in text.split("\n"))


def _rtl_line(line: str) -> str:
    if not _ARABIC.search(line):
        return line
    line = _ISO_DATE.sub(lambda match: LRM + match.group(), line)
    return RLM + _LATIN_TAIL.sub(lambda match: match.group() + LRM, line)


def _upright(content: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` without an italic style when ``content`` holds Arabic: DejaVu Sans Oblique has no Arabic
    glyphs (the regular and bold faces have them), and Arabic is not set in italics anyway."""
    if _ARABIC.search(content) and "fontstyle" in kwargs:
        return {key: value for key, value in kwargs.items() if key != "fontstyle"}
    return kwargs


def labels(language: str) -> Labels:
    """The labels of ``language`` (case-insensitive); ValueError for a language without a table."""
    code = language.lower()
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; one of {', '.join(LANGUAGES)}")
    return Labels(code, label_tables()[code])


@dataclass(frozen=True, slots=True)
class ClassStyle:
    """How one hotspot class is drawn; ``face`` None means an outline only (labels: `class_label`)."""

    face: str | None
    edge: str
    hatch: str | None
    hatch_color: str


CLASS_STYLES: dict[str, ClassStyle] = {
    # hot: dark to light, diagonal hatch family
    "hot_99": ClassStyle(HOTSPOT_COLOURS["hot_99"], "#3a0000", "xx", "#ffffff"),
    "hot_95": ClassStyle(HOTSPOT_COLOURS["hot_95"], "#7f0000", "///", "#000000"),
    "hot_90": ClassStyle(HOTSPOT_COLOURS["hot_90"], "#b35806", "\\\\", "#4d2600"),
    "not_significant": ClassStyle(None, HOTSPOT_COLOURS["not_significant"], None, "#a6a6a6"),
    # cold: light to dark, horizontal/vertical hatch family
    "cold_90": ClassStyle(HOTSPOT_COLOURS["cold_90"], "#4a6f8f", "||", "#08306b"),
    "cold_95": ClassStyle(HOTSPOT_COLOURS["cold_95"], "#08306b", "--", "#000000"),
    "cold_99": ClassStyle(HOTSPOT_COLOURS["cold_99"], "#00152f", "++", "#ffffff"),
    "suppressed": ClassStyle(HOTSPOT_COLOURS["suppressed"], "#9e9e9e", "..", "#6e6e6e"),
}
"""One style per class of `geo.products.HOTSPOT_CLASSES`, in legend order."""


def class_label(name: str, language: str = "en", *, k: int) -> str:
    """The legend label of a hotspot class (``k``: the suppression threshold of the product)."""
    return labels(language).text(f"classes.{name}", k=k)


def statement_lines(info: ProductInfo, language: str = "en") -> list[str]:
    """`ProductInfo.lines()` in ``language``: the statement every product carries, one line each (R47).

    The marking stays in English and category codes stay codes. The title, lattice and method are
    translated where they are the English the hotspot engine writes (`localized_title`), and printed as
    given otherwise. In English this is exactly ``info.lines()``.
    """
    words = labels(language)

    def line(key: str, **fields: object) -> str:
        return words.text(f"statement.{key}", **fields)

    categories = ", ".join(info.categories) or line("all_categories")  # codes stay codes, in Latin
    return [
        info.sensitivity,
        localized_title(info.title, words.language),
        line("period", period=_period(info, words)),
        line("categories", categories=categories),
        line("cells", cells=_lattice(info.cells, words), incidents=info.incidents),
        line("suppressed", k=info.k, suppressed=info.suppressed_cells),
        *([line("not_placed", count=info.not_placed)] if info.not_placed else []),
        *([line("points_left_out", count=info.points_left_out)] if info.points_left_out else []),
        *([line("method", method=_method(info.method, words))] if info.method else []),
        line("caveat", caveat=_caveat(info, words)),
    ]


def localized_title(title: str, language: str = "en") -> str:
    """A title the hotspot engine wrote (`en.titles`), in ``language``; any other title as given.

    ``Emerging hotspots of verified incidents in CF43 (admin cells)`` becomes ``Points chauds émergents
    des incidents vérifiés dans CF43 (mailles administratives)``: the area is a name or a P-code and stays
    as it is. A title an analyst or a test wrote freely is not guessed at.
    """
    words = labels(language)
    english = label_tables()["en"]
    kinds = {str(text): kind for kind, text in english["lattice_kinds"].items()}
    groups = {"area": ".+?", "lattice": "|".join(re.escape(text) for text in kinds)}
    for key, template in english["titles"].items():
        match = re.fullmatch(_template_regex(template, groups), title)
        if match:
            fields = match.groupdict()
            fields["lattice"] = words.table["lattice_kinds"][kinds[fields["lattice"]]]
            return words.text(f"titles.{key}", **fields)
    return title


def _period(info: ProductInfo, words: Labels) -> str:
    """`ProductInfo.period` in the language: the first and the last day included, ISO dates."""
    last_day = (info.until - timedelta(microseconds=1)).date()
    return words.text("statement.range", since=info.since.date().isoformat(), until=last_day.isoformat())


def _template_regex(template: str, groups: Mapping[str, str], prefix: str = "") -> str:
    """A regular expression matching what ``template`` gives; a placeholder not in ``groups`` is a number."""
    parts: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P<{prefix}{field}>{groups.get(field, _NUMBER)})")
    return "".join(parts)


def _lattice(cells: str, words: Labels) -> str:
    """``ProductInfo.cells`` (``h3 resolution 6``, ``grid 5 km``, ``admin level 2``) in the language."""
    for key, template in label_tables()["en"]["lattices"].items():
        match = re.fullmatch(_template_regex(template, {}), cells)
        if match:
            return words.text(f"lattices.{key}", number=_decimal(match["number"], words))
    return cells


@functools.cache
def _method_regex() -> tuple[re.Pattern[str], tuple[str, ...]]:
    phrases = label_tables()["en"]["method"]
    keys = tuple(phrases)
    alternatives = [f"(?P<p{i}>{_template_regex(phrases[key], {}, f'p{i}_')})" for i, key in enumerate(keys)]
    return re.compile("|".join(alternatives)), keys


def _method(method: str, words: Labels) -> str:
    """``ProductInfo.method`` with the phrases of `en.method` translated (the rest, as given)."""
    if words.language == "en":
        return method
    regex, keys = _method_regex()

    def translate(match: re.Match[str]) -> str:
        i = next(i for i in range(len(keys)) if match[f"p{i}"] is not None)
        fields = {
            name.removeprefix(f"p{i}_"): _decimal(value, words)
            for name, value in match.groupdict().items()
            if name.startswith(f"p{i}_") and value is not None
        }
        return words.text(f"method.{keys[i]}", **fields)

    translated = regex.sub(translate, method).replace("; ", words.table["clause_separator"])
    return translated.replace(", ", words.table["list_separator"])


def _decimal(number: str, words: Labels) -> str:
    return number.replace(".", str(words.table["decimal"]))


_DRAW_ORDER = ("not_significant", "suppressed", "cold_90", "cold_95", "cold_99", "hot_90", "hot_95", "hot_99")
_HOT_WEIGHT = {"hot_99": 3, "hot_95": 2, "hot_90": 1}

# figure layout, as fractions of the page (the same on A4 and A3; fonts scale with the paper)
_MAP_BOX = (0.03, 0.085, 0.655, 0.80)  # left, bottom, width, height
_PANEL_LEFT, _PANEL_RIGHT = 0.705, 0.975
_TOP_BANNER_Y, _BOTTOM_BANNER_Y = 0.977, 0.023
_BANNER_BOX = {"boxstyle": "square,pad=0.35", "facecolor": "white", "edgecolor": "black", "linewidth": 1.2}
_ARROW = {"arrowstyle": "-|>,head_length=0.8,head_width=0.4", "color": "black", "linewidth": 1.6}


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
    info = product.info
    metadata = png_metadata(info, language) if fmt == "png" else pdf_metadata(info, language)
    drawn.figure.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    return path


def pdf_metadata(info: ProductInfo, language: str = "en") -> dict[str, Any]:
    """PDF document information in ``language``: the classification and the statement (R38, R47).

    The Keywords start with the English marking, whatever the language, so that a search finds it.
    """
    words = labels(language)
    lines = statement_lines(info, language)
    metadata: dict[str, Any] = {
        "Title": f"{lines[1]} [{info.sensitivity}]",
        "Subject": " | ".join(lines),
        "Keywords": ", ".join(
            [info.sensitivity, *info.categories, _period(info, words), _caveat(info, words), _creator(words)]
        ),
        "Author": "Dalili",
        "Creator": _creator(words),
    }
    if info.generated_at is not None:
        metadata["CreationDate"] = _aware(info.generated_at)
    return metadata


def png_metadata(info: ProductInfo, language: str = "en") -> dict[str, str]:
    """PNG text chunks in ``language``: the classification (in English) and the statement (R38, R47)."""
    words = labels(language)
    lines = statement_lines(info, language)
    metadata = {
        "Title": f"{lines[1]} [{info.sensitivity}]",
        "Description": "\n".join(lines),
        "Classification": info.sensitivity,
        "Disclaimer": _caveat(info, words),
        "Source": _creator(words),
    }
    if info.generated_at is not None:
        metadata["Creation Time"] = _aware(info.generated_at).isoformat()
    return metadata


def _caveat(info: ProductInfo, words: Labels) -> str:
    return words.text("statement.caveat_text") if info.caveat == CAVEAT else info.caveat


def _creator(words: Labels) -> str:
    return words.text("page.creator")


def build_patrol_map(
    product: HotspotProduct,
    *,
    paper: str = "A4",
    dpi: int = 150,
    pixel_exact: bool = False,
    language: str = "en",
) -> PatrolMapFigure:
    """Draw the page on a new figure (not saved). ``pixel_exact`` rounds the size to whole pixels."""
    words = labels(language)
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
    page = _Page(figure, renderer, scale, words)

    page.banners(product.info.sensitivity)
    page.title(product.info)
    axes = figure.add_axes(_MAP_BOX)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_linewidth(0.8)
    frame = _MapDrawer(axes, page, product).draw()
    legend = page.legend(_legend_entries(product, counts, frame is not None, words))
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
    product: HotspotProduct, counts: dict[str, int], has_map: bool, words: Labels
) -> list[tuple[Artist, str]]:
    def entry(label: str, count: int) -> str:
        return words.text("legend.entry", label=label, count=words.number(count))

    entries: list[tuple[Artist, str]] = []
    for name, style in CLASS_STYLES.items():
        label = class_label(name, words.language, k=product.info.k)
        patch = Patch(
            facecolor=style.face or "white",
            edgecolor=style.edge,
            hatch=style.hatch,
            hatchcolor=style.hatch_color,
            linewidth=0.6,
        )
        entries.append((patch, entry(label, counts[name])))
    points = _valid(product.incidents)
    if len(points):
        marker = Line2D([], [], marker="o", linestyle="none", markersize=3.5, color="black")
        entries.append((marker, entry(words.text("legend.incident"), len(points))))
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
        entries.append((site, entry(words.text("legend.site"), len(sites))))
    if has_map and product.sectors is not None and len(_valid(product.sectors)):
        sector = Line2D([], [], color="#202020", linestyle="--", linewidth=1.2)
        entries.append((sector, words.text("legend.sector")))
    if has_map and product.boundaries is not None and len(_valid(product.boundaries)):
        entries.append((Line2D([], [], color="#8c8c8c", linewidth=0.7), words.text("legend.boundary")))
    return entries


def _valid(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The rows with a non-empty geometry (an empty frame for None)."""
    if frame is None or len(frame) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    geoms = frame.geometry.values
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return frame[keep]


class _Page:
    """Texts around the map, in figure coordinates, measured on an Agg renderer to avoid overlaps.

    In a right-to-left language the texts start at the right edge of the page's text block
    (`start`, `align`); the map frame, scale bar and north arrow stay where they are.
    """

    def __init__(self, figure: Figure, renderer: RendererBase, scale: float, words: Labels) -> None:
        self.figure = figure
        self.renderer = renderer
        self.scale = scale
        self.words = words
        self.width_pt = figure.get_figwidth() * 72
        self.height_pt = figure.get_figheight() * 72
        self.align = "right" if words.rtl else "left"

    def start(self, left: float, right: float) -> float:
        """Where a line between ``left`` and ``right`` starts: ``right`` in a right-to-left language."""
        return right if self.words.rtl else left

    def pt(self, size: float) -> float:
        return size * self.scale

    def text(self, x: float, y: float, content: str, size: float, **kwargs: Any) -> Text:
        return self.figure.text(
            x,
            y,
            self.words.display(content),
            fontsize=self.pt(size),
            family=FONT,
            parse_math=False,
            **_upright(content, kwargs),
        )

    def extent(self, artist: Artist) -> Bbox:
        """The artist's box in figure fractions."""
        box = artist.get_window_extent(self.renderer)
        return box.transformed(self.figure.transFigure.inverted())

    def banners(self, sensitivity: str) -> None:
        """The marking, in English as markings are written, boxed at the top and at the bottom (R38).

        In French or Arabic a reading aid follows the top one, unboxed and in lighter type: the English
        marking is what the handling rules and the audit name, the gloss only says what it means.
        """
        for y in (_TOP_BANNER_Y, _BOTTOM_BANNER_Y):
            banner = self.text(
                0.5, y, sensitivity, 12, ha="center", va="center", fontweight="bold", bbox=_BANNER_BOX
            )
            gloss = str(self.words.table["markings"].get(sensitivity, ""))
            if gloss and y == _TOP_BANNER_Y:
                box = self.extent(banner)
                gap = self.pt(14) / self.width_pt  # past the box's padding (0.35 em of 12 pt)
                x = box.x0 - gap if self.words.rtl else box.x1 + gap
                ha = "right" if self.words.rtl else "left"
                self.text(x, y, gloss, 8.5, ha=ha, va="center", fontstyle="italic", color="#303030")

    def title(self, info: ProductInfo) -> None:
        left, width = _MAP_BOX[0], _PANEL_RIGHT - _MAP_BOX[0]
        x = self.start(left, _PANEL_RIGHT)
        title = localized_title(info.title, self.words.language)
        self.fitted(x, 0.928, title, 15, width, fontweight="bold", va="baseline", ha=self.align)
        words = self.words
        subtitle = "    ·    ".join(
            [
                words.text("statement.period", period=_period(info, words)),
                words.text("subtitle.cells", cells=_lattice(info.cells, words)),
                words.text("subtitle.incidents", incidents=words.number(info.incidents)),
            ]
        )
        self.fitted(x, 0.902, subtitle, 9.5, width, va="baseline", ha=self.align)

    def fitted(self, x: float, y: float, content: str, size: float, width: float, **kwargs: Any) -> Text:
        """One line shrunk (down to 60%) and then shortened with an ellipsis to fit ``width``."""
        text = self.text(x, y, content, size, **kwargs)
        fontsize = self.pt(size)
        while self.extent(text).width > width and fontsize > self.pt(size) * 0.6:
            fontsize *= 0.93
            text.set_fontsize(fontsize)
        while self.extent(text).width > width and len(content) > 4:
            content = content[: int(len(content) * 0.95) - 1].rstrip() + "…"
            text.set_text(self.words.display(content))
        return text

    def legend(self, entries: Sequence[tuple[Artist, str]]) -> Legend:
        top = _MAP_BOX[1] + _MAP_BOX[3]
        rtl = self.words.rtl
        legend = self.figure.legend(
            [artist for artist, _ in entries],
            [self.words.display(label) for _, label in entries],
            loc="upper right" if rtl else "upper left",
            bbox_to_anchor=(self.start(_PANEL_LEFT, _PANEL_RIGHT), top),
            bbox_transform=self.figure.transFigure,
            borderaxespad=0.0,
            frameon=True,
            fancybox=False,
            edgecolor="#404040",
            title=self.words.display(self.words.text("legend.title")),
            title_fontproperties={"family": FONT, "weight": "bold", "size": self.pt(9)},
            prop={"family": FONT, "size": self.pt(8.2)},
            handlelength=2.8,
            handleheight=1.6,
            labelspacing=0.55,
            alignment=self.align,
            markerfirst=not rtl,  # right to left: the swatch comes first, on the right
        )
        for label in legend.get_texts():
            label.set_parse_math(False)
        return legend

    def statement(self, info: ProductInfo, legend: Legend, bottom: float) -> None:
        """The statement (R47) under the legend, wrapped to the panel; smaller type if it would not fit."""
        width = _PANEL_RIGHT - _PANEL_LEFT
        x = self.start(_PANEL_LEFT, _PANEL_RIGHT)
        # the marking is in the banners and the title above the map; the caveat is always the last line
        *lines, caveat = statement_lines(info, self.words.language)[2:]
        top = self.extent(legend).y0 - 0.025
        size = 8.2
        while True:
            body = self.wrapped(x, top, lines, size, width)
            body_box = self.extent(body)
            note = self.wrapped(x, body_box.y0 - 0.012, [caveat], size + 0.8, width, fontweight="bold")
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
            text = self.text(x, top, content, size, va="top", ha=self.align, linespacing=1.35, **kwargs)
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
        ticks = ((x0, "0"), (x0 + bar / 2, self.distance(length / 2)), (x0 + bar, self.distance(length)))
        for x, label in ticks:
            self.text(x, y0 - 0.006, label, 7.5, ha="center", va="top")
        paper_m = map_width_fig * self.figure.get_figwidth() * MM_PER_INCH / 1000
        scale = self.words.number(scale_denominator(map_width_m / paper_m))
        caption = self.text(
            x0 - 0.005, y0 + bar_h + 0.012, self.words.text("page.scale", denominator=scale), 7.5, va="bottom"
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
            self.words.text("page.north"),
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

    def distance(self, metres: float) -> str:
        """A scale-bar distance: ``5 km``, ``2,5 km`` in French, ``500 m``."""
        if metres >= 1000:
            return self.words.text("page.km", distance=self.words.number(metres / 1000))
        return self.words.text("page.m", distance=self.words.number(metres))

    def footer(self, info: ProductInfo, crs: CRS | None) -> None:
        words = self.words
        parts = [words.text("page.project")]
        if info.generated_at is not None:
            moment = f"{_aware(info.generated_at).astimezone(UTC):%Y-%m-%d %H:%M}"
            parts.append(words.text("page.generated", moment=moment))
        if crs is not None:
            parts.append(words.text("page.projection", name=crs.name))
        parts.append(words.text("page.privacy"))
        x = self.start(_MAP_BOX[0], _PANEL_RIGHT)
        width = _PANEL_RIGHT - _MAP_BOX[0]
        self.fitted(x, 0.056, "  ·  ".join(parts), 7, width, color="#404040", ha=self.align)


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
            **_upright(content, kwargs),
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
