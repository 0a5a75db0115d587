"""The printed patrol map: a hotspot product as one landscape PNG or PDF page (DOMAIN.md §7.3, R38, R47, R49).

The parts a product is stated in (title, lattice, method) and their text in each language are
``wording``; what the page states is read once from the product into a `Description` (``description``)
and formatted per language by `Statement` (``statement``), with the texts of ``labels`` (English,
French, Arabic). The page around the map is ``page``, the map inside its frame ``drawer``, the class
styles ``styles``, the paper sizes and the scale and north arrow's arithmetic ``scale``, and ``render``
draws the page and writes the file.

Importing the package loads neither matplotlib nor `geo.products`: the constants (languages, papers,
formats) and the wording are imported here, every other name when it is first used (`__getattr__`), so
that a web process can check an export's options without loading what only drawing needs, and
`geo.products` can format its parts with ``wording``. (``geo.patrol_map.statement`` is the module; its
function ``statement`` is imported from it.)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from geo.patrol_map.labels import (
    FONT,
    LABELS_FILE,
    LANGUAGES,
    LRM,
    NO_INCIDENTS,
    RLM,
    Labels,
    class_label,
    label_tables,
    labels,
)
from geo.patrol_map.scale import FORMATS, MAX_DPI, MIN_DPI, PAPER, PAPERS, scale_denominator, scale_length
from geo.patrol_map.wording import Lattice, Phrase, Title

if TYPE_CHECKING:
    from geo.patrol_map.description import Description, describe
    from geo.patrol_map.drawer import MAX_AREA_LABELS, MAX_SITE_LABELS
    from geo.patrol_map.render import PatrolMapFigure, build_patrol_map, render_patrol_map
    from geo.patrol_map.statement import (
        Statement,
        localized_title,
        pdf_metadata,
        png_metadata,
        statement_lines,
    )
    from geo.patrol_map.styles import CLASS_STYLES, ClassStyle

_LAZY = {
    "Description": "description",
    "describe": "description",
    "MAX_AREA_LABELS": "drawer",
    "MAX_SITE_LABELS": "drawer",
    "PatrolMapFigure": "render",
    "build_patrol_map": "render",
    "render_patrol_map": "render",
    "Statement": "statement",
    "localized_title": "statement",
    "pdf_metadata": "statement",
    "png_metadata": "statement",
    "statement_lines": "statement",
    "CLASS_STYLES": "styles",
    "ClassStyle": "styles",
}
"""The names imported on first use, and their module: matplotlib (drawer, render) or `geo.products`."""


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)


__all__ = [
    "CLASS_STYLES",
    "FONT",
    "FORMATS",
    "LABELS_FILE",
    "LANGUAGES",
    "LRM",
    "MAX_AREA_LABELS",
    "MAX_DPI",
    "MAX_SITE_LABELS",
    "MIN_DPI",
    "NO_INCIDENTS",
    "PAPER",
    "PAPERS",
    "RLM",
    "ClassStyle",
    "Description",
    "Labels",
    "Lattice",
    "PatrolMapFigure",
    "Phrase",
    "Statement",
    "Title",
    "build_patrol_map",
    "class_label",
    "describe",
    "label_tables",
    "labels",
    "localized_title",
    "pdf_metadata",
    "png_metadata",
    "render_patrol_map",
    "scale_denominator",
    "scale_length",
    "statement_lines",
]
