from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from geo.admin_areas import AdminAreas
from geo.crs import WGS84, distance_km, utm_crs
from geo.layers import (
    LayerError,
    LayerFrame,
    LayerKind,
    LevelColumns,
    detect_columns,
    layer_from_frame,
    level_from_text,
    read_layer,
    read_pcode_table,
)
from geo.types import AreaLocator, NamedArea

pytestmark = pytest.mark.unit


def frame(rows: list[dict[str, Any]], geoms: list[Any], crs: str | None = WGS84) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def layer(rows: list[dict[str, Any]], geoms: list[Any], **kwargs: Any) -> LayerFrame:
    loaded, _ = layer_from_frame(frame(rows, geoms), **{"source": "test", **kwargs})
    return loaded


ADM1 = layer(
    [{"ADM1_PCODE": "XA", "ADM1_EN": "Alpha"}, {"ADM1_PCODE": "XB", "ADM1_EN": "Beta"}],
    [box(0, 0, 2, 1), box(2, 0, 4, 1)],
)
ADM2 = layer(
    [
        {"adm2_pcode": "XA1", "adm2_name": "Alpha One", "adm1_pcode": "XA", "adm1_name": "Alpha"},
        {"adm2_pcode": "XA2", "adm2_name": "Alpha Two", "adm1_pcode": "XA", "adm1_name": "Alpha"},
        {"adm2_pcode": "XB1", "adm2_name": "Beta One", "adm1_pcode": "XB", "adm1_name": "Beta"},
    ],
    [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 4, 1)],
)
ADM3 = layer(
    [{"admin3Pcod": "XA11", "admin3Name": "West"}, {"admin3Pcod": "XA12", "admin3Name": "East"}],
    [box(0, 0, 0.5, 1), box(0.5, 0, 1, 1)],
)
NESTED = AdminAreas([ADM1, ADM2, ADM3])


class TestDetectColumns:
    @pytest.mark.parametrize(
        ("columns", "expected"),
        [
            pytest.param(
                ["ADM0_PCODE", "ADM0_EN", "ADM1_PCODE", "ADM1_FR", "ADM1_EN", "ADM1ALT1EN", "validOn"],
                [LevelColumns(0, "ADM0_PCODE", "ADM0_EN"), LevelColumns(1, "ADM1_PCODE", "ADM1_EN")],
                id="cod-ab-upper-en-before-fr",
            ),
            pytest.param(
                ["ADM2_REF", "ADM2_FR", "ADM2_PCODE"],
                [LevelColumns(2, "ADM2_PCODE", "ADM2_FR")],
                id="drc-fr-before-ref",
            ),
            pytest.param(
                ["ADM1_NAME", "ADM1_PCODE"], [LevelColumns(1, "ADM1_PCODE", "ADM1_NAME")], id="adm-name"
            ),
            pytest.param(
                ["adm3_name", "adm3_pcode", "adm3_ref", "adm2_name", "adm2_pcode", "center_lat"],
                [LevelColumns(2, "adm2_pcode", "adm2_name"), LevelColumns(3, "adm3_pcode", "adm3_name")],
                id="car-lower",
            ),
            pytest.param(
                ["admin1Name", "admin1Pcod", "admin2Name", "admin2Pcod", "admin2RefN"],
                [LevelColumns(1, "admin1Pcod", "admin1Name"), LevelColumns(2, "admin2Pcod", "admin2Name")],
                id="mali-admin-n",
            ),
            pytest.param(
                ["Adm1_PCode", "ADM1_ref"], [LevelColumns(1, "Adm1_PCode", "ADM1_ref")], id="mixed-case"
            ),
            pytest.param(["ADM2_PCODE"], [LevelColumns(2, "ADM2_PCODE", None)], id="code-only"),
            pytest.param(["NAME", "SECTOR_ID", "adm1_id"], [], id="nothing"),
        ],
    )
    def test_columns_of_every_convention_are_found(
        self, columns: list[str], expected: list[LevelColumns]
    ) -> None:
        assert detect_columns(columns) == expected

    def test_geoboundaries_columns_take_the_level_they_are_given(self) -> None:
        columns = ["shapeName", "Level", "shapeISO", "shapeID", "shapeGroup", "shapeType"]
        assert detect_columns(columns, level=2) == [LevelColumns(2, None, "shapeName")]

    def test_geoboundaries_columns_without_a_level_are_refused(self) -> None:
        with pytest.raises(LayerError, match="level"):
            detect_columns(["shapeName", "shapeID"])

    @pytest.mark.parametrize(
        ("text", "level"),
        [
            ("ssd_adm2_geoboundaries", 2),
            ("caf_adm1_ocha_cod_ab", 1),
            ("ADM3", 3),
            ("admin1", 1),
            ("sectors", None),
        ],
    )
    def test_a_level_is_read_from_a_file_name(self, text: str, level: int | None) -> None:
        assert level_from_text(text) == level


