"""Corrections (#16) in a real browser: a category corrected to sexual violence hides the narrative
from the triage reviewer who made it; a place corrected by one of the report's possible places, by
a click on the map and by the search moves the map's point and the admin areas; an alias an admin
approves on /admin places the next report with those words — all under the Content-Security-Policy.

The served app has two admin-2 areas side by side (Terekeka west of 31.5° E, Juba east of it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alerts.intake.services import incident_of_report
from alerts.models import Incident, Report
from config.settings import Settings
from tests.browser.conftest import Dashboard, sign_in
from tests.conftest import make_settings
from tests.factories import report

pytestmark = pytest.mark.browser

AREAS = {"SS0101": ("Juba", (31.5, 4.5, 32.0, 5.5)), "SS0102": ("Terekeka", (31.0, 4.5, 31.5, 5.5))}
CANDIDATES = [
    {"place": "Kajo Keji", "lon": 31.65, "lat": 4.85, "country": "SS"},
    {"place": "Tali", "lon": 31.2, "lat": 5.0, "country": "SS"},
]
INCIDENT_FILL = "#d62828"
DRAFT_FILL = "#2a9d8f"
"""incident-map.js's fill colours of the incident's point and of a new place not saved yet."""


@pytest.fixture
def dashboard_settings(tmp_path: Path) -> Settings:
    layers = tmp_path / "layers"
    layers.mkdir()
    features = [
        {
            "type": "Feature",
            "properties": {"ADM2_PCODE": pcode, "ADM2_EN": name, "ADM1_PCODE": "SS01"},
            "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
        }
        for pcode, (name, (w, s, e, n)) in AREAS.items()
    ]
    (layers / "ssd_adm2_test.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )
    return make_settings(tmp_path, layers=(str(layers),))


def _incident(dashboard: Dashboard, text: str, **flags: Any) -> int:
    services = dashboard.services
    incident_id = incident_of_report(report(services, text), uow=services.uow())
    assert incident_id is not None
    if flags:
        with services.uow() as uow:
            stored = uow.session.scalar(select(Report).where(Report.incident_id == incident_id))
            assert stored is not None
            stored.flags = stored.flags | flags
            uow.commit()
    return incident_id


def _row(dashboard: Dashboard, incident_id: int) -> Incident:
    with dashboard.services.uow() as uow:
        row = uow.session.get(Incident, incident_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def _signed_in(page, dashboard: Dashboard, role: str, path: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, dashboard, dashboard.email(role))
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(dashboard.at(path))


def _map_point(page) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    return json.loads(page.locator("#map-data").text_content())["incident"]  # type: ignore[no-any-return]


def _areas(page) -> str:  # type: ignore[no-untyped-def]
    return " ".join(page.locator("dd.areas").inner_text().split())


def _place_form(page):  # type: ignore[no-untyped-def]
    return page.locator("#place-correction")


def test_a_triage_reviewer_corrects_the_category_to_sexual_violence_and_the_narrative_vanishes(
    page, dashboard: Dashboard, screenshot
) -> None:  # type: ignore[no-untyped-def]
    incident = _incident(dashboard, "armed men attacked the market in Yei, a woman was hurt")
    _signed_in(page, dashboard, "triage_reviewer", f"/incidents/{incident}")
    assert "the market in Yei" in page.locator("main").inner_text()
    form = page.locator("form", has=page.locator("#correct-category-title"))
    form.get_by_label("Category").select_option(label="Sexual violence")
    form.get_by_label("Reason (optional)").fill("she told the WPA it was rape")
    screenshot("before")
    form.get_by_role("button", name="Correct the category").click()
    assert page.locator(".banner.ok").inner_text() == (
        "Category corrected: Sexual violence. The narrative is now restricted to the CRSV focal point."
    )
    main = page.locator("main").inner_text()
    assert "the market in Yei" not in main
    assert "Narrative restricted to the CRSV focal point." in main
    assert page.locator("#map").count() == 0
    assert page.locator("#correct").count() == 0  # hers no more: the CRSV focal point's
    history = page.locator("table.history").inner_text()
    assert "Category corrected (narrative read before by triage_reviewer@test.dalili.org)" in history
    assert "she told the WPA" not in history
    screenshot("after")
    assert page.csp_violations == []


def test_a_place_is_corrected_by_a_possible_place_then_by_a_click_on_the_map(
    page, dashboard: Dashboard, screenshot
) -> None:  # type: ignore[no-untyped-def]
    incident = _incident(
        dashboard, "ATK shooting now near Zzyzxville", place_unresolved=True, place_candidates=CANDIDATES
    )
    _signed_in(page, dashboard, "triage_reviewer", f"/incidents/{incident}")
    page.wait_for_selector("#map[data-boundaries]")
    assert _map_point(page) is None
    assert page.locator("dd.areas").count() == 0
    form = _place_form(page)
    form.get_by_label("Kajo Keji (SS)").check()
    form.get_by_role("button", name="Use this place").click()
    assert page.locator(".banner.ok").inner_text() == "Place corrected: its admin areas and map point follow."
    assert _map_point(page) == {"lon": 31.65, "lat": 4.85, "label": "Kajo Keji"}
    assert _areas(page) == "Juba SS0101 · SS01"
    page.wait_for_selector(f'#map path[fill="{INCIDENT_FILL}"]')
    screenshot("alternative")

    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.5})
    page.wait_for_selector(f'#map path[fill="{DRAFT_FILL}"]')  # the new place, before she saves it
    lat, lon = (
        float(form.get_by_label("Latitude").input_value()),
        float(form.get_by_label("Longitude").input_value()),
    )
    assert lon < 31.65  # west of where it was
    form.get_by_role("button", name="Use this point").click()
    assert page.locator(".banner.ok").inner_text() == "Place corrected: its admin areas and map point follow."
    assert _map_point(page) == {"lon": lon, "lat": lat, "label": ""}
    expected = next(
        f"{name} {pcode} · SS01"
        for pcode, (name, (w, s, e, n)) in AREAS.items()
        if w <= lon < e and s <= lat < n
    )
    assert _areas(page) == expected
    row = _row(dashboard, incident)
    assert (row.lon, row.lat, row.precision) == (lon, lat, 1)
    assert page.locator(f'#map path[fill="{INCIDENT_FILL}"]').count() == 1
    screenshot("clicked")
    history = page.locator("table.history").inner_text()
    assert "Place corrected: no place → Kajo Keji (exact place or pin)" in history
    assert "Place corrected: Kajo Keji (exact place or pin) →" in history

    page.get_by_role("button", name="Undo").last.click()  # the click was wrong after all
    assert page.locator(".banner.ok").inner_text() == "Correction undone."
    assert _map_point(page) == {"lon": 31.65, "lat": 4.85, "label": "Kajo Keji"}
    assert _areas(page) == "Juba SS0101 · SS01"
    assert page.csp_violations == []


TALI = {
    "name": "Tali",
    "country": "SS",
    "lon": 31.2,
    "lat": 5.0,
    "precision": 1,
    "kind": "village",
    "pcode": None,
    "areas": {"adm2_pcode": "SS0102", "adm2_name": "Terekeka"},
}
TEREKEKA = {
    "name": "Terekeka",
    "country": "SS",
    "lon": 31.25,
    "lat": 5.0,
    "precision": 2,
    "kind": "adm2",
    "pcode": "SS0102",
    "areas": {"adm2_pcode": "SS0102", "adm2_name": "Terekeka"},
}


def test_the_search_offers_places_as_she_types_and_the_one_she_picks_is_saved(
    page, dashboard: Dashboard, screenshot
) -> None:  # type: ignore[no-untyped-def]
    """The page's side of the type-ahead, against answers as GET /api/places gives them."""
    asked: list[str] = []

    def places(route) -> None:  # type: ignore[no-untyped-def]
        asked.append(route.request.url)
        route.fulfill(json={"places": [TALI, TEREKEKA]})

    page.route("**/api/places?*", places)
    incident = _incident(dashboard, "ATK shooting now near Zzyzxville")
    _signed_in(page, dashboard, "triage_reviewer", f"/incidents/{incident}")
    form = _place_form(page)
    use_found = form.get_by_role("button", name="Use the place found")
    assert use_found.is_disabled()
    search = form.get_by_role("combobox", name="Place name")
    search.press_sequentially("Ta", delay=30)
    page.get_by_role("option", name="Tali (village, Terekeka, SS)").wait_for()
    assert search.get_attribute("aria-expanded") == "true"
    assert "q=Ta" in asked[-1]
    assert "limit=10" in asked[-1]
    # the admin areas found are offered as "the area only"
    assert form.locator('#place-area optgroup option[value="SS0102"]').inner_text() == "Terekeka (SS0102)"
    screenshot("typed")
    search.press("ArrowDown")
    search.press("Enter")
    assert form.locator("#place-status").inner_text() == "Chosen: Tali (village, Terekeka, SS)"
    use_found.click()
    assert page.locator(".banner.ok").inner_text() == "Place corrected: its admin areas and map point follow."
    assert _map_point(page) == {"lon": 31.2, "lat": 5.0, "label": "Tali"}
    assert _areas(page) == "Terekeka SS0102 · SS01"  # from the layers, where the point lies
    page.wait_for_selector(f'#map path[fill="{INCIDENT_FILL}"]')

    search = _place_form(page).get_by_role("combobox", name="Place name")
    search.press_sequentially("Ter", delay=30)
    page.get_by_role("option", name="Terekeka (adm2, SS)").click()
    assert _place_form(page).locator("#place-area").input_value() == "SS0102"
    assert _place_form(page).get_by_role("button", name="Use the place found").is_disabled()
    assert page.csp_violations == []


