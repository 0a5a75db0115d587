"""The reviewer's type-ahead over settlements and admin areas (issue #16): what matches, in what
order, in which country, and what each option carries."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.admin_areas import AdminAreas
from geo.crs import WGS84
from geo.gazetteer import Gazetteer, GazetteerEntry, PlaceAlias
from geo.geocoder import GazetteerGeocoder
from geo.layers import LayerFrame, layer_from_frame
from geo.place_search import MAX_LIMIT, PlaceSearch
from geo.types import PlaceOption

pytestmark = pytest.mark.unit

CENTRAL_EQUATORIA = {"adm1": "Central Equatoria", "adm2": "Yei"}
ENTRIES = (
    GazetteerEntry(
        "Yei", 30.68, 4.09, "SS", "primary town", admin_names=CENTRAL_EQUATORIA, population=100_000
    ),
    GazetteerEntry("Yeibo", 30.60, 4.20, "SS", "village"),
    GazetteerEntry("Kala Yei", 30.70, 4.30, "SS", "village"),
    GazetteerEntry("Kajo Keji", 31.65, 3.85, "SS", "town", ("Kajo-Keji", "Kajokeji")),
    GazetteerEntry("Kajok", 28.60, 8.90, "SS", "village"),
    GazetteerEntry("Kapoeta", 33.59, 4.77, "SS", "town", population=7_000),
    GazetteerEntry("Kapuri", 30.50, 4.10, "SS", "village"),
    GazetteerEntry("Majok", 29.80, 9.30, "SS", "village", admin_names={"adm1": "Unity", "adm2": "Rubkona"}),
    GazetteerEntry("Majok", 29.801, 9.302, "SS", "village"),  # the same village from a second list
    GazetteerEntry("Majok", 27.74, 9.21, "SS", "village", admin_names={"adm2": "Aweil East"}),
    GazetteerEntry("Malakal", 31.66, 9.53, "SS", "state capital"),
    GazetteerEntry("Malakal", 17.00, 6.00, "CF", "village"),
    GazetteerEntry("Bossangoa", 17.45, 6.49, "CF", "town", population=40_000),
    GazetteerEntry("Bossembélé", 17.65, 5.27, "CF", "town", population=8_000),
    GazetteerEntry(
        "Mobaye",
        21.19,
        4.32,
        "CF",
        "adm2",
        admin_names={"adm1": "Basse-Kotto", "adm2": "Mobaye"},
        pcodes={"adm1": "CF61", "adm2": "CF611"},
        source="caf_admin_centroids.csv",
    ),
)
GAZETTEER = Gazetteer(entries=ENTRIES, aliases=(PlaceAlias("Suk Sita", "Yei", "SS"),))


def _layer(rows: list[dict[str, Any]], boxes: list[Any]) -> LayerFrame:
    loaded, _ = layer_from_frame(gpd.GeoDataFrame(rows, geometry=boxes, crs=WGS84), source="test")
    return loaded


LAYERS = AdminAreas(
    [
        _layer([{"ADM1_PCODE": "SS01", "ADM1_EN": "Central Equatoria"}], [box(30, 3, 32, 5)]),
        _layer(
            [
                {
                    "ADM2_PCODE": "SS0101",
                    "ADM2_EN": "Yei",
                    "ADM1_PCODE": "SS01",
                    "ADM1_EN": "Central Equatoria",
                },
                {"ADM2_PCODE": "SS0102", "ADM2_EN": "Kajo-Keji", "ADM1_PCODE": "SS01"},
            ],
            [box(30, 3, 31, 5), box(31, 3, 32, 5)],
        ),
        _layer([{"ADM3_PCODE": "SS010101", "ADM3_EN": "Yei Town"}], [box(30.5, 4, 31, 4.5)]),
        _layer([{"ADM2_PCODE": "CF611", "ADM2_FR": "Mobaye", "ADM1_PCODE": "CF61"}], [box(21, 4, 22, 5)]),
    ]
)
WITHOUT_LAYERS = PlaceSearch(GazetteerGeocoder(GAZETTEER).index, None)
WITH_LAYERS = PlaceSearch(GazetteerGeocoder(GAZETTEER, locator=LAYERS).index, LAYERS)


def names(options: list[PlaceOption]) -> list[tuple[str, str]]:
    return [(o.name, o.kind) for o in options]


def found(text: str, country: str | None = "SS", search: PlaceSearch = WITHOUT_LAYERS) -> list[str]:
    return [o.name for o in search.search(text, country)]


class TestMatching:
    @pytest.mark.parametrize("text", ["bossembele", "BOSSEMBÉLÉ", "Bossembélé", "bossem"])
    def test_accents_and_case_do_not_matter(self, text: str) -> None:
        assert found(text, "CF") == ["Bossembélé"]

    @pytest.mark.parametrize("text", ["keji", "kajo k", "Kajo-Ke", "kajokeji"])
    def test_any_word_of_a_name_and_its_alternate_names_lead_to_it(self, text: str) -> None:
        assert "Kajo Keji" in found(text)

    def test_a_deployment_alias_leads_to_its_place(self) -> None:
        assert found("suk si") == ["Yei"]

    def test_a_name_is_not_found_from_inside_a_word(self) -> None:
        assert "Kajo Keji" not in found("eji")


class TestRanking:
    def test_the_whole_name_then_names_starting_so_then_a_later_word(self) -> None:
        # Yei Town is the admin-3 area, which weighs more than the village Yeibo
        assert found("yei", search=WITH_LAYERS) == ["Yei", "Yei", "Yei Town", "Yeibo", "Kala Yei"]
        assert names(WITH_LAYERS.search("yei", "SS"))[:2] == [("Yei", "primary town"), ("Yei", "adm2")]

    def test_bigger_places_come_first_among_equal_matches(self) -> None:
        assert found("kap") == ["Kapoeta", "Kapuri"]

    def test_a_main_name_comes_before_an_alternate_name_that_matches_as_well(self) -> None:
        # the village's name, the town's alternate name, then names an edit away
        assert found("kajok") == ["Kajok", "Kajo Keji", "Majok", "Majok"]

    def test_names_a_few_edits_away_follow_the_names_that_start_so(self) -> None:
        assert found("Kapoetta") == ["Kapoeta"]
        assert found("bosangoa", "CF") == ["Bossangoa"]
        assert found("Malkal") == ["Malakal"]

    def test_no_misspelling_is_guessed_under_four_letters(self) -> None:
        assert found("yie") == []
        assert found("yeo") == []

    def test_one_place_listed_twice_is_offered_once_and_namesakes_apart_each(self) -> None:
        majoks = WITHOUT_LAYERS.search("majok", "SS")
        assert [(o.name, o.lon) for o in majoks] == [("Majok", 29.8), ("Majok", 27.74), ("Kajok", 28.6)]


class TestScope:
    def test_a_country_keeps_its_own_places(self) -> None:
        assert [o.country for o in WITHOUT_LAYERS.search("malakal", "SS")] == ["SS"]
        assert [o.country for o in WITHOUT_LAYERS.search("malakal", "cf")] == ["CF"]
        assert [o.country for o in WITHOUT_LAYERS.search("malakal", "SSD")] == ["SS"]
        assert sorted(o.country or "" for o in WITHOUT_LAYERS.search("malakal", None)) == ["CF", "SS"]

    @pytest.mark.parametrize("text", ["", " ", "y", "Y.", "-"])
    def test_fewer_than_two_letters_find_nothing(self, text: str) -> None:
        assert found(text) == []

    def test_the_limit_is_kept_and_capped(self) -> None:
        many = Gazetteer(
            entries=tuple(GazetteerEntry(f"Bora {n}", 31.0 + n / 10, 6.0, "SS", "village") for n in range(80))
        )
        search = PlaceSearch(GazetteerGeocoder(many).index, None)
        assert len(search.search("bor", "SS", limit=3)) == 3
        assert len(search.search("bor", "SS")) == 10
        for short_or_long in ("bor", "bora"):  # from a table of short prefixes, or a scan of the names
            assert len(search.search(short_or_long, "SS", limit=500)) == MAX_LIMIT
        assert search.search("bor", "SS", limit=0) == []


class TestOptions:
    def test_a_settlement_has_precision_1_and_the_areas_its_point_lies_in(self) -> None:
        [yei] = [o for o in WITH_LAYERS.search("yei", "SS") if o.kind == "primary town"]
        assert (yei.lon, yei.lat, yei.precision, yei.pcode, yei.country) == (30.68, 4.09, 1, None, "SS")
        assert yei.areas.pcodes == {"adm1": "SS01", "adm2": "SS0101", "adm3": "SS010101"}

    def test_without_layers_a_settlement_keeps_the_areas_its_list_names(self) -> None:
        [yei] = WITHOUT_LAYERS.search("yei", "SS")[:1]
        assert (yei.precision, yei.areas.names, yei.areas.pcodes) == (1, CENTRAL_EQUATORIA, {})

    def test_an_admin_area_has_its_pcode_its_parents_and_no_child(self) -> None:
        county = next(o for o in WITH_LAYERS.search("yei", "SS") if o.kind == "adm2")
        assert (county.pcode, county.precision, county.country) == ("SS0101", 2, "SS")
        assert county.areas.pcodes == {"adm1": "SS01", "adm2": "SS0101"}
        [state] = WITH_LAYERS.search("central eq", "SS")
        assert (state.kind, state.precision, state.areas.pcodes) == ("adm1", 3, {"adm1": "SS01"})

    def test_an_admin_label_point_of_a_list_is_an_area_unless_a_layer_has_it(self) -> None:
        [label] = WITHOUT_LAYERS.search("mobaye", "CF")
        assert (label.kind, label.precision, label.pcode, label.lon) == ("adm2", 2, "CF611", 21.19)
        assert label.areas.pcodes == {"adm1": "CF61", "adm2": "CF611"}
        [polygon] = WITH_LAYERS.search("mobaye", "CF")
        assert (polygon.pcode, polygon.lon, polygon.lat) == ("CF611", 21.5, 4.5)

    def test_an_area_only_settlements_name_is_no_place_to_choose(self) -> None:
        # The geocoder derives a label point for Rubkona from the settlements in it: no polygon, no P-code.
        assert found("rubkona") == []
