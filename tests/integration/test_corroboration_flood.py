"""Duplicate suggestions stay cheap and few when many women report from one place at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from alerts.incidents.corroboration import MAX_SUGGESTIONS, suggest_duplicates
from alerts.intake.services import incident_of_report
from alerts.models import DuplicateSuggestion, Report
from app.bootstrap import Services
from tests.factories import report

pytestmark = pytest.mark.integration

BENTIU = {"lon": 29.8067, "lat": 9.2333}


def test_a_flood_from_one_place_keeps_the_nearest_suggestions_only(services: Services) -> None:
    ids = [report(services, f"FIG Bentiu gunfire {n}", content=BENTIU) for n in range(MAX_SUGGESTIONS + 5)]
    far = report(services, "FIG Juba gunfire", content={"lon": 31.58, "lat": 4.85})
    latest = incident_of_report(ids[-1], uow=services.uow())
    suggested = suggest_duplicates(latest, uow=services.uow(), rules=services.cluster_rules)
    assert len(suggested) == MAX_SUGGESTIONS
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(DuplicateSuggestion)) == MAX_SUGGESTIONS
        far_incident = uow.session.scalar(select(Report.incident_id).where(Report.id == far))
    assert far_incident not in suggested


def test_a_report_with_no_point_and_no_area_is_compared_with_nothing(services: Services) -> None:
    report(services, "FIG gunfire somewhere")
    alone = incident_of_report(report(services, "FIG gunfire somewhere"), uow=services.uow())
    assert suggest_duplicates(alone, uow=services.uow(), rules=services.cluster_rules) == []
