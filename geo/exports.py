"""Vector exports of a hotspot product: GeoJSON, KML, GeoPackage, zipped Shapefile, CSV + HXL (DOMAIN §7.3).

Every file carries the product's statement (R38, R47): the sensitivity marking, the period, the categories,
the number of suppressed cells and the caveat "reported incidents, not prevalence", in the place each
format has for it (collection members, Document name and description, GeoPackage metadata and a
``product_info`` table, a README and a ``marking`` field, columns repeated on every row). Only the
contract's columns are written (R35): whatever else a frame holds stays out; suppressed cells are written
without figures even if a caller left some in (R37).

GDAL (through pyogrio) writes GeoJSON, GeoPackage and Shapefile. KML is written with ElementTree because
pyogrio cannot hand GDAL a dataset style table, so GDAL's KML drivers can only repeat an inline style per
placemark (or none); shared ``<Style id>`` elements per class need the XML written directly. CSV is
written with the csv module and pandas because GDAL's CSV driver cannot put the HXL row under the header.

Every writer writes a temporary file next to the target and renames it, so a failed export leaves no
half-written file behind.
"""

from __future__ import annotations

import csv
import html
import json
import os
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo.products import (
    CELL_COLUMNS,
    HOTSPOT_CLASSES,
    HOTSPOT_COLOURS,
    INCIDENT_COLUMNS,
    HotspotProduct,
    ProductInfo,
)


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """What a UI or CLI needs to offer one format: its file suffix and HTTP media type."""

    name: str
    label: str
    suffix: str
    media_type: str

    def filename(self, stem: str) -> str:
        return f"{stem}{self.suffix}"


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("geojson", "GeoJSON (RFC 7946)", ".geojson", "application/geo+json"),
        ExportFormat("kml", "KML (Google Earth)", ".kml", "application/vnd.google-earth.kml+xml"),
        ExportFormat("gpkg", "GeoPackage (QGIS, ArcGIS)", ".gpkg", "application/geopackage+sqlite3"),
        ExportFormat("shp", "Shapefile, zipped (legacy ArcGIS)", ".shp.zip", "application/zip"),
        ExportFormat("csv", "CSV with HXL tags", ".csv", "text/csv; charset=utf-8"),
    )
}
FORMATS = tuple(EXPORT_FORMATS)
"""``("geojson", "kml", "gpkg", "shp", "csv")``."""

FIGURES = ("reports", "weighted", "gi_z", "gi_p", "gi_bin", "trend")
"""A cell's figures: null in a suppressed cell (R37)."""

CELLS_LAYER = "hotspot_cells"
INCIDENTS_LAYER = "incidents"
INFO_TABLE = "product_info"

HOTSPOT_LABELS: dict[str, str] = {
    "hot_99": "Hot spot, 99% confidence",
    "hot_95": "Hot spot, 95% confidence",
    "hot_90": "Hot spot, 90% confidence",
    "not_significant": "Not significant",
    "cold_90": "Cold spot, 90% confidence",
    "cold_95": "Cold spot, 95% confidence",
    "cold_99": "Cold spot, 99% confidence",
    "suppressed": "Suppressed",
}
SHAPEFILE_FIELDS: dict[str, str] = {"incident_id": "inc_id", "credibility": "cred_grade"}
"""Columns renamed to fit the DBF's 10 characters; every other column keeps its name (all ≤ 10)."""
MARKING_FIELD = "marking"
"""Shapefile field repeating the sensitivity on each row: a DBF has no metadata block."""

