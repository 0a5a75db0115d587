"""Shared fixtures: settings, apps on each backend, clients, signed Twilio requests.

Backends: ``embedded`` (SQLite file + in-process fakeredis) always runs; ``postgres`` (real
PostgreSQL/PostGIS + real Redis) runs when DALILI_TEST_DATABASE_URL and DALILI_TEST_REDIS_URL are
set, as `.ci/run` does, and is skipped with that reason otherwise.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from alerts.accounts.users import create_api_token, create_user
from alerts.models import Base
from app import create_app, migrate
from app.bootstrap import Services
from config.settings import Settings

TEST_DATABASE_URL = os.environ.get("DALILI_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("DALILI_TEST_REDIS_URL", "")
SHARED = Path(__file__).resolve().parents[2] / "shared"
PUBLIC_URL = "https://reports.example.org"
TWILIO_TOKEN = "test-twilio-token"

needs_postgres = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="set DALILI_TEST_DATABASE_URL and DALILI_TEST_REDIS_URL (as .ci/run does) for PostgreSQL/Redis",
)
BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("postgres", id="postgres", marks=needs_postgres),
]


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    base = Settings(
        database_url=f"sqlite:///{tmp_path / 'dalili.sqlite3'}",
        redis_url="",
        pepper="test-pepper",
        secret_key="test-secret",
        public_url=PUBLIC_URL,
        twilio_auth_token=TWILIO_TOKEN,
        job_retry_intervals=(),
        log_level="WARNING",
        audit_archive_dir=str(tmp_path / "audit-archive"),
        audit_anchor_dir=str(tmp_path / "audit-anchors"),
    )
    return replace(base, **overrides)


@pytest.fixture(scope="session")
def postgres_schema() -> str:
    """Give the test database a fresh schema at the head migration, once per session."""
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()
    return TEST_DATABASE_URL


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for each backend, with an empty, migrated database and an empty Redis."""
    if request.param == "embedded":
        settings = make_settings(tmp_path)
        yield settings
        return
    url = request.getfixturevalue("postgres_schema")
    redis = Redis.from_url(TEST_REDIS_URL)
    redis.flushdb()
    _empty_postgres(url)
    yield make_settings(tmp_path, database_url=url, redis_url=TEST_REDIS_URL)
    redis.flushdb()
    redis.close()
    _empty_postgres(url)


@pytest.fixture
def make_app() -> Iterator[Callable[[Settings], Flask]]:
    """Build extra apps (other settings, same database); their connections close after the test."""
    apps: list[Flask] = []

    def build(settings: Settings) -> Flask:
        app = create_app(settings)
        services: Services = app.extensions["dalili"]
        if services.engine.dialect.name == "sqlite":
            migrate.upgrade(services.engine)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["dalili"].engine.dispose()
        app.extensions["dalili"].queues.connection.close()


@pytest.fixture
def app(backend_settings: Settings, make_app: Callable[[Settings], Flask]) -> Flask:
    return make_app(backend_settings)


@pytest.fixture
def services(app: Flask) -> Services:
    return app.extensions["dalili"]  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def bearer(services: Services, role: str, email: str | None = None) -> dict[str, str]:
    """Create a user with this role and return an Authorization header for her."""
    email = email or f"{role}@test.dalili.org"
    create_user(email, role, "a-test-password", uow=services.uow())
    token, _ = create_api_token(email, days=services.settings.api_token_days, uow=services.uow())
    return {"Authorization": f"Bearer {token}"}


def signed_twilio_post(
    client: FlaskClient,
    params: dict[str, str],
    *,
    token: str = TWILIO_TOKEN,
    path: str = "/webhooks/twilio/sms",
) -> Any:
    """POST a form the way Twilio does, signed over the configured public URL."""
    signature = RequestValidator(token).compute_signature(PUBLIC_URL + path, params)
    return client.post(
        path,
        data=urllib.parse.urlencode(params),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
    )


def twilio_sms(
    sid: str = "SM" + "1" * 32, sender: str = "+211912345678", body: str = "2 Yei soldiers"
) -> dict[str, str]:
    """A Twilio inbound SMS form with the full classic parameter set (CHANNELS.md §1)."""
    return {
        "ToCountry": "SS",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "SS",
        "To": "+211920000000",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


@pytest.fixture(scope="session")
def compiled_translations() -> None:
    """Compile any dashboard catalog newer than its .mo, as `make` does, so a bare pytest has them."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parents[1] / "app" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)
