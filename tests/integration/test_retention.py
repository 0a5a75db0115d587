"""Retention (R31) on a fake clock: every run gets ``now`` explicitly, nothing sleeps."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from alerts.audit.trail import verify_chain
from alerts.intake.services import record_inbound
from alerts.messages import RecordInbound
from alerts.models import AuditEvent, BodyNumber, ContactVaultEntry, InboundMessage, Report, utcnow
from alerts.reporters import retention
from alerts.reporters.contacts import create_network, register_monitor
from alerts.reporters.retention import RetentionResult, apply_retention, retention_due
from app.bootstrap import Services
from app.cli import main
from app.schedule import cron_scheduler
from app.worker import drain
from tests.factories import random_sid, report

pytestmark = pytest.mark.integration

NOW = utcnow()
NUMBER = "+211912345678"
NARRATIVE = "2 Yei soldiers took the goats from the market"


def message(services: Services, age: timedelta, *, status: str = "received", now: datetime = NOW) -> int:
    """Store a message received ``age`` before ``now``, with a status set as intake would."""
    return record_inbound(
        RecordInbound(
            provider="test",
            channel="sms",
            provider_message_id=random_sid(),
            received_at=now - age,
            reporter_key=secrets.token_hex(32),
            content={"text": NARRATIVE, "media": [{"url": "https://api.example/media/ME1"}]},
            payload={"Body": NARRATIVE, "NumMedia": "1"},
            status=status,
        ),
        uow=services.uow(),
        seal=services.number_seal,
    ).inbound_id


def processed(services: Services, age: timedelta) -> int:
    """A message received ``age`` before NOW and triaged into a report; its inbound id."""
    report_id = report(services, NARRATIVE, received_at=NOW - age)
    with services.uow() as uow:
        inbound_id = uow.session.scalar(select(Report.inbound_message_id).where(Report.id == report_id))
    assert inbound_id is not None
    return inbound_id


def stored(services: Services, inbound_id: int) -> InboundMessage:
    with services.uow() as uow:
        found = uow.session.get(InboundMessage, inbound_id)
        assert found is not None
        uow.session.expunge(found)
        return found


def callback_monitor(services: Services, registered: datetime) -> str:
    """A monitor who agreed to call-backs, registered at ``registered``; her key."""
    key = secrets.token_hex(32)
    network = f"network-{secrets.token_hex(4)}"
    create_network(network, country="SS", area_name=None, join_code=None, uow=services.uow())
    register_monitor(
        key,
        network_name=network,
        language="en",
        address=NUMBER,
        consent_followup=True,
        consent_callback=True,
        home_area_name=None,
        uow=services.uow(),
        vault=services.vault,
        now=registered,
    )
    return key


def vault_expiry(services: Services, key: str) -> datetime | None:
    with services.uow() as uow:
        return uow.session.scalar(
            select(ContactVaultEntry.expires_at).where(ContactVaultEntry.reporter_key == key)
        )


def audit_events(services: Services) -> list[dict[str, Any]]:
    with services.uow() as uow:
        return [
            {"actor": e.actor, "action": e.action, "details": e.details}
            for e in uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.apply"))
        ]


class TestRawMessages:
    def test_a_finished_message_past_the_period_keeps_its_row_but_not_its_words(
        self, services: Services
    ) -> None:
        old, recent = processed(services, timedelta(days=31)), processed(services, timedelta(days=29))
        before = stored(services, old)

        assert apply_retention(NOW, uow=services.uow()).messages_erased == 1

        erased = stored(services, old)
        assert erased.content == {"erased_at": NOW.isoformat()}
        assert erased.payload == {}
        kept = ("id", "provider", "channel", "provider_message_id", "received_at", "reporter_key", "status")
        assert {c: getattr(erased, c) for c in kept} == {c: getattr(before, c) for c in kept}
        assert stored(services, recent).content["text"] == NARRATIVE
        with services.uow() as uow:  # the triaged report is kept for the analysis period
            assert uow.session.scalar(select(Report.text).where(Report.inbound_message_id == old))

    @pytest.mark.parametrize("status", ["review", "failed"])
    def test_messages_held_for_a_person_are_never_erased(self, services: Services, status: str) -> None:
        held = message(services, timedelta(days=31), status=status)
        assert apply_retention(NOW, uow=services.uow()).messages_erased == 0
        assert stored(services, held).content["text"] == NARRATIVE

    def test_a_message_still_waiting_for_triage_is_never_erased(self, services: Services) -> None:
        waiting = message(services, timedelta(days=31))
        assert apply_retention(NOW, uow=services.uow()).messages_erased == 0
        assert stored(services, waiting).content["text"] == NARRATIVE
        assert stored(services, waiting).payload["Body"] == NARRATIVE

    def test_a_replay_of_an_erased_message_is_still_a_duplicate(self, services: Services) -> None:
        old = stored(services, processed(services, timedelta(days=31)))
        apply_retention(NOW, uow=services.uow())

        replay = record_inbound(
            RecordInbound(
                provider=old.provider,
                channel=old.channel,
                provider_message_id=old.provider_message_id,
                received_at=NOW,
                reporter_key=old.reporter_key,
                content={"text": NARRATIVE},
                payload={"Body": NARRATIVE},
            ),
            uow=services.uow(),
            seal=services.number_seal,
        )

        assert (replay.inbound_id, replay.created) == (old.id, False)
        assert stored(services, old.id).content == {"erased_at": NOW.isoformat()}
        with services.uow() as uow:
            assert uow.session.scalar(select(func.count()).select_from(InboundMessage)) == 1

    def test_a_backlog_larger_than_a_batch_goes_in_several_batches(
        self, services: Services, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(retention, "BATCH", 2)
        old = [message(services, timedelta(days=40 + i), status="processed") for i in range(5)]
        keys = [callback_monitor(services, NOW - timedelta(days=100 + i)) for i in range(3)]
        assert apply_retention(NOW, uow=services.uow()) == RetentionResult(
            messages_erased=5, vault_entries_deleted=3
        )
        assert all(stored(services, i).payload == {} for i in old)
        assert [vault_expiry(services, key) for key in keys] == [None, None, None]


class TestVault:
    def test_expired_entries_are_deleted_and_current_ones_kept(self, services: Services) -> None:
        expired = callback_monitor(services, NOW - timedelta(days=90))  # expires exactly now
        current = callback_monitor(services, NOW - timedelta(days=10))

        assert apply_retention(NOW, uow=services.uow()).vault_entries_deleted == 1

        assert vault_expiry(services, expired) is None
        assert vault_expiry(services, current) == NOW + timedelta(days=80)

    def test_a_shorter_period_brings_every_expiry_forward(self, services: Services) -> None:
        key = callback_monitor(services, NOW - timedelta(days=10))  # expires in 80 days
        result = apply_retention(NOW, uow=services.uow(), vault_days=30)
        assert (result.vault_entries_shortened, result.vault_entries_deleted) == (1, 0)
        assert vault_expiry(services, key) == NOW + timedelta(days=30)
        later = NOW + timedelta(days=30)
        assert apply_retention(later, uow=services.uow(), vault_days=30).vault_entries_deleted == 1
        assert vault_expiry(services, key) is None

    def test_numbers_she_wrote_are_deleted_when_their_time_is_up(self, services: Services) -> None:
        report(services, "ARM Yei call 0955 123 456", received_at=NOW - timedelta(days=90))  # expires now
        report(services, "ARM Yei call 0977 654 321", received_at=NOW - timedelta(days=10))
        result = apply_retention(NOW, uow=services.uow(), vault_days=30)
        assert (result.vault_entries_deleted, result.vault_entries_shortened) == (1, 1)
        with services.uow() as uow:
            [kept] = uow.session.scalars(select(BodyNumber)).all()
            assert services.vault.open(kept.ciphertext) == "+211977654321"
            assert kept.expires_at == NOW + timedelta(days=30)

    def test_a_new_report_pushes_her_vault_expiry_back(self, services: Services) -> None:
        key = callback_monitor(services, NOW - timedelta(days=60))
        report(services, "ARM Yei armed men", reporter_key=key, received_at=NOW - timedelta(days=1))
        expiry = vault_expiry(services, key)
        assert expiry is not None
        assert expiry >= NOW + timedelta(days=89)


class TestRuns:
    def test_each_run_that_changes_something_leaves_one_audit_event_with_counts_only(
        self, services: Services
    ) -> None:
        processed(services, timedelta(days=31))
        processed(services, timedelta(days=45))
        key = callback_monitor(services, NOW - timedelta(days=95))

        apply_retention(NOW, uow=services.uow())

        [event] = audit_events(services)
        assert (event["actor"], event["action"]) == ("system:retention", "retention.apply")
        assert event["details"] == {
            "messages_erased": 2,
            "messages_received_before": (NOW - timedelta(days=30)).isoformat(),
            "raw_message_days": 30,
            "vault_entries_deleted": 1,
            "vault_entries_shortened": 0,
            "vault_expires_by": (NOW + timedelta(days=90)).isoformat(),
            "vault_days": 90,
        }
        recorded = json.dumps(event)
        assert "Yei" not in recorded
        assert "912345678" not in recorded
        assert key[:12] not in recorded
        with services.uow() as uow:
            assert verify_chain(uow.session) is None

    def test_a_second_run_at_the_same_time_changes_nothing(self, services: Services) -> None:
        old = processed(services, timedelta(days=31))
        callback_monitor(services, NOW - timedelta(days=95))
        callback_monitor(services, NOW - timedelta(days=5))
        apply_retention(NOW, uow=services.uow(), vault_days=60)
        snapshot = stored(services, old).content, audit_events(services)

        assert apply_retention(NOW, uow=services.uow(), vault_days=60) == RetentionResult()
        assert (stored(services, old).content, audit_events(services)) == snapshot

    def test_a_dry_run_counts_what_a_run_then_does_and_changes_nothing(self, services: Services) -> None:
        old = processed(services, timedelta(days=31))
        message(services, timedelta(days=31))  # still waiting: neither counted nor erased
        callback_monitor(services, NOW - timedelta(days=95))

        due = retention_due(NOW, uow=services.uow())

        assert due == RetentionResult(messages_erased=1, vault_entries_deleted=1)
        assert stored(services, old).content["text"] == NARRATIVE
        assert audit_events(services) == []
        assert apply_retention(NOW, uow=services.uow()) == due


class TestScheduledJob:
    def test_the_scheduler_runs_retention_on_the_maintenance_queue(
        self, app: Flask, services: Services
    ) -> None:
        now = utcnow()  # the worker reads the real clock: age the data instead
        old = message(services, timedelta(days=31), status="processed", now=now)
        scheduler = cron_scheduler(services.queues.connection)
        [job] = [j for j in scheduler.get_jobs() if j.func_name == "app.jobs.enforce_retention"]
        assert job.queue_name == "maintenance"

        scheduler.enqueue_jobs()  # interval jobs fall due at once, then every interval
        assert drain(app)

        assert stored(services, old).content.keys() == {"erased_at"}
        assert [e["details"]["messages_erased"] for e in audit_events(services)] == [1]

    def test_the_command_shows_counts_and_a_dry_run_erases_nothing(
        self, app: Flask, services: Services
    ) -> None:
        old = message(services, timedelta(days=31), status="processed", now=utcnow())

        def dalili(*args: str) -> str:
            result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
            assert result.exit_code == 0, result.output
            return result.output

        assert dalili("retention", "run", "--dry-run") == (
            "would erase 1 raw message(s), delete 0 expired vault entr(ies), shorten 0 to DALILI_VAULT_DAYS\n"
        )
        assert stored(services, old).payload != {}
        assert dalili("retention", "run").startswith("erased 1 raw message(s), deleted 0")
        assert stored(services, old).payload == {}
        assert dalili("retention", "run").startswith("erased 0 raw message(s)")
