"""The incident, protection, queue and indicators pages on a phone (390 px wide) in French and Arabic:
nothing scrolls the page sideways (wide tables scroll inside their own box), every drop-down shows its
whole selected label, and a banded count reads "<3" in Arabic too. A reviewer reads every French grade
she may choose in full, on a phone and on a desktop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from alerts.incidents.reports import change_incident_status
from tests.browser.conftest import SCREENSHOTS, Dashboard, sign_in
from tests.factories import verified_incident

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
BRIA = (21.986, 6.5375)
LANGUAGES = {"fr": "Français", "ar": "العربية"}

CLIPPED_SELECTS = """(every) => [...document.querySelectorAll("select")]
  .filter(s => s.offsetParent !== null)
  .map(s => {
    // A drop-down cuts a long label without any overflow to measure (its scrollWidth is its
    // clientWidth), so measure the width it needs: a copy holding only what it shows (the selected
    // option; every option of a list box, or when asked), at its natural width, beside it so the same
    // styles apply.
    const probe = s.cloneNode(false);
    probe.removeAttribute("id");
    probe.removeAttribute("name");
    const shown = s.multiple || every ? [...s.options] : [...s.selectedOptions];
    shown.forEach(o => probe.appendChild(o.cloneNode(true)));
    probe.style.cssText =
      "position: absolute; visibility: hidden; inline-size: auto; min-inline-size: 0; max-inline-size: none";
    s.after(probe);
    const needed = probe.offsetWidth;
    probe.remove();
    return {select: s.id, label: shown.map(o => o.text).join(" | "), needed: needed, width: s.offsetWidth};
  })
  .filter(s => s.needed > s.width)"""

BANDS = """() => {
  // Every "<" before a digit on the page, and where the two are drawn: read left to right, "<" is left.
  const found = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/<\\d/g)) {
      const sign = document.createRange(), digit = document.createRange();
      sign.setStart(node, match.index); sign.setEnd(node, match.index + 1);
      digit.setStart(node, match.index + 1); digit.setEnd(node, match.index + 2);
      const reversed = sign.getBoundingClientRect().left >= digit.getBoundingClientRect().left;
      found.push({text: node.data, reversed: reversed});
    }
  }
  return found;
}"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport=PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def incident(dashboard: Dashboard) -> int:
    """Verified incidents of every category at Bria, one sexual-violence: the protection summary has
    a column each (a table wider than a phone) and a banded "<3" the JOC officer sees. The attack's
    history has a line with a long address, wider than a phone too."""
    services = dashboard.services
    categories = sorted(services.taxonomy.categories)
    ids = [
        verified_incident(services, *BRIA, category=code, areas={"adm1_name": "Haute-Kotto"})
        for code in categories
    ]
    attack = ids[categories.index("ATK")]
    actor = "joc.officer.of.the.eastern.sector@joint-operations.test.dalili.org"
    change_incident_status(attack, "response_dispatched", actor=actor, uow=services.uow())
    return attack


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_fit_a_phone_in_french_and_arabic(
    phone: Page, dashboard: Dashboard, incident: int, language: str
) -> None:
    sign_in(phone, dashboard, dashboard.email("joc_officer"))  # queue, incidents, protection, indicators
    phone.wait_for_url(dashboard.at("/queue"))
    phone.get_by_role("button", name=LANGUAGES[language]).click()
    phone.wait_for_url(dashboard.at("/queue"))
    assert phone.locator("html").get_attribute("lang") == language
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path, drawn in (
        ("queue", "/queue", "table.queue-table"),
        ("incident", f"/incidents/{incident}", "#map path.leaflet-interactive"),
        ("protection", "/protection", "#hotspot-map[data-cells]"),
        ("indicators", "/indicators?group_by=week", "table.grid"),
    ):
        phone.goto(dashboard.at(path))
        phone.wait_for_selector(drawn)
        phone.screenshot(path=str(SCREENSHOTS / f"phone-{language}-{name}.png"), full_page=True)
        overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} in {language} scrolls sideways by {overflow} px"
        assert phone.evaluate(CLIPPED_SELECTS, False) == [], f"{path} in {language} cuts a drop-down's label"
    phone.goto(dashboard.at("/protection"))
    bands = phone.evaluate(BANDS)
    assert len(bands) == 2  # the sexual-violence cell and the sentence under the table
    assert [band["text"] for band in bands if band["reversed"]] == []


@pytest.mark.parametrize("width", [390, 1100])
def test_a_reviewer_reads_every_grade_she_may_choose_in_french(
    browser: Browser, dashboard: Dashboard, width: int
) -> None:
    incident = verified_incident(dashboard.services, *BRIA, status="under_review")
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, dashboard, dashboard.email("triage_reviewer"))
    page.wait_for_url(dashboard.at("/queue"))
    page.get_by_role("button", name="Français").click()
    page.wait_for_url(dashboard.at("/queue"))
    page.goto(dashboard.at(f"/incidents/{incident}"))
    page.wait_for_selector("#verify-credibility")
    assert page.evaluate(CLIPPED_SELECTS, True) == []  # "1 — confirmée par d'autres sources" and the rest
    context.close()
