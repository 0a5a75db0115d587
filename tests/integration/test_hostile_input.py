"""Hostile, oversized, binary and wrongly encoded payloads through the real signed Twilio webhook, the
worker and the triage pages, on both backends (issue #8): stored literally, shown inert, never a 5xx."""

from __future__ import annotations

import urllib.parse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

from alerts.models import InboundMessage, Report
from app import MAX_REQUEST_BYTES
from app.bootstrap import Services
from app.worker import drain
from tests.conftest import PUBLIC_URL, TWILIO_TOKEN, signed_twilio_post, twilio_sms
from tests.factories import random_sid
from tests.web import PAGE, add_user, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

SMS_PATH = "/webhooks/twilio/sms"
HOSTILE_BODIES = {
    "script": "MOV qscript <script>alert(1)</script> at the market",
    "attribute": 'MOV qattribute "><img src=x onerror=alert(1)> near the well',
    "sql": "MOV qsql '; DROP TABLE reports; -- road closed",
    "template": "MOV qtemplate {{7*7}} {% raw %} ${7*7} road closed",
    "long": "MOV qlong road closed " + "x" * 20_000,
    "controls": "MOV qcontrols road\x01 closed\x07\x1b[31m by\x7f soldiers\u202e",
}
"""Each body carries a marker word (q + its name) to find its report again."""


def _count(services: Services, table: str) -> int:
    with services.engine.connect() as connection:
        return int(connection.execute(text(f"select count(*) from {table}")).scalar_one())


def _reviewer(app: Flask, services: Services) -> FlaskClient:
    reviewer = app.test_client()
    assert sign_in(reviewer, add_user(services, "triage_reviewer")).status_code == 302
    return reviewer


def _incident_of(services: Services, fragment: str) -> int:
    with services.engine.connect() as connection:
        rows = connection.execute(
            text("select incident_id from reports where text like :f"), {"f": f"%{fragment}%"}
        ).all()
    assert len(rows) == 1, fragment
    assert rows[0][0] is not None
    return int(rows[0][0])


def _raw_signed_post(
    client: FlaskClient, raw: bytes, signed_form: dict[str, str], content_type: str
) -> object:
    """POST raw bytes with a valid signature over the form the server will decode from them."""
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + SMS_PATH, signed_form)
    return client.post(
        SMS_PATH, data=raw, headers={"X-Twilio-Signature": signature, "Content-Type": content_type}
    )


