"""The geocoder on the real MapAction South Sudan settlement list (10,959 places) in ../shared/data (R39)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from geo.gazetteer import GazetteerEntry, combine_gazetteers, read_gazetteer_csv
from geo.geocode import run
from geo.geocoder import GazetteerGeocoder, GeocodeResult, distance_km
from geo.loading import load_layers
from geo.placenames import normalise_place

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SETTLEMENTS = DATA / "gazetteer" / "ssd_settlements_csds_mapaction_2015.csv"
PCODES = DATA / "gazetteer" / "ocha_global_pcodes_adm1_adm2_targets.csv"
BOUNDARIES = DATA / "boundaries"
if not SETTLEMENTS.is_file():
    pytest.skip(f"real gazetteer files not found in {SETTLEMENTS.parent}", allow_module_level=True)


@pytest.fixture(scope="module")
def entries() -> tuple[GazetteerEntry, ...]:
    return read_gazetteer_csv(SETTLEMENTS).entries


@pytest.fixture(scope="module")
def geocoder(entries: tuple[GazetteerEntry, ...]) -> GazetteerGeocoder:
    gazetteer = combine_gazetteers([read_gazetteer_csv(SETTLEMENTS), read_gazetteer_csv(PCODES)])
    return GazetteerGeocoder(gazetteer)


def place(entries: tuple[GazetteerEntry, ...], name: str, county: str | None = None) -> GazetteerEntry:
    [entry] = [
        e
        for e in entries
        if normalise_place(e.name) == normalise_place(name)
        and (county is None or e.admin_names.get("adm2") == county)
        and e.kind != "idp"
    ]
    return entry


def close_to(result: GeocodeResult | None, entry: GazetteerEntry, km: float = 5.0) -> bool:
    assert result is not None
    return distance_km(result.lon, result.lat, entry.lon, entry.lat) <= km


def test_the_whole_list_is_read(entries: tuple[GazetteerEntry, ...]) -> None:
    assert len(entries) > 10_700  # 10,959 rows less those without a name
    assert {e.country for e in entries} == {"SS"}
    assert all(-180 <= e.lon <= 180 and -90 <= e.lat <= 90 for e in entries)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("armed men near Kapeta", "Kapoeta"),  # vowel dropped
        ("shooting in Ymabio", "Yambio"),  # letters swapped
        ("Chukdum market", "Chukudum"),
        ("route de Lomothnig", "Lomothing"),
        ("KODKO", "Kodok"),
        ("Pibbor village", "Pibor"),  # letter doubled
        ("near Rnek", "Renk"),
    ],
)
def test_misspelled_names_resolve_within_5_km(
    geocoder: GazetteerGeocoder, entries: tuple[GazetteerEntry, ...], text: str, name: str
) -> None:
    assert close_to(geocoder.geocode(text, "SS"), place(entries, name))


@pytest.mark.parametrize(
    ("text", "name"), [("Kâpoeta", "Kapoeta"), ("près de Yàmbío", "Yambio"), ("Chùkùdum", "Chukudum")]
)
def test_accented_names_resolve(
    geocoder: GazetteerGeocoder, entries: tuple[GazetteerEntry, ...], text: str, name: str
) -> None:
    assert close_to(geocoder.geocode(text, "SS"), place(entries, name))


@pytest.mark.parametrize(
    ("text", "name"), [("5eirulah", "Kheirulah"), ("7ai gabat", "Hai Gabat"), ("cha3'ari", "Chaghari")]
)
def test_arabizi_variants_resolve(
    geocoder: GazetteerGeocoder, entries: tuple[GazetteerEntry, ...], text: str, name: str
) -> None:
    assert close_to(geocoder.geocode(text, "SS"), place(entries, name))


@pytest.mark.parametrize(
    ("name", "counties"),
    [
        ("Mangara", ("Juba", "Renk")),
        ("Murgan", ("Juba", "Jur River")),
        ("Maleit", ("Terekeka", "Gogrial West")),
    ],
)
def test_a_name_shared_by_two_villages_is_resolved_by_the_reporters_county(
    geocoder: GazetteerGeocoder, entries: tuple[GazetteerEntry, ...], name: str, counties: tuple[str, str]
) -> None:
    for county in counties:
        village = place(entries, name, county)
        result = geocoder.geocode(f"armed men near {name}", "SS", home_area=county)
        assert close_to(result, village)
        assert result is not None
        assert (result.names["adm2"], result.precision) == (county, 2)
        assert result.confidence > 0.75  # near-misses in her county (Mangalla for Mangara) stay rivals
        [other] = [c for c in counties if c != county]
        assert any(a.names.get("adm2") == other and a.how == "exact" for a in result.alternatives)


def test_a_shared_name_is_also_resolved_by_the_county_named_in_the_text(
    geocoder: GazetteerGeocoder, entries: tuple[GazetteerEntry, ...]
) -> None:
    assert close_to(geocoder.geocode("Maleit, Gogrial West", "SS"), place(entries, "Maleit", "Gogrial West"))
    assert close_to(geocoder.geocode("Malet in Terekeka county", "SS"), place(entries, "Maleit", "Terekeka"))


def test_without_context_a_shared_name_is_uncertain(geocoder: GazetteerGeocoder) -> None:
    result = geocoder.geocode("Mangara", "SS")
    assert result is not None
    assert result.confidence < 0.7
    assert len(result.alternatives) >= 1


def test_pcodes_are_joined_from_the_ocha_list(geocoder: GazetteerGeocoder) -> None:
    result = geocoder.geocode("Kapoeta", "SS")
    assert result is not None
    assert result.pcodes == {"adm1": "SS02", "adm2": "SS0205"}
    assert result.names == {"adm1": "Eastern Equatoria", "adm2": "Kapoeta South"}


def test_gibberish_is_unresolved(geocoder: GazetteerGeocoder) -> None:
    assert geocoder.geocode("they came at night", "SS") is None


@pytest.mark.skipif(not BOUNDARIES.is_dir(), reason="no boundary files")
def test_the_cli_with_gazetteer_and_boundary_layers(entries: tuple[GazetteerEntry, ...]) -> None:
    notes: list[str] = []
    gazetteer, locator = load_layers(
        [
            SETTLEMENTS,
            PCODES,
            BOUNDARIES / "ssd_adm1_geoboundaries.geojson",
            BOUNDARIES / "ssd_adm2_geoboundaries.geojson",
        ],
        report=notes.append,
    )
    assert locator is not None, notes
    out = io.StringIO()
    lines = [
        json.dumps({"id": 1, "text": "near Murgan", "reporter_area": "Jur River"}),
        json.dumps({"id": 2, "text": "Bentiu"}),
    ]
    assert run(GazetteerGeocoder(gazetteer, locator=locator), "SS", lines, out) == 0
    murgan, bentiu = (json.loads(line) for line in out.getvalue().splitlines())
    truth = place(entries, "Murgan", "Jur River")
    assert distance_km(murgan["lon"], murgan["lat"], truth.lon, truth.lat) < 5
    assert murgan["precision"] == 2
    assert murgan["pcodes"]["adm1"] == "SS09"
    assert (bentiu["place"], bentiu["pcodes"], bentiu["precision"]) == (
        "Bentiu",
        {"adm1": "SS06", "adm2": "SS0609"},
        1,
    )


MISSION_SITES = DATA / "missions" / "un_mission_sites_geopko_v2.3_summary.csv"


@pytest.mark.skipif(not MISSION_SITES.exists(), reason="../shared/data/missions not available")
def test_unmiss_team_sites_are_found_where_the_mission_placed_them() -> None:
    import csv

    gazetteer, locator = load_layers([SETTLEMENTS])
    geocoder = GazetteerGeocoder(gazetteer, locator=locator)
    with MISSION_SITES.open(encoding="utf-8") as f:
        sites = [row for row in csv.DictReader(f) if row["country"] == "South Sudan"]
    found = {row["location"]: geocoder.geocode(row["location"], "SS") for row in sites}
    assert all(place is not None for place in found.values()), [
        name for name, p in found.items() if p is None
    ]
    near = [
        row["location"]
        for row in sites
        if (place := found[row["location"]]) is not None
        and distance_km(place.lon, place.lat, float(row["longitude"]), float(row["latitude"])) <= 10
    ]
    # Some site names are shared by several settlements (Leer, Pariang): text alone cannot tell them apart.
    assert len(near) / len(sites) >= 0.85, sorted(set(found) - set(near))
