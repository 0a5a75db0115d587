"""Coordinate reference systems: WGS84 for storage, local UTM for metres, geodesics for distances."""

from __future__ import annotations

import math

from pyproj import CRS, Geod

WGS84 = "EPSG:4326"
"""Every stored geometry is lon/lat on WGS84 (RFC 7946 order)."""
EQUAL_AREA = "EPSG:6933"
"""World cylindrical equal-area: comparing polygon sizes across latitudes without distortion."""

_GEOD = Geod(ellps="WGS84")


def utm_crs(lon: float, lat: float) -> CRS:
    """Return the WGS84 UTM zone containing the point (north or south)."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"not a finite lon/lat: {lon}, {lat}")
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + max(zone, 1))


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance on the WGS84 ellipsoid, in kilometres."""
    _, _, metres = _GEOD.inv(lon1, lat1, lon2, lat2)
    return float(metres) / 1000.0
