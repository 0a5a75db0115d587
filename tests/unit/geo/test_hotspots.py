from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import UTC, date, datetime

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import shapely
from esda.getisord import G_Local
from libpysal.weights import WSP, W
from scipy.stats import kendalltau, norm
from shapely.geometry import box

from geo.crs import WGS84, utm_crs
from geo.hotspots import (
    DEFAULT_SEVERITY_WEIGHTS,
    Contiguity,
    _mann_kendall,
    _star,
    admin_lattice,
    classify,
    density_surface,
    emerging_trend,
    gi_star,
    grid_lattice,
    hotspot_cells,
    method_phrases,
    suppress,
    tally,
    time_slices,
)
from geo.patrol_map.labels import labels
from geo.patrol_map.wording import format_method
from geo.products import CELL_COLUMNS, GI_BINS, HOTSPOT_CLASSES
from geo.types import AreaAssignment

pytestmark = pytest.mark.unit

CRS = utm_crs(31.58, 4.85)
SIDE = 15
KEYS = [(c, r) for c in range(SIDE) for r in range(SIDE)]
IDS = [f"g{c}_{r}" for c, r in KEYS]


def lattice_of(values: npt.ArrayLike) -> tuple[gpd.GeoDataFrame, Contiguity]:
    """A 15 × 15 grid of 5-km squares (queen contiguity) holding ``values`` in KEYS order."""
    weighted = np.asarray(values, dtype=float)
    tallied = pd.DataFrame({"reports": np.ceil(weighted).astype(int), "weighted": weighted}, index=IDS)
    lattice, w = grid_lattice(tallied, cell_km=5, crs=CRS, ring=0)
    assert lattice["cell_id"].tolist() == IDS
    return lattice, w


def block(centre: tuple[int, int], half: int) -> npt.NDArray[np.bool_]:
    return np.array([abs(c - centre[0]) <= half and abs(r - centre[1]) <= half for c, r in KEYS])


def hot_block_values() -> npt.NDArray[np.float64]:
    """Counts around 1 with a 7 × 7 block around 10 in the middle."""
    rng = np.random.default_rng(1)
    return np.where(block((7, 7), 3), rng.poisson(10, len(KEYS)), rng.poisson(1, len(KEYS))).astype(float)


# --- weighted counts (R44) ---------------------------------------------------------------------------


def groups(rows: list[tuple[str, str, int]], days: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["cell", "priority", "n"])
    return frame.assign(day=days) if days is not None else frame


def test_default_severity_weights_are_p1_3_p2_2_p3_1_p4_0() -> None:
    assert dict(DEFAULT_SEVERITY_WEIGHTS) == {"P1": 3, "P2": 2, "P3": 1, "P4": 0}
    out = tally(groups([("a", "P1", 2), ("a", "P2", 1), ("a", "P3", 4), ("a", "P4", 5), ("b", "P4", 1)]))
    assert out.index.name == "cell"
    assert out.index.tolist() == ["a", "b"]
    assert out.loc["a"].tolist() == [12, 2 * 3 + 1 * 2 + 4 * 1 + 5 * 0]
    assert out.loc["b", "reports"] == 1
    assert out.loc["b", "weighted"] == 0.0
    assert out["reports"].dtype == "int64"
    assert out["weighted"].dtype == "float64"


def test_custom_severity_weights_are_applied() -> None:
    out = tally(groups([("a", "P1", 2), ("a", "P4", 3)]), weights={"P1": 10, "P2": 1, "P3": 1, "P4": 0.5})
    assert out.loc["a", "weighted"] == 2 * 10 + 3 * 0.5


def test_an_unknown_priority_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown priority P9"):
        tally(groups([("a", "P9", 1)]))


def test_decay_halves_the_weight_at_one_half_life() -> None:
    rows = groups(
        [("a", "P1", 1), ("b", "P1", 1), ("c", "P1", 1)], days=["2026-10-31", "2026-10-17", "2026-10-03"]
    )
    rows["day"] = [date(2026, 10, 31), "2026-10-17", "2026-10-03"]  # dates and ISO strings both serve
    out = tally(rows, half_life_days=14, as_of=datetime(2026, 10, 31, 18, 0, tzinfo=UTC))
    assert out["weighted"].tolist() == pytest.approx([3.0, 1.5, 0.75])
    assert out["reports"].tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match="as_of"):
        tally(rows, half_life_days=14)


