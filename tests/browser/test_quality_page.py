"""The triage-quality page in a real browser: reached from the header, filtered, readable on a phone and
in Arabic, under the Content-Security-Policy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alerts.accounts.users import viewer_of
from alerts.incidents.corrections import CorrectionRequest, correct
from alerts.incidents.review import verify
from alerts.intake.services import incident_of_report
from alerts.models import User, utcnow
from tests.browser.conftest import Dashboard, sign_in
from tests.factories import report

pytestmark = pytest.mark.browser


def _fight_triaged_as_attack(dashboard: Dashboard) -> None:
    services = dashboard.services
    email = dashboard.email("triage_reviewer")
    with services.uow() as uow:
        reviewer = viewer_of(uow.session, uow.session.scalars(select(User).where(User.email == email)).one())
    incident_id = incident_of_report(report(services, "ATK two groups fought in Yei"), uow=services.uow())
    assert incident_id is not None
    correct(
        incident_id,
        CorrectionRequest("category", "FIG"),
        reviewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        places=services.geocoder,
        now=utcnow(),
    )
    verify(incident_id, reviewer, uow=services.uow(), credibility=3)


def test_a_joc_officer_reads_triage_quality_from_the_header(page, dashboard: Dashboard, screenshot) -> None:  # type: ignore[no-untyped-def]
    _fight_triaged_as_attack(dashboard)
    sign_in(page, dashboard, dashboard.email("joc_officer"))
    page.wait_for_url(dashboard.at("/queue"))
    page.get_by_role("link", name="Triage quality").click()
    page.wait_for_url(dashboard.at("/quality"))
    page.get_by_label("Weeks").select_option("4")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(dashboard.at("/quality?weeks=4&country="))
    total = page.locator("#quality-total + .table-scroll table")
    assert total.locator('tr[data-category="ATK"] td').nth(3).inner_text().endswith("FIG ×1")
    assert page.locator("#quality-weeks + .table-scroll table tbody").count() == 4
    screenshot("desktop")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the tables scroll, not the page
    page.get_by_role("button", name="العربية").click()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", level=1).inner_text() == "جودة الفرز"
    screenshot("arabic-phone")
    assert page.csp_violations == []