class TestLocate:
    def test_a_point_gets_every_level_that_contains_it(self) -> None:
        found = NESTED.locate(0.25, 0.5)
        assert found.pcodes == {"adm1": "XA", "adm2": "XA1", "adm3": "XA11"}
        assert found.names == {"adm1": "Alpha", "adm2": "Alpha One", "adm3": "West"}
        assert (found.sector, found.special_areas) == (None, ())

    def test_levels_without_a_deeper_layer_stop_where_coverage_stops(self) -> None:
        assert NESTED.locate(3, 0.5).pcodes == {"adm1": "XB", "adm2": "XB1"}

    def test_parent_levels_come_from_the_attributes_when_no_parent_layer_is_loaded(self) -> None:
        found = AdminAreas([ADM2]).locate(1.5, 0.5)
        assert found.pcodes == {"adm1": "XA", "adm2": "XA2"}
        assert found.names["adm1"] == "Alpha"

    def test_a_point_outside_every_layer_gets_nothing(self) -> None:
        assert NESTED.locate(10, 10).pcodes == {}
        assert NESTED.locate(float("nan"), 0.5).pcodes == {}

    def test_the_smallest_area_wins_where_layers_of_one_level_overlap(self) -> None:
        big = layer([{"ADM2_PCODE": "BIG", "ADM2_EN": "Province"}], [box(10, 10, 12, 12)])
        small = layer([{"ADM2_PCODE": "CITY", "ADM2_EN": "City"}], [box(10.5, 10.5, 11, 11)])
        for order in ([big, small], [small, big]):
            areas = AdminAreas(order)
            assert areas.locate(10.7, 10.7).pcodes == {"adm2": "CITY"}
            assert areas.locate(11.5, 11.5).pcodes == {"adm2": "BIG"}

    def test_locate_many_agrees_with_locate(self) -> None:
        lons, lats = [0.25, 0.75, 1.5, 3.0, 9.0], [0.5, 0.5, 0.5, 0.5, 9.0]
        assert NESTED.locate_many(lons, lats) == [
            NESTED.locate(x, y) for x, y in zip(lons, lats, strict=True)
        ]
        with pytest.raises(ValueError, match="equal length"):
            NESTED.locate_many([1.0, 2.0], [1.0])

    def test_named_areas_list_every_area_and_parent_once(self) -> None:
        named = list(AdminAreas([ADM2]).named_areas())
        assert NamedArea("adm1", "XA", "Alpha") in named
        assert NamedArea("adm2", "XB1", "Beta One") in named
        assert len(named) == len(set(named)) == 5

    def test_admin_areas_is_an_area_locator(self) -> None:
        locator: AreaLocator = NESTED
        assert locator.locate(0.75, 0.5).pcodes["adm3"] == "XA12"

    def test_a_layer_not_stored_in_wgs84_is_refused(self) -> None:
        projected = LayerFrame("p", "admin", 1, (), ADM1.frame.to_crs("EPSG:3857"))
        with pytest.raises(LayerError, match="EPSG:4326"):
            AdminAreas([projected])