# CSV columns and their HXL hashtags (DOMAIN.md §7.5, R46). Fields that ACLED also has take the tags of
# OCHA-DAP's ACLED pipeline; cell counts and the period follow HDX HAPI's conflict-event tables
# (``#indicator+event+num``, ``#date+start``/``#date+end``); the rest use core tags with attributes.
HXL_TAGS: dict[str, str] = {
    "record": "#meta+record",
    "cell_id": "#loc+code",
    "incident_id": "#event+code",
    "date": "#date+occurred",
    "category": "#event+type",
    "priority": "#severity",
    "status": "#status",
    "credibility": "#meta+credibility",
    "precision": "#geo+precision",
    "adm1_pcode": "#adm1+code",
    "adm1_name": "#adm1+name",
    "adm2_pcode": "#adm2+code",
    "adm2_name": "#adm2+name",
    "latitude": "#geo+lat",
    "longitude": "#geo+lon",
    "reports": "#indicator+event+num",
    "weighted": "#indicator+severity_weighted+num",
    "gi_z": "#indicator+gi_z+num",
    "gi_p": "#indicator+gi_p+num",
    "gi_bin": "#indicator+gi_bin+num",
    "hotspot": "#indicator+hotspot",
    "trend": "#indicator+trend+num",
    "suppressed": "#meta+suppressed",
    "sensitivity": "#meta+sensitivity",
    "period_start": "#date+start",
    "period_end": "#date+end",
    "categories": "#meta+categories",
    "suppressed_cells": "#meta+suppressed_cells+num",
    "caveat": "#meta+caveat",
}
CSV_COLUMNS = tuple(HXL_TAGS)
"""Header of the CSV, in order; the HXL row under it holds ``HXL_TAGS[column]`` for each."""
CSV_STATEMENT = ("sensitivity", "period_start", "period_end", "categories", "suppressed_cells", "caveat")
"""Statement columns repeated on every CSV row: a CSV has no metadata block."""

# Types for empty frames, whose columns carry no dtype worth keeping (float64 or object).
_CELL_DTYPES: dict[str, str] = {
    **{c: "string" for c in CELL_COLUMNS},
    **{c: "Int64" for c in ("reports", "gi_bin", "trend")},
    **{c: "Float64" for c in ("weighted", "gi_z", "gi_p")},
    "suppressed": "boolean",
}
_INCIDENT_DTYPES: dict[str, str] = {
    **{c: "string" for c in INCIDENT_COLUMNS},
    "credibility": "Int64",
    "precision": "Int64",
}

_KML_NS = "http://www.opengis.net/kml/2.2"
_INCIDENT_ICON = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"


def export_format(fmt: str) -> ExportFormat:
    """The format named ``fmt`` (case-insensitive); ValueError naming the formats otherwise."""
    found = EXPORT_FORMATS.get(fmt.strip().lower()) if isinstance(fmt, str) else None
    if found is None:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    return found


def write_vector(product: HotspotProduct, fmt: str, path: Path) -> Path:
    """Write ``product`` as ``fmt`` to ``path`` and return the file written.

    The path is used as given, except for ``shp``, whose zip gets ``.zip`` appended unless the name already
    ends with it (``out.shp`` → ``out.shp.zip``). An existing file is replaced.
    """
    spec = export_format(fmt)
    path = Path(path)
    if spec.name == "shp" and not path.name.lower().endswith(".zip"):
        path = path.with_name(f"{path.name}.zip")
    writer = _WRITERS[spec.name]
    with _replacing(path) as tmp:
        writer(product, tmp)
    return path


# -- the statement ----------------------------------------------------------------------------------------


def statement(info: ProductInfo) -> dict[str, str]:
    """The product's statement as flat text items (metadata keys, ``product_info`` rows, CSV columns)."""
    last_day = (info.until - timedelta(microseconds=1)).date()
    return {
        "sensitivity": info.sensitivity,
        "title": info.title,
        "period": info.period(),
        "period_start": info.since.date().isoformat(),
        "period_end": last_day.isoformat(),
        "categories": ", ".join(info.categories) if info.categories else "all",
        "cells": info.cells,
        "k": str(info.k),
        "incidents": str(info.incidents),
        "suppressed_cells": str(info.suppressed_cells),
        "not_placed": str(info.not_placed),
        "points_left_out": str(info.points_left_out),
        "method": info.method,
        "filters": json.dumps(info.filters, sort_keys=True, default=str),
        "generated_at": info.generated_at.isoformat() if info.generated_at is not None else "",
        "caveat": info.caveat,
        "statement": "\n".join(info.lines()),
    }


def _heading(info: ProductInfo) -> str:
    return f"{info.sensitivity} – {info.title}"


# -- the frames -------------------------------------------------------------------------------------------


