"""The protection page's hotspot map in a real browser: the cells drawn by the app's Leaflet, the product
statement, a filter that reloads the page and its downloads, the audited PDF, Arabic right to left, and
the 403 of a role without protection rights — all under the Content-Security-Policy."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from alerts.models import AuditEvent
from geo.products import HOTSPOT_COLOURS
from tests.browser.conftest import Dashboard, sign_in
from tests.factories import verified_incident

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

pytestmark = pytest.mark.browser

Screenshot = Callable[[str], Path]

BRIA = (21.986, 6.5375)
HOT = ", ".join(
    f'#hotspot-map path.leaflet-interactive[fill="{HOTSPOT_COLOURS[c]}"]'
    for c in ("hot_99", "hot_95", "hot_90")
)
"""The cells hotspot-map.js fills as hot spots at 99, 95 or 90 % confidence."""
CAVEAT = "reported incidents, not prevalence"


@pytest.fixture
def incidents(dashboard: Dashboard) -> None:
    """Twenty verified incidents at Bria, pairs around it, forty scattered across a degree: at H3
    resolution 6 the Bria cell is a hot spot and many single-report cells are suppressed."""
    services, scatter = dashboard.services, random.Random(7)
    for _ in range(20):
        verified_incident(services, *BRIA)
    for dx, dy in ((0.05, 0), (-0.05, 0), (0, 0.05), (0.03, -0.04), (-0.03, 0.04)):
        for _ in range(2):
            verified_incident(services, BRIA[0] + dx, BRIA[1] + dy)
    for _ in range(40):
        verified_incident(services, BRIA[0] + scatter.uniform(-1, 1), BRIA[1] + scatter.uniform(-1, 1))


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of the page, collected as they happen."""
    seen: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def _open_protection(page: Page, dashboard: Dashboard, role: str = "protection_analyst") -> None:
    sign_in(page, dashboard, dashboard.email(role))
    page.wait_for_url(dashboard.at("/queue"))
    page.goto(dashboard.at("/protection"))


def _drawn_cells(page: Page) -> int:
    """Wait for the map script to draw the preview; the number of cells it drew."""
    page.wait_for_selector("#hotspot-map[data-cells]")
    cells = int(page.locator("#hotspot-map").get_attribute("data-cells") or 0)
    if cells:
        page.wait_for_selector("#hotspot-map path.leaflet-interactive")
    return cells


def _query_of(href: str | None) -> dict[str, list[str]]:
    assert href is not None
    return parse_qs(urlsplit(href).query)


def test_an_analyst_sees_the_hotspot_map_changes_a_filter_and_downloads_the_patrol_map(
    page: Page, dashboard: Dashboard, screenshot: Screenshot, incidents: None, console_errors: list[str]
) -> None:
    _open_protection(page, dashboard)
    assert page.get_by_role("heading", level=1).inner_text() == "Hotspots of verified incidents"
    assert _drawn_cells(page) > 0
    assert page.locator(HOT).count() >= 1  # Bria
    statement = page.locator("#hotspot-statement")
    assert CAVEAT in statement.inner_text()
    assert "UN RESTRICTED" in statement.inner_text()  # the default classification
    legend = page.get_by_role("list", name="Legend")
    assert legend.locator("li").count() == 8
    assert "Hot spot, 99% confidence" in legend.inner_text()
    screenshot("english")

    page.get_by_label("Hexagon size (H3 resolution)").fill("5")
    page.get_by_label("Classification").select_option("PARTNER")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(lambda url: "resolution=5" in url)
    assert _query_of(page.url)["sensitivity"] == ["PARTNER"]
    assert _drawn_cells(page) > 0
    assert "PARTNER" in page.locator("#hotspot-statement").inner_text()
    assert page.get_by_label("Hexagon size (H3 resolution)").input_value() == "5"
    pdf = page.get_by_role("link", name="Patrol map (PDF, A4)")
    query = _query_of(pdf.get_attribute("href"))
    assert (query["resolution"], query["sensitivity"]) == (["5"], ["PARTNER"])
    links = page.locator("ul.downloads a")
    assert links.count() == 7
    for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))"):
        assert _query_of(href)["resolution"] == ["5"]
    assert "/protection/hotspots/preview.geojson?" in (
        page.locator("#hotspot-map").get_attribute("data-source") or ""
    )
    assert _query_of(page.locator("#hotspot-map").get_attribute("data-source"))["resolution"] == ["5"]

    with page.expect_download() as download:
        pdf.click()
    assert download.value.suggested_filename.endswith(".pdf")
    body = Path(download.value.path()).read_bytes()
    assert body[:4] == b"%PDF"
    with dashboard.services.uow() as uow:  # the download is in the audit trail, with this file's hash
        (event,) = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "hotspots.export"))
        assert event.actor == dashboard.email("protection_analyst")
        assert event.details["sha256"] == hashlib.sha256(body).hexdigest()
        assert event.details["sensitivity"] == "PARTNER"
    assert page.csp_violations == []  # type: ignore[attr-defined]  # reason: collected by the page fixture
    assert console_errors == []


def test_the_protection_page_in_arabic_reads_right_to_left_and_draws_the_map(
    page: Page, dashboard: Dashboard, screenshot: Screenshot, incidents: None, console_errors: list[str]
) -> None:
    _open_protection(page, dashboard)
    page.get_by_role("button", name="العربية").click()
    page.wait_for_url(dashboard.at("/protection"))
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert page.get_by_role("heading", level=1).inner_text() == "البؤر الساخنة للحوادث المؤكدة"
    assert page.get_by_role("link", name="خريطة الدوريات (PDF، A4)").is_visible()
    assert _drawn_cells(page) > 0
    assert page.locator(HOT).count() >= 1
    statement = page.locator("#hotspot-statement").inner_text()  # the product's statement, in Arabic
    assert "حوادث مُبلَّغ عنها، وليست معدل انتشار" in statement
    assert "UN RESTRICTED" in statement  # the marking stays in English
    assert "غير دالّة إحصائيًا" in page.get_by_role("list", name="مفتاح الخريطة").inner_text()
    since = page.get_by_label("من", exact=True).bounding_box()
    assert since is not None
    assert since["x"] > 550  # the form's fields start on the right of the 1100-pixel window
    screenshot("arabic")
    assert page.csp_violations == []  # type: ignore[attr-defined]  # reason: collected by the page fixture
    assert console_errors == []


def test_a_role_without_protection_rights_gets_403(page: Page, dashboard: Dashboard) -> None:
    sign_in(page, dashboard, dashboard.email("network_coordinator"))
    page.wait_for_url(dashboard.at("/queue"))
    response = page.goto(dashboard.at("/protection"))
    assert response is not None
    assert response.status == 403
    assert page.locator("#hotspot-map").count() == 0
    assert page.get_by_role("heading", level=1).inner_text() == "Not available to your role"
