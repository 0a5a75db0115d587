"""`dalili triage examples`: the reports reviewers labelled, as JSON lines for the classifier (#17)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import click
from flask.cli import with_appcontext

from alerts.incidents.examples import ExampleFilter, export_examples
from app import current_services

PROGRESS_EVERY = 1000


class _JsonLines:
    """Writes each example as a JSON line, saying on stderr how far it got every ``PROGRESS_EVERY``."""

    def __init__(self, file: TextIO) -> None:
        self.file, self.lines = file, 0

    def __call__(self, example: dict[str, Any]) -> None:
        self.file.write(json.dumps(example, ensure_ascii=False) + "\n")
        self.lines += 1
        if self.lines % PROGRESS_EVERY == 0:
            click.echo(f"{self.lines} example(s) written …", err=True)


@click.group("triage")
def triage_group() -> None:
    """What reviewers taught triage."""


@triage_group.command("examples")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="Only examples labelled on or after this day."
)
@click.option("--country", help="ISO 3166 alpha-2 code, e.g. SS.")
@click.option("--include-training", is_flag=True, help="Add examples from training sessions.")
@click.option(
    "--include-restricted",
    is_flag=True,
    help="Add restricted reports, text included (sexual violence, or a cue of it not yet cleared). Left "
    "out by default: only the CRSV focal point may read those narratives, and a file is out of the "
    "platform's control; give it only for a file she keeps.",
)
@with_appcontext
def triage_examples(
    out: Path, since: datetime | None, country: str | None, include_training: bool, include_restricted: bool
) -> None:
    """Write each labelled example as one JSON line, in the shape of tests/data/triage_eval.jsonl
    (text, language, country, expected category and flags, triage_category, labelled_at); audited."""
    services = current_services()
    filters = ExampleFilter(
        since=since.replace(tzinfo=UTC) if since else None,
        country=country.strip().upper() if country else None,
        include_training=include_training,
        include_restricted=include_restricted,
    )
    with out.open("w", encoding="utf-8") as file:
        count = export_examples(
            filters, _JsonLines(file), uow=services.uow(), taxonomy=services.taxonomy, actor="cli"
        )
    left_out = f"{count.restricted_left_out} restricted left out" + (
        " (--include-restricted to add them)" if count.restricted_left_out else ""
    )
    click.echo(
        f"wrote {count.written} labelled example(s) to {out} ({count.changed} with a corrected category); "
        f"{left_out}, {count.without_text} without text"
    )
