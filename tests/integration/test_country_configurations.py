"""One code base, two deployments: lexicons, duplicate windows and routing are configuration (R49)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from alerts.intake.services import process_inbound
from alerts.models import DuplicateSuggestion, Incident, Report
from alerts.triage.elections import DEFAULT_CALENDARS, load_calendars
from app.bootstrap import Services
from app.jobs import corroborate_and_route
from app.worker import drain
from channels.staff import RecordingNotifier
from config.settings import Settings
from tests.factories import add_reporter, inbound, report

pytestmark = pytest.mark.integration

MALI_ROUTING = """
[[responders]]
name = "situation-room"
kind = "webhook"
address = "https://room.invalid/alerts"
events = ["new"]
priorities = ["P1", "P2"]
"""
WIDE_WINDOWS = """
distance_km = 50.0
town_distance_km = 50.0
default_window_hours = 48.0
[window_hours]
FIG = 24.0
[compatible]
groups = [["ATK", "FIG"]]
"""


@pytest.fixture
def deployments(
    backend_settings: Settings, make_app: Callable[[Settings], Flask], tmp_path: Path
) -> dict[str, Flask]:
    (tmp_path / "routing.toml").write_text(MALI_ROUTING)
    (tmp_path / "clustering.toml").write_text(WIDE_WINDOWS)
    mali = replace(
        backend_settings,
        default_country="ML",
        routing_file=str(tmp_path / "routing.toml"),
        clustering_file=str(tmp_path / "clustering.toml"),
    )
    return {"SS": make_app(replace(backend_settings, default_country="SS")), "ML": make_app(mali)}


def _services(app: Flask) -> Services:
    return app.extensions["dalili"]  # type: ignore[no-any-return]


def _pipeline(app: Flask, text: str, where: dict[str, float], country: str) -> int:
    services = _services(app)
    report_id = report(
        services, text, content=dict(where), reporter_key=add_reporter(services, country=country)
    )
    with app.app_context():
        corroborate_and_route(report_id)
        drain(app)
    return report_id


def test_the_country_lexicon_decides_what_a_local_expression_means(deployments: dict[str, Flask]) -> None:
    words = "gelweng near the cattle camp"  # cattle-camp guards: only the South Sudan file knows them
    for country, expected in (("SS", "ARM"), ("ML", "OTH")):
        app = deployments[country]
        report_id = _pipeline(app, words, {"lon": 31.6, "lat": 4.85}, country)
        with _services(app).uow() as uow:
            assert uow.session.get(Report, report_id).category == expected  # type: ignore[union-attr]
            uow.session.query(Report).delete()
            uow.session.query(Incident).delete()
            uow.commit()


def test_each_deployment_alerts_its_own_responders(deployments: dict[str, Flask]) -> None:
    for country, expected in (("SS", "email"), ("ML", "webhook")):
        services = _services(deployments[country])
        _pipeline(deployments[country], "ATK they are shooting now", {"lon": -4.0, "lat": 14.5}, country)
        recorded = {
            kind: notifier.sent
            for kind, notifier in services.staff_notifiers.items()
            if isinstance(notifier, RecordingNotifier) and notifier.sent
        }
        assert list(recorded) == [expected]


def test_duplicate_windows_come_from_the_deployments_file(deployments: dict[str, Flask]) -> None:
    far_apart = ({"lon": -4.0, "lat": 14.5}, {"lon": -4.2, "lat": 14.5})  # about 21 km
    for country, suggested in (("SS", 0), ("ML", 1)):
        app = deployments[country]
        for where in far_apart:
            _pipeline(app, "FIG heavy fighting", where, country)
        with _services(app).uow() as uow:
            assert len(uow.session.scalars(select(DuplicateSuggestion)).all()) == suggested
            uow.session.query(DuplicateSuggestion).delete()
            uow.session.query(Report).delete()
            uow.session.query(Incident).delete()
            uow.commit()


def test_one_deployment_reads_each_report_with_its_networks_country_lexicon(
    backend_settings: Settings, make_app: Callable[[Settings], Flask]
) -> None:
    """A Mali-based deployment that also serves South Sudan: the South Sudan file is used for a South
    Sudan network's report, and only for it (R49)."""
    app = make_app(replace(backend_settings, default_country="ML", countries=("ML", "SS")))
    words = "gelweng near the cattle camp"  # cattle-camp guards: only the South Sudan file knows them
    made = {country: _pipeline(app, words, {"lon": 31.6, "lat": 4.85}, country) for country in ("SS", "ML")}
    with _services(app).uow() as uow:
        found = {c: uow.session.get(Report, report_id) for c, report_id in made.items()}
        assert {c: r.category for c, r in found.items() if r is not None} == {"SS": "ARM", "ML": "OTH"}
        assert found["SS"] is not None
        assert "gelweng" in found["SS"].flags["evidence"]


def test_the_shipped_calendar_gives_e1_to_a_report_from_a_network_of_its_country(services: Services) -> None:
    """alerts/data/elections.toml uses the networks' ISO2 codes, so a harm against a woman reported
    inside its (example) campaign window by a South Sudan network is possible VAWE on the calendar
    alone (E1, §3.4); the same report from a Mali network is not."""
    calendars = load_calendars(DEFAULT_CALENDARS, include_examples=True)
    classifier = replace(services.classifier, calendars=calendars)
    campaign = datetime(2031, 2, 20, 9, 0, tzinfo=UTC)  # EXAMPLE-SS-general: polling 2031-03-15
    flags = {}
    for country in ("SS", "ML"):
        inbound_id = inbound(
            services,
            "they beat a woman at the market",
            reporter_key=add_reporter(services, country=country),
            received_at=campaign,
        )
        report_id = process_inbound(
            inbound_id,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            classifier=classifier,
            geocoder=services.geocoder,
        )
        with services.uow() as uow:
            report_row = uow.session.get(Report, report_id)
            assert report_row is not None
            flags[country] = {k: report_row.flags[k] for k in ("vawe", "electoral_phase")}
    assert flags == {
        "SS": {"vawe": "possible", "electoral_phase": "campaign"},
        "ML": {"vawe": "no", "electoral_phase": None},
    }
