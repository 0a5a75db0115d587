"""The phone simulator: page -> real-shaped, signed webhook (training) -> worker -> report and reply.

``client`` is a signed-in network coordinator: the simulator is open to trainers only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.models import InboundMessage, Report, SentMessage, UssdSession, utcnow
from alerts.reporters.contacts import create_network, register_monitor
from app.bootstrap import Services
from app.worker import drain
from channels.phone import pseudonymise
from channels.twilio.inbound import EMPTY_TWIML
from config.settings import Settings
from tests.conftest import bearer
from tests.web import PAGE, add_user, sign_in

pytestmark = pytest.mark.e2e

PHONE = "+211912345678"
NETWORK = "Bentiu Women Peace Monitors"
BANNER = "TRAINING — messages here never reach the operational queue"


@pytest.fixture
def client(app: Flask, services: Services) -> FlaskClient:
    trainer = app.test_client()
    assert sign_in(trainer, add_user(services, "network_coordinator")).status_code == 302
    return trainer


def simulate(client: FlaskClient, **action: Any) -> dict[str, Any]:
    response = client.post("/simulator/send", json={"phone": PHONE} | action)
    assert response.status_code == 200, response.json
    answer: dict[str, Any] = response.json
    return answer


def replies(client: FlaskClient, phone: str = PHONE) -> list[dict[str, str]]:
    response = client.get("/simulator/replies", query_string={"phone": phone})
    assert response.status_code == 200
    found: list[dict[str, str]] = response.json["replies"]
    return found


def rows(services: Services, model: type[Any]) -> list[Any]:
    with services.uow() as uow:
        found = list(uow.session.scalars(select(model).order_by(model.id)))
        uow.session.expunge_all()
        return found


def register(services: Services, phone: str = PHONE) -> str:
    """A registered monitor with a home area, under the key the simulator's number maps to."""
    settings = services.settings
    key = pseudonymise(phone, pepper=settings.pepper, default_region=settings.default_country)
    create_network(NETWORK, country="SS", area_name=None, join_code=None, uow=services.uow())
    register_monitor(
        key,
        network_name=NETWORK,
        language="en",
        address=phone,
        consent_followup=True,
        consent_callback=True,
        home_area_name="Bentiu",
        uow=services.uow(),
        vault=services.vault,
        now=utcnow(),
    )
    return key


def test_the_page_renders_with_the_training_banner_and_its_assets(client: FlaskClient) -> None:
    page = client.get("/simulator")
    assert page.status_code == 200
    assert BANNER in page.text
    assert PHONE in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("/static/simulator.js", "/static/dalili.css"):
        assert asset in page.text
        served = client.get(asset)
        assert served.status_code == 200
        served.close()


@pytest.mark.parametrize(("provider", "answer"), [("twilio", EMPTY_TWIML), ("africastalking", "")])
def test_a_simulated_sms_is_training_data_from_the_webhook_to_the_receipt(
    app: Flask, client: FlaskClient, services: Services, provider: str, answer: str
) -> None:
    sent = simulate(client, kind="sms", provider=provider, text="SXV Bentiu they took two girls")
    assert (sent["status"], sent["response"], sent["replies"]) == (200, answer, [])
    [message] = rows(services, InboundMessage)
    assert (message.provider, message.channel, message.training) == (provider, "sms", True)

    assert drain(app)
    [report] = rows(services, Report)
    assert (report.training, report.category, report.place_name) == (True, "SXV", "Bentiu")
    assert replies(client) == [{"channel": "sms", "text": f"Thanks, received. Ref {report.ref}"}]
    assert [sent.training for sent in rows(services, SentMessage)] == [True]
    listing = client.get("/api/reports", headers=bearer(services, "wpa_crsv_focal"))
    assert listing.json["reports"] == []


