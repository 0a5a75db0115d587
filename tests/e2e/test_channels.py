"""Every intake channel end to end: webhook -> store -> worker -> report, reply or keyword effect."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from alerts.models import (
    BodyNumber,
    ContactVaultEntry,
    InboundMessage,
    Report,
    Reporter,
    SentMessage,
    UssdSession,
    utcnow,
)
from alerts.reporters.contacts import create_network, register_monitor
from app import jobs
from app.bootstrap import Services
from app.infra.senders import recorded_key
from app.worker import drain
from channels.phone import pseudonymise
from config.settings import Settings
from tests.conftest import bearer, signed_twilio_post, twilio_sms
from tests.factories import random_sid

pytestmark = pytest.mark.e2e

PHONE = "+211912345678"


def key_of(services: Services, phone: str = PHONE) -> str:
    settings = services.settings
    return pseudonymise(phone, pepper=settings.pepper, default_region=settings.default_country)


def replies(services: Services, phone: str = PHONE) -> list[str]:
    raw = services.queues.connection.lrange(recorded_key(key_of(services, phone)), 0, -1)
    return [json.loads(item)["text"] for item in raw]


def register(
    services: Services, phone: str = PHONE, *, home_area: str = "Bentiu", callbacks: bool = True
) -> str:
    create_network(
        "Bentiu Women Peace Monitors", country="SS", area_name=None, join_code="BENTIU1", uow=services.uow()
    )
    key = key_of(services, phone)
    register_monitor(
        key,
        network_name="Bentiu Women Peace Monitors",
        language="en",
        address=phone,
        consent_followup=True,
        consent_callback=callbacks,
        home_area_name=home_area,
        uow=services.uow(),
        vault=services.vault,
        now=utcnow(),
    )
    return key


def sms(client: FlaskClient, body: str, phone: str = PHONE) -> None:
    assert (
        signed_twilio_post(client, twilio_sms(sid=random_sid(), sender=phone, body=body)).status_code == 200
    )


def reports(services: Services) -> list[Report]:
    with services.uow() as uow:
        rows = list(uow.session.scalars(select(Report).order_by(Report.id)))
        uow.session.expunge_all()
        return rows


def reporter(services: Services, phone: str = PHONE) -> Reporter:
    with services.uow() as uow:
        found = uow.session.get(Reporter, key_of(services, phone))
        assert found is not None
        uow.session.expunge(found)
        return found


class TestReceiptsAndKeywords:
    def test_a_report_gets_a_neutral_receipt_with_its_reference(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        sms(client, "SXV Bentiu they took two girls")
        drain(app)
        [report] = reports(services)
        assert replies(services) == [f"Thanks, received. Ref {report.ref}"]
        with services.uow() as uow:
            [sent] = uow.session.scalars(select(SentMessage)).all()
            assert (sent.kind, sent.status, sent.report_id) == ("receipt", "delivered", report.id)

    def test_a_receipt_reserved_by_a_run_that_died_is_sent_once_by_its_retry(
        self, app: Flask, client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        sms(client, "ARM Bentiu armed men at the market")
        with services.uow() as uow:
            inbound_id = uow.session.scalars(select(InboundMessage.id)).one()
        sealed = services.vault.seal(PHONE)
        enqueue = services.queues.enqueue

        def redis_gone_for_replies(queue: str, func: Any, *args: Any, job_id: str) -> None:
            if queue == "notify":
                raise RedisConnectionError("connection reset")
            enqueue(queue, func, *args, job_id=job_id)

        monkeypatch.setattr(services.queues, "enqueue", redis_gone_for_replies)
        with app.app_context(), pytest.raises(RedisConnectionError):  # reserved, then died
            jobs.process_inbound_message(inbound_id, sealed)
        monkeypatch.undo()
        with app.app_context():
            jobs.process_inbound_message(inbound_id, sealed)  # RQ's retry
            jobs.process_inbound_message(inbound_id, sealed)  # and one more: nothing new
        drain(app)
        [report] = reports(services)
        assert replies(services) == [f"Thanks, received. Ref {report.ref}"]
        with services.uow() as uow:
            assert len(uow.session.scalars(select(SentMessage)).all()) == 1

    def test_stop_is_confirmed_once_and_then_nothing_more_is_sent(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        sms(client, "STOP")
        drain(app)
        sms(client, "ARM Bentiu armed men at the market")
        drain(app)
        assert replies(services) == ["OK. No more messages to this number."]
        assert reporter(services).opted_out
        assert [r.category for r in reports(services)] == ["ARM"]  # her report still counts

    def test_the_panic_word_silences_everything_and_erases_her_number(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        register(services)
        sms(client, "FIG Bentiu gunfire")
        drain(app)
        sms(client, "mama")
        drain(app)
        assert len(replies(services)) == 1  # the first receipt only: no confirmation of the panic word
        withdrawn = reporter(services)
        assert withdrawn.opted_out
        assert withdrawn.withdrawn_at is not None
        with services.uow() as uow:
            assert uow.session.get(ContactVaultEntry, withdrawn.key) is None
        assert reports(services)[0].flags["reporter_withdrew_contact"] is True

    def test_the_panic_word_erases_the_numbers_she_wrote(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        register(services)
        sms(client, "FIG Bentiu gunfire, my sister is on 0955 123 456")
        drain(app)
        with services.uow() as uow:
            assert len(uow.session.scalars(select(BodyNumber)).all()) == 1
        sms(client, "mama")
        drain(app)
        with services.uow() as uow:
            assert uow.session.scalars(select(BodyNumber)).all() == []
        assert reports(services)[0].text == "FIG Bentiu gunfire, my sister is on [number 1]"

    def test_a_language_change_is_answered_in_the_new_language(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        sms(client, "LANGUE fr")
        drain(app)
        assert reporter(services).language == "fr"
        assert replies(services) == ["OK, francais."]

    def test_a_join_code_puts_her_in_the_network(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        create_network(
            "Réseau des femmes de Bambari",
            country="CF",
            area_name=None,
            join_code="BAMBARI",
            uow=services.uow(),
        )
        sms(client, "join bambari")
        drain(app)
        joined = reporter(services)
        assert joined.registered
        assert joined.network_id is not None
        assert replies(services) == ["Welcome. Code accepted. Send HELP for info."]

    def test_a_flood_from_one_number_is_stored_but_held_for_review(
        self, client: FlaskClient, services: Services, make_app: Callable[[Settings], Flask]
    ) -> None:
        limited = make_app(replace(services.settings, reporter_rate_limit=2))
        for _ in range(3):
            sms(limited.test_client(), "TEN Bentiu rumours")
        with services.uow() as uow:
            statuses = [
                m.status for m in uow.session.scalars(select(InboundMessage).order_by(InboundMessage.id))
            ]
        assert statuses == ["received", "received", "review"]


class TestTwilioDeliveryAndCalls:
    def test_delivery_callbacks_only_move_the_status_forward(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        sms(client, "PCE Bentiu market reopened")
        drain(app)
        with services.uow() as uow:
            sid = uow.session.scalars(select(SentMessage.provider_message_id)).one()
        for status in ("read", "sent"):
            callback = {
                "MessageSid": sid,
                "MessageStatus": status,
                "AccountSid": "AC" + "0" * 32,
                "To": PHONE,
            }
            assert signed_twilio_post(client, callback, path="/webhooks/twilio/status").status_code == 200
        with services.uow() as uow:
            assert uow.session.scalars(select(SentMessage.status)).one() == "read"

    def test_a_missed_call_from_a_monitor_is_rejected_unanswered_and_asks_for_a_call_back(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        register(services)
        call = {"CallSid": "CA" + "1" * 32, "From": PHONE, "To": "+211920000000", "CallStatus": "ringing"}
        response = signed_twilio_post(client, call, path="/webhooks/twilio/voice")
        assert response.status_code == 200
        assert "<Reject" in response.text
        drain(app)
        [report] = reports(services)
        assert report.flags["callback_needed"] is True
        assert (report.priority, report.channel, report.place_name, report.precision) == (
            "P2",
            "voice",
            "Bentiu",
            2,
        )

    def test_a_missed_call_from_an_unknown_number_is_kept_for_review_only(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        call = {
            "CallSid": "CA" + "2" * 32,
            "From": "+211955555555",
            "To": "+211920000000",
            "CallStatus": "ringing",
        }
        signed_twilio_post(client, call, path="/webhooks/twilio/voice")
        drain(app)
        assert reports(services) == []
        with services.uow() as uow:
            assert uow.session.scalars(select(InboundMessage.status)).one() == "review"


def at_post(client: FlaskClient, services: Services, path: str, form: dict[str, str], **query: str) -> Any:
    query = {"token": services.settings.at_webhook_token} | query
    return client.post(f"/webhooks/africastalking/{path}?{urllib.parse.urlencode(query)}", data=form)


class TestAfricasTalking:
    def test_an_sms_needs_the_deployment_token(self, client: FlaskClient, services: Services) -> None:
        form = {
            "id": "ATXid_1",
            "from": PHONE,
            "to": "21512",
            "text": "4 Bentiu armed men",
            "date": "2026-11-27 03:00:00",
        }
        assert client.post("/webhooks/africastalking/sms", data=form).status_code == 401
        assert at_post(client, services, "sms", form, token="wrong").status_code == 401
        assert at_post(client, services, "sms", form).status_code == 200
        assert at_post(client, services, "sms", form).status_code == 200  # a retry stores nothing new
        with services.uow() as uow:
            assert len(uow.session.scalars(select(InboundMessage)).all()) == 1

    def test_an_sms_becomes_a_report_and_is_acknowledged(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        form = {
            "id": "ATXid_2",
            "from": PHONE,
            "to": "21512",
            "text": "Hommes armés près de Bentiu",
            "date": "2026-11-27T03:00:00Z",
        }
        at_post(client, services, "sms", form)
        drain(app)
        [report] = reports(services)
        assert (report.channel, report.place_name) == ("sms", "Bentiu")
        assert replies(services) == [f"Thanks, received. Ref {report.ref}"]

    def test_a_malformed_sms_is_refused_precisely_and_kept(
        self, client: FlaskClient, services: Services
    ) -> None:
        response = at_post(client, services, "sms", {"from": PHONE, "text": "ATK Yei"})
        assert response.status_code == 400
        assert response.json["error"] == "field 'id' required"
        with services.uow() as uow:
            assert uow.session.scalars(select(InboundMessage.status)).one() == "review"

    def test_delivery_reports_are_kept_even_for_unknown_messages(
        self, client: FlaskClient, services: Services
    ) -> None:
        form = {"id": "ATXid_unknown", "status": "Success", "phoneNumber": PHONE, "networkCode": "63902"}
        assert at_post(client, services, "delivery", form).status_code == 200

    def test_a_ussd_walk_submits_a_report_with_the_reference_shown_on_the_last_screen(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        answers = []
        for text in ("", "1", "1*1", "1*1*Bentiu market"):
            form = {
                "sessionId": "ATUid_walk",
                "phoneNumber": PHONE,
                "networkCode": "99999",
                "serviceCode": "*384*1#",
                "text": text,
            }
            response = at_post(client, services, "ussd", form)
            assert response.mimetype == "text/plain"
            answers.append(response.text)
        assert all(a.startswith("CON ") for a in answers[:-1])
        assert answers[-1].startswith("END ")
        ref = answers[-1].rsplit(" ", 1)[-1]
        drain(app)
        [report] = reports(services)
        assert (report.ref, report.category, report.channel, report.place_name) == (
            ref,
            "ATK",
            "ussd",
            "Bentiu",
        )
        assert report.flags["time_reported_class"] == "happening_now"

    def test_a_dropped_ussd_session_resumes_where_she_left_off(
        self, client: FlaskClient, services: Services
    ) -> None:
        hop = {"phoneNumber": PHONE, "networkCode": "99999", "serviceCode": "*384*1#"}
        at_post(client, services, "ussd", hop | {"sessionId": "ATUid_a", "text": ""})
        at_post(client, services, "ussd", hop | {"sessionId": "ATUid_a", "text": "2"})
        end = {
            "sessionId": "ATUid_a",
            "phoneNumber": PHONE,
            "status": "Incomplete",
            "input": "2",
            "lastAppResponse": "CON When?",
            "hopsCount": "2",
            "durationInMillis": "41000",
        }
        assert at_post(client, services, "ussd/events", end).status_code == 200
        resumed = at_post(client, services, "ussd", hop | {"sessionId": "ATUid_b", "text": ""})
        assert resumed.text.startswith("CON When?")
        with services.uow() as uow:
            recorded = uow.session.get(UssdSession, ("ATUid_a", key_of(services)))
            assert recorded is not None
            assert (recorded.status, recorded.hops) == ("Incomplete", 2)

    def test_a_session_end_with_counts_no_column_holds_is_kept_without_them(
        self, client: FlaskClient, services: Services
    ) -> None:
        end = {
            "sessionId": "ATUid_counts",
            "phoneNumber": PHONE,
            "status": "Success",
            "hopsCount": "9" * 5000,  # more digits than int() reads
            "durationInMillis": "2147483648",  # one past PostgreSQL's INTEGER
        }
        assert at_post(client, services, "ussd/events", end).status_code == 200
        with services.uow() as uow:
            recorded = uow.session.get(UssdSession, ("ATUid_counts", key_of(services)))
            assert recorded is not None
            assert (recorded.status, recorded.hops, recorded.duration_ms) == ("Success", None, None)

    def test_a_beep_is_rejected_and_only_the_active_callback_counts(
        self, app: Flask, client: FlaskClient, services: Services
    ) -> None:
        register(services)
        ringing = {"sessionId": "ATVId_1", "callerNumber": PHONE, "isActive": "1", "direction": "Inbound"}
        response = at_post(client, services, "voice", ringing)
        assert "<Reject/>" in response.text
        at_post(client, services, "voice", ringing | {"isActive": "0", "durationInSeconds": "0"})
        drain(app)
        [report] = reports(services)
        assert report.flags["callback_needed"] is True


def test_training_messages_stay_out_of_the_operational_listing(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    params = twilio_sms(sid=random_sid(), body="ATK Bentiu")
    from twilio.request_validator import RequestValidator

    path = "/webhooks/twilio/sms?mode=training"
    signature = RequestValidator(services.settings.twilio_auth_token).compute_signature(
        services.settings.public_url + path, params
    )
    client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    drain(app)
    assert [r.training for r in reports(services)] == [True]
    assert client.get("/api/reports", headers=bearer(services, "triage_reviewer")).json["reports"] == []


def test_a_resent_last_ussd_hop_shows_the_same_reference_and_stores_one_report(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    hop = {"sessionId": "ATUid_twice", "phoneNumber": PHONE, "networkCode": "99999", "serviceCode": "*384*1#"}
    for text in ("", "3", "3*2"):
        at_post(client, services, "ussd", hop | {"text": text})
    first = at_post(client, services, "ussd", hop | {"text": "3*2*Rubkona"}).text
    again = at_post(client, services, "ussd", hop | {"text": "3*2*Rubkona"}).text
    assert first == again
    assert first.startswith("END ")
    drain(app)
    assert [(r.category, r.ref) for r in reports(services)] == [("ABD", first.rsplit(" ", 1)[-1])]


def test_two_phones_with_one_session_id_each_get_their_own_reference_and_report(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    other = "+211922222222"
    walks = {PHONE: ("", "3", "3*2", "3*2*Rubkona"), other: ("", "1", "1*1", "1*1*Bentiu market")}
    last: dict[str, str] = {}
    for step in range(4):  # the two sessions hop by hop, in turn
        for phone, walk in walks.items():
            hop = {
                "sessionId": "ATUid_shared",
                "phoneNumber": phone,
                "networkCode": "99999",
                "text": walk[step],
            }
            last[phone] = at_post(client, services, "ussd", hop | {"serviceCode": "*384*1#"}).text
    again = at_post(
        client,
        services,
        "ussd",
        {
            "sessionId": "ATUid_shared",
            "phoneNumber": other,
            "serviceCode": "*384*1#",
            "text": walks[other][-1],
        },
    ).text
    assert again == last[other]  # her resent last hop: the same screen, nothing new stored
    refs = {phone: screen.rsplit(" ", 1)[-1] for phone, screen in last.items()}
    assert all(screen.startswith("END ") for screen in last.values())
    assert refs[PHONE] != refs[other]
    drain(app)
    stored = {(r.reporter_key, r.category, r.ref) for r in reports(services)}
    assert stored == {
        (key_of(services, PHONE), "ABD", refs[PHONE]),
        (key_of(services, other), "ATK", refs[other]),
    }


def test_two_phones_with_one_session_id_each_have_their_session_end_stored_once(
    client: FlaskClient, services: Services
) -> None:
    other = "+211922222222"
    end = {"sessionId": "ATUid_shared", "status": "Success", "hopsCount": "4", "durationInMillis": "30000"}
    notices = [
        end | {"phoneNumber": PHONE},
        end | {"phoneNumber": other, "status": "Incomplete"},
        end | {"phoneNumber": PHONE},  # AT's resend of hers
        end,  # one that names no phone, sent twice
        end,
    ]
    for notice in notices:
        assert at_post(client, services, "ussd/events", notice).status_code == 200
    with services.uow() as uow:
        stored = [(s.session_id, s.reporter_key, s.status) for s in uow.session.scalars(select(UssdSession))]
    assert sorted(stored) == sorted(
        [
            ("ATUid_shared", key_of(services, PHONE), "Success"),
            ("ATUid_shared", key_of(services, other), "Incomplete"),
            ("ATUid_shared", "", "Success"),
        ]
    )


def test_a_resumed_session_is_not_replayed_to_another_phone_with_its_session_id(
    client: FlaskClient, services: Services
) -> None:
    hop = {"networkCode": "99999", "serviceCode": "*384*1#", "text": ""}
    at_post(client, services, "ussd", hop | {"sessionId": "ATUid_drop", "phoneNumber": PHONE, "text": "2"})
    end = {"sessionId": "ATUid_drop", "phoneNumber": PHONE, "status": "Incomplete", "input": "2"}
    at_post(client, services, "ussd/events", end | {"lastAppResponse": "CON When?"})
    resumed = at_post(client, services, "ussd", hop | {"sessionId": "ATUid_reused", "phoneNumber": PHONE})
    assert resumed.text.startswith("CON When?")
    stranger = at_post(
        client, services, "ussd", hop | {"sessionId": "ATUid_reused", "phoneNumber": "+211933"}
    )
    assert stranger.text.startswith("CON What happened?")  # her own first menu, not PHONE's answers
