"""The contact vault's one human reader, on both backends: only the contact officer lists and reads
it (R29), every read is one audit event with its reason and no number (R30), and withdrawn, expired
or unconsented contacts are never shown (R28, R31, R33)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from alerts.accounts.users import create_user, viewer_of
from alerts.audit.trail import verify_chain
from alerts.errors import InvalidValue, NotPermitted
from alerts.messages import Viewer
from alerts.models import AuditEvent, ContactVaultEntry, User, utcnow
from alerts.reporters.callbacks import (
    NoContactKept,
    contact_reference,
    list_callbacks,
    record_callback,
    reveal_contact,
)
from alerts.reporters.contacts import withdraw
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import ROLES
from app.bootstrap import Services
from tests.factories import callback_monitor, report

pytestmark = pytest.mark.integration

NUMBER = "+211912345678"
OTHER_NUMBER = "+236721234567"


def _viewer(services: Services, role: str, *, countries: tuple[str, ...] = ()) -> Viewer:
    email = f"{role}-{'-'.join(countries) or 'all'}@example.org".lower()
    create_user(email, role, None, uow=services.uow(), countries=countries)
    with services.uow() as uow:
        user = uow.session.scalars(select(User).where(User.email == email)).one()
        return viewer_of(uow.session, user)


def _events(services: Services, action: str | None = None) -> list[AuditEvent]:
    with services.uow() as uow:
        query = select(AuditEvent).where(AuditEvent.action.like("vault.%")).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        events = list(uow.session.scalars(query))
        uow.session.expunge_all()
        return events


def _digit_windows(number: str, size: int = 6) -> set[str]:
    digits = number.lstrip("+")
    return {digits[i : i + size] for i in range(len(digits) - size + 1)}


def _assert_no_number(event: AuditEvent, number: str) -> None:
    """Not the number, and not six of its digits in a row, anywhere a person wrote or the service chose."""
    written = json.dumps([event.actor, event.subject_id, event.details], ensure_ascii=False)
    assert not {window for window in _digit_windows(number) if window in written}, written
    whole_row = json.dumps(
        [event.at.isoformat(), event.action, event.subject_type, event.prev_hash, event.hash, written]
    )
    assert number.lstrip("+") not in whole_row


def _reveal(services: Services, viewer: Viewer, reference: str, reason: str = "she beeped twice") -> str:
    return reveal_contact(viewer, reference, reason, uow=services.uow(), vault=services.vault, now=utcnow())


class TestWhoMayRead:
    def test_every_other_role_is_refused_and_each_attempt_on_a_number_is_audited(
        self, services: Services
    ) -> None:
        reference = contact_reference(callback_monitor(services, NUMBER))
        others = [role for role in ROLES if role != "contact_officer"]
        assert set(others) == set(ROLES) - {"contact_officer"}
        assert len(others) == 7
        for role in others:
            viewer = _viewer(services, role)
            with pytest.raises(NotPermitted):
                list_callbacks(viewer, uow=services.uow(), now=utcnow())
            with pytest.raises(NotPermitted):
                _reveal(services, viewer, reference)
            with pytest.raises(NotPermitted):
                record_callback(viewer, reference, "reached", uow=services.uow(), now=utcnow())
        refused = _events(services)
        assert [e.action for e in refused] == ["vault.read_refused"] * len(others)
        assert [(e.details["role"], e.details["refused"]) for e in refused] == [(r, "role") for r in others]
        assert all(e.subject_id == reference for e in refused)

    def test_only_the_contact_officer_reads_her_number(self, services: Services) -> None:
        reference = contact_reference(callback_monitor(services, NUMBER))
        assert _reveal(services, _viewer(services, "contact_officer"), reference) == NUMBER


class TestAudit:
    def test_each_read_writes_one_event_with_the_reason_and_no_number(self, services: Services) -> None:
        key = callback_monitor(services, NUMBER)
        reference = contact_reference(key)
        officer = _viewer(services, "contact_officer")
        for reason in ("she beeped twice", "follow-up on her report"):
            assert _reveal(services, officer, reference.lower(), reason) == NUMBER
        reads = _events(services, "vault.read")
        assert [(e.actor, e.subject_type, e.subject_id) for e in reads] == [
            (officer.email, "contact", reference)
        ] * 2
        assert [e.details for e in reads] == [
            {"reason": "she beeped twice"},
            {"reason": "follow-up on her report"},
        ]
        for event in reads:
            _assert_no_number(event, NUMBER)
            assert key not in json.dumps(event.details)
            assert event.subject_id not in key
        with services.uow() as uow:
            assert verify_chain(uow.session) is None

    def test_a_number_typed_into_the_reason_is_not_kept(self, services: Services) -> None:
        reference = contact_reference(callback_monitor(services, NUMBER))
        officer = _viewer(services, "contact_officer")
        _reveal(services, officer, reference, "checking 0912 345 678 and +211-912-345-678 is hers")
        (event,) = _events(services, "vault.read")
        assert event.details == {"reason": "checking … and … is hers"}
        _assert_no_number(event, NUMBER)

    def test_a_reason_is_required_and_nothing_is_read_without_one(self, services: Services) -> None:
        reference = contact_reference(callback_monitor(services, NUMBER))
        with pytest.raises(InvalidValue, match="why"):
            _reveal(services, _viewer(services, "contact_officer"), reference, "   ")
        assert _events(services) == []

    def test_no_number_comes_back_when_its_audit_event_cannot_be_written(self, services: Services) -> None:
        reference = contact_reference(callback_monitor(services, NUMBER))

        class AuditLost(UnitOfWork):
            def commit(self) -> None:
                raise OperationalError("COMMIT", {}, Exception("disk full"))

        with pytest.raises(OperationalError):
            reveal_contact(
                _viewer(services, "contact_officer"),
                reference,
                "she beeped",
                uow=AuditLost(services.session_factory),
                vault=services.vault,
                now=utcnow(),
            )
        assert _events(services) == []


class TestNoContactKept:
    def test_a_withdrawn_monitor_has_no_number_and_the_attempt_is_audited(self, services: Services) -> None:
        key = callback_monitor(services, NUMBER)
        officer = _viewer(services, "contact_officer")
        withdraw(key, uow=services.uow(), now=utcnow())
        with pytest.raises(NoContactKept):
            _reveal(services, officer, contact_reference(key))
        assert list_callbacks(officer, uow=services.uow(), now=utcnow()).items == []
        (event,) = _events(services)
        assert (event.action, event.details["refused"]) == ("vault.read_refused", "no_contact")
        with pytest.raises(NoContactKept):
            record_callback(officer, contact_reference(key), "reached", uow=services.uow(), now=utcnow())

    def test_an_expired_entry_is_neither_listed_nor_read(self, services: Services) -> None:
        key = callback_monitor(services, NUMBER, now=utcnow() - timedelta(days=100))
        officer = _viewer(services, "contact_officer")
        assert list_callbacks(officer, uow=services.uow(), now=utcnow()).items == []
        with pytest.raises(NoContactKept):
            _reveal(services, officer, contact_reference(key))

    def test_without_consent_nothing_is_kept_or_shown(self, services: Services) -> None:
        key = callback_monitor(services, NUMBER, call_backs=False)
        with services.uow() as uow:
            assert uow.session.get(ContactVaultEntry, key) is None
        officer = _viewer(services, "contact_officer")
        assert list_callbacks(officer, uow=services.uow(), now=utcnow()).items == []
        with pytest.raises(NoContactKept):
            _reveal(services, officer, contact_reference(key))
        with pytest.raises(NoContactKept):
            _reveal(services, officer, "NOSUCHREF1")


class TestList:
    def test_a_row_is_pseudonymous_and_says_what_a_call_back_needs(self, services: Services) -> None:
        key = callback_monitor(services, NUMBER, language="ar")
        report(services, "2 Bentiu armed men", reporter_key=key)
        report(services, "", reporter_key=key, content={"missed_call": True})
        report(services, "training", reporter_key=key, training=True)  # a rehearsal is no report
        officer = _viewer(services, "contact_officer")
        (item,) = list_callbacks(officer, uow=services.uow(), now=utcnow()).items
        assert item["reference"] == contact_reference(key)
        assert len(item["reference"]) == 10
        assert not key.upper().startswith(item["reference"])
        assert item["reference"].lower() not in key
        assert item["network"].startswith("network-")
        assert item["language"] == "ar"
        assert item["reports"] == 2
        assert item["missed_call_at"] is not None
        assert item["last_contact_at"] is not None
        assert item["expires_at"] > utcnow().isoformat()
        assert item["last_call_at"] is None
        assert item["stopped_messages"] is False
        assert not [window for window in _digit_windows(NUMBER) if window in json.dumps(item)]

    def test_a_call_back_that_reached_her_answers_the_missed_call(self, services: Services) -> None:
        key = callback_monitor(services, NUMBER)
        report(services, "", reporter_key=key, content={"missed_call": True})
        officer = _viewer(services, "contact_officer")
        reference = contact_reference(key)
        record_callback(officer, reference, "no_answer", uow=services.uow(), now=utcnow())
        (item,) = list_callbacks(officer, uow=services.uow(), now=utcnow()).items
        assert item["missed_call_at"] is not None
        assert item["last_call_outcome"] == "no_answer"
        record_callback(officer, reference, "reached", uow=services.uow(), now=utcnow())
        (item,) = list_callbacks(officer, uow=services.uow(), now=utcnow()).items
        assert item["missed_call_at"] is None
        assert item["last_call_outcome"] == "reached"
        report(services, "", reporter_key=key, content={"missed_call": True})
        (item,) = list_callbacks(officer, uow=services.uow(), now=utcnow()).items
        assert item["missed_call_at"] is not None  # a new beep after the call waits again
        with pytest.raises(InvalidValue):
            record_callback(officer, reference, "maybe", uow=services.uow(), now=utcnow())

    def test_latest_contact_first_a_page_at_a_time(self, services: Services) -> None:
        quiet = callback_monitor(services, NUMBER)
        recent = callback_monitor(services, OTHER_NUMBER)
        report(services, "2 Bentiu armed men", reporter_key=recent)
        officer = _viewer(services, "contact_officer")
        first = list_callbacks(officer, uow=services.uow(), now=utcnow(), per_page=1)
        assert [i["reference"] for i in first.items] == [contact_reference(recent)]
        assert first.next_page == 2
        second = list_callbacks(officer, uow=services.uow(), now=utcnow(), page=2, per_page=1)
        assert [i["reference"] for i in second.items] == [contact_reference(quiet)]
        assert second.next_page is None
        with pytest.raises(InvalidValue):
            list_callbacks(officer, uow=services.uow(), now=utcnow(), page=0)

    def test_an_officer_sees_and_reads_only_the_countries_she_works_on(self, services: Services) -> None:
        south_sudan = callback_monitor(services, NUMBER, country="SS")
        car = callback_monitor(services, OTHER_NUMBER, country="CF")
        officer = _viewer(services, "contact_officer", countries=("CF",))
        items = list_callbacks(officer, uow=services.uow(), now=utcnow()).items
        assert [i["reference"] for i in items] == [contact_reference(car)]
        with pytest.raises(NoContactKept):
            _reveal(services, officer, contact_reference(south_sudan))
        assert _reveal(services, officer, contact_reference(car)) == OTHER_NUMBER
