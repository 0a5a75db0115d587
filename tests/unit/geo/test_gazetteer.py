from __future__ import annotations

from pathlib import Path

import pytest

from geo.gazetteer import (
    DEFAULT_COUNTRIES,
    AdminArea,
    Gazetteer,
    GazetteerEntry,
    GazetteerFormatError,
    PlaceAlias,
    combine_gazetteers,
    country_code,
    embedded_gazetteer,
    pcode_country,
    read_gazetteer_csv,
)
from geo.geocoder import GazetteerGeocoder
from geo.loading import load_layers
from geo.place_index import max_edits
from geo.placenames import normalise_place

pytestmark = pytest.mark.unit

GAZETTEER = GazetteerGeocoder(embedded_gazetteer(["SS", "CF", "CD", "ML", "SD"]))

MAPACTION_COLUMNS = (
    "OBJECTID,STATE_NAME,COUNTY_NAME,SETTLEMENT_NAME,ALTERNATIVE_NAME_1,ALTERNATIVE_NAME_2,"
    "ALTERNATIVE_NAME_3,FUNCTIONAL_CLASSIFICATION,CONFIDENCE,DATA_SOURCE,LATITUDE,LONGITUDE"
)
MAPACTION = f"""{MAPACTION_COLUMNS}
"278,993",Central Equatoria,Juba,Aru,,,,Village,20,WFP,4.36381490003845,31.98451079833560
"1,002",Central Equatoria,Kajo-Keji,Kajo Keji,Kajo-Keji,Kajo-Keji (Abaya School),,Town,20,WFP,3.85,31.65
"1,003",Unity,xxx,Padak/Baidit,,,,Village,20,WFP,9.1,29.9
"1,004",,, ,,,,Village,20,WFP,9.2,29.8
"1,005",Unity,Rubkona,"Mer Alath
Mer Alath",,,,Village,20,WFP,9.3,29.7
"1,006",Unity,Rubkona,Nowhere,,,,Village,20,WFP,,
"""
GEONAMES = """geonameid,name,country_code,admin1_code,admin1_name,admin2_name,latitude,longitude,population,\
alternatenames
373303,Juba,SS,01,Central Equatoria,,4.85165,31.58247,300000,JUB|Dzhuba|Juba|Ǧūbā|جوبا
2386012,Bossangoa,CF,04,Ouham,,6.49263,17.45518,38451,
"""
CENTROIDS = """admin_level,adm0_pcode,adm0_name,lat,lon,adm1_pcode,adm1_name,adm2_pcode,adm2_name,\
adm3_pcode,adm3_name,adm4_pcode,adm4_name
3,CF,République centrafricaine,4.36799,21.30508447,CF61,Basse-Kotto,CF611,Mobaye,CF6111,Mobaye,,
1,CF,République centrafricaine,4.5,21.0,CF61,Basse-Kotto,,,,,,
"""
PCODES = """Location,Admin Level,P-Code,Name,Parent P-Code,Valid from date
SSD,1,SS06,Unity,SSD,2023-08-29
SSD,2,SS0609,Rubkona,SS06,2023-08-29
CAF,1,CF11,Ombella M'Poko,CAF,2015-06-15
"""
ALIASES = """alias,place,lon,lat,country
Suk Sita,Juba,,,
Kilo 5,Kilo 5 checkpoint,31.6,4.8,SS
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_mapaction_settlement_list_is_read_with_its_alternative_names(tmp_path: Path) -> None:
    gazetteer = read_gazetteer_csv(write(tmp_path, "ssd_settlements.csv", MAPACTION))
    aru, kajo, padak, mer = gazetteer.entries
    assert (aru.name, aru.country, aru.kind, aru.lon, aru.lat) == (
        "Aru",
        "SS",
        "village",
        31.9845107983356,
        4.36381490003845,
    )
    assert aru.admin_names == {"adm1": "Central Equatoria", "adm2": "Juba"}
    assert aru.source == "ssd_settlements.csv"
    assert kajo.alternate_names == ("Kajo-Keji", "Kajo-Keji (Abaya School)", "Abaya School")
    assert (padak.alternate_names, padak.admin_names) == (("Padak", "Baidit"), {"adm1": "Unity"})
    assert mer.name == "Mer Alath"


def test_a_settlement_list_needs_a_country(tmp_path: Path) -> None:
    with pytest.raises(GazetteerFormatError, match="country"):
        read_gazetteer_csv(write(tmp_path, "settlements.csv", MAPACTION))
    assert read_gazetteer_csv(write(tmp_path, "s.csv", MAPACTION), country="SSD").entries[0].country == "SS"


def test_a_geonames_style_list_is_read_with_pipe_joined_names(tmp_path: Path) -> None:
    juba, bossangoa = read_gazetteer_csv(write(tmp_path, "cities.csv", GEONAMES)).entries
    assert (juba.country, juba.population, juba.kind) == ("SS", 300000, "town")
    assert juba.alternate_names == ("Dzhuba", "Ǧūbā", "جوبا")  # JUB is too short to trust
    assert juba.admin_names == {"adm1": "Central Equatoria"}
    assert (bossangoa.country, bossangoa.alternate_names) == ("CF", ())


def test_admin_label_points_are_read_as_areas_with_pcodes(tmp_path: Path) -> None:
    commune, prefecture = read_gazetteer_csv(write(tmp_path, "caf_centroids.csv", CENTROIDS)).entries
    assert (commune.name, commune.kind, commune.country) == ("Mobaye", "adm3", "CF")
    assert commune.pcodes == {"adm1": "CF61", "adm2": "CF611", "adm3": "CF6111"}
    assert (prefecture.kind, prefecture.pcodes) == ("adm1", {"adm1": "CF61"})


def test_a_pcode_list_is_read_as_admin_areas(tmp_path: Path) -> None:
    gazetteer = read_gazetteer_csv(write(tmp_path, "pcodes.csv", PCODES))
    assert gazetteer.areas == (
        AdminArea("SS", "adm1", "SS06", "Unity", "SSD"),
        AdminArea("SS", "adm2", "SS0609", "Rubkona", "SS06"),
        AdminArea("CF", "adm1", "CF11", "Ombella M'Poko", "CAF"),
    )
    assert gazetteer.entries == ()


def test_deployment_aliases_are_read(tmp_path: Path) -> None:
    gazetteer = read_gazetteer_csv(write(tmp_path, "ssd_aliases.csv", ALIASES))
    assert gazetteer.aliases == (
        PlaceAlias("Suk Sita", "Juba", "SS"),
        PlaceAlias("Kilo 5", "Kilo 5 checkpoint", "SS", 31.6, 4.8),
    )


def test_unknown_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(GazetteerFormatError, match="match no gazetteer format"):
        read_gazetteer_csv(write(tmp_path, "x.csv", "a,b\n1,2\n"))


def test_a_folder_of_gazetteers_is_read_whole(tmp_path: Path) -> None:
    write(tmp_path, "ssd_settlements.csv", MAPACTION)
    write(tmp_path, "ssd_aliases.csv", ALIASES)
    write(tmp_path, "pcodes.csv", PCODES)
    gazetteer, areas = load_layers([tmp_path], embedded=False)
    assert (len(gazetteer.entries), len(gazetteer.aliases), len(gazetteer.areas)) == (4, 2, 3)
    assert areas is None
    assert combine_gazetteers([gazetteer, Gazetteer()]) == gazetteer


def test_settlements_pcodes_and_aliases_work_together(tmp_path: Path) -> None:
    loaded = combine_gazetteers(
        read_gazetteer_csv(write(tmp_path, name, text))
        for name, text in (
            ("ssd_s.csv", MAPACTION),
            ("ssd_a.csv", ALIASES),
            ("p.csv", PCODES),
            ("g.csv", GEONAMES),
        )
    )
    geocoder = GazetteerGeocoder(loaded)
    market = geocoder.geocode("looting at Suk Sita", "SS")
    assert market is not None
    assert (market.name, market.how) == ("Juba", "alias")
    mer = geocoder.geocode("Mer Alath", "SS")
    assert mer is not None
    assert mer.pcodes == {"adm1": "SS06", "adm2": "SS0609"}


@pytest.mark.parametrize(
    ("code", "iso2"), [("SSD", "SS"), ("ss", "SS"), ("CF41", "CF"), ("XKX", "XK"), ("COD", "CD")]
)
def test_country_codes(code: str, iso2: str) -> None:
    assert country_code(code) == iso2


@pytest.mark.parametrize(
    ("pcode", "iso2"),
    [
        ("CF411", "CF"),
        ("ss0609", "SS"),
        ("ML0901", "ML"),
        ("ssd_adm2_geoboundaries:kajo-keji", "SS"),
        ("lbn_adm1_geoboundaries:beirut", "LB"),
        ("boundaries:yei", None),  # a synthetic code of a file not named after its country
        ("XA", None),
    ],
)
def test_the_country_of_a_pcode(pcode: str, iso2: str | None) -> None:
    assert pcode_country(pcode) == iso2


def test_short_names_allow_fewer_edits() -> None:
    assert [max_edits(n) for n in (2, 3, 4, 5, 8, 9, 12)] == [0, 1, 1, 2, 2, 3, 3]


def test_the_embedded_default_covers_the_mission_countries() -> None:
    gazetteer = embedded_gazetteer(DEFAULT_COUNTRIES)
    countries = {e.country for e in gazetteer.entries}
    assert countries == set(DEFAULT_COUNTRIES)
    assert all(isinstance(e, GazetteerEntry) and e.source == "geonames" for e in gazetteer.entries)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("Kaga-Bandoro", "kaga bandoro"), ("Ségou", "segou"), ("  BENTIU,PoC ", "bentiu poc")],
)
def test_place_names_are_normalised(raw: str, normal: str) -> None:
    assert normalise_place(raw) == normal


@pytest.mark.parametrize(
    ("text", "country", "town", "precision"),
    [
        ("armed men near Yei market", "SS", "Yei", 2),
        ("route de kaga bandoro coups de feu", "CF", "Kaga-Bandoro", 2),
        ("SEGOU hommes armes", "ML", "Ségou", 1),
        ("fighting in Goma since morning", "CD", "Goma", 1),
        ("shooting in Malakl", "SS", "Malakal", 1),
    ],
)
def test_a_town_named_in_the_text_is_found_with_its_position(
    text: str, country: str, town: str, precision: int
) -> None:
    match = GAZETTEER.geocode(text, country)
    assert match is not None
    assert (match.name, match.country, match.precision) == (town, country, precision)
    assert -180 <= match.lon <= 180
    assert -90 <= match.lat <= 90


def test_text_without_a_known_place_finds_nothing() -> None:
    assert GAZETTEER.geocode("they came at night", "SS") is None
