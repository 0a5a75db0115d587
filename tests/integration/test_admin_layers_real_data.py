"""The admin-layer reader and locator on the real OCHA COD-AB and geoBoundaries files in ../shared/data."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.admin_areas import AdminAreas
from geo.crs import WGS84
from geo.layers import (
    LayerFrame,
    LayerReport,
    LevelColumns,
    PcodeTable,
    detect_columns,
    layer_from_frame,
    level_from_text,
    read_layer,
    read_pcode_table,
)

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
BOUNDARIES = DATA / "boundaries"
PCODES_CSV = DATA / "gazetteer" / "ocha_global_pcodes_adm1_adm2_targets.csv"
if not BOUNDARIES.is_dir():
    pytest.skip(f"real boundary files not found in {BOUNDARIES}", allow_module_level=True)

# file -> (level, areas, own P-code column or None for geoBoundaries)
FILES = {
    "caf_adm1_ocha_cod_ab.geojson": (1, 17, "adm1_pcode"),
    "caf_adm2_ocha_cod_ab.geojson": (2, 72, "adm2_pcode"),
    "caf_adm3_ocha_cod_ab.geojson": (3, 175, "adm3_pcode"),
    "cod_adm1_dissolved_from_adm2_2017.geojson": (1, 26, "ADM1_PCODE"),
    "cod_adm2_ocha_cod_ab_2017.geojson": (2, 240, "ADM2_PCODE"),
    "mli_adm1_dissolved_from_adm2_pre2016.geojson": (1, 9, "admin1Pcod"),
    "mli_adm2_ocha_cod_ab_pre2016.geojson": (2, 50, "admin2Pcod"),
    "ssd_adm1_geoboundaries.geojson": (1, 10, None),
    "ssd_adm2_geoboundaries.geojson": (2, 78, None),
    "lbn_adm1_geoboundaries.geojson": (1, 9, None),
    "lbn_adm2_geoboundaries.geojson": (2, 26, None),
}
BANGUI = (18.5582, 4.3612)
GOMA = (29.2228, -1.6792)
BAMAKO = (-8.0029, 12.6392)
ABYEI = (28.43, 9.6)


def load(name: str, pcode_table: PcodeTable | None = None) -> tuple[LayerFrame, LayerReport]:
    return read_layer(BOUNDARIES / name, pcode_table=pcode_table)


def own_row(name: str, lon: float, lat: float) -> dict[str, object]:
    """The file's own attributes of the polygon containing the point, read without the project code."""
    raw = gpd.read_file(BOUNDARIES / name)
    hits = raw[raw.contains(shapely.Point(lon, lat))]
    assert len(hits) == 1
    return dict(hits.drop(columns="geometry").iloc[0])


