"""The printed patrol map (PNG, PDF): page size, marking, statement, legend, greyscale (R38, R47)."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.path import Path as MplPath
from PIL import Image
from shapely.geometry import Point, box

from geo.crs import WGS84
from geo.patrol_map import (
    CLASS_STYLES,
    MAX_AREA_LABELS,
    NO_INCIDENTS,
    PAPER,
    build_patrol_map,
    luminance,
    render_patrol_map,
    scale_denominator,
    scale_length,
)
from geo.products import CAVEAT, HOTSPOT_CLASSES, HotspotProduct, empty_cells, empty_incidents
from tests.unit.geo.product_fixture import ADM, ORIGIN, SIZE, make_cells, make_product

pytestmark = pytest.mark.unit

POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdfinfo") is not None
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdfinfo) not installed")


def full_product(**info: Any) -> HotspotProduct:
    """The shared fixture with boundaries, a sector and team sites around it."""
    west, south = ORIGIN
    boundaries = gpd.GeoDataFrame(
        {"pcode": [ADM["adm2_pcode"], "SS0709"], "name": [ADM["adm2_name"], "Guit"]},
        geometry=[
            box(west - 0.1, south - 0.1, west + 0.14, south + 0.35),
            box(west + 0.14, south - 0.1, west + 0.4, south + 0.35),
        ],
        crs=WGS84,
    )
    sectors = gpd.GeoDataFrame(
        {"name": ["Sector North"]},
        geometry=[box(west - 0.3, south - 0.2, west + 0.6, south + 0.6)],
        crs=WGS84,
    )
    sites = gpd.GeoDataFrame(
        {"name": ["Bentiu TS", "Rubkona COB"]},
        geometry=[Point(west + 0.03, south + 0.17), Point(west + 0.3, south + 0.02)],
        crs=WGS84,
    )
    return replace(make_product(**info), boundaries=boundaries, sectors=sectors, sites=sites)


def empty_product(**info: Any) -> HotspotProduct:
    product = make_product(points=False, suppressed_cells=0, incidents=0, **info)
    return replace(product, cells=empty_cells(), incidents=empty_incidents())


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_info(path: Path) -> str:
    return subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout


# --- page size and format -------------------------------------------------------------------------


@pytest.mark.parametrize(("paper", "dpi"), [("A4", 150), ("A4", 100), ("A3", 100)])
def test_png_is_exactly_the_landscape_paper(tmp_path: Path, paper: str, dpi: int) -> None:
    path = render_patrol_map(make_product(), tmp_path / "map.png", fmt="png", paper=paper, dpi=dpi)
    width_in, height_in = PAPER[paper]
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (round(width_in * dpi), round(height_in * dpi))
        assert image.width > image.height


def test_a4_png_at_150_dpi_is_1754_by_1240(tmp_path: Path) -> None:
    with Image.open(render_patrol_map(make_product(), tmp_path / "map.png", fmt="png")) as image:
        assert image.size == (1754, 1240)


def test_png_text_chunks_carry_the_marking_and_the_statement(tmp_path: Path) -> None:
    product = make_product()
    with Image.open(render_patrol_map(product, tmp_path / "map.png", fmt="png")) as image:
        chunks = dict(image.text)  # type: ignore[attr-defined]
    assert "UN RESTRICTED" in chunks["Title"]
    assert product.info.title in chunks["Title"]
    assert chunks["Classification"] == "UN RESTRICTED"
    for line in product.info.lines():
        assert line in chunks["Description"]
    assert CAVEAT in chunks["Description"]
    assert "Period: 2026-10-01 – 2026-10-31" in chunks["Description"]
    assert "Suppressed cells (fewer than 3 reports): 1" in chunks["Description"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"fmt": "svg"}, "unknown format"), ({"paper": "Letter"}, "unknown paper"), ({"dpi": 10}, "dpi")],
)
def test_unknown_format_paper_or_dpi_is_rejected(
    tmp_path: Path, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        render_patrol_map(make_product(), tmp_path / "map.out", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "map.out").exists()


def test_format_and_paper_names_are_case_insensitive(tmp_path: Path) -> None:
    path = render_patrol_map(make_product(), tmp_path / "map.png", fmt="PNG", paper="a4", dpi=60)
    with Image.open(path) as image:
        assert image.size == (round(PAPER["A4"][0] * 60), round(PAPER["A4"][1] * 60))


def test_a_cell_of_unknown_class_is_rejected(tmp_path: Path) -> None:
    cells = make_cells()
    cells.loc[0, "hotspot"] = "lukewarm"
    with pytest.raises(ValueError, match="lukewarm"):
        render_patrol_map(replace(make_product(), cells=cells), tmp_path / "map.pdf")


# --- PDF: size, marking, statement, legend, metadata ----------------------------------------------


@needs_poppler
def test_pdf_page_is_a4_landscape(tmp_path: Path) -> None:
    info = pdf_info(render_patrol_map(full_product(), tmp_path / "map.pdf"))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size is not None
    assert float(size.group(1)) == pytest.approx(842, abs=1)
    assert float(size.group(2)) == pytest.approx(595, abs=1)
    assert re.search(r"Pages:\s+1\b", info)


@needs_poppler
def test_a3_pdf_page_size(tmp_path: Path) -> None:
    info = pdf_info(render_patrol_map(full_product(), tmp_path / "map.pdf", paper="A3"))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size is not None
    assert float(size.group(1)) == pytest.approx(1191, abs=1)
    assert float(size.group(2)) == pytest.approx(842, abs=1)


@needs_poppler
def test_pdf_text_states_marking_period_categories_suppression_and_caveat(tmp_path: Path) -> None:
    product = full_product()
    text = pdf_text(render_patrol_map(product, tmp_path / "map.pdf"))
    assert text.count("UN RESTRICTED") == 2  # banner at the top and at the bottom (R38)
    assert text.index("UN RESTRICTED") < text.index(product.info.title)
    assert text.rindex("UN RESTRICTED") > text.index(CAVEAT)
    assert "2026-10-01 – 2026-10-31" in text
    for code in product.info.categories:
        assert code in text
    assert "Suppressed cells (fewer than 3 reports): 1" in text
    assert "Caveat: reported incidents, not prevalence" in text  # R47
    assert "Method: Gi* binary distance band 10 km" in text
    assert "Scale 1:" in text


@needs_poppler
def test_pdf_legend_lists_every_class_with_its_cell_count_and_the_points_and_sites(tmp_path: Path) -> None:
    text = " ".join(pdf_text(render_patrol_map(full_product(), tmp_path / "map.pdf")).split())
    expected = {
        "hot_99": 1,
        "hot_95": 1,
        "hot_90": 1,
        "not_significant": 1,
        "cold_90": 1,
        "cold_95": 0,
        "cold_99": 0,
    }
    for name, count in expected.items():
        assert f"{CLASS_STYLES[name].label} ({count})" in text
    assert "Suppressed, fewer than 3 reports (1)" in text
    assert "Verified incident (3)" in text
    assert "Team site / base (2)" in text
    assert "Mission sector" in text
    assert "Administrative boundary" in text


@needs_poppler
def test_pdf_marking_follows_the_product_sensitivity(tmp_path: Path) -> None:
    text = pdf_text(render_patrol_map(make_product(sensitivity="PUBLIC"), tmp_path / "map.pdf"))
    assert text.count("PUBLIC") == 2
    assert "UN RESTRICTED" not in text


@needs_poppler
def test_long_category_lists_are_wrapped_on_the_page_and_all_listed(tmp_path: Path) -> None:
    codes = tuple(f"C{i:02d}X" for i in range(40))
    text = pdf_text(render_patrol_map(make_product(categories=codes), tmp_path / "map.pdf"))
    for code in codes:
        assert code in text
    category_lines = text[text.index("Categories:") :].splitlines()
    assert all(len(line.strip()) < 80 for line in category_lines[:5])


@needs_poppler
def test_pdf_metadata_carries_the_marking_and_the_statement(tmp_path: Path) -> None:
    info = pdf_info(render_patrol_map(make_product(), tmp_path / "map.pdf"))
    title = re.search(r"^Title:\s+(.*)$", info, re.M)
    subject = re.search(r"^Subject:\s+(.*)$", info, re.M)
    keywords = re.search(r"^Keywords:\s+(.*)$", info, re.M)
    assert title
    assert subject
    assert keywords
    assert "UN RESTRICTED" in title.group(1)
    assert "UN RESTRICTED" in keywords.group(1)
    for needle in (
        "Period: 2026-10-01 – 2026-10-31",
        "Categories: ATK, ABD, INT",
        "Suppressed cells",
        CAVEAT,
    ):
        assert needle in subject.group(1)


# --- empty product ---------------------------------------------------------------------------------


@needs_poppler
def test_empty_product_renders_a_page_saying_so_with_the_statement(tmp_path: Path) -> None:
    text = pdf_text(render_patrol_map(empty_product(), tmp_path / "map.pdf"))
    assert NO_INCIDENTS in text
    assert text.count("UN RESTRICTED") == 2
    assert "2026-10-01 – 2026-10-31" in text
    assert "Suppressed cells (fewer than 3 reports): 0" in text
    assert CAVEAT in text


def test_empty_product_renders_png_with_and_without_context_layers(tmp_path: Path) -> None:
    bare = render_patrol_map(empty_product(), tmp_path / "bare.png", fmt="png", dpi=60)
    context = full_product()
    with_context = replace(context, cells=empty_cells(), incidents=empty_incidents())
    framed = render_patrol_map(with_context, tmp_path / "framed.png", fmt="png", dpi=60)
    for path in (bare, framed):
        with Image.open(path) as image:
            assert image.size == (round(PAPER["A4"][0] * 60), round(PAPER["A4"][1] * 60))
    assert build_patrol_map(empty_product()).crs is None
    assert build_patrol_map(with_context).crs is not None
    texts = [t.get_text() for t in build_patrol_map(empty_product()).axes.texts]
    assert NO_INCIDENTS in texts


# --- greyscale legibility ------------------------------------------------------------------------


def test_class_palette_is_ordered_and_distinct_in_greyscale() -> None:
    assert set(CLASS_STYLES) == set(HOTSPOT_CLASSES)
    hot = [luminance(CLASS_STYLES[c].face or "#ffffff") for c in ("hot_99", "hot_95", "hot_90")]
    cold = [luminance(CLASS_STYLES[c].face or "#ffffff") for c in ("cold_99", "cold_95", "cold_90")]
    for series in (hot, cold):
        assert series == sorted(series)  # 99 % darkest, 90 % lightest
        assert min(b - a for a, b in itertools.pairwise(series)) >= 40
    hatches = [CLASS_STYLES[c].hatch for c in HOTSPOT_CLASSES if CLASS_STYLES[c].hatch]
    assert len(hatches) == len(set(hatches)) == 7  # every class but not-significant has its own hatch
    hot_family = set("".join(CLASS_STYLES[c].hatch or "" for c in ("hot_99", "hot_95", "hot_90")))
    cold_family = set("".join(CLASS_STYLES[c].hatch or "" for c in ("cold_99", "cold_95", "cold_90")))
    assert not hot_family & cold_family  # diagonal against horizontal/vertical
    assert CLASS_STYLES["not_significant"].face is None
    assert CLASS_STYLES["suppressed"].hatch == ".."


def _cell_lightness(product: HotspotProduct, dpi: int = 100) -> dict[str, float]:
    """Median greyscale (PIL ``L``) lightness over each class's first cell, from the rendered page."""
    drawn = build_patrol_map(product, dpi=dpi, pixel_exact=True)
    buffer = io.BytesIO()
    drawn.figure.savefig(buffer, format="png", dpi=dpi)
    grey = np.asarray(Image.open(buffer).convert("L"))
    assert drawn.crs is not None
    cells = product.cells.to_crs(drawn.crs)
    rows, cols = np.mgrid[0 : grey.shape[0], 0 : grey.shape[1]]
    lightness: dict[str, float] = {}
    for name, geom in zip(cells["hotspot"], cells.geometry, strict=True):
        if name in lightness:
            continue
        part = max(shapely.get_parts(geom), key=lambda p: p.area)  # the largest part of a multipolygon
        ring = drawn.axes.transData.transform(np.asarray(part.exterior.coords))
        ring[:, 1] = grey.shape[0] - ring[:, 1]  # display y runs up, image rows run down
        inside = MplPath(ring).contains_points(np.c_[cols.ravel() + 0.5, rows.ravel() + 0.5], radius=-3)
        assert inside.sum() > 200, f"cell of {name} too small to sample"
        lightness[str(name)] = float(np.median(grey.ravel()[inside]))
    return lightness


