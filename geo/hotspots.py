"""Hotspot statistics: weighted counts, Getis-Ord Gi*, FDR classes, emerging trends, suppression, KDE.

Pure functions over GeoDataFrames (DOMAIN.md §7.2, R37, R41-R44); the lattices are in ``geo.lattices``
and re-exported here. The service queries GROUP BY rows, then: ``tally`` -> a lattice -> ``hotspot_cells``
-> ``geo.products.HotspotProduct``. Statistics always run on true values; suppression comes last (R37).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # reason: no pandas-stubs installed
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree
from scipy.stats import false_discovery_control, norm

from geo.crs import WGS84, utm_crs
from geo.lattices import (
    STORED_H3_RESOLUTIONS,
    Contiguity,
    admin_lattice,
    grid_cells,
    grid_lattice,
    h3_cells,
    h3_lattice,
    h3_rollup,
)
from geo.patrol_map.wording import Method, Phrase
from geo.products import CELL_COLUMNS, GI_BINS, HOTSPOT_CLASSES
from geo.types import AreaAssignment

__all__ = [
    "DEFAULT_SEVERITY_WEIGHTS",
    "STORED_H3_RESOLUTIONS",
    "Contiguity",
    "admin_lattice",
    "classify",
    "density_surface",
    "emerging_trend",
    "gi_star",
    "grid_cells",
    "grid_lattice",
    "h3_cells",
    "h3_lattice",
    "h3_rollup",
    "hotspot_cells",
    "method_phrases",
    "suppress",
    "tally",
    "time_slices",
]

FloatArray = npt.NDArray[np.float64]
Locate = Callable[[Sequence[float], Sequence[float]], Sequence[AreaAssignment]]
"""Points (lons, lats) to their areas, e.g. ``AdminAreas.locate_many``."""

DEFAULT_SEVERITY_WEIGHTS: Mapping[str, float] = MappingProxyType({"P1": 3, "P2": 2, "P3": 1, "P4": 0})
"""Weight of one incident by priority (R44); configurable: every function takes a ``weights`` mapping."""

_FIGURES = {
    "reports": "Int64",
    "weighted": "Float64",
    "gi_z": "Float64",
    "gi_p": "Float64",
    "gi_bin": "Int64",
    "trend": "Int64",
}
"""What a suppressed cell must not show (R37): counts, and statistics that would betray them."""


def _factors(priorities: pd.Series, weights: Mapping[str, float]) -> FloatArray:
    for priority, weight in weights.items():
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(f"the weight of {priority} must be a number >= 0, not {weight}")
    unknown = sorted({str(p) for p in priorities.unique().tolist()} - set(weights))
    if unknown:
        raise ValueError(f"unknown priority {', '.join(unknown)}; weights are set for {', '.join(weights)}")
    factors: FloatArray = priorities.astype(str).map(dict(weights)).to_numpy(dtype=float)
    return factors


def _day(value: date | datetime) -> pd.Timestamp:
    return pd.Timestamp(value.date() if isinstance(value, datetime) else value)


def tally(
    groups: pd.DataFrame,
    *,
    weights: Mapping[str, float] = DEFAULT_SEVERITY_WEIGHTS,
    half_life_days: float | None = None,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """Reports and severity-weighted counts per cell from GROUP BY rows (``cell``, ``priority``, ``n``).

    ``weighted`` sums n × weights[priority]; with ``half_life_days`` each row is further multiplied by
    0.5 ** (age / half_life_days), age in whole days from its ``day`` (date or ISO string) to the date of
    ``as_of`` (required then; future days count as age 0). Rows without a cell must be left out (and
    counted as not placed) by the caller. Returns a frame indexed by ``cell``, sorted.
    """
    missing = {"cell", "priority", "n"} - set(groups.columns)
    if missing:
        raise ValueError(f"groups lack the columns {', '.join(sorted(missing))}")
    if groups["cell"].isna().any():
        raise ValueError("a group has no cell; leave unplaced incidents out and count them as not placed")
    n = groups["n"].to_numpy(dtype=np.int64)
    if (n < 0).any():
        raise ValueError("negative counts")
    factor = _factors(groups["priority"], weights)
    if half_life_days is not None:
        if not (math.isfinite(half_life_days) and half_life_days > 0):
            raise ValueError(f"half_life_days must be positive, not {half_life_days}")
        if as_of is None or "day" not in groups.columns:
            raise ValueError("decay needs as_of and a 'day' column")
        days = pd.to_datetime(groups["day"]).dt.normalize()
        if days.isna().any():
            raise ValueError("a group has no day")
        age = (_day(as_of) - days).dt.days.clip(lower=0).to_numpy(dtype=float)
        factor = factor * 0.5 ** (age / half_life_days)
    rows = pd.DataFrame({"cell": groups["cell"].astype(str).to_numpy(), "reports": n, "weighted": n * factor})
    out = rows.groupby("cell", sort=True).agg(reports=("reports", "sum"), weighted=("weighted", "sum"))
    return out.astype({"reports": "int64", "weighted": "float64"})


def time_slices(
    groups: pd.DataFrame,
    *,
    since: date | datetime,
    until: date | datetime,
    count: int,
    weights: Mapping[str, float] = DEFAULT_SEVERITY_WEIGHTS,
) -> pd.DataFrame:
    """Weighted counts per cell (rows, sorted) in ``count`` equal slices of [since, until) by ``day``.

    Columns 0 … count−1, oldest first, for ``emerging_trend``. No decay here: decay would itself make
    every series rise. Days outside the period are refused.
    """
    if count < 1:
        raise ValueError("count must be 1 or more")
    start, end = _day(since), _day(until)
    total = (end - start).days
    if total < count:
        raise ValueError(f"{total} days cannot make {count} slices")
    ages = (pd.to_datetime(groups["day"]).dt.normalize() - start).dt.days
    if ages.isna().any() or (ages < 0).any() or (ages >= total).any():
        raise ValueError("a group's day is missing or outside [since, until)")
    slices = (ages.to_numpy(dtype=np.int64) * count) // total
    frame = pd.DataFrame(
        {
            "cell": groups["cell"].astype(str).to_numpy(),
            "slice": slices,
            "weighted": groups["n"].to_numpy(dtype=float) * _factors(groups["priority"], weights),
        }
    )
    table = frame.pivot_table(index="cell", columns="slice", values="weighted", aggfunc="sum", fill_value=0.0)
    return table.reindex(columns=range(count), fill_value=0.0).rename_axis(columns=None).astype("float64")


def _star(w: Contiguity) -> sp.csr_matrix:
    """Binary contiguity with every cell its own neighbour (Gi*: the cell counts in its neighbourhood)."""
    base = sp.csr_matrix(w.sparse, dtype=float)
    base = sp.csr_matrix(base - sp.diags(base.diagonal()))
    base.eliminate_zeros()
    return sp.csr_matrix((base != 0).astype(float) + sp.identity(w.n, format="csr"))


def _checked(y: npt.ArrayLike, n: int) -> FloatArray:
    values = np.asarray(y, dtype=float).ravel()
    if values.shape[0] != n:
        raise ValueError(f"{values.shape[0]} values for {n} cells")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("Gi* needs finite values >= 0")
    return values


def _z_scores(values: FloatArray, star: sp.csr_matrix) -> FloatArray:
    """Gi* z-scores (Getis & Ord 1995, binary star weights); 0 where undefined (constant values, a
    neighbourhood spanning every cell).

    G = Σ_star y / Σ y, with E[G] = k/n and Var[G] = k(n−k)/(n−1)/n² · s²/ȳ² (s² the population
    variance) for a neighbourhood of k cells out of n: esda's ``G_Local(transform="B", star=True)``
    step for step, which the tests check it against.
    """
    n = len(values)
    if n < 3 or np.ptp(values) == 0:
        return np.zeros_like(values)
    mean = values.sum() / n
    variance = (values**2).sum() / n - mean**2
    size = np.asarray(star.sum(axis=1)).squeeze(axis=1)
    expected_variance = size * (n - size) / (n - 1) * (1 / n**2) * (variance / mean**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = ((star @ values) / values.sum() - size / n) / np.sqrt(expected_variance)
    return np.where(np.isfinite(z), z, 0.0).astype(float)


def _draws(rng: np.random.Generator, n: int, size: int, permutations: int) -> npt.NDArray[np.int64]:
    """``permutations`` rows of ``size`` distinct cell indices out of ``n``, uniformly at random."""
    if 2 * size > n:  # small lattices: a permutation per row is cheap
        return np.array([rng.permutation(n)[:size] for _ in range(permutations)], dtype=np.int64)
    picks = rng.integers(0, n, size=(permutations, size))
    while True:  # redraw the rare rows that picked a cell twice
        ordered = np.sort(picks, axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not repeated.any():
            return picks
        picks[repeated] = rng.integers(0, n, size=(int(repeated.sum()), size))


def _pseudo_p(
    values: FloatArray, star: sp.csr_matrix, z: FloatArray, permutations: int, seed: int
) -> FloatArray:
    """Permutation p-values under total randomization, one-sided in the direction of each cell's z.

    Gi* asks whether a cell *and* its neighbours together hold more than chance would put there, and
    its z is derived under total randomization (any value could be anywhere). So each permutation draws
    as many values as the cell's star neighbourhood holds from the whole lattice, cell included — the
    distribution depends only on that size, so one set of ``permutations`` draws (seeded) serves every
    cell of a size. p is the normal tail of the observed sum's z in that distribution (as esda's
    ``p_z_sim``). Not esda's conditional randomization: holding the cell's own value fixed tests its
    neighbours only (Gi, not Gi*; r-spatial/spdep#123), so a town with many reports amid empty cells
    was never hot while the empty ring around it was. Not a rank p either: it cannot go below
    1/(R+1), which Benjamini–Hochberg over thousands of cells never lets through.
    """
    n = len(values)
    size = np.diff(star.indptr)
    observed = star @ values
    mean = np.zeros(n)
    spread = np.zeros(n)
    rng = np.random.default_rng(seed)
    for k in np.unique(size).tolist():
        if k >= n:
            continue  # the neighbourhood is the whole lattice: nothing to compare it with
        sims = values[_draws(rng, n, k, permutations)].sum(axis=1)
        cells = size == k
        mean[cells], spread[cells] = sims.mean(), sims.std()
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (observed - mean) / spread
    tested = (size > 1) & (size < n) & (spread > 1e-12 * max(float(values.sum()), 1.0)) & (z != 0)
    return np.where(tested, norm.sf(np.sign(z) * np.where(tested, z_sim, 0.0)), 1.0)


def gi_star(
    y: npt.ArrayLike, w: Contiguity, *, permutations: int = 999, seed: int = 12345
) -> tuple[FloatArray, FloatArray]:
    """Getis-Ord Gi* (binary contiguity, star; R42): z-scores and pseudo p-values, in ``w.id_order``.

    z is the analytical Gi* (as ``esda.getisord.G_Local(y, w, transform="B", star=True)``, see
    ``_z_scores``); p from ``permutations`` permutations with a fixed ``seed`` (see ``_pseudo_p``).
    ``permutations=0`` gives the one-sided normal p-value instead. Values must be finite and >= 0.
    Constant values (e.g. no reports) give z = 0, p = 1 everywhere; islands always get p = 1.
    """
    values = _checked(y, w.n)
    if permutations < 0:
        raise ValueError("permutations must be 0 or more")
    if len(values) < 3 or np.ptp(values) == 0:
        return np.zeros_like(values), np.ones_like(values)
    star = _star(w)
    z = _z_scores(values, star)
    if permutations == 0:
        return z, np.where(z != 0, norm.sf(np.abs(z)), 1.0)
    return z, _pseudo_p(values, star, z, permutations, seed)


def _fdr_significant(p: FloatArray, alpha: float) -> npt.NDArray[np.bool_]:
    """Benjamini–Hochberg at ``alpha`` over the finite p-values (the others are never significant).

    The slack absorbs rounding in alpha itself: 1 − 0.90 is 0.09999999999999998.
    """
    adjusted = np.full(p.shape, np.inf)
    finite = np.isfinite(p)
    if finite.any():
        adjusted[finite] = false_discovery_control(p[finite], method="bh")
    significant: npt.NDArray[np.bool_] = adjusted <= alpha * (1 + 1e-9)
    return significant


def classify(
    z: npt.ArrayLike, p: npt.ArrayLike, *, levels: Sequence[float] = (0.99, 0.95, 0.90)
) -> list[str]:
    """Hot or cold at the highest confidence level whose FDR cut-off a cell's p passes, else not_significant.

    For each level L, Benjamini–Hochberg at alpha = 1 − L over all cells; the sign of z says hot or cold.
    """
    zs = np.asarray(z, dtype=float).ravel()
    ps = np.asarray(p, dtype=float).ravel()
    if zs.shape != ps.shape:
        raise ValueError("z and p differ in length")
    out = np.full(zs.shape, "not_significant", dtype=object)
    for level in sorted(levels):
        percent = round(level * 100)
        if f"hot_{percent}" not in HOTSPOT_CLASSES or not math.isclose(level * 100, percent):
            raise ValueError(f"no class for confidence level {level}")
        significant = np.isfinite(zs) & _fdr_significant(ps, 1.0 - level)
        out[significant & (zs > 0)] = f"hot_{percent}"
        out[significant & (zs < 0)] = f"cold_{percent}"
    return [str(c) for c in out]


def _mann_kendall(series: FloatArray, *, continuity: bool = True) -> tuple[FloatArray, FloatArray]:
    """Mann–Kendall S and two-sided p per row (normal approximation, tie-corrected variance)."""
    t = series.shape[1]
    first, second = np.triu_indices(t, 1)
    s = np.sign(series[:, second] - series[:, first]).sum(axis=1)
    group = (series[:, :, None] == series[:, None, :]).sum(axis=2)  # size of each value's tie group
    variance = (t * (t - 1) * (2 * t + 5) - ((group - 1) * (2 * group + 5)).sum(axis=1)) / 18.0
    numerator = s - np.sign(s) if continuity else s
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(variance > 0, numerator / np.sqrt(variance), 0.0)
    return s.astype(float), 2.0 * norm.sf(np.abs(stat))


def emerging_trend(
    slices: pd.DataFrame,
    w: Contiguity,
    *,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.Series:
    """Per cell +1 (Gi* z rising), −1 (falling) or 0: Gi* per slice, Mann–Kendall on each z series (R43).

    ``slices``: rows are the cells in ``w.id_order``, columns the time slices oldest first (weighted counts,
    see ``time_slices``). A trend needs Mann–Kendall's two-sided p (normal approximation, continuity
    correction) within the Benjamini–Hochberg cut-off for ``alpha`` over all cells, as for the classes
    (``fdr=False``: p < alpha per cell, which marks about alpha of the cells on pure noise). Five slices at
    least, or no p reaches 0.05. The trend reads the z-scores only, which no permutation changes.
    """
    values = slices.to_numpy(dtype=float)
    if values.ndim != 2 or values.shape[0] != w.n:
        raise ValueError(f"slices hold {values.shape[0]} rows for {w.n} cells")
    if values.shape[1] < 2:
        return pd.Series(0, index=slices.index, dtype="Int64", name="trend")
    star = _star(w)
    z = np.column_stack([_z_scores(_checked(column, w.n), star) for column in values.T])
    s, p = _mann_kendall(z)
    significant = _fdr_significant(p, alpha) if fdr else p < alpha
    trend = np.where(significant, np.sign(s), 0.0).astype(np.int64)
    return pd.Series(trend, index=slices.index, dtype="Int64", name="trend")


def suppress(cells: gpd.GeoDataFrame, k: int) -> gpd.GeoDataFrame:
    """Hide cells with 1 … k−1 reports (R37): ``suppressed``, class ``suppressed``, every figure null.

    Zero cells stay shown (a zero discloses nobody). The number suppressed is
    ``int(out["suppressed"].sum())``, also in ``out.attrs["suppressed_cells"]``.
    """
    if k < 1:
        raise ValueError("k must be 1 or more")
    out = cells.copy()
    reports = pd.to_numeric(out["reports"]).astype("Int64")
    small = ((reports >= 1) & (reports < k)).fillna(False).to_numpy(dtype=bool)
    previous = out["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    for column, dtype in _FIGURES.items():
        out[column] = out[column].astype(dtype)
        out.loc[small, column] = pd.NA
    out["hotspot"] = out["hotspot"].astype("string")
    out.loc[small, "hotspot"] = "suppressed"
    out["suppressed"] = pd.array(previous | small, dtype="boolean")
    out.attrs["suppressed_cells"] = int(out["suppressed"].sum())
    return out


def _align(slices: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    index = [str(i) for i in slices.index]
    stray = sorted(set(index) - set(ids))
    if stray:
        raise ValueError(f"slices hold cells outside the lattice: {', '.join(stray[:5])}")
    return slices.set_axis(index).reindex(ids, fill_value=0.0)


def _pcodes(lattice: gpd.GeoDataFrame, locate: Locate | None) -> dict[str, list[str | None]]:
    """adm1/adm2 P-codes and names at each cell's centre; for an admin cell the area itself and parents."""
    level = lattice.attrs.get("admin_level") if lattice.attrs.get("lattice") == "admin" else None
    geoms = lattice.geometry.to_numpy()
    centres = shapely.point_on_surface(geoms) if level is not None else shapely.centroid(geoms)
    found: Sequence[AreaAssignment] = [AreaAssignment()] * len(lattice)
    if locate is not None and len(lattice):
        found = locate(shapely.get_x(centres).tolist(), shapely.get_y(centres).tolist())
    out: dict[str, list[str | None]] = {}
    for n in (1, 2):
        codes: list[str | None] = [a.pcodes.get(f"adm{n}") for a in found]
        names: list[str | None] = [a.names.get(f"adm{n}") for a in found]
        if level is not None and n == level:
            codes, names = lattice["cell_id"].tolist(), lattice["name"].tolist()
        elif level is not None and n > level:
            codes = names = [None] * len(lattice)
        elif level is not None and f"adm{n}_pcode" in lattice.columns:
            codes, names = lattice[f"adm{n}_pcode"].tolist(), lattice[f"adm{n}_name"].tolist()
        out[f"adm{n}_pcode"], out[f"adm{n}_name"] = codes, names
    return out


