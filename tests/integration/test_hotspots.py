"""Hotspot products from the database: what is counted, what is hidden, what is recorded (R30, R35–R47)."""

from __future__ import annotations

import hashlib
import random
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box
from sqlalchemy import select

from alerts.audit.trail import verify_chain
from alerts.errors import InvalidValue, NotPermitted
from alerts.hotspots.products import EXPORT_FORMATS, HotspotRequest, build_product, export_hotspots
from alerts.messages import Viewer
from alerts.models import AuditEvent, Incident, utcnow
from app.bootstrap import Services
from geo.crs import WGS84
from geo.hotspots import method_phrases
from geo.patrol_map import Lattice, Phrase, Title
from geo.types import AreaAssignment
from tests.factories import NARRATIVE, add_reporter, report, verified_incident

pytestmark = pytest.mark.integration

ANALYST = Viewer(7, "analyst@example.org", "protection_analyst")
WPA = Viewer(8, "wpa@example.org", "wpa_crsv_focal")
BRIA = (21.986, 6.5375)


class NoLayers:
    """A deployment without boundary layers."""

    def admin_frame(self, level: int) -> gpd.GeoDataFrame | None:
        return None

    def sector_frame(self) -> gpd.GeoDataFrame | None:
        return None

    def site_frame(self) -> gpd.GeoDataFrame | None:
        return None

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[AreaAssignment]:
        return [AreaAssignment() for _ in lons]


class SquareAreas(NoLayers):
    """Three admin-2 squares in a row west to east (CF901, CF902, CF903), one degree each, from 21°E."""

    frame = gpd.GeoDataFrame(
        {"pcode": ["CF901", "CF902", "CF903"], "name": ["West", "Middle", "East"]},
        geometry=[box(21 + i, 6, 22 + i, 7) for i in range(3)],
        crs=WGS84,
    )

    def admin_frame(self, level: int) -> gpd.GeoDataFrame | None:
        return self.frame if level == 2 else None

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[AreaAssignment]:
        return [
            AreaAssignment(pcodes={"adm2": f"CF90{int(lon - 21) + 1}"}, names={"adm2": "square"})
            if 21 <= lon < 24 and 6 <= lat < 7
            else AreaAssignment()
            for lon, lat in zip(lons, lats, strict=True)
        ]


def _period(days: int = 30) -> tuple:
    now = utcnow()
    return now - timedelta(days=days), now + timedelta(minutes=1)


def _request(**kwargs: object) -> HotspotRequest:
    since, until = _period()
    return HotspotRequest(since=since, until=until, **kwargs)  # type: ignore[arg-type]


def _build(  # type: ignore[no-untyped-def]
    services: Services,
    request: HotspotRequest,
    viewer: Viewer = ANALYST,
    layers: object = None,
    permutations: int = 199,
):
    return build_product(
        viewer,
        request,
        uow=services.uow(),
        rules=replace(services.hotspot_rules, permutations=permutations),
        layers=layers or NoLayers(),  # type: ignore[arg-type]
    )


def _cluster(
    services: Services, count: int, lon: float = BRIA[0], lat: float = BRIA[1], **kwargs: object
) -> None:
    for _ in range(count):
        verified_incident(services, lon, lat, **kwargs)  # type: ignore[arg-type]


def _hot_landscape(services: Services) -> None:
    """Thirty incidents around Bria, one in each of 40 scattered places across a degree around it."""
    rng = random.Random(7)
    _cluster(services, 20)
    for dx, dy in ((0.05, 0), (-0.05, 0), (0, 0.05), (0.03, -0.04), (-0.03, 0.04)):
        _cluster(services, 2, BRIA[0] + dx, BRIA[1] + dy)
    for _ in range(40):
        verified_incident(services, BRIA[0] + rng.uniform(-1, 1), BRIA[1] + rng.uniform(-1, 1))


def test_geocoded_reports_store_their_h3_cells(services: Services) -> None:
    report(services, "ATK shooting now", content={"lon": BRIA[0], "lat": BRIA[1]})
    with services.uow() as uow:
        incident = uow.session.scalars(select(Incident)).one()
        assert incident.h3_r5
        assert incident.h3_r6
        assert incident.h3_r7
        assert incident.h3_r7.startswith("87")
        assert incident.h3_r5.startswith("85")


def test_a_cluster_of_verified_incidents_is_a_hot_cell(services: Services) -> None:
    _hot_landscape(services)
    product = _build(services, _request(resolution=6), permutations=999)
    cells = product.cells.set_index("cell_id")
    densest = cells["reports"].astype("Float64").idxmax()
    assert cells.loc[densest, "reports"] == 20
    assert cells.loc[densest, "hotspot"] == "hot_99"  # after Benjamini–Hochberg over ~270 cells (R42)
    assert (product.cells["hotspot"].str.startswith("cold")).sum() == 0
    assert product.info.caveat == "reported incidents, not prevalence"
    again = _build(services, _request(resolution=6), permutations=999)
    assert again.cells["hotspot"].tolist() == product.cells["hotspot"].tolist()  # fixed seed (R42)


