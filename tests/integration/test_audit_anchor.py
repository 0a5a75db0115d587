"""The keyed, anchored audit chain (R30) against someone who can write the database but has neither
the audit key nor the anchor folder: rows rewritten with the triggers bypassed, the newest rows
deleted, a checkpoint forged to explain deleted rows away, a trail from before the key."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import Connection, select, text

from alerts.audit import trail
from alerts.audit.anchor import ANCHOR_FILE, read_anchors
from alerts.audit.archive import archive_audit
from alerts.audit.trail import record_event, verify_chain
from alerts.models import AuditEvent, utcnow
from app import jobs
from app.bootstrap import Services
from app.cli import main
from app.schedule import cron_scheduler
from app.worker import drain

pytestmark = pytest.mark.integration

Forger = Callable[[bytes], str]
FORGERS: dict[str, Forger] = {
    "plain SHA-256": lambda body: hashlib.sha256(body).hexdigest(),
    "a wrong key": lambda body: hmac.new(b"a guessed key", body, hashlib.sha256).hexdigest(),
}


def dalili(app: Flask, *args: str, exit_code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == exit_code, result.output
    return result.output


def recorded(services: Services, count: int) -> list[int]:
    ids = []
    for n in range(count):
        with services.uow() as uow:
            event = record_event(
                uow.session, actor="focal@test.dalili.org", action="restricted.read", subject_type="incident",
                subject_id=n, details={"fields": ["narrative"]},
            )  # fmt: skip
            ids.append(event.id)
            uow.commit()
    return ids


def bypass_triggers(connection: Connection) -> None:
    """What a database superuser can do: PostgreSQL skips ordinary triggers for replicas; SQLite
    has no such switch, but whoever can write the file can drop them."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET session_replication_role = replica"))
    else:
        connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("DROP TRIGGER audit_events_no_delete"))


def forge_from(services: Services, first: int, forge: Forger, **change: str) -> None:
    """Rewrite event ``first`` with ``change`` and every later hash, as the old code would have."""
    with services.engine.begin() as connection:
        bypass_triggers(connection)
        rows = connection.execute(
            select(AuditEvent.__table__).where(AuditEvent.id >= first).order_by(AuditEvent.id)
        ).all()
        prev_hash = connection.execute(select(AuditEvent.hash).where(AuditEvent.id == first - 1)).scalar()
        for row in rows:
            values = {
                **row._asdict(),
                **(change if row.id == first else {}),
                "prev_hash": prev_hash or trail.GENESIS,
            }
            body = json.dumps(
                [values["prev_hash"], values["at"].isoformat(), values["actor"], values["action"],
                 f"{values['subject_type']}:{values['subject_id']}", values["details"]],
                sort_keys=True, ensure_ascii=False, separators=(",", ":"),
            ).encode()  # fmt: skip
            prev_hash = forge(body)
            connection.execute(
                AuditEvent.__table__.update()
                .where(AuditEvent.id == row.id)
                .values(actor=values["actor"], prev_hash=values["prev_hash"], hash=prev_hash)
            )


def live_ids(services: Services) -> list[int]:
    with services.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def anchors(services: Services) -> Path:
    return Path(services.settings.audit_anchor_dir)


class TestRewriting:
    @pytest.mark.parametrize("forger", FORGERS.keys())
    def test_an_event_rewritten_with_every_later_hash_recomputed_without_the_key_is_named(
        self, app: Flask, services: Services, forger: str
    ) -> None:
        ids = recorded(services, 5)
        forge_from(services, ids[2], FORGERS[forger], actor="someone else")

        with services.uow() as uow:
            assert uow.session.get(AuditEvent, ids[2]).actor == "someone else"  # type: ignore[union-attr]
            assert verify_chain(uow.session) == ids[2]
        output = dalili(app, "audit", "verify", exit_code=1)
        assert f"audit chain broken at event {ids[2]}: altered, removed or not keyed" in output

    def test_an_anchored_event_rewritten_is_named_by_its_anchor_too(
        self, app: Flask, services: Services
    ) -> None:
        ids = recorded(services, 3)
        dalili(app, "audit", "verify")  # anchors event 3
        forge_from(services, ids[1], FORGERS["plain SHA-256"], actor="someone else")
        [anchor] = read_anchors(anchors(services))
        output = dalili(app, "audit", "verify", exit_code=1)
        assert f"audit event {ids[2]} is not the one anchored at {anchor.at}: its hash changed" in output


