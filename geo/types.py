"""Shared geo value types: what an admin layer tells about a point, and who can tell it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

TOWN_KINDS = frozenset({"town", "city"})
"""Gazetteer kinds where duplicates are sought within the (shorter) town distance (§4.3)."""


@dataclass(frozen=True, slots=True)
class AreaAssignment:
    """The areas a point falls in: P-codes and names per admin level, sector, special areas."""

    pcodes: dict[str, str] = field(default_factory=dict)
    """Keyed by level, e.g. {"adm1": "CF41", "adm2": "CF411"}."""
    names: dict[str, str] = field(default_factory=dict)
    sector: str | None = None
    """Mission sector or area of responsibility, from a custom layer."""
    special_areas: tuple[str, ...] = ()
    """Custom areas belonging to no single country (e.g. Abyei, R40)."""


@dataclass(frozen=True, slots=True)
class PlaceOption:
    """A place a reviewer can choose when she corrects where a report happened: a settlement from
    the gazetteer (precision 1) or an admin area from the layers (precision 2 for admin-2 and finer,
    3 for admin-1), with the areas it lies in."""

    name: str
    country: str | None
    lon: float
    lat: float
    """The settlement's point, or a point inside the area (never outside its polygon)."""
    precision: int
    kind: str
    """The gazetteer kind (town, village, …) or the admin level key (adm1, adm2, …)."""
    pcode: str | None = None
    """The area's own P-code, for an admin area."""
    areas: AreaAssignment = field(default_factory=AreaAssignment)
    """The admin areas it lies in: for an area, itself and its parents only."""


@dataclass(frozen=True, slots=True)
class NamedArea:
    level: str
    pcode: str
    name: str


class AreaLocator(Protocol):
    """Point-in-polygon over the loaded admin and custom layers (WGS84 lon/lat)."""

    def locate(self, lon: float, lat: float) -> AreaAssignment: ...

    def named_areas(self) -> Iterable[NamedArea]:
        """Every area with its name, so a geocoder can read admin names mentioned in a text."""
        ...


def area_fields(
    pcodes: dict[str, str], names: dict[str, str], sector: str | None, special: tuple[str, ...] = ()
) -> dict[str, str]:
    """Flat, export-ready area fields: adm1_pcode, adm1_name, …, sector, special (R40, R45)."""
    fields = {f"{level}_pcode": code for level, code in pcodes.items()}
    fields |= {f"{level}_name": name for level, name in names.items()}
    if sector:
        fields["sector"] = sector
    if special:
        fields["special_area"] = "; ".join(special)
    return fields
