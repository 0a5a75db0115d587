"""The dashboard's shell in a real browser: sign-in per role, errors, throttling, Arabic, CSRF, CSP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from alerts.vocabulary import ROLES
from app.web.auth import home_for_role
from app.web.navigation import ROLE_LABELS
from app.web.throttle import FAILURE_LIMIT
from tests.browser.conftest import Dashboard, sign_in
from tests.web import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

Screenshot = Callable[[str], Path]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_lands_on_her_first_page_and_sees_her_role(
    page: Page, dashboard: Dashboard, screenshot: Screenshot, role: str
) -> None:
    sign_in(page, dashboard, dashboard.email(role))
    page.wait_for_url(dashboard.at(home_for_role(role)))
    header = page.locator("header.site")
    assert header.locator(".role").inner_text() == str(ROLE_LABELS[role])
    assert header.locator(".email").inner_text() == dashboard.email(role)
    assert header.get_by_role("button", name="Sign out").is_visible()
    screenshot("first-page")
    assert page.csp_violations == []  # type: ignore[attr-defined]  # reason: collected by the page fixture


def test_a_wrong_password_shows_the_generic_error(
    page: Page, dashboard: Dashboard, screenshot: Screenshot
) -> None:
    sign_in(page, dashboard, dashboard.email("joc_officer"), "not-her-password")
    assert page.get_by_role("alert").inner_text() == "Wrong email, password or code."
    assert page.get_by_label("Email").input_value() == dashboard.email("joc_officer")
    assert page.get_by_label("Password").input_value() == ""
    screenshot("login-error")


def test_the_sixth_failed_sign_in_is_throttled(
    page: Page, dashboard: Dashboard, screenshot: Screenshot
) -> None:
    for _ in range(FAILURE_LIMIT):
        sign_in(page, dashboard, dashboard.email("admin"), "guess")
        assert page.get_by_role("alert").is_visible()
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        sign_in(page, dashboard, dashboard.email("admin"))  # the right password, too late
    assert answer.value.status == 429
    assert page.get_by_role("heading", level=1).inner_text() == "Too many attempts"
    assert "Wait 15 minutes" in page.locator("main").inner_text()
    screenshot("throttled")


def test_arabic_is_right_to_left_and_remembered_at_the_next_sign_in(
    page: Page, dashboard: Dashboard, screenshot: Screenshot
) -> None:
    sign_in(page, dashboard, dashboard.email("triage_reviewer"))
    page.wait_for_url(dashboard.at("/queue"))
    page.get_by_role("button", name="العربية").click()
    page.wait_for_url(dashboard.at("/queue"))
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert page.locator(".role").inner_text() == "الفرز والمراجعة"
    brand, account = page.locator(".brand").bounding_box(), page.locator(".account").bounding_box()
    assert brand is not None
    assert account is not None
    assert brand["x"] > account["x"]  # the header mirrors: the name on the right, her account on the left
    screenshot("arabic")
    page.get_by_role("button", name="تسجيل الخروج").click()
    page.wait_for_url(dashboard.at("/login"))
    assert page.locator("html").get_attribute("dir") == "ltr"  # a visitor gets her browser's language
    sign_in(page, dashboard, dashboard.email("triage_reviewer"))
    page.wait_for_url(dashboard.at("/queue"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("button", name="تسجيل الخروج").is_visible()


def test_a_post_without_its_csrf_token_is_refused(page: Page, dashboard: Dashboard) -> None:
    page.goto(dashboard.at("/login"))  # the session cookie exists; only the token is missing
    answer = page.request.post(
        dashboard.at("/login"), form={"email": dashboard.email("admin"), "password": PASSWORD}
    )
    assert answer.status == 400
    page.goto(dashboard.at("/"))
    assert page.url == dashboard.at("/login")  # and she was not signed in


def test_pages_and_the_simulator_run_under_the_content_security_policy(
    page: Page, dashboard: Dashboard, screenshot: Screenshot
) -> None:
    page.goto(dashboard.at("/login"))
    assert (
        page.locator("header.site").evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    )
    screenshot("login")
    page.get_by_role("link", name="Training: play a monitor on the phone simulator").click()
    page.wait_for_url(dashboard.at("/login?next=/simulator"))  # trainers only: she signs in first
    page.get_by_label("Email").fill(dashboard.email("network_coordinator"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(dashboard.at("/simulator"))
    page.get_by_role("tab", name="USSD").click()  # simulator.js runs: the tab switches
    assert page.locator("#panel-ussd").is_visible()
    screenshot("simulator")
    page.goto(dashboard.at("/no-such-page"))
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    screenshot("not-found")
    assert page.csp_violations == []  # type: ignore[attr-defined]  # reason: collected by the page fixture
