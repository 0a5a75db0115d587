"""RQ job functions: ids in, one service call, nothing else. They run inside the app context."""

from __future__ import annotations

from alerts.services import process_inbound
from app import current_services
from app.bootstrap import Services


def process_inbound_message(inbound_id: int) -> int:
    """Triage one stored inbound message into a report (idempotent)."""
    services = current_services()
    return process_inbound(
        inbound_id, uow=services.uow(), taxonomy=services.taxonomy, geocoder=services.geocoder
    )


def enqueue_processing(services: Services, inbound_id: int) -> None:
    """Queue the triage of one newly stored inbound message."""
    services.queues.enqueue("intake", process_inbound_message, inbound_id, job_id=f"inbound-{inbound_id}")


def requeue_processing(services: Services, inbound_id: int) -> bool:
    """Queue a stored message again unless its job is still pending; True when queued."""
    if services.queues.is_pending("intake", f"inbound-{inbound_id}"):
        return False
    enqueue_processing(services, inbound_id)
    return True
