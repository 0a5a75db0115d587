"""The printed patrol map: a hotspot product as one landscape PNG or PDF page (DOMAIN.md §7.3, R38, R47, R49).

What the page states is read once from the product into a `Description` (``description``) and formatted
per language by `Statement` (``statement``), with the texts of ``labels`` (English, French, Arabic). The
page around the map is ``page``, the map inside its frame ``drawer``, the class styles ``styles``, the
scale and north arrow's arithmetic ``scale``, and ``render`` draws the page and writes the file.
"""

from geo.patrol_map.description import Description, Lattice, Phrase, Title, describe
from geo.patrol_map.drawer import MAX_AREA_LABELS, MAX_SITE_LABELS
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
from geo.patrol_map.render import (
    FORMATS,
    MAX_DPI,
    MIN_DPI,
    PAPER,
    PAPERS,
    PatrolMapFigure,
    build_patrol_map,
    render_patrol_map,
)
from geo.patrol_map.scale import scale_denominator, scale_length
from geo.patrol_map.statement import (
    Statement,
    localized_title,
    pdf_metadata,
    png_metadata,
    statement,
    statement_lines,
)
from geo.patrol_map.styles import CLASS_STYLES, ClassStyle

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
    "statement",
    "statement_lines",
]
