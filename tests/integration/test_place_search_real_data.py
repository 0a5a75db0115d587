"""The reviewer's type-ahead (#16) on the real layers in ../shared/data: every boundary file, the South
Sudan settlement list, the OCHA P-code list and the CAR admin label points, on top of the embedded
GeoNames towns, as a deployment of every mission country would load them."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from geo.admin_areas import AdminAreas, level_number
from geo.geocoder import GazetteerGeocoder
from geo.loading import load_layers
from geo.place_search import PlaceSearch

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
GAZETTEERS = (
    "ssd_settlements_csds_mapaction_2015.csv",
    "ocha_global_pcodes_adm1_adm2_targets.csv",
    "caf_cod_ab_admin_centroids_adm1-3.csv",
)
if not (DATA / "boundaries").is_dir() or not all(
    (DATA / "gazetteer" / name).is_file() for name in GAZETTEERS
):
    pytest.skip(f"real layers not found in {DATA}", allow_module_level=True)


@pytest.fixture(scope="module")
def loaded() -> tuple[PlaceSearch, AdminAreas]:
    files = [*sorted((DATA / "boundaries").glob("*.geojson")), *(DATA / "gazetteer" / n for n in GAZETTEERS)]
    gazetteer, areas = load_layers(files)
    assert areas is not None
    return PlaceSearch(GazetteerGeocoder(gazetteer, locator=areas).index, areas), areas


def test_every_admin_area_offers_a_point_inside_itself_and_none_of_its_finer_areas(
    loaded: tuple[PlaceSearch, AdminAreas],
) -> None:
    _, areas = loaded
    listed = areas.admin_areas()
    assert (
        len(listed) > 700
    )  # 17 + 72 + 175 CAR, 26 + 240 DRC, 9 + 50 Mali, 10 + 78 South Sudan, 9 + 26 Lebanon
    for named in listed:
        option = areas.area(named.pcode)
        assert option is not None
        level = level_number(named.level)
        frame = areas.frame("admin", level)
        assert frame is not None
        polygon = frame.loc[frame["pcode"] == named.pcode].geometry.iloc[0]
        assert shapely.contains_xy(polygon, option.lon, option.lat), named
        assert (option.kind, option.pcode, option.precision) == (
            named.level,
            named.pcode,
            3 if level == 1 else 2,
        )
        assert max(level_number(key) for key in option.areas.pcodes) == level, named
        assert option.areas.pcodes[named.level] == named.pcode


@pytest.mark.parametrize(
    ("text", "country", "first"),
    [
        ("Tombouctou", "ML", ("Tombouctou", "adm1")),
        ("Nord-Kivu", "CD", ("Nord-Kivu", "adm1")),
        ("walikal", "CD", ("Walikale", "adm2")),
        ("Ouham", "CF", ("Ouham", "adm1")),
        ("bamba", "CF", ("Bambari", "town")),
        ("juba", "SS", ("Juba", "town")),
        ("Ouham-Pende", "CF", ("Ouham Pendé", "adm1")),
    ],
)
def test_places_and_areas_are_found_by_name_in_each_country(
    loaded: tuple[PlaceSearch, AdminAreas], text: str, country: str, first: tuple[str, str]
) -> None:
    search, _ = loaded
    options = search.search(text, country)
    assert (options[0].name, options[0].kind) == first
    assert {o.country for o in options} <= {country, None}


def test_a_later_word_of_a_name_finds_it(loaded: tuple[PlaceSearch, AdminAreas]) -> None:
    search, _ = loaded
    assert [o.name for o in search.search("kivu", "CD")][:2] == ["Sud-Kivu", "Nord-Kivu"]


def test_a_county_of_a_layer_without_parent_columns_gets_its_state_from_where_it_lies(
    loaded: tuple[PlaceSearch, AdminAreas],
) -> None:
    search, _ = loaded
    county = next(o for o in search.search("kajo k", "SS") if o.kind == "adm2")
    assert (county.name, county.pcode, county.precision) == ("Kajo-keji", "SS0102", 2)
    assert county.areas.pcodes == {"adm1": "SS01", "adm2": "SS0102"}
    assert county.areas.names["adm1"] == "Central Equatoria"
    town = next(o for o in search.search("kajo k", "SS") if o.precision == 1)
    assert (town.name, town.areas.pcodes["adm2"]) == ("Kajo Keji", "SS0102")
