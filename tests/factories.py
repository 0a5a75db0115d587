"""Builders for test data that goes through the real services."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from alerts.messages import RecordInbound
from alerts.models import Network, Reporter, utcnow
from alerts.services import process_inbound, record_inbound
from app.bootstrap import Services


def random_sid() -> str:
    return "SM" + secrets.token_hex(16)


def add_reporter(services: Services, *, country: str = "SS", language: str = "en", network: str = "") -> str:
    """A registered monitor in a (new or existing) network; returns her key."""
    key = secrets.token_hex(32)
    with services.uow() as uow:
        name = network or f"network-{secrets.token_hex(4)}"
        found = uow.session.query(Network).filter_by(name=name).one_or_none()
        if found is None:
            found = Network(name=name, country=country)
            uow.session.add(found)
            uow.session.flush()
        uow.session.add(Reporter(key=key, network_id=found.id, language=language, registered=True))
        uow.commit()
    return key


def inbound(
    services: Services,
    text: str,
    *,
    reporter_key: str | None = None,
    received_at: datetime | None = None,
    content: dict[str, Any] | None = None,
    training: bool = False,
) -> int:
    """Store an inbound SMS and return its id."""
    receipt = record_inbound(
        RecordInbound(
            provider="test",
            channel="sms",
            provider_message_id=random_sid(),
            received_at=received_at or utcnow(),
            reporter_key=reporter_key or secrets.token_hex(32),
            content={"text": text} | (content or {}),
            payload={},
            training=training,
        ),
        uow=services.uow(),
    )
    return receipt.inbound_id


def report(services: Services, text: str, **kwargs: Any) -> int:
    """Store and triage a message; return the report id."""
    inbound_id = inbound(services, text, **kwargs)
    report_id = process_inbound(
        inbound_id,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        classifier=services.classifier,
        geocoder=services.geocoder,
    )
    assert report_id is not None, "kept for review instead of becoming a report"
    return report_id
