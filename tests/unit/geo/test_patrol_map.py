"""The printed patrol map (PNG, PDF): page size, marking, statement, legend, greyscale (R38, R47)."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import string
import subprocess
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from PIL import Image
from shapely.geometry import Point, box

from geo.crs import WGS84
from geo.hotspots import method_phrases
from geo.patrol_map import (
    CLASS_STYLES,
    FONT,
    LANGUAGES,
    LRM,
    MAX_AREA_LABELS,
    NO_INCIDENTS,
    PAPER,
    RLM,
    Description,
    Lattice,
    Phrase,
    Statement,
    Title,
    build_patrol_map,
    class_label,
    describe,
    label_tables,
    labels,
    localized_title,
    render_patrol_map,
    scale_denominator,
    scale_length,
    statement_lines,
)
from geo.products import CAVEAT, HOTSPOT_CLASSES, HotspotProduct, empty_incidents
from tests.unit.geo.product_fixture import ADM, ORIGIN, SIZE, empty_cells, make_cells, make_info, make_product

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


def pdf_field(info: str, name: str) -> str:
    found = re.search(rf"^{name}:\s+(.*)$", info, re.M)
    assert found, f"no {name} in pdfinfo output"
    return found.group(1)


def flat(text: str) -> str:
    """Whitespace (no-break spaces included) collapsed to single spaces, across lines."""
    return " ".join(text.split())


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
        assert f"{class_label(name, k=3)} ({count})" in text
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


def luminance(color: str) -> float:
    """ITU-R 601 luma (0–255) of a ``#rrggbb`` colour, as PIL's ``L`` conversion computes it."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue


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
    product = make_product(title_parts="Fees of $5 and $10 at the market checkpoint")
    drawn = build_patrol_map(product)
    assert any(t.get_text() == product.info.title for t in drawn.figure.texts)
    render_patrol_map(product, tmp_path / "map.pdf")


# --- languages: English, French, Arabic --------------------------------------------------------------

ENGINE_TITLE = "Emerging hotspots of verified incidents in CF43 (admin cells)"
ENGINE_TITLE_PARTS = Title("emerging", "admin", "CF43")
ENGINE_METHOD = (
    *method_phrases(999, 42),
    "; ",
    Phrase("emerging", "30"),
    "; ",
    Phrase("half_life", "45.5"),
)
AR_CAVEAT = "حوادث مُبلَّغ عنها، وليست معدل انتشار"


def _keys(table: Any, prefix: str = "") -> set[str]:
    if not isinstance(table, dict):
        return {prefix}
    return set().union(*(_keys(value, f"{prefix}.{key}") for key, value in table.items()))


def _leaves(table: Any, prefix: str = "") -> dict[str, str]:
    if not isinstance(table, dict):
        return {prefix: table}
    found: dict[str, str] = {}
    for key, value in table.items():
        found.update(_leaves(value, f"{prefix}.{key}"))
    return found


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_the_map_is_printed_in_english_french_and_arabic() -> None:
    assert LANGUAGES == ("en", "fr", "ar")
    assert label_tables()["en"]["page"]["no_incidents"] == NO_INCIDENTS


def test_every_language_has_exactly_the_english_labels_and_placeholders() -> None:
    tables = label_tables()
    english = _leaves(tables["en"])
    assert set(english) == _keys(tables["en"])  # no empty sub-table
    for language in LANGUAGES:
        assert _keys(tables[language]) == set(english), language
        for key, text in _leaves(tables[language]).items():
            assert isinstance(text, str), (language, key)
            assert _placeholders(text) == _placeholders(english[key]), (language, key)
    assert set(tables["en"]["classes"]) == set(HOTSPOT_CLASSES)
    assert set(tables["en"]["markings"]) == {"PUBLIC", "PARTNER", "UN RESTRICTED", "STRICTLY CONFIDENTIAL"}
    assert {tables[language]["direction"] for language in LANGUAGES} == {"ltr", "rtl"}


@pytest.mark.parametrize("language", ["de", "", "english", "ara"])
def test_an_unknown_language_is_refused(tmp_path: Path, language: str) -> None:
    with pytest.raises(ValueError, match="unknown language"):
        render_patrol_map(make_product(), tmp_path / "map.pdf", language=language)
    assert not (tmp_path / "map.pdf").exists()
    with pytest.raises(ValueError, match="unknown language"):
        build_patrol_map(make_product(), language=language)
    with pytest.raises(ValueError, match="unknown language"):
        statement_lines(make_info(), language)