def test_time_slices_bin_weighted_counts_by_day() -> None:
    rows = groups(
        [("a", "P1", 1), ("a", "P2", 2), ("b", "P3", 1)], days=["2026-10-01", "2026-10-30", "2026-10-11"]
    )
    out = time_slices(rows, since=date(2026, 10, 1), until=date(2026, 10, 31), count=3)
    assert out.to_dict("index") == {"a": {0: 3.0, 1: 0.0, 2: 4.0}, "b": {0: 0.0, 1: 1.0, 2: 0.0}}


# --- Gi* and FDR (R42) -------------------------------------------------------------------------------


def test_a_known_hot_cell_is_found_and_results_repeat_for_the_same_seed() -> None:
    lattice, w = lattice_of(hot_block_values())
    z, p = gi_star(lattice["weighted"], w)
    again = gi_star(lattice["weighted"], w)
    np.testing.assert_array_equal(z, again[0])
    np.testing.assert_array_equal(p, again[1])
    classes = classify(z, p)
    centre = IDS.index("g7_7")
    assert classes[centre].startswith("hot_")
    assert z[centre] > 4
    assert p[centre] <= 0.002
    hot = {IDS[i] for i, c in enumerate(classes) if c.startswith("hot_")}
    near = {IDS[i] for i in np.flatnonzero(block((7, 7), 4))}
    assert hot <= near
    assert len(hot) >= 25
    assert classes == classify(*gi_star(lattice["weighted"], w))


def test_the_centre_of_a_hot_block_is_hot_at_99_percent() -> None:
    lattice, w = lattice_of(hot_block_values())
    z, p = gi_star(lattice["weighted"], w, permutations=999, seed=7)
    assert classify(z, p)[IDS.index("g7_7")] == "hot_99"


def test_permutations_under_total_randomization_reproduce_the_analytical_z() -> None:
    lattice, w = lattice_of(np.random.default_rng(2).gamma(2.0, size=len(IDS)))
    z, p = gi_star(lattice["weighted"], w, permutations=999, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # esda's notice on its future default alternative
        reference = G_Local(
            lattice["weighted"].to_numpy(), esda_weights(w), transform="B", star=True, permutations=0
        )
    np.testing.assert_allclose(z, reference.Zs)
    # Gi*'s z is derived under total randomization; simulating that null gives the same z up to the
    # Monte Carlo error of 999 draws, so p is z's normal tail in the direction z points to.
    np.testing.assert_allclose(norm.isf(p), np.abs(z), atol=0.1, rtol=0.05)


def test_gi_star_z_matches_the_formula_by_hand() -> None:
    # A chain a-b-c-d holding 4, 0, 0, 0: n = 4, mean 1, variance 3; Var[G] = k(4-k)/3/16 · 3/1.
    # a: G = 4/4 over k = 2, E = 1/2, sd 1/2 -> z = 1; b: G = 1, k = 3, E = 3/4, sd √3/4 -> 1/√3;
    # c: G = 0 -> −√3; d: G = 0, k = 2 -> −1.
    chain = Contiguity({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]})
    z, p = gi_star([4.0, 0.0, 0.0, 0.0], chain, permutations=0)
    np.testing.assert_allclose(z, [1.0, 1 / np.sqrt(3), -np.sqrt(3), -1.0])
    np.testing.assert_allclose(p, norm.sf(np.abs(z)))


def test_contiguity_follows_its_id_order() -> None:
    w = Contiguity({"b": ["a"], "a": ["b", "c"], "c": ["a"]}, id_order=["a", "b", "c"])
    assert w.n == 3
    assert w.sparse.toarray().tolist() == [[0, 1, 1], [1, 0, 0], [1, 0, 0]]
    assert Contiguity({"b": [], "a": []}).id_order == ["b", "a"]
    with pytest.raises(ValueError, match="id_order"):
        Contiguity({"a": [], "b": []}, id_order=["a"])


