"""Audit archive (R30, R31): the live trail keeps ``audit_days`` of events, older ones move to files.

A run moves the oldest live events, those recorded more than ``older_than_days`` before ``now`` (a
prefix in id order, so the live chain stays one piece), to ``audit-<first id>-<last id>.jsonl.gz``:
one JSON object per event with every field its hash covers, so a file verifies on its own. The
order of the steps means a crash at any point loses no event:

1. the file is written under a temporary name, fsynced, re-read and checked against the hashes the
   database holds, then renamed into place;
2. one transaction records the checkpoint (last event, its hash, count, file, SHA-256) and an
   ``audit.archive`` event. Until it commits the database refuses to delete any of those events,
   and a file without a checkpoint is a crashed run's: the next run deletes it and starts again;
3. the archived events are deleted in batches, each its own short transaction. A run that crashed
   here is finished by the next one; meanwhile ``verify_chain`` starts after the checkpoint.

Runs on one directory take turns (a lock file), so that clean-up never removes a file another run
is about to record. A file holds at most ``FILE_EVENTS`` events, so a first run over years of trail
commits its progress file by file.

Archive files are deleted ``archive_days`` after their checkpoint (``delete_expired_archives``), the
``audit.archive_delete`` event committed first: a crash in between leaves files the next run deletes
and records again, never an unrecorded deletion. Checkpoints are kept (a row a day): they chain each
archive to the one before even once that file is gone.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import logging
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from alerts.audit.trail import GENESIS, ChainKey, live_start, record_event, session_key
from alerts.errors import AlertsError, InvalidValue
from alerts.models import AuditCheckpoint, AuditEvent
from alerts.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

AUDIT_DAYS = 365
"""Default days an event stays in the live trail."""
ARCHIVE_DAYS = 2192
"""Default days an archive file is kept: about seven years of life for an event, with ``AUDIT_DAYS``."""
BATCH = 1000
"""Events read or deleted per transaction."""
FILE_EVENTS = 100_000
"""Most events in one file (about 10 MB compressed): progress is committed file by file."""
ACTOR = "system:audit-archive"
ARCHIVE_NAME = re.compile(r"audit-(\d+)-(\d+)\.jsonl\.gz")
FIELDS = ("id", "at", "actor", "action", "subject_type", "subject_id", "details", "prev_hash", "hash")
"""What a line of an archive holds: every field of the event, so its hash can be recomputed."""


class ArchiveNotVerified(AlertsError):
    """A freshly written archive did not read back as the events it was written from."""


@dataclass(frozen=True, slots=True)
class Archived:
    """What one run archived (or, for a dry run, would archive)."""

    events: int = 0
    files: tuple[str, ...] = ()
    deleted: int = 0
    """Archived events deleted from the table, with any a crashed run left behind."""


@dataclass(frozen=True, slots=True)
class ArchiveCheck:
    """Every recorded archive, checked against its checkpoint."""

    verified: int = 0
    expired: int = 0
    """Files gone because they outlived the archive period, as they should."""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Range:
    """The next events to archive: after ``after`` (whose hash is ``prev_hash``), up to ``through``."""

    after: int
    prev_hash: str
    first: int
    through: int
    chain: ChainKey
    """How they are checked once written."""


def archive_audit(
    now: datetime,
    *,
    uow: UnitOfWork,
    older_than_days: int = AUDIT_DAYS,
    directory: Path,
    dry_run: bool = False,
    unkeyed_through: int = 0,
) -> Archived:
    """Move events recorded before ``now - older_than_days`` to archive files; idempotent per ``now``.

    Events up to ``unkeyed_through`` may carry the plain hash of a trail from before the audit key.
    """
    cutoff = _cutoff(now, older_than_days)
    if dry_run:
        with uow:
            after, _ = live_start(uow.session)
            due = _due(uow.session, after, cutoff).subquery()
            return Archived(events=uow.session.scalar(select(func.count()).select_from(due)) or 0)
    deleted = _delete_archived(uow)  # what a run that crashed after its checkpoint left
    with uow:  # the run's own events wait for the next run, whatever the clock says
        newest = uow.session.scalar(select(func.max(AuditEvent.id))) or 0
    if _next_range(uow, cutoff, newest, unkeyed_through) is None:
        return Archived(deleted=deleted)
    directory.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    events = 0
    with _one_run_at_a_time(directory):
        _remove_unrecorded(uow, directory)
        while (chunk := _next_range(uow, cutoff, newest, unkeyed_through)) is not None:
            checkpoint = _write(uow, directory, chunk, now)
            _record(uow, checkpoint, chunk, cutoff, older_than_days)
            deleted += _delete_archived(uow)
            files.append(checkpoint.archive_file)
            events += checkpoint.events
    logger.info("audit archive: %d event(s) into %d file(s), %d deleted", events, len(files), deleted)
    return Archived(events=events, files=tuple(files), deleted=deleted)


def delete_expired_archives(
    now: datetime,
    *,
    uow: UnitOfWork,
    older_than_days: int = ARCHIVE_DAYS,
    directory: Path,
    dry_run: bool = False,
) -> tuple[str, ...]:
    """Delete the archive files recorded before ``now - older_than_days``; their names."""
    cutoff = _cutoff(now, older_than_days)
    with uow:
        names = uow.session.scalars(
            select(AuditCheckpoint.archive_file)
            .where(AuditCheckpoint.created_at < cutoff)
            .order_by(AuditCheckpoint.through_event_id)
        ).all()
    expired = tuple(name for name in names if (directory / name).exists())
    if dry_run or not expired:
        return expired
    with uow:
        record_event(
            uow.session,
            actor=ACTOR,
            action="audit.archive_delete",
            subject_type="audit_archive",
            subject_id=now.isoformat(timespec="seconds"),
            details={
                "files": list(expired),
                "recorded_before": cutoff.isoformat(),
                "archive_days": older_than_days,
            },
        )
        uow.commit()
    for name in expired:
        (directory / name).unlink(missing_ok=True)
    _fsync_directory(directory)
    logger.info("audit archive: %d expired file(s) deleted", len(expired))
    return expired


def verify_archive(path: Path, checkpoint: AuditCheckpoint, *, prev_hash: str, chain: ChainKey) -> str | None:
    """Why the file at ``path`` is not the archive ``checkpoint`` recorded, or None when it is.

    Its events must chain one onto the other from ``prev_hash`` (the previous checkpoint's hash,
    or genesis) and end at the checkpoint's event and hash, and its SHA-256 must be the recorded one.
    """
    count, last = 0, None
    try:
        for event in _read(path):
            if not chain.follows(event, prev_hash):
                return f"event {event.id} breaks the chain"
            count, last, prev_hash = count + 1, event.id, event.hash
    except (OSError, EOFError, zlib.error, ValueError, TypeError, KeyError) as error:
        return f"unreadable ({type(error).__name__})"
    if (count, last, prev_hash) != (checkpoint.events, checkpoint.through_event_id, checkpoint.through_hash):
        return (
            f"{count} event(s) up to {last}, but its checkpoint says "
            f"{checkpoint.events} up to {checkpoint.through_event_id}"
        )
    if _sha256(path) != checkpoint.archive_sha256:
        return "its SHA-256 is not its checkpoint's"
    return None


def verify_archives(
    now: datetime, *, uow: UnitOfWork, directory: Path, archive_days: int, unkeyed_through: int = 0
) -> ArchiveCheck:
    """Check every recorded archive in chain order, each starting where the one before ended.

    With ``verify_chain`` this covers the whole history, archived and live. A file missing before
    ``archive_days`` have passed is a problem: only the archive job may delete one, and only later.
    """
    cutoff = _cutoff(now, archive_days)
    verified, expired, problems = 0, 0, []
    prev_hash = GENESIS
    with uow:
        chain = session_key(uow.session, unkeyed_through=unkeyed_through)
        for checkpoint in uow.session.scalars(
            select(AuditCheckpoint).order_by(AuditCheckpoint.through_event_id)
        ):
            path = directory / checkpoint.archive_file
            if not path.exists():
                if checkpoint.created_at < cutoff:
                    expired += 1
                else:
                    problems.append(f"{checkpoint.archive_file}: missing")
            elif problem := verify_archive(path, checkpoint, prev_hash=prev_hash, chain=chain):
                problems.append(f"{checkpoint.archive_file}: {problem}")
            else:
                verified += 1
            prev_hash = checkpoint.through_hash
    return ArchiveCheck(verified=verified, expired=expired, problems=tuple(problems))


def _cutoff(now: datetime, days: int) -> datetime:
    if days < 1:
        raise InvalidValue("audit retention periods must be at least one day")
    return now - timedelta(days=days)


def _due(session: Session, after: int, cutoff: datetime) -> Select[int]:
    """Live events recorded before ``cutoff`` up to the first that was not: the chain stays whole."""
    first_kept = session.scalar(
        select(func.min(AuditEvent.id)).where(AuditEvent.id > after, AuditEvent.at >= cutoff)
    )
    due = select(AuditEvent.id).where(AuditEvent.id > after)
    return due if first_kept is None else due.where(AuditEvent.id < first_kept)


def _next_range(uow: UnitOfWork, cutoff: datetime, newest: int, unkeyed_through: int) -> _Range | None:
    with uow:
        after, prev_hash = live_start(uow.session)
        due = _due(uow.session, after, cutoff).where(AuditEvent.id <= newest)
        chunk = due.order_by(AuditEvent.id).limit(FILE_EVENTS).subquery()
        first, through = uow.session.execute(select(func.min(chunk.c.id), func.max(chunk.c.id))).one()
        chain = session_key(uow.session, unkeyed_through=unkeyed_through)
    return None if first is None else _Range(after, prev_hash, first, through, chain)


def _write(uow: UnitOfWork, directory: Path, chunk: _Range, now: datetime) -> AuditCheckpoint:
    """Write ``chunk`` to its file, durable, checked and in place; the checkpoint to record."""
    name = f"audit-{chunk.first}-{chunk.through}.jsonl.gz"
    temporary = directory / f".{name}.tmp"
    count, last_hash = 0, chunk.prev_hash
    try:
        with temporary.open("wb") as raw:
            # No name and no time in the gzip header: the same events always make the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as archive:
                for record in _records(uow, chunk):
                    archive.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
                    count, last_hash = count + 1, record["hash"]
            raw.flush()
            os.fsync(raw.fileno())
        checkpoint = AuditCheckpoint(
            through_event_id=chunk.through,
            through_hash=last_hash,
            events=count,
            archive_file=name,
            archive_sha256=_sha256(temporary),
            created_at=now,
        )
        problem = verify_archive(temporary, checkpoint, prev_hash=chunk.prev_hash, chain=chunk.chain)
        if problem:
            raise ArchiveNotVerified(f"{name}: {problem}")
        temporary.replace(directory / name)
        _fsync_directory(directory)
    finally:
        temporary.unlink(missing_ok=True)
    return checkpoint


def _records(uow: UnitOfWork, chunk: _Range) -> Iterator[dict[str, Any]]:
    """The chunk's events in id order, a batch per short transaction (events never change)."""
    after = chunk.after
    while after < chunk.through:
        with uow:
            batch = [
                {name: getattr(event, name) for name in FIELDS}
                for event in uow.session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.id > after, AuditEvent.id <= chunk.through)
                    .order_by(AuditEvent.id)
                    .limit(BATCH)
                )
            ]
        if not batch:
            return  # the checkpoint's check then refuses the short file
        for record in batch:
            yield {**record, "at": record["at"].isoformat()}
        after = batch[-1]["id"]