def test_hostile_sms_bodies_are_stored_literally_and_shown_inert(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    for name, body in HOSTILE_BODIES.items():
        response = signed_twilio_post(client, twilio_sms(sid=random_sid(), body=body))
        assert response.status_code == 200, (name, response.status_code)
    drain(app)
    assert _count(services, "reports") == len(HOSTILE_BODIES)  # the table survived the SQL text
    with services.engine.connect() as connection:
        stored = set(connection.execute(text("select text from reports")).scalars())
    assert "MOV qsql '; DROP TABLE reports; -- road closed" in stored
    assert "MOV qtemplate {{7*7}} {% raw %} ${7*7} road closed" in stored
    assert any(len(s) > 20_000 for s in stored)
    assert not any(ch in s for s in stored for ch in "\x01\x07\x1b\x7f")

    reviewer = _reviewer(app, services)
    queue = reviewer.get("/queue", headers=PAGE)
    assert queue.status_code == 200
    pages = [queue.get_data(as_text=True)]
    for name in HOSTILE_BODIES:
        page = reviewer.get(f"/incidents/{_incident_of(services, 'q' + name + ' ')}", headers=PAGE)
        assert page.status_code == 200, (name, page.status_code)
        pages.append(page.get_data(as_text=True))
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "qtemplate 49" not in page
    incident_pages = "".join(pages[1:])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in incident_pages
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in incident_pages or (
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in incident_pages
    )
    assert "qtemplate {{7*7}} {% raw %} ${7*7}" in incident_pages  # shown as she wrote it, not evaluated
    assert "&#39;; DROP TABLE reports; --" in incident_pages
    assert "\x07" not in incident_pages
    assert "\x1b" not in incident_pages


def test_a_body_with_nul_characters_is_stored_without_a_server_error(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    # PostgreSQL's text and JSONB refuse NUL: it is dropped at storage, the rest of her words kept.
    response = signed_twilio_post(client, twilio_sms(sid=random_sid(), body="MOV road\x00 closed\x00"))
    assert response.status_code == 200
    assert _count(services, "inbound_messages") == 1
    drain(app)
    assert _count(services, "reports") == 1
    with services.uow() as uow:
        assert uow.session.scalar(select(Report.text)) == "MOV road closed"
    reviewer = _reviewer(app, services)
    assert reviewer.get("/queue", headers=PAGE).status_code == 200


def test_invalid_utf8_in_the_form_is_kept_percent_encoded_and_stored(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    form = twilio_sms(sid=random_sid(), body="MOV road closed")
    raw = urllib.parse.urlencode(form).replace("Body=MOV", "Body=%ff%feMOV").encode()
    decoded = form | {"Body": "%FF%FEMOV road closed"}  # werkzeug leaves undecodable bytes percent-encoded
    replaced = form | {"Body": "\ufffd\ufffdMOV road closed"}  # a signature over another decoding fails
    refused = _raw_signed_post(client, raw, replaced, "application/x-www-form-urlencoded")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert _count(services, "inbound_messages") == 0
    response = _raw_signed_post(client, raw, decoded, "application/x-www-form-urlencoded")
    assert response.status_code == 200  # type: ignore[attr-defined]
    drain(app)
    with services.engine.connect() as connection:
        assert list(connection.execute(text("select text from reports")).scalars()) == [
            "%FF%FEMOV road closed"
        ]
    assert _reviewer(app, services).get("/queue", headers=PAGE).status_code == 200


def test_a_request_over_the_size_limit_gets_413_and_nothing_is_stored(
    client: FlaskClient, services: Services
) -> None:
    response = signed_twilio_post(
        client, twilio_sms(sid=random_sid(), body="MOV " + "y" * (MAX_REQUEST_BYTES + 1))
    )
    assert response.status_code == 413
    assert _count(services, "inbound_messages") == 0
    assert _count(services, "reports") == 0


def test_a_binary_body_gets_a_precise_4xx_and_nothing_is_stored(
    client: FlaskClient, services: Services
) -> None:
    binary = bytes(range(256)) * 8
    response = _raw_signed_post(client, binary, {}, "application/octet-stream")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "application/x-www-form-urlencoded" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    unsigned = client.post(
        SMS_PATH, data=binary, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert 400 <= unsigned.status_code < 500
    assert _count(services, "inbound_messages") == 0


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [("NumMedia", "100000000", 10), ("NumMedia", "11", 10), ("NumSegments", "9" * 20, 255)],
    ids=["NumMedia in the millions", "NumMedia past Twilio's 10", "NumSegments of 20 digits"],
)
def test_a_count_past_its_real_limit_gets_a_precise_400_and_is_kept_for_review(
    client: FlaskClient, services: Services, field: str, value: str, limit: int
) -> None:
    # A signed NumMedia=100000000 used to build a list of that many media: 2 GB in one worker.
    form = twilio_sms(sid=random_sid(), body="MOV qcount road closed") | {field: value}
    response = signed_twilio_post(client, form)
    assert response.status_code == 400
    reason = f"field '{field}' must be a whole number from 0 to {limit}"
    assert response.json["error"] == reason
    with services.uow() as uow:
        kept = uow.session.scalars(select(InboundMessage)).one()
        assert (kept.status, kept.error, kept.content["text"]) == ("review", reason, "MOV qcount road closed")
    assert services.queues.queues["intake"].count == 0
