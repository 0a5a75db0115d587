"""A downloaded hotspot file is named after its period, with the suffix its format is opened by."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.hotspots.products import HotspotRequest
from app.web.hotspots import file_name

pytestmark = pytest.mark.unit

OCTOBER = HotspotRequest(since=datetime(2026, 10, 1, tzinfo=UTC), until=datetime(2026, 11, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("shp", "dalili-hotspots-20261001-20261031.shp.zip"),
        ("geojson", "dalili-hotspots-20261001-20261031.geojson"),
        ("kml", "dalili-hotspots-20261001-20261031.kml"),
        ("gpkg", "dalili-hotspots-20261001-20261031.gpkg"),
        ("csv", "dalili-hotspots-20261001-20261031.csv"),
        ("pdf", "dalili-hotspots-20261001-20261031.pdf"),
        ("png", "dalili-hotspots-20261001-20261031.png"),
    ],
)
def test_the_download_name_ends_in_the_formats_suffix(fmt: str, name: str) -> None:
    assert file_name(OCTOBER, fmt) == name
