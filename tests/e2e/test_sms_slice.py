"""Webhook -> database -> queue -> worker -> API, on the embedded default and on PostgreSQL + Redis."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from twilio.request_validator import RequestValidator

from alerts.models import Base, BodyNumber, InboundMessage
from app import jobs
from app.bootstrap import Services
from app.worker import drain
from config.settings import Settings
from tests.conftest import bearer, make_settings, signed_twilio_post, twilio_sms
from tests.factories import random_sid

pytestmark = pytest.mark.e2e

SENDER = "+211912345678"


def _inbound_rows(services: Services) -> list[InboundMessage]:
    with services.uow() as uow:
        rows = list(uow.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))
        uow.session.expunge_all()  # keep them readable after the unit of work closes
        return rows


def test_an_sms_reaches_the_api_through_the_worker(
    app: Flask, client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed_before_enqueue: list[int] = []
    enqueue = jobs.enqueue_processing

    def watch(services: Services, inbound_id: int, sealed_reply: str | None = None) -> None:
        # A separate connection sees the row: it was committed before the job exists or the reply goes.
        engine = create_engine(services.settings.database_url)
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT id FROM inbound_messages WHERE id = :i"), {"i": inbound_id}
            )
            committed_before_enqueue.extend(found.scalars())
        engine.dispose()
        enqueue(services, inbound_id, sealed_reply)

    monkeypatch.setattr(jobs, "enqueue_processing", watch)
    response = signed_twilio_post(client, twilio_sms(body="SXV Bentiu they took two girls", sender=SENDER))

    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert len(committed_before_enqueue) == 1
    [row] = _inbound_rows(services)
    assert row.status == "received"

    assert drain(app)
    listing = client.get("/api/reports", headers=bearer(services, "wpa_crsv_focal"))
    assert listing.status_code == 200
    [report] = listing.json["reports"]
    assert (report["category"], report["priority"], report["channel"]) == ("SXV", "P1", "sms")
    assert report["text"] == "SXV Bentiu they took two girls"
    assert report["place_name"] == "Bentiu"
    assert _inbound_rows(services)[0].status == "processed"


def test_no_raw_phone_number_is_stored_or_logged(
    app: Flask, client: FlaskClient, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signed_twilio_post(client, twilio_sms(sender=SENDER, body="FIG Malakal"))
    drain(app)
    with services.engine.connect() as connection:
        for table in ("inbound_messages", "reports", "reporters", "incidents", "audit_events"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            dump = repr(rows)
            assert "912345678" not in dump, table
    assert "912345678" not in caplog.text


def test_a_number_she_writes_is_sealed_and_a_reviewer_reads_a_placeholder(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    """A number in her words identifies her as surely as her sender address (R27, R28)."""
    body = "FIG Bentiu gunfire, call me on 0955 123 456 or +211 977 654 321"
    signed_twilio_post(client, twilio_sms(sender=SENDER, body=body))
    drain(app)
    [report] = client.get("/api/reports", headers=bearer(services, "triage_reviewer")).json["reports"]
    assert report["text"] == "FIG Bentiu gunfire, call me on [number 1] or [number 2]"
    assert (report["category"], report["place_name"]) == ("FIG", "Bentiu")  # triage reads the rest
    with services.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            dump = repr(connection.execute(select(table)).all())
            for written in ("955123456", "955 123 456", "977654321", "977 654 321"):
                assert written not in dump, table.name
    with services.uow() as uow:
        sealed = uow.session.scalars(select(BodyNumber).order_by(BodyNumber.position)).all()
        assert [services.vault.open(n.ciphertext) for n in sealed] == ["+211955123456", "+211977654321"]


def test_a_provider_retry_is_acknowledged_and_creates_nothing_new(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    params = twilio_sms(sid=random_sid())
    first, retry = signed_twilio_post(client, params), signed_twilio_post(client, params)
    assert first.status_code == retry.status_code == 200
    assert len(_inbound_rows(services)) == 1
    assert services.queues.queues["intake"].count == 1
    drain(app)
    listing = client.get("/api/reports", headers=bearer(services, "triage_reviewer"))
    assert len(listing.json["reports"]) == 1


@pytest.mark.parametrize(
    ("label", "tamper"),
    [
        ("no signature", lambda headers: headers.pop("X-Twilio-Signature")),
        ("wrong token", None),
    ],
)
def test_an_unsigned_or_forged_webhook_is_refused_and_stores_nothing(
    client: FlaskClient, services: Services, label: str, tamper: object
) -> None:
    if label == "wrong token":
        response = signed_twilio_post(client, twilio_sms(), token="not-our-token")
    else:
        response = client.post("/webhooks/twilio/sms", data=twilio_sms())
    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.json["error"]
    assert _inbound_rows(services) == []


def test_a_signed_but_malformed_message_gets_a_precise_400_and_is_kept_for_review(
    client: FlaskClient, services: Services
) -> None:
    ids = ("MessageSid", "SmsSid", "SmsMessageSid")
    params = {k: v for k, v in twilio_sms(body="ATK Yei now").items() if k not in ids}
    response = signed_twilio_post(client, params)
    assert response.status_code == 400
    assert response.json["error"] == "field 'MessageSid' required"
    [kept] = _inbound_rows(services)
    assert (kept.status, kept.error, kept.content["text"]) == (
        "review",
        "field 'MessageSid' required",
        "ATK Yei now",
    )
    assert services.queues.queues["intake"].count == 0


def test_a_message_too_large_for_twilio_is_refused(client: FlaskClient) -> None:
    response = signed_twilio_post(client, twilio_sms(body="x" * 70_000))
    assert response.status_code == 413


def test_with_redis_down_the_message_is_still_stored_and_acknowledged(
    tmp_path: Path, make_app: Callable[[Settings], Flask]
) -> None:
    app = make_app(make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0"))
    services: Services = app.extensions["dalili"]
    response = signed_twilio_post(app.test_client(), twilio_sms())
    assert response.status_code == 200
    assert [row.status for row in _inbound_rows(services)] == ["received"]


def test_the_api_needs_a_token_and_a_role_that_may_read_reports(
    client: FlaskClient, services: Services
) -> None:
    assert client.get("/api/reports").status_code == 401
    assert client.get("/api/reports", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/reports", headers=bearer(services, "admin")).status_code == 403
    bad_limit = client.get("/api/reports?limit=lots", headers=bearer(services, "triage_reviewer", "t2@test"))
    assert bad_limit.status_code == 400
    assert "limit" in bad_limit.json["error"]


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").text == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"database": "ok", "queue": "ok"}


def test_signatures_follow_the_public_url_behind_a_proxy(
    services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    proxied = make_app(
        replace(services.settings, public_url="https://dalili.mission.example/ingress", proxy_hops=1)
    )
    client = proxied.test_client()
    params = twilio_sms(sid=random_sid())
    signature = RequestValidator("test-twilio-token").compute_signature(
        "https://dalili.mission.example/ingress/webhooks/twilio/sms", params
    )
    response = client.post(
        "/webhooks/twilio/sms",
        data=params,
        headers={
            "X-Twilio-Signature": signature,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "internal:8000",
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("proxy_hops", "status"), [(1, 200), (0, 401)], ids=["behind-a-proxy", "facing-the-net"]
)
def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(
    services: Services, make_app: Callable[[Settings], Flask], proxy_hops: int, status: int
) -> None:
    """X-Forwarded-For from a client talking to gunicorn directly must not pass the AT allow-list."""
    app = make_app(
        replace(services.settings, proxy_hops=proxy_hops, at_allowed_networks=("196.201.214.0/24",))
    )
    form = {
        "id": "ATXid_fwd",
        "from": "+211912345678",
        "to": "21512",
        "text": "ARM Yei",
        "date": "2026-11-27 03:00:00",
    }
    response = app.test_client().post(
        f"/webhooks/africastalking/sms?token={services.settings.at_webhook_token}",
        data=form,
        headers={"X-Forwarded-For": "196.201.214.10"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == status


def test_by_default_a_client_cannot_rotate_forwarded_addresses_past_the_rate_limit(
    services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    """The Procfile binds 0.0.0.0: unless a proxy is configured, X-Forwarded-For is the client's own word."""
    assert services.settings.proxy_hops == Settings().proxy_hops  # the test deployment keeps the default
    app = make_app(replace(services.settings, source_rate_limit=2))
    client, token = app.test_client(), services.settings.at_webhook_token
    statuses = [
        client.post(
            f"/webhooks/africastalking/sms?token={token}",
            data={"id": f"ATXid_rot{n}", "from": "+211912345678", "to": "21512", "text": "ARM Yei"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
