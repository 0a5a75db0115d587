"""Team sites and bases drawn on patrol maps: point layers named ``site_…`` among the deployment's layers.

A site file is a CSV with a name column (``name``, ``site``, ``location`` or ``base``) and
``latitude``/``longitude`` (or ``lat``/``lon``) columns — the shape of GeoPKO's mission-site table —
or any point layer GDAL reads (GeoJSON, GeoPackage…) with one of those name columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.crs import WGS84
from geo.layers import LayerError

SITE_PREFIX = "site_"
NAME_COLUMNS = ("name", "site", "location", "base")
LATITUDE_COLUMNS = ("latitude", "lat", "y")
LONGITUDE_COLUMNS = ("longitude", "lon", "lng", "x")


def is_site_file(path: Path) -> bool:
    return path.name.lower().startswith(SITE_PREFIX)


def _column(columns: Iterable[str], wanted: tuple[str, ...], path: Path, what: str) -> str:
    by_lower = {c.lower(): c for c in columns}
    found = next((by_lower[w] for w in wanted if w in by_lower), None)
    if found is None:
        raise LayerError(f"{path.name}: no {what} column (one of {', '.join(wanted)})")
    return found


def read_sites(path: Path) -> gpd.GeoDataFrame:
    """One site file as ``name`` + points (WGS84); rows without a name or a valid position are dropped."""
    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        lat = pd.to_numeric(
            table[_column(table.columns, LATITUDE_COLUMNS, path, "latitude")], errors="coerce"
        )
        lon = pd.to_numeric(
            table[_column(table.columns, LONGITUDE_COLUMNS, path, "longitude")], errors="coerce"
        )
        names = table[_column(table.columns, NAME_COLUMNS, path, "name")].str.strip()
        frame = gpd.GeoDataFrame({"name": names}, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
    else:
        raw = gpd.read_file(path, engine="pyogrio")
        if raw.crs is None:
            raise LayerError(f"{path.name}: no coordinate reference system")
        raw = raw.to_crs(WGS84)
        frame = gpd.GeoDataFrame(
            {"name": raw[_column(raw.columns, NAME_COLUMNS, path, "name")].astype(str).str.strip()},
            geometry=raw.geometry.representative_point(),
            crs=WGS84,
        )
    valid = (
        (frame["name"] != "")
        & frame.geometry.notna()
        & frame.geometry.x.between(-180, 180)
        & frame.geometry.y.between(-90, 90)
    )
    # The same place listed once per mission year (GeoPKO) is one site on a map.
    return frame[valid].drop_duplicates(subset="name").reset_index(drop=True)


def read_site_layers(paths: Iterable[Path]) -> gpd.GeoDataFrame | None:
    """Every site file among ``paths`` together; None when there is none."""
    frames = [read_sites(path) for path in paths if is_site_file(path)]
    if not frames:
        return None
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)