class TestArea:
    """An admin area as a reviewer's choice of place (#16): a point inside it, itself and its parents."""

    def test_an_admin_2_area_has_its_point_inside_itself_and_its_parent_but_no_child(self) -> None:
        option = NESTED.area("XA1")
        assert option is not None
        assert (option.name, option.kind, option.pcode, option.precision) == ("Alpha One", "adm2", "XA1", 2)
        assert shapely.contains_xy(box(0, 0, 1, 1), option.lon, option.lat)
        assert option.areas.pcodes == {"adm1": "XA", "adm2": "XA1"}  # no adm3, though its point has one
        assert option.areas.names == {"adm1": "Alpha", "adm2": "Alpha One"}

    def test_an_admin_1_area_has_precision_3_and_only_itself(self) -> None:
        option = NESTED.area("XB")
        assert option is not None
        assert (option.precision, option.areas.pcodes, option.areas.names) == (
            3,
            {"adm1": "XB"},
            {"adm1": "Beta"},
        )

    def test_parents_a_layer_does_not_name_come_from_the_layers_its_point_lies_in(self) -> None:
        option = NESTED.area("XA12")  # ADM3 carries no parent columns
        assert option is not None
        assert option.areas.pcodes == {"adm1": "XA", "adm2": "XA1", "adm3": "XA12"}

    def test_the_point_of_a_crescent_lies_inside_it_though_its_centroid_does_not(self) -> None:
        crescent = box(0, 0, 3, 3).difference(box(1, 1, 3, 2))
        assert not shapely.contains_xy(crescent, *shapely.centroid(crescent).coords[0])
        areas = AdminAreas([layer([{"ADM1_PCODE": "CF11", "ADM1_FR": "Croissant"}], [crescent])])
        option = areas.area("CF11")
        assert option is not None
        assert shapely.contains_xy(crescent, option.lon, option.lat)
        assert option.country == "CF"

    def test_the_country_comes_from_the_pcode(self) -> None:
        areas = AdminAreas([layer([{"adm2_pcode": "SS0101", "adm2_name": "Yei"}], [box(30, 3, 31, 4)])])
        option = areas.area("SS0101")
        assert option is not None
        assert option.country == "SS"

    def test_an_unknown_pcode_a_sector_or_a_special_area_is_no_admin_area(self) -> None:
        sector = layer([{"code": "N", "name": "North"}], [box(0, 0, 4, 1)], kind="sector", source="sectors")
        special = layer([{"code": "ABY", "name": "Abyei"}], [box(0, 0, 1, 1)], kind="special", source="abyei")
        areas = AdminAreas([ADM1, sector, special])
        assert [areas.area(code) for code in ("nope", "N", "ABY")] == [None, None, None]
        assert areas.area("XA") is not None

    def test_admin_areas_lists_areas_with_polygons_of_their_own_only(self) -> None:
        listed = AdminAreas([ADM2]).admin_areas()  # Alpha and Beta are only named as parents there
        assert [a.pcode for a in listed] == ["XA1", "XA2", "XB1"]
        assert NamedArea("adm2", "XA1", "Alpha One") in listed