def _select(frame: gpd.GeoDataFrame, columns: Sequence[str], dtypes: Mapping[str, str], what: str) -> Any:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lack the columns {', '.join(missing)}")
    out = frame[[*columns, frame.geometry.name]]
    if out.geometry.name != "geometry":
        out = out.rename_geometry("geometry")
    if out.empty:
        out = out.astype(dict(dtypes))
    return out


def _cells(product: HotspotProduct) -> gpd.GeoDataFrame:
    """The cells with the contract's columns only; figures blanked in suppressed cells (R37)."""
    cells = _select(product.cells, CELL_COLUMNS, _CELL_DTYPES, "cells").copy()
    hidden = (cells["hotspot"] == "suppressed").fillna(False) | cells["suppressed"].fillna(False).astype(bool)
    if hidden.any():
        for column in FIGURES:
            cells[column] = cells[column].astype(_CELL_DTYPES[column])
            cells.loc[hidden.to_numpy(), column] = pd.NA
    result: gpd.GeoDataFrame = cells
    return result


def _incidents(product: HotspotProduct) -> gpd.GeoDataFrame:
    result: gpd.GeoDataFrame = _select(product.incidents, INCIDENT_COLUMNS, _INCIDENT_DTYPES, "incidents")
    return result


def _polygon_type(frame: gpd.GeoDataFrame) -> str | None:
    """Layer type for an empty cells frame (pyogrio infers it from the data otherwise)."""
    return "Polygon" if frame.empty else None


# -- GeoJSON ----------------------------------------------------------------------------------------------


def _write_geojson(product: HotspotProduct, path: Path) -> None:
    """One RFC 7946 FeatureCollection: cells then incidents, each with ``layer`` = ``cell``/``incident``.

    The statement goes in the collection's ``description`` member (GDAL's DESCRIPTION, shown by ogrinfo)
    and, as JSON, in a ``product`` foreign member (RFC 7946 §6.1).
    """
    parts = [_cells(product).assign(layer="cell")]
    incidents = _incidents(product)
    if not incidents.empty:
        parts.append(incidents.assign(layer="incident"))
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=product.cells.crs)
    frame = frame[["layer", *[c for c in frame.columns if c != "layer"]]]
    info = product.info
    member = {"product": {**info.as_dict(), "statement": info.lines()}}
    pyogrio.write_dataframe(
        frame,
        path,
        layer="hotspots",
        driver="GeoJSON",
        geometry_type=None if len(parts) > 1 else _polygon_type(frame),
        layer_options={
            "RFC7946": "YES",
            "WRITE_NAME": "YES",
            "DESCRIPTION": "\n".join(info.lines()),
            "FOREIGN_MEMBERS_COLLECTION": json.dumps(member, default=str),
        },
    )


# -- GeoPackage -------------------------------------------------------------------------------------------


def _write_gpkg(product: HotspotProduct, path: Path) -> None:
    """Layers ``hotspot_cells`` and ``incidents`` (Point, possibly empty) and the table ``product_info``.

    The statement is in the dataset's and each layer's GDAL metadata (``gpkg_metadata``; ogrinfo lists it),
    in each layer's ``gpkg_contents`` description, and as key/value rows of ``product_info``. GeoPackage 1.3
    rather than GDAL's default 1.4, which older GDAL (Debian 12's 3.6, QGIS/ArcGIS builds on it) warns about.
    """
    info = product.info
    items = statement(info)
    metadata = {key.upper(): value for key, value in items.items()}
    description = "; ".join(info.lines())
    cells = _cells(product)
    pyogrio.write_dataframe(
        cells,
        path,
        layer=CELLS_LAYER,
        driver="GPKG",
        geometry_type=_polygon_type(cells),
        dataset_metadata=metadata,
        layer_metadata=metadata,
        dataset_options={"VERSION": "1.3"},
        layer_options={"IDENTIFIER": f"{_heading(info)}: cells", "DESCRIPTION": description},
    )
    pyogrio.write_dataframe(
        _incidents(product),
        path,
        layer=INCIDENTS_LAYER,
        driver="GPKG",
        geometry_type="Point",
        layer_metadata=metadata,
        layer_options={"IDENTIFIER": f"{_heading(info)}: incidents", "DESCRIPTION": description},
    )
    table = pd.DataFrame({"key": list(items), "value": list(items.values())}, dtype="string")
    pyogrio.write_dataframe(
        table,
        path,
        layer=INFO_TABLE,
        driver="GPKG",
        layer_options={"IDENTIFIER": f"{_heading(info)}: product", "DESCRIPTION": description},
    )