def test_language_names_are_case_insensitive() -> None:
    assert statement_lines(make_info(), "FR") == statement_lines(make_info(), "fr")


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"not_placed": 4, "points_left_out": 1250, "categories": ()},
        {
            "method_parts": (),
            "caveat": "reports only",
            "lattice": Lattice("h3", "6"),
            "title_parts": ENGINE_TITLE_PARTS,
        },
        {"method_parts": ENGINE_METHOD, "incidents": 12_345, "k": 5},
    ],
)
def test_the_english_statement_is_the_product_statement(overrides: dict[str, Any]) -> None:
    info = make_info(**overrides)
    assert statement_lines(info, "en") == info.lines()


def test_the_french_and_arabic_statements_follow_the_product() -> None:
    info = make_info(
        not_placed=4, points_left_out=1250, lattice=Lattice("h3", "6"), title_parts=ENGINE_TITLE_PARTS
    )
    french = statement_lines(info, "fr")
    assert french[0] == "UN RESTRICTED"  # markings are written in English
    assert french[1] == "Points chauds émergents des incidents vérifiés dans CF43 (mailles administratives)"
    assert flat(french[2]) == "Période : 2026-10-01 – 2026-10-31"
    assert flat(french[3]) == "Catégories : ATK, ABD, INT"  # codes stay codes
    assert flat(french[4]) == "Mailles : H3, résolution 6 ; 41 incidents dans les mailles affichées"
    assert flat(french[5]) == "Mailles masquées (moins de 3 signalements) : 1"
    assert flat(french[6]) == "Non localisés (lieu absent ou imprécis) : 4"
    assert flat(french[7]).startswith("Points omis : 1250 incidents")
    assert flat(french[-1]) == "Mise en garde : incidents signalés, et non prévalence"
    arabic = statement_lines(info, "ar")
    assert arabic[0] == "UN RESTRICTED"
    assert arabic[1] == "النقاط الساخنة الناشئة للحوادث المتحقق منها في CF43 (خلايا إدارية)"
    assert flat(arabic[2]) == "الفترة: من 2026-10-01 إلى 2026-10-31"
    assert arabic[3] == "الفئات: ATK, ABD, INT"
    assert arabic[-1] == f"تنبيه: {AR_CAVEAT}"
    assert len(french) == len(arabic) == len(info.lines())
    assert not any(mark in line for line in arabic for mark in (RLM, LRM))  # marks are for the page only
    assert statement_lines(make_info(categories=()), "fr")[3] == "Catégories\u00a0: toutes"


def test_engine_titles_are_translated_and_other_titles_printed_as_given() -> None:
    assert localized_title(Title("hotspots", "h3"), "fr") == (
        "Points chauds des incidents vérifiés (mailles H3)"
    )
    assert localized_title(Title("hotspots", "grid", "Ouaka – Bambari"), "ar") == (
        "النقاط الساخنة للحوادث المتحقق منها في Ouaka – Bambari (خلايا شبكة مربعة)"
    )
    assert localized_title(ENGINE_TITLE_PARTS, "en") == ENGINE_TITLE
    for free in ("Hotspots – Unity, October 2026", "Hotspots of verified incidents (hex cells)"):
        assert localized_title(free, "fr") == free
        assert localized_title(free, "ar") == free


def test_method_phrases_are_translated_and_the_rest_kept() -> None:
    french = statement_lines(make_info(method_parts=ENGINE_METHOD), "fr")[-2]
    assert flat(french) == flat(
        "Méthode\u00a0: Getis-Ord Gi* (contiguïté binaire, maille incluse), 999 permutations, graine 42, "
        "FDR de Benjamini–Hochberg\u202f; tendance émergente sur des tranches de 30 jours (Mann–Kendall)"
        "\u202f; poids réduits de moitié tous les 45,5 jours"
    )
    arabic = statement_lines(make_info(method_parts=method_phrases(0, 1)), "ar")[-2]
    assert arabic == (
        "المنهجية: Getis-Ord Gi* (تجاور ثنائي، مع الخلية نفسها)، قيم احتمالية من التوزيع الطبيعي، "
        "تصحيح FDR بطريقة Benjamini–Hochberg"
    )
    unknown = statement_lines(make_info(), "fr")[-2]  # the fixture's method is no engine text
    assert "Gi* binary distance band 10 km" in unknown
    assert "graine 42" in unknown