def test_hot_cells_differ_in_lightness_on_the_greyscale_page() -> None:
    lightness = _cell_lightness(make_product())
    assert lightness["hot_99"] + 60 < lightness["hot_95"] < lightness["hot_90"] - 30
    assert lightness["hot_90"] - lightness["hot_99"] > 120
    assert lightness["suppressed"] > lightness["hot_95"]
    assert lightness["not_significant"] > 240  # outline only: the paper shows through


# --- map furniture ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "length"),
    [
        (0.4, 1.0),
        (3.0, 2.0),
        (7_400.0, 5_000.0),
        (10_000.0, 10_000.0),
        (19_999.0, 10_000.0),
        (260_000.0, 200_000.0),
    ],
)
def test_scale_bar_length_is_one_two_or_five_times_a_power_of_ten(target: float, length: float) -> None:
    assert scale_length(target) == length


def test_scale_denominator_is_rounded_to_two_figures() -> None:
    assert scale_denominator(253_417.0) == 250_000
    assert scale_denominator(1_187_000.0) == 1_200_000
    assert scale_denominator(42.4) == 42


def test_map_is_drawn_in_the_utm_zone_of_the_data() -> None:
    drawn = build_patrol_map(full_product())
    assert drawn.crs is not None
    assert drawn.crs.to_epsg() == 32635  # lon 29.8–30.0 E, lat 9.2 N: UTM zone 35 north
    x0, x1 = drawn.axes.get_xlim()
    y0, y1 = drawn.axes.get_ylim()
    cells = make_cells().to_crs(drawn.crs)
    west, south, east, north = cells.total_bounds
    assert x0 < west < east < x1
    assert y0 < south < north < y1
    box_ = drawn.axes.get_position()
    figure = drawn.figure
    map_aspect = (box_.width * figure.get_figwidth()) / (box_.height * figure.get_figheight())
    assert (x1 - x0) / (y1 - y0) == pytest.approx(map_aspect, rel=1e-3)  # metres are square on paper


