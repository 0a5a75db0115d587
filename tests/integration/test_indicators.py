"""WPS indicators from recorded transitions (R23) and aggregate network feedback (R50)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts.errors import NotPermitted
from alerts.incidents.indicators import indicators, network_feedback
from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from alerts.messages import Viewer
from alerts.models import Network, Reporter, utcnow
from app.bootstrap import Services
from tests.factories import add_reporter, report

pytestmark = pytest.mark.integration

REVIEWER = Viewer(1, "reviewer@example.org", "triage_reviewer")


def _alert(services: Services, text: str, key: str, minutes_ago: int, *steps: str) -> int:
    received = utcnow() - timedelta(minutes=minutes_ago)
    incident = incident_of_report(
        report(services, text, reporter_key=key, received_at=received), uow=services.uow()
    )
    for step in steps:
        change_incident_status(incident, step, actor="reviewer@example.org", uow=services.uow())
    return incident


def _network_of(services: Services, key: str) -> int:
    with services.uow() as uow:
        reporter = uow.session.get(Reporter, key)
        assert reporter is not None
        assert reporter.network_id is not None
        return reporter.network_id


def test_times_to_triage_verification_and_action_come_from_the_transitions(services: Services) -> None:
    key = add_reporter(services, network="Bentiu Women Peace Monitors")
    _alert(services, "ATK shooting now", key, 60, "under_review", "verified", "response_dispatched")
    _alert(services, "ARM armed men", key, 120, "under_review", "verified")
    _alert(services, "TEN rumours", key, 30, "under_review", "rejected")
    _alert(services, "MOV checkpoint", key, 10)
    now = utcnow()
    result = indicators(REVIEWER, uow=services.uow(), since=now - timedelta(days=1), until=now)
    overall = result["overall"]
    assert overall["alerts"] == 4
    assert overall["addressed_share"] == round(1 / 3, 3)  # one responded to, out of three not rejected
    assert overall["median_minutes_to_triage"] == pytest.approx(60, abs=2)  # 120, 60, 30
    assert overall["median_minutes_to_verification"] == pytest.approx(90, abs=2)  # 120, 60
    assert overall["median_minutes_to_action"] == pytest.approx(60, abs=2)
    assert list(result["groups"]) == ["Bentiu Women Peace Monitors"]
    assert result["caveat"] == "reported incidents, not prevalence"


def test_indicators_group_by_week_and_area(services: Services) -> None:
    key = add_reporter(services)
    _alert(services, "ATK shooting now", key, 5)
    now = utcnow()
    weekly = indicators(
        REVIEWER, uow=services.uow(), since=now - timedelta(days=1), until=now, group_by="week"
    )
    year, week, _ = (now - timedelta(minutes=5)).isocalendar()
    assert list(weekly["groups"]) == [f"{year}-W{week:02d}"]


def test_a_coordinator_sees_her_own_networks_only(services: Services) -> None:
    mine, theirs = add_reporter(services, network="Yei"), add_reporter(services, network="Wau")
    _alert(services, "ATK shooting now", mine, 5)
    _alert(services, "ATK shooting now", theirs, 5)
    coordinator = Viewer(2, "c@example.org", "network_coordinator", frozenset({_network_of(services, mine)}))
    now = utcnow()
    result = indicators(coordinator, uow=services.uow(), since=now - timedelta(days=1), until=now)
    assert list(result["groups"]) == ["Yei"]
    with pytest.raises(NotPermitted):
        network_feedback(
            coordinator,
            _network_of(services, theirs),
            uow=services.uow(),
            since=now - timedelta(days=1),
            until=now,
        )


def test_network_feedback_is_aggregate_with_small_counts_banded(services: Services) -> None:
    key = add_reporter(services, network="Bor")
    narrative = "ATK they burned the house of the midwife"
    for _ in range(3):
        _alert(services, narrative, key, 5, "under_review", "verified", "response_dispatched")
    _alert(services, "SXV happening now near the well", key, 5)
    now = utcnow()
    with services.uow() as uow:
        network_id = uow.session.scalar(select(Network.id).where(Network.name == "Bor"))
    assert network_id is not None
    feedback = network_feedback(
        REVIEWER, network_id, uow=services.uow(), since=now - timedelta(days=1), until=now
    )
    assert feedback["reports"] == 4
    assert feedback["by_category"] == {"ATK": 3, "SXV": "<3"}
    assert (feedback["verified"], feedback["responded"]) == (3, 3)
    dumped = json.dumps(feedback)
    assert key not in dumped
    assert "midwife" not in dumped
    assert "well" not in dumped


def test_roles_without_indicators_are_refused(services: Services) -> None:
    now = utcnow()
    for role in ("contact_officer", "auditor"):
        with pytest.raises(NotPermitted):
            indicators(
                Viewer(3, "x@example.org", role), uow=services.uow(), since=now - timedelta(days=1), until=now
            )
