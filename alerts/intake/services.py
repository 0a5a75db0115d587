"""Intake: a message stored once, then read, placed and made a report of an incident."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.errors import UnknownInboundMessage, UnknownIncident
from alerts.incidents.corroboration import refresh_credibility
from alerts.intake.aliases import approved_aliases
from alerts.intake.placement import Placement, place_report
from alerts.messages import InboundReceipt, RecordInbound
from alerts.models import (
    BodyNumber,
    ContactVaultEntry,
    InboundMessage,
    Incident,
    Network,
    Report,
    Reporter,
    utcnow,
)
from alerts.ports import Places
from alerts.reporters.body_numbers import NumberSeal, mask_numbers, may_hold_a_number
from alerts.reporters.retention import VAULT_DAYS
from alerts.triage.classify import Classifier
from alerts.triage.flags import validate_flags
from alerts.triage.priority import assign_priority, review_deadline
from alerts.triage.taxonomy import FALLBACK, Category, Taxonomy
from alerts.triage.text import clean_text
from alerts.triage.vawe import TRIAGE_QUEUE, ele_menu_answer, election_queue
from alerts.unit_of_work import UnitOfWork
from geo.hotspots import h3_cells

logger = logging.getLogger(__name__)

REF_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
"""Receipt codes avoid letters and digits that are confused on a small screen (0/O, 1/I, 5/S…)."""
REF_LENGTH = 5
MISSED_CALL_PRIORITY = "P2"
"""A missed call from a monitor asks for a call back: reviewed within two hours (DOMAIN.md §4.1)."""


@dataclass(frozen=True, slots=True)
class _IntakeStatements:
    new_reporter: Insert
    new_message: Insert
    new_message_and_reporter: Insert | None
    """PostgreSQL only: both inserts in one statement, so intake costs one round trip."""


@cache
def _intake_statements(dialect_name: str) -> _IntakeStatements:
    """INSERT … ON CONFLICT DO NOTHING statements for intake, built once per dialect.

    Intake is the hot path (bench/intake): prebuilt Core statements run on the connection skip the
    ORM's per-call work, and on PostgreSQL a data-modifying CTE stores reporter and message at once.
    """
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    messages = InboundMessage.__table__
    new_reporter = dialect.insert(Reporter.__table__).on_conflict_do_nothing()
    new_message = dialect.insert(messages).on_conflict_do_nothing().returning(messages.c.id)
    combined = None
    if dialect_name == "postgresql":
        reporter_cte = new_reporter.values(key=bindparam("new_reporter_key")).cte("new_reporter")
        combined = new_message.add_cte(reporter_cte)
    return _IntakeStatements(new_reporter, new_message, combined)


def _storable(value: Any) -> Any:
    """The value without NUL characters, which PostgreSQL's text and JSONB cannot hold (an SMS may
    carry them; refusing the row would lose her message)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def record_inbound(cmd: RecordInbound, *, uow: UnitOfWork, seal: NumberSeal) -> InboundReceipt:
    """Store an inbound message exactly once; a provider retry returns the first copy.

    Phone numbers she wrote are stored only sealed, ``[number n]`` in their place (body_numbers.py).
    """
    values: dict[str, Any] = {
        "provider": cmd.provider,
        "channel": cmd.channel,
        "provider_message_id": cmd.provider_message_id,
        "received_at": cmd.received_at,
        "reporter_key": cmd.reporter_key,
        "content": cmd.content,
        "payload": cmd.payload,
        "status": cmd.status,
        "error": cmd.error,
        "training": cmd.training,
    }
    values = _storable(values)
    with uow:
        connection = uow.session.connection()
        numbers: tuple[str, ...] = ()
        if may_hold_a_number(values["content"]):
            masked = mask_numbers(
                values["content"], values["payload"], _regions(connection, cmd.reporter_key, seal)
            )
            values["content"], values["payload"], numbers = masked.content, masked.payload, masked.numbers
        statements = _intake_statements(connection.dialect.name)
        if cmd.reporter_key and statements.new_message_and_reporter is not None:
            values["new_reporter_key"] = cmd.reporter_key
            inserted = connection.execute(statements.new_message_and_reporter, values).scalar()
        else:
            if cmd.reporter_key:
                connection.execute(statements.new_reporter, {"key": cmd.reporter_key})
            inserted = connection.execute(statements.new_message, values).scalar()
        if inserted is None:
            existing = connection.scalar(
                select(InboundMessage.id).where(
                    InboundMessage.provider == cmd.provider,
                    InboundMessage.provider_message_id == cmd.provider_message_id,
                )
            )
            assert existing is not None  # the conflict that skipped the insert is this row
            return InboundReceipt(existing, created=False)
        if numbers:
            expires_at = cmd.received_at + timedelta(days=seal.days)
            connection.execute(
                insert(BodyNumber),
                [
                    {
                        "inbound_message_id": inserted,
                        "reporter_key": cmd.reporter_key,
                        "position": position,
                        "ciphertext": seal.vault.seal(number),
                        "expires_at": expires_at,
                    }
                    for position, number in enumerate(numbers, start=1)
                ],
            )
        uow.commit()
    return InboundReceipt(inserted, created=True)