def test_area_labels_are_limited_and_do_not_overlap() -> None:
    # 40 hot cells, each in its own admin area: at most MAX_AREA_LABELS names are printed
    west, south = ORIGIN
    geoms = [box(west + i * SIZE, south, west + (i + 1) * SIZE, south + SIZE) for i in range(40)]
    cells = gpd.GeoDataFrame(
        {
            **{c: [None] * 40 for c in ("cell_id", "reports", "weighted", "gi_z", "gi_p", "gi_bin", "trend")},
            "adm1_pcode": ["SS07"] * 40,
            "adm1_name": ["Unity"] * 40,
            "adm2_pcode": [f"SS07{i:02d}" for i in range(40)],
            "adm2_name": [f"Area {i:02d}" for i in range(40)],
            "hotspot": ["hot_99"] * 40,
            "suppressed": [False] * 40,
        },
        geometry=geoms,
        crs=WGS84,
    )
    boundaries = gpd.GeoDataFrame(
        {"pcode": [f"SS07{i:02d}" for i in range(40)], "name": [f"Area {i:02d}" for i in range(40)]},
        geometry=[shapely.buffer(g, 0.001) for g in geoms],
        crs=WGS84,
    )
    product = replace(make_product(points=False), cells=cells, boundaries=boundaries)
    drawn = build_patrol_map(product)
    labels = [t for t in drawn.axes.texts if t.get_text().startswith("Area ")]
    assert 1 <= len(labels) <= MAX_AREA_LABELS
    renderer = drawn.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            assert not first.overlaps(second)


def test_title_with_dollar_signs_is_printed_as_text(tmp_path: Path) -> None:
    product = make_product(title="Fees of $5 and $10 at the market checkpoint")
    drawn = build_patrol_map(product)
    assert any(t.get_text() == product.info.title for t in drawn.figure.texts)
    render_patrol_map(product, tmp_path / "map.pdf")
