"""The `dalili` command: Flask's CLI group on the app factory, plus Dalili's own commands."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from rq.registry import FailedJobRegistry

from alerts.accounts.users import (
    create_api_token,
    create_user,
    enable_totp,
    list_api_tokens,
    revoke_api_tokens,
)
from alerts.audit.anchor import TrailNotVerified, seal_unkeyed, verify_trail, write_anchor
from alerts.errors import AlertsError
from alerts.models import utcnow
from alerts.reporters.contacts import create_network, register_monitor
from alerts.vocabulary import ROLES
from app import create_app, current_services, demo, jobs, migrate, schedule, worker
from app.cli.contacts import contacts_group
from app.cli.geo import geo_group
from app.cli.hotspots import hotspots_group
from app.cli.incidents import incidents_group
from app.cli.triage import triage_group
from channels.phone import canonical_address, pseudonymise


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """Dalili: women-led early warning. Settings come from DALILI_* environment variables."""


# -- database -------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the latest)."""
    services = current_services()
    engine = services.engine
    migrate.upgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine)} ({engine.url.get_backend_name()})")
    try:
        seal = seal_unkeyed(utcnow(), uow=services.uow(), directory=Path(services.settings.audit_anchor_dir))
    except TrailNotVerified as exc:  # the deployment goes on; `dalili audit verify` keeps failing
        click.echo(f"audit trail NOT sealed, it does not verify: {exc}", err=True)
        return
    if seal is not None:
        click.echo(f"audit events up to {seal.event_id} predate DALILI_AUDIT_KEY: sealed, keyed from here on")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION ("base" empties it)."""
    engine = current_services().engine
    migrate.downgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine) or 'base'}")


@db.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database revision and whether migrations are pending."""
    engine = current_services().engine
    current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    state = "up to date" if current == head else f"behind head {head}: run `dalili db upgrade`"
    click.echo(f"{current or 'empty'} ({state})")


@db.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a migration for the difference between the models and the database."""
    migrate.revision(current_services().engine, message)


# -- users and tokens ------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Web and API users."""


@user.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password", help="Leave out to generate one.")
@click.option(
    "--country",
    "countries",
    multiple=True,
    help="ISO code of a country she works on (repeat for several); none: every country served.",
)
@with_appcontext
def user_create(email: str, role: str, password: str | None, countries: tuple[str, ...]) -> None:
    """Create a user with one of the roles of DOMAIN.md §6.4."""
    try:
        chosen = create_user(email, role, password, uow=current_services().uow(), countries=countries)
    except AlertsError as exc:
        raise click.ClickException(str(exc)) from exc
    scope = ", ".join(sorted(code.strip().upper() for code in countries)) or "every country served"
    click.echo(f"created {email} ({role}) for {scope}")
    if password is None:
        click.echo(f"password: {chosen}")


@user.command("totp")
@click.argument("email")
@with_appcontext
def user_totp(email: str) -> None:
    """Give EMAIL a second factor: prints the otpauth:// URI for her authenticator app (shown once).

    Running it again replaces her secret, e.g. after she lost her phone.
    """
    try:
        click.echo(enable_totp(email, uow=current_services().uow()))
    except AlertsError as exc:
        raise click.ClickException(f"no active user {exc}") from exc


@main.group()
def token() -> None:
    """Bearer tokens for the JSON API."""


@token.command("create")
@click.argument("email")
@with_appcontext
def token_create(email: str) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is stored).

    It works for DALILI_API_TOKEN_DAYS; its expiry goes to stderr, so TOKEN=$(...) captures the token.
    """
    services = current_services()
    try:
        token, expires_at = create_api_token(email, days=services.settings.api_token_days, uow=services.uow())
    except AlertsError as exc:
        raise click.ClickException(f"no active user {exc}") from exc
    click.echo(token)
    click.echo(f"expires {expires_at:%Y-%m-%d %H:%M} UTC", err=True)


def _moment(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


@token.command("list")
@click.argument("email")
@with_appcontext
def token_list(email: str) -> None:
    """List EMAIL's tokens: id, issued, expires, last used, and whether it still works (times UTC)."""
    try:
        tokens = list_api_tokens(email, uow=current_services().uow())
    except AlertsError as exc:
        raise click.ClickException(f"no user {exc}") from exc
    now = utcnow()
    click.echo("id\tissued\texpires\tlast used\tstate")
    for t in tokens:
        state = "revoked" if t["revoked_at"] else "expired" if t["expires_at"] <= now else "valid"
        moments = (_moment(t[name]) for name in ("created_at", "expires_at", "last_used_at"))
        click.echo("\t".join((str(t["id"]), *moments, state)))


