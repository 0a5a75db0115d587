"""`dalili user create --country`, `dalili user totp` and `dalili token` as an operator uses them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo
from sqlalchemy import select

from alerts.accounts.users import authenticate_token
from alerts.errors import InvalidCredentials
from alerts.models import User, utcnow
from app import create_app
from app.bootstrap import Services
from app.cli import main
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e

Run = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[tuple[Run, Services]]:
    app = create_app(make_settings(tmp_path))

    def run(*args: str, expect_failure: bool = False) -> Result:
        result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
        assert (result.exit_code != 0) == expect_failure, result.output + repr(result.exception)
        return result

    run("db", "upgrade")
    yield run, app.extensions["dalili"]
    app.extensions["dalili"].engine.dispose()


def _user(services: Services, email: str) -> User:
    with services.uow() as uow:
        user = uow.session.scalars(select(User).where(User.email == email)).one()
        uow.session.expunge(user)
        return user


def test_a_user_is_scoped_to_the_countries_given(cli: tuple[Run, Services]) -> None:
    run, services = cli
    output = run(
        "user", "create", "joc@mission.org", "--role", "joc_officer", "--country", "ss", "--country", "SD"
    )
    assert "created joc@mission.org (joc_officer) for SD, SS" in output.output
    assert _user(services, "joc@mission.org").countries == ["SD", "SS"]
    everywhere = run(
        "user", "create", "hq@mission.org", "--role", "protection_analyst", "--password", "x" * 12
    )
    assert "for every country served" in everywhere.output
    assert "password:" not in everywhere.output


def test_a_country_name_instead_of_a_code_is_refused_plainly(cli: tuple[Run, Services]) -> None:
    run, _ = cli
    refused = run(
        "user", "create", "a@mission.org", "--role", "admin", "--country", "Mali", expect_failure=True
    )
    assert "ISO 3166 alpha-2" in refused.output
    assert "Traceback" not in refused.output


def test_totp_prints_the_uri_of_her_new_secret(cli: tuple[Run, Services]) -> None:
    run, services = cli
    run("user", "create", "focal@mission.org", "--role", "wpa_crsv_focal")
    uri = run("user", "totp", "focal@mission.org").output.strip()
    assert uri.startswith("otpauth://totp/Dalili:focal%40mission.org?")
    assert pyotp.parse_uri(uri).secret == _user(services, "focal@mission.org").totp_secret
    assert "no active user" in run("user", "totp", "nobody@mission.org", expect_failure=True).output


def test_a_token_expires_after_the_deployments_lifetime_and_can_be_listed_and_revoked(
    cli: tuple[Run, Services],
) -> None:
    run, services = cli
    run("user", "create", "joc@mission.org", "--role", "joc_officer")
    created = run("token", "create", "joc@mission.org")
    token = created.stdout.strip()  # alone on stdout: TOKEN=$(dalili token create ...) works
    assert len(token) >= 40
    expires = (utcnow() + timedelta(days=services.settings.api_token_days)).date().isoformat()
    assert f"expires {expires}" in created.stderr
    second = run("token", "create", "joc@mission.org").stdout.strip()
    authenticate_token(token, uow=services.uow())
    header, newest, oldest = run("token", "list", "joc@mission.org").stdout.splitlines()
    assert header.split("\t") == ["id", "issued", "expires", "last used", "state"]
    assert oldest.split("\t")[2].startswith(expires)
    assert (oldest.split("\t")[3] != "-", newest.split("\t")[3]) == (True, "-")
    oldest_id = oldest.split("\t")[0]
    assert "revoked 1 token(s)" in run("token", "revoke", "joc@mission.org", "--id", oldest_id).output
    assert run("token", "list", "joc@mission.org").stdout.splitlines()[2].endswith("\trevoked")
    with pytest.raises(InvalidCredentials):
        authenticate_token(token, uow=services.uow())
    assert "revoked 1 token(s)" in run("token", "revoke", "joc@mission.org").output
    with pytest.raises(InvalidCredentials):
        authenticate_token(second, uow=services.uow())
    refused = run("token", "revoke", "joc@mission.org", "--id", oldest_id, expect_failure=True)
    assert "no token" in refused.output
    assert "no user" in run("token", "list", "nobody@mission.org", expect_failure=True).output
