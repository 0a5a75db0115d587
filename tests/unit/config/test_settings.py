from __future__ import annotations

import pytest

from config.settings import DEVELOPMENT_SECRETS, Settings, SettingsError

pytestmark = pytest.mark.unit

PRODUCTION = {
    "DALILI_ENV": "production",
    "DALILI_SECRET_KEY": "s" * 40,
    "DALILI_PEPPER": "p" * 40,
    "DALILI_VAULT_KEYS": "k" * 44,
    "DALILI_TWILIO_AUTH_TOKEN": "t" * 32,
    "DALILI_AT_WEBHOOK_TOKEN": "a" * 32,
    "DALILI_AUDIT_KEY": "h" * 32,
    "DALILI_PUBLIC_URL": "https://dalili.example.org",
    "DALILI_REDIS_URL": "redis://redis.internal:6379/0",
}


def test_unset_variables_keep_the_embedded_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.embedded_queue
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("instance/dalili.sqlite3")


def test_prefixed_variables_are_read_and_typed() -> None:
    settings = Settings.from_env(
        {
            "DALILI_DATABASE_URL": "postgresql+psycopg://db/dalili",
            "DALILI_REDIS_URL": "redis://127.0.0.1:6379/0",
            "DALILI_COUNTRIES": "ss, cf ,CD",
            "DALILI_JOB_RETRY_INTERVALS": "5,60",
            "UNRELATED": "ignored",
        }
    )
    assert settings.database_url == "postgresql+psycopg://db/dalili"
    assert not settings.embedded_queue
    assert settings.countries == ("SS", "CF", "CD")
    assert settings.job_retry_intervals == (5, 60)


def test_production_starts_with_real_secrets_and_https() -> None:
    assert Settings.from_env(PRODUCTION).is_production


@pytest.mark.parametrize("name", sorted(DEVELOPMENT_SECRETS))
def test_production_refuses_a_development_secret(name: str) -> None:
    variable = "DALILI_" + name.upper()
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(PRODUCTION | {variable: DEVELOPMENT_SECRETS[name]})


def test_production_refuses_plain_http() -> None:
    with pytest.raises(SettingsError, match="https"):
        Settings.from_env(PRODUCTION | {"DALILI_PUBLIC_URL": "http://dalili.example.org"})


def test_production_refuses_the_embedded_queue() -> None:
    """Without Redis each gunicorn worker would get its own in-process queue, USSD sessions and spool."""
    production = {name: value for name, value in PRODUCTION.items() if name != "DALILI_REDIS_URL"}
    with pytest.raises(SettingsError, match="DALILI_REDIS_URL"):
        Settings.from_env(production)
