"""Reading admin boundaries and custom layers (sectors, special areas such as Abyei).

Reads OCHA COD-AB style layers (ADMn_PCODE, admn_pcode, adminNPcod ...) and geoBoundaries layers
(shapeName) from GeoPackage, GeoJSON or plain/zipped Shapefile, stores them in WGS84, repairs invalid
geometries and reports every repair and data problem.

Synthetic P-codes: a layer without P-codes takes each area's code from a name -> P-code table when its
normalised name is there, otherwise ``<source>:<normalised name, spaces as hyphens>``, e.g.
``ssd_adm2_geoboundaries:kajo-keji``, where source is the file stem. OCHA P-codes never contain a
colon, so a synthetic code cannot collide with a real one, and it stays the same while the file name
and the area name do. A name repeated within the layer gets ``~2``, ``~3`` in file order.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import WGS84
from geo.placenames import normalise_place

LayerKind = Literal["admin", "sector", "special"]
PcodeTable = Mapping[tuple[int, str], str]
"""(admin level, normalised name) -> P-code."""

_ADMIN_COLUMN = re.compile(r"^adm(?:in)?(\d)_?([a-z_]+)$")
_PCODE_SUFFIXES = ("pcode", "pcod", "p_code", "code")
_NAME_SUFFIXES = ("name", "nam", "en", "fr", "es", "pt", "ar")
_REF_SUFFIXES = ("ref", "refn", "refname", "ref_name")
_NOT_LANGUAGES = frozenset({"id"})
_GENERIC_NAMES = ("name", "nom", "nombre", "label", "sector", "area", "title")
_GENERIC_CODES = ("pcode", "code")
_LEVEL_IN_TEXT = re.compile(r"(?:^|[^a-z])adm(?:in)?_?(\d)(?:[^0-9]|$)")
_POLYGONAL = ("Polygon", "MultiPolygon")


class LayerError(ValueError):
    """A boundary layer that cannot be used as given (no CRS, no name column, unknown level)."""


@dataclass(frozen=True, slots=True)
class LevelColumns:
    level: int
    pcode: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class LayerReport:
    """What reading one layer found and did; ``problems`` holds one human-readable line each."""

    source: str
    kind: LayerKind
    level: int | None
    features: int
    areas: int
    repaired: int
    empty: int
    not_polygonal: int
    missing_pcode: int
    missing_name: int
    duplicate_pcode: int
    from_table: int
    synthetic: int
    reprojected_from: str | None
    problems: tuple[str, ...]


@dataclass(frozen=True, eq=False, slots=True)
class LayerFrame:
    """One loaded layer: columns pcode, name, adm{k}_pcode/adm{k}_name per parent, geometry (WGS84)."""

    source: str
    kind: LayerKind
    level: int | None
    """Admin level of the areas; None for sectors and for special areas outside the admin frame."""
    parents: tuple[int, ...]
    frame: gpd.GeoDataFrame


def level_key(level: int | str) -> str:
    """Return the assignment key of a level: 2 -> "adm2"; "sector" and "special" stay as they are."""
    return f"adm{level}" if isinstance(level, int) else level


def detect_columns(columns: Sequence[str], *, level: int | None = None) -> list[LevelColumns]:
    """Find P-code and name columns per admin level, any case; ``level`` places geoBoundaries columns."""
    best: dict[tuple[int, str], tuple[int, str]] = {}
    for column in columns:
        match = _ADMIN_COLUMN.match(column.lower())
        role = _role(match.group(2)) if match else None
        if match is None or role is None:
            continue
        key = (int(match.group(1)), role[0])
        if key not in best or role[1] < best[key][0]:
            best[key] = (role[1], column)
    if best:
        found = {key: column for key, (_, column) in best.items()}
        levels = sorted({lvl for lvl, _ in found})
        return [LevelColumns(n, found.get((n, "pcode")), found.get((n, "name"))) for n in levels]
    shape_name = _find(columns, ("shapename",))
    if shape_name is None:
        return []
    if level is None:
        raise LayerError("geoBoundaries columns carry no admin level: pass level= or name the file *_admN_*")
    return [LevelColumns(level, None, shape_name)]


def _role(suffix: str) -> tuple[str, int] | None:
    if suffix in _PCODE_SUFFIXES:
        return "pcode", _PCODE_SUFFIXES.index(suffix)
    if suffix in _NAME_SUFFIXES:
        return "name", _NAME_SUFFIXES.index(suffix)
    if len(suffix) == 2 and suffix.isalpha() and suffix not in _NOT_LANGUAGES:
        return "name", len(_NAME_SUFFIXES)
    if suffix in _REF_SUFFIXES:
        return "name", len(_NAME_SUFFIXES) + 1
    return None


def _find(columns: Sequence[str], wanted: Sequence[str]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[w] for w in wanted if w in lowered), None)


def level_from_text(text: str) -> int | None:
    """Read an admin level from a file name such as ``ssd_adm2_geoboundaries`` or ``admin1``."""
    match = _LEVEL_IN_TEXT.search(text.lower())
    return int(match.group(1)) if match else None


def read_layer(
    path: str | Path,
    *,
    level: int | None = None,
    pcode_column: str | None = None,
    name_column: str | None = None,
    kind: LayerKind = "admin",
    pcode_table: PcodeTable | None = None,
    layer: str | None = None,
    assume_crs: str | None = None,
) -> tuple[LayerFrame, LayerReport]:
    """Load a GeoPackage, GeoJSON or (zipped) Shapefile layer; see ``layer_from_frame``."""
    path = Path(path)
    frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    if frame.crs is None:
        if assume_crs is None:
            raise LayerError(f"{path.name} has no CRS: pass assume_crs= (e.g. {WGS84!r}) if you know it")
        frame = frame.set_crs(assume_crs)
    return layer_from_frame(
        frame,
        source=_stem(path),
        level=level,
        pcode_column=pcode_column,
        name_column=name_column,
        kind=kind,
        pcode_table=pcode_table,
    )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".shp.zip", ".zip", ".geojson", ".json", ".gpkg", ".shp"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def layer_from_frame(
    frame: gpd.GeoDataFrame,
    *,
    source: str,
    level: int | None = None,
    pcode_column: str | None = None,
    name_column: str | None = None,
    kind: LayerKind = "admin",
    pcode_table: PcodeTable | None = None,
) -> tuple[LayerFrame, LayerReport]:
    """Normalise a GeoDataFrame (CRS set) into a WGS84 layer with one P-code and name per area."""
    if frame.crs is None:
        raise LayerError(f"{source}: the frame has no CRS")
    own, parents = _choose_columns(frame, source, level, pcode_column, name_column, kind)
    problems: list[str] = []
    reprojected_from = None
    if not frame.crs.equals(WGS84, ignore_axis_order=True):
        reprojected_from = frame.crs.to_string()
        frame = frame.to_crs(WGS84)
    frame = frame.set_crs(WGS84, allow_override=True)
    geoms, counts = _clean_geometries(frame, own, problems)
    keep = np.array([g is not None for g in geoms], dtype=bool)
    rows = frame.loc[keep]
    kept = [g for g in geoms if g is not None]
    positions = np.flatnonzero(keep).tolist()
    pcodes, names, code_counts = _codes_and_names(rows, positions, own, source, pcode_table, problems)
    data: dict[str, list[str | None]] = {"pcode": list(pcodes), "name": list(names)}
    for parent in parents:
        data[f"adm{parent.level}_pcode"] = _values(rows, parent.pcode)
        data[f"adm{parent.level}_name"] = _values(rows, parent.name)
    out = gpd.GeoDataFrame(data, geometry=kept, crs=WGS84)
    own_level = own.level if own.level >= 0 and kind != "sector" else None
    result = LayerFrame(source, kind, own_level, tuple(p.level for p in parents), out)
    report = LayerReport(
        source=source,
        kind=kind,
        level=result.level,
        features=len(frame),
        areas=len(out),
        reprojected_from=reprojected_from,
        problems=tuple(problems),
        **counts,
        **code_counts,
    )
    return result, report


def _choose_columns(
    frame: gpd.GeoDataFrame,
    source: str,
    level: int | None,
    pcode_column: str | None,
    name_column: str | None,
    kind: LayerKind,
) -> tuple[LevelColumns, list[LevelColumns]]:
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    for flag in (pcode_column, name_column):
        if flag is not None and flag not in columns:
            raise LayerError(f"{source}: no column {flag!r} (columns: {', '.join(columns)})")
    hint = level
    if hint is None:
        hint = level_from_text(source)
    if hint is None:
        hint = _level_from_values(frame)
    detected = detect_columns(columns, level=hint) or [
        # custom layers (sectors, Abyei) rarely follow a convention: plain "name"/"code" columns
        LevelColumns(
            -1 if hint is None else hint, _find(columns, _GENERIC_CODES), _find(columns, _GENERIC_NAMES)
        )
    ]
    by_level = {c.level: c for c in detected}
    own_level = level if level is not None else max(by_level)
    own = by_level.get(own_level, LevelColumns(own_level, None, None))
    own = LevelColumns(own_level, pcode_column or own.pcode, name_column or own.name)
    if own.pcode is None and own.name is None:
        raise LayerError(f"{source}: no P-code or name column found; pass pcode_column= or name_column=")
    if own_level < 0 and kind == "admin":
        raise LayerError(f"{source}: admin level unknown; pass level= or name the file *_admN_*")
    parents = [c for c in detected if 0 <= c.level < own_level] if kind != "sector" else []
    return own, parents


def _level_from_values(frame: gpd.GeoDataFrame) -> int | None:
    for column in ("shapeType", "Level"):
        if column in frame.columns:
            values = {str(v) for v in frame[column].dropna().unique()}
            if len(values) == 1:
                return level_from_text(values.pop())
    return None


def _clean_geometries(
    frame: gpd.GeoDataFrame, own: LevelColumns, problems: list[str]
) -> tuple[list[Any], dict[str, int]]:
    labels = _values(frame, own.name or own.pcode)
    counts = {"repaired": 0, "empty": 0, "not_polygonal": 0}
    out: list[Any] = []
    for i, geom in enumerate(frame.geometry.to_numpy()):
        label = f"feature {i} ({labels[i] or 'unnamed'})"
        if geom is None or geom.is_empty:
            counts["empty"] += 1
            problems.append(f"{label}: empty geometry, dropped")
            out.append(None)
            continue
        geom = shapely.force_2d(geom)
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = _polygonal_part(shapely.make_valid(geom))
            counts["repaired"] += 1
            problems.append(f"{label}: invalid geometry ({reason}) repaired with make_valid")
        elif geom.geom_type not in _POLYGONAL:
            kind = geom.geom_type
            geom = _polygonal_part(geom)
            if geom is not None:
                counts["repaired"] += 1
                problems.append(f"{label}: only the polygons of a {kind} kept")
        if geom is None:
            counts["not_polygonal"] += 1
            problems.append(f"{label}: no polygonal part, dropped")
        out.append(geom)
    return out, counts


def _polygonal_part(geom: Any) -> Any:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL and not p.is_empty]
    polygons = [q for p in parts for q in shapely.get_parts(p)]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _values(frame: gpd.GeoDataFrame, column: str | None) -> list[str | None]:
    if column is None:
        return [None] * len(frame)
    return [_text(v) for v in frame[column].tolist()]


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _codes_and_names(
    rows: gpd.GeoDataFrame,
    positions: list[int],
    own: LevelColumns,
    source: str,
    table: PcodeTable | None,
    problems: list[str],
) -> tuple[list[str], list[str], dict[str, int]]:
    raw_codes, raw_names = _values(rows, own.pcode), _values(rows, own.name)
    counts = {"missing_pcode": 0, "missing_name": 0, "duplicate_pcode": 0, "from_table": 0, "synthetic": 0}
    codes: list[str] = []
    names: list[str] = []
    used: dict[str, int] = {}
    unmatched: list[str] = []
    for i, code, name in zip(positions, raw_codes, raw_names, strict=True):
        if name is None:
            counts["missing_name"] += 1
            problems.append(f"feature {i} ({code or 'no code'}): no name, using its code")
        if code is None and own.pcode is not None:
            counts["missing_pcode"] += 1
            problems.append(f"feature {i} ({name or 'unnamed'}): no P-code, a synthetic one is used")
        if code is None and name is not None and table is not None and own.level >= 0:
            code = table.get((own.level, normalise_place(name)))
            if code is not None:
                counts["from_table"] += 1
            else:
                unmatched.append(name)
        if code is None:
            slug = normalise_place(name).replace(" ", "-") if name else f"feature-{i}"
            code = f"{source}:{slug}"
            counts["synthetic"] += 1
        seen = used.get(code, 0)
        used[code] = seen + 1
        if seen:
            if code.startswith(f"{source}:"):
                problems.append(f"feature {i}: name {name!r} repeated in the layer, code {code}~{seen + 1}")
                code = f"{code}~{seen + 1}"
            else:
                counts["duplicate_pcode"] += 1
                problems.append(f"feature {i} ({name or 'unnamed'}): duplicate P-code {code}")
        codes.append(code)
        names.append(name or code)
    if unmatched:
        problems.append(f"{len(unmatched)} names not in the P-code table: {', '.join(sorted(unmatched))}")
    if own.pcode is None and counts["synthetic"]:
        example = next(c for c in codes if c.startswith(f"{source}:"))
        problems.append(f"no P-code column: {counts['synthetic']} synthetic codes such as {example}")
    return codes, names, counts


def read_pcode_table(path: str | Path, *, country: str | None = None) -> dict[tuple[int, str], str]:
    """Load OCHA global P-codes (one ISO3 ``country`` or all) as (level, normalised name) -> P-code."""
    table: dict[tuple[int, str], str] = {}
    ambiguous: set[tuple[int, str]] = set()
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if country is not None and row["Location"].strip().upper() != country.upper():
                continue
            key = (int(row["Admin Level"]), normalise_place(row["Name"]))
            code = row["P-Code"].strip()
            if table.get(key, code) != code:
                ambiguous.add(key)
            table[key] = code
    # a name with two P-codes at one level is left out rather than risk naming the wrong area
    return {k: v for k, v in table.items() if k not in ambiguous}
