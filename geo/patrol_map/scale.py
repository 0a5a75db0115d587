"""The paper sizes, the map's frame in metres, and the scale bar, representative fraction and north
arrow drawn from it.

The map is drawn in the UTM zone of the data's centre so that the scale bar is true.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyproj import CRS, Transformer

from geo.crs import WGS84

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


@dataclass(frozen=True, slots=True)
class MapFrame:
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
