"""The oversight pages: stale alerts, indicators, protection summary and administration (§6.4)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from alerts.accounts.users import authenticate_password
from alerts.incidents.escalation import escalate_overdue
from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from alerts.models import Incident, utcnow
from app.bootstrap import Services
from app.web import oversight
from tests.factories import add_reporter, report
from tests.web import PAGE, add_user, csrf_token, post_form, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]


def _signed_in(client: FlaskClient, services: Services, role: str) -> str:
    email = add_user(services, role)
    assert sign_in(client, email).status_code == 302
    return email


def test_the_stale_page_lists_escalated_alerts(client: FlaskClient, services: Services) -> None:
    incident = incident_of_report(report(services, "MOV women cannot go to the market"), uow=services.uow())
    escalate_overdue(utcnow() + timedelta(days=2), uow=services.uow())
    _signed_in(client, services, "triage_reviewer")
    page = client.get("/stale", headers=PAGE).get_data(as_text=True)
    assert f'href="/incidents/{incident}"' in page
    assert "1×" in page


def test_the_stale_page_says_how_long_in_words_with_translated_statuses_a_page_at_a_time(
    client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    incidents = [
        incident_of_report(report(services, text), uow=services.uow())
        for text in ("MOV women cannot go to the market", "ATK shooting near the school")
    ]
    with services.uow() as uow:  # reported 59 d 8 h 18 min ago (85458 min), long past the deadline
        uow.session.execute(
            update(Incident)
            .where(Incident.id.in_(incidents))
            .values(first_reported_at=utcnow() - timedelta(minutes=85458, seconds=20))
        )
        uow.commit()
    escalate_overdue(utcnow() + timedelta(days=2), uow=services.uow())
    monkeypatch.setattr(oversight, "STALE_PAGE_SIZE", 1)
    _signed_in(client, services, "triage_reviewer")
    post_form(client, "/language", {"language": "fr", "next": "/stale"})
    first = client.get("/stale", headers=PAGE).get_data(as_text=True)
    assert "59 j 8 h" in first
    assert "85458" not in first
    assert "Reçu" in first
    assert ">received<" not in first
    assert 'href="/stale?page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get("/stale?page=2", headers=PAGE).get_data(as_text=True)
    assert 'href="/stale?page=1" rel="prev"' in second
    assert 'rel="next"' not in second
    shown = [re.findall(r'data-incident="(\d+)"', page) for page in (first, second)]
    assert sorted(int(i) for ids in shown for i in ids) == sorted(incidents)
    assert client.get("/stale?page=99", headers=PAGE).get_data(as_text=True).count("data-incident=") == 1


def test_indicators_show_the_share_addressed_and_network_feedback(
    client: FlaskClient, services: Services
) -> None:
    key = add_reporter(services, network="Bentiu Women Peace Monitors")
    incident = incident_of_report(report(services, "ATK shooting now", reporter_key=key), uow=services.uow())
    for step in ("under_review", "verified", "response_dispatched"):
        change_incident_status(incident, step, actor="r@example.org", uow=services.uow())
    _signed_in(client, services, "triage_reviewer")
    page = client.get("/indicators?group_by=network", headers=PAGE).get_data(as_text=True)
    assert "Bentiu Women Peace Monitors" in page
    assert "100%" in page  # as English writes a share (French: "100 %")
    assert client.get("/indicators?since=yesterday", headers=PAGE).status_code == 400


def test_the_protection_page_counts_verified_incidents_without_narratives(
    client: FlaskClient, services: Services
) -> None:
    incident = incident_of_report(report(services, "ATK they burned the clinic in Yei"), uow=services.uow())
    for step in ("under_review", "verified"):
        change_incident_status(incident, step, actor="r@example.org", uow=services.uow())
    _signed_in(client, services, "protection_analyst")
    page = client.get("/protection", headers=PAGE).get_data(as_text=True)
    assert '<th scope="col" title=' in page
    assert "clinic" not in page


def test_an_administrator_adds_a_user_and_sees_monitors_by_pseudonym(
    client: FlaskClient, services: Services
) -> None:
    key = add_reporter(services, network="Gao Women Mediators", country="ML")
    _signed_in(client, services, "admin")
    form = {
        "email": "awa@example.org",
        "role": "triage_reviewer",
        "countries": "ML",
        "csrf_token": csrf_token(client, "/admin"),
    }
    created = client.post("/admin/users", data=form, headers=PAGE, follow_redirects=True).get_data(
        as_text=True
    )
    assert "First password, shown once" in created
    assert "awa@example.org" in created
    assert "Gao Women Mediators" in created
    network_link = created.split('href="/admin/networks/')[1].split('"')[0]
    monitors = client.get(f"/admin/networks/{network_link}", headers=PAGE).get_data(as_text=True)
    assert key[:12] in monitors
    assert key not in monitors


def test_a_new_users_first_password_is_shown_once_in_the_answer_and_never_kept_in_a_cookie(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    _signed_in(client, services, "admin")
    form = {"email": "awa@example.org", "role": "joc_officer", "csrf_token": csrf_token(client, "/admin")}
    created = client.post("/admin/users", data=form, headers=PAGE)
    assert (created.status_code, created.headers["Cache-Control"]) == (200, "no-store")
    shown = re.search(r"First password, shown once: <code dir=\"ltr\">([^<]+)</code>", created.text)
    assert shown, created.text
    password = shown.group(1)
    assert authenticate_password("awa@example.org", password, None, uow=services.uow()).role == "joc_officer"
    cookie = client.get_cookie("session")
    assert cookie is not None
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]  # reason: SecureCookieSessionInterface
    assert password not in json.dumps(session)
    assert password not in client.get("/admin", headers=PAGE).text


@pytest.mark.parametrize(
    ("role", "path"),
    [("joc_officer", "/admin"), ("contact_officer", "/indicators"), ("network_coordinator", "/protection")],
)
def test_pages_refuse_roles_they_do_not_serve(
    client: FlaskClient, services: Services, role: str, path: str
) -> None:
    _signed_in(client, services, role)
    assert client.get(path, headers=PAGE).status_code == 403


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/stale", headers=PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_administrator_starts_on_the_administration_page(client: FlaskClient, services: Services) -> None:
    email = add_user(services, "admin")
    assert sign_in(client, email).headers["Location"].endswith("/admin")
