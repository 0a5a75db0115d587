"""Triage quality (#16) on crafted data, through the real services: incidents made by intake, corrected
and decided by reviewers, counted per week, category and language with precision and recall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from alerts.accounts.users import create_user, viewer_of
from alerts.errors import InvalidValue, NotPermitted
from alerts.incidents.corrections import CorrectionRequest, correct, undo
from alerts.incidents.corroboration import merge_incidents
from alerts.incidents.quality import triage_quality
from alerts.incidents.review import mark_unverified, reject, verify
from alerts.intake.services import incident_of_report
from alerts.messages import Viewer
from alerts.models import Incident, User, utcnow
from app.bootstrap import Services
from geo.crs import distance_km
from tests.factories import add_reporter, report

pytestmark = pytest.mark.integration

NOW = datetime(2025, 3, 19, 12, tzinfo=UTC)
"""A Wednesday of ISO week 2025-W12 (Monday 17 March)."""
THIS_WEEK = datetime(2025, 3, 17, 8, tzinfo=UTC)
LAST_WEEK = datetime(2025, 3, 11, 8, tzinfo=UTC)
LONG_AGO = datetime(2025, 1, 14, 8, tzinfo=UTC)
"""2025-W03: outside eight weeks back from NOW, inside twelve."""
CLICK = {"how": "map", "lon": 30.2, "lat": 4.6}


def _viewer(services: Services, role: str, countries: tuple[str, ...] = ()) -> Viewer:
    email = f"{role}{''.join('.' + code.lower() for code in countries)}@example.org"
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
    if user is None:
        create_user(email, role, None, uow=services.uow(), countries=countries)
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return viewer_of(uow.session, user)


def _incident(services: Services, text: str, when: datetime, **kwargs: Any) -> int:
    incident_id = incident_of_report(report(services, text, received_at=when, **kwargs), uow=services.uow())
    assert incident_id is not None
    return incident_id


def _correct(services: Services, incident_id: int, viewer: Viewer, field: str, value: Any) -> int:
    done = correct(
        incident_id,
        CorrectionRequest(field, value, reason="as reviewed"),
        viewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        places=services.geocoder,
        now=utcnow(),
    )
    return int(done["id"])


def _undo(services: Services, correction_id: int, viewer: Viewer) -> None:
    undo(
        correction_id,
        viewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        places=services.geocoder,
        now=utcnow(),
    )


def _verify(services: Services, incident_id: int, viewer: Viewer) -> None:
    verify(incident_id, viewer, uow=services.uow(), credibility=3)


def _point(services: Services, incident_id: int) -> tuple[float, float]:
    with services.uow() as uow:
        incident = uow.session.get(Incident, incident_id)
        assert incident is not None
        assert incident.lon is not None
        assert incident.lat is not None
        return incident.lon, incident.lat


def _quality(services: Services, viewer: Viewer, **kwargs: Any) -> dict[str, Any]:
    return triage_quality(viewer, uow=services.uow(), now=NOW, **kwargs)


def _rows(group: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["category"]: row for row in group["categories"]}


@pytest.fixture
def crafted(services: Services) -> dict[str, Any]:
    """Six decided incidents over two weeks (one restricted, one in French), and five that must not
    count: awaiting a decision, training, merged away, long ago, in another country's scope."""
    reviewer, focal = _viewer(services, "triage_reviewer"), _viewer(services, "wpa_crsv_focal")
    french = add_reporter(services, language="fr")
    kept = _incident(services, "ATK armed men attacked the market in Yei", THIS_WEEK)
    to_fig = _incident(services, "ATK two groups fought in Yei", THIS_WEEK)
    to_sxv = _incident(services, "ATK they beat the trader in Yei", THIS_WEEK)
    undone = _incident(services, "ATK des hommes armés ont attaqué Yei", THIS_WEEK, reporter_key=french)
    threat = _incident(services, "THR they threatened the women of Yei", LAST_WEEK)
    to_thr = _incident(services, "ATK they said they will burn Yei", LAST_WEEK)
    awaiting = _incident(services, "ATK shooting in Yei", THIS_WEEK)
    training = _incident(services, "ATK shooting in Yei", THIS_WEEK, training=True)
    merged = _incident(services, "ATK shooting at the market in Yei", THIS_WEEK)
    old = _incident(services, "ATK shooting in Yei long ago", LONG_AGO)

    before = _point(services, kept)
    _correct(services, kept, reviewer, "place", CLICK)
    _correct(services, to_fig, reviewer, "category", "FIG")
    _undo(services, _correct(services, to_fig, reviewer, "place", CLICK), reviewer)
    _correct(services, to_sxv, reviewer, "category", "SXV")
    _correct(services, to_sxv, focal, "place", CLICK)  # restricted now: hers alone
    _undo(services, _correct(services, undone, reviewer, "category", "FIG"), reviewer)
    _correct(services, to_thr, reviewer, "category", "THR")
    _correct(services, awaiting, reviewer, "category", "THR")
    _correct(services, old, reviewer, "category", "FIG")
    for incident in (kept, to_fig, undone, merged, old):
        _verify(services, incident, reviewer)
    _verify(services, to_sxv, focal)
    reject(threat, reviewer, uow=services.uow(), reason="a rumour")
    mark_unverified(to_thr, reviewer, uow=services.uow())
    with services.uow() as uow:  # a training incident decided like any other
        row = uow.session.get(Incident, training)
        assert row is not None
        row.status = "verified"
        uow.commit()
    merge_incidents(merged, kept, actor=reviewer.email, uow=services.uow())
    return {"moved_km": distance_km(*before, CLICK["lon"], CLICK["lat"])}