def test_the_engine_english_is_read_once_into_its_parts() -> None:
    about = describe(
        make_info(title_parts=ENGINE_TITLE_PARTS, lattice=Lattice("grid", "2.5"), method_parts=ENGINE_METHOD)
    )
    assert about.title == Title("emerging", "admin", "CF43")
    assert about.lattice == Lattice("grid", "2.5")
    assert about.method == (
        "Getis-Ord Gi* (",
        Phrase("contiguity"),
        "), ",
        Phrase("permutations", "999"),
        ", ",
        Phrase("seed", "42"),
        ", ",
        Phrase("fdr"),
        "; ",
        Phrase("emerging", "30"),
        "; ",
        Phrase("half_life", "45.5"),
    )
    free = describe(
        make_info(title_parts="Hotspots – Unity, October 2026", lattice="hex cells", method_parts=())
    )
    assert (free.title, free.lattice, free.method) == ("Hotspots – Unity, October 2026", "hex cells", ())
    assert describe(make_info()).caveat is None  # the standard caveat, said in each language


def test_a_description_is_formatted_in_each_language_without_any_english() -> None:
    """The seam the engine can write to directly: parts in, each language's sentences out."""
    about = replace(
        describe(make_info()),
        title=Title("hotspots", "h3", "Ouaka"),
        lattice=Lattice("h3", "7"),
        method=(Phrase("permutations", "99"), ", ", Phrase("seed", "3")),
    )
    assert isinstance(about, Description)
    french = Statement(about, labels("fr"))
    assert french.title() == "Points chauds des incidents vérifiés dans Ouaka (mailles H3)"
    assert french.lattice() == "H3, résolution 7"
    assert french.method() == "99 permutations, graine 3"
    arabic = Statement(about, labels("ar"))
    assert arabic.method() == "عدد التباديل 99، البذرة 3"
    assert Statement(about, labels("en")).lines()[1] == "Hotspots of verified incidents in Ouaka (h3 cells)"


def test_numbers_keep_western_digits_with_the_language_separators() -> None:
    assert labels("en").number(1_234_567) == "1,234,567"
    assert labels("fr").number(1_234_567) == "1\u202f234\u202f567"
    assert labels("ar").number(1_234_567) == "1,234,567"
    assert labels("fr").number(2.5) == "2,5"
    assert labels("ar").number(2.5) == "2.5"


def test_arabic_lines_are_marked_right_to_left_and_dates_left_to_right() -> None:
    arabic = labels("ar")
    assert arabic.display("الفترة: من 2026-10-01 إلى 2026-10-31") == (
        f"{RLM}الفترة: من {LRM}2026-10-01 إلى {LRM}2026-10-31"
    )
    assert arabic.display("المنهجية: Getis-Ord Gi* (x)") == f"{RLM}المنهجية: Getis-Ord Gi*{LRM} (x)"
    assert arabic.display("UN RESTRICTED\nC08X, C09X") == "UN RESTRICTED\nC08X, C09X"  # no Arabic: as is
    assert labels("fr").display("Période : 2026-10-01") == "Période : 2026-10-01"


def test_matplotlib_shapes_arabic() -> None:
    """The Arabic layout relies on matplotlib's own shaping (libraqm, matplotlib 3.11): joined letters
    and the lam-alef ligature are narrower than the letters set apart."""
    figure = Figure()
    renderer = FigureCanvasAgg(figure).get_renderer()

    def width(text: str) -> float:
        return float(figure.text(0, 0, text, family=FONT, fontsize=20).get_window_extent(renderer).width)

    assert width("لا") < 0.8 * (width("ل") + width("ا"))
    assert width("سس") < 0.95 * 2 * width("س")


def _texts(drawn: Any) -> list[Text]:
    return [t for t in drawn.figure.texts if t.get_text()]


