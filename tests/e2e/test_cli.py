"""The `dalili` command as an operator uses it, on the embedded default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo

from app import create_app
from app.cli import main
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def dalili(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(make_settings(tmp_path))

    def run(*args: str, expect_failure: bool = False) -> Result:
        result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
        assert (result.exit_code != 0) == expect_failure, result.output + repr(result.exception)
        return result

    yield run
    app.extensions["dalili"].engine.dispose()


def test_an_operator_migrates_creates_a_user_and_gets_a_token(dalili) -> None:  # type: ignore[no-untyped-def]
    assert re.search(r"database at revision \d{4} \(sqlite\)", dalili("db", "upgrade").output)
    assert "up to date" in dalili("db", "current").output
    created = dalili("user", "create", "amina@network.org", "--role", "triage_reviewer").output
    assert "created amina@network.org (triage_reviewer)" in created
    assert "password: " in created
    token = dalili("token", "create", "amina@network.org").output.strip()
    assert len(token) >= 40


def test_demo_data_fills_every_workflow_state_on_real_towns(dalili) -> None:  # type: ignore[no-untyped-def]
    dalili("db", "upgrade")
    output = dalili("demo", "load", "--reports", "120").output
    assert "added 120 demo reports" in output
    for state in ("received", "under_review", "verified", "rejected", "response_dispatched", "closed"):
        assert f"{state} " in output
    assert "triage_reviewer@demo.dalili.org" in output
    assert dalili("demo", "load", "--reports", "120").output.startswith("demo reports already loaded")
    assert "audit chain intact" in dalili("audit", "verify").output


def test_queue_commands_report_on_the_named_queues(dalili) -> None:  # type: ignore[no-untyped-def]
    dalili("db", "upgrade")
    status = dalili("jobs", "status").output
    for queue in ("intake", "triage", "notify", "maintenance"):
        assert queue in status
    assert "0 waiting message(s)" in dalili("jobs", "sweep").output
    assert dalili("jobs", "failed").output == ""


def test_a_coordinator_registers_a_network_and_a_monitor_by_pseudonym(dalili) -> None:  # type: ignore[no-untyped-def]
    dalili("db", "upgrade")
    created = dalili(
        "network", "create", "Bentiu Women Peace Monitors", "--country", "ss", "--join-code", "bentiu1"
    )
    assert "created network Bentiu Women Peace Monitors (SS), join code BENTIU1" in created.output
    added = dalili(
        "monitor", "add", "+211 912 345 678", "--network", "Bentiu Women Peace Monitors",
        "--language", "fr", "--home-area", "Bentiu", "--call-backs",
    ).output  # fmt: skip
    assert "registered monitor" in added
    assert "(number kept for call-backs)" in added
    assert "912" not in added  # only the pseudonym is shown


def test_an_officer_sees_stale_alerts_and_merges_from_the_terminal(dalili) -> None:  # type: ignore[no-untyped-def]
    dalili("db", "upgrade")
    dalili("demo", "load", "--reports", "60")
    stale = dalili("incidents", "stale").output
    assert "waiting" in stale
    assert "escalated" in dalili("incidents", "escalate").output
    merged = dalili("incidents", "merge", "1", "2", "--actor", "amina@network.org")
    assert merged.output == "incident 1 merged into 2\n"
    again = dalili("incidents", "merge", "1", "2", "--actor", "amina@network.org", expect_failure=True)
    assert "already merged into 2" in again.output
    restored = dalili("incidents", "unmerge", "1", "--actor", "amina@network.org")
    assert restored.output == "incident 1 restored\n"
