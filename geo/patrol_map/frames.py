"""The product's frames as the page reads them: the rows that have a geometry, text columns as strings."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

from geo.crs import WGS84


def valid(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The rows with a non-empty geometry (an empty frame for None)."""
    if frame is None or len(frame) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    geoms = frame.geometry.values
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return frame[keep]


def texts(column: Any) -> list[str | None]:
    """A pandas column as Python strings, missing values (None, NaN, pd.NA) as None."""
    missing = column.isna().to_numpy()
    return [None if gone else str(value) for value, gone in zip(column.tolist(), missing, strict=True)]
