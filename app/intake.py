"""Store, then enqueue: the path every inbound message takes before it is acknowledged."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from alerts.messages import InboundReceipt, RecordInbound
from alerts.models import utcnow
from alerts.services import record_inbound
from app import current_services, jobs
from channels.base import ParsedInbound

logger = logging.getLogger(__name__)


def receive(parsed: ParsedInbound, *, status: str = "received", error: str | None = None) -> InboundReceipt:
    """Commit the message durably, then ask the worker to triage it.

    The queue is a convenience, the database is the record: if Redis is down the message is
    still stored and acknowledged, and `dalili jobs sweep` enqueues it later.
    """
    services = current_services()
    receipt = record_inbound(
        RecordInbound(
            provider=parsed.provider,
            channel=parsed.channel,
            provider_message_id=parsed.provider_message_id,
            received_at=utcnow(),
            reporter_key=parsed.reporter_key,
            content=parsed.content,
            payload=parsed.payload,
            status=status,
            error=error,
        ),
        uow=services.uow(),
    )
    if receipt.created and status == "received":
        try:
            jobs.enqueue_processing(services, receipt.inbound_id)
        except RedisError as exc:
            logger.error("inbound %s stored but not queued (%s); sweep will retry", receipt.inbound_id, exc)
    return receipt
