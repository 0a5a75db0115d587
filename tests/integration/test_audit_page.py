"""/audit, the auditor's page (R30; issue #16): the trail newest first with filters and pages, a
restricted incident's events redacted as its history is, and the chain check `dalili audit verify`
runs, asked for from the page and recorded in the trail."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.accounts.auditing import TrailFilter, read_trail
from alerts.accounts.users import viewer_of
from alerts.errors import InvalidValue, NotPermitted
from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from alerts.messages import Viewer
from alerts.models import AuditEvent, User
from alerts.vocabulary import ROLES
from app.bootstrap import Services
from config.settings import Settings
from tests.factories import report
from tests.web import PAGE, add_user, csrf_token, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

SXV_REASON = "the-survivor-named-her-uncle"
ATK_REASON = "duplicate-of-a-radio-report"


def _rejected(services: Services, text: str, reason: str) -> int:
    incident = incident_of_report(report(services, text), uow=services.uow())
    assert incident is not None
    change_incident_status(
        incident, "rejected", actor="reviewer@test.dalili.org", uow=services.uow(), reason=reason
    )
    return incident


def _auditor(app: Flask, services: Services) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, add_user(services, "auditor")).headers["Location"] == "/audit"
    return client


def _viewer(services: Services, role: str) -> Viewer:
    email = add_user(services, role)
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return viewer_of(uow.session, user)


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=PAGE)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _events(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-event="(\d+)">', page)]


def _all_ids(services: Services) -> list[int]:
    with services.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())))


def _verify(client: FlaskClient) -> str:
    form = {"csrf_token": csrf_token(client, "/audit")}
    return client.post("/audit/verify", data=form, headers=PAGE, follow_redirects=True).get_data(as_text=True)


class TestTrail:
    def test_the_trail_is_newest_first_a_page_at_a_time(
        self, app: Flask, services: Services, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _rejected(services, "ATK they are shooting at the market", ATK_REASON)
        for role in ("admin", "joc_officer"):
            add_user(services, role)
        client = _auditor(app, services)
        everything = _all_ids(services)
        assert len(everything) >= 5
        assert _events(_page(client, "/audit")) == everything
        monkeypatch.setattr("app.web.audit.TRAIL_PAGE", 2)
        seen, path = [], "/audit?action=user."
        while path:
            page = _page(client, path)
            seen += _events(page)
            found = re.search(r'<a href="([^"]+)" rel="next">Older events</a>', page)
            path = html.unescape(found.group(1)) if found else ""
            if found:
                assert "action=user." in path
        with services.uow() as uow:
            users = uow.session.scalars(
                select(AuditEvent.id)
                .where(AuditEvent.action.startswith("user."))
                .order_by(AuditEvent.id.desc())
            )
            assert seen == list(users)
        assert len(seen) >= 4
        assert ">Newest events</a>" in page

    def test_filters_narrow_the_trail(self, app: Flask, services: Services) -> None:
        incident = _rejected(services, "ATK they are shooting at the market", ATK_REASON)
        client = _auditor(app, services)
        by_reviewer = _page(client, "/audit?actor=Reviewer@test.dalili.org")
        assert len(_events(by_reviewer)) == 1
        assert ATK_REASON in by_reviewer
        assert (
            f'<a href="/audit?subject_type=incident&amp;subject_id={incident}">incident {incident}</a>'
            in (by_reviewer)
        )
        subject = _page(client, f"/audit?subject_type=incident&subject_id={incident}")
        assert _events(subject) == _events(by_reviewer)
        assert _events(_page(client, "/audit?subject_type=incident&subject_id=999999")) == []
        logins = _events(_page(client, "/audit?action=user.login"))
        assert logins
        assert len(logins) < len(_all_ids(services))
        assert _events(_page(client, "/audit?action=incident.transition")) == _events(by_reviewer)
        assert _events(_page(client, "/audit?action=%25")) == []  # a wildcard is a character here
        assert _events(_page(client, "/audit?since=2000-01-01&until=2999-12-31")) == _all_ids(services)
        assert _events(_page(client, "/audit?until=2000-01-01")) == []
        assert _events(_page(client, "/audit?since=2999-01-01")) == []
        backwards = _page(client, "/audit?since=2999-01-02&until=2999-01-01")
        assert "Correct the filters to see the trail." in backwards
        assert "The end of the period is before its start." in backwards

    def test_a_restricted_incidents_events_keep_no_reviewers_words(
        self, app: Flask, services: Services
    ) -> None:
        restricted = _rejected(services, "SXV they hurt a girl behind the water point", SXV_REASON)
        _rejected(services, "ATK they are shooting at the market", ATK_REASON)
        page = _page(_auditor(app, services), "/audit")
        assert ATK_REASON in page
        assert SXV_REASON not in page
        row = page.split(f'subject_type=incident&amp;subject_id={restricted}">')[1].split("</tr>")[0]
        assert "rejected" in row  # what happened, and who did it, stay

    def test_only_the_auditor_reads_it(self, app: Flask, services: Services) -> None:
        for role in ROLES:
            viewer = _viewer(services, role)
            if role == "auditor":
                assert read_trail(viewer, TrailFilter(), uow=services.uow()).events
                with pytest.raises(InvalidValue):
                    read_trail(viewer, TrailFilter(), uow=services.uow(), limit=0)
            else:
                with pytest.raises(NotPermitted):
                    read_trail(viewer, TrailFilter(), uow=services.uow())


class TestVerification:
    def test_she_checks_the_chain_and_the_outcome_is_recorded_and_shown(
        self, app: Flask, services: Services
    ) -> None:
        client = _auditor(app, services)
        assert "The trail has not been checked from this page yet." in _page(client, "/audit")
        newest = _all_ids(services)[0]
        page = _verify(client)
        assert "The audit trail verifies: nothing altered or removed." in page
        result = page.split('id="verification-result">')[1].split("</p>")[0]
        assert "<strong>Intact</strong>" in result
        assert "Checked by auditor@test.dalili.org at" in result
        assert f"through event {newest};" in result
        assert "0 events recorded since." in result
        with services.uow() as uow:
            check = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.verify"))
            assert check is not None
            assert (check.actor, check.subject_id, check.details["intact"]) == (
                "auditor@test.dalili.org",
                str(newest),
                True,
            )

    def test_a_trail_that_does_not_verify_shows_its_problems(
        self, backend_settings: Settings, make_app: Callable[[Settings], Flask]
    ) -> None:
        """The same events checked under another audit key: as if rewritten by someone without it."""
        original = make_app(backend_settings)
        _rejected(original.extensions["dalili"], "ATK they are shooting at the market", ATK_REASON)
        app = make_app(replace(backend_settings, audit_key="another-key-than-the-one-that-wrote-them"))
        services: Services = app.extensions["dalili"]
        page = _verify(_auditor(app, services))
        assert "The audit trail does NOT verify: see the problems below." in page
        assert "<strong>Not intact</strong>" in page
        assert "chain broken at event 1: altered, removed or not keyed" in page

    def test_other_roles_and_forged_posts_check_nothing(self, app: Flask, services: Services) -> None:
        for role in ("admin", "triage_reviewer"):
            client = app.test_client()
            sign_in(client, add_user(services, role))
            form = {"csrf_token": csrf_token(client, "/login")}
            assert client.post("/audit/verify", data=form, headers=PAGE).status_code == 403
        assert _auditor(app, services).post("/audit/verify", data={}, headers=PAGE).status_code == 400
        with services.uow() as uow:
            assert (
                uow.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "audit.verify")) is None
            )