class TestTruncation:
    def test_deleting_the_newest_events_shows_against_the_anchors(
        self, app: Flask, services: Services
    ) -> None:
        ids = recorded(services, 5)
        assert "audit chain intact" in dalili(app, "audit", "verify")
        later = recorded(services, 2)
        with app.app_context():
            assert jobs.anchor_audit_trail()
            assert not jobs.anchor_audit_trail()  # nothing new: no second line
        first, second = read_anchors(anchors(services))
        assert (first.event_id, second.event_id) == (ids[-1], later[-1])

        with services.engine.begin() as connection:
            bypass_triggers(connection)
            connection.execute(text(f"DELETE FROM audit_events WHERE id > {ids[2]}"))

        with services.uow() as uow:
            assert verify_chain(uow.session) is None  # what is left still chains: only anchors see it
        output = dalili(app, "audit", "verify", exit_code=1)
        assert (
            f"audit 2 anchored event(s) missing, {ids[-1]} (anchored at {first.at}) to "
            f"{later[-1]} (anchored at {second.at}): the trail ends at event {ids[2]}"
        ) in output

    @pytest.mark.parametrize("created", [timedelta(days=-3000), timedelta(0)])
    def test_a_checkpoint_forged_to_explain_deleted_events_is_refused(
        self, app: Flask, services: Services, created: timedelta
    ) -> None:
        """No trigger needs bypassing: the database lets anyone add a checkpoint, then delete what
        it covers. Dated back, its missing file would pass as expired; dated now, it is missing."""
        ids = recorded(services, 3)
        dalili(app, "audit", "verify")
        with services.uow() as uow:
            newest = uow.session.get(AuditEvent, ids[-1])
            assert newest is not None
            uow.session.execute(
                text(
                    "INSERT INTO audit_checkpoints (through_event_id, through_hash, events, archive_file, "
                    "archive_sha256, created_at) VALUES (:id, :hash, 3, 'audit-x.jsonl.gz', :hash, :at)"
                ),
                {"id": newest.id, "hash": newest.hash, "at": utcnow() + created},
            )
            uow.session.execute(text("DELETE FROM audit_events"))
            uow.commit()

        output = dalili(app, "audit", "verify", exit_code=1)
        if created:
            assert f"audit event {ids[-1]} anchored at" in output
            assert "is in audit-x.jsonl.gz, recorded before it" in output
        else:
            assert "audit archive audit-x.jsonl.gz: missing" in output

    def test_an_anchored_event_archived_since_is_vouched_for_by_its_archive(
        self, app: Flask, services: Services
    ) -> None:
        ids = recorded(services, 2)
        with app.app_context():
            jobs.anchor_audit_trail()
        archived = archive_audit(
            utcnow() + timedelta(days=400),
            uow=services.uow(),
            directory=Path(services.settings.audit_archive_dir),
        )
        assert archived.events == 2
        assert ids[-1] < live_ids(services)[0]
        assert "audit chain intact; 1 archive(s) verified" in dalili(app, "audit", "verify")

    def test_the_scheduler_anchors_on_the_maintenance_queue(self, app: Flask, services: Services) -> None:
        [event] = recorded(services, 1)
        scheduler = cron_scheduler(services.queues.connection)
        [job] = [j for j in scheduler.get_jobs() if j.func_name == "app.jobs.anchor_audit_trail"]
        assert job.queue_name == "maintenance"
        scheduler.enqueue_jobs()
        assert drain(app)
        assert [anchor.event_id for anchor in read_anchors(anchors(services))] == [event]


def unkeyed(services: Services, count: int) -> list[int]:
    """Events as the code before the audit key wrote them: plain SHA-256."""
    ids = []
    for n in range(count):
        with services.uow() as uow:
            prev = uow.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
            at, prev_hash = utcnow(), prev or trail.GENESIS
            event = AuditEvent(
                at=at, actor="cli", action="user.create", subject_type="user", subject_id=str(n), details={},
                prev_hash=prev_hash,
                hash=trail._digest(None, prev_hash, at, "cli", "user.create", f"user:{n}", {}),
            )  # fmt: skip
            uow.session.add(event)
            uow.commit()
            ids.append(event.id)
    return ids


class TestTrailFromBeforeTheKey:
    def test_db_upgrade_seals_it_once_and_it_verifies(self, app: Flask, services: Services) -> None:
        old = unkeyed(services, 3)
        recorded(services, 1)  # the new code ran before the release step
        assert f"audit chain broken at event {old[0]}" in dalili(app, "audit", "verify", exit_code=1)

        assert f"audit events up to {old[-1]} predate DALILI_AUDIT_KEY: sealed" in dalili(
            app, "db", "upgrade"
        )
        assert "sealed" not in dalili(app, "db", "upgrade")

        assert "audit chain intact" in dalili(app, "audit", "verify")
        seal = read_anchors(anchors(services))[0]
        assert (seal.event_id, seal.unkeyed) == (old[-1], True)
        with services.uow() as uow:
            [keyed] = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.keyed")).all()
            assert keyed.details == {"unkeyed_through": old[-1], "unkeyed_hash": seal.hash}

    def test_a_sealed_event_rewritten_is_named(self, app: Flask, services: Services) -> None:
        old = unkeyed(services, 3)
        dalili(app, "db", "upgrade")
        forge_from(services, old[1], FORGERS["plain SHA-256"], actor="someone else")

        output = dalili(app, "audit", "verify", exit_code=1)
        assert f"audit event {old[-1]} is not the one anchored at" in output
        assert f"audit chain broken at event {old[-1] + 1}" in output  # the first keyed event

    def test_a_keyed_trail_rewritten_as_unkeyed_is_not_sealed(self, app: Flask, services: Services) -> None:
        """Rewriting every event with plain SHA-256 makes it look older than the key: the anchors
        written since say otherwise, so the next release does not seal it."""
        ids = recorded(services, 3)
        dalili(app, "audit", "verify")
        forge_from(services, ids[0], FORGERS["plain SHA-256"])

        output = dalili(app, "db", "upgrade")
        assert (
            f"audit trail NOT sealed, it does not verify: event {ids[-1]} is not the one anchored" in output
        )
        assert not any(anchor.unkeyed for anchor in read_anchors(anchors(services)))
        assert f"audit chain broken at event {ids[0]}" in dalili(app, "audit", "verify", exit_code=1)


def test_anchors_are_lines_appended_out_of_the_database(app: Flask, services: Services) -> None:
    recorded(services, 2)
    with app.app_context():
        jobs.anchor_audit_trail()
    recorded(services, 1)
    with app.app_context():
        jobs.anchor_audit_trail()
    lines = (anchors(services) / ANCHOR_FILE).read_text().splitlines()
    assert [sorted(json.loads(line)) for line in lines] == [["at", "event_id", "hash", "unkeyed"]] * 2
    assert datetime.fromisoformat(json.loads(lines[0])["at"]) <= utcnow()
