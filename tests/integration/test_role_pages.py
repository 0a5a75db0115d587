"""Roles as the pages show them, table-driven (DOMAIN.md §6.4; issue #16): each role lands on a page it
may open, every header link it is shown opens and no page it may not open is linked, and the queue
offers a verified-only reader no status she can never see, with an explanation of what she does see.

What each role gets is spelled out below from §6.4, independently of ``alerts.accounts.policy``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from alerts.models import Network, User
from alerts.vocabulary import ROLES
from app.bootstrap import Services
from app.web.navigation import NAV_LINKS
from tests.factories import add_reporter, report
from tests.web import PAGE, add_user, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

EVERY_OPEN_STATUS = ["Received", "Under review", "Unverified", "Verified", "Actioned"]
VERIFIED_OPEN = ["Verified", "Actioned"]
ALL_HINT = "Open incidents awaiting a decision first, then those handled"
VERIFIED_HINT = "Verified incidents still open, verified or actioned: most urgent first."
NETWORK = "Bentiu Women Peace Monitors"


@dataclass(frozen=True)
class Expected:
    home: str
    links: frozenset[str]
    statuses: list[str] | None = None
    """The queue's status choices (without "All open"); None: she may not open the queue."""
    handled: list[str] | None = None
    """The status choices of the handled tab."""
    hint: str | None = None


ROLE_PAGES = {
    "network_coordinator": Expected(
        "/queue",
        frozenset({"/queue", "/indicators"}),
        EVERY_OPEN_STATUS,
        ["Unverified", "Verified", "Actioned"],
        ALL_HINT,
    ),
    "triage_reviewer": Expected(
        "/queue",
        frozenset({"/queue", "/stale", "/indicators"}),
        EVERY_OPEN_STATUS,
        ["Unverified", "Verified", "Actioned"],
        ALL_HINT,
    ),
    "joc_officer": Expected(
        "/queue",
        frozenset({"/queue", "/indicators", "/protection", "/quality"}),
        VERIFIED_OPEN,
        VERIFIED_OPEN,
        VERIFIED_HINT,
    ),
    "protection_analyst": Expected(
        "/queue",
        frozenset({"/queue", "/indicators", "/protection"}),
        VERIFIED_OPEN,
        VERIFIED_OPEN,
        VERIFIED_HINT,
    ),
    "wpa_crsv_focal": Expected(
        "/queue",
        frozenset({"/queue", "/stale", "/indicators", "/protection"}),
        EVERY_OPEN_STATUS,
        ["Unverified", "Verified", "Actioned"],
        ALL_HINT,
    ),
    "contact_officer": Expected("/contacts", frozenset({"/contacts"})),
    "admin": Expected("/admin", frozenset({"/indicators", "/quality", "/admin"})),
    "auditor": Expected("/audit", frozenset({"/audit"})),
}


def test_every_role_is_in_the_table() -> None:
    assert sorted(ROLE_PAGES) == sorted(ROLES)


def _status_choices(page: str) -> list[str]:
    select_html = page.split('<select id="status" name="status">')[1].split("</select>")[0]
    return [
        label
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html)
        if value
    ]


def _signed_in(app: Flask, services: Services, role: str) -> FlaskClient:
    client = app.test_client()
    answer = sign_in(client, add_user(services, role))
    assert answer.status_code == 302
    assert answer.headers["Location"] == ROLE_PAGES[role].home
    return client


def _verified_incident_of_her_network(services: Services) -> None:
    """One verified incident every incident reader sees (the coordinator's network reported it)."""
    key = add_reporter(services, network=NETWORK)
    incident = incident_of_report(
        report(services, "ATK they are shooting at the market", reporter_key=key), uow=services.uow()
    )
    assert incident is not None
    for step in ("under_review", "verified"):
        change_incident_status(incident, step, actor="reviewer@test.dalili.org", uow=services.uow())
    with services.uow() as uow:
        network = uow.session.scalar(select(Network).where(Network.name == NETWORK))
        assert network is not None
        network.coordinator_id = uow.session.scalar(
            select(User.id).where(User.email == "network_coordinator@test.dalili.org")
        )
        uow.commit()


@pytest.mark.parametrize("role", ROLES)
def test_she_lands_on_her_page_and_sees_only_links_she_may_open(
    app: Flask, services: Services, role: str
) -> None:
    expected = ROLE_PAGES[role]
    client = _signed_in(app, services, role)
    landing = client.get(expected.home, headers=PAGE)
    assert landing.status_code == 200, "no 403 loop after sign-in"
    header = landing.get_data(as_text=True).split('<nav class="sections"')[1].split("</nav>")[0]
    assert set(re.findall(r'<a href="([^"]+)"', header)) == expected.links
    for link in NAV_LINKS:
        status = client.get(link.path, headers=PAGE).status_code
        assert status == (200 if link.path in expected.links else 403), (link.path, status)


@pytest.mark.parametrize("role", sorted(r for r, e in ROLE_PAGES.items() if e.statuses is not None))
def test_the_queue_offers_only_statuses_she_can_see_and_explains_what_she_sees(
    app: Flask, services: Services, role: str
) -> None:
    expected = ROLE_PAGES[role]
    client = _signed_in(app, services, role)
    _verified_incident_of_her_network(services)
    queue = client.get("/queue", headers=PAGE).get_data(as_text=True)
    assert _status_choices(queue) == expected.statuses
    assert expected.hint in queue
    assert 'data-incident="' in queue  # the hint is what she reads above her rows
    handled = client.get("/queue?view=handled", headers=PAGE).get_data(as_text=True)
    assert _status_choices(handled) == expected.handled
    received = client.get("/queue?status=received", headers=PAGE).get_data(as_text=True)
    assert ("Correct the filters to see the queue." in received) is ("Received" not in expected.statuses)