def test_the_arabic_page_is_right_aligned_and_the_map_not_mirrored() -> None:
    english = build_patrol_map(full_product(), language="en")
    arabic = build_patrol_map(full_product(), language="ar")
    assert arabic.axes.get_xlim() == english.axes.get_xlim()  # east stays right
    assert arabic.axes.get_ylim() == english.axes.get_ylim()  # north stays up
    assert arabic.axes.get_position().bounds == english.axes.get_position().bounds
    renderer = arabic.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    panel = [t for t in _texts(arabic) if AR_CAVEAT in t.get_text() or "الفئات" in t.get_text()]
    assert len(panel) == 2
    right_edges = set()
    for text in panel:
        assert text.get_horizontalalignment() == "right"
        assert text.get_text().startswith(RLM)
        right_edges.add(round(text.get_window_extent(renderer).x1))
    assert len(right_edges) == 1  # one right margin
    legend = arabic.figure.legends[0]
    assert legend.get_window_extent(renderer).x1 == pytest.approx(max(right_edges), abs=2)
    frame = arabic.axes.get_window_extent(renderer)
    assert legend.get_window_extent(renderer).x0 > frame.x1  # the legend stays off the map


@pytest.mark.parametrize("language", LANGUAGES)
def test_arabic_place_names_print_upright_in_every_language(tmp_path: Path, language: str) -> None:
    """DejaVu Sans Oblique has no Arabic: an Arabic area name is drawn upright (no missing glyph)."""
    product = full_product()
    assert product.boundaries is not None
    assert product.sites is not None
    boundaries = product.boundaries.assign(name=["ربكونا", "قيط"])
    sites = product.sites.assign(name=["قاعدة بانتيو", "Rubkona COB"])
    drawn = build_patrol_map(replace(product, boundaries=boundaries, sites=sites), language=language)
    names = {t.get_text(): t for t in drawn.axes.texts}
    assert names["ربكونا"].get_fontstyle() == "normal"
    drawn.figure.savefig(tmp_path / "map.png", dpi=60)  # a missing glyph would warn, and fail


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_an_empty_product_says_so_in_the_language(language: str) -> None:
    drawn = build_patrol_map(empty_product(), language=language)
    message = labels(language).text("page.no_incidents")
    assert [t.get_text() for t in drawn.axes.texts] == [labels(language).display(message)]
    assert message != NO_INCIDENTS


@needs_poppler
def test_french_pdf_states_everything_in_french(tmp_path: Path) -> None:
    product = full_product(lattice=Lattice("grid", "2.5"))
    raw = pdf_text(render_patrol_map(product, tmp_path / "map.pdf", language="fr"))
    text = flat(raw)
    assert raw.count("UN RESTRICTED") == 2  # the marking, in English, at the top and at the bottom
    assert raw.index("UN RESTRICTED") < raw.index(product.info.title)
    assert raw.rindex("UN RESTRICTED") > raw.index("Mise en garde")
    assert "diffusion restreinte (ONU)" in text  # the reading aid beside the top banner
    assert "Mise en garde : incidents signalés, et non prévalence" in text  # R47
    assert "Période : 2026-10-01 – 2026-10-31" in text
    assert "Catégories : ATK, ABD, INT" in text
    assert "Mailles : carreaux de 2,5 km ; 41 incidents dans les mailles affichées" in text
    assert "Mailles masquées (moins de 3 signalements) : 1" in text
    assert "Légende (mailles par classe)" in text
    expected = {"hot_99": 1, "hot_95": 1, "hot_90": 1, "not_significant": 1, "cold_90": 1, "cold_95": 0}
    for name, count in expected.items():
        assert flat(f"{class_label(name, 'fr', k=3)} ({count})") in text
    assert "Point chaud, confiance 99 % (1)" in text
    assert "Masquée, moins de 3 signalements (1)" in text
    for label in ("Incident vérifié (3)", "Site d’équipe / base (2)", "Secteur de la mission"):
        assert label in text
    assert "Limite administrative" in text
    assert "Échelle 1:" in text
    assert "km" in text
    assert "alerte précoce menée par les femmes" in text
    for english in ("Caveat", "Legend", "Period", "Suppressed", "Scale", "Verified incident", "generated"):
        assert english not in text


@needs_poppler
def test_french_pdf_metadata_is_french_with_the_english_marking(tmp_path: Path) -> None:
    product = make_product(title_parts=ENGINE_TITLE_PARTS)
    info = pdf_info(render_patrol_map(product, tmp_path / "map.pdf", language="fr"))
    title = pdf_field(info, "Title")
    assert title == (
        "Points chauds émergents des incidents vérifiés dans CF43 (mailles administratives) [UN RESTRICTED]"
    )
    subject = flat(pdf_field(info, "Subject"))
    assert "Période : 2026-10-01 – 2026-10-31" in subject
    assert "Mise en garde : incidents signalés, et non prévalence" in subject
    keywords = pdf_field(info, "Keywords")
    assert keywords.startswith("UN RESTRICTED, ATK, ABD, INT")
    assert "incidents signalés, et non prévalence" in keywords
    assert "Carte de patrouille Dalili" in pdf_field(info, "Creator")