def test_a_place_is_corrected_by_searching_its_name_and_by_an_admin_area_only(
    page, dashboard: Dashboard
) -> None:  # type: ignore[no-untyped-def]
    """The same with the real GET /api/places and the layers' admin areas."""
    incident = _incident(dashboard, "ATK shooting now near Zzyzxville")
    _signed_in(page, dashboard, "triage_reviewer", f"/incidents/{incident}")
    search = _place_form(page).get_by_role("combobox", name="Place name")
    search.press_sequentially("Juba", delay=50)
    page.locator("#place-results").get_by_role("option", name="Juba (", exact=False).first.click()
    _place_form(page).get_by_role("button", name="Use the place found").click()
    assert page.locator(".banner.ok").inner_text() == "Place corrected: its admin areas and map point follow."
    point = _map_point(page)
    assert point is not None
    assert point["label"] == "Juba"
    assert _areas(page) == "Juba SS0101 · SS01"

    search = _place_form(page).get_by_role("combobox", name="Place name")
    search.press_sequentially("Terek", delay=50)
    page.locator("#place-results").get_by_role("option", name="Terekeka (adm2", exact=False).click()
    _place_form(page).get_by_role("button", name="Use this area").click()
    assert page.locator(".banner.ok").inner_text() == "Place corrected: its admin areas and map point follow."
    assert _row(dashboard, incident).precision == 2
    assert "Terekeka SS0102" in _areas(page)
    assert page.csp_violations == []