@token.command("revoke")
@click.argument("email")
@click.option("--id", "token_id", type=int, help="Only this token (see `dalili token list`); default: all.")
@with_appcontext
def token_revoke(email: str, token_id: int | None) -> None:
    """Revoke EMAIL's tokens (or one of them) at once; a revoked token never works again."""
    try:
        revoked = revoke_api_tokens(email, token_id=token_id, uow=current_services().uow())
    except AlertsError as exc:
        raise click.ClickException(f"no user {exc}") from exc
    if token_id is not None and not revoked:
        raise click.ClickException(f"{email} has no token {token_id} left to revoke")
    click.echo(f"revoked {len(revoked)} token(s) of {email}")


# -- networks and monitors -------------------------------------------------------------------


@main.group()
def network() -> None:
    """Women's networks."""


@network.command("create")
@click.argument("name")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, e.g. SS, CF, CD, ML.")
@click.option("--area", help="The area the network covers (a place name).")
@click.option("--join-code", help="A code monitors can text (JOIN <code>) to join the network.")
@with_appcontext
def network_create(name: str, country: str, area: str | None, join_code: str | None) -> None:
    """Create a network that monitors belong to."""
    create_network(name, country=country, area_name=area, join_code=join_code, uow=current_services().uow())
    click.echo(
        f"created network {name} ({country.upper()})"
        + (f", join code {join_code.upper()}" if join_code else "")
    )


@main.group()
def monitor() -> None:
    """Women monitors (known by pseudonym only)."""


@monitor.command("add")
@click.argument("number")
@click.option("--network", "network_name", required=True)
@click.option("--language", default="en", show_default=True)
@click.option("--home-area", help="Her home area: where a missed call from her is placed.")
@click.option("--group", help="Her household or group: reports within one group corroborate nothing (R21).")
@click.option("--follow-ups/--no-follow-ups", default=False, help="She agreed to 'passed on' messages.")
@click.option(
    "--call-backs/--no-call-backs",
    default=False,
    help="She agreed to be called back (number kept, encrypted).",
)
@with_appcontext
def monitor_add(
    number: str,
    network_name: str,
    language: str,
    home_area: str | None,
    group: str | None,
    follow_ups: bool,
    call_backs: bool,
) -> None:
    """Register a monitor; her number is kept only encrypted, and only with call-back consent."""
    services = current_services()
    settings = services.settings
    key = pseudonymise(number, pepper=settings.pepper, default_region=settings.default_country)
    register_monitor(
        key,
        network_name=network_name,
        language=language,
        address=canonical_address(number, settings.default_country),
        consent_followup=follow_ups,
        consent_callback=call_backs,
        home_area_name=home_area,
        group_key=group,
        uow=services.uow(),
        vault=services.vault,
        now=utcnow(),
        contact_days=settings.vault_days,
    )
    jobs.cache_reporter_profile(key)
    click.echo(
        f"registered monitor {key[:12]} in {network_name}"
        + (" (number kept for call-backs)" if call_backs else "")
    )


# -- demo data -------------------------------------------------------------------------------


@main.group("demo")
def demo_group() -> None:
    """Demonstration data."""


@demo_group.command("load")
@click.option("--reports", default=400, show_default=True, help="How many demo reports to create.")
@click.option("--seed", default=2026, show_default=True)
@with_appcontext
def demo_load(reports: int, seed: int) -> None:
    """Load a demo network, monitors, a user per role and reports on real towns."""
    summary = demo.load(current_services(), reports=reports, seed=seed, progress=click.echo)
    click.echo(summary.describe())


# -- queue -----------------------------------------------------------------------------------


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Work the intake, triage, notify and maintenance queues (with the scheduler)."""
    from flask import current_app

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # reason: the real app for the worker
    if current_services().settings.embedded_queue:
        raise click.ClickException(
            "DALILI_REDIS_URL is not set: the embedded queue lives inside `dalili serve`; "
            "set it to run a separate worker"
        )
    worker.run_worker(app, burst=burst)


@main.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Enqueue the periodic jobs (escalation, sweep, retention) on Redis; run one per deployment."""
    if current_services().settings.embedded_queue:
        raise click.ClickException("DALILI_REDIS_URL is not set: `dalili serve` schedules the embedded queue")
    schedule.run_cron(current_services().queues.connection)


@main.group("jobs")
def jobs_group() -> None:
    """Inspect and repair the job queues."""


@jobs_group.command("status")
@with_appcontext
def jobs_status() -> None:
    """Queued and failed jobs per queue."""
    for name, queue in current_services().queues.queues.items():
        failed = FailedJobRegistry(queue=queue).count
        click.echo(f"{name:12} queued {queue.count:6}   failed {failed:6}")


