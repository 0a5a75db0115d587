"""Hotspot products of verified incidents for patrol planning (DOMAIN.md §7; R30, R35–R47).

The database does the counting (a GROUP BY on the H3 cells stored with each incident, or on the
P-code of an admin level); `geo.hotspots` does the statistics on the aggregated lattice; the
writers in `geo.exports` and `geo.patrol_map` make the files. Every export is audited with its
filter, row counts and the file's SHA-256 (R30). Products never hold a narrative, reporter key or
contact (R35), sexual-violence incidents are counted in cells only (R36), and cells with fewer
than k reports are suppressed (R37) — k and whether points may appear follow the classification.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Date, Select, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alerts.accounts.policy import PROTECTION, incident_scope, require
from alerts.audit.trail import record_event
from alerts.errors import InvalidValue
from alerts.hotspots.rules import CELL_KINDS, Disclosure, HotspotRules
from alerts.incidents.review import MAX_ID
from alerts.messages import Viewer
from alerts.models import Incident, Report
from alerts.ports import MapLayers
from alerts.queries import REAL_INCIDENTS, UNMERGED, VERIFIED
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import PRIORITIES
from geo import hotspots
from geo.crs import WGS84, utm_crs
from geo.exports import FORMATS, write_vector
from geo.patrol_map.wording import Lattice, Method, Phrase, Title
from geo.products import INCIDENT_COLUMNS, HotspotProduct, ProductInfo, empty_incidents

MAP_FORMATS = ("png", "pdf")
EXPORT_FORMATS = (*FORMATS, *MAP_FORMATS)
MAX_POINTS = 100_000
"""A product carries at most this many incident points; beyond, none, and it says so."""
MIN_SLICES = 5
"""Emerging hotspots need this many time slices: Mann–Kendall cannot reach p < 0.05 on fewer (R43)."""
MAX_SLICES = 120
GRID_KM = (1.0, 500.0)
"""Grid squares from 1 km (finer would single out homesteads) to 500 km."""
ADMIN_LEVELS = (1, 5)
"""Admin-1 to admin-5, the finest level of common operational datasets."""
MIN_HALF_LIFE_DAYS = 1.0
"""Ages are whole days; a shorter half-life would only zero the weights (or overflow computing them)."""


@dataclass(frozen=True, slots=True)
class HotspotRequest:
    """What to map: the filter of verified incidents and how to aggregate them."""

    since: datetime
    until: datetime
    categories: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    area: str | None = None
    """A P-code at any admin level."""
    network_id: int | None = None
    cells: str | None = None
    """``h3``, ``grid`` or ``admin``; None: the deployment's default."""
    resolution: int | None = None
    cell_km: float | None = None
    admin_level: int | None = None
    sensitivity: str | None = None
    half_life_days: float | None = None
    """Time decay of weighted counts: an incident this many days old counts half (R44)."""
    slice_days: int | None = None
    """Emerging hotspots: Gi* per slice of this many days and a Mann–Kendall trend per cell (R43)."""

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise InvalidValue("the period must be given in UTC")
        if self.since >= self.until:
            raise InvalidValue("the period must end after it starts")
        if unknown := set(self.priorities) - set(PRIORITIES):
            raise InvalidValue(f"unknown priorities {sorted(unknown)}; use {', '.join(PRIORITIES)}")
        if self.cells is not None and self.cells not in CELL_KINDS:
            raise InvalidValue(f"cells must be one of {', '.join(CELL_KINDS)}")
        if self.cell_km is not None and not GRID_KM[0] <= self.cell_km <= GRID_KM[1]:
            raise InvalidValue(f"cell_km must be between {GRID_KM[0]:g} and {GRID_KM[1]:g}")
        if self.admin_level is not None and not ADMIN_LEVELS[0] <= self.admin_level <= ADMIN_LEVELS[1]:
            raise InvalidValue(f"admin_level must be between {ADMIN_LEVELS[0]} and {ADMIN_LEVELS[1]}")
        if self.half_life_days is not None and not MIN_HALF_LIFE_DAYS <= self.half_life_days < math.inf:
            raise InvalidValue(f"half_life must be a finite number of days, at least {MIN_HALF_LIFE_DAYS:g}")
        if self.network_id is not None and not 1 <= self.network_id <= MAX_ID:
            raise InvalidValue("no such network")
        if self.slice_days is not None and not MIN_SLICES <= self.slice_count() <= MAX_SLICES:
            raise InvalidValue(
                f"emerging hotspots need {MIN_SLICES} to {MAX_SLICES} slices of slice_days in the period"
            )

    def days(self) -> tuple[date, date]:
        """The first day and the day after the last, whole UTC days."""
        return self.since.date(), (self.until - timedelta(microseconds=1)).date() + timedelta(days=1)

    def slice_count(self) -> int:
        """Equal time slices of about ``slice_days`` each in the period (0 without slices)."""
        if self.slice_days is None or self.slice_days < 1:
            return 0
        first, end = self.days()
        return (end - first).days // self.slice_days

    def as_filter(self) -> dict[str, Any]:
        """JSON-ready, for the audit trail and the product's statement."""
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        data["categories"], data["priorities"] = list(self.categories), list(self.priorities)
        return {key: value for key, value in data.items() if value not in (None, [], ())}


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """A written product, as the audit trail records it."""

    path: Path
    format: str
    sha256: str
    bytes: int
    cells: int
    incidents: int
    suppressed_cells: int
    sensitivity: str
    info: dict[str, Any] = field(default_factory=dict)


