"""`dalili user create --country` and `dalili user totp` as an operator uses them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo
from sqlalchemy import select

from alerts.models import User
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
