"""RQ job functions: ids in, a few service calls, nothing else. They run inside the app context."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import NamedTuple

from alerts.audit.anchor import read_anchors, unkeyed_through, write_anchor
from alerts.audit.archive import archive_audit, delete_expired_archives
from alerts.incidents.corroboration import suggest_duplicates
from alerts.incidents.escalation import (
    StaffAlertPlan,
    escalate_overdue,
    load_staff_alert,
    load_staff_digest,
    plan_reminder_digests,
    plan_staff_alerts,
    record_staff_alert,
    staff_alerts_waiting_since,
)
from alerts.intake.services import (
    close_without_report,
    inbound_text,
    incident_of_report,
    mark_followed_up,
    messages_waiting_since,
    process_inbound,
    record_inbound,
    reports_waiting_for_follow_up,
)
from alerts.messages import RecordInbound
from alerts.models import utcnow
from alerts.reporters.contacts import join_network, reporter_profile, set_language, stop_messages, withdraw
from alerts.reporters.outbound import (
    PlannedReply,
    kept_contact,
    load_reply,
    plan_reply,
    record_send_failure,
    record_sent,
)
from alerts.reporters.retention import apply_retention, retention_due
from app import current_services
from app.bootstrap import Services
from app.infra.spool import replay_spool
from app.infra.ussd_state import save_profile
from channels.base import OutboundMessage
from channels.errors import SendFailed
from channels.keywords import Keyword, parse_keyword
from channels.messages import render
from channels.staff import StaffAlert
from channels.twilio.outbound import within_whatsapp_window
from channels.ussd_menu import PlaceOption

logger = logging.getLogger(__name__)

REPLY_TTL_SECONDS = 24 * 3600
"""A sealed reply address can be opened for this long after the message came in."""
REPLY_TO_KEYWORD = {"help": "help", "stop": "stopped", "language": "language_set", "join": "joined"}
"""The reply each keyword gets; the panic word gets none (a message after it could endanger her)."""


def process_inbound_message(inbound_id: int, sealed_reply: str | None = None) -> int | None:
    """Apply a keyword or triage a report, then queue the reply she may receive (idempotent)."""
    services = current_services()
    keyword = parse_keyword(
        inbound_text(inbound_id, uow=services.uow()),
        services.messages,
        panic_word=services.settings.panic_word or None,
    )
    report_id = None
    if keyword is None:
        report_id = process_inbound(
            inbound_id,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            classifier=services.classifier,
            geocoder=services.geocoder,
            contact_days=services.settings.vault_days,
        )
        reply = "receipt" if report_id is not None else None
        if report_id is not None:
            enqueue_follow_up(services, report_id)
    else:
        reply = _apply_keyword(services, inbound_id, keyword)
    if sealed_reply and reply:
        _queue_reply(services, inbound_id, reply, sealed_reply)
    return report_id


def _apply_keyword(services: Services, inbound_id: int, keyword: Keyword) -> str | None:
    reporter_key = close_without_report(
        inbound_id, uow=services.uow(), contact_days=services.settings.vault_days
    )
    if reporter_key is None:
        return None
    if keyword.kind == "stop":
        stop_messages(reporter_key, uow=services.uow())
    elif keyword.kind == "panic":
        withdraw(reporter_key, uow=services.uow(), now=utcnow())
    elif keyword.kind == "language" and keyword.argument:
        set_reporter_language(reporter_key, keyword.argument)
    elif keyword.kind == "join" and not join_network(
        reporter_key, keyword.argument or "", uow=services.uow()
    ):
        return "help"  # an unknown join code: tell her how to report anyway
    return REPLY_TO_KEYWORD.get(keyword.kind)


def _queue_reply(services: Services, inbound_id: int, kind: str, sealed_reply: str) -> None:
    window = services.settings.silence_window_days
    plan = plan_reply(
        inbound_id, kind, uow=services.uow(), now=utcnow(), silence_window=timedelta(days=window)
    )
    if isinstance(plan, str):
        logger.info("no %s for inbound %s: %s", kind, inbound_id, plan)
        return
    job_id = f"reply-{plan.sent_id}"
    if plan.resumed and services.queues.is_pending("notify", job_id):
        return  # reserved and queued by the run this one retries
    services.queues.enqueue("notify", send_reply, plan.sent_id, sealed_reply, job_id=job_id)


def send_reply(sent_id: int, sealed_reply: str) -> None:
    """Send one reserved reply through its provider; retryable failures raise so RQ retries."""
    services = current_services()
    plan = load_reply(sent_id, uow=services.uow())
    if plan is not None:
        _deliver(services, plan, services.vault.open(sealed_reply, max_age_seconds=REPLY_TTL_SECONDS))


def send_follow_ups(inbound_ids: list[int], kind: str) -> None:
    """The neutral "passed on" or "more_info" message (DOMAIN.md §5) to each reporter who opted in,
    at the number kept in the vault; none is kept without call-back consent, so none is sent."""
    services = current_services()
    window = timedelta(days=services.settings.silence_window_days)
    for inbound_id in inbound_ids:
        plan = plan_reply(inbound_id, kind, uow=services.uow(), now=utcnow(), silence_window=window)
        if isinstance(plan, str):
            logger.info("no %s for inbound %s: %s", kind, inbound_id, plan)
            continue
        sealed = kept_contact(plan.sent_id, uow=services.uow(), now=utcnow())
        if sealed is None:
            record_send_failure(plan.sent_id, code="no-contact-kept", uow=services.uow())
            continue
        _deliver(services, plan, services.vault.open(sealed))


def enqueue_follow_ups(services: Services, inbound_ids: list[int], kind: str, *, incident_id: int) -> None:
    if inbound_ids:
        services.queues.enqueue(
            "notify",
            send_follow_ups,
            inbound_ids,
            kind,
            job_id=f"follow-ups-{kind}-{incident_id}-{utcnow():%s}",
        )


def _deliver(services: Services, plan: PlannedReply, address: str) -> None:
    message = _compose(services, plan, address)
    if message is None:
        record_send_failure(plan.sent_id, code="whatsapp-window-closed", uow=services.uow())
        return
    sender = services.senders.get("training" if plan.training else plan.provider)
    if sender is None:
        record_send_failure(plan.sent_id, code="no-sender-for-provider", uow=services.uow())
        return
    try:
        result = sender.send(message)
    except SendFailed as exc:
        record_send_failure(plan.sent_id, code=exc.code, uow=services.uow())
        if exc.retryable:
            raise
        return
    record_sent(
        plan.sent_id, provider_message_id=result.provider_message_id, status=result.status, uow=services.uow()
    )


def _compose(services: Services, plan: PlannedReply, address: str) -> OutboundMessage | None:
    text = render(services.messages, plan.kind, plan.language, ref=plan.ref)
    message = OutboundMessage(
        to=address, text=text, channel="whatsapp" if plan.channel == "whatsapp" else "sms"
    )
    if message.channel != "whatsapp" or within_whatsapp_window(plan.last_whatsapp_at, utcnow()):
        return message
    template = services.settings.whatsapp_receipt_template_sid
    if plan.kind != "receipt" or not template:
        return None  # outside the 24-hour window only an approved template may go
    return replace(message, template_sid=template, template_variables={"1": plan.ref})


def enqueue_follow_up(services: Services, report_id: int) -> None:
    services.queues.enqueue("triage", corroborate_and_route, report_id, job_id=f"follow-up-{report_id}")


def corroborate_and_route(report_id: int) -> None:
    """After triage: propose duplicates, grade credibility, then alert the responders (R25, R48)."""
    services = current_services()
    incident_id = incident_of_report(report_id, uow=services.uow())
    suggest_duplicates(incident_id, uow=services.uow(), rules=services.cluster_rules)
    _alert_staff(services, incident_id, "new")
    mark_followed_up(report_id, uow=services.uow())


def escalate_overdue_incidents() -> int:
    """Periodic (app/schedule.py): escalate what went past its deadline and alert about it (R22),
    then remind each responder of what stays overdue at P1, in one digest per interval."""
    services, now = current_services(), utcnow()
    escalated = escalate_overdue(now, uow=services.uow())
    for incident_id in escalated:
        _alert_staff(services, incident_id, "escalation")
    if minutes := services.settings.reminder_digest_minutes:
        digests = plan_reminder_digests(
            now,
            uow=services.uow(),
            routing=services.routing,
            taxonomy=services.taxonomy,
            interval=timedelta(minutes=minutes),
        )
        for digest_id in digests:
            services.queues.enqueue(
                "notify", send_staff_digest, digest_id, job_id=f"staff-digest-{digest_id}"
            )
    return len(escalated)


def enforce_retention(dry_run: bool = False) -> dict[str, int]:
    """Periodic (app/schedule.py): erase raw messages and expired vault entries, audited (R31).

    ``dry_run`` counts what is due and changes nothing (`dalili retention run --dry-run`).
    """
    services = current_services()
    apply = retention_due if dry_run else apply_retention
    result = apply(
        utcnow(),
        uow=services.uow(),
        raw_message_days=services.settings.raw_message_days,
        vault_days=services.settings.vault_days,
    )
    return asdict(result)


def archive_audit_trail(dry_run: bool = False) -> dict[str, int]:
    """Periodic (app/schedule.py): archive audit events past DALILI_AUDIT_DAYS and delete archive files
    past DALILI_AUDIT_ARCHIVE_DAYS, both audited (R30, R31), then anchor the trail.
    ``dry_run`` counts only."""
    services, now = current_services(), utcnow()
    settings = services.settings
    directory, anchors = Path(settings.audit_archive_dir), Path(settings.audit_anchor_dir)
    archived = archive_audit(
        now,
        uow=services.uow(),
        older_than_days=settings.audit_days,
        directory=directory,
        dry_run=dry_run,
        unkeyed_through=unkeyed_through(read_anchors(anchors)),
    )
    deleted = delete_expired_archives(
        now,
        uow=services.uow(),
        older_than_days=settings.audit_archive_days,
        directory=directory,
        dry_run=dry_run,
    )
    if not dry_run:
        write_anchor(now, uow=services.uow(), directory=anchors)
    return {
        "events_archived": archived.events,
        "archive_files": len(archived.files),
        "events_deleted": archived.deleted,
        "archives_deleted": len(deleted),
    }


def anchor_audit_trail() -> bool:
    """Periodic (app/schedule.py): write the newest audit event's id and hash outside the database,
    so that deleting events after it shows (R30). True when the trail moved on since the last one."""
    services = current_services()
    anchors = Path(services.settings.audit_anchor_dir)
    return write_anchor(utcnow(), uow=services.uow(), directory=anchors) is not None


def _alert_staff(services: Services, incident_id: int, event: str) -> None:
    planned = plan_staff_alerts(
        incident_id, event, uow=services.uow(), routing=services.routing, taxonomy=services.taxonomy
    )
    for notification_id in planned:
        services.queues.enqueue(
            "notify", send_staff_alert, notification_id, job_id=f"staff-alert-{notification_id}"
        )


def send_staff_alert(notification_id: int) -> None:
    """Deliver one planned alert; retryable failures raise so RQ tries again."""
    services = current_services()
    plan = load_staff_alert(
        notification_id,
        uow=services.uow(),
        routing=services.routing,
        taxonomy=services.taxonomy,
        base_url=services.settings.public_url,
    )
    if plan is not None:
        _deliver_to_staff(services, plan, digest=False)


def send_staff_digest(digest_id: int) -> None:
    """Deliver one planned reminder digest; retryable failures raise so RQ tries again."""
    services = current_services()
    plan = load_staff_digest(
        digest_id, uow=services.uow(), routing=services.routing, base_url=services.settings.public_url
    )
    if plan is not None:
        _deliver_to_staff(services, plan, digest=True)


def _deliver_to_staff(services: Services, plan: StaffAlertPlan, *, digest: bool) -> None:
    alert = StaffAlert(subject=plan.subject, text=plan.text, url=plan.url, data=plan.data)
    record = partial(record_staff_alert, plan.notification_id, uow=services.uow(), digest=digest)
    try:
        delivery_id = services.staff_notifiers[plan.kind].notify(plan.address, alert)
    except SendFailed as exc:
        record(error=f"{exc.code or 'failed'}: {exc}")
        if exc.retryable:
            raise
        return
    record(delivery_id=delivery_id)


def set_reporter_language(reporter_key: str, language: str) -> None:
    """Remember the language she chose in the USSD menu."""
    set_language(reporter_key, language, uow=current_services().uow())
    cache_reporter_profile(reporter_key)


def cache_reporter_profile(reporter_key: str) -> None:
    """Copy what USSD hops need about her (language, home area) to Redis."""
    services = current_services()
    profile = reporter_profile(reporter_key, uow=services.uow())
    language = profile.language if profile else services.settings.default_language
    places = [PlaceOption("home", profile.home_area_name)] if profile and profile.home_area_name else []
    save_profile(services.queues.connection, reporter_key, language=language, places=places)


def enqueue_processing(services: Services, inbound_id: int, sealed_reply: str | None = None) -> None:
    """Queue the triage of one newly stored inbound message."""
    services.queues.enqueue(
        "intake", process_inbound_message, inbound_id, sealed_reply, job_id=f"inbound-{inbound_id}"
    )


class Sweep(NamedTuple):
    spooled: int
    """Messages spooled while the database was down, now stored."""
    waiting: int
    """Stored messages still unprocessed after the grace period."""
    queued: int
    """Of those, the ones queued again (the others' jobs are still pending)."""
    follow_ups: int = 0
    """Reports whose lost follow-up job (duplicates, credibility, staff alerts) was queued again."""
    staff_alerts: int = 0
    """Pending staff alerts whose lost job was queued again."""


def sweep_unqueued_messages(older_than_seconds: int = 60) -> Sweep:
    """Pick up what a failure left behind, every minute (app/schedule.py) or by hand.

    Jobs of a worker that died mid-job (SIGKILL, out of memory, a lost machine) go back to their
    queue; messages spooled while the database was down are stored; stored messages, follow-ups
    and staff alerts whose jobs never reached Redis, or were lost with its data, are queued again.
    """
    services = current_services()
    services.queues.recover_abandoned()
    spooled = replay_spool(
        services.queues.connection, services.vault, lambda record, sealed: _store(services, record, sealed)
    )
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    waiting = messages_waiting_since(cutoff, uow=services.uow())
    queued = _requeue(services, "intake", "inbound-", process_inbound_message, waiting, None)
    follow_ups = _requeue(
        services,
        "triage",
        "follow-up-",
        corroborate_and_route,
        reports_waiting_for_follow_up(cutoff, uow=services.uow()),
    )
    staff_alerts = _requeue(
        services,
        "notify",
        "staff-alert-",
        send_staff_alert,
        staff_alerts_waiting_since(cutoff, uow=services.uow()),
    )
    return Sweep(spooled, len(waiting), queued, follow_ups, staff_alerts)


def _store(services: Services, record: RecordInbound, sealed_reply: str | None) -> bool:
    """Store a spooled message and queue its triage; False if it was stored before."""
    receipt = record_inbound(record, uow=services.uow(), seal=services.number_seal)
    if receipt.created and record.status == "received":
        enqueue_processing(services, receipt.inbound_id, sealed_reply)
    return receipt.created


def requeue_processing(services: Services, inbound_id: int) -> bool:
    """Queue a stored message again unless its job is still pending; True when queued."""
    return _requeue(services, "intake", "inbound-", process_inbound_message, [inbound_id], None) == 1


def _requeue(
    services: Services, queue: str, prefix: str, func: Callable[..., object], ids: list[int], *extra: object
) -> int:
    """Queue ``func(id, *extra)`` as job ``prefix + id`` for each id whose job is not pending."""
    pending = services.queues.pending_ids(queue) if ids else set()
    missing = [i for i in ids if f"{prefix}{i}" not in pending]
    for i in missing:
        services.queues.enqueue(queue, func, i, *extra, job_id=f"{prefix}{i}")
    return len(missing)