def _verified(viewer: Viewer, request: HotspotRequest) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        UNMERGED,
        VERIFIED,
        Incident.first_reported_at >= request.since,
        Incident.first_reported_at < request.until,
        REAL_INCIDENTS,
    ]
    conditions.extend(incident_scope(viewer))
    if request.categories:
        conditions.append(Incident.category.in_(request.categories))
    if request.priorities:
        conditions.append(Incident.priority.in_(request.priorities))
    if request.area:
        conditions.append(
            or_(*(Incident.areas[f"adm{level}_pcode"].as_string() == request.area for level in (1, 2, 3)))
        )
    if request.network_id is not None:
        conditions.append(
            Incident.id.in_(select(Report.incident_id).where(Report.network_id == request.network_id))
        )
    return conditions


def _day(session: Session) -> ColumnElement[Any]:
    """The UTC day of first report (SQLite keeps UTC text; PostgreSQL converts from timestamptz)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", Incident.first_reported_at), Date)
    return func.date(Incident.first_reported_at)


def _grouped(
    session: Session, key: ColumnElement[Any], conditions: list[ColumnElement[bool]], by_day: bool
) -> pd.DataFrame:
    """Verified incidents counted per cell key and priority (and day): the database does the scan."""
    columns: list[ColumnElement[Any]] = [key.label("cell"), Incident.priority.label("priority")]
    if by_day:
        columns.append(_day(session).label("day"))
    query: Select[Any] = (
        select(*columns, func.count().label("n")).where(*conditions, key.is_not(None)).group_by(*columns)
    )
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=[c.name for c in columns] + ["n"])
    if by_day and len(frame):
        frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


@dataclass(frozen=True, slots=True)
class _Lattice:
    frame: gpd.GeoDataFrame
    weights: Any
    groups: pd.DataFrame
    """The database's counts per cell key and priority (and day) the lattice was built from."""
    label: Lattice

    @property
    def placed(self) -> int:
        """Incidents some cell holds."""
        return int(self.groups["n"].sum()) if len(self.groups) else 0