def test_only_verified_real_incidents_of_the_period_are_counted(services: Services) -> None:
    _cluster(services, 3)
    _cluster(services, 1, status="received")
    _cluster(services, 1, status="rejected")
    _cluster(services, 1, training=True)
    _cluster(services, 1, when=utcnow() - timedelta(days=90))
    _cluster(services, 2, status="closed")
    verified_incident(services, None, None)
    verified_incident(services, BRIA[0], BRIA[1], precision=3)
    product = _build(services, _request())
    assert product.info.incidents == 5
    assert product.info.not_placed == 2  # no location, and an admin centroid (precision 3)


def test_filters_narrow_the_incidents(services: Services) -> None:
    _cluster(services, 3, category="ATK", priority="P1", areas={"adm1_pcode": "CF52", "adm2_pcode": "CF521"})
    _cluster(services, 4, category="ARM", priority="P3", areas={"adm1_pcode": "CF43"})
    assert _build(services, _request(categories=("ATK",))).info.incidents == 3
    assert _build(services, _request(priorities=("P3",))).info.incidents == 4
    assert _build(services, _request(area="CF521")).info.incidents == 3
    assert _build(services, _request(area="CF43")).info.incidents == 4


def test_a_network_filter_counts_its_reports_incidents(services: Services) -> None:
    key = add_reporter(services, country="CF", network="Bria Femmes Leaders")
    with services.uow() as uow:
        from alerts.models import Reporter

        reporter = uow.session.get(Reporter, key)
        assert reporter is not None
        network = reporter.network_id
    _cluster(services, 3, network_id=network, reporter_key=key)
    _cluster(services, 2)
    assert _build(services, _request(network_id=network)).info.incidents == 3


@pytest.mark.parametrize(("count", "suppressed"), [(4, True), (5, False)])
def test_public_products_suppress_cells_below_k(services: Services, count: int, suppressed: bool) -> None:
    _cluster(services, count)
    product = _build(services, _request(sensitivity="PUBLIC"))  # k = 5
    cell = product.cells[product.cells["reports"].notna() | product.cells["suppressed"]]
    cell = cell[cell["suppressed"] | (cell["reports"] > 0)]
    assert len(cell) == 1
    assert bool(cell["suppressed"].iloc[0]) is suppressed
    assert product.info.suppressed_cells == int(suppressed)
    assert product.incidents.empty  # PUBLIC products have no points


def test_sexual_violence_is_counted_in_cells_never_as_points(services: Services) -> None:
    _cluster(services, 3, category="SXV")
    _cluster(services, 3, category="ATK")
    product = _build(services, _request(), viewer=WPA)
    assert product.info.incidents == 6
    assert set(product.incidents["category"]) == {"ATK"}
    assert len(product.incidents) == 3


def test_roles_and_classifications_are_enforced(services: Services) -> None:
    with pytest.raises(NotPermitted):
        _build(services, _request(), viewer=Viewer(1, "r@example.org", "triage_reviewer"))
    with pytest.raises(InvalidValue, match="sensitivity"):
        _build(services, _request(sensitivity="TOP SECRET"))
    with pytest.raises(InvalidValue, match="resolution"):
        _build(services, _request(resolution=9))
    with pytest.raises(InvalidValue, match="admin level 2"):
        _build(services, _request(cells="admin"))


def test_a_viewer_sees_her_countries_only(services: Services) -> None:
    _cluster(services, 3, country="CF")
    _cluster(services, 4, 31.6, 4.85, country="SS")
    assert (
        _build(services, _request(), viewer=replace(ANALYST, countries=frozenset({"SS"}))).info.incidents == 4
    )


def test_admin_cells_count_per_pcode_with_contiguity(services: Services) -> None:
    _cluster(services, 6, 21.5, 6.5, areas={"adm2_pcode": "CF901"})
    _cluster(services, 3, 22.5, 6.5, areas={"adm2_pcode": "CF902"})
    _cluster(services, 2, 25.0, 6.5, areas={"adm2_pcode": "CF999"})  # an area no layer has
    product = _build(services, _request(cells="admin", admin_level=2), layers=SquareAreas())
    counts = dict(zip(product.cells["cell_id"], product.cells["reports"], strict=True))
    assert counts["CF901"] == 6
    assert counts["CF902"] == 3
    assert counts["CF903"] == 0
    assert product.info.not_placed == 2
    assert product.info.cells == "admin level 2"