def test_an_admin_approves_an_alias_and_the_next_report_with_those_words_is_placed_there(
    page, dashboard: Dashboard, screenshot
) -> None:  # type: ignore[no-untyped-def]
    incident = _incident(
        dashboard, "ATK shooting at Kulu Kulu junction", place_unresolved=True, place_candidates=CANDIDATES
    )
    _signed_in(page, dashboard, "triage_reviewer", f"/incidents/{incident}")
    form = _place_form(page)
    form.get_by_label("Words in the report that name this place (optional)").fill("Kulu Kulu junction")
    form.get_by_label("Tali (SS)").check()
    form.get_by_role("button", name="Use this place").click()
    assert page.locator(".banner.ok").inner_text() == "Place corrected: its admin areas and map point follow."
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(dashboard.at("/login"))

    _signed_in(page, dashboard, "admin", "/admin")
    proposed = page.locator("table.aliases").first.locator("tr", has_text="Kulu Kulu junction")
    assert "Tali" in proposed.inner_text()
    assert "triage_reviewer@test.dalili.org" in proposed.inner_text()
    assert f"#{incident}" in proposed.inner_text()
    screenshot("proposed")
    proposed.get_by_role("button", name="Approve").click()
    assert page.locator(".banner.ok").inner_text() == (
        "Approved: new reports with “Kulu Kulu junction” are placed at Tali."
    )
    assert "Kulu Kulu junction" in page.locator("table.aliases").last.inner_text()
    screenshot("approved")

    placed = _row(dashboard, _incident(dashboard, "ATK more shooting near kulu kulu junction today"))
    assert (placed.place_name, placed.lon, placed.lat) == ("Tali", 31.2, 5.0)
    assert placed.areas["adm2_name"] == "Terekeka"
    assert page.csp_violations == []
