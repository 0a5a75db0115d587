"""`dalili contacts`: the contact officer's call-backs from a terminal (every number shown is audited)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from alerts.accounts.users import viewer_by_email
from alerts.errors import AlertsError
from alerts.models import utcnow
from alerts.reporters.callbacks import CALL_OUTCOMES, list_callbacks, record_callback, reveal_contact
from app import current_services

AS_OFFICER = click.option(
    "--as", "email", required=True, help="The contact officer (audited under her name)."
)


@click.group("contacts")
def contacts_group() -> None:
    """Consented call-backs: monitors by reference, a number for a reason."""


@contacts_group.command("list")
@AS_OFFICER
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def contacts_list(email: str, page: int) -> None:
    """Monitors whose number is kept, latest contact first; `!` marks a missed call waiting."""
    services = current_services()
    try:
        viewer = viewer_by_email(email, uow=services.uow())
        result = list_callbacks(viewer, uow=services.uow(), now=utcnow(), page=page)
    except AlertsError as error:
        raise click.ClickException(str(error)) from error
    for item in result.items:
        last_call = (
            f"{item['last_call_at'][:10]} {item['last_call_outcome']}" if item["last_call_at"] else "-"
        )
        click.echo(
            f"{'!' if item['missed_call_at'] else ' '} {item['reference']}  {item['network'] or '-'}  "
            f"{item['language']}  last contact {(item['last_contact_at'] or '-')[:10]}  "
            f"{item['reports']} report(s)  last call {last_call}  kept until {item['expires_at'][:10]}"
        )
    if not result.items:
        click.echo("no monitor's number is kept for call-backs in your countries", err=True)
    if result.next_page:
        click.echo(f"more: --page {result.next_page}", err=True)


@contacts_group.command("show")
@click.argument("reference")
@AS_OFFICER
@click.option("--reason", required=True, help="Why you need her number (kept in the audit trail).")
@with_appcontext
def contacts_show(reference: str, email: str, reason: str) -> None:
    """Print one monitor's number, to call her back; the read is audited with the reason."""
    services = current_services()
    try:
        viewer = viewer_by_email(email, uow=services.uow())
        number = reveal_contact(
            viewer, reference, reason, uow=services.uow(), vault=services.vault, now=utcnow()
        )
    except AlertsError as error:
        raise click.ClickException(str(error)) from error
    click.echo(number)


@contacts_group.command("called")
@click.argument("reference")
@AS_OFFICER
@click.option("--outcome", type=click.Choice(CALL_OUTCOMES), required=True)
@with_appcontext
def contacts_called(reference: str, email: str, outcome: str) -> None:
    """Record how a call back went (the list shows it)."""
    services = current_services()
    try:
        viewer = viewer_by_email(email, uow=services.uow())
        record_callback(viewer, reference, outcome, uow=services.uow(), now=utcnow())
    except AlertsError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"recorded: {reference.strip().upper()} {outcome}")
