"""Which admin areas, sector and special areas contain a point: one STRtree over every layer; and each
admin area as a place a reviewer can choose (``area``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.crs import EQUAL_AREA, WGS84
from geo.gazetteer import pcode_country
from geo.layers import LayerError, LayerFrame, LayerKind, level_key
from geo.types import AreaAssignment, NamedArea, PlaceOption

_Entry = tuple[str, str | None, str | None]
_ADMIN_LEVEL = re.compile(r"adm(\d+)")


def area_precision(level: str) -> int:
    """Geocoding precision of an admin area of this level key: 3 for admin-1, 2 for admin-2 and finer."""
    return 3 if level_number(level) <= 1 else 2


def level_number(level: str) -> int:
    """2 for "adm2"; -1 for keys that are no admin level (sector, special)."""
    found = _ADMIN_LEVEL.fullmatch(level)
    return int(found.group(1)) if found else -1


class AdminAreas:
    """Point-in-polygon over admin, sector and special layers with one STRtree (WGS84 lon/lat)."""

    def __init__(self, layers: Sequence[LayerFrame]) -> None:
        self._layers = tuple(layers)
        geoms: list[Any] = []
        self._kind: list[LayerKind] = []
        self._own: list[_Entry] = []
        self._fills: list[tuple[_Entry, ...]] = []
        self._admin: dict[str, int] = {}
        """Row of each admin area's own P-code (the first, should a code repeat)."""
        self._options: dict[str, PlaceOption] = {}
        for layer in layers:
            if layer.frame.crs is None or not layer.frame.crs.equals(WGS84):
                raise LayerError(f"{layer.source}: layers must be stored in {WGS84}")
            parents = [
                (layer.frame[f"adm{p}_pcode"].tolist(), layer.frame[f"adm{p}_name"].tolist(), level_key(p))
                for p in sorted(layer.parents, reverse=True)
            ]
            own_key = level_key(layer.level) if layer.level is not None else None
            rows = zip(layer.frame["pcode"].tolist(), layer.frame["name"].tolist(), strict=True)
            for i, (code, name) in enumerate(rows):
                fills = [(key, codes[i], names[i]) for codes, names, key in parents]
                if layer.kind == "admin" and own_key is not None:
                    self._admin.setdefault(code, len(self._own))
                    self._own.append((own_key, code, name))
                else:
                    self._own.append((layer.kind, code, name))
                    if own_key is not None and layer.kind == "special":
                        fills.insert(0, (own_key, code, name))
                self._kind.append(layer.kind)
                self._fills.append(tuple(fills))
            geoms.extend(layer.frame.geometry.to_numpy())
        self._geoms = np.array(geoms, dtype=object)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        areas = gpd.GeoSeries(self._geoms, crs=WGS84).to_crs(EQUAL_AREA).area.to_numpy()
        self._rank = np.argsort(np.argsort(areas, kind="stable"), kind="stable")
        self._named = self._collect_named()

    def __len__(self) -> int:
        return len(self._geoms)

    def frame(self, kind: LayerKind, level: int | None = None) -> gpd.GeoDataFrame | None:
        """The areas of one kind (and admin level) as one frame: ``pcode``, ``name``, polygons (WGS84)."""
        frames = [
            layer.frame[["pcode", "name", "geometry"]]
            for layer in self._layers
            if layer.kind == kind and (level is None or layer.level == level)
        ]
        if not frames:
            return None
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)

    def _collect_named(self) -> tuple[NamedArea, ...]:
        seen: dict[tuple[str, str], NamedArea] = {}
        for own, fills in zip(self._own, self._fills, strict=True):
            for key, code, name in (own, *fills):
                if code is not None and (key, code) not in seen:
                    seen[(key, code)] = NamedArea(key, code, name or code)
        return tuple(sorted(seen.values(), key=lambda a: (a.level, a.pcode)))

    def named_areas(self) -> Iterable[NamedArea]:
        """Every area with its level, P-code and name, parents included, each once."""
        return self._named

    def admin_areas(self) -> tuple[NamedArea, ...]:
        """Every admin area with a polygon of its own, admin-1 and finer, each P-code once."""
        areas = (
            NamedArea(self._own[row][0], code, self._own[row][2] or code) for code, row in self._admin.items()
        )
        return tuple(area for area in areas if level_number(area.level) >= 1)

    def area(self, pcode: str) -> PlaceOption | None:
        """The admin area with this P-code as a place to choose: a point inside it, and itself and its
        parents as its areas, never the finer areas that point falls in. None for no admin area."""
        if pcode not in self._options:
            row = self._admin.get(pcode)
            if row is None or level_number(self._own[row][0]) < 1:
                return None
            self._options[pcode] = self._option(pcode, row)
        return self._options[pcode]

    def _option(self, code: str, row: int) -> PlaceOption:
        level, _, name = self._own[row]
        geometry = self._geoms[row]
        # The centroid looks like the middle on a map; a crescent's lies outside it: then a point on it.
        point = shapely.centroid(geometry)
        if not shapely.contains_xy(geometry, point.x, point.y):
            point = shapely.point_on_surface(geometry)
        # Parents as the layer's own columns name them; those it lacks, from where its point lies.
        located = self.locate(point.x, point.y)
        pcodes, names = dict(located.pcodes), dict(located.names)
        for key, parent_code, parent_name in self._fills[row]:
            pcodes |= {key: parent_code} if parent_code else {}
            names |= {key: parent_name} if parent_name else {}
        pcodes[level], names[level] = code, name or code
        depth = level_number(level)
        pcodes = {k: v for k, v in sorted(pcodes.items()) if 0 <= level_number(k) <= depth}
        names = {k: v for k, v in sorted(names.items()) if 0 <= level_number(k) <= depth}
        finest_first = sorted(pcodes, key=level_number, reverse=True)
        return PlaceOption(
            name=names[level],
            country=next((c for k in finest_first if (c := pcode_country(pcodes[k]))), None),
            lon=point.x,
            lat=point.y,
            precision=area_precision(level),
            kind=level,
            pcode=code,
            areas=AreaAssignment(pcodes=pcodes, names=names),
        )

    def locate(self, lon: float, lat: float) -> AreaAssignment:
        """Return the areas containing the point; the smallest wins where areas of one level overlap."""
        return self.locate_many([lon], [lat])[0]

    def locate_many(self, lons: npt.ArrayLike, lats: npt.ArrayLike) -> list[AreaAssignment]:
        """Locate many points at once (vectorised STRtree query and prepared point-in-polygon)."""
        xs = np.asarray(lons, dtype=float)
        ys = np.asarray(lats, dtype=float)
        if xs.shape != ys.shape or xs.ndim != 1:
            raise ValueError("lons and lats must be one-dimensional and of equal length")
        hits = self._hits(xs, ys)
        return [self._assign(h) for h in hits]

    def _hits(self, xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64]) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in range(len(xs))]
        if not len(self._geoms) or not len(xs):
            return out
        point_idx, geom_idx = self._tree.query(shapely.points(xs, ys))
        inside = shapely.intersects_xy(self._geoms[geom_idx], xs[point_idx], ys[point_idx])
        point_idx, geom_idx = point_idx[inside], geom_idx[inside]
        order = np.lexsort((self._rank[geom_idx], point_idx))
        for p, g in zip(point_idx[order].tolist(), geom_idx[order].tolist(), strict=True):
            out[p].append(g)
        return out

    def _assign(self, hits: list[int]) -> AreaAssignment:
        if not hits:
            return AreaAssignment()
        pcodes: dict[str, str] = {}
        names: dict[str, str] = {}
        filled: set[str] = set()

        def fill(entry: _Entry) -> None:
            key, code, name = entry
            if key in filled or (code is None and name is None):
                return
            filled.add(key)
            if code is not None:
                pcodes[key] = code
            if name is not None:
                names[key] = name

        admin = [h for h in hits if self._kind[h] == "admin"]
        special = [h for h in hits if self._kind[h] == "special"]
        for h in admin:
            fill(self._own[h])
        for h in (*admin, *special):
            for entry in self._fills[h]:
                fill(entry)
        sector = next((self._own[h][2] for h in hits if self._kind[h] == "sector"), None)
        specials = tuple(dict.fromkeys(str(self._own[h][2]) for h in special))
        return AreaAssignment(
            pcodes=dict(sorted(pcodes.items())),
            names=dict(sorted(names.items())),
            sector=sector,
            special_areas=specials,
        )
