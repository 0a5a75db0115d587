"""The queue as a reviewer of one country meets it (#16): awaiting a decision before handled, and a
new P1 that arrives by webhook at the top of her first page, unseen by a reviewer of another country."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from alerts.models import User
from app.bootstrap import Services
from app.worker import drain
from tests.conftest import bearer, signed_twilio_post, twilio_sms
from tests.factories import add_reporter, random_sid, report

pytestmark = pytest.mark.integration


def _reviewer(services: Services, country: str) -> dict[str, str]:
    email = f"reviewer-{country.lower()}@example.org"
    headers = bearer(services, "triage_reviewer", email)
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        user.countries = [country]
        uow.commit()
    return headers


def test_a_new_p1_from_a_webhook_tops_the_first_page_of_a_reviewer_of_its_country(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    south_sudan = add_reporter(services, country="SS")
    handled = [
        incident_of_report(
            report(services, f"ATK shooting now in Yei {n}", reporter_key=south_sudan), uow=services.uow()
        )
        for n in range(3)
    ]
    for incident_id in handled:
        for step in ("under_review", "verified"):
            change_incident_status(incident_id, step, actor="r@example.org", uow=services.uow())
    waiting = incident_of_report(
        report(services, "MOV women cannot reach the market in Yei", reporter_key=south_sudan),
        uow=services.uow(),
    )
    elsewhere = incident_of_report(
        report(services, "ATK shooting now in Bria", reporter_key=add_reporter(services, country="CF")),
        uow=services.uow(),
    )
    ss, cf = _reviewer(services, "SS"), _reviewer(services, "CF")

    def first_page(headers: dict[str, str]) -> list[dict[str, object]]:
        answer = client.get("/api/incidents?limit=3", headers=headers)
        assert answer.status_code == 200
        return answer.get_json()["incidents"]

    assert [i["id"] for i in first_page(ss)] == [waiting, *handled[:2]]
    assert (
        signed_twilio_post(
            client, twilio_sms(sid=random_sid(), body="ATK they are shooting now in Yei")
        ).status_code
        == 200
    )
    assert drain(app)
    top = first_page(ss)
    assert (top[0]["priority"], top[0]["status"], top[0]["country"]) == ("P1", "received", "SS")
    assert top[1]["id"] == waiting  # handled P1s come after every incident awaiting a decision
    assert [i["id"] for i in first_page(cf)] == [elsewhere]