def _h3_lattice(
    session: Session,
    conditions: list[ColumnElement[bool]],
    request: HotspotRequest,
    rules: HotspotRules,
    by_day: bool,
) -> _Lattice:
    resolution = request.resolution if request.resolution is not None else rules.h3_resolution
    finest = max(hotspots.STORED_H3_RESOLUTIONS)
    if not 0 <= resolution <= finest:
        raise InvalidValue(
            f"H3 resolution must be between 0 and {finest} (finer cells would single out places)"
        )
    stored = min(r for r in hotspots.STORED_H3_RESOLUTIONS if r >= resolution)
    column = getattr(Incident, f"h3_r{stored}")
    precise = [*conditions, Incident.precision <= rules.max_precision]
    groups = _grouped(session, column, precise, by_day)
    if resolution < stored and len(groups):
        groups = hotspots.h3_rollup(groups, resolution)
    counts = hotspots.tally(groups, weights=rules.weights)
    frame, weights = hotspots.h3_lattice(counts, resolution)
    return _Lattice(frame, weights, groups, Lattice("h3", str(resolution)))


def _grid_lattice(
    session: Session,
    conditions: list[ColumnElement[bool]],
    request: HotspotRequest,
    rules: HotspotRules,
    by_day: bool,
) -> _Lattice:
    cell_km = request.cell_km or rules.grid_km
    rows = session.execute(
        select(Incident.lon, Incident.lat, Incident.priority, Incident.first_reported_at).where(
            *conditions,
            Incident.precision <= rules.max_precision,
            Incident.lon.is_not(None),
            Incident.lat.is_not(None),
        )
    ).all()
    points = pd.DataFrame(rows, columns=["lon", "lat", "priority", "reported"])
    crs = (
        utm_crs(float(points["lon"].mean()), float(points["lat"].mean()))
        if len(points)
        else utm_crs(0.0, 0.0)
    )
    points["cell"] = hotspots.grid_cells(
        points["lon"].tolist(), points["lat"].tolist(), cell_km=cell_km, crs=crs
    )
    points["n"] = 1
    keys = ["cell", "priority"]
    if by_day:
        points["day"] = [reported.date() for reported in points["reported"]]
        keys.append("day")
    groups = points.groupby(keys, as_index=False)["n"].sum()
    counts = hotspots.tally(groups, weights=rules.weights)
    frame, weights = hotspots.grid_lattice(counts, cell_km=cell_km, crs=crs)
    return _Lattice(frame, weights, groups, Lattice("grid", f"{cell_km:g}"))


def _admin_lattice(
    session: Session,
    conditions: list[ColumnElement[bool]],
    request: HotspotRequest,
    rules: HotspotRules,
    by_day: bool,
    layers: MapLayers,
) -> _Lattice:
    level = request.admin_level or rules.admin_level
    areas = layers.admin_frame(level)
    if areas is None or not len(areas):
        raise InvalidValue(
            f"no admin level {level} boundaries are installed (dalili geo import …); use h3 or grid cells"
        )
    groups = _grouped(session, Incident.areas[f"adm{level}_pcode"].as_string(), conditions, by_day)
    known = groups["cell"].isin(set(areas["pcode"])) if len(groups) else pd.Series([], dtype=bool)
    groups = groups[known]
    counts = hotspots.tally(groups, weights=rules.weights)
    frame, weights = hotspots.admin_lattice(counts, areas, level=level)
    return _Lattice(frame, weights, groups, Lattice("admin", str(level)))


def _slices(lattice: _Lattice, request: HotspotRequest, weights: dict[str, float]) -> pd.DataFrame | None:
    """Weighted counts per cell and time slice, oldest first, for the emerging-hotspot trend (R43)."""
    if request.slice_days is None:
        return None
    first, end = request.days()
    return hotspots.time_slices(
        lattice.groups, since=first, until=end, count=request.slice_count(), weights=weights
    )