def hotspot_cells(
    lattice: gpd.GeoDataFrame,
    w: Contiguity,
    *,
    k: int,
    permutations: int = 999,
    seed: int = 12345,
    slices: pd.DataFrame | None = None,
    locate: Locate | None = None,
) -> gpd.GeoDataFrame:
    """The cells of a hotspot product: ``geo.products.CELL_COLUMNS`` + geometry, WGS84, suppressed (R37).

    Gi* on ``weighted`` over the whole lattice, FDR classes, ``gi_bin``; ``trend`` when ``slices`` (indexed
    by cell id; missing cells count zero) are given; P-codes from ``locate`` (e.g.
    ``AdminAreas.locate_many``) at each cell's centre, null without it. Suppression comes last.
    """
    ids = [str(c) for c in lattice["cell_id"].tolist()]
    if [str(i) for i in w.id_order] != ids:
        raise ValueError("the weights do not follow the lattice's cell order")
    z, p = gi_star(lattice["weighted"].to_numpy(dtype=float), w, permutations=permutations, seed=seed)
    classes = classify(z, p)
    trend = pd.array([pd.NA] * len(ids), dtype="Int64")
    if slices is not None:
        trend = emerging_trend(_align(slices, ids), w).array
    columns: dict[str, object] = {
        "cell_id": pd.array(ids, dtype="string"),
        **{c: pd.array(v, dtype="string") for c, v in _pcodes(lattice, locate).items()},
        "reports": pd.array(lattice["reports"].to_numpy(dtype=np.int64), dtype="Int64"),
        "weighted": pd.array(lattice["weighted"].to_numpy(dtype=float), dtype="Float64"),
        "gi_z": pd.array(z, dtype="Float64"),
        "gi_p": pd.array(p, dtype="Float64"),
        "gi_bin": pd.array([GI_BINS[c] for c in classes], dtype="Int64"),
        "hotspot": pd.array(classes, dtype="string"),
        "trend": trend,
        "suppressed": pd.array([False] * len(ids), dtype="boolean"),
    }
    cells = gpd.GeoDataFrame(
        {c: columns[c] for c in CELL_COLUMNS}, geometry=lattice.geometry.to_numpy(), crs=WGS84
    )
    return suppress(cells, k)