@jobs_group.command("failed")
@click.option("--requeue", is_flag=True, help="Put every failed job back on its queue.")
@with_appcontext
def jobs_failed(requeue: bool) -> None:
    """List jobs that exhausted their retries, with their last error."""
    for name, queue in current_services().queues.queues.items():
        registry = FailedJobRegistry(queue=queue)
        for job_id in registry.get_job_ids():
            job = queue.fetch_job(job_id)
            result = job.latest_result() if job else None
            error = (result.exc_string or "").strip() if result else ""
            click.echo(f"{name:12} {job_id:24} {error.splitlines()[-1] if error else 'no error recorded'}")
            if requeue:
                registry.requeue(job_id)
        if requeue:
            click.echo(f"{name}: requeued")


@jobs_group.command("sweep")
@click.option("--older-than", default=60, show_default=True, help="Seconds a message may wait.")
@with_appcontext
def jobs_sweep(older_than: int) -> None:
    """Recover after a failure: jobs of dead workers, spooled and unqueued messages."""
    sweep = jobs.sweep_unqueued_messages(older_than)
    click.echo(
        f"{sweep.spooled} spooled message(s) stored, "
        f"{sweep.waiting} waiting message(s), {sweep.queued} enqueued, "
        f"{sweep.follow_ups} follow-up(s) and {sweep.staff_alerts} staff alert(s) queued again"
    )


# -- retention -------------------------------------------------------------------------------


@main.group("retention")
def retention_group() -> None:
    """Erasure of raw messages and expired contact data (R31)."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Count what is due; erase nothing, audit nothing.")
@with_appcontext
def retention_run(dry_run: bool) -> None:
    """Erase raw messages past DALILI_RAW_MESSAGE_DAYS and delete expired vault entries now."""
    counts = jobs.enforce_retention(dry_run=dry_run)
    verbs = ("would erase", "delete", "shorten") if dry_run else ("erased", "deleted", "shortened")
    erase, delete, shorten = verbs
    click.echo(
        f"{erase} {counts['messages_erased']} raw message(s), "
        f"{delete} {counts['vault_entries_deleted']} expired vault entr(ies), "
        f"{shorten} {counts['vault_entries_shortened']} to DALILI_VAULT_DAYS"
    )


# -- audit -----------------------------------------------------------------------------------


@main.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check that no audit event was altered or removed, live or in an archive file, against the
    audit key and the anchors; then anchor the trail as it is."""
    services, now = current_services(), utcnow()
    settings = services.settings
    anchors = Path(settings.audit_anchor_dir)
    check = verify_trail(
        now,
        uow=services.uow(),
        anchor_dir=anchors,
        archive_dir=Path(settings.audit_archive_dir),
        archive_days=settings.audit_archive_days,
    )
    for problem in check.problems:
        click.echo(f"audit {problem}", err=True)
    if check.problems:
        raise click.ClickException(f"the audit trail failed verification ({len(check.problems)} problem(s))")
    write_anchor(now, uow=services.uow(), directory=anchors)
    archives = check.archives
    click.echo(
        f"audit chain intact; {archives.verified} archive(s) verified, "
        f"{archives.expired} deleted after DALILI_AUDIT_ARCHIVE_DAYS"
    )


@audit_group.command("archive")
@click.option("--dry-run", is_flag=True, help="Count what is due; write, delete and audit nothing.")
@with_appcontext
def audit_archive(dry_run: bool) -> None:
    """Archive events past DALILI_AUDIT_DAYS; delete archives past DALILI_AUDIT_ARCHIVE_DAYS."""
    counts = jobs.archive_audit_trail(dry_run=dry_run)
    if dry_run:
        click.echo(
            f"would archive {counts['events_archived']} audit event(s), "
            f"delete {counts['archives_deleted']} expired archive file(s)"
        )
        return
    click.echo(
        f"archived {counts['events_archived']} audit event(s) in {counts['archive_files']} file(s), "
        f"deleted {counts['events_deleted']} from the live trail, "
        f"{counts['archives_deleted']} expired archive file(s)"
    )


# -- all in one --------------------------------------------------------------------------------


@main.command("serve")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the web app and run the worker together (development and demos)."""
    import subprocess
    import sys

    from flask import current_app
    from werkzeug.serving import run_simple

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # reason: the real app for the server
    stop = threading.Event()
    if current_services().settings.embedded_queue:
        worker.start_embedded_worker(app, stop)
        click.echo("worker: in-process (embedded queue)")
        child = None
    else:
        child = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"])
        schedule.run_in_thread(current_services().queues.connection, stop)
        click.echo(f"worker: process {child.pid} on Redis, periodic jobs from this process")
    click.echo(f"Dalili is running at http://{host}:{port}/  (Ctrl+C to stop)")
    if current_services().settings.training:
        click.echo(
            f"Phone simulator (training data only; sign in as an admin or a network coordinator): "
            f"http://{host}:{port}/simulator"
        )
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        if child is not None:
            child.terminate()
            child.wait(timeout=10)


main.add_command(geo_group)
main.add_command(incidents_group)
main.add_command(hotspots_group)
main.add_command(contacts_group)
main.add_command(triage_group)
