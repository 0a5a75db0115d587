from __future__ import annotations

import math

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.weights import W
from shapely.geometry import box

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

pytestmark = pytest.mark.unit

JUBA = (31.58, 4.85)


def counts(cells: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {"reports": list(cells.values()), "weighted": [float(v) for v in cells.values()]}, index=list(cells)
    )


def test_h3_cells_gives_the_cell_of_the_point_at_each_stored_resolution() -> None:
    cells = h3_cells(*JUBA)
    assert list(cells) == list(STORED_H3_RESOLUTIONS) == [5, 6, 7]
    for resolution, cell in cells.items():
        assert cell == h3.latlng_to_cell(JUBA[1], JUBA[0], resolution)  # h3 takes lat first
    assert h3.cell_to_parent(cells[7], 5) == cells[5]


@pytest.mark.parametrize(("lon", "lat"), [(math.nan, 4.8), (31.5, math.inf), (-math.inf, 0.0), (31.5, 95.0)])
def test_non_finite_or_impossible_coordinates_are_rejected(lon: float, lat: float) -> None:
    with pytest.raises(ValueError, match="coordinates"):
        h3_cells(lon, lat)
    with pytest.raises(ValueError, match="coordinates"):
        grid_cells([31.0, lon], [4.0, lat], cell_km=5, crs=utm_crs(*JUBA))


def test_h3_rollup_equals_direct_computation_at_the_coarse_resolution() -> None:
    rng = np.random.default_rng(3)
    points = zip(rng.uniform(30.0, 33.0, 300), rng.uniform(3.5, 6.0, 300), strict=True)
    # Points at stored res-5 cell centres: one level up, the index parent and the geometric res-4 cell
    # agree (a raw point near an edge may lie in a neighbouring res-4 hexagon; see h3_rollup).
    centres = [h3.cell_to_latlng(h3_cells(lon, lat)[5]) for lon, lat in points]
    priorities = rng.choice(["P1", "P2", "P3"], len(centres))
    stored = pd.DataFrame(
        {"cell": [h3.latlng_to_cell(lat, lon, 5) for lat, lon in centres], "priority": priorities, "n": 1}
    )
    groups = stored.groupby(["cell", "priority"], as_index=False)["n"].sum()
    direct = pd.DataFrame(
        {"cell": [h3.latlng_to_cell(lat, lon, 4) for lat, lon in centres], "priority": priorities}
    )
    expected = direct.groupby(["cell", "priority"], as_index=False).size().rename(columns={"size": "n"})
    pd.testing.assert_frame_equal(h3_rollup(groups, 4), expected, check_dtype=False)
    pd.testing.assert_frame_equal(h3_rollup(groups, 3), h3_rollup(h3_rollup(groups, 4), 3))
    assert h3_rollup(groups, 3)["n"].sum() == h3_rollup(groups, 5)["n"].sum() == len(centres)
    with pytest.raises(ValueError, match="cannot refine"):
        h3_rollup(groups, 6)


def test_h3_rollup_keeps_every_other_column_as_a_group_key() -> None:
    a, b = h3.cell_to_children(h3_cells(*JUBA)[5], 6)[:2]
    groups = pd.DataFrame(
        {"cell": [a, b, b], "priority": ["P1", "P1", "P2"], "day": ["2026-10-01"] * 3, "n": [2, 3, 1]}
    )
    rolled = h3_rollup(groups, 5)
    assert rolled.to_dict("records") == [
        {"cell": h3_cells(*JUBA)[5], "priority": "P1", "day": "2026-10-01", "n": 5},
        {"cell": h3_cells(*JUBA)[5], "priority": "P2", "day": "2026-10-01", "n": 1},
    ]


def as_pysal(built: tuple[gpd.GeoDataFrame, Contiguity]) -> tuple[gpd.GeoDataFrame, W]:
    """The lattice with libpysal's W over the same neighbours, for its cardinalities, islands and matrix."""
    frame, w = built
    return frame, W(dict(w.neighbors), id_order=list(w.id_order), silence_warnings=True)