def test_all_eleven_files_are_present() -> None:
    assert sorted(p.name for p in BOUNDARIES.glob("*.geojson")) == sorted(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_is_read_with_detected_columns(name: str) -> None:
    level, areas, pcode_column = FILES[name]
    loaded, report = load(name)
    assert (loaded.level, report.areas, report.features) == (level, areas, areas)
    assert loaded.frame.crs == WGS84
    assert report.repaired == report.empty == report.not_polygonal == report.duplicate_pcode == 0
    if pcode_column is None:
        assert report.synthetic == areas
        assert all(code.startswith(name.removesuffix(".geojson") + ":") for code in loaded.frame["pcode"])
    else:
        assert report.problems == ()
        raw = gpd.read_file(BOUNDARIES / name)
        assert loaded.frame["pcode"].tolist() == raw[pcode_column].tolist()


def test_car_levels_give_bangui_the_files_own_p_codes_at_each_level() -> None:
    areas = AdminAreas([load(f"caf_adm{n}_ocha_cod_ab.geojson")[0] for n in (1, 2, 3)])
    found = areas.locate(*BANGUI)
    expected = own_row("caf_adm3_ocha_cod_ab.geojson", *BANGUI)
    assert found.pcodes == {
        "adm0": expected["adm0_pcode"],
        "adm1": expected["adm1_pcode"],
        "adm2": expected["adm2_pcode"],
        "adm3": expected["adm3_pcode"],
    }
    assert found.pcodes["adm1"] == "CF71"
    assert all(found.pcodes[f"adm{n}"].startswith("CF71") for n in (1, 2, 3))
    assert found.names["adm1"] == "Bangui"


def test_drc_adm2_p_codes_come_from_adm2_pcode() -> None:
    columns = list(gpd.read_file(BOUNDARIES / "cod_adm2_ocha_cod_ab_2017.geojson").columns)
    assert LevelColumns(2, "ADM2_PCODE", "ADM2_FR") in detect_columns(columns)
    found = AdminAreas([load("cod_adm2_ocha_cod_ab_2017.geojson")[0]]).locate(*GOMA)
    expected = own_row("cod_adm2_ocha_cod_ab_2017.geojson", *GOMA)
    assert found.pcodes == {"adm0": "CD", "adm1": expected["ADM1_PCODE"], "adm2": expected["ADM2_PCODE"]}


def test_mali_admin2pcod_columns() -> None:
    loaded, _ = load("mli_adm2_ocha_cod_ab_pre2016.geojson")
    found = AdminAreas([loaded]).locate(*BAMAKO)
    expected = own_row("mli_adm2_ocha_cod_ab_pre2016.geojson", *BAMAKO)
    assert (found.pcodes["adm2"], found.names["adm2"]) == (expected["admin2Pcod"], expected["admin2Name"])
    assert found.pcodes["adm1"] == expected["admin1Pcod"]


def test_south_sudan_names_are_joined_to_ocha_p_codes_where_they_match() -> None:
    table = read_pcode_table(PCODES_CSV, country="SSD")
    states, state_report = load("ssd_adm1_geoboundaries.geojson", pcode_table=table)
    counties, county_report = load("ssd_adm2_geoboundaries.geojson", pcode_table=table)
    # geoBoundaries spells "Raga" where the OCHA list has "Raja": the one county left synthetic
    assert (state_report.from_table, state_report.synthetic) == (10, 0)
    assert (county_report.from_table, county_report.synthetic) == (77, 1)
    assert "1 names not in the P-code table: Raga" in county_report.problems
    found = AdminAreas([states, counties]).locate(31.58, 4.85)
    assert found.pcodes == {"adm1": "SS01", "adm2": "SS0101"}
    assert found.names == {"adm1": "Central Equatoria", "adm2": "Juba"}


def test_abyei_is_in_no_county_and_a_custom_layer_marks_it_special() -> None:
    table = read_pcode_table(PCODES_CSV, country="SSD")
    states, _ = load("ssd_adm1_geoboundaries.geojson", pcode_table=table)
    counties, _ = load("ssd_adm2_geoboundaries.geojson", pcode_table=table)
    ssd = AdminAreas([states, counties])
    assert ssd.locate(*ABYEI).pcodes == {}

    # a deployment draws Abyei as the gap between South Sudan's counties and a rough northern line
    gap = shapely.box(27.9, 9.2, 29.0, 10.1).difference(shapely.union_all(states.frame.geometry.to_numpy()))
    drawn = gpd.GeoDataFrame(
        [{"ADM1_PCODE": table[(1, "abyei region")], "ADM1_EN": "Abyei Region"}], geometry=[gap], crs=WGS84
    )
    abyei, report = layer_from_frame(drawn, source="abyei", kind="special")
    assert report.problems == ()
    found = AdminAreas([states, counties, abyei]).locate(*ABYEI)
    assert found.special_areas == ("Abyei Region",)
    assert found.pcodes == {"adm1": "SS00"}
    juba = AdminAreas([states, counties, abyei]).locate(31.58, 4.85)
    assert (juba.special_areas, juba.pcodes["adm2"]) == ((), "SS0101")


def test_all_layers_load_together_and_name_their_areas() -> None:
    layers = [load(name)[0] for name in sorted(FILES)]
    areas = AdminAreas(layers)
    assert len(areas) == sum(areas for _, areas, _ in FILES.values())
    named = list(areas.named_areas())
    assert len({(a.level, a.pcode) for a in named}) == len(named)
    assert {a.level for a in named} == {"adm0", "adm1", "adm2", "adm3"}
    assert level_from_text("ssd_adm2_geoboundaries") == 2


def test_bulk_lookups_on_car_adm3_and_drc_adm2_beat_two_thousand_a_second() -> None:
    layers = [load("caf_adm3_ocha_cod_ab.geojson")[0], load("cod_adm2_ocha_cod_ab_2017.geojson")[0]]
    areas = AdminAreas(layers)
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(12.0, 31.5, 5000), rng.uniform(-13.5, 11.0, 5000)
    start = time.perf_counter()
    found = areas.locate_many(lons, lats)
    rate = len(found) / (time.perf_counter() - start)
    assert rate >= 2000, f"{rate:.0f} lookups/s"
    assert sum(bool(f.pcodes) for f in found) > 1000
