"""The review queue and reviewer actions, with permissions decided in the service layer (R22-R30)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts.accounts.users import create_user, viewer_of
from alerts.errors import InvalidValue, NotPermitted, UnknownIncident
from alerts.incidents.reports import change_incident_status
from alerts.incidents.review import (
    MAX_ID,
    QueueFilter,
    assign,
    close,
    escalate_now,
    incident_detail,
    list_queue,
    mark_actioned,
    reject,
    request_information,
    start_review,
    verify,
)
from alerts.intake.services import incident_of_report
from alerts.messages import Viewer
from alerts.models import AuditEvent, Incident, Report, Reporter, User, utcnow
from app.bootstrap import Services
from tests.factories import add_reporter, report

pytestmark = pytest.mark.integration


def _viewer(services: Services, role: str, *, countries: tuple[str, ...] = ()) -> Viewer:
    email = f"{role}-{len(countries)}@example.org"
    create_user(email, role, None, uow=services.uow())
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        user.countries = list(countries)
        uow.commit()
        return viewer_of(uow.session, user)


def _incident(services: Services, text: str, **kwargs: object) -> int:
    return incident_of_report(report(services, text, **kwargs), uow=services.uow())  # type: ignore[arg-type]


def _ids(page: object) -> list[int]:
    return [item["id"] for item in page.items]  # type: ignore[attr-defined]


class TestQueue:
    def test_the_most_urgent_and_soonest_due_come_first_a_page_at_a_time(self, services: Services) -> None:
        routine = _incident(services, "MOV women cannot go to the market")
        flash = _incident(services, "ATK they are shooting now")
        urgent = _incident(services, "ABD two girls taken yesterday")
        reviewer = _viewer(services, "triage_reviewer")
        first = list_queue(reviewer, QueueFilter(), uow=services.uow(), limit=2)
        assert _ids(first) == [flash, urgent]
        assert first.next_cursor is not None
        second = list_queue(reviewer, QueueFilter(), uow=services.uow(), limit=2, after=first.next_cursor)
        assert _ids(second) == [routine]
        assert second.next_cursor is None

    def test_a_forged_cursor_is_refused(self, services: Services) -> None:
        with pytest.raises(InvalidValue, match="cursor"):
            list_queue(
                _viewer(services, "triage_reviewer"), QueueFilter(), uow=services.uow(), after="bm9wZQ=="
            )

    def test_those_awaiting_a_decision_come_before_handled_ones_of_the_same_priority(
        self, services: Services
    ) -> None:
        """Handled P1s, older and so due sooner, once filled the first page ahead of P1s still
        awaiting review (issue #16)."""
        handled = [_incident(services, f"ATK they are shooting near the river {n}") for n in range(3)]
        for incident_id, steps in zip(
            handled,
            (("under_review", "verified"), ("under_review", "unverified"), ("under_review", "verified")),
            strict=True,
        ):
            for step in steps:
                change_incident_status(incident_id, step, actor="reviewer@example.org", uow=services.uow())
        with services.uow() as uow:
            uow.session.get(Incident, handled[2]).status = "response_dispatched"  # type: ignore[union-attr]
            uow.commit()
        awaiting = [_incident(services, f"ATK they are shooting at the market {n}") for n in range(3)]
        start_review(awaiting[1], _viewer(services, "wpa_crsv_focal"), uow=services.uow())
        reviewer = _viewer(services, "triage_reviewer")
        first = list_queue(reviewer, QueueFilter(), uow=services.uow(), limit=2)
        assert _ids(first) == awaiting[:2]
        second = list_queue(reviewer, QueueFilter(), uow=services.uow(), limit=2, after=first.next_cursor)
        assert _ids(second) == [awaiting[2], handled[0]]  # the page crosses from awaiting to handled
        third = list_queue(reviewer, QueueFilter(), uow=services.uow(), limit=2, after=second.next_cursor)
        assert (_ids(third), third.next_cursor) == (handled[1:], None)
        assert {i["priority"] for page in (first, second, third) for i in page.items} == {"P1"}

        def view(name: str, **kwargs: str) -> list[int]:
            return _ids(list_queue(reviewer, QueueFilter(view=name, **kwargs), uow=services.uow()))

        assert view("awaiting") == awaiting
        assert view("handled") == handled
        assert view("handled", status="unverified") == [handled[1]]
        with pytest.raises(InvalidValue, match="status 'verified' is not in this view"):
            view("awaiting", status="verified")
        with pytest.raises(InvalidValue, match="view 'done' is not one of awaiting, handled"):
            view("done")
        handled_page = list_queue(reviewer, QueueFilter(view="handled"), uow=services.uow(), limit=1)
        with pytest.raises(InvalidValue, match="cursor"):  # a handled tab's cursor on the awaiting tab
            list_queue(
                reviewer, QueueFilter(view="awaiting"), uow=services.uow(), after=handled_page.next_cursor
            )

    @pytest.mark.parametrize(
        "raw",
        [
            "P1|2026-01-01T00:00:00+00:00|1",  # the old key, without the handled rank
            "2|P1|2026-01-01T00:00:00+00:00|1",
            "0|P9|2026-01-01T00:00:00+00:00|1",
            "0|P1|2026-01-01T00:00:00|1",
            "0|P1|2026-01-01T00:00:00+00:00|0",
            f"1|P1|2026-01-01T00:00:00+00:00|{MAX_ID + 1}",
            "1|P1|0001-01-01T00:00:00+23:00|1",
        ],
    )
    def test_a_forged_cursor_fails_before_the_database(self, services: Services, raw: str) -> None:
        cursor = base64.urlsafe_b64encode(raw.encode()).decode()
        reviewer = _viewer(services, "triage_reviewer")
        for view in (None, "awaiting", "handled"):
            with pytest.raises(InvalidValue, match="the page cursor is not one this server gave"):
                list_queue(reviewer, QueueFilter(view=view), uow=services.uow(), after=cursor)

    def test_filters_narrow_the_queue(self, services: Services) -> None:
        mali = add_reporter(services, country="ML")
        in_mali = _incident(
            services, "FIG heavy fighting", reporter_key=mali, content={"lon": -4.0, "lat": 14.5}
        )
        _incident(services, "ATK they are shooting now", content={"lon": 31.6, "lat": 4.85})
        reviewer = _viewer(services, "triage_reviewer")
        assert _ids(list_queue(reviewer, QueueFilter(country="ml"), uow=services.uow())) == [in_mali]
        assert _ids(list_queue(reviewer, QueueFilter(category="FIG"), uow=services.uow())) == [in_mali]
        future = utcnow() + timedelta(hours=1)
        assert _ids(list_queue(reviewer, QueueFilter(since=future), uow=services.uow())) == []

    def test_a_user_sees_only_the_countries_she_works_on(self, services: Services) -> None:
        mali = add_reporter(services, country="ML")
        _incident(services, "FIG heavy fighting", reporter_key=mali, content={"lon": -4.0, "lat": 14.5})
        south_sudan = _incident(services, "FIG heavy fighting", content={"lon": 31.6, "lat": 4.85})
        with services.uow() as uow:
            incident = uow.session.get(Incident, south_sudan)
            assert incident is not None
            incident.country = "SS"
            uow.commit()
        scoped = _viewer(services, "triage_reviewer", countries=("SS",))
        assert _ids(list_queue(scoped, QueueFilter(), uow=services.uow())) == [south_sudan]

    def test_a_joc_officer_sees_verified_incidents_only(self, services: Services) -> None:
        pending = _incident(services, "FIG heavy fighting")
        checked = _incident(services, "ATK they are shooting now")
        verify(checked, _viewer(services, "triage_reviewer"), uow=services.uow(), credibility=2)
        joc = _viewer(services, "joc_officer")
        assert _ids(list_queue(joc, QueueFilter(), uow=services.uow())) == [checked]
        with pytest.raises(UnknownIncident):
            incident_detail(pending, joc, uow=services.uow(), taxonomy=services.taxonomy)

    def test_roles_without_the_queue_are_refused(self, services: Services) -> None:
        for role in ("admin", "auditor", "contact_officer"):
            with pytest.raises(NotPermitted):
                list_queue(_viewer(services, role), QueueFilter(), uow=services.uow())


class TestRestrictedIncidents:
    def test_only_the_crsv_focal_point_reads_a_sexual_violence_narrative_and_it_is_audited(
        self, services: Services
    ) -> None:
        incident = _incident(
            services, "SXV they hurt a girl near the river", content={"lon": 31.6, "lat": 4.85}
        )
        reviewer = incident_detail(
            incident, _viewer(services, "triage_reviewer"), uow=services.uow(), taxonomy=services.taxonomy
        )
        focal = incident_detail(
            incident, _viewer(services, "wpa_crsv_focal"), uow=services.uow(), taxonomy=services.taxonomy
        )
        assert "text" not in reviewer["reports"][0]
        assert reviewer["lon"] is None
        assert reviewer["narrative_visible"] is False
        assert "river" in focal["reports"][0]["text"]
        with services.uow() as uow:
            reads = uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "restricted.read")
            ).all()
            assert [(e.actor, e.subject_id) for e in reads] == [
                ("wpa_crsv_focal-0@example.org", str(incident))
            ]

    def test_only_the_crsv_focal_point_may_verify_a_restricted_incident(self, services: Services) -> None:
        incident = _incident(services, "SXV happening now")
        with pytest.raises(NotPermitted, match="CRSV focal point"):
            verify(incident, _viewer(services, "triage_reviewer"), uow=services.uow(), credibility=3)
        verify(incident, _viewer(services, "wpa_crsv_focal"), uow=services.uow(), credibility=3)


