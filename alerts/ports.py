"""What the alerts core needs from outside, as protocols; app/bootstrap.py wires the implementations."""

from __future__ import annotations

from typing import Protocol

from geo.geocoder import Candidate, GeocodeResult
from geo.types import AreaAssignment


class Places(Protocol):
    """Offline geocoding of report text, and the areas a known point lies in."""

    def geocode(
        self, text: str, country: str | None, *, home_area: str | None = None, network_area: str | None = None
    ) -> GeocodeResult | None: ...

    def candidates(
        self, text: str, country: str | None, *, home_area: str | None = None
    ) -> tuple[Candidate, ...]:
        """Every place the text may name, best first: what a reviewer sees when none was trusted."""
        ...

    def locate(self, lon: float, lat: float) -> AreaAssignment | None:
        """None when no boundary layer is loaded."""
        ...
