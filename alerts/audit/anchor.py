"""Anchors of the audit chain outside the database (R30): a truncated or rewritten trail shows.

The keyed chain (alerts/audit/trail.py) stops anyone without the key from rewriting an event, but deleting
the newest events leaves a chain that still verifies. So the newest event's id and hash, with the
time, are written down where the database's users cannot reach: a line appended to
``anchors.jsonl`` in the anchor folder, and a log line. The scheduler anchors every few minutes,
`dalili audit verify` and the archive job after their runs. `verify_trail` then wants every
anchored event still there with its anchored hash. Events recorded since the latest anchor are
the ones a truncation can still take unseen.

A trail recorded before the audit key existed starts with events hashed by plain SHA-256. They are
sealed once (`seal_unkeyed`, run by `dalili db upgrade`): an anchor marked ``unkeyed`` names the last
of them, and only events up to it may be unkeyed (decision D17).
"""

from __future__ import annotations

import json
import logging
import os
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from alerts.audit.archive import ArchiveCheck, verify_archives
from alerts.audit.trail import live_start, record_event, unkeyed_prefix, verify_chain
from alerts.errors import AlertsError
from alerts.models import AuditCheckpoint, AuditEvent
from alerts.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

ANCHOR_FILE = "anchors.jsonl"
ACTOR = "system:audit-anchor"
BATCH = 1000
"""Anchored events looked up per query."""


class TrailNotVerified(AlertsError):
    """The audit trail does not verify: it is not sealed."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """The audit trail's newest event at one moment, as recorded outside the database."""

    event_id: int
    hash: str
    at: str
    """When it was anchored (ISO 8601, UTC)."""
    unkeyed: bool = False
    """It is the last event recorded before the audit key: the keyed chain starts after it."""


@dataclass(frozen=True, slots=True)
class TrailCheck:
    """The live chain, the anchors and the archive files, checked together."""

    problems: tuple[str, ...]
    archives: ArchiveCheck


def read_anchors(directory: Path) -> list[Anchor]:
    """The anchors in the order they were written; a line torn by a crash is skipped."""
    path = directory / ANCHOR_FILE
    if not path.exists():
        return []
    anchors = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                anchors.append(Anchor(**json.loads(line)))
            except (ValueError, TypeError):
                logger.warning("audit anchors: line %d of %s unreadable, skipped", number, path)
    return anchors


def unkeyed_through(anchors: Iterable[Anchor]) -> int:
    """The last event that may be unkeyed (0: every event must be keyed)."""
    return max((anchor.event_id for anchor in anchors if anchor.unkeyed), default=0)


def write_anchor(now: datetime, *, uow: UnitOfWork, directory: Path) -> Anchor | None:
    """Anchor the newest event, unless the latest anchor already names it; the anchor written."""
    with uow:
        newest = uow.session.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).first()
    if newest is None:
        return None
    latest = _latest(directory)
    if latest is not None and (latest.event_id, latest.hash) == (newest.id, newest.hash):
        return None
    return _append(directory, Anchor(newest.id, newest.hash, now.isoformat()))


def check_anchors(anchors: Iterable[Anchor], *, uow: UnitOfWork) -> tuple[str, ...]:
    """Why the trail is not the one the anchors saw: anchored events missing or altered."""
    anchored: dict[int, Anchor] = {}
    for anchor in anchors:  # the earliest anchor of each event: when it was first seen
        anchored.setdefault(anchor.event_id, anchor)
    problems, missing = [], []
    with uow:
        archived, _ = live_start(uow.session)
        newest = uow.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
        live_ids = sorted(event_id for event_id in anchored if event_id > archived)
        hashes: dict[int, str] = {}
        for start in range(0, len(live_ids), BATCH):
            batch = live_ids[start : start + BATCH]
            rows = uow.session.execute(select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(batch)))
            hashes.update((row.id, row.hash) for row in rows)
        for event_id in live_ids:
            anchor = anchored[event_id]
            if event_id not in hashes:
                missing.append(anchor)
            elif hashes[event_id] != anchor.hash:
                problems.append(f"event {event_id} is not the one anchored at {anchor.at}: its hash changed")
        problems += _archived_before_anchored(uow, [a for a in anchored.values() if a.event_id <= archived])
    if missing:
        first, last = missing[0], missing[-1]
        problems.insert(
            0,
            f"{len(missing)} anchored event(s) missing, {first.event_id} (anchored at {first.at}) to "
            f"{last.event_id} (anchored at {last.at}): the trail ends at event {newest}",
        )
    return tuple(problems)


