"""`dalili triage examples`: the reports reviewers labelled, exported for the classifier (#16, #17),
without restricted narratives unless asked for, on the embedded default."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo
from sqlalchemy import select

from alerts.accounts.users import create_user, viewer_of
from alerts.incidents.corrections import CorrectionRequest, correct
from alerts.intake.services import incident_of_report
from alerts.models import AuditEvent, Report, User, utcnow
from app import create_app
from app.bootstrap import Services
from app.cli import main
from tests.conftest import make_settings
from tests.factories import add_reporter, report

pytestmark = pytest.mark.e2e

EVAL_KEYS = {"id", "text", "language", "channel", "received_at", "country", "expected"}
"""What every line of tests/data/triage_eval.jsonl has that an exported example has too."""

Run = Callable[..., Result]


@pytest.fixture
def dalili(tmp_path: Path) -> Iterator[tuple[Run, Services]]:
    app = create_app(make_settings(tmp_path))

    def run(*args: str) -> Result:
        result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result

    run("db", "upgrade")
    yield run, app.extensions["dalili"]
    app.extensions["dalili"].engine.dispose()


def _corrected(services: Services, text: str, category: str, **kwargs: Any) -> int:
    """A report whose incident a reviewer corrected to ``category``; returns the report id."""
    email = "reviewer@example.org"
    with services.uow() as uow:
        if uow.session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(email, "triage_reviewer", None, uow=services.uow())
        reviewer = viewer_of(uow.session, uow.session.scalars(select(User).where(User.email == email)).one())
    report_id = report(services, text, **kwargs)
    incident_id = incident_of_report(report_id, uow=services.uow())
    assert incident_id is not None
    correct(
        incident_id,
        CorrectionRequest("category", category),
        reviewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        places=services.geocoder,
        now=utcnow(),
    )
    return report_id


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_labelled_example_is_one_line_shaped_like_the_evaluation_set(
    dalili: tuple[Run, Services], tmp_path: Path
) -> None:
    run, services = dalili
    french = add_reporter(services, language="fr")
    fight = _corrected(
        services, "ATK deux groupes se sont battus au marché de Yei", "FIG", reporter_key=french
    )
    _corrected(services, "ATK they beat the trader in Yei", "SXV")
    _corrected(services, "ATK shooting in Yei", "FIG", training=True)
    out = tmp_path / "examples.jsonl"
    summary = run("triage", "examples", "--out", str(out)).output
    assert summary.strip() == (
        f"wrote 1 labelled example(s) to {out} (1 with a corrected category); "
        "1 restricted left out (--include-restricted to add them), 0 without text"
    )
    (line,) = _lines(out)
    assert set(line) >= EVAL_KEYS
    with services.uow() as uow:
        text = uow.session.scalar(select(Report.text).where(Report.id == fight))
    assert line["id"] == f"report-{fight}"
    assert line["text"] == text
    assert (line["language"], line["country"], line["channel"]) == ("fr", "SS", "sms")
    assert line["expected"]["category"] == "FIG"
    assert isinstance(line["expected"]["flags"], dict)
    assert line["triage_category"] == "ATK"
    assert line["labelled_at"].endswith("Z")
    assert line["received_at"].endswith("Z")
    assert "reviewer@example.org" not in out.read_text(encoding="utf-8")
    with services.uow() as uow:
        (event,) = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "examples.export")
        )
    assert (event["written"], event["restricted_left_out"], event["include_restricted"]) == (1, 1, False)


def test_restricted_and_training_examples_leave_only_when_asked_for(
    dalili: tuple[Run, Services], tmp_path: Path
) -> None:
    run, services = dalili
    _corrected(services, "ATK they beat the trader in Yei", "SXV")
    _corrected(services, "ATK shooting in Yei", "FIG", training=True)
    out = tmp_path / "all.jsonl"
    run("triage", "examples", "--out", str(out), "--include-restricted", "--include-training")
    lines = _lines(out)
    assert sorted(line["expected"]["category"] for line in lines) == ["FIG", "SXV"]
    assert [line["training"] for line in lines if line["expected"]["category"] == "FIG"] == [True]
    assert "trader" in out.read_text(encoding="utf-8")
    help_text = run("triage", "examples", "--help").output
    assert "only the CRSV focal point may read those" in " ".join(help_text.split())


def test_since_and_country_narrow_the_export(dalili: tuple[Run, Services], tmp_path: Path) -> None:
    run, services = dalili
    _corrected(services, "ATK armed men attacked the market in Yei", "FIG")
    out = tmp_path / "some.jsonl"
    for args, written in (
        (("--country", "cf"), 0),
        (("--country", "ss"), 1),
        (("--since", "2999-01-01"), 0),
        (("--since", "2000-01-01"), 1),
    ):
        summary = run("triage", "examples", "--out", str(out), *args).output
        assert summary.startswith(f"wrote {written} labelled example(s)"), (args, summary)
        assert len(_lines(out)) == written