class TestLayerCleaning:
    def test_a_bow_tie_is_repaired_kept_polygonal_and_reported(self) -> None:
        bow_tie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
        assert not bow_tie.is_valid
        loaded, report = layer_from_frame(
            frame([{"ADM1_PCODE": "BT", "ADM1_EN": "Bow"}], [bow_tie]), source="t"
        )
        geometry = loaded.frame.geometry.iloc[0]
        assert geometry.is_valid
        assert geometry.geom_type == "MultiPolygon"
        assert report.repaired == 1
        assert "Self-intersection" in report.problems[0]
        assert AdminAreas([loaded]).locate(0.9, 0.5).pcodes == {"adm1": "BT"}

    def test_empty_lines_missing_codes_names_and_duplicates_are_reported(self) -> None:
        rows: list[dict[str, Any]] = [
            {"ADM1_PCODE": "A", "ADM1_EN": "Alpha"},
            {"ADM1_PCODE": None, "ADM1_EN": "Nocode"},
            {"ADM1_PCODE": "C", "ADM1_EN": None},
            {"ADM1_PCODE": "A", "ADM1_EN": "Again"},
            {"ADM1_PCODE": "E", "ADM1_EN": "Empty"},
            {"ADM1_PCODE": "L", "ADM1_EN": "Line"},
        ]
        geoms = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(3, 0, 4, 1)]
        geoms += [shapely.Polygon(), shapely.LineString([(0, 0), (1, 1)])]
        loaded, report = layer_from_frame(frame(rows, geoms), source="mixed")
        assert (report.features, report.areas) == (6, 4)
        assert (report.empty, report.not_polygonal) == (1, 1)
        assert (report.missing_pcode, report.missing_name, report.duplicate_pcode) == (1, 1, 1)
        assert loaded.frame["pcode"].tolist() == ["A", "mixed:nocode", "C", "A"]
        assert loaded.frame["name"].tolist() == ["Alpha", "Nocode", "C", "Again"]
        assert len(report.problems) == 5
        assert any("duplicate P-code A" in p for p in report.problems)

    def test_only_the_polygons_of_a_collection_are_kept_and_reported(self) -> None:
        mixed = shapely.GeometryCollection([box(0, 0, 1, 1), shapely.LineString([(0, 0), (3, 3)])])
        loaded, report = layer_from_frame(frame([{"ADM1_PCODE": "G", "ADM1_EN": "Gee"}], [mixed]), source="t")
        assert loaded.frame.geometry.iloc[0].equals(box(0, 0, 1, 1))
        assert report.problems == ("feature 0 (Gee): only the polygons of a GeometryCollection kept",)

    def test_a_layer_without_p_codes_gets_stable_synthetic_codes(self) -> None:
        rows = [{"shapeName": "Kajo-keji"}, {"shapeName": "Yei"}, {"shapeName": "Yei"}]
        geoms = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)]
        loaded, report = layer_from_frame(frame(rows, geoms), source="ssd_adm2_geoboundaries")
        assert loaded.level == 2
        assert loaded.frame["pcode"].tolist() == [
            "ssd_adm2_geoboundaries:kajo-keji",
            "ssd_adm2_geoboundaries:yei",
            "ssd_adm2_geoboundaries:yei~2",
        ]
        assert report.synthetic == 3
        assert any("repeated" in p for p in report.problems)

    def test_a_pcode_table_gives_real_codes_by_normalised_name(self) -> None:
        rows = [{"shapeName": "Kajo-keji"}, {"shapeName": "Raga"}]
        table = {(2, "kajo keji"): "SS0102", (2, "raja"): "SS0902"}
        loaded, report = layer_from_frame(
            frame(rows, [box(0, 0, 1, 1), box(1, 0, 2, 1)]), source="counties", level=2, pcode_table=table
        )
        assert loaded.frame["pcode"].tolist() == ["SS0102", "counties:raga"]
        assert (report.from_table, report.synthetic) == (1, 1)
        assert "1 names not in the P-code table: Raga" in report.problems

    def test_columns_named_by_flags_win_over_detection(self) -> None:
        rows = [{"ADM1_PCODE": "X", "ADM1_EN": "Ex", "LOCAL": "Iks"}]
        loaded, _ = layer_from_frame(frame(rows, [box(0, 0, 1, 1)]), source="t", name_column="LOCAL")
        assert loaded.frame["name"].tolist() == ["Iks"]
        with pytest.raises(LayerError, match="no column 'MISSING'"):
            layer_from_frame(frame(rows, [box(0, 0, 1, 1)]), source="t", pcode_column="MISSING")

    def test_an_admin_layer_without_a_known_level_is_refused(self) -> None:
        with pytest.raises(LayerError, match="level"):
            layer_from_frame(frame([{"name": "Somewhere"}], [box(0, 0, 1, 1)]), source="areas")

    def test_a_layer_in_web_mercator_is_reprojected_to_wgs84(self) -> None:
        mercator = frame([{"ADM1_PCODE": "M", "ADM1_EN": "Merc"}], [box(0, 0, 1, 1)], crs=WGS84).to_crs(
            "EPSG:3857"
        )
        assert mercator.total_bounds[2] > 100_000
        loaded, report = layer_from_frame(mercator, source="merc")
        assert report.reprojected_from == "EPSG:3857"
        assert loaded.frame.crs.to_epsg() == 4326
        assert loaded.frame.total_bounds == pytest.approx([0, 0, 1, 1], abs=1e-9)

    def test_a_frame_without_crs_is_refused(self) -> None:
        with pytest.raises(LayerError, match="CRS"):
            layer_from_frame(frame([{"ADM1_PCODE": "N"}], [box(0, 0, 1, 1)], crs=None), source="nocrs")


