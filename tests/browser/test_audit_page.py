"""The auditor's page in a real browser: she lands on the audit trail, narrows it, checks the chain
and reads the outcome, in English and in Arabic, under the Content-Security-Policy (issue #16)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from tests.browser.conftest import Dashboard, sign_in
from tests.factories import report

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

Screenshot = Callable[[str], Path]


def test_the_auditor_lands_on_the_trail_filters_it_and_checks_the_chain(
    page: Page, dashboard: Dashboard, screenshot: Screenshot
) -> None:
    services = dashboard.services
    incident = incident_of_report(report(services, "ATK they are shooting at the market"), uow=services.uow())
    assert incident is not None
    change_incident_status(
        incident, "rejected", actor="reviewer@test.dalili.org", uow=services.uow(), reason="a radio rumour"
    )
    sign_in(page, dashboard, dashboard.email("auditor"))
    page.wait_for_url(dashboard.at("/audit"))
    assert page.get_by_role("heading", level=1).inner_text() == "Audit trail"
    assert (
        page.locator("nav.sections").get_by_role("link", name="Audit trail").get_attribute("aria-current")
        == "page"
    )
    assert page.locator("tr[data-event]").count() >= 3  # her sign-in, her account, the rejection
    assert (
        page.locator("#verification-result").inner_text()
        == "The trail has not been checked from this page yet."
    )
    screenshot("landing")

    page.get_by_label("Action (or its start)").fill("incident.")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit?*action=incident.*")
    rows = page.locator("tr[data-event]")
    assert rows.count() == 1
    assert "a radio rumour" in rows.first.inner_text()
    rows.first.get_by_role("link", name="reviewer@test.dalili.org").click()
    page.wait_for_url("**/audit?actor=reviewer*")
    assert page.locator("tr[data-event]").count() == 1

    page.get_by_role("button", name="Check the whole trail now").click()
    page.wait_for_url(dashboard.at("/audit"))
    assert page.locator(".banner.ok").inner_text() == "The audit trail verifies: nothing altered or removed."
    result = page.locator("#verification-result").inner_text()
    assert result.startswith("Intact: no event altered or removed")
    assert "Checked by auditor@test.dalili.org" in result
    assert page.locator("tr[data-event]").first.locator("code").first.inner_text() == "audit.verify"
    screenshot("verified")

    page.get_by_role("button", name="العربية").click()
    page.wait_for_url(dashboard.at("/audit"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", level=1).inner_text() == "سجل التدقيق"
    screenshot("arabic")
    assert page.csp_violations == []  # type: ignore[attr-defined]  # reason: collected by the page fixture
