"""Duplicate candidates for incident clustering (DOMAIN.md §4.3; R25, R26, R49).

A new report is proposed as a duplicate of an open incident when the categories are the same or
compatible, the times are within the window of the new report's category, and the places agree:
within D km (the town distance when either is in a town) when both have a precise point
(``geo_precision`` 1), otherwise the same admin-3 P-code. The windows and groups are data
(``data/clustering.toml``). Nothing here merges: it returns suggestions for a reviewer (R26).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from alerts.errors import InvalidValue
from geo.crs import distance_km

DEFAULT_CLUSTER_RULES = Path(__file__).parents[1] / "data" / "clustering.toml"
_CODE = re.compile(r"[A-Z]{3}")


_DEFAULT_WINDOWS: Mapping[str, float] = MappingProxyType(
    {
        **dict.fromkeys(("ATK", "FIG", "ABD", "SXV"), 24.0),
        **dict.fromkeys(("ARM", "TEN", "MOV", "DSP"), 72.0),
    }
)
_DEFAULT_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"ATK", "MOB", "FIG"}),
    frozenset({"ATK", "ABD", "SXV"}),
    frozenset({"ARM", "FIG"}),
    frozenset({"ARM", "TEN"}),
)


@dataclass(frozen=True, slots=True)
class ClusterRules:
    """Spatial, temporal and typological windows; the defaults are those of §4.3 and the data file."""

    distance_km: float = 5.0
    town_distance_km: float = 2.0
    """Used when either sighting is in a town."""
    window_hours: Mapping[str, float] = field(default_factory=lambda: _DEFAULT_WINDOWS)
    """category of the new report -> hours (24 h ATK/FIG/ABD/SXV, 72 h ARM/TEN/MOV/DSP)."""
    default_window_hours: float = 48.0
    """Proposal: the window for every category not listed (THR, ELE, LOT, MOB, PRO, PCE, OTH)."""
    compatible_groups: tuple[frozenset[str], ...] = _DEFAULT_GROUPS
    """Proposal: categories sharing a group may be one incident; a category in no group matches itself."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "window_hours", MappingProxyType(dict(self.window_hours)))
        object.__setattr__(self, "compatible_groups", tuple(frozenset(g) for g in self.compatible_groups))
        for name in ("distance_km", "town_distance_km", "default_window_hours"):
            _positive(getattr(self, name), name)
        for code, hours in self.window_hours.items():
            _code(code, "window_hours")
            _positive(hours, f"window_hours.{code}")
        for group in self.compatible_groups:
            if len(group) < 2:
                raise ValueError(f"cluster rules: compatible group {sorted(group)} needs two categories")
            for code in group:
                _code(code, "compatible group")

    def window_for(self, category: str) -> float:
        """The time window in hours for a new report of ``category``."""
        return self.window_hours.get(category, self.default_window_hours)

    def compatible_with(self, category: str) -> frozenset[str]:
        """Every category a report of ``category`` may share an incident with, itself included."""
        return frozenset({category}).union(*(g for g in self.compatible_groups if category in g))

    def compatible(self, a: str, b: str) -> bool:
        """Same category, or both in one group (symmetric, not transitive)."""
        return a == b or any(a in group and b in group for group in self.compatible_groups)


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"cluster rules {where}: {value!r} is not a number")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"cluster rules {where}: {value!r} is not a positive number")
    return float(value)