class TestCustomLayers:
    """R40: deployments add sectors and areas outside any single national COD, such as Abyei."""

    TWIC = layer(
        [{"ADM1_PCODE": "SS08", "ADM1_EN": "Warrap", "ADM2_PCODE": "SS0806", "ADM2_EN": "Twic"}],
        [box(28, 8.5, 29, 9.3)],
    )
    SECTORS = layer(
        [{"code": "N", "name": "Sector North"}, {"code": "S", "name": "Sector South"}],
        [box(27, 9, 30, 11), box(27, 7, 30, 9)],
        kind="sector",
        source="sectors",
    )

    @staticmethod
    def abyei(kind: LayerKind = "special", **columns: str) -> LayerFrame:
        return layer([columns], [box(28, 9.3, 29, 10)], kind=kind, source="abyei")

    def test_load_a_custom_boundary_and_assign_p_codes_within_it(self) -> None:
        abyei = self.abyei(
            ADM1_PCODE="SS00", ADM1_EN="Abyei Region", ADM2_PCODE="SS0001", ADM2_EN="Abyei Region"
        )
        areas = AdminAreas([self.TWIC, abyei])
        inside = areas.locate(28.43, 9.6)
        assert inside.pcodes == {"adm1": "SS00", "adm2": "SS0001"}
        assert inside.special_areas == ("Abyei Region",)
        assert areas.locate(28.5, 9.0).pcodes == {"adm1": "SS08", "adm2": "SS0806"}
        assert areas.locate(28.5, 9.0).special_areas == ()
        assert NamedArea("special", "SS0001", "Abyei Region") in list(areas.named_areas())

    def test_a_special_area_without_admin_columns_is_only_flagged(self) -> None:
        areas = AdminAreas([self.TWIC, self.abyei(name="Abyei", code="ABY")])
        found = areas.locate(28.43, 9.6)
        assert (found.pcodes, found.special_areas) == ({}, ("Abyei",))

    def test_a_national_layer_claiming_the_special_area_keeps_its_p_codes(self) -> None:
        sudan = layer([{"ADM1_PCODE": "SD07", "ADM1_EN": "West Kordofan"}], [box(27, 9.3, 30, 12)])
        found = AdminAreas([sudan, self.abyei(name="Abyei", code="ABY")]).locate(28.43, 9.6)
        assert (found.pcodes, found.special_areas) == ({"adm1": "SD07"}, ("Abyei",))

    def test_a_sector_layer_names_the_sector_of_a_point(self) -> None:
        areas = AdminAreas([self.TWIC, self.SECTORS, self.abyei(name="Abyei", code="ABY")])
        assert areas.locate(28.43, 9.6).sector == "Sector North"
        found = areas.locate(28.5, 8.7)
        assert (found.sector, found.pcodes["adm2"]) == ("Sector South", "SS0806")
        assert self.SECTORS.level is None
        assert NamedArea("sector", "N", "Sector North") in list(areas.named_areas())


