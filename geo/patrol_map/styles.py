"""How each hotspot class is drawn, so that classes stay readable on a greyscale printer.

Hot classes run dark to light with diagonal hatches, cold classes with horizontal/vertical hatches,
suppressed cells light grey with dots, not-significant cells as outlines.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.products import HOTSPOT_COLOURS


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

DRAW_ORDER = ("not_significant", "suppressed", "cold_90", "cold_95", "cold_99", "hot_90", "hot_95", "hot_99")
HOT_WEIGHT = {"hot_99": 3, "hot_95": 2, "hot_90": 1}
"""How much a hot cell counts towards naming its area on the map."""