def _points(
    session: Session, conditions: list[ColumnElement[bool]], rules: HotspotRules
) -> tuple[gpd.GeoDataFrame, int]:
    """Verified incidents that may be points — never sexual violence (R36), never an area's centre —
    and how many were left out because there are more than ``MAX_POINTS``."""
    where = [
        *conditions,
        Incident.restricted.is_(False),
        Incident.precision <= rules.max_precision,
        Incident.lon.is_not(None),
        Incident.lat.is_not(None),
    ]
    count = session.scalar(select(func.count()).select_from(Incident).where(*where)) or 0
    if not count or count > MAX_POINTS:
        return empty_incidents(), count
    areas = [
        Incident.areas[c].as_string().label(c) for c in ("adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name")
    ]
    columns = [
        Incident.id.label("incident_id"),
        Incident.first_reported_at.label("date"),
        Incident.category,
        Incident.priority,
        Incident.status,
        Incident.credibility,
        Incident.precision,
        *areas,
    ]
    rows = session.execute(
        select(*columns, Incident.lon, Incident.lat).where(*where).order_by(Incident.id)
    ).all()
    frame = pd.DataFrame(rows, columns=[*INCIDENT_COLUMNS, "lon", "lat"])
    frame["date"] = [reported.date().isoformat() for reported in frame["date"]]
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"), crs=WGS84)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84), 0