class TestFigures:
    def test_kept_and_changed_categories_give_precision_and_recall_as_reviewers_judged(
        self, services: Services, crafted: dict[str, Any]
    ) -> None:
        result = _quality(services, _viewer(services, "admin"))
        assert result["total"]["decided"] == 6
        rows = _rows(result["total"])
        assert set(rows) == {"ATK", "FIG", "SXV", "THR"}
        attack = rows["ATK"]
        assert (attack["triaged"], attack["kept"], attack["changed"], attack["ended"]) == (5, 2, 3, 2)
        assert attack["changed_to"] == [
            {"category": "FIG", "count": 1},
            {"category": "SXV", "count": 1},
            {"category": "THR", "count": 1},
        ]
        assert (attack["precision"], attack["recall"]) == (0.4, 1.0)
        threat = rows["THR"]
        assert (threat["triaged"], threat["kept"], threat["ended"]) == (1, 1, 2)
        assert (threat["precision"], threat["recall"]) == (1.0, 0.5)
        for code in ("FIG", "SXV"):  # reviewers ended with them, triage never said them
            assert (rows[code]["triaged"], rows[code]["ended"]) == (0, 1)
            assert (rows[code]["precision"], rows[code]["recall"]) == (None, 0.0)

    def test_a_corrected_place_counts_as_changed_with_how_far_it_moved_but_not_a_restricted_one_s(
        self, services: Services, crafted: dict[str, Any]
    ) -> None:
        attack = _rows(_quality(services, _viewer(services, "admin"))["total"])["ATK"]
        # kept's and to_sxv's places changed; to_fig's correction was undone.
        assert (attack["place_kept"], attack["place_changed"]) == (3, 2)
        moved = round(crafted["moved_km"], 1)
        assert moved > 1
        assert attack["km_moved"] == {"measured": 1, "median": moved, "max": moved}

    def test_weeks_are_those_of_the_first_report_newest_first_with_languages_within(
        self, services: Services, crafted: dict[str, Any]
    ) -> None:
        result = _quality(services, _viewer(services, "admin"))
        assert result["since"] == "2025-01-27T00:00:00+00:00"
        weeks = result["weeks"]
        assert [w["week"] for w in weeks] == [f"2025-W{n:02d}" for n in range(12, 4, -1)]
        assert [w["decided"] for w in weeks] == [4, 2, 0, 0, 0, 0, 0, 0]
        this_week = _rows(weeks[0])["ATK"]
        assert (this_week["triaged"], this_week["kept"]) == (4, 2)
        assert [(g["language"], g["decided"]) for g in weeks[0]["languages"]] == [("en", 3), ("fr", 1)]
        assert _rows(weeks[1])["THR"]["ended"] == 2
        languages = {g["language"]: _rows(g) for g in result["languages"]}
        assert languages["fr"]["ATK"]["kept"] == 1  # corrected, then undone: kept
        assert languages["en"]["ATK"]["triaged"] == 4

    def test_more_weeks_reach_further_back(self, services: Services, crafted: dict[str, Any]) -> None:
        admin = _viewer(services, "admin")
        assert _quality(services, admin, weeks=12)["total"]["decided"] == 7
        assert _quality(services, admin, weeks=1)["total"]["decided"] == 4
        for weeks in (0, 53):
            with pytest.raises(InvalidValue, match="weeks"):
                _quality(services, admin, weeks=weeks)


class TestWhoSeesWhat:
    def test_a_joc_officer_counts_every_decided_incident_of_her_countries(
        self, services: Services, crafted: dict[str, Any]
    ) -> None:
        assert _quality(services, _viewer(services, "joc_officer"))["total"]["decided"] == 6
        assert _quality(services, _viewer(services, "joc_officer", ("CF",)))["total"]["decided"] == 0
        admin = _viewer(services, "admin")
        assert _quality(services, admin, country="CF")["total"]["decided"] == 0
        assert _quality(services, admin, country="SS")["total"]["decided"] == 6

    @pytest.mark.parametrize(
        "role", ["triage_reviewer", "wpa_crsv_focal", "protection_analyst", "network_coordinator", "auditor"]
    )
    def test_other_roles_are_refused(self, services: Services, role: str) -> None:
        with pytest.raises(NotPermitted):
            _quality(services, _viewer(services, role))

    def test_the_figures_hold_no_narrative_place_or_incident(
        self, services: Services, crafted: dict[str, Any]
    ) -> None:
        text = str(_quality(services, _viewer(services, "joc_officer")))
        for leak in ("Yei", "trader", "hommes", "lon", "incident_id", str(CLICK["lon"])):
            assert leak not in text

    def test_an_empty_period_has_every_week_and_no_category(self, services: Services) -> None:
        result = _quality(services, _viewer(services, "admin"), weeks=2)
        assert result["total"] == {"decided": 0, "categories": []}
        assert [w["decided"] for w in result["weeks"]] == [0, 0]
        assert result["languages"] == []


def test_weeks_start_on_monday_utc(services: Services) -> None:
    sunday_night = datetime(2025, 3, 23, 23, 59, tzinfo=UTC)
    result = triage_quality(_viewer(services, "admin"), uow=services.uow(), now=sunday_night, weeks=1)
    assert result["since"] == (sunday_night - timedelta(days=6)).replace(hour=0, minute=0).isoformat()
