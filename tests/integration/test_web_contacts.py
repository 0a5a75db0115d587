"""/contacts through Flask's test client, on both backends: only the contact officer has the page and
the link, a number appears only in the answer to her POST (never in a URL, a later page or a cache),
and every attempt on a number is audited (R28-R30)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from alerts.models import AuditEvent, utcnow
from alerts.reporters.callbacks import contact_reference
from alerts.reporters.contacts import withdraw
from alerts.vocabulary import ROLES
from app.bootstrap import Services
from tests.factories import callback_monitor, report
from tests.web import PAGE, add_user, csrf_token, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

NUMBER = "+211912345678"
DIGITS = "211912345678"


def _signed_in(app: Flask, services: Services, role: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, add_user(services, role)).status_code == 302
    return client


def _show(client: FlaskClient, reference: str, reason: str, *, token_from: str = "/contacts") -> TestResponse:
    form = {"reason": reason, "csrf_token": csrf_token(client, token_from)}
    return client.post(f"/contacts/{reference}/show", data=form, headers=PAGE)


def _actions(services: Services) -> list[str]:
    with services.uow() as uow:
        query = select(AuditEvent.action).where(AuditEvent.action.like("vault.%")).order_by(AuditEvent.id)
        return list(uow.session.scalars(query))


def test_only_the_contact_officer_has_the_page_and_its_link(app: Flask, services: Services) -> None:
    reference = contact_reference(callback_monitor(services, NUMBER))
    others = [role for role in ROLES if role != "contact_officer"]
    for role in others:
        client = _signed_in(app, services, role)
        refused = client.get("/contacts", headers=PAGE)
        assert refused.status_code == 403, role
        assert 'href="/contacts"' not in refused.get_data(as_text=True)
        attempt = _show(client, reference, "curious", token_from="/login")
        assert attempt.status_code == 403, role
        assert DIGITS not in attempt.get_data(as_text=True)
    assert _actions(services) == ["vault.read_refused"] * len(others)
    officer = _signed_in(app, services, "contact_officer")
    page = officer.get("/contacts", headers=PAGE).get_data(as_text=True)
    assert '<a href="/contacts" aria-current="page">Call-backs</a>' in page
    assert app.test_client().get("/contacts", headers=PAGE).headers["Location"] == "/login?next=/contacts"


def test_the_number_is_shown_once_in_the_answer_to_her_post(app: Flask, services: Services) -> None:
    key = callback_monitor(services, NUMBER)
    report(services, "", reporter_key=key, content={"missed_call": True})
    reference = contact_reference(key)
    officer = _signed_in(app, services, "contact_officer")
    listing = officer.get("/contacts", headers=PAGE).get_data(as_text=True)
    assert f'<tr data-reference="{reference}">' in listing
    assert DIGITS[-6:] not in listing
    assert key not in listing
    assert key[:12] not in listing
    assert "Missed call waiting" in listing
    shown = _show(officer, reference, "she beeped at dawn")
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    assert f'<strong dir="ltr">{NUMBER}</strong>' in shown.get_data(as_text=True)
    assert "default-src 'self'" in shown.headers["Content-Security-Policy"]
    assert _actions(services) == ["vault.read"]
    assert DIGITS[-6:] not in officer.get("/contacts", headers=PAGE).get_data(as_text=True)
    with officer.session_transaction() as session:
        assert DIGITS not in str(dict(session))  # not flashed into the cookie either


def test_without_a_reason_or_a_token_no_number_is_shown(app: Flask, services: Services) -> None:
    reference = contact_reference(callback_monitor(services, NUMBER))
    officer = _signed_in(app, services, "contact_officer")
    empty = _show(officer, reference, "  ")
    assert empty.status_code == 302
    assert empty.headers["Location"] == "/contacts"
    assert "Say why you need her number." in officer.get("/contacts", headers=PAGE).get_data(as_text=True)
    forged = officer.post(f"/contacts/{reference}/show", data={"reason": "x"}, headers=PAGE)
    assert forged.status_code == 400
    assert DIGITS not in forged.get_data(as_text=True)
    assert _actions(services) == []


def test_a_withdrawn_monitor_is_gone_and_asking_for_her_is_audited(app: Flask, services: Services) -> None:
    key = callback_monitor(services, NUMBER)
    officer = _signed_in(app, services, "contact_officer")
    withdraw(key, uow=services.uow(), now=utcnow())
    answer = _show(officer, contact_reference(key), "she beeped")
    assert answer.status_code == 302
    page = officer.get("/contacts", headers=PAGE).get_data(as_text=True)
    assert f"No contact is kept for {contact_reference(key)}." in page
    assert "No monitor's number is kept for call-backs in your countries." in page
    assert _actions(services) == ["vault.read_refused"]


def test_she_records_how_the_call_went(app: Flask, services: Services) -> None:
    key = callback_monitor(services, NUMBER)
    report(services, "", reporter_key=key, content={"missed_call": True})
    reference = contact_reference(key)
    officer = _signed_in(app, services, "contact_officer")
    shown = _show(officer, reference, "she beeped").get_data(as_text=True)
    assert f'action="/contacts/{reference}/called"' in shown
    form = {"outcome": "reached", "csrf_token": csrf_token(officer, "/contacts")}
    after = officer.post(f"/contacts/{reference}/called", data=form, headers=PAGE, follow_redirects=True)
    page = after.get_data(as_text=True)
    assert "Call recorded." in page
    assert "Reached her" in page
    row = page.split(f'<tr data-reference="{reference}">')[1].split("</tr>")[0]
    assert "<strong>yes</strong>" not in row  # the missed call is answered
    assert _actions(services) == ["vault.read", "vault.callback"]


def test_pages_in_french_and_arabic(app: Flask, services: Services) -> None:
    callback_monitor(services, NUMBER)
    officer = _signed_in(app, services, "contact_officer")
    for language, title, button in (
        ("fr", "Rappels", "Afficher le numéro"),
        ("ar", "معاودة الاتصال", "إظهار الرقم"),
    ):
        officer.post("/language", data={"language": language, "csrf_token": csrf_token(officer, "/contacts")})
        page = officer.get("/contacts", headers=PAGE).get_data(as_text=True)
        assert f'<h1 id="contacts-title">{title}</h1>' in page
        assert f">{button}</button>" in page
