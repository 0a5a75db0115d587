"""An SMS becomes a report, is compared with open incidents and alerts the duty officer (R25, R48)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.accounts.users import create_api_token
from alerts.models import DuplicateSuggestion, Incident, StaffNotification, utcnow
from app.bootstrap import Services
from app.worker import drain
from channels.staff import RecordingNotifier
from tests.conftest import bearer, signed_twilio_post, twilio_sms
from tests.factories import random_sid, verified_incident
from tests.web import PAGE, add_user, sign_in

pytestmark = pytest.mark.e2e

SENDERS = ("+211912345678", "+211912345679")


def _recorded(services: Services) -> list[tuple[str, ...]]:
    notifier = services.staff_notifiers["email"]
    assert isinstance(notifier, RecordingNotifier)  # nothing leaves a test machine
    return [tuple(entry) for entry in notifier.sent]


def test_a_flash_sms_alerts_the_duty_officer_without_its_words_or_sender(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    body = "ATK Juba they are shooting at the market now"
    assert signed_twilio_post(client, twilio_sms(body=body, sender=SENDERS[0])).status_code == 200
    drain(app)
    alerts = {address: (subject, text, url) for _, address, subject, text, url in _recorded(services)}
    assert set(alerts) == {"joc-duty@dalili.invalid", "wpa-crsv@dalili.invalid"}  # config/routing.toml
    subject, text, url = alerts["joc-duty@dalili.invalid"]
    assert subject.startswith("Dalili P1 alert #")
    assert url.startswith(services.settings.public_url)
    assert "shooting" not in text
    assert SENDERS[0][1:] not in text
    with services.uow() as uow:
        assert uow.session.scalars(select(StaffNotification.status)).all() == ["sent", "sent"]


@pytest.mark.usefixtures("compiled_translations")
def test_a_new_flash_sms_tops_the_queue_of_a_reviewer_of_its_country(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    """Handled P1s due sooner, an awaiting P2, and an awaiting P1 elsewhere stay below the new P1 (or
    out of her sight); the new-alert banner's link opens it (issue #16)."""
    earlier = utcnow() - timedelta(hours=4)  # due now: sooner than the new P1's 15 minutes
    for status in ("verified", "unverified", "response_dispatched"):
        verified_incident(services, 31.58, 4.85, priority="P1", status=status, country="SS", when=earlier)
    routine = verified_incident(services, 31.58, 4.85, priority="P2", status="received", country="SS")
    verified_incident(services, -4.0, 14.5, priority="P1", status="received", country="ML", when=earlier)
    reviewer, email = app.test_client(), add_user(services, "triage_reviewer", countries=("SS",))
    assert sign_in(reviewer, email).status_code == 302
    page = reviewer.get("/queue", headers=PAGE).get_data(as_text=True)
    updates = html.unescape(re.search(r'data-updates="([^"]+)"', page).group(1))  # type: ignore[union-attr]

    body = "ATK Juba they are shooting at the market now"
    assert signed_twilio_post(client, twilio_sms(body=body, sender=SENDERS[0])).status_code == 200
    drain(app)
    with services.uow() as uow:
        new = uow.session.scalar(
            select(Incident.id).where(
                Incident.status == "received", Incident.priority == "P1", Incident.country == "SS"
            )
        )
    assert new is not None

    page = reviewer.get("/queue", headers=PAGE).get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'<tr data-incident="(\d+)">', page)]
    assert shown[:2] == [new, routine]
    assert len(shown) == 5  # then the three handled P1s; the Malian P1 is not hers
    assert reviewer.get(updates).json["url"] == f"/incidents/{new}"
    token, _ = create_api_token(email, days=1, uow=services.uow())
    api = client.get("/api/incidents", headers={"Authorization": f"Bearer {token}"})
    assert [item["id"] for item in api.json["incidents"]][:2] == [new, routine]


def test_a_second_report_of_the_same_incident_is_suggested_for_merging(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    for sender in SENDERS:
        sms = twilio_sms(sid=random_sid(), body="FIG Juba heavy fighting since morning", sender=sender)
        signed_twilio_post(client, sms)
        drain(app)
    with services.uow() as uow:
        [suggestion] = uow.session.scalars(select(DuplicateSuggestion)).all()
        assert suggestion.status == "open"
        assert suggestion.incident_id != suggestion.candidate_id


def _ussd_walk(client: FlaskClient, services: Services, answers: tuple[str, ...]) -> None:
    hop = {
        "sessionId": "ATUid_ele",
        "phoneNumber": SENDERS[1],
        "networkCode": "99999",
        "serviceCode": "*384*1#",
    }
    for text in ("", *("*".join(answers[: i + 1]) for i in range(len(answers)))):
        response = client.post(
            f"/webhooks/africastalking/ussd?token={services.settings.at_webhook_token}",
            data=hop | {"text": text},
        )
        assert response.status_code == 200, response.text


ELECTION_PROCESS_ENTRIES = {
    "sms_code": lambda client, services: signed_twilio_post(
        client, twilio_sms(body="ELE no ballot papers at the polling station in Juba", sender=SENDERS[0])
    ),
    "sms_menu_digit": lambda client, services: signed_twilio_post(
        client, twilio_sms(body="6 polling station closed early in Juba", sender=SENDERS[0])
    ),
    "sms_free_text": lambda client, services: signed_twilio_post(
        client, twilio_sms(body="the polling station in Juba has no ballot papers", sender=SENDERS[0])
    ),
    "ussd_sub_menu": lambda client, services: _ussd_walk(client, services, ("6", "4", "1", "Juba")),
}


@pytest.mark.parametrize("entry", list(ELECTION_PROCESS_ENTRIES))
def test_an_election_process_issue_goes_to_its_own_queue_by_every_entry_path(
    app: Flask, client: FlaskClient, services: Services, entry: str
) -> None:
    """ELE kept as the category (no harm) is an election-process issue however it came in (R17):
    the election-process queue, no staff alert, never the triage queue nor the verified feed."""
    ELECTION_PROCESS_ENTRIES[entry](client, services)
    drain(app)
    with services.uow() as uow:
        [(incident_id, category, queue)] = uow.session.execute(
            select(Incident.id, Incident.category, Incident.queue)
        ).all()
        assert uow.session.scalars(select(StaffNotification)).all() == []
    assert (category, queue) == ("ELE", "election_process")
    reviewer = bearer(services, "triage_reviewer")
    triage = client.get("/api/incidents", headers=reviewer).json["incidents"]
    process = client.get("/api/incidents?queue=election_process", headers=reviewer).json["incidents"]
    assert ([i["id"] for i in triage], [i["id"] for i in process]) == ([], [incident_id])
    verified = client.post(
        f"/api/incidents/{incident_id}/transitions",
        headers=reviewer,
        json={"action": "verify", "credibility": 2},
    )
    assert verified.json["status"] == "verified"
    assert client.get("/api/verified", headers=reviewer).json["incidents"] == []


def test_an_ele_sms_that_names_harm_stays_in_triage_and_alerts(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    signed_twilio_post(client, twilio_sms(body="ELE they beat a woman candidate in Juba", sender=SENDERS[0]))
    drain(app)
    with services.uow() as uow:
        assert uow.session.execute(select(Incident.category, Incident.queue)).all() == [("ATK", "triage")]
    assert len(_recorded(services)) == 2