def _code(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValueError(f"cluster rules {where}: {value!r} is not a three-letter category code")
    return value


def parse_cluster_rules(raw: Mapping[str, Any]) -> ClusterRules:
    """Rules from a parsed document; fail loudly on a missing key or a bad value."""
    return ClusterRules(
        distance_km=_positive(raw["distance_km"], "distance_km"),
        town_distance_km=_positive(raw["town_distance_km"], "town_distance_km"),
        window_hours={
            _code(code, "window_hours"): _positive(hours, f"window_hours.{code}")
            for code, hours in raw["window_hours"].items()
        },
        default_window_hours=_positive(raw["default_window_hours"], "default_window_hours"),
        compatible_groups=tuple(
            frozenset(_code(code, "compatible group") for code in group)
            for group in raw["compatible"]["groups"]
        ),
    )


def load_cluster_rules(path: Path = DEFAULT_CLUSTER_RULES) -> ClusterRules:
    with path.open("rb") as f:
        return parse_cluster_rules(tomllib.load(f))


@cache
def default_cluster_rules() -> ClusterRules:
    return load_cluster_rules()


@dataclass(frozen=True, slots=True)
class Sighting:
    """What the matcher needs of a report or an incident; validated on construction."""

    id: int
    category: str
    lon: float | None
    lat: float | None
    precision: int | None
    """``geo_precision``: 1 exact point, 2 admin area / near a place, 3 vague; ``None`` unknown."""
    admin3_pcode: str | None
    in_town: bool
    at: datetime
    """Must be timezone-aware."""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidValue(f"sighting {self.id}: time must be timezone-aware")
        if self.precision is not None and self.precision not in (1, 2, 3):
            raise InvalidValue(f"sighting {self.id}: precision {self.precision!r} is not 1, 2, 3 or None")
        if (self.lon is None) != (self.lat is None):
            raise InvalidValue(f"sighting {self.id}: give both lon and lat, or neither")
        if self.lon is not None and self.lat is not None:
            if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
                raise InvalidValue(f"sighting {self.id}: lon {self.lon!r} out of range")
            if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
                raise InvalidValue(f"sighting {self.id}: lat {self.lat!r} out of range")

    @property
    def precise_point(self) -> tuple[float, float] | None:
        if self.precision == 1 and self.lon is not None and self.lat is not None:
            return self.lon, self.lat
        return None


class Match(NamedTuple):
    """A suggestion for a reviewer, never a merge (R26)."""

    incident_id: int
    distance_km: float | None
    """Geodesic distance when both have a precise point; ``None`` when matched on the admin-3 P-code."""
    hours_apart: float
    reason: str


def _place(new: Sighting, old: Sighting, rules: ClusterRules) -> tuple[float | None, str] | None:
    """(distance, reason) when the places agree, else ``None``."""
    a, b = new.precise_point, old.precise_point
    if a is not None and b is not None:
        km = distance_km(a[0], a[1], b[0], b[1])
        town = new.in_town or old.in_town
        limit = rules.town_distance_km if town else rules.distance_km
        if km <= limit:
            return km, f"{km:.2f} km <= {limit:g} km{' (town)' if town else ''}"
        return None
    if new.admin3_pcode and new.admin3_pcode == old.admin3_pcode:
        return None, f"same admin-3 {new.admin3_pcode} (imprecise location)"
    return None


def duplicate_candidates(
    new: Sighting, open_incidents: Iterable[Sighting], rules: ClusterRules | None = None
) -> list[Match]:
    """Open incidents the new report may duplicate, best first (R25); suggestions only (R26).

    A candidate is category-compatible, within the time window of the new report's category
    (inclusive, either direction), and within the distance (town distance when either is in a
    town) when both have precision-1 points, or else in the same admin-3 P-code. Ordered by
    distance (admin-3 matches after measured ones), then hours apart, then incident id.
    """
    rules = default_cluster_rules() if rules is None else rules
    window = rules.window_for(new.category)
    matches = []
    for old in open_incidents:
        if not rules.compatible(new.category, old.category):
            continue
        hours = abs((new.at - old.at).total_seconds()) / 3600.0
        if hours > window:
            continue
        place = _place(new, old, rules)
        if place is None:
            continue
        km, where = place
        kind = "same category" if new.category == old.category else f"{new.category}~{old.category}"
        reason = f"{kind}; {where}; {hours:.2f} h <= {window:g} h"
        matches.append(Match(old.id, km, hours, reason))
    return sorted(
        matches,
        key=lambda m: (m.distance_km is None, m.distance_km or 0.0, m.hours_apart, m.incident_id),
    )
