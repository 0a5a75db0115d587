"""Audit archive (R30, R31) on a fake clock: events are recorded at chosen times, every run gets ``now``."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from alerts.audit import archive as audit_archive
from alerts.audit import trail
from alerts.audit.archive import (
    ArchiveCheck,
    Archived,
    ArchiveNotVerified,
    archive_audit,
    delete_expired_archives,
    verify_archive,
    verify_archives,
)
from alerts.audit.trail import record_event, verify_chain
from alerts.errors import InvalidValue
from alerts.models import AuditCheckpoint, AuditEvent, utcnow
from app.bootstrap import Services
from app.cli import main
from app.schedule import cron_scheduler
from app.worker import drain
from config.settings import Settings, SettingsError

pytestmark = pytest.mark.integration

NOW = utcnow()
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=10)
ARCHIVE_DAYS = 2192


@dataclass
class Clock:
    """The time ``record_event`` stamps on events."""

    now: datetime


@pytest.fixture
def app(backend_settings: Settings, make_app: Callable[[Settings], Flask], tmp_path: Path) -> Flask:
    """The app with its archive folder inside the test's own folder."""
    return make_app(replace(backend_settings, audit_archive_dir=str(tmp_path / "audit-archive")))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(NOW)
    monkeypatch.setattr(trail, "utcnow", lambda: clock.now)
    return clock


@pytest.fixture
def directory(services: Services) -> Path:
    return Path(services.settings.audit_archive_dir)


def recorded(services: Services, clock: Clock, at: datetime, count: int = 1) -> list[int]:
    """``count`` restricted reads audited at ``at``; their ids."""
    clock.now = at
    ids = []
    for n in range(count):
        with services.uow() as uow:
            event = record_event(
                uow.session,
                actor="focal@test.dalili.org",
                action="restricted.read",
                subject_type="incident",
                subject_id=n,
                details={"fields": ["narrative"], "note": "lue à Bentiu"},
            )
            ids.append(event.id)
            uow.commit()
    return ids


def archive(services: Services, clock: Clock, directory: Path, now: datetime = NOW) -> Archived:
    clock.now = now  # the run's own event is recorded at its time
    return archive_audit(now, uow=services.uow(), directory=directory)