class TestActions:
    def test_verification_records_both_grades_and_every_step(self, services: Services) -> None:
        incident = _incident(services, "ARM armed men near the school")
        reviewer = _viewer(services, "triage_reviewer")
        start_review(incident, reviewer, uow=services.uow())
        verify(incident, reviewer, uow=services.uow(), credibility=2, reliability="B")
        detail = incident_detail(incident, reviewer, uow=services.uow(), taxonomy=services.taxonomy)
        assert (detail["status"], detail["credibility"]) == ("verified", 2)
        assert detail["reports"][0]["reliability"] == "B"
        steps = [(h["details"].get("from"), h["details"].get("to")) for h in detail["history"]]
        assert steps == [("received", "under_review"), ("under_review", "verified")]
        assert {h["actor"] for h in detail["history"]} == {reviewer.email}

    def test_a_rejection_needs_a_reason(self, services: Services) -> None:
        incident = _incident(services, "ARM armed men near the school")
        reviewer = _viewer(services, "triage_reviewer")
        with pytest.raises(InvalidValue, match="why"):
            reject(incident, reviewer, uow=services.uow(), reason="  ")
        reject(incident, reviewer, uow=services.uow(), reason="same event as #12, rumour")
        assert (
            incident_detail(incident, reviewer, uow=services.uow(), taxonomy=services.taxonomy)["status"]
            == "rejected"
        )

    def test_marking_actioned_tells_only_reporters_who_opted_in(self, services: Services) -> None:
        consenting, silent = add_reporter(services), add_reporter(services)
        with services.uow() as uow:
            reporter = uow.session.get(Reporter, consenting)
            assert reporter is not None
            reporter.consent_followup = True
            uow.commit()
        first = report(services, "ATK shooting now", reporter_key=consenting)
        incident = incident_of_report(first, uow=services.uow())
        second = report(services, "ATK shooting now at the market", reporter_key=silent)
        with services.uow() as uow:
            moved = uow.session.get(Report, second)
            assert moved is not None
            moved.incident_id = incident
            inbound = uow.session.get(Report, first)
            assert inbound is not None
            expected = [inbound.inbound_message_id]
            uow.commit()
        reviewer, joc = _viewer(services, "triage_reviewer"), _viewer(services, "joc_officer")
        with pytest.raises(InvalidValue, match="verified"):
            mark_actioned(incident, reviewer, uow=services.uow(), responder="Bor TOB", action_ref="P-17")
        verify(incident, reviewer, uow=services.uow(), credibility=1)
        assert (
            mark_actioned(incident, joc, uow=services.uow(), responder="Bor TOB", action_ref="P-17")
            == expected
        )
        assert request_information(incident, reviewer, uow=services.uow()) == expected
        close(incident, joc, uow=services.uow())
        detail = incident_detail(incident, joc, uow=services.uow(), taxonomy=services.taxonomy)
        assert (detail["status"], detail["responder"], detail["action_ref"]) == ("closed", "Bor TOB", "P-17")

    def test_assignment_and_escalation_are_recorded(self, services: Services) -> None:
        incident = _incident(services, "MOV women cannot go to the market")
        reviewer = _viewer(services, "triage_reviewer")
        assign(incident, reviewer, uow=services.uow(), email=reviewer.email)
        escalate_now(incident, reviewer, uow=services.uow(), now=utcnow())
        detail = incident_detail(incident, reviewer, uow=services.uow(), taxonomy=services.taxonomy)
        assert detail["assigned_to"] == reviewer.email
        assert (detail["priority"], detail["escalation_level"]) == ("P2", 1)
        with pytest.raises(InvalidValue, match="not an active reviewer"):
            assign(incident, reviewer, uow=services.uow(), email="nobody@example.org")

    def test_roles_that_may_not_act_are_refused(self, services: Services) -> None:
        incident = _incident(services, "ARM armed men near the school")
        for role in ("joc_officer", "protection_analyst", "network_coordinator"):
            with pytest.raises(NotPermitted):
                verify(incident, _viewer(services, role), uow=services.uow(), credibility=3)


def test_closing_an_unreviewed_incident_never_passes_through_verified(services: Services) -> None:
    from alerts.incidents.workflow import InvalidTransition

    incident = _incident(services, "ARM armed men near the school")
    with pytest.raises(InvalidTransition):
        close(incident, _viewer(services, "triage_reviewer"), uow=services.uow())
