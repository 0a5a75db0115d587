"""What the alerts core needs from outside, as protocols; app/bootstrap.py wires the implementations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import geopandas as gpd

from geo.geocoder import Resolution
from geo.types import AreaAssignment, PlaceOption


class Places(Protocol):
    """Offline geocoding of report text, and the areas a known point lies in."""

    def resolve(
        self, text: str, country: str | None, *, home_area: str | None = None, network_area: str | None = None
    ) -> Resolution:
        """The place ``text`` names if one is trusted, and every candidate, best first, for a reviewer."""
        ...

    def locate(self, lon: float, lat: float) -> AreaAssignment | None:
        """None when no boundary layer is loaded."""
        ...

    def search(self, text: str, country: str | None, *, limit: int = 10) -> list[PlaceOption]:
        """Settlements and admin areas whose names start with or match ``text`` (type-ahead), best first."""
        ...

    def area(self, pcode: str) -> PlaceOption | None:
        """The admin area with this P-code, None when no loaded layer has it."""
        ...


class MapLayers(Protocol):
    """The deployment's boundary layers as frames (WGS84), for hotspot lattices and patrol maps."""

    def admin_frame(self, level: int) -> gpd.GeoDataFrame | None:
        """Areas of one admin level (``pcode``, ``name``, polygons); None when none are installed."""
        ...

    def sector_frame(self) -> gpd.GeoDataFrame | None:
        """Mission sectors (``name``, polygons)."""
        ...

    def site_frame(self) -> gpd.GeoDataFrame | None:
        """Team sites and bases (``name``, points)."""
        ...

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[AreaAssignment]:
        """The areas of many points at once (empty assignments when no layer is loaded)."""
        ...
