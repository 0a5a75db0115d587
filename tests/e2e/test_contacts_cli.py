"""`dalili contacts list|show|called` as a contact officer uses them: references only in the list,
the number only from `show`, with a reason, and only for her role (R28-R30)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo
from sqlalchemy import select

from alerts.audit.trail import verify_chain
from alerts.models import AuditEvent
from alerts.reporters.callbacks import contact_reference
from app import create_app
from app.bootstrap import Services
from app.cli import main
from channels.phone import pseudonymise
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e

Run = Callable[..., Result]
NUMBER = "+211912345678"


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[tuple[Run, Services]]:
    app = create_app(make_settings(tmp_path))

    def run(*args: str, expect_failure: bool = False) -> Result:
        result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
        assert (result.exit_code != 0) == expect_failure, result.output + repr(result.exception)
        return result

    run("db", "upgrade")
    run("network", "create", "Bentiu Women Peace Monitors", "--country", "SS")
    run("monitor", "add", NUMBER, "--network", "Bentiu Women Peace Monitors", "--call-backs")
    run("user", "create", "calls@mission.org", "--role", "contact_officer")
    run("user", "create", "joc@mission.org", "--role", "joc_officer")
    yield run, app.extensions["dalili"]
    app.extensions["dalili"].engine.dispose()


def _reference(services: Services) -> str:
    settings = services.settings
    return contact_reference(
        pseudonymise(NUMBER, pepper=settings.pepper, default_region=settings.default_country)
    )


def test_the_officer_lists_by_reference_and_reads_one_number_for_a_reason(cli: tuple[Run, Services]) -> None:
    run, services = cli
    reference = _reference(services)
    listed = run("contacts", "list", "--as", "calls@mission.org").output
    assert reference in listed
    assert "Bentiu Women Peace Monitors" in listed
    assert "912345678" not in listed
    shown = run("contacts", "show", reference.lower(), "--as", "calls@mission.org", "--reason", "she beeped")
    assert shown.output.strip() == NUMBER
    assert (
        "recorded"
        in run("contacts", "called", reference, "--as", "calls@mission.org", "--outcome", "reached").output
    )
    assert "reached" in run("contacts", "list", "--as", "calls@mission.org").output
    with services.uow() as uow:
        events = uow.session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.subject_id, AuditEvent.details)
            .where(AuditEvent.action.like("vault.%"))
            .order_by(AuditEvent.id)
        ).all()
        assert verify_chain(uow.session) is None
    assert [tuple(e) for e in events] == [
        ("vault.read", "calls@mission.org", reference, {"reason": "she beeped"}),
        ("vault.callback", "calls@mission.org", reference, {"outcome": "reached"}),
    ]


def test_other_roles_and_missing_reasons_get_no_number(cli: tuple[Run, Services]) -> None:
    run, services = cli
    reference = _reference(services)
    refused = run(
        "contacts", "show", reference, "--as", "joc@mission.org", "--reason", "x", expect_failure=True
    )
    assert "cannot read the contact vault" in refused.output
    assert "912345678" not in refused.output
    assert (
        "cannot list call-backs"
        in run("contacts", "list", "--as", "joc@mission.org", expect_failure=True).output
    )
    no_reason = run("contacts", "show", reference, "--as", "calls@mission.org", expect_failure=True)
    assert "--reason" in no_reason.output
    assert "912345678" not in no_reason.output
    unknown = run(
        "contacts", "show", "NOSUCHREF1", "--as", "calls@mission.org", "--reason", "x", expect_failure=True
    )
    assert "no contact is kept for NOSUCHREF1" in unknown.output
    assert "Traceback" not in refused.output + unknown.output