def live(services: Services) -> list[int]:
    with services.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def actions(services: Services, action: str) -> list[dict[str, Any]]:
    with services.uow() as uow:
        return [e.details for e in uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def checkpoints(services: Services) -> list[AuditCheckpoint]:
    with services.uow() as uow:
        found = list(uow.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
        uow.session.expunge_all()
        return found


def lines(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as archive_file:
        return [json.loads(line) for line in archive_file]


def chain_intact(services: Services) -> bool:
    with services.uow() as uow:
        return verify_chain(uow.session) is None


def chain(services: Services) -> trail.ChainKey:
    with services.uow() as uow:
        return trail.session_key(uow.session)


def check(services: Services, directory: Path, now: datetime = NOW) -> ArchiveCheck:
    return verify_archives(now, uow=services.uow(), directory=directory, archive_days=ARCHIVE_DAYS)


class TestArchive:
    def test_old_events_move_to_a_file_and_newer_ones_stay(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        old, recent = recorded(services, clock, OLD, 3), recorded(services, clock, RECENT, 2)
        assert chain_intact(services)

        result = archive(services, clock, directory)

        name = f"audit-{old[0]}-{old[-1]}.jsonl.gz"
        assert result == Archived(events=3, files=(name,), deleted=3)
        archived = lines(directory / name)
        assert [line["id"] for line in archived] == old
        assert archived[0]["details"] == {"fields": ["narrative"], "note": "lue à Bentiu"}
        [run_event] = live(services)[2:]
        assert live(services) == [*recent, run_event]
        [checkpoint] = checkpoints(services)
        assert (checkpoint.through_event_id, checkpoint.through_hash, checkpoint.events) == (
            old[-1],
            archived[-1]["hash"],
            3,
        )
        assert chain_intact(services)
        assert check(services, directory) == ArchiveCheck(verified=1)

    def test_each_run_is_audited_with_counts_file_and_hash(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        old = recorded(services, clock, OLD, 2)
        archive(services, clock, directory)
        [checkpoint] = checkpoints(services)
        assert actions(services, "audit.archive") == [
            {
                "events": 2,
                "first_event_id": old[0],
                "through_event_id": old[1],
                "file": checkpoint.archive_file,
                "sha256": checkpoint.archive_sha256,
                "recorded_before": (NOW - timedelta(days=365)).isoformat(),
                "audit_days": 365,
            }
        ]

    def test_a_newer_event_between_old_ones_stops_the_archive_there(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        """The live chain must stay one piece: a clock set back on one host keeps what follows."""
        first = recorded(services, clock, OLD)
        skewed = recorded(services, clock, RECENT)
        later_old = recorded(services, clock, OLD)
        assert archive(services, clock, directory).files == (f"audit-{first[0]}-{first[0]}.jsonl.gz",)
        assert live(services)[:2] == skewed + later_old
        assert chain_intact(services)

    def test_a_second_run_at_the_same_time_changes_nothing(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        recorded(services, clock, OLD, 2)
        recorded(services, clock, RECENT)
        archive(services, clock, directory)
        before = live(services), sorted(directory.iterdir()), len(checkpoints(services))

        assert archive(services, clock, directory) == Archived()
        assert (live(services), sorted(directory.iterdir()), len(checkpoints(services))) == before

    def test_a_later_run_continues_the_chain_from_the_checkpoint(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        recorded(services, clock, OLD, 2)
        recent = recorded(services, clock, RECENT, 2)
        archive(services, clock, directory)
        later = NOW + timedelta(days=400)

        result = archive(services, clock, directory, later)

        assert result.events == 3  # the recent ones and the first run's own event
        first, second = checkpoints(services)
        assert lines(directory / second.archive_file)[0]["prev_hash"] == first.through_hash
        assert lines(directory / second.archive_file)[0]["id"] == recent[0]
        assert chain_intact(services)
        assert check(services, directory, later) == ArchiveCheck(verified=2)

    def test_a_run_never_archives_its_own_events(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        """Even when the clock that stamps them lags the run's ``now`` by more than the period."""
        recorded(services, clock, OLD, 2)
        clock.now = OLD
        assert archive_audit(NOW, uow=services.uow(), directory=directory).events == 2
        assert archive_audit(NOW, uow=services.uow(), directory=directory).events == 1

    def test_a_dry_run_counts_and_changes_nothing(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        recorded(services, clock, OLD, 3)
        recorded(services, clock, RECENT)
        due = archive_audit(NOW, uow=services.uow(), directory=directory, dry_run=True)
        assert due == Archived(events=3)
        assert len(live(services)) == 4
        assert not directory.exists()
        assert archive(services, clock, directory).events == due.events

    def test_a_backlog_goes_in_several_files_and_batches(
        self, services: Services, clock: Clock, directory: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(audit_archive, "BATCH", 2)
        monkeypatch.setattr(audit_archive, "FILE_EVENTS", 3)
        old = recorded(services, clock, OLD, 7)

        result = archive(services, clock, directory)

        assert (result.events, result.deleted, len(result.files)) == (7, 7, 3)
        assert [line["id"] for f in result.files for line in lines(directory / f)] == old
        assert chain_intact(services)
        assert check(services, directory) == ArchiveCheck(verified=3)

    def test_a_period_under_a_day_is_refused(self, services: Services, directory: Path) -> None:
        with pytest.raises(SettingsError, match="DALILI_AUDIT_DAYS must be at least 1"):
            Settings(audit_days=0)
        with pytest.raises(InvalidValue):
            archive_audit(NOW, uow=services.uow(), older_than_days=0, directory=directory)


def _rewrite(
    path: Path, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], mtime: int = 0
) -> None:
    records = edit(lines(path))
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime) as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")


def _forge_actor(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [records[0], {**records[1], "actor": "someone else"}, *records[2:]]


TAMPERING = {
    "an event altered": (lambda path: _rewrite(path, _forge_actor), "breaks the chain"),
    "the last event dropped": (lambda path: _rewrite(path, lambda r: r[:-1]), "but its checkpoint says"),
    "the same events, other bytes": (lambda path: _rewrite(path, list, mtime=1), "SHA-256"),
    "truncated": (lambda path: path.write_bytes(path.read_bytes()[:40]), "unreadable"),
}


class TestTamperEvidence:
    @pytest.mark.parametrize("tampering", TAMPERING.keys())
    def test_a_tampered_archive_is_detected(
        self, services: Services, clock: Clock, directory: Path, tampering: str
    ) -> None:
        recorded(services, clock, OLD, 3)
        [name] = archive(services, clock, directory).files
        tamper, reason = TAMPERING[tampering]
        tamper(directory / name)

        [checkpoint] = checkpoints(services)
        problem = verify_archive(directory / name, checkpoint, prev_hash=trail.GENESIS, chain=chain(services))
        assert problem is not None
        assert reason in problem
        assert check(services, directory).problems == (f"{name}: {problem}",)

    def test_an_archive_must_start_where_the_checkpoint_before_ended(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        recorded(services, clock, OLD, 2)
        archive(services, clock, directory)
        recorded(services, clock, NOW, 2)
        archive(services, clock, directory, NOW + timedelta(days=400))
        _, second = checkpoints(services)
        assert (
            verify_archive(
                directory / second.archive_file, second, prev_hash=trail.GENESIS, chain=chain(services)
            )
            is not None
        )

    def test_a_tampered_live_row_is_detected(self, services: Services, clock: Clock, directory: Path) -> None:
        recorded(services, clock, OLD, 2)
        recorded(services, clock, RECENT)
        archive(services, clock, directory)
        with services.uow() as uow:
            last = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            assert last is not None
            forged = AuditEvent(
                actor="intruder",
                action="audit.archive",
                subject_type="audit_archive",
                subject_id="x",
                details={},
                prev_hash=last.hash,
                hash="f" * 64,
            )
            uow.session.add(forged)
            uow.commit()
            assert verify_chain(uow.session) == forged.id

    def test_a_missing_archive_is_a_problem_until_its_period_is_over(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        recorded(services, clock, OLD)
        [name] = archive(services, clock, directory).files
        (directory / name).unlink()
        assert check(services, directory).problems == (f"{name}: missing",)
        assert check(services, directory, NOW + timedelta(days=ARCHIVE_DAYS + 1)) == ArchiveCheck(expired=1)


class TestDatabaseRules:
    def test_only_archived_events_may_be_deleted_and_none_updated(
        self, services: Services, clock: Clock, directory: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A crash after the checkpoint leaves archived rows behind: the rules meet all three kinds."""
        archived = recorded(services, clock, OLD, 2)
        recent = recorded(services, clock, RECENT)
        _crash_while_deleting(monkeypatch)
        with pytest.raises(RuntimeError):
            archive(services, clock, directory)

        for statement in (
            f"UPDATE audit_events SET actor = 'x' WHERE id = {archived[0]}",
            f"UPDATE audit_events SET actor = 'x' WHERE id = {recent[0]}",
            f"DELETE FROM audit_events WHERE id = {recent[0]}",
            "DELETE FROM audit_events",
        ):
            with pytest.raises(DatabaseError, match="read-only"), services.engine.begin() as connection:
                connection.execute(text(statement))
        with services.engine.begin() as connection:
            connection.execute(text(f"DELETE FROM audit_events WHERE id = {archived[0]}"))
        assert live(services)[:2] == [archived[1], recent[0]]

    @pytest.mark.parametrize(
        "statement", ["UPDATE audit_checkpoints SET events = 0", "DELETE FROM audit_checkpoints"]
    )
    def test_checkpoints_are_append_only(
        self, services: Services, clock: Clock, directory: Path, statement: str
    ) -> None:
        recorded(services, clock, OLD)
        archive(services, clock, directory)
        with pytest.raises(DatabaseError, match="read-only"), services.engine.begin() as connection:
            connection.execute(text(statement))


def _crash_while_deleting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's deletions after its checkpoint fail; the clean-up at its start goes through."""
    real = audit_archive._delete_archived
    calls = iter([real])

    def delete_or_crash(uow: Any) -> int:
        return next(calls, _raise)(uow)

    monkeypatch.setattr(audit_archive, "_delete_archived", delete_or_crash)


def _raise(uow: Any) -> int:
    raise RuntimeError("worker killed")


class TestCrashes:
    def test_a_crash_between_file_and_checkpoint_loses_nothing_and_a_rerun_completes(
        self, services: Services, clock: Clock, directory: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first = recorded(services, clock, OLD)
        second = recorded(services, clock, NOW - timedelta(days=200))
        with monkeypatch.context() as crash:
            crash.setattr(audit_archive, "record_event", _raise_anything)
            with pytest.raises(RuntimeError):
                archive(services, clock, directory)
        assert [p.name for p in directory.glob("audit-*")] == [f"audit-{first[0]}-{first[0]}.jsonl.gz"]
        assert (live(services), checkpoints(services)) == (first + second, [])
        assert chain_intact(services)

        later = NOW + timedelta(days=200)  # the second event is due too: another range, another file
        assert archive(services, clock, directory, later).events == 2

        assert [p.name for p in directory.glob("audit-*")] == [f"audit-{first[0]}-{second[0]}.jsonl.gz"]
        assert chain_intact(services)
        assert check(services, directory, later) == ArchiveCheck(verified=1)

    def test_a_crash_while_deleting_is_finished_by_the_next_run(
        self, services: Services, clock: Clock, directory: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        old = recorded(services, clock, OLD, 3)
        with monkeypatch.context() as crash:
            _crash_while_deleting(crash)
            with pytest.raises(RuntimeError):
                archive(services, clock, directory)
        assert live(services)[:3] == old
        assert chain_intact(services)  # the live chain starts after the checkpoint

        assert archive(services, clock, directory) == Archived(deleted=3)
        assert old[-1] < live(services)[0]
        assert check(services, directory) == ArchiveCheck(verified=1)

    def test_a_file_that_does_not_read_back_is_never_recorded(
        self, services: Services, clock: Clock, directory: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        old = recorded(services, clock, OLD, 2)
        monkeypatch.setattr(audit_archive, "verify_archive", lambda *a, **k: "event 1 breaks the chain")
        with pytest.raises(ArchiveNotVerified):
            archive(services, clock, directory)
        assert [p.name for p in directory.iterdir() if p.name != ".lock"] == []
        assert (live(services), checkpoints(services)) == (old, [])


def _raise_anything(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("power cut")


class TestArchiveRetention:
    def test_archives_are_deleted_after_their_period_and_the_deletion_is_audited(
        self, services: Services, clock: Clock, directory: Path
    ) -> None:
        recorded(services, clock, OLD, 2)
        [name] = archive(services, clock, directory).files
        expiry = NOW + timedelta(days=ARCHIVE_DAYS)

        def delete(now: datetime) -> tuple[str, ...]:
            clock.now = now
            return delete_expired_archives(now, uow=services.uow(), directory=directory)

        assert delete(expiry) == ()
        assert delete(expiry + timedelta(seconds=1)) == (name,)
        assert not (directory / name).exists()
        recorded_before = (NOW + timedelta(seconds=1)).isoformat()
        assert actions(services, "audit.archive_delete") == [
            {"files": [name], "recorded_before": recorded_before, "archive_days": ARCHIVE_DAYS}
        ]
        assert delete(expiry + timedelta(days=1)) == ()
        assert chain_intact(services)
        assert check(services, directory, expiry + timedelta(days=1)) == ArchiveCheck(expired=1)


class TestJobAndCommand:
    def test_the_scheduler_archives_on_the_maintenance_queue(
        self, app: Flask, services: Services, clock: Clock, directory: Path
    ) -> None:
        now = utcnow()  # the worker reads the real clock: age the events instead
        old = recorded(services, clock, now - timedelta(days=400), 2)
        clock.now = now
        scheduler = cron_scheduler(services.queues.connection)
        [job] = [j for j in scheduler.get_jobs() if j.func_name == "app.jobs.archive_audit_trail"]
        assert job.queue_name == "maintenance"

        scheduler.enqueue_jobs()
        assert drain(app)

        assert not set(old) & set(live(services))
        [name] = [p.name for p in directory.glob("audit-*")]
        assert [line["id"] for line in lines(directory / name)] == old

    def test_the_commands_print_counts_and_verify_the_archives(
        self, app: Flask, services: Services, clock: Clock, directory: Path
    ) -> None:
        recorded(services, clock, utcnow() - timedelta(days=400), 3)
        clock.now = utcnow()

        def dalili(*args: str, exit_code: int = 0) -> str:
            result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
            assert result.exit_code == exit_code, result.output
            return result.output

        assert dalili("audit", "archive", "--dry-run") == (
            "would archive 3 audit event(s), delete 0 expired archive file(s)\n"
        )
        assert len(live(services)) == 3
        assert dalili("audit", "archive") == (
            "archived 3 audit event(s) in 1 file(s), deleted 3 from the live trail, "
            "0 expired archive file(s)\n"
        )
        assert dalili("audit", "verify") == (
            "audit chain intact; 1 archive(s) verified, 0 deleted after DALILI_AUDIT_ARCHIVE_DAYS\n"
        )
        [path] = directory.glob("audit-*")
        _rewrite(path, _forge_actor)
        assert "breaks the chain" in dalili("audit", "verify", exit_code=1)
