"""Triage after classification: duplicates, reviewer merges, credibility, escalation, staff alerts.

Each runs on SQLite (embedded) and PostgreSQL through the same services (R19-R22, R25, R26, R48).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from alerts.errors import InvalidValue
from alerts.incidents.corroboration import (
    dismiss_suggestion,
    merge_incidents,
    record_external_check,
    suggest_duplicates,
    unmerge_incident,
)
from alerts.incidents.escalation import (
    escalate_overdue,
    load_staff_alert,
    load_staff_digest,
    plan_reminder_digests,
    plan_staff_alerts,
    stale_incidents,
)
from alerts.incidents.reports import change_incident_status
from alerts.incidents.routing import parse_routing
from alerts.intake.services import incident_of_report
from alerts.models import (
    DuplicateSuggestion,
    Incident,
    Report,
    Reporter,
    StaffDigest,
    StaffNotification,
    utcnow,
)
from alerts.vocabulary import REVIEW_DEADLINES
from app import jobs
from app.bootstrap import Services
from app.worker import drain
from tests.factories import add_reporter, report, verified_incident

pytestmark = pytest.mark.integration

JUBA = {"lon": 31.58, "lat": 4.85}
NEAR_JUBA = {"lon": 31.60, "lat": 4.86}  # about 2.5 km away
FAR = {"lon": 31.90, "lat": 4.85}  # about 35 km away


def _incident_of(services: Services, report_id: int) -> int:
    return incident_of_report(report_id, uow=services.uow())


def _suggest(services: Services, report_id: int) -> list[int]:
    return suggest_duplicates(
        _incident_of(services, report_id), uow=services.uow(), rules=services.cluster_rules
    )


def _get(services: Services, model: type, key: object) -> object:
    with services.uow() as uow:
        found = uow.session.get(model, key)
        assert found is not None
        uow.session.expunge(found)
        return found


def _incident(services: Services, incident_id: int) -> Incident:
    found = _get(services, Incident, incident_id)
    assert isinstance(found, Incident)
    return found


def _pin(services: Services, text: str, where: dict[str, float], **kwargs: object) -> int:
    return report(services, text, content=dict(where), **kwargs)  # type: ignore[arg-type]


class TestDuplicates:
    def test_a_nearby_report_of_the_same_kind_is_suggested_not_merged(self, services: Services) -> None:
        first = _pin(services, "FIG", JUBA)
        second = _pin(services, "FIG", NEAR_JUBA)
        assert _suggest(services, second) == [_incident_of(services, first)]
        assert _incident_of(services, first) != _incident_of(services, second)  # no silent merge (R26)
        with services.uow() as uow:
            suggestion = uow.session.scalars(select(DuplicateSuggestion)).one()
            assert suggestion.status == "open"
            assert suggestion.distance_km is not None
            assert 2.0 < suggestion.distance_km < 3.0

    def test_far_apart_or_incompatible_reports_are_not_suggested(self, services: Services) -> None:
        _pin(services, "FIG", JUBA)
        assert _suggest(services, _pin(services, "FIG", FAR)) == []
        assert _suggest(services, _pin(services, "DSP", NEAR_JUBA)) == []

    def test_a_report_outside_the_time_window_is_not_suggested(self, services: Services) -> None:
        _pin(services, "FIG", JUBA, received_at=utcnow() - timedelta(hours=25))
        assert _suggest(services, _pin(services, "FIG", NEAR_JUBA)) == []

    def test_suggesting_twice_stores_each_suggestion_once(self, services: Services) -> None:
        _pin(services, "ATK", JUBA)
        second = _pin(services, "ATK", NEAR_JUBA)
        assert _suggest(services, second) == _suggest(services, second)
        with services.uow() as uow:
            assert len(uow.session.scalars(select(DuplicateSuggestion)).all()) == 1

    def test_a_suggested_duplicate_is_consistent_with_a_cluster(self, services: Services) -> None:
        _pin(services, "FIG", JUBA)
        second = _pin(services, "FIG", NEAR_JUBA)
        _suggest(services, second)
        assert _incident(services, _incident_of(services, second)).credibility == 2


class TestMerges:
    def _pair(
        self, services: Services, *, same_reporter: bool = False, group: str | None = None
    ) -> tuple[int, int]:
        a = add_reporter(services)
        b = a if same_reporter else add_reporter(services)
        if group:
            with services.uow() as uow:
                for key in {a, b}:
                    reporter = uow.session.get(Reporter, key)
                    assert reporter is not None
                    reporter.group_key = group
                uow.commit()
        first = _pin(services, "ATK shooting at the market", JUBA, reporter_key=a)
        second = _pin(services, "FIG heavy gunfire near the market", NEAR_JUBA, reporter_key=b)
        return _incident_of(services, first), _incident_of(services, second)

    def test_two_independent_reporters_confirm_an_incident_after_a_merge(self, services: Services) -> None:
        target, source = self._pair(services)
        merge_incidents(source, target, actor="reviewer@example.org", uow=services.uow())
        assert _incident(services, target).credibility == 1
        assert _incident(services, source).merged_into_id == target
        with services.uow() as uow:
            assert {r.incident_id for r in uow.session.scalars(select(Report))} == {target}

    @pytest.mark.parametrize("tie", ["same reporter", "same group"])
    def test_reports_that_are_not_independent_never_confirm(self, services: Services, tie: str) -> None:
        target, source = self._pair(services, same_reporter=tie == "same reporter", group="household-7")
        merge_incidents(source, target, actor="reviewer@example.org", uow=services.uow())
        assert _incident(services, target).credibility != 1  # R21

    def test_an_unmerge_restores_both_incidents_and_their_reports(self, services: Services) -> None:
        target, source = self._pair(services)
        before = _incident(services, target)
        change_incident_status(source, "under_review", actor="r", uow=services.uow())
        with services.uow() as uow:  # make the source the more urgent one
            incident = uow.session.get(Incident, source)
            assert incident is not None
            incident.priority = "P1"
            uow.commit()
        merge_incidents(source, target, actor="reviewer@example.org", uow=services.uow())
        assert _incident(services, target).priority == "P1"
        unmerge_incident(source, actor="reviewer@example.org", uow=services.uow())
        after_target, after_source = _incident(services, target), _incident(services, source)
        assert after_source.merged_into_id is None
        assert after_source.status == "under_review"
        assert (after_target.priority, after_target.deadline_at) == (before.priority, before.deadline_at)
        with services.uow() as uow:
            by_incident = {r.incident_id for r in uow.session.scalars(select(Report))}
            assert by_incident == {target, source}
            assert uow.session.scalars(select(DuplicateSuggestion.status)).all() in ([], ["open"])
        assert after_target.credibility != 1

    def test_merges_are_in_the_audit_trail(self, services: Services) -> None:
        from alerts.models import AuditEvent

        target, source = self._pair(services)
        merge_incidents(source, target, actor="reviewer@example.org", uow=services.uow())
        unmerge_incident(source, actor="reviewer@example.org", uow=services.uow())
        with services.uow() as uow:
            actions = uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["incident.merge", "incident.unmerge"]

    def test_impossible_merges_are_refused_with_a_reason(self, services: Services) -> None:
        target, source = self._pair(services)
        with pytest.raises(InvalidValue, match="itself"):
            merge_incidents(target, target, actor="r", uow=services.uow())
        merge_incidents(source, target, actor="r", uow=services.uow())
        with pytest.raises(InvalidValue, match="already merged"):
            merge_incidents(source, target, actor="r", uow=services.uow())
        with pytest.raises(InvalidValue, match="not merged"):
            unmerge_incident(target, actor="r", uow=services.uow())
        training = _incident_of(services, _pin(services, "FIG", JUBA, training=True))
        with pytest.raises(InvalidValue, match="training"):
            merge_incidents(training, target, actor="r", uow=services.uow())

    def test_a_dismissed_suggestion_is_kept_and_marked(self, services: Services) -> None:
        _pin(services, "FIG", JUBA)
        second = _pin(services, "FIG", NEAR_JUBA)
        _suggest(services, second)
        with services.uow() as uow:
            suggestion_id = uow.session.scalars(select(DuplicateSuggestion.id)).one()
        dismiss_suggestion(suggestion_id, actor="r", uow=services.uow())
        with services.uow() as uow:
            assert uow.session.scalars(select(DuplicateSuggestion.status)).one() == "dismissed"


class TestCredibility:
    def test_a_patrol_confirmation_makes_a_single_report_credible(self, services: Services) -> None:
        incident = _incident_of(services, _pin(services, "ARM armed men near the school", JUBA))
        assert record_external_check(incident, "confirmed", actor="joc", uow=services.uow()) == 1
        assert record_external_check(incident, "contradicted", actor="joc", uow=services.uow()) == 5

    def test_her_reliability_follows_her_reviewed_history(self, services: Services) -> None:
        key = add_reporter(services)
        grades = []
        for outcome in ("verified", "verified", "verified", "rejected"):
            incident = _incident_of(services, _pin(services, "ARM armed men", FAR, reporter_key=key))
            change_incident_status(incident, "under_review", actor="r", uow=services.uow())
            change_incident_status(incident, outcome, actor="r", uow=services.uow())
            reporter = _get(services, Reporter, key)
            assert isinstance(reporter, Reporter)
            grades.append(reporter.reliability)
        assert grades == ["F", "F", "A", "C"]  # F until three reviewed (R20); then 3/4 not contradicted

    def test_changing_her_reliability_leaves_the_reports_credibility_alone(self, services: Services) -> None:
        key = add_reporter(services)
        report_id = _pin(services, "ARM armed men", JUBA, reporter_key=key)
        incident = _incident_of(services, report_id)
        before = _incident(services, incident).credibility
        with services.uow() as uow:
            reporter = uow.session.get(Reporter, key)
            assert reporter is not None
            reporter.reliability = "E"
            uow.commit()
        change_incident_status(incident, "under_review", actor="r", uow=services.uow())
        assert _incident(services, incident).credibility == before  # R19


class TestEscalation:
    def test_an_item_past_its_deadline_escalates_and_shows_as_stale(self, services: Services) -> None:
        incident = _incident_of(services, _pin(services, "MOV women cannot go to the market", FAR))
        deadline = _incident(services, incident).deadline_at
        assert _incident(services, incident).priority == "P3"
        assert escalate_overdue(deadline - timedelta(minutes=1), uow=services.uow()) == []
        assert stale_incidents(deadline - timedelta(minutes=1), uow=services.uow()) == []
        later = deadline + timedelta(minutes=1)
        assert escalate_overdue(later, uow=services.uow()) == [incident]
        escalated = _incident(services, incident)
        assert (escalated.priority, escalated.escalation_level) == ("P2", 1)
        assert escalated.deadline_at == later + timedelta(hours=2)
        assert [row["id"] for row in stale_incidents(later, uow=services.uow())] == [incident]
        assert escalate_overdue(later, uow=services.uow()) == []  # the new deadline is ahead

    def test_reviewed_items_do_not_escalate(self, services: Services) -> None:
        incident = _incident_of(services, _pin(services, "MOV women cannot go to the market", FAR))
        change_incident_status(incident, "under_review", actor="r", uow=services.uow())
        change_incident_status(incident, "verified", actor="r", uow=services.uow())
        assert escalate_overdue(utcnow() + timedelta(days=30), uow=services.uow()) == []

    def test_a_flash_alert_stays_p1_when_it_escalates(self, services: Services) -> None:
        incident = _incident_of(services, _pin(services, "ATK they are shooting now", FAR))
        assert _incident(services, incident).priority == "P1"
        escalate_overdue(utcnow() + timedelta(minutes=16), uow=services.uow())
        assert (_incident(services, incident).priority, _incident(services, incident).escalation_level) == (
            "P1",
            1,
        )
        assert escalate_overdue(utcnow() + timedelta(days=1), uow=services.uow()) == []  # overdue at P1 once
        assert _incident(services, incident).escalation_level == 1

    def test_an_overdue_item_escalates_once_per_level_up_to_p1_and_then_stops(
        self, services: Services
    ) -> None:
        incident = _incident_of(services, _pin(services, "MOV women cannot go to the market", FAR))
        now = _incident(services, incident).deadline_at
        steps = []
        for _ in range(6):
            now += timedelta(days=1)
            escalate_overdue(now, uow=services.uow())
            steps.append(
                (_incident(services, incident).priority, _incident(services, incident).escalation_level)
            )
        assert steps == [("P2", 1), ("P1", 2)] + [("P1", 2)] * 4
        assert [row["id"] for row in stale_incidents(now, uow=services.uow())] == [incident]  # still shown


ROUTING = parse_routing(
    {
        "responders": [
            {"name": "joc", "kind": "email", "address": "joc@x.invalid", "events": ["new", "escalation"],
             "priorities": ["P1"], "countries": ["SS"]},
            {"name": "crsv", "kind": "email", "address": "crsv@x.invalid", "events": ["new"],
             "priorities": ["P1", "P2"], "countries": ["SS"], "restricted": True},
            {"name": "ml-room", "kind": "webhook", "address": "https://room.x.invalid", "events": ["new"],
             "priorities": ["P1", "P2"], "countries": ["ML"]},
        ]
    }
)  # fmt: skip


class TestStaffAlerts:
    def _plan(self, services: Services, report_id: int, event: str = "new") -> list[str]:
        ids = plan_staff_alerts(
            _incident_of(services, report_id),
            event,
            uow=services.uow(),
            routing=ROUTING,
            taxonomy=services.taxonomy,
        )
        names = []
        for notification_id in ids:
            plan = load_staff_alert(
                notification_id,
                uow=services.uow(),
                routing=ROUTING,
                taxonomy=services.taxonomy,
                base_url="https://d",
            )
            assert plan is not None
            names.append(plan.responder)
        return sorted(names)

    def test_a_flash_alert_goes_to_the_jocs_duty_officer_at_once(self, services: Services) -> None:
        flash = _pin(services, "ATK they are shooting now", JUBA, reporter_key=add_reporter(services))
        assert self._plan(services, flash) == ["crsv", "joc"]
        assert self._plan(services, flash) == []  # planned once, however often the job runs

    def test_a_deployment_without_a_joc_routes_to_its_own_responders(self, services: Services) -> None:
        mali = add_reporter(services, country="ML")
        flash = _pin(services, "ATK they are shooting now", {"lon": -4.0, "lat": 14.5}, reporter_key=mali)
        urgent = _pin(
            services, "ABD two girls taken yesterday", {"lon": -4.0, "lat": 14.5}, reporter_key=mali
        )
        assert self._plan(services, flash) == ["ml-room"]  # R48
        assert _incident(services, _incident_of(services, urgent)).priority == "P2"
        assert self._plan(services, urgent) == ["ml-room"]

    def test_election_process_issues_and_training_alert_no_one(self, services: Services) -> None:
        key = add_reporter(services)
        process = report(
            services,
            "",
            reporter_key=key,
            content={"category": "ELE", "ele_option": "4", "time_class": "happening_now"},
        )
        assert _incident(services, _incident_of(services, process)).queue == "election_process"
        assert self._plan(services, process) == []  # R17
        assert self._plan(services, _pin(services, "ATK shooting now", JUBA, training=True)) == []

    def test_an_alert_names_a_restricted_category_only_to_cleared_responders(
        self, services: Services
    ) -> None:
        sxv = _pin(services, "SXV happening now", JUBA, reporter_key=add_reporter(services))
        incident = _incident_of(services, sxv)
        ids = plan_staff_alerts(
            incident, "new", uow=services.uow(), routing=ROUTING, taxonomy=services.taxonomy
        )
        plans = [
            load_staff_alert(
                i, uow=services.uow(), routing=ROUTING, taxonomy=services.taxonomy, base_url="https://d"
            )
            for i in ids
        ]
        texts = {p.responder: p.text for p in plans if p is not None}
        assert "restricted category" in texts["joc"]
        assert "Sexual" not in texts["joc"]
        assert "restricted" not in texts["crsv"]
        with services.uow() as uow:
            narrative = uow.session.scalars(select(Report.text)).one()
        assert all(narrative not in text for text in texts.values())

    def test_an_escalation_alerts_again_at_each_level(self, services: Services) -> None:
        flash = _pin(services, "ATK they are shooting now", JUBA, reporter_key=add_reporter(services))
        self._plan(services, flash)
        escalate_overdue(utcnow() + timedelta(minutes=16), uow=services.uow())
        assert self._plan(services, flash, "escalation") == ["joc"]
        assert self._plan(services, flash, "escalation") == []

    def test_each_responder_hears_once_per_level_however_often_the_job_runs(self, services: Services) -> None:
        routing = parse_routing(
            {
                "responders": [
                    {"name": "joc", "kind": "email", "address": "joc@x.invalid", "events": ["escalation"],
                     "priorities": ["P1"], "countries": ["SS"]},
                    {"name": "chief", "kind": "email", "address": "chief@x.invalid", "events": ["escalation"],
                     "priorities": ["P1", "P2", "P3"], "countries": ["SS"]},
                ]
            }
        )  # fmt: skip
        key = add_reporter(services)
        incident = _incident_of(
            services, _pin(services, "MOV women cannot go to the market", JUBA, reporter_key=key)
        )
        now = _incident(services, incident).deadline_at
        for _ in range(8):
            now += timedelta(days=1)
            escalate_overdue(now, uow=services.uow())
            plan_staff_alerts(
                incident, "escalation", uow=services.uow(), routing=routing, taxonomy=services.taxonomy
            )
        with services.uow() as uow:
            alerts = uow.session.execute(
                select(StaffNotification.responder, StaffNotification.event).order_by(StaffNotification.id)
            ).all()
        assert [tuple(a) for a in alerts] == [
            ("chief", "escalation-P2"),
            ("joc", "escalation-P1"),
            ("chief", "escalation-P1"),
        ]

    def test_still_overdue_p1s_come_as_one_digest_per_responder_per_interval(
        self, services: Services
    ) -> None:
        key = add_reporter(services)
        flashes = [
            _incident_of(services, _pin(services, text, JUBA, reporter_key=key))
            for text in (
                "ATK they are shooting now call me on +211912345678",
                "SXV happening now at the market",
            )
        ]
        hour = timedelta(hours=1)
        escalated_at = max(_incident(services, i).deadline_at for i in flashes) + timedelta(minutes=1)
        assert sorted(escalate_overdue(escalated_at, uow=services.uow())) == sorted(flashes)

        def digests(now: datetime) -> list[int]:
            return plan_reminder_digests(
                now, uow=services.uow(), routing=ROUTING, taxonomy=services.taxonomy, interval=hour
            )

        assert digests(escalated_at) == []  # just alerted: not overdue again yet
        # The first hourly window to open after the escalation's new deadline (P1: 15 min) has passed,
        # whatever the minute the test runs at.
        overdue_from = escalated_at + REVIEW_DEADLINES["P1"]
        start = datetime.fromtimestamp((overdue_from + hour).timestamp() // 3600 * 3600, UTC) + timedelta(
            minutes=1
        )
        first = digests(start)
        assert len(first) == 1  # joc only: crsv takes no escalations in ROUTING
        assert digests(start + timedelta(minutes=5)) == digests(start + timedelta(minutes=30)) == []
        plan = load_staff_digest(first[0], uow=services.uow(), routing=ROUTING, base_url="https://d")
        assert plan is not None
        assert (plan.responder, plan.data["incident_ids"]) == ("joc", sorted(flashes))
        assert all(f"#{i}" in plan.text for i in flashes)
        with services.uow() as uow:
            narratives = uow.session.scalars(select(Report.text)).all()
        assert not any(n and n in plan.text for n in narratives)
        assert not any(word in plan.text for word in ("+211", "Sexual", "Attack", "Juba"))
        assert len(digests(start + hour)) == 1  # the next interval: one more
        assert escalate_overdue(start + hour, uow=services.uow()) == []


def test_the_job_over_127_overdue_p1s_run_10_times_sends_digests_not_alerts(
    app: Flask, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production saw these re-escalated every ~15 min and 626 staff alerts in 20 minutes (issue #16)."""
    start = datetime(2026, 12, 7, 8, 1, tzinfo=UTC)
    ids = [
        verified_incident(services, None, None, status="received", priority="P1", country="SS", when=start)
        for _ in range(127)
    ]
    with services.uow() as uow:  # fully escalated, overdue for an hour
        uow.session.execute(
            update(Incident)
            .where(Incident.id.in_(ids))
            .values(escalation_level=1, deadline_at=start - timedelta(hours=1))
        )
        uow.commit()
    responders = {r.name for r in services.routing.responders if r.takes("escalation", "P1", "SS")}
    for run in range(10):
        monkeypatch.setattr(jobs, "utcnow", lambda run=run: start + run * timedelta(minutes=15))
        with app.app_context():
            assert jobs.escalate_overdue_incidents() == 0
    drain(app)
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(StaffNotification)) == 0
        digests = [
            (d.responder, sorted(d.incident_ids), d.status) for d in uow.session.scalars(select(StaffDigest))
        ]
    assert len(digests) == 3 * len(responders)  # 08:01 to 10:16: three hourly windows
    assert {name for name, _, _ in digests} == responders
    assert all(listed == sorted(ids) and status == "sent" for _, listed, status in digests)
    recorded = [s for s in services.staff_notifiers["email"].sent if "reminder" in s.subject]  # type: ignore[attr-defined]
    assert recorded
    assert all(len(s.text) <= 320 and "127 overdue" in s.text for s in recorded)


def test_the_routing_of_a_deployment_is_a_file(services: Services) -> None:
    assert {r.name for r in services.routing.responders} >= {"joc-duty-officer", "ml-situation-room"}
    assert replace(services.settings).routing_file.endswith("routing.toml")
