"""Retention (DOMAIN.md §6.3 item 5, R31): raw messages and contact data are kept only as long as needed.

- **Raw inbound messages.** Once a message is finished, what she wrote lives on only in the triaged
  report (kept for the analysis period). After ``raw_message_days`` its ``content`` (text, location
  pin, media references) and ``payload`` (the provider's fields) are erased, but the row stays:
  its ``(provider, provider_message_id)`` is what turns a provider's late replay into a duplicate
  instead of a second report (exactly-once), and follow-ups still need its channel and reporter key.
- **Contact-vault entries** (her number, and the numbers she wrote in messages) whose ``expires_at``
  has passed are deleted.

Work goes in batches of ``BATCH`` rows, each batch its own short transaction, so a first run over a
large backlog never holds the SQLite write lock or PostgreSQL row locks for long (intake, and a
replay that must see the row, wait on neither). Each run that changes anything appends one audit
event with the counts, never content, so deletions can be verified (R31); a run with nothing due
changes nothing at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from alerts.audit.trail import record_event
from alerts.errors import InvalidValue
from alerts.models import BodyNumber, ContactVaultEntry, InboundMessage
from alerts.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

RAW_MESSAGE_DAYS = 30
"""Default days a finished message keeps its raw content (DOMAIN.md §6.3 item 5: ≤ 30)."""
VAULT_DAYS = 90
"""Default longest life of a contact-vault entry from now (DOMAIN.md: 90 days after the last report)."""
BATCH = 1000
"""Rows per statement and per transaction: short enough that no lock is held for long."""
FINISHED = ("processed",)
"""Inbound statuses whose processing is over: triaged (or answered as a keyword), so her words live on
in the report. Not ``received`` (it still waits for triage: Redis was down, a worker died) nor
``review`` or ``failed`` (kept for a person who has not looked yet): erasing those would lose a report."""
WAITING = ("received", "review", "failed")
ERASED_MARK = "erased_at"
"""The one key an erased message's ``content`` keeps: when it was erased (ISO 8601)."""
ACTOR = "system:retention"


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """What one run erased and deleted (or, for a dry run, would have)."""

    messages_erased: int = 0
    vault_entries_deleted: int = 0
    vault_entries_shortened: int = 0
    """Entries that would outlive ``vault_days`` from now, brought forward to that ceiling."""

    @property
    def changed(self) -> bool:
        return any((self.messages_erased, self.vault_entries_deleted, self.vault_entries_shortened))


def apply_retention(
    now: datetime, *, uow: UnitOfWork, raw_message_days: int = RAW_MESSAGE_DAYS, vault_days: int = VAULT_DAYS
) -> RetentionResult:
    """Erase raw messages past their period and delete expired vault entries; idempotent per ``now``.

    ``vault_days`` acts only through ``expires_at``: entries set to expire later than ``now +
    vault_days`` are brought forward to it (so a shorter deployment period holds for entries written
    under a longer one), and entries whose ``expires_at`` has passed are deleted.
    """
    cutoff, ceiling = _limits(now, raw_message_days, vault_days)
    erased = _erase_messages(uow, cutoff, now)
    shortened = _in_batches(uow, lambda session: _shorten_vault(session, ceiling))
    deleted = _in_batches(uow, lambda session: _delete_vault(session, now))
    result = RetentionResult(
        messages_erased=erased, vault_entries_deleted=deleted, vault_entries_shortened=shortened
    )
    if result.changed:
        with uow:
            record_event(
                uow.session,
                actor=ACTOR,
                action="retention.apply",
                subject_type="retention",
                subject_id=now.isoformat(timespec="seconds"),
                details=_details(result, cutoff, ceiling, raw_message_days, vault_days),
            )
            uow.commit()
    logger.info(
        "retention: %d message(s) erased, %d vault entr(ies) deleted, %d shortened",
        result.messages_erased,
        result.vault_entries_deleted,
        result.vault_entries_shortened,
    )
    return result


