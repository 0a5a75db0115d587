"""The dashboard's hotspot map and legend colour each class as the PDF and KML do (one palette)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.products import HOTSPOT_COLOURS

pytestmark = pytest.mark.unit

STATIC = Path(__file__).resolve().parents[3] / "app" / "static"


def test_the_map_script_uses_the_products_palette() -> None:
    script = (STATIC / "hotspot-map.js").read_text(encoding="utf-8")
    found = dict(re.findall(r'(\w+): "(#[0-9a-f]{6})"', script.split("var COLOURS = {")[1].split("};")[0]))
    assert found == HOTSPOT_COLOURS


def test_the_legend_swatches_use_the_products_palette() -> None:
    css = (STATIC / "review.css").read_text(encoding="utf-8")
    found = dict(re.findall(r"\.hotspot-(\w+) \{ background: (#[0-9a-f]{6});", css))
    assert found == HOTSPOT_COLOURS