def test_a_town_amid_empty_cells_is_hot_itself() -> None:
    # Conditional randomization (esda's) holds the cell's own count fixed and tests its neighbours only:
    # the town would not be hot, the empty ring around it would.
    values = np.random.default_rng(8).poisson(0.3, len(IDS)).astype(float)
    values[IDS.index("g7_7")] = 60.0
    lattice, w = lattice_of(values)
    z, p = gi_star(lattice["weighted"], w)
    assert classify(z, p)[IDS.index("g7_7")] == "hot_99"


def esda_weights(w: Contiguity) -> W:
    return W(dict(w.neighbors), id_order=list(w.id_order), silence_warnings=True)


def esda_permutations(values: npt.ArrayLike, w: Contiguity, permutations: int, seed: int) -> G_Local:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # esda's notice on its future default alternative
        return G_Local(
            np.asarray(values, dtype=float),
            W.from_WSP(WSP(_star(w), id_order=list(w.id_order)), silence_warnings=True),
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
        )


def test_sparse_counts_without_structure_give_no_hotspots() -> None:
    values = np.random.default_rng(4).poisson(0.15, len(IDS)).astype(float)
    lattice, w = lattice_of(values)
    z, p = gi_star(lattice["weighted"], w, permutations=999)
    assert set(classify(z, p)) == {"not_significant"}
    all_zero = (_star(w) @ values) == 0
    assert all_zero.sum() > 20
    assert (p[all_zero] > 0.05).all()
    # esda's rank p counts ties as larger, then folds: every all-zero neighbourhood gets p = 1/(R+1).
    np.testing.assert_allclose(esda_permutations(values, w, 999, 12345).p_sim[all_zero], 0.001, rtol=1e-6)


def test_constant_values_and_islands_are_never_significant() -> None:
    lattice, w = lattice_of(np.full(len(IDS), 2.0))
    z, p = gi_star(lattice["weighted"], w, permutations=99)
    assert (z == 0).all()
    assert (p == 1).all()
    island = Contiguity({"a": [], "b": ["c"], "c": ["b"], "d": []})
    _, p = gi_star([50.0, 0.0, 1.0, 0.0], island, permutations=99)
    assert p[0] == 1.0


def test_fdr_makes_a_lone_borderline_cell_not_significant() -> None:
    z = np.r_[2.2, np.zeros(99)]
    p = np.r_[0.03, np.full(99, 0.5)]
    assert classify(z, p)[0] == "not_significant"
    assert classify(z[:1], p[:1])[0] == "hot_95"  # the same cell tested alone
    many = classify(np.r_[-3.5, np.full(99, 3.5)], np.full(100, 0.001))
    assert many[0] == "cold_99"
    assert set(many[1:]) == {"hot_99"}
    levels = classify([2.0, -2.0, 2.0], [0.003, 0.02, 0.08])  # BH cut-offs i·alpha/3
    assert levels == ["hot_99", "cold_95", "hot_90"]
    with pytest.raises(ValueError, match="level"):
        classify([1.0], [0.1], levels=(0.8,))


def test_a_p_value_on_the_fdr_cut_off_is_significant() -> None:
    # 1 − 0.90 is 0.09999999999999998 in floating point: p = 0.1 still passes at 90 %, as with one test.
    assert classify([2.0], [0.1], levels=(0.90,)) == ["hot_90"]
    assert classify([2.0, 2.0, 2.0], [0.05, 0.1, 0.1], levels=(0.90,)) == ["hot_90"] * 3


# --- emerging hotspots (R43) -------------------------------------------------------------------------