def retention_due(
    now: datetime, *, uow: UnitOfWork, raw_message_days: int = RAW_MESSAGE_DAYS, vault_days: int = VAULT_DAYS
) -> RetentionResult:
    """What ``apply_retention`` would do at ``now``, counted only: nothing erased, nothing audited."""
    cutoff, ceiling = _limits(now, raw_message_days, vault_days)
    with uow:
        count = uow.session.scalar
        return RetentionResult(
            messages_erased=count(select(func.count()).where(*_raw_message_due(cutoff))) or 0,
            vault_entries_deleted=_vault_count(uow.session, lambda table: table.expires_at <= now),
            vault_entries_shortened=_vault_count(uow.session, lambda table: table.expires_at > ceiling),
        )


def _limits(now: datetime, raw_message_days: int, vault_days: int) -> tuple[datetime, datetime]:
    if raw_message_days < 1 or vault_days < 1:
        raise InvalidValue("retention periods must be at least one day")
    return now - timedelta(days=raw_message_days), now + timedelta(days=vault_days)


def _raw_message_due(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    """Finished, received before ``cutoff``, and not erased yet."""
    return (
        InboundMessage.status.in_(FINISHED),
        InboundMessage.received_at < cutoff,
        InboundMessage.content[ERASED_MARK].as_string().is_(None),
    )


def _erase_messages(uow: UnitOfWork, cutoff: datetime, now: datetime) -> int:
    """Erase in id order: the keyset means one run reads each old row once, however many batches.

    Rows erased by earlier runs still match the index range and are skipped by their mark; that
    read (about half a second per million rows on PostgreSQL) is the price of keeping the schema.
    """
    erased, after = 0, 0
    while True:
        with uow:
            ids = uow.session.scalars(
                select(InboundMessage.id)
                .where(*_raw_message_due(cutoff), InboundMessage.id > after)
                .order_by(InboundMessage.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)  # a concurrent run takes other rows, never the same
            ).all()
            if ids:
                uow.session.execute(
                    update(InboundMessage)
                    .where(InboundMessage.id.in_(ids))
                    .values(content={ERASED_MARK: now.isoformat()}, payload={})
                    .execution_options(synchronize_session=False)
                )
                uow.commit()
        erased += len(ids)
        if len(ids) < BATCH:
            return erased
        after = ids[-1]


def _in_batches(uow: UnitOfWork, batch: Callable[[Session], int]) -> int:
    """Run ``batch(session)`` in its own transaction until it comes back short; the total."""
    total = 0
    while True:
        with uow:
            done = batch(uow.session)
            uow.commit()
        total += done
        if done < BATCH:
            return total


VAULTS = ((ContactVaultEntry, ContactVaultEntry.reporter_key), (BodyNumber, BodyNumber.id))
"""Sealed contact data and the key of its rows: her number, and the numbers she wrote in messages."""


def _vault_count(session: Session, where: Callable[[Any], ColumnElement[bool]]) -> int:
    return sum(session.scalar(select(func.count()).where(where(table))) or 0 for table, _ in VAULTS)


def _vault_batch(
    session: Session, where: Callable[[Any], ColumnElement[bool]], change: Callable[[Any], Any]
) -> int:
    """Apply ``change(table)`` (an update or delete) to up to ``BATCH`` rows of each vault table."""
    done = 0
    for table, key in VAULTS:
        keys = list(
            session.scalars(select(key).where(where(table)).limit(BATCH).with_for_update(skip_locked=True))
        )
        if keys:
            session.execute(change(table).where(key.in_(keys)).execution_options(synchronize_session=False))
        done += len(keys)
    return done


def _shorten_vault(session: Session, ceiling: datetime) -> int:
    return _vault_batch(
        session,
        lambda table: table.expires_at > ceiling,
        lambda table: update(table).values(expires_at=ceiling),
    )


def _delete_vault(session: Session, now: datetime) -> int:
    return _vault_batch(session, lambda table: table.expires_at <= now, delete)


def _details(
    result: RetentionResult, cutoff: datetime, ceiling: datetime, raw_message_days: int, vault_days: int
) -> dict[str, Any]:
    """Counts and limits only: never a message, a number or a reporter key."""
    return {
        "messages_erased": result.messages_erased,
        "messages_received_before": cutoff.isoformat(),
        "raw_message_days": raw_message_days,
        "vault_entries_deleted": result.vault_entries_deleted,
        "vault_entries_shortened": result.vault_entries_shortened,
        "vault_expires_by": ceiling.isoformat(),
        "vault_days": vault_days,
    }