def test_h3_lattice_adds_rings_of_zero_cells_and_symmetric_contiguity() -> None:
    centre = h3_cells(*JUBA)[6]
    one, w1 = as_pysal(h3_lattice(counts({centre: 4}), 6))
    assert len(one) == 7
    assert len(h3_lattice(counts({centre: 4}), 6, ring=2)[0]) == 19
    assert one.crs == WGS84
    assert list(one.columns) == ["cell_id", "reports", "weighted", "geometry"]
    assert list(w1.id_order) == one["cell_id"].tolist() == sorted(one["cell_id"])
    assert one.set_index("cell_id")["reports"].to_dict() == {c: 4 if c == centre else 0 for c in one.cell_id}
    dense = w1.full()[0]
    assert (dense == dense.T).all()
    assert dense.trace() == 0
    assert w1.cardinalities[centre] == 6
    assert all(w1.cardinalities[c] == 3 for c in one.cell_id if c != centre)
    # lon/lat order: the hexagon contains its own centre, given by h3 as (lat, lng).
    lat, lon = h3.cell_to_latlng(centre)
    hexagon = one.set_index("cell_id").geometry[centre]
    assert hexagon.contains(shapely.Point(lon, lat))
    assert hexagon.exterior.is_ccw
    assert len(h3_lattice(counts({centre: 1}), 6, ring=0)[0]) == 1  # an island: no warning leaks


def test_h3_lattice_refuses_cells_of_another_resolution() -> None:
    with pytest.raises(ValueError, match="resolution 6"):
        h3_lattice(counts({h3_cells(*JUBA)[7]: 1}), 6)


def test_grid_ids_are_stable_and_square_membership_is_right() -> None:
    crs = utm_crs(*JUBA)
    lons, lats = [31.58, 31.581, 31.9, 29.0], [4.85, 4.851, 4.2, 7.5]
    ids = grid_cells(lons, lats, cell_km=5, crs=crs)
    assert ids == grid_cells(lons, lats, cell_km=5, crs=crs.to_string())
    assert ids[0] == ids[1] != ids[2]
    assert all(i.startswith("g") and "_" in i for i in ids)
    assert grid_cells([31.58], [4.85], cell_km=5, crs="EPSG:32636") == ["g68_107"]  # x ≈ 342.6 km, y ≈ 536 km


def test_grid_lattice_squares_and_queen_contiguity() -> None:
    crs = utm_crs(*JUBA)
    cell = grid_cells([31.58], [4.85], cell_km=5, crs=crs)[0]
    lattice, w = as_pysal(grid_lattice(counts({cell: 3}), cell_km=5, crs=crs))
    assert len(lattice) == 9
    assert w.cardinalities[cell] == 8
    assert lattice.attrs["cells"] == "grid 5 km"
    assert lattice.set_index("cell_id").geometry[cell].contains(shapely.Point(*JUBA))
    area_km2 = lattice.to_crs(crs).area.to_numpy() / 1e6
    assert np.allclose(area_km2, 25.0, rtol=1e-6)
    dense = w.full()[0]
    assert (dense == dense.T).all()
    assert sorted(w.cardinalities.values()) == [3, 3, 3, 3, 5, 5, 5, 5, 8]


def areas_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "pcode": ["XA01", "XA02", "XA03", "XB01"],
            "name": ["West", "Middle", "Corner", "Island"],
            "adm1_pcode": ["XA", "XA", "XA", "XB"],
            "adm1_name": ["Alpha", "Alpha", "Alpha", "Beta"],
        },
        geometry=[box(30, 4, 31, 5), box(31, 4, 32, 5), box(32, 5, 33, 6), box(35, 4, 36, 5)],
        crs=WGS84,
    )


def test_admin_lattice_three_touching_squares_and_an_island() -> None:
    lattice, w = as_pysal(admin_lattice(counts({"XA02": 6, "XB01": 2, "ZZ99": 4}), areas_frame()))
    assert lattice["cell_id"].tolist() == list(w.id_order) == ["XA01", "XA02", "XA03", "XB01"]
    assert lattice["reports"].tolist() == [0, 6, 0, 2]
    assert w.neighbors["XA01"] == ["XA02"]
    assert sorted(w.neighbors["XA02"]) == ["XA01", "XA03"]  # XA03 touches at a corner only: queen
    assert w.neighbors["XB01"] == []
    assert w.islands == ["XB01"]
    assert lattice.attrs["unplaced"] == {"ZZ99": 4}  # not silently lost: the caller counts them
    assert lattice.attrs["admin_level"] == 2
    assert lattice.attrs["cells"] == "admin level 2"
    assert {"name", "adm1_pcode", "adm1_name"} <= set(lattice.columns)


def test_admin_lattice_refuses_areas_outside_wgs84_and_repeated_pcodes() -> None:
    areas = areas_frame()
    with pytest.raises(ValueError, match="EPSG:4326"):
        admin_lattice(counts({}), areas.to_crs("EPSG:3857"))
    with pytest.raises(ValueError, match="repeat"):
        admin_lattice(counts({}), pd.concat([areas, areas.iloc[:1]]))
