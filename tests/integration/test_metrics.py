"""GET /metrics: queue depths, job latency, intake and failures, read at scrape time, loopback only."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from alerts.models import utcnow
from app.bootstrap import Services
from app.infra.queueing import QUEUE_NAMES
from app.metrics import INTAKE_WINDOW
from app.worker import drain
from config.settings import Settings
from tests.conftest import bearer, make_settings, signed_twilio_post, twilio_sms
from tests.factories import add_reporter, inbound, random_sid

pytestmark = pytest.mark.integration

SENDERS = ("+211912345678", "+211955501234")
PHONE_NUMBER = re.compile(r"\+?\d[\d ().-]{6,}\d")


def explode(reason: str) -> None:
    """A job that always fails."""
    raise RuntimeError(reason)


def scrape(client: FlaskClient) -> dict[str, Metric]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families: dict[str, Metric], name: str, **labels: str) -> float:
    [sample] = [
        s
        for s in families[name].samples
        if s.name == name and all(s.labels[k] == v for k, v in labels.items())
    ]
    return sample.value


def store_two_sms(client: FlaskClient) -> None:
    for sender, body in zip(SENDERS, ("SXV Bentiu they took two girls", "FIG Malakal gunfire"), strict=True):
        response = signed_twilio_post(client, twilio_sms(sid=random_sid(), sender=sender, body=body))
        assert response.status_code == 200


def test_stored_messages_show_as_queued_then_processed_with_a_latency(
    app: Flask, client: FlaskClient
) -> None:
    store_two_sms(client)
    before = scrape(client)
    assert (
        value(before, "dalili_up", component="database") == value(before, "dalili_up", component="redis") == 1
    )
    assert value(before, "dalili_queue_jobs", queue="intake") == 2
    assert value(before, "dalili_inbound_messages", status="received") == 2
    assert value(before, "dalili_inbound_messages", status="processed") == 0
    assert value(before, "dalili_inbound_received_last_5m") == 2
    assert value(before, "dalili_inbound_intake_per_second") == pytest.approx(2 / INTAKE_WINDOW.seconds)
    assert 0 <= value(before, "dalili_inbound_oldest_waiting_seconds") < 60
    assert value(before, "dalili_job_latency_sample_jobs", queue="intake") == 0
    assert not [s for s in before["dalili_job_latency_seconds"].samples if s.labels["queue"] == "intake"]

    assert drain(app)
    after = scrape(client)
    assert {value(after, "dalili_queue_jobs", queue=q) for q in QUEUE_NAMES} == {0}
    assert {value(after, "dalili_queue_started_jobs", queue=q) for q in QUEUE_NAMES} == {0}
    assert {value(after, "dalili_queue_failed_jobs", queue=q) for q in QUEUE_NAMES} == {0}
    assert value(after, "dalili_inbound_messages", status="received") == 0
    assert value(after, "dalili_inbound_messages", status="processed") == 2
    assert value(after, "dalili_inbound_received_last_5m") == 2
    assert value(after, "dalili_inbound_oldest_waiting_seconds") == 0
    assert value(after, "dalili_job_latency_sample_jobs", queue="intake") == 2
    median = value(after, "dalili_job_latency_seconds", queue="intake", quantile="0.5")
    p95 = value(after, "dalili_job_latency_seconds", queue="intake", quantile="0.95")
    assert 0 < median <= p95 < 120


def test_a_message_nobody_processed_ages_and_leaves_the_intake_window(
    client: FlaskClient, services: Services
) -> None:
    inbound(services, "ATK Yei", received_at=utcnow() - timedelta(minutes=10))  # stored, never queued
    inbound(services, "ATK Yei again")
    families = scrape(client)
    assert value(families, "dalili_inbound_received_last_5m") == 1
    assert 600 <= value(families, "dalili_inbound_oldest_waiting_seconds") < 660
    assert value(families, "dalili_queue_jobs", queue="intake") == 0  # the sign that a sweep is needed


def test_failed_and_retrying_jobs_are_counted_per_queue(
    app: Flask, client: FlaskClient, services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    services.queues.enqueue("maintenance", explode, "disk on fire", job_id="explode-1")
    drain(app)
    families = scrape(client)
    assert value(families, "dalili_queue_failed_jobs", queue="maintenance") == 1
    assert value(families, "dalili_queue_failed_jobs", queue="notify") == 0
    assert value(families, "dalili_job_latency_sample_jobs", queue="maintenance") == 0  # failures are not

    # Another app, so on the embedded backend another in-process Redis; on a real one the same.
    retrying = make_app(replace(services.settings, job_retry_intervals=(3600,)))
    retrying.extensions["dalili"].queues.enqueue("notify", explode, "try later", job_id="explode-2")
    drain(retrying)
    families = scrape(retrying.test_client())
    assert value(families, "dalili_queue_scheduled_jobs", queue="notify") == 1
    assert value(families, "dalili_queue_failed_jobs", queue="notify") == 0


def test_with_redis_down_metrics_still_answer_with_what_the_database_knows(
    tmp_path: Path, make_app: Callable[[Settings], Flask]
) -> None:
    app = make_app(make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0"))
    client = app.test_client()
    assert signed_twilio_post(client, twilio_sms()).status_code == 200  # stored, not queued

    families = scrape(client)
    assert value(families, "dalili_up", component="redis") == 0
    assert value(families, "dalili_up", component="database") == 1
    assert not [name for name in families if name.startswith(("dalili_queue_", "dalili_job_"))]
    assert value(families, "dalili_inbound_messages", status="received") == 1
    assert value(families, "dalili_inbound_oldest_waiting_seconds") >= 0


def test_with_the_database_down_metrics_still_answer_with_the_queues(
    tmp_path: Path, make_app: Callable[[Settings], Flask]
) -> None:
    app = make_app(make_settings(tmp_path, database_url="postgresql+psycopg://dalili@127.0.0.1:1/nowhere"))
    families = scrape(app.test_client())
    assert value(families, "dalili_up", component="database") == 0
    assert value(families, "dalili_up", component="redis") == 1
    assert not [name for name in families if name.startswith("dalili_inbound_")]
    assert value(families, "dalili_queue_jobs", queue="intake") == 0


def test_no_label_carries_a_number_a_reporter_key_words_or_an_email(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    store_two_sms(client)
    key = add_reporter(services)
    inbound(services, "ARM Bor armed men, call +211966600000", reporter_key=key)
    email = "focal.point@test.dalili.org"
    bearer(services, "wpa_crsv_focal", email)
    drain(app)

    response = client.get("/metrics")
    labels = {
        (label, text)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        for label, text in sample.labels.items()
    }
    assert labels  # the check below would pass on nothing
    for label, text in labels:
        assert not PHONE_NUMBER.search(text), (label, text)
        assert text != key, label
        assert "@" not in text, (label, text)
        assert "Bor" not in text, (label, text)
    for secret in (*SENDERS, "211966600000", "912345678", key, email, "armed men"):
        assert secret not in response.text


@pytest.mark.parametrize(
    ("remote", "headers"),
    [
        pytest.param("10.0.0.5", {}, id="another host"),
        pytest.param("10.0.0.5", {"X-Forwarded-For": "127.0.0.1"}, id="another host claiming loopback"),
        pytest.param("127.0.0.1", {"X-Forwarded-For": "10.0.0.5"}, id="a local proxy for another host"),
        pytest.param("127.0.0.1", {"X-Forwarded-For": "127.0.0.1, 10.0.0.5"}, id="a forwarding chain"),
        pytest.param("127.0.0.1", {"X-Real-IP": "203.0.113.9"}, id="a local proxy's X-Real-IP"),
        pytest.param(
            "127.0.0.1", {"Forwarded": "for=192.0.2.60;proto=https"}, id="a local proxy's Forwarded"
        ),
        pytest.param("127.0.0.1", {"Forwarded": "for=unknown"}, id="a hidden client"),
        pytest.param("", {}, id="no peer address"),
    ],
)
def test_metrics_are_refused_unless_asked_from_this_host(
    client: FlaskClient, remote: str, headers: dict[str, str]
) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": remote}, headers=headers)
    assert response.status_code == 403
    assert "dalili_" not in response.text


@pytest.mark.parametrize(
    ("remote", "headers"),
    [
        pytest.param("127.0.0.1", {}, id="IPv4 loopback"),
        pytest.param("::1", {}, id="IPv6 loopback"),
        pytest.param("::ffff:127.0.0.1", {}, id="IPv4-mapped loopback"),
        pytest.param("127.0.0.1", {"X-Forwarded-For": "127.0.0.1"}, id="a local proxy for a local scraper"),
        pytest.param("127.0.0.1", {"Forwarded": 'for="[::1]:9090"'}, id="Forwarded for IPv6 loopback"),
    ],
)
def test_metrics_are_served_to_this_host(client: FlaskClient, remote: str, headers: dict[str, str]) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": remote}, headers=headers)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "dalili_up" in response.text


def test_with_a_token_metrics_answer_anywhere_to_the_bearer_only(
    tmp_path: Path, make_app: Callable[[Settings], Flask]
) -> None:
    client = make_app(make_settings(tmp_path, metrics_token="s3cret-scraper-token")).test_client()
    remote = {"REMOTE_ADDR": "10.0.0.5"}
    assert client.get("/metrics", environ_base=remote).status_code == 401
    wrong = {"Authorization": "Bearer guess"}
    assert client.get("/metrics", environ_base=remote, headers=wrong).status_code == 401
    right = {"Authorization": "Bearer s3cret-scraper-token"}
    response = client.get("/metrics", environ_base=remote, headers=right)
    assert response.status_code == 200
    assert b"dalili_up" in response.data