# -- Shapefile --------------------------------------------------------------------------------------------


def shapefile_readme(info: ProductInfo, *, with_incidents: bool) -> str:
    """README.txt of the zipped Shapefile: the statement, the layers and the field-name mapping."""
    lines = [*info.lines(), ""]
    lines.append("Layers (WGS84, EPSG:4326; text UTF-8, see the .cpg files):")
    lines.append(f"  {CELLS_LAYER}.shp  hotspot cells (polygons)")
    if with_incidents:
        lines.append(f"  {INCIDENTS_LAYER}.shp  incident points")
    else:
        lines.append("  no incident points: this product carries none")
    lines += [
        "",
        "Field names (a DBF allows 10 characters):",
        f"  {MARKING_FIELD:<10}  sensitivity marking of the product",
    ]
    for column in dict.fromkeys((*CELL_COLUMNS, *INCIDENT_COLUMNS)):
        lines.append(f"  {SHAPEFILE_FIELDS.get(column, column):<10}  {column}")
    lines += [
        "",
        "Suppressed cells (hotspot = suppressed) have fewer reports than the threshold and no figures:",
        f"their {', '.join(FIGURES)} fields are empty.",
        "",
    ]
    return "\r\n".join(lines)


def _write_shapefile_zip(product: HotspotProduct, path: Path) -> None:
    info = product.info
    incidents = _incidents(product)
    with tempfile.TemporaryDirectory(prefix="dalili-shp-") as tmp:
        folder = Path(tmp)
        layers = [(CELLS_LAYER, _cells(product), "Polygon")]
        if not incidents.empty:
            layers.append((INCIDENTS_LAYER, incidents, "Point"))
        for name, frame, geometry_type in layers:
            frame = frame.rename(columns=SHAPEFILE_FIELDS)
            frame.insert(0, MARKING_FIELD, info.sensitivity)
            # Polygon and MultiPolygon are one Shapefile type: name it so mixed or empty frames write.
            pyogrio.write_dataframe(
                frame,
                folder / f"{name}.shp",
                layer=name,
                driver="ESRI Shapefile",
                geometry_type=geometry_type,
                encoding="UTF-8",
            )
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", shapefile_readme(info, with_incidents=len(layers) > 1))
            for name, _, _ in layers:
                for member in sorted(folder.glob(f"{name}.*")):
                    archive.write(member, member.name)


# -- KML --------------------------------------------------------------------------------------------------


def kml_colour(rgb: str, alpha: int = 0xFF) -> str:
    """``#rrggbb`` and an alpha (0–255) as KML's ``aabbggrr``."""
    rr, gg, bb = rgb[1:3], rgb[3:5], rgb[5:7]
    return f"{alpha:02x}{bb}{gg}{rr}".lower()


def _kml_styles(document: ET.Element) -> None:
    for cls in HOTSPOT_CLASSES:
        style = ET.SubElement(document, "Style", id=cls)
        line = ET.SubElement(style, "LineStyle")
        poly = ET.SubElement(style, "PolyStyle")
        colour = HOTSPOT_COLOURS[cls]
        if cls == "not_significant":
            # hollow: grey outline only
            ET.SubElement(line, "color").text = kml_colour(colour)
            ET.SubElement(line, "width").text = "1.5"
            ET.SubElement(poly, "fill").text = "0"
            ET.SubElement(poly, "outline").text = "1"
        elif cls == "suppressed":
            # KML has no hatch fill: a faint translucent grey with a grey outline stands in for it
            ET.SubElement(line, "color").text = kml_colour("#969696")
            ET.SubElement(line, "width").text = "1"
            ET.SubElement(poly, "color").text = kml_colour(colour, 0x59)
        else:
            ET.SubElement(line, "color").text = kml_colour(colour)
            ET.SubElement(line, "width").text = "1"
            ET.SubElement(poly, "color").text = kml_colour(colour, 0xB3)
    style = ET.SubElement(document, "Style", id="incident")
    icon_style = ET.SubElement(style, "IconStyle")
    ET.SubElement(icon_style, "color").text = kml_colour("#252525")
    ET.SubElement(icon_style, "scale").text = "0.8"
    ET.SubElement(ET.SubElement(icon_style, "Icon"), "href").text = _INCIDENT_ICON


