"""The queue and incident pages in a real browser: a triage from the queue to verified and actioned,
a merge and its undoing, the sexual-violence narrative by role, Arabic right to left, the live
countdown, the new-alerts banner and the offline map — all under the Content-Security-Policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerts.incidents.corroboration import suggest_duplicates
from alerts.intake.services import incident_of_report
from alerts.models import Incident, utcnow
from tests.browser.conftest import Dashboard, sign_in
from tests.factories import add_reporter, report

pytestmark = pytest.mark.browser

JUBA = {"lon": 31.58, "lat": 4.85}
NEAR_JUBA = {"lon": 31.60, "lat": 4.86}
SXV_NARRATIVE = "SXV they hurt a girl behind the water point at dawn"


def _incident(dashboard: Dashboard, text: str, **kwargs: Any) -> int:
    incident_id = incident_of_report(report(dashboard.services, text, **kwargs), uow=dashboard.services.uow())
    assert incident_id is not None
    return incident_id


def _signed_in(page, dashboard: Dashboard, role: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, dashboard, dashboard.email(role))
    page.wait_for_url(dashboard.at("/queue"))


def _sign_out(page, dashboard: Dashboard) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(dashboard.at("/login"))


def test_a_reviewer_verifies_from_the_queue_and_a_joc_officer_marks_it_actioned(
    page, dashboard: Dashboard, screenshot
) -> None:  # type: ignore[no-untyped-def]
    incident = _incident(dashboard, "ATK they are shooting at the market now", content=JUBA)
    _incident(dashboard, "MOV women cannot go to the market")
    _signed_in(page, dashboard, "triage_reviewer")
    row = page.locator(f'tr[data-incident="{incident}"]')
    assert row.locator(".priority").inner_text() == "P1"
    assert "due in 0:1" in row.locator("time").inner_text()
    screenshot("queue")

    row.get_by_role("link", name="Attack on people").click()
    page.wait_for_url(dashboard.at(f"/incidents/{incident}"))
    page.wait_for_selector("#map path.leaflet-interactive")  # Leaflet from the app drew the point
    screenshot("incident")
    page.get_by_role("button", name="Start review").click()
    assert page.locator(".banner.ok").inner_text() == "Review started."
    page.get_by_label("Information credibility").select_option("2")
    page.get_by_label("Source reliability (optional)").select_option("B")
    page.get_by_role("button", name="Verify", exact=True).click()
    assert page.locator(".banner.ok").inner_text() == "Verified."
    assert page.locator(".status-line .status").inner_text() == "Verified"
    assert page.locator(".facts strong").first.inner_text() == "B2"
    _sign_out(page, dashboard)

    _signed_in(page, dashboard, "joc_officer")
    assert page.locator("tr[data-incident]").count() == 1  # the JOC sees verified incidents only
    page.locator(f'tr[data-incident="{incident}"]').get_by_role("link").click()
    assert "Narrative not shown to your role." in page.locator("main").inner_text()
    page.get_by_label("Responder").fill("Juba TOB")
    page.get_by_label("Patrol reference (optional)").fill("P-17")
    page.get_by_role("button", name="Mark actioned").click()
    assert page.locator(".banner.ok").inner_text() == "Marked actioned."
    assert page.locator(".status-line .status").inner_text() == "Actioned"
    history = page.locator("table.history").inner_text()
    assert "Verified → Actioned (by Juba TOB; reference P-17)" in history
    assert page.csp_violations == []


def test_two_nearby_fighting_reports_are_merged_and_unmerged(page, dashboard: Dashboard, screenshot) -> None:  # type: ignore[no-untyped-def]
    services = dashboard.services
    first = _incident(
        dashboard, "FIG shooting near the market", content=JUBA, reporter_key=add_reporter(services)
    )
    second = _incident(
        dashboard, "FIG heavy shooting by the market", content=NEAR_JUBA, reporter_key=add_reporter(services)
    )
    assert suggest_duplicates(second, uow=services.uow(), rules=services.cluster_rules) == [first]
    _signed_in(page, dashboard, "triage_reviewer")
    page.goto(dashboard.at(f"/incidents/{first}"))
    suggestions = page.locator("section", has=page.locator("#duplicates-title"))
    assert f"#{second}" in suggestions.inner_text()
    assert "km" in suggestions.inner_text()
    page.wait_for_selector("#map path.leaflet-interactive")
    screenshot("suggestion")
    suggestions.get_by_role("button", name="Merge into this").click()
    assert page.locator(".banner.ok").inner_text() == f"Incident {second} merged into this one."
    assert page.locator("article.report").count() == 2
    screenshot("merged")
    page.get_by_role("button", name="Unmerge").click()
    assert page.locator(".banner.ok").inner_text() == f"Incident {second} separated again."
    assert page.locator("article.report").count() == 1
    assert page.get_by_role("button", name="Merge into this").is_visible()  # the suggestion is back
    assert page.csp_violations == []


def test_a_triage_reviewer_cannot_open_a_sexual_violence_narrative_and_the_focal_point_can(
    page, dashboard: Dashboard, screenshot
) -> None:  # type: ignore[no-untyped-def]
    incident = _incident(dashboard, SXV_NARRATIVE, content=JUBA)
    _signed_in(page, dashboard, "triage_reviewer")
    page.goto(dashboard.at(f"/incidents/{incident}"))
    main = page.locator("main").inner_text()
    assert "water point" not in main
    assert "Narrative restricted to the CRSV focal point." in main
    assert page.locator("#map").count() == 0  # no point of a sexual-violence incident
    screenshot("reviewer")
    _sign_out(page, dashboard)
    _signed_in(page, dashboard, "wpa_crsv_focal")
    page.goto(dashboard.at(f"/incidents/{incident}"))
    assert page.locator("blockquote.narrative").inner_text() == SXV_NARRATIVE
    assert page.locator("blockquote.narrative mark").first.inner_text() == "SXV"
    page.wait_for_selector("#map path.leaflet-interactive")
    screenshot("focal-point")
    assert page.csp_violations == []


def test_sms_markup_stays_text_in_the_browser(page, dashboard: Dashboard) -> None:  # type: ignore[no-untyped-def]
    incident = _incident(dashboard, "ATK shooting <img src=x onerror=alert(1)><script>alert(2)</script>")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _signed_in(page, dashboard, "triage_reviewer")
    page.goto(dashboard.at(f"/incidents/{incident}"))
    narrative = page.locator("blockquote.narrative")
    assert "<script>alert(2)</script>" in narrative.inner_text()
    assert narrative.locator("img, script").count() == 0
    assert dialogs == []


def test_the_queue_in_arabic_reads_right_to_left(page, dashboard: Dashboard, screenshot) -> None:  # type: ignore[no-untyped-def]
    _incident(dashboard, "ATK they are shooting at the market now", content=JUBA)
    _incident(dashboard, "MOV women cannot go to the market")
    _signed_in(page, dashboard, "triage_reviewer")
    page.get_by_role("button", name="العربية").click()
    page.wait_for_url(dashboard.at("/queue"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", level=1).inner_text() == "قائمة الانتظار"
    headers = page.locator("table.queue-table thead th")
    first, last = headers.first.bounding_box(), headers.last.bounding_box()
    assert first["x"] > last["x"]  # the priority column is on the right
    assert headers.first.inner_text() == "الأولوية"
    assert page.get_by_role("link", name="هجوم على أشخاص").is_visible()  # category in Arabic
    assert "يحين خلال" in page.locator("time[data-countdown]").first.inner_text()
    filters = page.locator("form.queue-filters")
    assert filters.get_by_label("الفئة").is_visible()
    screenshot("arabic-queue")
    assert page.csp_violations == []


def test_the_countdown_ticks_and_an_overdue_alert_shows_red(page, dashboard: Dashboard) -> None:  # type: ignore[no-untyped-def]
    due = _incident(dashboard, "ATK they are shooting at the market now")
    late = _incident(dashboard, "ARM armed men near the school")
    with dashboard.services.uow() as uow:
        incident = uow.session.get(Incident, late)
        assert incident is not None
        incident.deadline_at = utcnow() - timedelta(minutes=3)
        uow.commit()
    _signed_in(page, dashboard, "triage_reviewer")
    clock = page.locator(f'tr[data-incident="{due}"] time[data-countdown]')
    before = clock.inner_text()
    page.wait_for_function(
        "([el, text]) => el.textContent !== text", arg=[clock.element_handle(), before], timeout=3000
    )
    assert clock.inner_text().startswith("due in 0:1")
    overdue = page.locator(f'tr[data-incident="{late}"] time[data-countdown]')
    assert overdue.inner_text().startswith("overdue by 0:0")
    assert "overdue" in (overdue.get_attribute("class") or "")
    assert overdue.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(179, 20, 27)"
    assert overdue.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    edge = page.locator(f'tr[data-incident="{late}"] td').first  # the overdue row is marked too
    assert edge.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(179, 20, 27)"


def test_new_alerts_appear_as_a_banner_without_reloading(
    page, dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("app.web.review.POLL_SECONDS", 1)
    _incident(dashboard, "MOV women cannot go to the market")
    _signed_in(page, dashboard, "triage_reviewer")
    banner = page.locator("#new-alerts")
    assert banner.is_hidden()
    fresh = _incident(dashboard, "ABD they took two girls from the school")
    banner.wait_for(state="visible", timeout=5000)
    assert banner.inner_text().startswith("1 new alert")
    banner.get_by_role("link", name="Show").click()
    page.wait_for_url(dashboard.at(f"/incidents/{fresh}"))  # the new alert itself, wherever it is listed


def test_a_hidden_tab_does_not_poll(page, dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("app.web.review.POLL_SECONDS", 1)
    _signed_in(page, dashboard, "triage_reviewer")
    polls: list[str] = []
    page.on("request", lambda request: "/queue/updates" in request.url and polls.append(request.url))
    page.wait_for_timeout(2500)
    assert polls  # visible: it asks every second here
    page.add_init_script(
        "Object.defineProperty(document, 'visibilityState', {get: () => 'hidden'});"
        "Object.defineProperty(document, 'hidden', {get: () => true});"
    )
    page.reload()
    polls.clear()
    page.wait_for_timeout(2500)
    assert polls == []
