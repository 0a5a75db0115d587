"""What a patrol map states about its product, in no language yet: a `Description` read from `ProductInfo`.

The hotspot engine states the product's title, lattice and method in parts (`geo.patrol_map.wording`),
which `ProductInfo` carries; `describe` gathers them with the rest of what the page states. Each
renderer then formats the parts in its language (`geo.patrol_map.statement`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from geo.patrol_map.wording import Lattice, Method, Title
from geo.products import CAVEAT, ProductInfo


@dataclass(frozen=True, slots=True)
class Description:
    """Everything the page and the file's metadata state about a product (R38, R47)."""

    classification: str
    """The sensitivity marking, always printed in English."""
    title: Title | str
    first_day: date
    last_day: date
    """The period, both days included."""
    categories: tuple[str, ...]
    """Category codes, printed as codes; none: every category."""
    lattice: Lattice | str
    k: int
    incidents: int
    suppressed_cells: int
    not_placed: int
    points_left_out: int
    method: Method
    """The method's phrases and the text between them, in order; empty when the product states none."""
    caveat: str | None
    """None: the standard caveat (R47), in the language; otherwise the product's own, as given."""
    generated_at: datetime | None
    """Timezone-aware (a naive time is UTC)."""


def describe(info: ProductInfo) -> Description:
    """The description of a product."""
    generated = info.generated_at
    return Description(
        classification=info.sensitivity,
        title=info.title_parts,
        first_day=info.since.date(),
        last_day=(info.until - timedelta(microseconds=1)).date(),
        categories=info.categories,
        lattice=info.lattice,
        k=info.k,
        incidents=info.incidents,
        suppressed_cells=info.suppressed_cells,
        not_placed=info.not_placed,
        points_left_out=info.points_left_out,
        method=info.method_parts,
        caveat=None if info.caveat == CAVEAT else info.caveat,
        generated_at=generated if generated is None or generated.tzinfo else generated.replace(tzinfo=UTC),
    )
