"""Persistent entities (SQLAlchemy 2.0 typed ORM); only services, repositories and the UoW use them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alerts.vocabulary import (
    ALIAS_STATUSES,
    CORRECTED_FIELDS,
    CREDIBILITY_GRADES,
    DELIVERY_STATUSES,
    EXTERNAL_CHECKS,
    INBOUND_STATUSES,
    INCIDENT_STATES,
    NOTIFICATION_STATUSES,
    PRIORITIES,
    RELIABILITY_GRADES,
    ROLES,
    SUGGESTION_STATUSES,
    TRIAGE_QUEUES,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


def _one_of(column: str, values: tuple[str, ...] | tuple[int, ...]) -> str:
    listed = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)
    return f"{column} IN ({listed})"


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSONDocument}


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    """The dashboard language she chose (en, fr, ar)."""
    countries: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    """ISO codes of the missions' countries she works on; empty: every country of the deployment."""
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    """Base32 secret of her optional second factor (TOTP)."""
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    """The 30-second step of the last code she signed in with: that code, and older ones, are spent."""
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Her sign-in generation, copied into each session cookie; raised to end every session she has
    (sign-out, deactivation, a new second factor), since the cookie itself cannot be taken back."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    """After it the token authorises nothing: a lost or forgotten token does not work for ever."""
    revoked_at: Mapped[datetime | None]
    """Set by `dalili token revoke` and when her account is switched off; never cleared."""
    last_used_at: Mapped[datetime | None]


class Network(Base):
    """A women's network or group whose monitors report."""

    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    area_pcode: Mapped[str | None] = mapped_column(String(32))
    area_name: Mapped[str | None] = mapped_column(String(120))
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    join_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reporter(Base):
    """A monitor, known only by the keyed hash of her number (R27).

    Defaults live in the database: intake creates reporters with a bare INSERT of the key.
    """

    __tablename__ = "reporters"
    __table_args__ = (CheckConstraint(_one_of("reliability", RELIABILITY_GRADES), name="reliability"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    home_area_pcode: Mapped[str | None] = mapped_column(String(32))
    home_area_name: Mapped[str | None] = mapped_column(String(120))
    group_key: Mapped[str | None] = mapped_column(String(64))
    """Household or registered group: reports within one group are not independent (R21)."""
    reliability: Mapped[str] = mapped_column(String(1), server_default="F")
    registered: Mapped[bool] = mapped_column(Boolean, server_default=false())
    consent_followup: Mapped[bool] = mapped_column(Boolean, server_default=false())
    consent_callback: Mapped[bool] = mapped_column(Boolean, server_default=false())
    opted_out: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """She sent STOP or the panic word: nothing is ever sent to her again (R33)."""
    withdrawn_at: Mapped[datetime | None]
    """When she used the panic word: contact data erased, past reports marked."""
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_inbound_at: Mapped[datetime | None]
    """Her latest message on any channel: no message goes to a number silent for longer (R34)."""
    last_whatsapp_at: Mapped[datetime | None]
    """Her latest WhatsApp message: free-form replies only within 24 hours of it."""


class ContactVaultEntry(Base):
    """Her number, encrypted; present only with call-back consent (R28)."""

    __tablename__ = "contact_vault"

    reporter_key: Mapped[str] = mapped_column(
        ForeignKey("reporters.key", ondelete="CASCADE"), primary_key=True
    )
    ciphertext: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class BodyNumber(Base):
    """A phone number she wrote in a message, encrypted; the message holds ``[number n]`` instead.

    Kept like her own number in the contact vault: erased by her panic word, deleted at
    ``expires_at`` (R28, R31, R33; alerts/reporters/body_numbers.py).
    """

    __tablename__ = "body_numbers"
    __table_args__ = (UniqueConstraint("inbound_message_id", "position"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    inbound_message_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id", ondelete="CASCADE"))
    reporter_key: Mapped[str | None] = mapped_column(
        ForeignKey("reporters.key", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)
    """``n`` of its placeholder ``[number n]``."""
    ciphertext: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]


class InboundMessage(Base):
    """What a provider delivered, committed before it is acknowledged."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("provider", "provider_message_id"),
        CheckConstraint(_one_of("status", INBOUND_STATUSES), name="status"),
        Index(None, "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime]
    reporter_key: Mapped[str | None] = mapped_column(ForeignKey("reporters.key", ondelete="SET NULL"))
    content: Mapped[dict[str, Any]]
    """Provider-neutral content: text, optional location pin and media references."""
    payload: Mapped[dict[str, Any]]
    """The provider's fields, the sender's number replaced by the reporter key."""
    status: Mapped[str] = mapped_column(String(16), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    training: Mapped[bool] = mapped_column(Boolean, default=False)


VERIFIED_PREDICATE = "merged_into_id IS NULL AND status IN ('verified', 'response_dispatched', 'closed')"
"""The verified incidents hotspot maps are made of, by report time (migration 0005)."""

QUEUE_PREDICATE = (
    "merged_into_id IS NULL AND status IN "
    "('received', 'under_review', 'unverified', 'verified', 'response_dispatched')"
)
"""The open incidents of the review queue: partial indexes serve its first and filtered pages.

No ``training`` term: the queries say ``training IS false``, which PostgreSQL does not match
with ``NOT training`` (migration 0004); the few training rows are filtered instead."""


class Incident(Base):
    """What happened: a cluster of one or more reports, with a stable id (R5)."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(_one_of("status", INCIDENT_STATES), name="status"),
        CheckConstraint(_one_of("priority", PRIORITIES), name="priority"),
        CheckConstraint(_one_of("credibility", CREDIBILITY_GRADES), name="credibility"),
        CheckConstraint("precision IS NULL OR precision BETWEEN 1 AND 3", name="precision"),
        CheckConstraint(_one_of("queue", TRIAGE_QUEUES), name="queue"),
        CheckConstraint(
            f"external_check IS NULL OR {_one_of('external_check', EXTERNAL_CHECKS)}", name="external_check"
        ),
        Index(None, "status", "priority", "deadline_at"),
        Index(
            "ix_incidents_queue",
            "queue",
            "priority",
            "deadline_at",
            "id",
            postgresql_where=text(QUEUE_PREDICATE),
            sqlite_where=text(QUEUE_PREDICATE),
        ),
        Index(
            "ix_incidents_country_queue",
            "country",
            "queue",
            "priority",
            "deadline_at",
            "id",
            postgresql_where=text(QUEUE_PREDICATE),
            sqlite_where=text(QUEUE_PREDICATE),
        ),
        Index(
            "ix_incidents_queue_reported",
            "queue",
            "first_reported_at",
            postgresql_where=text(QUEUE_PREDICATE),
            sqlite_where=text(QUEUE_PREDICATE),
        ),
        Index(
            "ix_incidents_verified_reported",
            "first_reported_at",
            postgresql_where=text(VERIFIED_PREDICATE),
            sqlite_where=text(VERIFIED_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    category: Mapped[str] = mapped_column(String(3))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    """Restricted category (sexual violence): never shown or exported as a point (R36)."""
    status: Mapped[str] = mapped_column(String(24), default="received")
    priority: Mapped[str] = mapped_column(String(2))
    credibility: Mapped[int] = mapped_column(SmallInteger, default=6)
    country: Mapped[str | None] = mapped_column(String(2))
    place_name: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    precision: Mapped[int | None] = mapped_column(SmallInteger)
    areas: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Admin P-codes and names per level and the sector: {"adm1_pcode": …, "adm1_name": …, "sector": …}."""
    h3_r5: Mapped[str | None] = mapped_column(String(16))
    """The H3 cells holding the point at resolutions 5, 6 and 7: hotspots are a GROUP BY (R42)."""
    h3_r6: Mapped[str | None] = mapped_column(String(16))
    h3_r7: Mapped[str | None] = mapped_column(String(16))
    in_town: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Geocoded to a town or city: duplicates are then sought within the town distance (R25)."""
    queue: Mapped[str] = mapped_column(String(24), server_default="triage")
    """``election_process`` for election-process issues: their own queue, never a JOC alert (R17)."""
    external_check: Mapped[str | None] = mapped_column(String(16))
    """A patrol, JOC or partner check: ``confirmed`` or ``contradicted`` (R21)."""
    escalation_level: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    """How many times it went past its review deadline unreviewed (R22)."""
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    """Set while a reviewer's merge holds its reports in another incident (R26)."""
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responder: Mapped[str | None] = mapped_column(String(120))
    """Who acted on it (a base, a patrol, a partner), recorded when marked actioned."""
    action_ref: Mapped[str | None] = mapped_column(String(64))
    """The patrol or operation reference of that action."""
    first_reported_at: Mapped[datetime]
    occurred_at: Mapped[datetime | None]
    """When it happened, as a reviewer established it (None: not corrected; the reports tell)."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deadline_at: Mapped[datetime]
    training: Mapped[bool] = mapped_column(Boolean, default=False)


class Report(Base):
    """What one monitor sent, as triage understood it."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_one_of("priority", PRIORITIES), name="priority"),
        CheckConstraint(_one_of("reliability", RELIABILITY_GRADES), name="reliability"),
        CheckConstraint(_one_of("credibility", CREDIBILITY_GRADES), name="credibility"),
        CheckConstraint("precision IS NULL OR precision BETWEEN 1 AND 3", name="precision"),
        Index(None, "received_at"),
        Index(
            "ix_reports_waiting_for_follow_up",
            "created_at",
            postgresql_where=text("followed_up_at IS NULL"),
            sqlite_where=text("followed_up_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ref: Mapped[str] = mapped_column(String(8), unique=True)
    """Short code the reporter sees in her receipt; reveals nothing."""
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), unique=True
    )
    reporter_key: Mapped[str | None] = mapped_column(
        ForeignKey("reporters.key", ondelete="SET NULL"), index=True
    )
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    origin_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    """The incident triage created for it: where an unmerge takes it back (R26)."""
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    category: Mapped[str] = mapped_column(String(3))
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(8))
    place_name: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    areas: Mapped[dict[str, Any]] = mapped_column(default=dict)
    precision: Mapped[int | None] = mapped_column(SmallInteger)
    flags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    priority: Mapped[str] = mapped_column(String(2))
    reliability: Mapped[str] = mapped_column(String(1), default="F")
    credibility: Mapped[int] = mapped_column(SmallInteger, default=6)
    training: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    followed_up_at: Mapped[datetime | None]
    """When its follow-up (duplicates, credibility, staff alerts) ran; the sweep queues it again
    for a report left without one (its job was lost with Redis)."""


class DuplicateSuggestion(Base):
    """An open incident a new one may duplicate (R25): a suggestion until a reviewer decides (R26)."""

    __tablename__ = "duplicate_suggestions"
    __table_args__ = (
        UniqueConstraint("incident_id", "candidate_id"),
        CheckConstraint(_one_of("status", SUGGESTION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    distance_km: Mapped[float | None] = mapped_column(Float)
    hours_apart: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IncidentMerge(Base):
    """A reviewer's merge of one incident into another, with what an unmerge must restore (R26)."""

    __tablename__ = "incident_merges"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    report_ids: Mapped[list[int]] = mapped_column(JSONDocument)
    target_before: Mapped[dict[str, Any]]
    """The target's priority, deadline, first report time and restriction before the merge."""
    merged_by: Mapped[str] = mapped_column(String(64))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_by: Mapped[str | None] = mapped_column(String(64))
    undone_at: Mapped[datetime | None]


class StaffNotification(Base):
    """One alert to one configured responder about one incident event; unique, so sent at most once."""

    __tablename__ = "staff_notifications"
    __table_args__ = (
        UniqueConstraint("incident_id", "event", "responder"),
        CheckConstraint(_one_of("status", NOTIFICATION_STATUSES), name="status"),
        Index(
            "ix_staff_notifications_pending",
            "created_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(24))
    """``new`` on arrival, ``escalation-P2`` when it went past its deadline and escalated to P2, and
    so on: one alert per responder and priority level (``escalation-N`` in rows stored before 0011)."""
    responder: Mapped[str] = mapped_column(String(64))
    """The responder's name in the routing configuration (not the address)."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    delivery_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class StaffDigest(Base):
    """One reminder to one responder listing the incidents still overdue after their last escalation;
    unique per responder and interval window, so one goes per interval however often the job runs."""

    __tablename__ = "staff_digests"
    __table_args__ = (
        UniqueConstraint("responder", "window_start"),
        CheckConstraint(_one_of("status", NOTIFICATION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    responder: Mapped[str] = mapped_column(String(64))
    """The responder's name in the routing configuration (not the address)."""
    window_start: Mapped[datetime]
    """Start of the ``DALILI_REMINDER_DIGEST_MINUTES`` window it was planned in."""
    incident_ids: Mapped[list[int]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    delivery_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class SentMessage(Base):
    """A message Dalili sent (or tried to) to a reporter; its text is a template, never stored."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        UniqueConstraint("provider", "provider_message_id"),
        CheckConstraint(_one_of("status", DELIVERY_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(96), unique=True)
    """What the message is for (e.g. ``receipt:inbound:42``): a retried job never sends twice."""
    reporter_key: Mapped[str | None] = mapped_column(
        ForeignKey("reporters.key", ondelete="SET NULL"), index=True
    )
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(24))
    language: Mapped[str] = mapped_column(String(8))
    provider: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    error_code: Mapped[str | None] = mapped_column(String(32))
    training: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DeliveryEvent(Base):
    """Every delivery callback as it came, kept even when it does not change the status."""

    __tablename__ = "delivery_events"
    __table_args__ = (Index(None, "provider", "provider_message_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class UssdSession(Base):
    """The provider's end-of-session notification for one phone's USSD session."""

    __tablename__ = "ussd_sessions"

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reporter_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """Pseudonym of the phone, "" when the notice names none: another phone may come with the same
    ``sessionId``. Sessions come before (or without) any report, so no foreign key."""
    status: Mapped[str] = mapped_column(String(16))
    hops: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_screen: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """One line of the append-only, hash-chained audit trail (R30)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "subject_type", "subject_id"), Index(None, "action", "id"))
    """An incident's history reads by subject; the audit page's latest check (``audit.verify``) by action."""

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """One archive of the audit trail's oldest events (R31): where the live chain now starts.

    Append-only by trigger; events up to the newest ``through_event_id`` are the only ones the
    database lets anyone delete (migration 0006).
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    through_event_id: Mapped[int] = mapped_column(Id, unique=True)
    """The last archived event."""
    through_hash: Mapped[str] = mapped_column(String(64))
    """That event's hash: the ``prev_hash`` of the first live event."""
    events: Mapped[int] = mapped_column(Integer)
    archive_file: Mapped[str] = mapped_column(String(255))
    """File name inside the archive directory."""
    archive_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Correction(Base):
    """A reviewer's correction of one field of an incident, with the values before and after (R5).

    Also in the audit trail; kept here so the triage-quality page and undo read them by field."""

    __tablename__ = "corrections"
    __table_args__ = (CheckConstraint(_one_of("field", CORRECTED_FIELDS), name="field"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    field: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    after: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(254))
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("corrections.id"))
    """The correction this one puts back, when it is an undo."""
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LabelledExample(Base):
    """A report as a reviewer labelled it: what the classifier trains and is measured on.

    The text is the report's own (joined, never copied): erasing a narrative erases it here too."""

    __tablename__ = "labelled_examples"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(8))
    triage_category: Mapped[str] = mapped_column(String(3))
    """What the classifier said, before any correction."""
    category: Mapped[str] = mapped_column(String(3))
    flags: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    labelled_by: Mapped[str] = mapped_column(String(254))
    labelled_at: Mapped[datetime] = mapped_column(default=utcnow)
    training: Mapped[bool] = mapped_column(Boolean, default=False)


class PlaceAlias(Base):
    """Words a monitor wrote for a place, as a reviewer's correction tied them to it; the geocoder
    uses an alias once an admin approves it, for this deployment."""

    __tablename__ = "place_aliases"
    __table_args__ = (
        CheckConstraint(_one_of("status", ALIAS_STATUSES), name="status"),
        CheckConstraint("precision BETWEEN 1 AND 3", name="precision"),
        Index(
            "uq_place_aliases_approved",
            "country",
            "text",
            unique=True,
            postgresql_where=text("status = 'approved'"),
            sqlite_where=text("status = 'approved'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    """Normalised (geo.placenames.normalise_place), as the geocoder compares names."""
    typed: Mapped[str] = mapped_column(String(200))
    """As she wrote it, for the admin who decides."""
    country: Mapped[str] = mapped_column(String(2), server_default="")
    place_name: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    precision: Mapped[int] = mapped_column(SmallInteger)
    areas: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    proposed_by: Mapped[str] = mapped_column(String(254))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decided_at: Mapped[datetime | None]


class NarrativeRead(Base):
    """Who first read an incident's narratives, and when: when the incident is restricted later
    (a correction to sexual violence), its audit event names who had read them before (R29)."""

    __tablename__ = "narrative_reads"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    reader: Mapped[str] = mapped_column(String(254), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
