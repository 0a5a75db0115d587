"""Vector exports of a hotspot product (DOMAIN §7.3–7.5; R35–R38, R45–R47).

Every format is read back twice: by geopandas/pyogrio (the bundled GDAL) and by the system's ``ogrinfo``
(Debian's GDAL) as an independent reader; the ogrinfo tests skip where it is not installed.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.exports import (
    CSV_COLUMNS,
    CSV_STATEMENT,
    EXPORT_FORMATS,
    FIGURES,
    FORMATS,
    HXL_TAGS,
    SHAPEFILE_FIELDS,
    export_format,
    kml_colour,
    write_vector,
)
from geo.products import (
    CELL_COLUMNS,
    HOTSPOT_CLASSES,
    INCIDENT_COLUMNS,
    HotspotProduct,
    empty_incidents,
)
from tests.unit.geo.product_fixture import empty_cells, make_cells, make_incidents, make_product

pytestmark = pytest.mark.unit

OGRINFO = shutil.which("ogrinfo")
needs_ogrinfo = pytest.mark.skipif(OGRINFO is None, reason="GDAL's ogrinfo (gdal-bin) is not installed")

KML = "{http://www.opengis.net/kml/2.2}"
SUPPRESSED_CELL = "g1_1"
N_CELLS, N_INCIDENTS = 6, 3


def ogrinfo(*args: str | Path) -> str:
    assert OGRINFO is not None
    done = subprocess.run(
        [OGRINFO, *map(str, args)], capture_output=True, text=True, check=True, timeout=60, encoding="utf-8"
    )
    return done.stdout


def export(tmp_path: Path, fmt: str, product: HotspotProduct | None = None, name: str = "hotspots") -> Path:
    spec = EXPORT_FORMATS[fmt]
    return write_vector(product or make_product(), fmt, tmp_path / spec.filename(name))


def read_cells(path: Path, fmt: str) -> pd.DataFrame:
    """The cell records of an export as a plain frame keyed by ``cell_id``."""
    if fmt == "geojson":
        frame = gpd.read_file(path)
        if frame.empty:  # GeoJSON has no schema apart from its features
            return pd.DataFrame(columns=["cell_id"]).set_index("cell_id")
        frame = frame[frame["layer"] == "cell"]
    elif fmt == "kml":
        frame = gpd.read_file(path, layer="Hotspot cells")
    elif fmt in ("gpkg", "shp"):
        frame = gpd.read_file(path, layer="hotspot_cells")
    else:
        frame = pd.read_csv(path, skiprows=[1], dtype={"cell_id": "string"})
        frame = frame[frame["record"] == "cell"]
    return pd.DataFrame(frame).set_index("cell_id")


def kml_document(path: Path) -> ET.Element:
    document = ET.parse(path).getroot().find(f"{KML}Document")
    assert document is not None
    return document


def kml_data(element: ET.Element) -> dict[str, str]:
    data = element.find(f"{KML}ExtendedData")
    assert data is not None
    return {d.get("name", ""): d.findtext(f"{KML}value", "") for d in data.findall(f"{KML}Data")}


def kml_folder(document: ET.Element, name: str) -> ET.Element | None:
    for folder in document.findall(f"{KML}Folder"):
        if folder.findtext(f"{KML}name") == name:
            return folder
    return None


# -- the format table ------------------------------------------------------------------------------------


def test_formats_table() -> None:
    assert FORMATS == ("geojson", "kml", "gpkg", "shp", "csv")
    assert {f: (EXPORT_FORMATS[f].suffix, EXPORT_FORMATS[f].media_type) for f in FORMATS} == {
        "geojson": (".geojson", "application/geo+json"),
        "kml": (".kml", "application/vnd.google-earth.kml+xml"),
        "gpkg": (".gpkg", "application/geopackage+sqlite3"),
        "shp": (".shp.zip", "application/zip"),
        "csv": (".csv", "text/csv; charset=utf-8"),
    }
    assert export_format(" GeoJSON ") is EXPORT_FORMATS["geojson"]
    assert EXPORT_FORMATS["shp"].filename("unity-2026-10") == "unity-2026-10.shp.zip"


@pytest.mark.parametrize("fmt", ["pdf", "kmz", "", "geo json"])
def test_unknown_format_rejected(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(ValueError, match="unknown export format") as raised:
        write_vector(make_product(), fmt, tmp_path / "out")
    assert all(name in str(raised.value) for name in FORMATS)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_writes_where_asked_and_leaves_no_temporary_file(tmp_path: Path, fmt: str) -> None:
    written = export(tmp_path, fmt)
    assert written.name == EXPORT_FORMATS[fmt].filename("hotspots")
    again = export(tmp_path, fmt)  # an existing file is replaced, not added to
    assert again == written
    assert [p.name for p in tmp_path.iterdir()] == [written.name]
    assert len(read_cells(written, fmt)) == N_CELLS


def test_shapefile_path_gets_zip(tmp_path: Path) -> None:
    assert write_vector(make_product(), "shp", tmp_path / "a.shp").name == "a.shp.zip"
    assert write_vector(make_product(), "shp", tmp_path / "b").name == "b.zip"
    assert write_vector(make_product(), "shp", tmp_path / "c.zip").name == "c.zip"


# -- the statement every product carries (R38, R47) ----------------------------------------------------


def statement_of(path: Path, fmt: str) -> dict[str, str]:
    """What a file says about itself, read the way its users would find it."""
    if fmt == "geojson":
        product = json.loads(path.read_text(encoding="utf-8"))["product"]
        return {
            "sensitivity": product["sensitivity"],
            "period": product["period"],
            "categories": ", ".join(product["categories"]),
            "suppressed": str(product["suppressed_cells"]),
            "caveat": product["caveat"],
        }
    if fmt == "kml":
        data = kml_data(kml_document(path))
        return {
            "sensitivity": data["sensitivity"],
            "period": data["period"],
            "categories": data["categories"],
            "suppressed": data["suppressed_cells"],
            "caveat": data["caveat"],
        }
    if fmt == "gpkg":
        meta = pyogrio.read_info(path, layer="hotspot_cells")["dataset_metadata"]
        table = pyogrio.read_dataframe(path, layer="product_info").set_index("key")["value"]
        assert table["sensitivity"] == meta["SENSITIVITY"]
        return {
            "sensitivity": meta["SENSITIVITY"],
            "period": meta["PERIOD"],
            "categories": table["categories"],
            "suppressed": table["suppressed_cells"],
            "caveat": meta["CAVEAT"],
        }
    if fmt == "shp":
        with zipfile.ZipFile(path) as archive:
            readme = archive.read("README.txt").decode("utf-8").splitlines()
        assert gpd.read_file(path, layer="hotspot_cells")["marking"].eq(readme[0]).all()
        found = {line.split(": ", 1)[0]: line.split(": ", 1)[-1] for line in readme}
        return {
            "sensitivity": readme[0],
            "period": found["Period"],
            "categories": found["Categories"],
            "suppressed": found["Suppressed cells (fewer than 3 reports)"],
            "caveat": found["Caveat"],
        }
    rows = pd.read_csv(path, skiprows=[1], dtype="string")
    assert len(rows[list(CSV_STATEMENT)].drop_duplicates()) == 1  # the same on every row
    first = rows.iloc[0]
    return {
        "sensitivity": first["sensitivity"],
        "period": f"{first['period_start']} – {first['period_end']}",
        "categories": first["categories"],
        "suppressed": first["suppressed_cells"],
        "caveat": first["caveat"],
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("points", [True, False], ids=["points", "no-points"])
def test_every_format_states_marking_period_categories_suppression_and_caveat(
    tmp_path: Path, fmt: str, points: bool
) -> None:
    product = make_product(points=points, sensitivity="PARTNER", categories=("VAW", "THR"))
    path = write_vector(product, fmt, tmp_path / EXPORT_FORMATS[fmt].filename("p"))
    assert statement_of(path, fmt) == {
        "sensitivity": "PARTNER",
        "period": "2026-10-01 – 2026-10-31",
        "categories": "VAW, THR",
        "suppressed": "1",
        "caveat": "reported incidents, not prevalence",
    }


# -- suppression and what never leaves (R35–R37) ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_suppressed_cells_carry_no_figures(tmp_path: Path, fmt: str) -> None:
    cells = read_cells(export(tmp_path, fmt), fmt)
    suppressed = cells.loc[SUPPRESSED_CELL]
    assert suppressed["hotspot"] == "suppressed"
    for figure in FIGURES:
        assert figure not in cells.columns or pd.isna(suppressed[figure]), figure
    assert not pd.isna(cells.loc["g0_0", "reports"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_figures_left_in_a_suppressed_cell_are_not_written(tmp_path: Path, fmt: str) -> None:
    cells = make_cells()
    leak = cells["cell_id"] == SUPPRESSED_CELL
    cells.loc[leak, "reports"] = 2
    cells.loc[leak, "gi_z"] = 1.23
    product = HotspotProduct(info=make_product().info, cells=cells, incidents=make_incidents())
    suppressed = read_cells(export(tmp_path, fmt, product), fmt).loc[SUPPRESSED_CELL]
    assert all(pd.isna(suppressed.get(figure)) for figure in FIGURES)


def file_text(path: Path) -> str:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return "".join(archive.read(name).decode("latin-1") for name in archive.namelist())
    return path.read_bytes().decode("latin-1")


@pytest.mark.parametrize("fmt", FORMATS)
def test_only_the_contract_columns_are_written(tmp_path: Path, fmt: str) -> None:
    """R35: a column a caller slipped in (a reporter key, a narrative) never reaches a file."""
    cells = make_cells().assign(narrative="NARRATIVE-SENTINEL")
    incidents = make_incidents().assign(reporter_key="KEY-SENTINEL", text="NARRATIVE-SENTINEL")
    product = HotspotProduct(info=make_product().info, cells=cells, incidents=incidents)
    text = file_text(export(tmp_path, fmt, product))
    assert "SENTINEL" not in text
    assert "reporter_key" not in text
    assert "narrative" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_product_without_points(tmp_path: Path, fmt: str) -> None:
    path = export(tmp_path, fmt, make_product(points=False))
    assert len(read_cells(path, fmt)) == N_CELLS
    if fmt == "geojson":
        layers = {f["properties"]["layer"] for f in json.loads(path.read_text())["features"]}
        assert layers == {"cell"}
    elif fmt == "kml":
        assert kml_folder(kml_document(path), "Incidents") is None
    elif fmt == "gpkg":
        info = pyogrio.read_info(path, layer="incidents")
        assert (info["features"], info["geometry_type"]) == (0, "Point")
        assert list(info["fields"]) == list(INCIDENT_COLUMNS)
        assert info["ogr_types"][INCIDENT_COLUMNS.index("incident_id")] == "OFTString"
    elif fmt == "shp":
        with zipfile.ZipFile(path) as archive:
            assert not [n for n in archive.namelist() if n.startswith("incidents.")]
    else:
        assert set(pd.read_csv(path, skiprows=[1])["record"]) == {"cell"}


# -- GeoJSON ----------------------------------------------------------------------------------------------


def test_geojson_is_rfc7946_lon_lat_without_crs(tmp_path: Path) -> None:
    data = json.loads(export(tmp_path, "geojson").read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data
    assert "UN RESTRICTED" in data["description"]
    assert "reported incidents, not prevalence" in data["description"]
    features = data["features"]
    assert [f["properties"]["layer"] for f in features] == ["cell"] * N_CELLS + ["incident"] * N_INCIDENTS
    first_incident = features[N_CELLS]
    assert first_incident["geometry"] == {"type": "Point", "coordinates": [29.81, 9.21]}  # lon, lat
    assert first_incident["properties"]["incident_id"] == "INC-101"
    for feature in features[:N_CELLS]:
        shape = shapely.geometry.shape(feature["geometry"])
        for polygon in getattr(shape, "geoms", [shape]):
            assert polygon.exterior.is_ccw  # RFC 7946 §3.1.6: exterior rings counterclockwise
        lon, lat = shape.centroid.x, shape.centroid.y
        assert 29 < lon < 31
        assert 9 < lat < 10


def test_geojson_round_trip(tmp_path: Path) -> None:
    path = export(tmp_path, "geojson")
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 4326
    cells, incidents = frame[frame["layer"] == "cell"], frame[frame["layer"] == "incident"]
    assert set(cells.geom_type) == {"Polygon", "MultiPolygon"}
    assert set(incidents.geom_type) == {"Point"}
    assert set(CELL_COLUMNS) | set(INCIDENT_COLUMNS) | {"layer"} == set(frame.columns) - {"geometry"}
    assert cells.set_index("cell_id").loc["g0_0", "reports"] == 14
    assert incidents.set_index("incident_id").loc["INC-103", "adm2_name"] == "Guit – Ñyal"
    assert pyogrio.read_info(path)["layer_metadata"]["DESCRIPTION"].startswith("UN RESTRICTED\n")


@needs_ogrinfo
def test_geojson_read_by_ogrinfo(tmp_path: Path) -> None:
    path = export(tmp_path, "geojson")
    summary = ogrinfo("-ro", "-al", "-so", path)
    assert f"Feature Count: {N_CELLS + N_INCIDENTS}" in summary
    assert "DESCRIPTION=UN RESTRICTED" in summary
    for column in ("layer", *CELL_COLUMNS, *INCIDENT_COLUMNS):
        assert re.search(rf"^{column}: ", summary, re.M), column
    full = ogrinfo("-ro", "-al", path)
    assert full.count("POLYGON") + full.count("MULTIPOLYGON") >= N_CELLS
    assert "POINT (29.81 9.21)" in full
    assert "Caveat: reported incidents, not prevalence" in full


# -- KML --------------------------------------------------------------------------------------------------


def luminance(kml: str) -> float:
    """Relative brightness of an aabbggrr colour."""
    b, g, r = (int(kml[i : i + 2], 16) for i in (2, 4, 6))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_kml_styles_one_per_class(tmp_path: Path) -> None:
    document = kml_document(export(tmp_path, "kml"))
    styles = {s.get("id"): s for s in document.findall(f"{KML}Style")}
    assert len(document.findall(f"{KML}Style")) == len(styles)
    assert set(styles) == {*HOTSPOT_CLASSES, "incident"}

    def poly(cls: str) -> str:
        return styles[cls].findtext(f"{KML}PolyStyle/{KML}color", "")

    for cls in HOTSPOT_CLASSES:
        if cls != "not_significant":
            assert re.fullmatch(r"[0-9a-f]{8}", poly(cls)), cls
    assert luminance(poly("hot_99")) < luminance(poly("hot_95")) < luminance(poly("hot_90"))
    assert luminance(poly("cold_99")) < luminance(poly("cold_95")) < luminance(poly("cold_90"))
    red, blue = poly("hot_99"), poly("cold_99")
    assert int(red[6:8], 16) > int(red[2:4], 16)  # aabbggrr: red above blue
    assert int(blue[2:4], 16) > int(blue[6:8], 16)
    assert styles["not_significant"].findtext(f"{KML}PolyStyle/{KML}fill") == "0"
    assert int(poly("suppressed")[:2], 16) < 0x80  # translucent
    assert kml_colour("#b2182b", 0xB3) == "b32b18b2"
    assert kml_colour("#2166ac") == "ffac6621"


def test_kml_document_and_placemarks(tmp_path: Path) -> None:
    document = kml_document(export(tmp_path, "kml"))
    assert document.findtext(f"{KML}name") == "UN RESTRICTED – Hotspots – Unity, October 2026"
    description = document.findtext(f"{KML}description", "")
    assert "Caveat: reported incidents, not prevalence" in description
    assert "Period: 2026-10-01 – 2026-10-31" in description
    style_ids = {f"#{s.get('id')}" for s in document.findall(f"{KML}Style")}

    cells = kml_folder(document, "Hotspot cells")
    assert cells is not None
    placemarks = cells.findall(f"{KML}Placemark")
    assert len(placemarks) == N_CELLS
    by_id = {kml_data(p)["cell_id"]: p for p in placemarks}
    hot = by_id["g0_0"]
    assert hot.findtext(f"{KML}name") == "Hot spot, 99% confidence: 14 reports"
    assert hot.findtext(f"{KML}styleUrl") == "#hot_99"
    assert kml_data(hot) == {
        "sensitivity": "UN RESTRICTED",
        "cell_id": "g0_0",
        "adm1_pcode": "SS07",
        "adm1_name": "Unity",
        "adm2_pcode": "SS0708",
        "adm2_name": "Rubkona",
        "reports": "14",
        "weighted": "31.0",
        "gi_z": "3.41",
        "gi_p": "0.001",
        "gi_bin": "3",
        "hotspot": "hot_99",
        "trend": "1",
        "suppressed": "false",
    }
    assert by_id[SUPPRESSED_CELL].findtext(f"{KML}name") == "Suppressed: fewer than 3 reports"
    assert by_id["g2_1"].find(f"{KML}MultiGeometry") is not None
    assert {p.findtext(f"{KML}styleUrl") for p in placemarks} <= style_ids
    ring = hot.findtext(f".//{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates", "")
    assert ring.split()[0] == "29.85,9.2"  # lon,lat

    incidents = kml_folder(document, "Incidents")
    assert incidents is not None
    points = incidents.findall(f"{KML}Placemark")
    assert len(points) == N_INCIDENTS
    assert points[0].findtext(f"{KML}Point/{KML}coordinates") == "29.81,9.21"
    assert points[0].findtext(f"{KML}TimeStamp/{KML}when") == "2026-10-03"
    assert points[0].findtext(f"{KML}styleUrl") == "#incident"
    assert kml_data(points[2])["adm2_name"] == "Guit – Ñyal"
    assert "credibility" not in kml_data(points[2])  # nulls are left out, not written as text


def test_kml_round_trip(tmp_path: Path) -> None:
    path = export(tmp_path, "kml")
    assert [name for name, _ in pyogrio.list_layers(path)] == ["Hotspot cells", "Incidents"]
    cells = gpd.read_file(path, layer="Hotspot cells")
    assert len(cells) == N_CELLS
    assert set(cells.geom_type) == {"Polygon", "MultiPolygon"}
    assert set(cells["hotspot"]) == set(make_cells()["hotspot"])
    incidents = gpd.read_file(path, layer="Incidents")
    assert list(incidents.geom_type) == ["Point"] * N_INCIDENTS
    assert (incidents.geometry.x[0], incidents.geometry.y[0]) == (29.81, 9.21)


@needs_ogrinfo
def test_kml_read_by_ogrinfo(tmp_path: Path) -> None:
    path = export(tmp_path, "kml")
    summary = ogrinfo("-ro", "-al", "-so", path)
    assert "Layer name: Hotspot cells" in summary
    assert "Layer name: Incidents" in summary
    assert f"Feature Count: {N_CELLS}" in summary
    assert f"Feature Count: {N_INCIDENTS}" in summary
    for column in ("sensitivity", *CELL_COLUMNS):
        assert re.search(rf"^{column}: ", summary, re.M), column
    full = ogrinfo("-ro", "-al", path)
    assert "sensitivity (String) = UN RESTRICTED" in full
    assert "Style = @hot_99" in full
    assert "POINT (29.81 9.21)" in full


# -- GeoPackage -------------------------------------------------------------------------------------------


def test_gpkg_layers_and_metadata(tmp_path: Path) -> None:
    path = export(tmp_path, "gpkg")
    assert {name: kind for name, kind in pyogrio.list_layers(path)} == {
        "hotspot_cells": "MultiPolygon",  # one admin-area cell has two parts
        "incidents": "Point",
        "product_info": None,
    }
    cells = gpd.read_file(path, layer="hotspot_cells")
    assert list(cells.columns) == [*CELL_COLUMNS, "geometry"]  # long names kept
    assert cells.crs.to_epsg() == 4326
    assert cells.set_index("cell_id").loc["g0_0", "gi_p"] == 0.001
    incidents = gpd.read_file(path, layer="incidents")
    assert list(incidents.columns) == [*INCIDENT_COLUMNS, "geometry"]
    assert incidents.set_index("incident_id").loc["INC-103", "adm2_name"] == "Guit – Ñyal"
    info = pyogrio.read_info(path, layer="incidents")
    assert info["layer_metadata"]["SENSITIVITY"] == "UN RESTRICTED"
    assert (
        info["dataset_metadata"]["STATEMENT"].splitlines()[-1] == "Caveat: reported incidents, not prevalence"
    )


@needs_ogrinfo
def test_gpkg_read_by_ogrinfo(tmp_path: Path) -> None:
    path = export(tmp_path, "gpkg")
    done = subprocess.run(
        [str(OGRINFO), "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True, timeout=60
    )
    assert "Warning" not in done.stderr  # GeoPackage 1.3: no "partially supported" from older GDAL
    summary = done.stdout
    for layer, kind in [("hotspot_cells", "Multi Polygon"), ("incidents", "Point"), ("product_info", "None")]:
        assert re.search(rf"Layer name: {layer}\n(?:.*\n)*?Geometry: {kind}\n", summary), layer
    assert f"Feature Count: {N_CELLS}" in summary
    assert "SENSITIVITY=UN RESTRICTED" in summary
    assert "CAVEAT=reported incidents, not prevalence" in summary
    for column in (*CELL_COLUMNS, *INCIDENT_COLUMNS):
        assert re.search(rf"^{column}: ", summary, re.M), column
    full = ogrinfo("-ro", "-al", path, "product_info")
    assert "value (String) = UN RESTRICTED" in full


# -- Shapefile --------------------------------------------------------------------------------------------


def test_shapefile_zip_members_and_field_names(tmp_path: Path) -> None:
    path = export(tmp_path, "shp")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        extensions = ("shp", "shx", "dbf", "prj", "cpg")
        assert names == {"README.txt"} | {
            f"{layer}.{ext}" for layer in ("hotspot_cells", "incidents") for ext in extensions
        }
        assert archive.read("hotspot_cells.cpg").decode().strip() == "UTF-8"
        assert "WGS_1984" in archive.read("incidents.prj").decode()
        readme = archive.read("README.txt").decode("utf-8")
    lines = readme.splitlines()
    assert lines[0] == "UN RESTRICTED"
    for column, short in SHAPEFILE_FIELDS.items():
        assert any(re.fullmatch(rf"  {short}\s+{column}", line) for line in lines), column
    for layer, columns in (("hotspot_cells", CELL_COLUMNS), ("incidents", INCIDENT_COLUMNS)):
        frame = gpd.read_file(path, layer=layer)
        fields = [c for c in frame.columns if c != "geometry"]
        assert fields == ["marking", *(SHAPEFILE_FIELDS.get(c, c) for c in columns)]
        assert all(len(field) <= 10 for field in fields)
    incidents = gpd.read_file(path, layer="incidents").set_index("inc_id")
    assert incidents.loc["INC-103", "adm2_name"] == "Guit – Ñyal"
    assert incidents.loc["INC-101", "cred_grade"] == 2


@needs_ogrinfo
def test_shapefile_read_by_ogrinfo(tmp_path: Path) -> None:
    path = export(tmp_path, "shp")
    summary = ogrinfo("-ro", "-al", "-so", path)
    assert "Layer name: hotspot_cells" in summary
    assert "Geometry: Polygon" in summary
    assert "Geometry: Point" in summary
    assert f"Feature Count: {N_CELLS}" in summary
    fields = re.findall(r"^(\w+): (?:String|Integer|Integer64|Real|Date)", summary, re.M)
    assert "inc_id" in fields
    assert "cred_grade" in fields
    assert all(len(f) <= 10 for f in fields)
    full = ogrinfo("-ro", "-al", path)
    assert "marking (String) = UN RESTRICTED" in full
    assert "adm2_name (String) = Guit – Ñyal" in full


# -- CSV + HXL (R45, R46) ---------------------------------------------------------------------------------

ACLED_OVERLAP = {
    # ours: (the ACLED field, its tag in OCHA-DAP's ACLED pipeline), DOMAIN §7.5
    "incident_id": ("event_id_cnty", "#event+code"),
    "date": ("event_date", "#date+occurred"),
    "category": ("event_type", "#event+type"),
    "adm1_pcode": ("adm1_pcode", "#adm1+code"),
    "adm1_name": ("admin1", "#adm1+name"),
    "adm2_name": ("admin2", "#adm2+name"),
    "latitude": ("latitude", "#geo+lat"),
    "longitude": ("longitude", "#geo+lon"),
}
PROPOSED = {
    # §7.5 "additional tags"
    "status": "#status",
    "priority": "#severity",
    "credibility": "#meta+credibility",
    "precision": "#geo+precision",
}
HXL_CORE = {
    "#adm1",
    "#adm2",
    "#date",
    "#event",
    "#geo",
    "#indicator",
    "#loc",
    "#meta",
    "#severity",
    "#status",
}
HXL_TAG = re.compile(r"#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*")


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_hxl_row_directly_under_the_header(tmp_path: Path) -> None:
    rows = csv_rows(export(tmp_path, "csv"))
    header, tags = rows[0], rows[1]
    assert tuple(header) == CSV_COLUMNS == tuple(HXL_TAGS)
    assert tags == [HXL_TAGS[c] for c in header]
    assert all(HXL_TAG.fullmatch(tag) for tag in tags), tags
    assert all(tag.split("+")[0] in HXL_CORE or tag.startswith("#x_") for tag in tags)
    assert {"adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name", "latitude", "longitude"} <= set(header)
    assert [row[0] for row in rows[2:]] == ["cell"] * N_CELLS + ["incident"] * N_INCIDENTS


def test_csv_hxl_tags_follow_acled_and_the_proposals(tmp_path: Path) -> None:
    """R46: the header-to-tag mapping, read from the file, against DOMAIN §7.5."""
    header, tags = csv_rows(export(tmp_path, "csv"))[:2]
    mapping = dict(zip(header, tags, strict=True))
    assert {ours: mapping[ours] for ours in ACLED_OVERLAP} == {o: t for o, (_, t) in ACLED_OVERLAP.items()}
    assert {ours: mapping[ours] for ours in PROPOSED} == PROPOSED
    assert mapping["adm2_pcode"] == "#adm2+code"
    assert mapping["period_start"] == "#date+start"
    assert mapping["period_end"] == "#date+end"
    assert len(set(tags)) == len(tags)  # one column per tag


def test_csv_read_back(tmp_path: Path) -> None:
    table = pd.read_csv(export(tmp_path, "csv"), skiprows=[1])
    assert len(table) == N_CELLS + N_INCIDENTS
    cells = table[table["record"] == "cell"].set_index("cell_id")
    incidents = table[table["record"] == "incident"].set_index("incident_id")
    assert cells.loc["g0_0", "reports"] == 14
    assert cells.loc["g0_0", "hotspot"] == "hot_99"
    assert bool(cells.loc[SUPPRESSED_CELL, "suppressed"]) is True
    assert (cells.loc["g0_0", "latitude"], cells.loc["g0_0", "longitude"]) == (9.225, 29.825)  # centroid
    assert (incidents.loc["INC-101", "latitude"], incidents.loc["INC-101", "longitude"]) == (9.21, 29.81)
    assert incidents.loc["INC-103", "adm2_name"] == "Guit – Ñyal"
    assert incidents["reports"].isna().all()
    assert cells["incident_id"].isna().all()
    assert set(table["sensitivity"]) == {"UN RESTRICTED"}
    text = export(tmp_path, "csv").read_text(encoding="utf-8")
    assert ",14," in text  # integers stay integers
    assert ",14.0," not in text


@needs_ogrinfo
def test_csv_read_by_ogrinfo(tmp_path: Path) -> None:
    path = export(tmp_path, "csv")
    summary = ogrinfo("-ro", "-al", "-so", path)
    assert f"Feature Count: {N_CELLS + N_INCIDENTS + 1}" in summary  # the HXL row reads as a record
    assert re.findall(r"^(\w+): String", summary, re.M) == list(CSV_COLUMNS)
    full = ogrinfo("-ro", "-al", path)
    assert "record (String) = #meta+record" in full
    assert "sensitivity (String) = UN RESTRICTED" in full
    assert "caveat (String) = reported incidents, not prevalence" in full


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_product_without_cells_or_points(tmp_path: Path, fmt: str) -> None:
    """A filter that matched nothing still gives a valid file that states what it is."""
    info = make_product().info
    empty = HotspotProduct(info=info, cells=empty_cells(), incidents=empty_incidents())
    path = export(tmp_path, fmt, empty)
    if fmt == "kml":  # GDAL reads no layer from a folder without placemarks
        assert kml_folder(kml_document(path), "Hotspot cells") is not None
    else:
        assert len(read_cells(path, fmt)) == 0
    assert statement_of(path, fmt)["sensitivity"] == "UN RESTRICTED"
    if fmt == "csv":  # one row states what the file is even when it holds no records
        header, _, *rows = csv_rows(path)
        assert [dict(zip(header, row, strict=True))["record"] for row in rows] == ["product"]
