"""Messages to reporters: who may be written to, exactly which message, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from alerts.models import ContactVaultEntry, DeliveryEvent, InboundMessage, Report, Reporter, SentMessage
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import DELIVERY_RANK

SILENCE_WINDOW = timedelta(days=30)
"""No message to a number that has not reported for this long (R34); configurable per deployment."""


def refusal(
    reporter: Reporter | None, *, now: datetime, silence_window: timedelta = SILENCE_WINDOW
) -> str | None:
    """Why nothing may be sent to this reporter now, or None when a message is allowed (R33, R34)."""
    if reporter is None or reporter.last_inbound_at is None:
        return "never first contact"
    if reporter.opted_out:
        return "she asked for no messages"
    if now - reporter.last_inbound_at > silence_window:
        return "silent past the window"
    return None


@dataclass(frozen=True, slots=True)
class PlannedReply:
    """A reserved reply: everything the sender needs except her address."""

    sent_id: int
    kind: str
    language: str
    channel: str
    provider: str
    ref: str
    training: bool
    last_whatsapp_at: datetime | None
    resumed: bool = False
    """Reserved earlier by a run that did not get as far as queuing it."""


REPLIES_AFTER_OPT_OUT = frozenset({"stopped"})
"""The one message that may follow STOP: its confirmation. The panic word gets none at all."""


def plan_reply(
    inbound_id: int, kind: str, *, uow: UnitOfWork, now: datetime, silence_window: timedelta = SILENCE_WINDOW
) -> PlannedReply | str:
    """Reserve one reply of this kind to one inbound message; a string says why none is sent."""
    with uow:
        message = uow.session.get(InboundMessage, inbound_id)
        if message is None:
            return "no such message"
        reporter = uow.session.get(Reporter, message.reporter_key) if message.reporter_key else None
        reason = refusal(reporter, now=now, silence_window=silence_window)
        if reason == "she asked for no messages" and kind in REPLIES_AFTER_OPT_OUT:
            reason = None
        if reason:
            return reason
        assert reporter is not None
        report = uow.session.scalar(select(Report).where(Report.inbound_message_id == inbound_id))
        if kind == "receipt" and report is None:
            return "no report for this message yet"
        key = f"{kind}:inbound:{inbound_id}"
        reserved = uow.session.scalar(select(SentMessage).where(SentMessage.idempotency_key == key))
        if reserved is not None:
            # Reserved by a run that died before its send job was queued: this retry queues it.
            if reserved.provider_message_id is None and reserved.status == "accepted":
                return _plan(reserved, report.ref if report else "", reporter.last_whatsapp_at, resumed=True)
            return "already sent"
        sent = SentMessage(
            idempotency_key=key,
            reporter_key=reporter.key,
            report_id=report.id if report else None,
            kind=kind,
            language=reporter.language,
            provider=message.provider,
            channel=message.channel,
            training=message.training,
        )
        uow.session.add(sent)
        uow.session.flush()
        plan = _plan(sent, report.ref if report else "", reporter.last_whatsapp_at)
        uow.commit()
    return plan


def _plan(
    sent: SentMessage, ref: str, last_whatsapp_at: datetime | None, *, resumed: bool = False
) -> PlannedReply:
    return PlannedReply(
        sent.id,
        sent.kind,
        sent.language,
        sent.channel,
        sent.provider,
        ref,
        sent.training,
        last_whatsapp_at,
        resumed,
    )


def record_sent(sent_id: int, *, provider_message_id: str, status: str, uow: UnitOfWork) -> None:
    with uow:
        sent = uow.session.get(SentMessage, sent_id)
        if sent is not None:
            sent.provider_message_id, sent.status = provider_message_id, status
            uow.commit()


def record_send_failure(sent_id: int, *, code: str | None, uow: UnitOfWork) -> None:
    with uow:
        sent = uow.session.get(SentMessage, sent_id)
        if sent is not None:
            sent.status, sent.error_code = "failed", code
            uow.commit()


def apply_delivery(
    *,
    provider: str,
    provider_message_id: str,
    status: str | None,
    error_code: str | None,
    opted_out: bool,
    payload: dict[str, object],
    uow: UnitOfWork,
) -> bool:
    """Keep every callback; move the message's status only forward. True when the status changed."""
    with uow:
        uow.session.add(
            DeliveryEvent(
                provider=provider,
                provider_message_id=provider_message_id,
                status=status,
                error_code=error_code,
                payload=payload,
            )
        )
        sent = uow.session.scalar(
            select(SentMessage).where(
                SentMessage.provider == provider, SentMessage.provider_message_id == provider_message_id
            )
        )
        changed = False
        if sent is not None and status is not None and should_apply(sent.status, status):
            sent.status, sent.error_code, changed = status, error_code or sent.error_code, True
        if sent is not None and opted_out and sent.reporter_key:
            reporter = uow.session.get(Reporter, sent.reporter_key)
            if reporter is not None:
                reporter.opted_out = True
        uow.commit()
    return changed


TERMINAL_STATUSES = frozenset({"canceled"})


def should_apply(stored: str | None, incoming: str) -> bool:
    """Whether a callback's status may replace the stored one: only a higher rank wins."""
    if incoming not in DELIVERY_RANK:
        raise ValueError(f"not a delivery status: {incoming!r}")
    if stored is None:
        return True
    if stored not in DELIVERY_RANK:
        raise ValueError(f"not a delivery status: {stored!r}")
    if stored in TERMINAL_STATUSES:
        return False
    return DELIVERY_RANK[incoming] > DELIVERY_RANK[stored]


def kept_contact(sent_id: int, *, uow: UnitOfWork, now: datetime) -> str | None:
    """The sealed number kept (with call-back consent) for the reporter of a reserved follow-up;
    None once the entry expired, even before the hourly retention run deletes it (R31)."""
    with uow:
        return uow.session.scalar(
            select(ContactVaultEntry.ciphertext)
            .join(SentMessage, SentMessage.reporter_key == ContactVaultEntry.reporter_key)
            .where(SentMessage.id == sent_id, ContactVaultEntry.expires_at > now)
        )


def load_reply(sent_id: int, *, uow: UnitOfWork) -> PlannedReply | None:
    """The reserved reply, or None once it has gone (a retried job must not send it twice)."""
    with uow:
        row = uow.session.execute(
            select(SentMessage, Reporter.last_whatsapp_at, Report.ref)
            .join(Reporter, Reporter.key == SentMessage.reporter_key, isouter=True)
            .join(Report, Report.id == SentMessage.report_id, isouter=True)
            .where(SentMessage.id == sent_id)
        ).first()
        if row is None or row[0].provider_message_id is not None:
            return None
        sent, last_whatsapp_at, ref = row
        return _plan(sent, ref or "", last_whatsapp_at)