def _regions(connection: Connection, reporter_key: str | None, seal: NumberSeal) -> tuple[str, ...]:
    """Where a number she wrote without a country code is local: her network's country, then the
    deployment's."""
    country = None
    if reporter_key:
        country = connection.scalar(
            select(Network.country)
            .join(Reporter, Reporter.network_id == Network.id)
            .where(Reporter.key == reporter_key)
        )
    return tuple(dict.fromkeys(region for region in (country, seal.default_region) if region))


def new_ref() -> str:
    """A short receipt code that reveals nothing (DOMAIN.md §6.5)."""
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


def ref_for(seed: str, secret: str) -> str:
    """A receipt code derived from ``seed`` (a USSD submission id): stable, unguessable without ``secret``."""
    digest = hmac.new(secret.encode(), seed.encode(), hashlib.sha256).digest()
    return "".join(REF_ALPHABET[byte % len(REF_ALPHABET)] for byte in digest[:REF_LENGTH])


def _free_ref(session: Session, shown: object) -> str:
    """The code the reporter was already shown (USSD), else a new one; never one already in use."""
    ref = str(shown) if shown else new_ref()
    while session.scalar(select(Report.id).where(Report.ref == ref)) is not None:
        ref = new_ref()
    return ref


@dataclass(frozen=True, slots=True)
class Reading:
    """What triage reads in a message before any database lookup."""

    category: Category
    priority: str
    text: str
    place_query: str
    flags: dict[str, Any]
    queue: str = TRIAGE_QUEUE


def read_message(
    content: dict[str, Any],
    *,
    taxonomy: Taxonomy,
    classifier: Classifier,
    channel: str,
    received_at: datetime,
    country: str | None,
) -> Reading:
    """Category, priority, flags with the classifier's evidence, and where to look for a place."""
    text = clean_text(str(content.get("text") or ""))
    if content.get("missed_call"):
        return Reading(taxonomy[FALLBACK], MISSED_CALL_PRIORITY, text, "", {"callback_needed": True})
    chosen = str(content.get("category") or "") or None  # a menu choice (USSD) is respected as given
    result = classifier(text, category_hint=chosen, channel=channel, received_at=received_at, country=country)
    category = taxonomy[result.category]
    flags: dict[str, Any] = dict(result.flags) | {"language_guess": result.language}
    option = content.get("ele_option") or None
    if option:  # the ELE sub-menu answer says who was targeted (§3.4)
        answer = ele_menu_answer(str(option))
        category = taxonomy[answer.category]
        flags |= answer.flags
    queue = election_queue(category.code, option)  # ELE kept (no harm), by any path: R17
    if evidence := result.evidence.get(category.code):
        flags["evidence"] = evidence
    priority = result.priority if category.code == result.category else category.priority
    if time_class := content.get("time_class"):  # the USSD "when" answer outranks words
        flags["time_reported_class"] = str(time_class)
        ongoing = time_class == "happening_now"
        priority = assign_priority(category.code, str(time_class), ongoing, False, ongoing, "F").priority
    place_query = str(content.get("place_text") or result.body)
    if not text and not content.get("media"):
        flags["empty"] = True  # kept for a human: a blank message may still be a signal
    return Reading(category, priority, text, place_query, flags, queue)


