"""The test harness's shortcuts (tests/conftest.py) give each test what a fresh deployment has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import func, select

from alerts.models import Base
from app import migrate
from app.bootstrap import Services
from config.settings import Settings

pytestmark = pytest.mark.integration


def test_a_new_database_starts_empty_at_the_head_migration(services: Services) -> None:
    assert migrate.current_revision(services.engine) == migrate.head_revision(services.engine)
    assert migrate.schema_drift(services.engine) == []
    with services.engine.connect() as connection:
        rows = {
            t.name: connection.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
    assert set(rows.values()) == {0}, rows


def test_apps_share_the_classifier_and_geocoder_only_for_the_same_files(
    backend_settings: Settings, make_app: Callable[[Settings], Flask]
) -> None:
    first: Services = make_app(backend_settings).extensions["dalili"]
    second: Services = make_app(replace(backend_settings, training=False)).extensions["dalili"]
    mali: Services = make_app(replace(backend_settings, default_country="ML", countries=("ML",))).extensions[
        "dalili"
    ]
    assert second.classifier is first.classifier
    assert second.geocoder is first.geocoder
    assert mali.classifier is not first.classifier
    assert mali.geocoder is not first.geocoder
