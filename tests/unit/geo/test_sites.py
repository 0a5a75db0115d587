"""Team sites for patrol maps: site_… point layers among the deployment's layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.crs import WGS84
from geo.layers import LayerError
from geo.loading import load_layers
from geo.sites import read_site_layers, read_sites

pytestmark = pytest.mark.unit

SHARED_SITES = (
    Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "missions"
    / "un_mission_sites_geopko_v2.3_summary.csv"
)  # fmt: skip


def test_a_geopko_shaped_csv_gives_named_points(tmp_path: Path) -> None:
    path = tmp_path / "site_minusca.csv"
    path.write_text(
        "mission,location,latitude,longitude\n"
        "MINUSCA,Bria,6.5375,21.986\n"
        "MINUSCA,Bria,6.5375,21.986\n"  # the same base in another mission year
        "MINUSCA,Nowhere,,\n"
        "MINUSCA,,6.0,20.0\n"
        "MINUSCA,Kaga-Bandoro,6.98,19.18\n",
        encoding="utf-8",
    )
    sites = read_sites(path)
    assert sites.crs == WGS84
    assert sites["name"].tolist() == ["Bria", "Kaga-Bandoro"]
    assert sites.geometry.iloc[0].equals(Point(21.986, 6.5375))


def test_a_point_layer_is_read_in_wgs84(tmp_path: Path) -> None:
    path = tmp_path / "site_bases.geojson"
    gpd.GeoDataFrame({"name": ["Bentiu"]}, geometry=[Point(29.8, 9.23)], crs=WGS84).to_crs(32635).to_file(
        path
    )
    sites = read_sites(path)
    assert sites.crs == WGS84
    assert sites.geometry.iloc[0].x == pytest.approx(29.8)


def test_a_file_without_a_name_column_is_refused_precisely(tmp_path: Path) -> None:
    path = tmp_path / "site_bad.csv"
    path.write_text("latitude,longitude\n1,2\n", encoding="utf-8")
    with pytest.raises(LayerError, match="no name column"):
        read_sites(path)


def test_only_site_files_are_sites_and_geocoding_ignores_them(tmp_path: Path) -> None:
    (tmp_path / "site_bases.csv").write_text("name,lat,lon\nBor,6.2,31.56\n", encoding="utf-8")
    assert read_site_layers([tmp_path / "other.csv"]) is None
    sites = read_site_layers(sorted(tmp_path.iterdir()))
    assert sites is not None
    assert sites["name"].tolist() == ["Bor"]
    messages: list[str] = []
    _, areas = load_layers([tmp_path], embedded=False, report=messages.append)
    assert messages == []  # not read as a gazetteer
    assert areas is None  # nor as boundaries


@pytest.mark.skipif(not SHARED_SITES.exists(), reason="../shared/data is not beside the repository")
def test_the_real_un_mission_sites_table_reads() -> None:
    sites = read_sites(SHARED_SITES)
    assert len(sites) > 100
    assert {"Bria", "Birao"} <= set(sites["name"])