def test_emerging_trend_increasing_decreasing_and_flat() -> None:
    base = np.random.default_rng(5).poisson(2, len(IDS)).astype(float)
    rising, falling = block((3, 3), 1), block((11, 11), 1)
    slices = pd.DataFrame(
        {t: np.where(rising, 1 + 2 * t, np.where(falling, 1 + 2 * (9 - t), base)) for t in range(10)},
        index=IDS,
    )
    _, w = lattice_of(base)
    trend = emerging_trend(slices, w)
    assert trend.dtype == "Int64"
    assert trend.index.tolist() == IDS
    assert trend["g3_3"] == 1
    assert trend["g11_11"] == -1
    assert trend["g11_3"] == 0
    assert trend["g3_11"] == 0
    flat = pd.DataFrame({t: base for t in range(10)}, index=IDS)
    assert (emerging_trend(flat, w) == 0).all()


def test_emerging_trend_on_noise_marks_no_cell_after_fdr() -> None:
    rng = np.random.default_rng(9)
    noise = pd.DataFrame({t: rng.poisson(2, len(IDS)).astype(float) for t in range(12)}, index=IDS)
    _, w = lattice_of(noise[0])
    assert (emerging_trend(noise, w) == 0).all()
    assert (emerging_trend(noise, w, fdr=False) != 0).sum() > 5  # about 5 % by chance alone


def test_mann_kendall_matches_scipy_kendall_tau() -> None:
    series = np.random.default_rng(6).integers(0, 4, size=(20, 8)).astype(float)  # with ties
    _, p = _mann_kendall(series, continuity=False)
    expected = [kendalltau(np.arange(8), row, method="asymptotic").pvalue for row in series]
    np.testing.assert_allclose(p, np.nan_to_num(expected, nan=1.0))


# --- suppression (R37) and the product's cells -------------------------------------------------------


def cells_with_reports(reports: list[int]) -> gpd.GeoDataFrame:
    n = len(reports)
    return gpd.GeoDataFrame(
        {
            "cell_id": [f"c{i}" for i in range(n)],
            "adm1_pcode": ["XA"] * n,
            "adm1_name": ["Alpha"] * n,
            "adm2_pcode": ["XA01"] * n,
            "adm2_name": ["West"] * n,
            "reports": reports,
            "weighted": [2.0 * r for r in reports],
            "gi_z": [3.0] * n,
            "gi_p": [0.001] * n,
            "gi_bin": [3] * n,
            "hotspot": ["hot_99"] * n,
            "trend": [1] * n,
            "suppressed": [False] * n,
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(n)],
        crs=WGS84,
    )


def test_suppression_at_k_minus_1_hides_figures_and_class_at_k_shows_them() -> None:
    out = suppress(cells_with_reports([4, 5, 0]), 5)
    hidden, shown, zero = out.iloc[0], out.iloc[1], out.iloc[2]
    assert hidden["suppressed"]
    assert hidden["hotspot"] == "suppressed"
    assert all(pd.isna(hidden[c]) for c in ("reports", "weighted", "gi_z", "gi_p", "gi_bin", "trend"))
    assert hidden["cell_id"] == "c0"
    assert hidden["adm2_pcode"] == "XA01"
    assert not shown["suppressed"]
    assert shown["reports"] == 5
    assert shown["hotspot"] == "hot_99"
    assert not zero["suppressed"]
    assert zero["reports"] == 0
    assert out.attrs["suppressed_cells"] == int(out["suppressed"].sum()) == 1
    assert out["reports"].dtype == "Int64"
    assert out["suppressed"].dtype == "boolean"


