"""An SMS becomes a report, is compared with open incidents and alerts the duty officer (R25, R48)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.models import DuplicateSuggestion, StaffNotification
from app.bootstrap import Services
from app.worker import drain
from channels.staff import RecordingNotifier
from tests.conftest import signed_twilio_post, twilio_sms
from tests.factories import random_sid

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
