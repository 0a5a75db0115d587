"""Messages to reporters: who may be written to, exactly which message, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from alerts.models import DeliveryEvent, InboundMessage, Report, Reporter, SentMessage
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
    sent_id: int
    reporter_key: str
    language: str
    channel: str
    provider: str
    ref: str
    training: bool
    last_whatsapp_at: datetime | None


def plan_receipt(inbound_id: int, *, uow: UnitOfWork, now: datetime) -> PlannedReply | str:
    """Reserve the receipt for one inbound message; a string says why none is sent."""
    with uow:
        row = uow.session.execute(
            select(InboundMessage, Report)
            .join(Report, Report.inbound_message_id == InboundMessage.id)
            .where(InboundMessage.id == inbound_id)
        ).first()
        if row is None:
            return "no report for this message yet"
        message, report = row
        reporter = uow.session.get(Reporter, message.reporter_key) if message.reporter_key else None
        if reason := refusal(reporter, now=now):
            return reason
        assert reporter is not None
        key = f"receipt:inbound:{inbound_id}"
        if uow.session.scalar(select(SentMessage.id).where(SentMessage.idempotency_key == key)):
            return "already sent"
        sent = SentMessage(
            idempotency_key=key,
            reporter_key=reporter.key,
            report_id=report.id,
            kind="receipt",
            language=reporter.language,
            provider=message.provider,
            channel=message.channel,
            training=message.training,
        )
        uow.session.add(sent)
        uow.session.flush()
        plan = PlannedReply(
            sent.id,
            reporter.key,
            reporter.language,
            message.channel,
            message.provider,
            report.ref,
            message.training,
            reporter.last_whatsapp_at,
        )
        uow.commit()
    return plan


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
        if sent is not None and status is not None and _outranks(status, sent.status):
            sent.status, sent.error_code, changed = status, error_code or sent.error_code, True
        if sent is not None and opted_out and sent.reporter_key:
            reporter = uow.session.get(Reporter, sent.reporter_key)
            if reporter is not None:
                reporter.opted_out = True
        uow.commit()
    return changed


def _outranks(incoming: str, stored: str) -> bool:
    return stored != "canceled" and DELIVERY_RANK[incoming] > DELIVERY_RANK[stored]