def _read(path: Path) -> Iterator[AuditEvent]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield AuditEvent(**{**record, "at": datetime.fromisoformat(record["at"])})


def _record(
    uow: UnitOfWork, checkpoint: AuditCheckpoint, chunk: _Range, cutoff: datetime, older_than_days: int
) -> None:
    """Commit the checkpoint with its audit event: from here the archived events may be deleted."""
    with uow:
        record_event(
            uow.session,
            actor=ACTOR,
            action="audit.archive",
            subject_type="audit_archive",
            subject_id=checkpoint.archive_file,
            details={
                "events": checkpoint.events,
                "first_event_id": chunk.first,
                "through_event_id": checkpoint.through_event_id,
                "file": checkpoint.archive_file,
                "sha256": checkpoint.archive_sha256,
                "recorded_before": cutoff.isoformat(),
                "audit_days": older_than_days,
            },
        )
        uow.session.add(checkpoint)
        uow.commit()


def _delete_archived(uow: UnitOfWork) -> int:
    """Delete the events the newest checkpoint covers, a batch per transaction; how many."""
    deleted = 0
    while True:
        with uow:
            through, _ = live_start(uow.session)
            ids = uow.session.scalars(
                select(AuditEvent.id).where(AuditEvent.id <= through).order_by(AuditEvent.id).limit(BATCH)
            ).all()
            if ids:
                uow.session.execute(
                    delete(AuditEvent)
                    .where(AuditEvent.id.in_(ids))
                    .execution_options(synchronize_session=False)
                )
                uow.commit()
        deleted += len(ids)
        if len(ids) < BATCH:
            return deleted


def _remove_unrecorded(uow: UnitOfWork, directory: Path) -> None:
    """Delete what a run that crashed before its checkpoint left: files of events still live."""
    with uow:
        after, _ = live_start(uow.session)
    for path in directory.iterdir():
        name = ARCHIVE_NAME.fullmatch(path.name.removeprefix(".").removesuffix(".tmp"))
        if name and int(name[1]) > after:
            path.unlink()


@contextmanager
def _one_run_at_a_time(directory: Path) -> Iterator[None]:
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def _sha256(path: Path) -> str:
    with path.open("rb") as archive:
        return hashlib.file_digest(archive, "sha256").hexdigest()


def _fsync_directory(directory: Path) -> None:
    """Make a rename or a deletion in ``directory`` durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