def test_a_whatsapp_pin_places_the_report_precisely(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    pin = {"lat": "9.25722", "lon": 29.79833}  # the page sends strings; numbers are accepted too
    sent = simulate(client, kind="whatsapp", text="ARM armed men at the borehole", **pin)
    assert sent["status"] == 200
    [message] = rows(services, InboundMessage)
    assert message.channel == "whatsapp"
    assert (message.content["lat"], message.content["lon"]) == (9.25722, 29.79833)
    drain(app)
    [report] = rows(services, Report)
    assert (report.training, report.channel, report.precision) == (True, "whatsapp", 1)
    assert (report.lon, report.lat) == (29.79833, 9.25722)
    assert replies(client) == [{"channel": "whatsapp", "text": f"Thanks, received. Ref {report.ref}"}]


def test_a_ussd_walk_ends_with_a_reference_that_names_the_training_report(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    register(services)
    first = simulate(client, kind="ussd", text="")
    session = first["session"]
    assert first["response"].startswith("CON What happened?")
    drain(app)  # the worker caches her profile (home area) for the next hops, as in `make run`
    screens = [
        simulate(client, kind="ussd", session=session, text=text)["response"]
        for text in ("1", "1*1", "1*1*1", "1*1*1*1")
    ]
    assert "Bentiu" in screens[0]
    assert all(screen.startswith("CON ") for screen in screens[:-1])
    assert screens[-1].startswith("END Thank you, received. Ref ")
    ref = screens[-1].rsplit(" ", 1)[-1]

    drain(app)
    [report] = rows(services, Report)
    assert (report.ref, report.training, report.channel, report.category) == (ref, True, "ussd", "ATK")
    assert report.place_name == "Bentiu"
    with services.uow() as uow:
        ended = uow.session.scalars(select(UssdSession).filter_by(session_id=session)).one()
        assert (ended.status, ended.hops) == ("Success", 5)


def test_hanging_up_mid_session_lets_the_next_dial_resume(client: FlaskClient, services: Services) -> None:
    session = simulate(client, kind="ussd", text="")["session"]
    when = simulate(client, kind="ussd", session=session, text="2")["response"]
    assert when.startswith("CON When?")
    ended = simulate(client, kind="ussd_end", session=session, text="2", screen=when, duration_ms=41000)
    assert ended["status"] == 200
    with services.uow() as uow:
        dropped = uow.session.scalars(select(UssdSession).filter_by(session_id=session)).one()
        assert (dropped.status, dropped.hops, dropped.duration_ms) == ("Incomplete", 2, 41000)
    resumed = simulate(client, kind="ussd", text="")
    assert resumed["session"] != session
    assert resumed["response"] == when


def test_a_missed_call_from_an_unknown_number_is_kept_for_review(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    sent = simulate(client, kind="missed_call", provider="twilio", phone="+211955555555")
    assert sent["status"] == 200
    assert "<Reject" in sent["response"]
    drain(app)
    assert rows(services, Report) == []
    [message] = rows(services, InboundMessage)
    assert (message.status, message.training) == ("review", True)


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_a_missed_call_from_a_monitor_asks_for_a_call_back(
    app: Flask, client: FlaskClient, services: Services, provider: str
) -> None:
    register(services)
    sent = simulate(client, kind="missed_call", provider=provider)
    assert "<Reject" in sent["response"]
    drain(app)
    [report] = rows(services, Report)  # AT's closing callback (isActive=0) adds nothing
    assert (report.training, report.channel, report.flags["callback_needed"]) == (True, "voice", True)
    assert client.get("/api/reports", headers=bearer(services, "triage_reviewer")).json["reports"] == []


@pytest.mark.parametrize(
    ("action", "error"),
    [
        ({"kind": "fax"}, "field 'kind' must be one of"),
        ({"kind": "whatsapp", "provider": "africastalking"}, "whatsapp goes through twilio"),
        ({"kind": "sms", "phone": " "}, "field 'phone' required"),
        ({"kind": "whatsapp", "lat": "9.2"}, "give both 'lat' and 'lon'"),
        ({"kind": "whatsapp", "lat": "91", "lon": "0"}, "field 'lat' must be between -90 and 90"),
        ({"kind": "ussd_end"}, "field 'session' required"),
        ({"kind": "sms", "text": "x" * 1601}, "field 'text' longer than 1600 characters"),
    ],
)
def test_a_bad_action_is_refused_precisely_and_sends_nothing(
    client: FlaskClient, services: Services, action: dict[str, Any], error: str
) -> None:
    response = client.post("/simulator/send", json={"phone": PHONE} | action)
    assert response.status_code == 400
    assert error in response.json["error"]
    assert rows(services, InboundMessage) == []


def test_only_json_is_accepted(client: FlaskClient) -> None:
    response = client.post("/simulator/send", data={"kind": "sms", "phone": PHONE, "text": "ATK Yei"})
    assert response.status_code == 415


def test_the_simulator_logs_neither_her_number_nor_her_words(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    simulate(client, kind="sms", text="FIG Malakal gunfire near the church")
    simulate(client, kind="ussd", text="")
    simulate(client, kind="missed_call", provider="africastalking")
    drain(app)
    replies(client)
    assert "simulated sms through twilio" in caplog.text
    assert "912345678" not in caplog.text
    assert "gunfire near the church" not in caplog.text


class TestTrainersOnly:
    ACTION: ClassVar[dict[str, str]] = {"kind": "sms", "phone": PHONE, "text": "ATK Yei"}

    def test_a_visitor_is_sent_to_sign_in_and_gets_no_answer_from_the_endpoints(
        self, app: Flask, services: Services
    ) -> None:
        visitor = app.test_client()
        assert visitor.get("/simulator", headers=PAGE).headers["Location"] == "/login?next=/simulator"
        assert visitor.post("/simulator/send", json=self.ACTION).status_code == 401
        refused = visitor.get("/simulator/replies", query_string={"phone": PHONE}, headers=PAGE)
        assert (refused.status_code, refused.mimetype) == (401, "application/json")
        assert "replies" not in refused.json
        assert rows(services, InboundMessage) == []

    def test_a_role_that_does_not_train_is_refused(self, app: Flask, services: Services) -> None:
        reviewer = app.test_client()
        sign_in(reviewer, add_user(services, "triage_reviewer"))
        assert reviewer.get("/simulator", headers=PAGE).status_code == 403
        assert reviewer.post("/simulator/send", json=self.ACTION).status_code == 403
        assert reviewer.get("/simulator/replies", query_string={"phone": PHONE}).status_code == 403
        assert rows(services, InboundMessage) == []

    def test_an_administrator_and_a_coordinator_train_and_come_back_after_signing_in(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        assert simulate(client, **self.ACTION)["status"] == 200
        admin = app.test_client()
        assert sign_in(admin, add_user(services, "admin"), next_path="/simulator").headers["Location"] == (
            "/simulator"
        )
        assert BANNER in admin.get("/simulator", headers=PAGE).text
        assert admin.get("/simulator/replies", query_string={"phone": PHONE}).status_code == 200


def test_without_training_mode_there_is_no_simulator(
    services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    client = make_app(replace(services.settings, training=False)).test_client()
    assert client.get("/simulator").status_code == 404
    action = {"kind": "sms", "phone": PHONE, "text": "ATK Yei"}
    assert client.post("/simulator/send", json=action).status_code == 404
    assert client.get("/simulator/replies", query_string={"phone": PHONE}).status_code == 404
    assert rows(services, InboundMessage) == []
