"""`dalili incidents …`: the stale view, escalation and reviewer merges from a terminal (R22, R26)."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext

from alerts.errors import AlertsError
from alerts.incidents.corroboration import merge_incidents, unmerge_incident
from alerts.incidents.escalation import stale_incidents
from alerts.models import utcnow
from app import current_services, jobs

ACTOR = click.option("--actor", required=True, help="Who decides (recorded in the audit trail).")


@click.group("incidents")
def incidents_group() -> None:
    """Stale alerts, escalation and merges."""


@incidents_group.command("stale")
@with_appcontext
def incidents_stale() -> None:
    """Incidents awaiting review past their deadline, longest waiting first."""
    rows = stale_incidents(utcnow(), uow=current_services().uow())
    if not rows:
        click.echo("no stale incidents")
    for row in rows:
        where = row["place_name"] or row["country"] or "unknown place"
        click.echo(
            f"#{row['id']:<7} {row['priority']} {row['category']} {where:<24} "
            f"waiting {row['waiting_minutes']} min, escalated {row['escalation_level']}x, {row['status']}"
        )


@incidents_group.command("escalate")
@with_appcontext
def incidents_escalate() -> None:
    """Escalate overdue incidents now and alert the responders (the scheduler does this every minute)."""
    click.echo(f"{jobs.escalate_overdue_incidents()} incident(s) escalated")


@incidents_group.command("merge")
@click.argument("source", type=int)
@click.argument("target", type=int)
@ACTOR
@with_appcontext
def incidents_merge(source: int, target: int, actor: str) -> None:
    """Merge incident SOURCE into TARGET (reversible with `unmerge SOURCE`)."""
    _run(lambda: merge_incidents(source, target, actor=actor, uow=current_services().uow()))
    click.echo(f"incident {source} merged into {target}")


@incidents_group.command("unmerge")
@click.argument("source", type=int)
@ACTOR
@with_appcontext
def incidents_unmerge(source: int, actor: str) -> None:
    """Give incident SOURCE its reports back."""
    _run(lambda: unmerge_incident(source, actor=actor, uow=current_services().uow()))
    click.echo(f"incident {source} restored")


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except AlertsError as exc:
        raise click.ClickException(str(exc)) from exc
