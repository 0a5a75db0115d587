"""The page around the map: the marking, the title, the legend, the statement, the scale and the footer.

The page is exactly the paper, landscape. It carries the sensitivity marking at top and bottom
(classification convention, R38), the title, the map, a legend with the number of cells per class, and
the product's statement (period, categories, cells, suppressed count, method and the caveat "reported
incidents, not prevalence", R47). Texts are measured on the Agg renderer so that none overlaps another.
In a right-to-left language the texts are right-aligned around the map; the map frame, scale bar and
north arrow stay where they are.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox
from pyproj import CRS

from geo.patrol_map.frames import valid
from geo.patrol_map.labels import FONT, Labels, class_label, upright
from geo.patrol_map.scale import MM_PER_INCH, MapFrame, scale_denominator, scale_length
from geo.patrol_map.statement import Statement
from geo.patrol_map.styles import CLASS_STYLES
from geo.products import HotspotProduct

# figure layout, as fractions of the page (the same on A4 and A3; fonts scale with the paper)
MAP_BOX = (0.03, 0.085, 0.655, 0.80)  # left, bottom, width, height
_PANEL_LEFT, _PANEL_RIGHT = 0.705, 0.975
_TOP_BANNER_Y, _BOTTOM_BANNER_Y = 0.977, 0.023
_BANNER_BOX = {"boxstyle": "square,pad=0.35", "facecolor": "white", "edgecolor": "black", "linewidth": 1.2}
_ARROW = {"arrowstyle": "-|>,head_length=0.8,head_width=0.4", "color": "black", "linewidth": 1.6}


def legend_entries(
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
    points = valid(product.incidents)
    if len(points):
        marker = Line2D([], [], marker="o", linestyle="none", markersize=3.5, color="black")
        entries.append((marker, entry(words.text("legend.incident"), len(points))))
    sites = valid(product.sites)
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
    if has_map and product.sectors is not None and len(valid(product.sectors)):
        sector = Line2D([], [], color="#202020", linestyle="--", linewidth=1.2)
        entries.append((sector, words.text("legend.sector")))
    if has_map and product.boundaries is not None and len(valid(product.boundaries)):
        entries.append((Line2D([], [], color="#8c8c8c", linewidth=0.7), words.text("legend.boundary")))
    return entries


class Page:
    """Texts around the map, in figure coordinates, measured on an Agg renderer to avoid overlaps.

    In a right-to-left language the texts start at the right edge of the page's text block
    (`start`, `align`); the map frame, scale bar and north arrow stay where they are.
    """

    def __init__(self, figure: Figure, renderer: RendererBase, scale: float, about: Statement) -> None:
        self.figure = figure
        self.renderer = renderer
        self.scale = scale
        self.about = about
        self.words = words = about.words
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
            **upright(content, kwargs),
        )

    def extent(self, artist: Artist) -> Bbox:
        """The artist's box in figure fractions."""
        box = artist.get_window_extent(self.renderer)
        return box.transformed(self.figure.transFigure.inverted())

    def banners(self) -> None:
        """The marking, in English as markings are written, boxed at the top and at the bottom (R38).

        In French or Arabic a reading aid follows the top one, unboxed and in lighter type: the English
        marking is what the handling rules and the audit name, the gloss only says what it means.
        """
        sensitivity = self.about.description.classification
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

    def title(self) -> None:
        left, width = MAP_BOX[0], _PANEL_RIGHT - MAP_BOX[0]
        x = self.start(left, _PANEL_RIGHT)
        about, words = self.about, self.words
        self.fitted(x, 0.928, about.title(), 15, width, fontweight="bold", va="baseline", ha=self.align)
        subtitle = "    ·    ".join(
            [
                words.text("statement.period", period=about.period()),
                words.text("subtitle.cells", cells=about.lattice()),
                words.text("subtitle.incidents", incidents=words.number(about.description.incidents)),
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
        top = MAP_BOX[1] + MAP_BOX[3]
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

    def statement(self, legend: Legend, bottom: float) -> None:
        """The statement (R47) under the legend, wrapped to the panel; smaller type if it would not fit."""
        width = _PANEL_RIGHT - _PANEL_LEFT
        x = self.start(_PANEL_LEFT, _PANEL_RIGHT)
        # the marking is in the banners and the title above the map; the caveat is always the last line
        *lines, caveat = self.about.lines()[2:]
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

    def furniture(self, frame: MapFrame, axes: Axes) -> float:
        """Scale bar, representative fraction and north arrow at the foot of the panel; returns its top.

        They sit beside the map rather than on it, so they never hide a cell. The bar is measured in the
        map's UTM metres, so its length on paper is true at the map's scale.
        """
        map_width_m = frame.view[2] - frame.view[0]
        map_width_fig = axes.get_position().width
        panel = _PANEL_RIGHT - _PANEL_LEFT
        length = scale_length(0.62 * panel / map_width_fig * map_width_m)
        bar = length / map_width_m * map_width_fig
        x0, y0 = _PANEL_LEFT + 0.01, MAP_BOX[1] + 0.035
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
                arrowprops={**_ARROW},
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

    def footer(self, crs: CRS | None) -> None:
        words = self.words
        parts = [words.text("page.project")]
        generated = self.about.description.generated_at
        if generated is not None:
            moment = f"{generated.astimezone(UTC):%Y-%m-%d %H:%M}"
            parts.append(words.text("page.generated", moment=moment))
        if crs is not None:
            parts.append(words.text("page.projection", name=crs.name))
        parts.append(words.text("page.privacy"))
        x = self.start(MAP_BOX[0], _PANEL_RIGHT)
        width = _PANEL_RIGHT - MAP_BOX[0]
        self.fitted(x, 0.056, "  ·  ".join(parts), 7, width, color="#404040", ha=self.align)