@dataclass(frozen=True, slots=True)
class _Sender:
    """Who sent a message, as far as intake knows: her reporter row and her network, if any."""

    reporter: Reporter | None
    network: Network | None

    @property
    def registered(self) -> bool:
        return bool(self.reporter and self.reporter.registered)

    @property
    def country(self) -> str | None:
        return self.network.country if self.network else None

    @property
    def home_area(self) -> str | None:
        return self.reporter.home_area_name if self.reporter else None

    @property
    def network_area(self) -> str | None:
        return self.network.area_name if self.network else None


def _sender(session: Session, message: InboundMessage) -> _Sender:
    reporter = session.get(Reporter, message.reporter_key) if message.reporter_key else None
    network = session.get(Network, reporter.network_id) if reporter and reporter.network_id else None
    return _Sender(reporter, network)


def process_inbound(
    inbound_id: int,
    *,
    uow: UnitOfWork,
    taxonomy: Taxonomy,
    classifier: Classifier,
    geocoder: Places,
    contact_days: int = VAULT_DAYS,
) -> int | None:
    """Turn a stored inbound message into a report and its incident; idempotent per message.

    None when the message is kept for review instead (a missed call from an unknown number).
    """
    with uow:
        message = uow.session.get(InboundMessage, inbound_id)
        if message is None:
            raise UnknownInboundMessage(str(inbound_id))
        done = uow.session.scalar(select(Report.id).where(Report.inbound_message_id == inbound_id))
        if done is not None:
            return done

        sender = _sender(uow.session, message)
        reading = read_message(
            message.content,
            taxonomy=taxonomy,
            classifier=classifier,
            channel=message.channel,
            received_at=message.received_at,
            country=sender.country,
        )
        missed_call = bool(reading.flags.get("callback_needed"))
        if missed_call and not sender.registered:
            message.status, message.error = (
                "review",
                "missed call from a number that is not a registered monitor",
            )
            uow.commit()
            return None
        flags = validate_flags(reading.flags)  # closed value sets (R4), before anything is stored
        if not sender.registered:
            flags["unregistered_sender"] = True  # accepted all the same (R10); reviewers weigh it
        placement = place_report(
            message.content,
            reading.place_query,
            missed_call=missed_call,
            country=sender.country,
            home_area=sender.home_area,
            network_area=sender.network_area,
            places=geocoder,
            aliases=approved_aliases(uow.session, sender.country),
        )
        incident = _new_incident(message, reading, placement)
        uow.session.add(incident)
        uow.session.flush()
        ref = _free_ref(uow.session, message.content.get("ref"))
        report = _new_report(
            message, sender.reporter, reading, placement, flags | placement.flags, incident, ref
        )
        uow.session.add(report)
        if sender.reporter is not None:
            _heard_from(uow.session, sender.reporter, message.received_at, contact_days)
            _whatsapp_seen(sender.reporter, message)
        message.status = "processed"
        uow.session.flush()
        refresh_credibility(uow.session, incident)  # a single report: 3, or 6 without enough detail
        report_id = report.id
        uow.commit()
    logger.debug(
        "inbound %s became report %s (%s, %s)", inbound_id, report_id, reading.category.code, reading.priority
    )
    return report_id


def _new_incident(message: InboundMessage, reading: Reading, placement: Placement) -> Incident:
    """The incident a new report starts, until clustering finds it another (R5)."""
    lon, lat = placement.lon, placement.lat
    cells = h3_cells(lon, lat) if lon is not None and lat is not None else {}
    return Incident(
        category=reading.category.code,
        restricted=reading.category.restricted or bool(reading.flags.get("sexual_violence_cue")),
        status="received",
        priority=reading.priority,
        country=placement.country,
        place_name=placement.place_name,
        areas=placement.areas,
        in_town=placement.in_town,
        queue=reading.queue,
        lon=lon,
        lat=lat,
        precision=placement.precision,
        h3_r5=cells.get(5),
        h3_r6=cells.get(6),
        h3_r7=cells.get(7),
        first_reported_at=message.received_at,
        deadline_at=review_deadline(reading.priority, message.received_at),
        training=message.training,
    )