def test_the_engine_states_title_cells_and_method_in_parts(services: Services) -> None:
    """The parts each language formats (D28); nothing reads the English back."""
    request = _request(cells="grid", cell_km=2.5, slice_days=6, half_life_days=45.5, area="CF901")
    info = _build(services, request).info
    assert info.title_parts == Title("emerging", "grid", "CF901")
    assert info.lattice == Lattice("grid", "2.5")
    assert info.method_parts == (
        *method_phrases(199, services.hotspot_rules.seed),
        "; ",
        Phrase("emerging", "6"),
        "; ",
        Phrase("half_life", "45.5"),
    )
    assert info.title == "Emerging hotspots of verified incidents in CF901 (grid cells)"


def test_grid_cells_are_metric_squares(services: Services) -> None:
    _cluster(services, 4)
    _cluster(services, 3, BRIA[0] + 0.3, BRIA[1])
    product = _build(services, _request(cells="grid", cell_km=10))
    placed = product.cells[product.cells["reports"] > 0]
    assert sorted(placed["reports"].tolist()) == [3, 4]
    assert product.info.cells == "grid 10 km"


def test_emerging_hotspots_trend_up_where_reports_grow(services: Services) -> None:
    now = utcnow()
    # Ten weekly slices (as ArcGIS advises for a trend): a steady background of three scattered
    # incidents a week, and a place near Bria where reports begin in week 3 and grow every week.
    rng = random.Random(3)
    for week, cluster in enumerate((0, 0, 1, 2, 4, 6, 8, 10, 12, 14)):
        when = now - timedelta(days=7 * (9 - week) + 1)
        _cluster(services, cluster, when=when)
        for _ in range(3):
            lon, lat = BRIA[0] + rng.uniform(0.3, 1.5), BRIA[1] + rng.uniform(-1, 1)
            verified_incident(services, lon, lat, when=when)
    request = HotspotRequest(since=now - timedelta(days=70), until=now, slice_days=7)
    product = _build(services, request)
    densest = product.cells.set_index("cell_id")["reports"].astype("Float64").idxmax()
    assert product.cells.set_index("cell_id").loc[densest, "trend"] == 1
    with pytest.raises(InvalidValue, match="5 to 120 slices"):
        _build(services, HotspotRequest(since=now - timedelta(days=28), until=now, slice_days=7))


def _readable_bytes(path: Path) -> bytes:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return path.read_bytes()


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_every_export_is_audited_and_holds_no_narrative_key_or_number(
    services: Services, tmp_path: Path, fmt: str
) -> None:
    key = add_reporter(services, country="CF")
    _cluster(services, 4, reporter_key=key)
    _cluster(services, 3, category="SXV", reporter_key=key)
    record = export_hotspots(
        WPA,
        _request(),
        fmt,
        tmp_path / f"product.{fmt}",
        uow=services.uow(),
        rules=replace(services.hotspot_rules, permutations=99),
        layers=NoLayers(),
    )
    content = _readable_bytes(record.path)
    for secret in (NARRATIVE, "Nyakuma", "borehole", "+211912345678", "211912345678", key):
        assert secret.encode() not in content, f"{secret!r} leaked into {fmt}"
    assert hashlib.sha256(record.path.read_bytes()).hexdigest() == record.sha256
    with services.uow() as uow:
        event = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "hotspots.export")).one()
        assert event.actor == WPA.email
        assert event.details["sha256"] == record.sha256
        assert event.details["format"] == fmt
        assert event.details["incidents"] == 4  # points: never the SXV ones
        assert event.details["filter"]["since"]
        assert verify_chain(uow.session) is None


class WithSites(NoLayers):
    """Two team sites: one at Bria, one far away in Bangui."""

    def site_frame(self) -> gpd.GeoDataFrame | None:
        return gpd.GeoDataFrame(
            {"name": ["Bria TOB", "Bangui HQ"]}, geometry=[Point(*BRIA), Point(18.56, 4.36)], crs=WGS84
        )


def test_the_team_sites_around_the_cells_come_with_the_product(services: Services) -> None:
    _cluster(services, 3)
    product = _build(services, _request(), layers=WithSites())
    assert product.sites is not None
    assert product.sites["name"].tolist() == ["Bria TOB"]


def test_too_many_points_are_left_out_and_said_so(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("alerts.hotspots.products.MAX_POINTS", 2)
    _cluster(services, 3)
    product = _build(services, _request())
    assert product.incidents.empty
    assert product.info.points_left_out == 3
    assert "Points left out: 3 incidents, too many to map; narrow the filter" in product.info.lines()


def test_points_in_suppressed_cells_are_not_shown(services: Services) -> None:
    _cluster(services, 3)  # a cell at k = 3: shown with its points
    verified_incident(services, BRIA[0] + 0.5, BRIA[1] + 0.5)  # alone in its cell: suppressed
    product = _build(services, _request(sensitivity="UN RESTRICTED"))
    assert product.info.suppressed_cells == 1
    assert len(product.incidents) == 3