def _text(value: Any) -> str | None:
    """A value as KML/CSV text; None for a null."""
    if value is None or value is pd.NA or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _coordinates(coords: Any) -> str:
    return " ".join(f"{_number(x)},{_number(y)}" for x, y, *_ in coords)


def _number(value: float) -> str:
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _kml_geometry(parent: ET.Element, geom: Any) -> None:
    if geom is None or geom.is_empty:
        return
    kind = geom.geom_type
    if kind == "Point":
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = _coordinates(geom.coords)
    elif kind == "Polygon":
        polygon = ET.SubElement(parent, "Polygon")
        ET.SubElement(polygon, "tessellate").text = "1"
        rings = [("outerBoundaryIs", geom.exterior)] + [("innerBoundaryIs", ring) for ring in geom.interiors]
        for tag, ring in rings:
            linear = ET.SubElement(ET.SubElement(polygon, tag), "LinearRing")
            ET.SubElement(linear, "coordinates").text = _coordinates(ring.coords)
    elif kind.startswith("Multi") or kind == "GeometryCollection":
        multi = ET.SubElement(parent, "MultiGeometry")
        for part in geom.geoms:
            _kml_geometry(multi, part)
    else:
        raise ValueError(f"cannot write a {kind} to KML")


def _extended_data(parent: ET.Element, values: Mapping[str, Any]) -> None:
    data = ET.SubElement(parent, "ExtendedData")
    for name, value in values.items():
        text = _text(value)
        if text is not None:
            ET.SubElement(ET.SubElement(data, "Data", name=name), "value").text = text


def _cell_name(row: Mapping[str, Any], k: int) -> str:
    label = HOTSPOT_LABELS.get(str(row["hotspot"]), str(row["hotspot"]))
    if row["hotspot"] == "suppressed" or _text(row["reports"]) is None:
        return f"{label}: fewer than {k} reports"
    reports = _text(row["reports"])
    return f"{label}: {reports} report{'' if reports == '1' else 's'}"


def _write_kml(product: HotspotProduct, path: Path) -> None:
    """A KML 2.2 Document for Google Earth: one shared Style per class, a folder of cells, one of incidents.

    The Document's name is the marking and title, its description and ExtendedData the statement; each
    placemark also carries the marking (``sensitivity``) since placemarks get copied out of documents.
    """
    info = product.info
    kml = ET.Element("kml", xmlns=_KML_NS)
    document = ET.SubElement(kml, "Document")
    ET.SubElement(document, "name").text = _heading(info)
    ET.SubElement(document, "open").text = "1"
    # Google Earth renders a description as HTML: line breaks as <br/>, the lines' own text escaped
    ET.SubElement(document, "description").text = "<br/>\n".join(html.escape(line) for line in info.lines())
    # KML 2.2 order within a Feature: name, open, description, styles, ExtendedData, then child features.
    _kml_styles(document)
    _extended_data(document, {k: v for k, v in statement(info).items() if k != "statement"})

    folder = ET.SubElement(document, "Folder")
    ET.SubElement(folder, "name").text = "Hotspot cells"
    cells = _cells(product)
    for row, geom in zip(_records(cells), cells.geometry, strict=True):
        placemark = ET.SubElement(folder, "Placemark")
        ET.SubElement(placemark, "name").text = _cell_name(row, info.k)
        ET.SubElement(placemark, "styleUrl").text = f"#{row['hotspot']}"
        _extended_data(placemark, {"sensitivity": info.sensitivity, **row})
        _kml_geometry(placemark, geom)

    incidents = _incidents(product)
    if not incidents.empty:
        folder = ET.SubElement(document, "Folder")
        ET.SubElement(folder, "name").text = "Incidents"
        for row, geom in zip(_records(incidents), incidents.geometry, strict=True):
            placemark = ET.SubElement(folder, "Placemark")
            parts = [_text(row[c]) for c in ("incident_id", "category", "date")]
            ET.SubElement(placemark, "name").text = " ".join(p for p in parts if p)
            when = _text(row["date"])
            if when:
                ET.SubElement(ET.SubElement(placemark, "TimeStamp"), "when").text = when
            ET.SubElement(placemark, "styleUrl").text = "#incident"
            _extended_data(placemark, {"sensitivity": info.sensitivity, **row})
            _kml_geometry(placemark, geom)

    ET.ElementTree(kml).write(path, encoding="UTF-8", xml_declaration=True)


