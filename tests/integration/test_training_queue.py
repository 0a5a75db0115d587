"""Training incidents (phone simulator, ``?mode=training``) have a queue of their own, every page of one
says TRAINING, and every status change of one says training in the trail (issue #16)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.accounts.users import create_user, viewer_of
from alerts.incidents.reports import change_incident_status
from alerts.incidents.review import QueueFilter, incident_detail, list_queue, reject, verify
from alerts.intake.services import incident_of_report
from alerts.messages import Viewer
from alerts.models import AuditEvent, User
from app.bootstrap import Services
from config.settings import Settings
from tests.conftest import bearer
from tests.factories import report
from tests.web import PAGE, add_user, csrf_token, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

BANNER = "TRAINING — this incident was made in a training session"
QUEUE_BANNER = "TRAINING — incidents made in training sessions"


def _incident(services: Services, text: str, *, training: bool = False) -> int:
    incident_id = incident_of_report(report(services, text, training=training), uow=services.uow())
    assert incident_id is not None
    return incident_id


def _viewer(services: Services, role: str) -> Viewer:
    email = f"{role}@example.org"
    create_user(email, role, None, uow=services.uow())
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return viewer_of(uow.session, user)


def _ids(viewer: Viewer, services: Services, **filters: object) -> list[int]:
    page = list_queue(viewer, QueueFilter(**filters), uow=services.uow())  # type: ignore[arg-type]
    return [item["id"] for item in page.items]


def _transitions(services: Services, incident_id: int) -> list[dict[str, object]]:
    with services.uow() as uow:
        return [
            e.details
            for e in uow.session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.subject_id == str(incident_id),
                    AuditEvent.action == "incident.transition",
                )
                .order_by(AuditEvent.id)
            )
        ]


def _ids_on(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-incident="(\d+)">', page)]


def _signed_in(app: Flask, services: Services, role: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, add_user(services, role)).status_code == 302
    return client


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=PAGE)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


class TestService:
    def test_the_training_queue_lists_training_incidents_and_the_real_one_never_does(
        self, services: Services
    ) -> None:
        real = _incident(services, "ATK they are shooting at the market")
        drill = _incident(services, "ATK they are shooting at the school", training=True)
        reviewer = _viewer(services, "triage_reviewer")
        assert _ids(reviewer, services) == [real]
        assert _ids(reviewer, services, training=True) == [drill]
        assert _ids(reviewer, services, training=True, view="awaiting") == [drill]
        assert _ids(reviewer, services, training=True, view="handled") == []

    def test_the_training_queue_keeps_each_roles_scope(self, services: Services) -> None:
        awaiting = _incident(services, "ATK they are shooting at the school", training=True)
        verified = _incident(services, "ATK they are shooting at the clinic", training=True)
        for step in ("under_review", "verified"):
            change_incident_status(verified, step, actor="trainer@example.org", uow=services.uow())
        assert set(_ids(_viewer(services, "triage_reviewer"), services, training=True)) == {
            awaiting,
            verified,
        }
        assert _ids(_viewer(services, "joc_officer"), services, training=True) == [verified]

    def test_every_step_of_a_training_incident_is_recorded_as_training(self, services: Services) -> None:
        drill = _incident(services, "ATK they are shooting at the school", training=True)
        other = _incident(services, "ATK they are shooting at the clinic", training=True)
        real = _incident(services, "ATK they are shooting at the market")
        reviewer = _viewer(services, "triage_reviewer")
        for incident_id in (drill, real):
            verify(incident_id, reviewer, uow=services.uow(), credibility=2)
        reject(other, reviewer, uow=services.uow(), reason="a drill gone wrong")
        steps = _transitions(services, drill)
        assert [(s["from"], s["to"]) for s in steps] == [
            ("received", "under_review"),
            ("under_review", "verified"),
        ]
        assert all(s["training"] is True for s in steps)
        assert steps[-1]["credibility"] == 2
        assert _transitions(services, other)[-1] == {
            "from": "received",
            "to": "rejected",
            "training": True,
        } | {"reason": "a drill gone wrong"}
        assert all("training" not in s for s in _transitions(services, real))
        change_incident_status(drill, "closed", actor="trainer@example.org", uow=services.uow())
        assert _transitions(services, drill)[-1]["training"] is True

    def test_the_detail_says_whether_it_is_training(self, services: Services) -> None:
        drill = _incident(services, "ATK they are shooting at the school", training=True)
        real = _incident(services, "ATK they are shooting at the market")
        reviewer = _viewer(services, "triage_reviewer")
        for incident_id, training in ((drill, True), (real, False)):
            detail = incident_detail(incident_id, reviewer, uow=services.uow(), taxonomy=services.taxonomy)
            assert detail["training"] is training


class TestPages:
    def test_in_training_mode_the_queue_links_the_training_queue_which_says_training(
        self, app: Flask, services: Services
    ) -> None:
        assert services.settings.training
        real = _incident(services, "ATK they are shooting at the market")
        drill = _incident(services, "ATK they are shooting at the school", training=True)
        client = _signed_in(app, services, "triage_reviewer")
        queue = _get(client, "/queue")
        assert _ids_on(queue) == [real]
        assert '<a href="/queue?training=1">Training incidents</a>' in queue
        assert QUEUE_BANNER not in queue
        training = _get(client, "/queue?training=1")
        assert _ids_on(training) == [drill]
        assert QUEUE_BANNER in training
        assert '<h1 id="queue-title">Training queue</h1>' in training
        assert '<a href="/queue">Real incidents</a>' in training
        assert '<a href="/queue?training=1" aria-current="page">Training incidents</a>' in training
        assert 'href="/queue?training=1&amp;view=awaiting"' in training  # the tabs stay in training
        updates = client.get("/queue/updates?training=1&newer_than=2000-01-01T00:00:00%2B00:00").get_json()
        assert updates["url"] == f"/incidents/{drill}"
        bad = _get(client, "/queue?training=yes")
        assert "Correct the filters to see the queue." in bad

    def test_outside_training_mode_no_link_leads_to_an_empty_training_queue(
        self, backend_settings: Settings, make_app: Callable[[Settings], Flask]
    ) -> None:
        app = make_app(replace(backend_settings, training=False))
        services: Services = app.extensions["dalili"]
        client = _signed_in(app, services, "triage_reviewer")
        queue = _get(client, "/queue")
        assert "training=1" not in queue
        assert QUEUE_BANNER in _get(
            client, "/queue?training=1"
        )  # training incidents left over stay reachable

    def test_a_training_incident_says_training_on_its_page_and_after_each_action(
        self, app: Flask, services: Services
    ) -> None:
        drill = _incident(services, "ATK they are shooting at the school", training=True)
        real = _incident(services, "ATK they are shooting at the market")
        client = _signed_in(app, services, "triage_reviewer")
        assert BANNER in _get(client, f"/incidents/{drill}")
        assert 'href="/queue?training=1">Training queue</a>' in _get(client, f"/incidents/{drill}")
        assert BANNER not in _get(client, f"/incidents/{real}")
        assert 'href="/queue">Queue</a>' in _get(client, f"/incidents/{real}")
        form = {"verify-credibility": "2", "verify-csrf_token": csrf_token(client, "/queue")}
        answer = client.post(f"/incidents/{drill}/verify", data=form, headers=PAGE, follow_redirects=True)
        page = answer.get_data(as_text=True)
        assert "Verified." in page
        assert BANNER in page
        assert page.index(BANNER) < page.index('<main id="main">')  # at the top, with the confirmation
        assert _transitions(services, drill)[-1]["training"] is True


def test_the_api_reads_the_training_queue_with_training_true(client: FlaskClient, services: Services) -> None:
    real = _incident(services, "ATK they are shooting at the market")
    drill = _incident(services, "ATK they are shooting at the school", training=True)
    headers = bearer(services, "triage_reviewer")

    def ids(query: str) -> list[int]:
        answer = client.get(f"/api/incidents{query}", headers=headers)
        assert answer.status_code == 200
        return [i["id"] for i in answer.get_json()["incidents"]]

    assert ids("") == ids("?training=false") == [real]
    assert ids("?training=true") == [drill]
    refused = client.get("/api/incidents?training=yes", headers=headers)
    assert refused.status_code == 400
    assert "training" in refused.get_json()["error"]