def density_surface(
    points: gpd.GeoDataFrame, *, bandwidth_km: float = 3.0, cell_km: float = 1.0
) -> gpd.GeoDataFrame:
    """Gaussian kernel density (reports per km²) on ``cell_km`` squares, for display only (DOMAIN §7.2).

    Only points with ``precision == 1`` feed it (R41): a place's or district's centre (2) or a province's
    (3) would make a false peak; the others are ignored. Each point reaches 3 bandwidths; squares (WGS84)
    with a density > 0, empty frame without precise points; the grid lies in the UTM zone of their centre.
    """
    if not (math.isfinite(bandwidth_km) and bandwidth_km > 0 and math.isfinite(cell_km) and cell_km > 0):
        raise ValueError("bandwidth_km and cell_km must be positive")
    if points.crs is None or "precision" not in points.columns:
        raise ValueError("points need a CRS and a 'precision' column")
    precise = points[points["precision"].eq(1).fillna(False).to_numpy(dtype=bool)].to_crs(WGS84)
    precise = precise[~(precise.geometry.is_empty | precise.geometry.isna())]
    if precise.empty:
        return gpd.GeoDataFrame({"density": pd.Series(dtype="float64")}, geometry=[], crs=WGS84)
    lons, lats = precise.geometry.x.to_numpy(), precise.geometry.y.to_numpy()
    metric = utm_crs(float(lons.mean()), float(lats.mean()))
    xy = shapely.get_coordinates(precise.to_crs(metric).geometry.to_numpy())
    size, h = cell_km * 1000.0, bandwidth_km * 1000.0
    reach = 3.0 * h
    span = np.arange(-math.ceil(reach / size), math.ceil(reach / size) + 1)
    base = np.floor(xy / size).astype(np.int64)
    offsets = np.stack(np.meshgrid(span, span), axis=-1).reshape(-1, 2)
    squares = np.unique((base[:, None, :] + offsets[None, :, :]).reshape(-1, 2), axis=0)
    centres = (squares + 0.5) * size
    pairs = cKDTree(centres).sparse_distance_matrix(cKDTree(xy), reach, output_type="ndarray")
    kernel = np.exp(-0.5 * (pairs["v"] / h) ** 2) / (2.0 * math.pi * bandwidth_km**2)
    density = np.bincount(pairs["i"], weights=kernel, minlength=len(centres))
    keep = density > 0
    corners = squares[keep] * size
    boxes = gpd.GeoSeries(
        shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + size, corners[:, 1] + size)
    )
    return gpd.GeoDataFrame(
        {"density": density[keep]}, geometry=boxes.set_crs(metric).to_crs(WGS84).to_numpy(), crs=WGS84
    )


def method_phrases(permutations: int, seed: int) -> Method:
    """How the classes were found, for ``ProductInfo.method_parts``."""
    inference = (
        (Phrase("permutations", str(permutations)), ", ", Phrase("seed", str(seed)))
        if permutations
        else (Phrase("normal"),)
    )
    return ("Getis-Ord Gi* (", Phrase("contiguity"), "), ", *inference, ", ", Phrase("fdr"))
