"""Builders for test data that goes through the real services."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from alerts.intake.services import process_inbound, record_inbound
from alerts.messages import RecordInbound
from alerts.models import Incident, Network, Report, Reporter, utcnow
from alerts.reporters.contacts import register_monitor
from app.bootstrap import Services
from geo.hotspots import h3_cells


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


def callback_monitor(
    services: Services,
    number: str,
    *,
    country: str = "SS",
    call_backs: bool = True,
    language: str = "en",
    now: datetime | None = None,
) -> str:
    """A monitor registered through the real service, her number kept only with call-back consent;
    returns her key."""
    key = add_reporter(services, country=country, language=language)
    with services.uow() as uow:
        network_name = uow.session.scalars(
            select(Network.name).join(Reporter, Reporter.network_id == Network.id).where(Reporter.key == key)
        ).one()
    register_monitor(
        key,
        network_name=network_name,
        language=language,
        address=number,
        consent_followup=False,
        consent_callback=call_backs,
        home_area_name=None,
        uow=services.uow(),
        vault=services.vault,
        now=now or utcnow(),
    )
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
        seal=services.number_seal,
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


NARRATIVE = "Armed men took Nyakuma's goats near the borehole at dawn, call me on +211912345678"
"""A narrative with a name and a number: no hotspot product may contain any of it (R35)."""


def verified_incident(
    services: Services,
    lon: float | None,
    lat: float | None,
    *,
    category: str = "ATK",
    priority: str = "P2",
    when: datetime | None = None,
    status: str = "verified",
    precision: int | None = 1,
    areas: dict[str, str] | None = None,
    country: str = "CF",
    reporter_key: str | None = None,
    network_id: int | None = None,
    training: bool = False,
) -> int:
    """A reviewed incident with its one report (narrative and reporter key included), as triage and a
    reviewer would leave it; its H3 cells are stored as geocoding stores them."""
    first = when or utcnow()
    cells = h3_cells(lon, lat) if lon is not None and lat is not None else {}
    with services.uow() as uow:
        incident = Incident(
            category=category,
            restricted=services.taxonomy.categories[category].restricted,
            status=status,
            priority=priority,
            credibility=2,
            country=country,
            place_name="Bria" if lon is not None else None,
            lon=lon,
            lat=lat,
            precision=precision if lon is not None else None,
            areas=areas or {},
            h3_r5=cells.get(5),
            h3_r6=cells.get(6),
            h3_r7=cells.get(7),
            first_reported_at=first,
            deadline_at=first + timedelta(hours=4),
            training=training,
        )
        uow.session.add(incident)
        uow.session.flush()
        uow.session.add(
            Report(
                ref=secrets.token_hex(4).upper(),
                reporter_key=reporter_key,
                network_id=network_id,
                incident_id=incident.id,
                origin_incident_id=incident.id,
                channel="sms",
                received_at=first,
                category=category,
                text=NARRATIVE,
                place_name=incident.place_name,
                lon=lon,
                lat=lat,
                areas=areas or {},
                precision=incident.precision,
                priority=priority,
                training=training,
            )
        )
        uow.commit()
        return incident.id