def _outside_suppressed(points: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The points not lying in a suppressed cell: a point there would show what suppression hides (R37)."""
    hidden = cells[cells["suppressed"].fillna(False).to_numpy(dtype=bool)]
    if points.empty or hidden.empty:
        return points
    inside = gpd.sjoin(points, hidden[["geometry"]], how="inner", predicate="intersects").index
    return points.drop(index=inside.unique())


def _near(
    frame: gpd.GeoDataFrame | None, bounds: tuple[float, float, float, float]
) -> gpd.GeoDataFrame | None:
    """The features of a layer around the map's extent (a margin of a quarter of its size)."""
    if frame is None or not len(frame):
        return None
    minx, miny, maxx, maxy = bounds
    dx, dy = max((maxx - minx) / 4, 0.1), max((maxy - miny) / 4, 0.1)
    near = frame.cx[minx - dx : maxx + dx, miny - dy : maxy + dy]
    return near if len(near) else None


def build_product(
    viewer: Viewer,
    request: HotspotRequest,
    *,
    uow: UnitOfWork,
    rules: HotspotRules,
    layers: MapLayers,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> HotspotProduct:
    """The hotspot product a viewer may have for this filter (R35–R38, R42–R44, R47)."""
    require(viewer, PROTECTION, "read hotspot products")
    sensitivity = request.sensitivity or rules.default_sensitivity
    disclosure: Disclosure = rules.disclosure(sensitivity, viewer.role)
    kind = request.cells or rules.cells
    by_day = request.half_life_days is not None or request.slice_days is not None
    with uow:
        session = uow.session
        conditions = _verified(viewer, request)
        total = session.scalar(select(func.count()).select_from(Incident).where(*conditions)) or 0
        if kind == "h3":
            lattice = _h3_lattice(session, conditions, request, rules, by_day)
        elif kind == "grid":
            lattice = _grid_lattice(session, conditions, request, rules, by_day)
        else:
            lattice = _admin_lattice(session, conditions, request, rules, by_day, layers)
        points, left_out = (
            _points(session, conditions, rules) if disclosure.points else (empty_incidents(), 0)
        )
    if request.half_life_days is not None:
        decayed = hotspots.tally(
            lattice.groups,
            weights=rules.weights,
            half_life_days=request.half_life_days,
            as_of=request.until - timedelta(microseconds=1),
        )
        frame = lattice.frame.copy()
        frame["weighted"] = frame["cell_id"].map(decayed["weighted"]).fillna(0.0)
        lattice = replace(lattice, frame=frame)
    cells = hotspots.hotspot_cells(
        lattice.frame,
        lattice.weights,
        k=disclosure.k,
        permutations=rules.permutations,
        seed=rules.seed,
        slices=_slices(lattice, request, dict(rules.weights)),
        locate=layers.locate_many,
    )
    suppressed = int(cells["suppressed"].sum()) if len(cells) else 0
    points = _outside_suppressed(points, cells)
    # Incidents in the cells shown only: a total would give a lone suppressed cell's count away.
    shown = int(cells["reports"].sum()) if len(cells) else 0
    info = ProductInfo(
        title_parts=_title(request, kind),
        sensitivity=sensitivity,
        since=request.since,
        until=request.until,
        categories=request.categories,
        lattice=lattice.label,
        k=disclosure.k,
        incidents=shown,
        suppressed_cells=suppressed,
        not_placed=total - lattice.placed,
        points_left_out=left_out,
        method_parts=_method(request, rules),
        filters=request.as_filter(),
        generated_at=now(),
    )
    if not len(cells):
        return HotspotProduct(info=info, cells=cells, incidents=points)
    minx, miny, maxx, maxy = (float(v) for v in cells.total_bounds)
    bounds = (minx, miny, maxx, maxy)
    areas = layers.admin_frame(request.admin_level or rules.admin_level)
    return HotspotProduct(
        info=info,
        cells=cells,
        incidents=points,
        boundaries=_near(areas if areas is not None else layers.admin_frame(1), bounds),
        sectors=_near(layers.sector_frame(), bounds),
        sites=_near(layers.site_frame(), bounds),
    )


def _title(request: HotspotRequest, kind: str) -> Title:
    return Title("emerging" if request.slice_days else "hotspots", kind, request.area or None)


def _method(request: HotspotRequest, rules: HotspotRules) -> Method:
    """Gi* as the rules run it, then the trend and the time decay the request asked for (R43, R44)."""
    trend = ("; ", Phrase("emerging", str(request.slice_days))) if request.slice_days else ()
    decay = ("; ", Phrase("half_life", f"{request.half_life_days:g}")) if request.half_life_days else ()
    return (*hotspots.method_phrases(rules.permutations, rules.seed), *trend, *decay)


def export_hotspots(
    viewer: Viewer,
    request: HotspotRequest,
    fmt: str,
    path: Path,
    *,
    uow: UnitOfWork,
    rules: HotspotRules,
    layers: MapLayers,
    paper: str = "A4",
    language: str = "en",
) -> ExportRecord:
    """Write the product in one format and record the export in the audit trail (R30).

    ``language`` is the patrol map's (PNG, PDF); vector files state themselves in English."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidValue(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    product = build_product(viewer, request, uow=uow, rules=rules, layers=layers)
    if fmt in MAP_FORMATS:
        # Imported here: matplotlib loads when a map is drawn, not in every process that imports this.
        from geo.patrol_map import render_patrol_map

        written = render_patrol_map(product, path, fmt=fmt, paper=paper, language=language)
    else:
        written = write_vector(product, fmt, path)
    digest = hashlib.sha256(written.read_bytes()).hexdigest()
    record = ExportRecord(
        path=written,
        format=fmt,
        sha256=digest,
        bytes=written.stat().st_size,
        cells=len(product.cells),
        incidents=len(product.incidents),
        suppressed_cells=product.info.suppressed_cells,
        sensitivity=product.info.sensitivity,
        info=product.info.as_dict(),
    )
    with uow:
        record_event(
            uow.session,
            actor=viewer.email,
            action="hotspots.export",
            subject_type="export",
            subject_id=digest[:16],
            details={
                "format": fmt,
                **({"language": language} if fmt in MAP_FORMATS else {}),
                "filter": request.as_filter(),
                "sensitivity": record.sensitivity,
                "cells": record.cells,
                "incidents": record.incidents,
                "suppressed_cells": record.suppressed_cells,
                "sha256": digest,
                "bytes": record.bytes,
            },
        )
        uow.commit()
    return record


def default_period(today: date, days: int = 30) -> tuple[datetime, datetime]:
    """The last ``days`` whole days up to and including today, in UTC."""
    until = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
    return until - timedelta(days=days), until