def _visible(text: str) -> str:
    """pdftotext output without the bidi controls it and the page add, in NFKC form (presentation forms
    of Arabic letters, if a poppler extracts them, become the letters)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


@needs_poppler
def test_arabic_pdf_states_the_caveat_marking_and_period(tmp_path: Path) -> None:
    """What pdftotext recovers of an Arabic page, in logical order.

    Its line building trips over zero-width marks and lam-alef ligatures (« خلايا » comes back as
    « خاليا ») and over the vowel marks of « مُبلَّغ », none of which the printed page shows, so the caveat
    is checked as its other words, three of them in their reading order, and the period as its two ISO
    dates, neither printed backwards (01-10-2026 is what an Arabic line does to an unmarked date).
    """
    raw = pdf_text(render_patrol_map(full_product(), tmp_path / "map.pdf", language="ar"))
    text = _visible(raw)
    for word in ("تنبيه", "حوادث", "عنها", "وليست", "معدل", "انتشار"):
        assert word in text
    assert "وليست معدل انتشار" in text  # right to left: the words come out in reading order
    assert text.count("UN RESTRICTED") == 2
    assert text.strip().startswith("UN RESTRICTED")  # the marking in English, top and bottom
    assert text.strip().endswith("UN RESTRICTED")
    for day in ("2026-10-01", "2026-10-31"):
        assert day in text
    assert "01-10-2026" not in text
    assert "31-10-2026" not in text
    assert "الفترة" in text
    assert "مفتاح الخريطة" in text
    assert "حادثة متحقق منها" in text
    assert "ATK, ABD, INT" in text


@needs_poppler
def test_arabic_pdf_metadata_is_arabic_with_the_english_marking(tmp_path: Path) -> None:
    info = pdf_info(render_patrol_map(full_product(), tmp_path / "map.pdf", language="ar"))
    subject = pdf_field(info, "Subject")
    assert subject.startswith("UN RESTRICTED | ")
    assert f"تنبيه: {AR_CAVEAT}" in subject
    assert "الخلايا المحجوبة (عدد البلاغات أقل من 3): 1" in subject
    assert flat("الفترة: من 2026-10-01 إلى 2026-10-31") in flat(subject)
    keywords = pdf_field(info, "Keywords")
    assert keywords.startswith("UN RESTRICTED, ")
    assert AR_CAVEAT in keywords
    assert not any(mark in info for mark in (RLM, LRM))


def test_arabic_png_text_chunks_are_arabic_with_the_english_classification(tmp_path: Path) -> None:
    product = make_product(title_parts=ENGINE_TITLE_PARTS)
    with Image.open(render_patrol_map(product, tmp_path / "map.png", fmt="png", language="ar")) as image:
        chunks = dict(image.text)  # type: ignore[attr-defined]
    assert chunks["Classification"] == "UN RESTRICTED"
    title = "النقاط الساخنة الناشئة للحوادث المتحقق منها في CF43 (خلايا إدارية)"
    assert chunks["Title"] == f"{title} [UN RESTRICTED]"
    assert chunks["Description"] == "\n".join(statement_lines(product.info, "ar"))
    assert chunks["Disclaimer"] == AR_CAVEAT
    assert chunks["Source"] == "خريطة دوريات Dalili"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_renders_both_formats_on_both_papers(tmp_path: Path, language: str) -> None:
    product = full_product(
        title_parts=ENGINE_TITLE_PARTS, method_parts=ENGINE_METHOD, not_placed=2, points_left_out=7
    )
    for paper in ("A4", "A3"):
        path = render_patrol_map(
            product, tmp_path / "map.png", fmt="png", paper=paper, dpi=50, language=language
        )
        with Image.open(path) as image:
            assert image.size == (round(PAPER[paper][0] * 50), round(PAPER[paper][1] * 50))
    assert render_patrol_map(product, tmp_path / "map.pdf", language=language).stat().st_size > 0