def _records(frame: gpd.GeoDataFrame) -> Iterator[dict[str, Any]]:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    plain = pd.DataFrame(frame[columns]).astype(object)
    for values in plain.itertuples(index=False, name=None):
        yield dict(zip(columns, values, strict=True))


# -- CSV + HXL --------------------------------------------------------------------------------------------


def _write_csv(product: HotspotProduct, path: Path) -> None:
    """One row per cell (``record`` = ``cell``) then per incident, the HXL row directly under the header.

    A product with neither cells nor points gets a single ``record`` = ``product`` row holding only the
    statement columns, so that even an empty file says what it is.

    ``latitude``/``longitude`` are the cell's centroid or the incident's point, 6 decimals. The centroid is
    taken on lon/lat coordinates: for cells of a few km (or admin areas near the equator) the difference
    from an equal-area centroid is far below what a patrol plan needs. UTF-8 without a byte-order mark.
    """
    items = statement(product.info)
    cells = _cells(product)
    centroids = shapely.centroid(cells.geometry.to_numpy())
    cell_rows = pd.DataFrame(cells.drop(columns="geometry"))
    cell_rows.insert(0, "record", "cell")
    cell_rows["latitude"] = shapely.get_y(centroids).round(6)
    cell_rows["longitude"] = shapely.get_x(centroids).round(6)

    incidents = _incidents(product)
    points = incidents.geometry.to_numpy()
    incident_rows = pd.DataFrame(incidents.drop(columns="geometry"))
    incident_rows.insert(0, "record", "incident")
    incident_rows["latitude"] = shapely.get_y(points).round(6)
    incident_rows["longitude"] = shapely.get_x(points).round(6)

    parts = [part for part in (cell_rows, incident_rows) if not part.empty]
    if not parts:
        # no cell and no point: one ``product`` row keeps the marking and the statement in the file (R38)
        parts = [pd.DataFrame({"record": ["product"]})]
    table = pd.concat([_as_text(part).reindex(columns=CSV_COLUMNS) for part in parts], ignore_index=True)
    for column in CSV_STATEMENT:
        table[column] = items[column]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerow([HXL_TAGS[c] for c in CSV_COLUMNS])
        table.to_csv(out, header=False, index=False, lineterminator="\n")


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as nullable text, integers without a decimal point and booleans as true/false.

    Text before concatenation keeps ``14`` from becoming ``14.0`` when cell and incident rows, each with
    the other's columns empty, are stacked.
    """
    out = frame.astype("string")
    for column in frame.columns:
        if pd.api.types.is_bool_dtype(frame[column].dtype):
            out[column] = out[column].str.lower()
    return out


# -- plumbing ---------------------------------------------------------------------------------------------


_WRITERS: dict[str, Callable[[HotspotProduct, Path], None]] = {
    "geojson": _write_geojson,
    "kml": _write_kml,
    "gpkg": _write_gpkg,
    "shp": _write_shapefile_zip,
    "csv": _write_csv,
}


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A fresh temporary path beside ``path`` (same suffixes, so GDAL sees the format), renamed onto it."""
    suffix = "".join(path.suffixes) or ".tmp"
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    tmp.unlink()  # GDAL creates the file itself; an empty file would be opened as an existing dataset
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