class TestReadLayer:
    ROWS: ClassVar = [{"admin1Pcod": "R1", "admin1Name": "Ruvu"}, {"admin1Pcod": "R2", "admin1Name": "Rawa"}]

    def write(self, directory: Path, fmt: str) -> Path:
        data = frame(self.ROWS, [box(0, 0, 1, 1), box(1, 0, 2, 1)]).to_crs("EPSG:3857")
        if fmt == "geojson":
            path = directory / "rv_adm1.geojson"
            data.to_file(path, driver="GeoJSON", engine="pyogrio")
        elif fmt == "gpkg":
            path = directory / "rv_adm1.gpkg"
            data.to_file(path, driver="GPKG", engine="pyogrio")
        else:
            data.to_file(directory / "rv_adm1.shp", engine="pyogrio")
            path = directory / "rv_adm1.zip"
            with zipfile.ZipFile(path, "w") as archive:
                for part in directory.glob("rv_adm1.*"):
                    if part != path:
                        archive.write(part, part.name)
        return path

    @pytest.mark.parametrize("fmt", ["geojson", "gpkg", "zipped-shp"])
    def test_every_format_is_read_reprojected_and_located(self, tmp_path: Path, fmt: str) -> None:
        loaded, report = read_layer(self.write(tmp_path, fmt))
        assert (loaded.source, loaded.level, report.areas) == ("rv_adm1", 1, 2)
        assert report.reprojected_from == "EPSG:3857"
        assert AdminAreas([loaded]).locate(1.5, 0.5).names == {"adm1": "Rawa"}

    def test_a_geoboundaries_file_takes_its_level_from_the_file_name(self, tmp_path: Path) -> None:
        path = tmp_path / "zz_adm2_geoboundaries.geojson"
        frame([{"shapeName": "Yei", "shapeID": "X-1"}], [box(0, 0, 1, 1)]).to_file(path, engine="pyogrio")
        loaded, _ = read_layer(path)
        assert (loaded.level, loaded.frame["pcode"].tolist()) == (2, ["zz_adm2_geoboundaries:yei"])

    def test_a_shapefile_without_crs_needs_one_assumed(self, tmp_path: Path) -> None:
        bare = frame(self.ROWS, [box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=None)
        with pytest.warns(UserWarning, match="'crs' was not provided"):
            bare.to_file(tmp_path / "n.shp", engine="pyogrio")
        with pytest.raises(LayerError, match="assume_crs"):
            read_layer(tmp_path / "n.shp")
        loaded, _ = read_layer(tmp_path / "n.shp", assume_crs=WGS84)
        assert loaded.frame.crs.to_epsg() == 4326

    def test_the_pcode_table_is_read_per_country_and_leaves_ambiguous_names_out(self, tmp_path: Path) -> None:
        path = tmp_path / "pcodes.csv"
        path.write_text(
            "\ufeffLocation,Admin Level,P-Code,Name,Parent P-Code,Valid from date\n"
            "SSD,2,SS0102,Kajo-keji,SS01,2023-08-29\n"
            "SSD,2,SS0801,Gogrial,SS08,2023-08-29\n"
            "SSD,2,SS0802,Gogrial,SS08,2023-08-29\n"
            "SDN,1,SD19,Abyei PCA,SDN,2023-08-29\n",
            encoding="utf-8",
        )
        assert read_pcode_table(path, country="ssd") == {(2, "kajo keji"): "SS0102"}
        assert read_pcode_table(path)[(1, "abyei pca")] == "SD19"


class TestCrs:
    def test_utm_zone_follows_longitude_and_hemisphere(self) -> None:
        assert utm_crs(18.56, 4.36).to_epsg() == 32634
        assert utm_crs(15.3, -4.3).to_epsg() == 32733
        assert utm_crs(180.0, 0.0).to_epsg() == 32660

    def test_geodesic_distance_of_one_degree_on_the_equator(self) -> None:
        assert distance_km(0, 0, 1, 0) == pytest.approx(111.32, abs=0.01)