def test_hotspot_cells_have_the_product_columns_statistics_before_suppression() -> None:
    values = hot_block_values()
    values[IDS.index("g0_0")] = 1.0
    lattice, w = lattice_of(values)

    def locate(lons: Sequence[float], lats: Sequence[float]) -> list[AreaAssignment]:
        assert len(np.asarray(lons)) == len(IDS)
        assert np.all(np.asarray(lats) >= 0)
        return [AreaAssignment(pcodes={"adm1": "XA"}, names={"adm1": "Alpha"})] * len(IDS)

    slices = pd.DataFrame({t: values * (1 + 0.1 * t) for t in range(6)}, index=IDS).iloc[::-1]
    cells = hotspot_cells(lattice, w, k=3, permutations=99, slices=slices, locate=locate)
    assert list(cells.columns) == [*CELL_COLUMNS, "geometry"]
    assert cells.crs == WGS84
    assert cells.dtypes.to_dict() == {**empty_dtypes(), "geometry": cells.dtypes["geometry"]}
    assert set(cells["hotspot"]) <= set(HOTSPOT_CLASSES)
    shown = cells[~cells["suppressed"]]
    assert (shown["gi_bin"] == shown["hotspot"].map(GI_BINS)).all()
    assert (cells["adm1_pcode"] == "XA").all()
    assert cells["adm2_pcode"].isna().all()
    corner = cells.set_index("cell_id").loc["g0_0"]
    assert corner["suppressed"]
    assert pd.isna(corner["gi_z"])
    assert pd.isna(corner["trend"])
    z, _ = gi_star(lattice["weighted"], w, permutations=99)  # on the true values, suppressed cells included
    np.testing.assert_allclose(
        shown["gi_z"].to_numpy(dtype=float), z[~cells["suppressed"].to_numpy(dtype=bool)]
    )
    assert cells.attrs["suppressed_cells"] == int(cells["suppressed"].sum()) >= 1


def empty_dtypes() -> dict[str, object]:
    strings = ("cell_id", "adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name", "hotspot")
    numbers = {"reports": "Int64", "weighted": "Float64", "gi_z": "Float64", "gi_p": "Float64"}
    return {
        **{c: pd.StringDtype() for c in strings},
        **{c: pd.api.types.pandas_dtype(d) for c, d in numbers.items()},
        "gi_bin": pd.Int64Dtype(),
        "trend": pd.Int64Dtype(),
        "suppressed": pd.BooleanDtype(),
    }


def test_admin_hotspot_cells_name_the_area_itself() -> None:
    areas = gpd.GeoDataFrame(
        {
            "pcode": ["XA01", "XA02"],
            "name": ["West", "East"],
            "adm1_pcode": ["XA"] * 2,
            "adm1_name": ["Alpha"] * 2,
        },
        geometry=[box(30, 4, 31, 5), box(31, 4, 32, 5)],
        crs=WGS84,
    )
    lattice, w = admin_lattice(pd.DataFrame({"reports": [7], "weighted": [9.0]}, index=["XA02"]), areas)
    cells = hotspot_cells(lattice, w, k=5, permutations=9)
    assert cells["adm2_pcode"].tolist() == ["XA01", "XA02"]
    assert cells["adm2_name"].tolist() == [
        "West",
        "East",
    ]
    assert cells["adm1_pcode"].tolist() == ["XA", "XA"]
    assert cells["reports"].tolist() == [0, 7]
    assert list(cells.columns) == [*CELL_COLUMNS, "geometry"]


# --- kernel density (R41) ----------------------------------------------------------------------------


def incident_points(precisions: list[int], lons: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"precision": pd.array(precisions, dtype="Int64")},
        geometry=[shapely.Point(lon, 4.85) for lon in lons],
        crs=WGS84,
    )


def test_density_ignores_points_of_precision_2_and_3() -> None:
    assert density_surface(incident_points([2, 3, 3], [31.5, 31.6, 31.7])).empty
    mixed = density_surface(incident_points([1, 1, 2, 3], [31.50, 31.52, 31.70, 31.90]))
    precise = density_surface(incident_points([1, 1], [31.50, 31.52]))
    pd.testing.assert_frame_equal(mixed, precise)
    assert mixed.crs == WGS84
    assert (mixed["density"] > 0).all()
    area_km2 = mixed.to_crs(utm_crs(31.5, 4.85)).area.to_numpy() / 1e6
    assert (mixed["density"] * area_km2).sum() == pytest.approx(2.0, rel=0.02)  # reports per km²
    peak = mixed.loc[mixed["density"].idxmax(), "geometry"]
    assert peak.distance(shapely.Point(31.51, 4.85)) < 0.03


def method_text(permutations: int, seed: int) -> str:
    return format_method(method_phrases(permutations, seed), labels("en"))


def test_method_text_states_statistic_permutations_seed_and_fdr() -> None:
    assert method_text(999, 12345) == (
        "Getis-Ord Gi* (binary contiguity, star), 999 permutations, seed 12345, Benjamini–Hochberg FDR"
    )