def verify_trail(
    now: datetime, *, uow: UnitOfWork, anchor_dir: Path, archive_dir: Path, archive_days: int
) -> TrailCheck:
    """The whole history against its key and its anchors: the live chain, then every archive."""
    anchors = read_anchors(anchor_dir)
    through = unkeyed_through(anchors)
    with uow:
        broken = verify_chain(uow.session, unkeyed_through=through)
    problems = [] if broken is None else [f"chain broken at event {broken}: altered, removed or not keyed"]
    problems += check_anchors(anchors, uow=uow)
    archives = verify_archives(
        now, uow=uow, directory=archive_dir, archive_days=archive_days, unkeyed_through=through
    )
    problems += [f"archive {problem}" for problem in archives.problems]
    return TrailCheck(problems=tuple(problems), archives=archives)


def seal_unkeyed(now: datetime, *, uow: UnitOfWork, directory: Path) -> Anchor | None:
    """Anchor the last event of a trail recorded before the audit key, once; the seal, if written.

    Only a trail that verifies is sealed: unkeyed events at its start, keyed ones after, every
    anchor matched. So a trail someone rewrote without the key after it was anchored is refused.
    """
    anchors = read_anchors(directory)
    if unkeyed_through(anchors):
        return None
    with uow:
        last = unkeyed_prefix(uow.session)
        if last is None:
            return None
        seal = Anchor(last.id, last.hash, now.isoformat(), unkeyed=True)
        broken = verify_chain(uow.session, unkeyed_through=seal.event_id)
    problems = [f"event {broken} breaks the chain"] if broken is not None else []
    problems += check_anchors(anchors, uow=uow)
    if problems:
        raise TrailNotVerified("; ".join(problems))
    _append(directory, seal)
    with uow:
        record_event(
            uow.session,
            actor=ACTOR,
            action="audit.keyed",
            subject_type="audit_event",
            subject_id=seal.event_id,
            details={"unkeyed_through": seal.event_id, "unkeyed_hash": seal.hash},
        )
        uow.commit()
    write_anchor(now, uow=uow, directory=directory)
    return seal


def _archived_before_anchored(uow: UnitOfWork, anchors: list[Anchor]) -> list[str]:
    """An anchored event in an archive recorded before the anchor: a checkpoint forged to hide
    a truncation, dated back so that its missing file would count as expired."""
    in_order = select(AuditCheckpoint).order_by(AuditCheckpoint.through_event_id)
    checkpoints = uow.session.scalars(in_order).all()
    ends = [checkpoint.through_event_id for checkpoint in checkpoints]
    problems = []
    for anchor in anchors:
        covering = checkpoints[bisect_left(ends, anchor.event_id)]
        if covering.created_at < datetime.fromisoformat(anchor.at):
            problems.append(
                f"event {anchor.event_id} anchored at {anchor.at} is in {covering.archive_file}, "
                f"recorded before it ({covering.created_at.isoformat()})"
            )
    return problems


def _latest(directory: Path) -> Anchor | None:
    """The last anchor written, read from the end of the file."""
    path = directory / ANCHOR_FILE
    if not path.exists():
        return None
    with path.open("rb") as anchors:
        anchors.seek(max(0, anchors.seek(0, os.SEEK_END) - 4096))
        tail = anchors.read().splitlines()
    try:
        return Anchor(**json.loads(tail[-1])) if tail else None
    except (ValueError, TypeError):
        return None  # a torn line: anchor again


def _append(directory: Path, anchor: Anchor) -> Anchor:
    """Append ``anchor`` durably to the file and log it: two copies out of the database's reach."""
    directory.mkdir(parents=True, exist_ok=True)
    line = json.dumps(asdict(anchor), sort_keys=True) + "\n"
    descriptor = os.open(directory / ANCHOR_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line.encode())  # one write: appenders never interleave within a line
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    logger.info(
        "audit anchor: event %d hash %s at %s%s",
        anchor.event_id,
        anchor.hash,
        anchor.at,
        " (last unkeyed event)" if anchor.unkeyed else "",
    )
    return anchor
