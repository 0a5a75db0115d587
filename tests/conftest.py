"""Shared fixtures: settings, apps on each backend, clients, signed Twilio requests.

Backends: ``embedded`` (SQLite file + in-process fakeredis) always runs; ``postgres`` (real
PostgreSQL/PostGIS + real Redis) runs when DALILI_TEST_DATABASE_URL and DALILI_TEST_REDIS_URL are
set, as `.ci/run` does, and is skipped with that reason otherwise.
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from alerts.accounts.users import create_api_token, create_user
from alerts.models import Base
from alerts.triage.classify import Classifier
from alerts.triage.taxonomy import Taxonomy
from app import bootstrap, create_app, migrate
from app.bootstrap import LazyGeocoder, Services
from app.infra.database import make_engine
from config.settings import Settings
from geo.loading import layer_files

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


@pytest.fixture(scope="session", autouse=True)
def loaded_once() -> Iterator[None]:
    """Apps built in one run share what they load from files that do not change during the run: the
    classifier (its lexicons are most of an app build) per country set, and the geocoder (gazetteer,
    boundaries and place index, loaded on first use) per layer files, as one process shares them
    between its requests. Production is unchanged: it builds both once per process."""
    classifiers: dict[tuple[str | None, frozenset[str]], Classifier] = {}
    geocoders: dict[tuple[object, ...], LazyGeocoder] = {}
    build_classifier = bootstrap.build_classifier

    def classifier(country: str | None, taxonomy: Taxonomy, countries: Iterable[str] = ()) -> Classifier:
        key = (country, frozenset(countries))
        if key not in classifiers or classifiers[key].taxonomy != taxonomy:
            classifiers[key] = build_classifier(country, taxonomy, countries)
        return classifiers[key]

    def geocoder(settings: Settings) -> LazyGeocoder:
        files = layer_files(Path(path) for path in settings.layers)
        key = (
            settings.layers,
            settings.countries,
            *((f, f.stat().st_mtime_ns, f.stat().st_size) for f in files),
        )
        return geocoders.setdefault(key, LazyGeocoder(settings))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bootstrap, "build_classifier", classifier)
        patch.setattr(bootstrap, "LazyGeocoder", geocoder)
        yield


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A SQLite file at the head migration, made once per session and copied for each test's app."""
    path = tmp_path_factory.mktemp("template") / "dalili.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


def _copy_migrated(template: Path | None, database_url: str) -> bool:
    """Start a SQLite file not made yet as a copy of the migrated template; True when it did."""
    url = make_url(database_url)
    database = url.database
    if template is None or url.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return False
    target = Path(str(database))
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return True


@pytest.fixture
def make_app(migrated_sqlite: Path | None) -> Iterator[Callable[[Settings], Flask]]:
    """Build extra apps (other settings, same database); their connections close after the test.

    A new SQLite file starts as a copy of the migrated template; an existing one is upgraded, and
    with no template (the migrations' own tests) a new one is migrated from empty."""
    apps: list[Flask] = []

    def build(settings: Settings) -> Flask:
        copied = _copy_migrated(migrated_sqlite, settings.database_url)
        app = create_app(settings)
        services: Services = app.extensions["dalili"]
        if services.engine.dialect.name == "sqlite" and not copied:
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