def _new_report(
    message: InboundMessage,
    reporter: Reporter | None,
    reading: Reading,
    placement: Placement,
    flags: dict[str, Any],
    incident: Incident,
    ref: str,
) -> Report:
    """The report of one message, in the incident triage made for it (``origin_incident_id``)."""
    return Report(
        ref=ref,
        inbound_message_id=message.id,
        reporter_key=message.reporter_key,
        network_id=reporter.network_id if reporter else None,
        incident_id=incident.id,
        origin_incident_id=incident.id,
        channel=message.channel,
        received_at=message.received_at,
        category=reading.category.code,
        text=reading.text,
        language=reporter.language if reporter else None,
        place_name=placement.place_name,
        areas=placement.areas,
        lon=placement.lon,
        lat=placement.lat,
        precision=placement.precision,
        flags=flags,
        priority=reading.priority,
        reliability=reporter.reliability if reporter else "F",
        training=message.training,
    )


def _heard_from(session: Session, reporter: Reporter, received: datetime, contact_days: int) -> None:
    """She wrote: her last contact moves on, and so does the expiry of her vault entry, which lasts
    ``contact_days`` after her latest message (DOMAIN.md §6.3 item 5, R31)."""
    reporter.last_inbound_at = max(reporter.last_inbound_at or received, received)
    horizon = received + timedelta(days=contact_days)
    session.execute(
        update(ContactVaultEntry)
        .where(ContactVaultEntry.reporter_key == reporter.key, ContactVaultEntry.expires_at < horizon)
        .values(expires_at=horizon)
    )


def _whatsapp_seen(reporter: Reporter, message: InboundMessage) -> None:
    """A WhatsApp message opens the 24-hour window for a free-form reply (CHANNELS.md §6.3)."""
    if message.channel == "whatsapp":
        received = message.received_at
        reporter.last_whatsapp_at = max(reporter.last_whatsapp_at or received, received)


def close_without_report(inbound_id: int, *, uow: UnitOfWork, contact_days: int = VAULT_DAYS) -> str | None:
    """Mark a message handled that is not a report (a keyword); return its sender's key."""
    with uow:
        message = uow.session.get(InboundMessage, inbound_id)
        if message is None:
            raise UnknownInboundMessage(str(inbound_id))
        message.status = "processed"
        reporter = uow.session.get(Reporter, message.reporter_key) if message.reporter_key else None
        if reporter is not None:
            _heard_from(uow.session, reporter, message.received_at, contact_days)
        key = message.reporter_key
        uow.commit()
    return key


def messages_waiting_since(cutoff: datetime, *, uow: UnitOfWork) -> list[int]:
    """Stored messages received before ``cutoff`` that no job has processed yet."""
    with uow:
        return list(
            uow.session.scalars(
                select(InboundMessage.id).where(
                    InboundMessage.status == "received", InboundMessage.received_at < cutoff
                )
            )
        )


def reports_waiting_for_follow_up(cutoff: datetime, *, uow: UnitOfWork) -> list[int]:
    """Reports created before ``cutoff`` whose follow-up never ran (its job was lost)."""
    with uow:
        return list(
            uow.session.scalars(
                select(Report.id).where(Report.followed_up_at.is_(None), Report.created_at < cutoff)
            )
        )


def mark_followed_up(report_id: int, *, uow: UnitOfWork) -> None:
    with uow:
        uow.session.execute(update(Report).where(Report.id == report_id).values(followed_up_at=utcnow()))
        uow.commit()


def incident_of_report(report_id: int, *, uow: UnitOfWork) -> int:
    """The incident a report belongs to now (after any merge)."""
    with uow:
        incident_id = uow.session.scalar(select(Report.incident_id).where(Report.id == report_id))
        if incident_id is None:
            raise UnknownIncident(f"report {report_id} has no incident")
        return incident_id


def inbound_text(inbound_id: int, *, uow: UnitOfWork) -> str:
    """The words of a stored message (to check for a keyword before triage)."""
    with uow:
        message = uow.session.get(InboundMessage, inbound_id)
        if message is None:
            raise UnknownInboundMessage(str(inbound_id))
        return clean_text(str(message.content.get("text") or ""))
