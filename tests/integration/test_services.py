"""The alerts use cases on each backend: SQLite (embedded) and PostgreSQL, through the same code."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from alerts.audit.trail import verify_chain
from alerts.errors import InvalidValue, NotPermitted
from alerts.incidents.reports import change_incident_status, list_reports
from alerts.incidents.workflow import InvalidTransition
from alerts.intake.services import process_inbound, record_inbound
from alerts.messages import RecordInbound, Viewer
from alerts.models import AuditEvent, InboundMessage, Incident, Report, Reporter, utcnow
from alerts.triage.classify import Classification
from app.bootstrap import Services
from geo.geocoder import Candidate, Resolution
from geo.types import PlaceOption
from tests.factories import add_reporter, inbound, random_sid, report

pytestmark = pytest.mark.integration


def _command(sid: str, key: str = "k" * 64) -> RecordInbound:
    return RecordInbound(
        provider="twilio",
        channel="sms",
        provider_message_id=sid,
        received_at=utcnow(),
        reporter_key=key,
        content={"text": "SXV Bentiu"},
        payload={"MessageSid": sid},
    )


class TestRecordInbound:
    def test_a_message_is_stored_once_however_often_it_is_delivered(self, services: Services) -> None:
        sid = random_sid()
        first = record_inbound(_command(sid), uow=services.uow(), seal=services.number_seal)
        again = record_inbound(_command(sid), uow=services.uow(), seal=services.number_seal)
        assert first.created
        assert not again.created
        assert again.inbound_id == first.inbound_id
        with services.uow() as uow:
            assert uow.session.scalar(
                select(InboundMessage.id).where(InboundMessage.provider_message_id == sid)
            )
            assert len(uow.session.scalars(select(InboundMessage)).all()) == 1

    def test_an_unknown_sender_becomes_an_unregistered_reporter(self, services: Services) -> None:
        record_inbound(_command(random_sid(), key="u" * 64), uow=services.uow(), seal=services.number_seal)
        with services.uow() as uow:
            reporter = uow.session.get(Reporter, "u" * 64)
            assert reporter is not None
            assert not reporter.registered
            assert reporter.reliability == "F"


class TestProcessInbound:
    def test_a_coded_sms_becomes_a_report_and_an_incident(self, services: Services) -> None:
        key = add_reporter(services, country="SS", language="en")
        received = utcnow() - timedelta(minutes=3)
        report_id = report(services, "SXV Yei they took two girls", reporter_key=key, received_at=received)
        with services.uow() as uow:
            stored = uow.session.get(Report, report_id)
            assert stored is not None
            incident = uow.session.get(Incident, stored.incident_id)
            assert incident is not None
            assert (stored.category, stored.priority, stored.language) == ("SXV", "P1", "en")
            assert (stored.place_name, stored.precision) == ("Yei", 1)
            assert (incident.category, incident.status, incident.country) == ("SXV", "received", "SS")
            assert incident.restricted
            assert incident.deadline_at == received + timedelta(minutes=15)
            assert len(stored.ref) == 5

    def test_a_report_from_an_unknown_number_is_kept_and_marked_unregistered(
        self, services: Services
    ) -> None:
        with services.uow() as uow:
            stored = uow.session.get(Report, report(services, "ATK Juba"))
            assert stored is not None
            assert stored.flags["unregistered_sender"] is True

    def test_a_place_nobody_can_pin_down_keeps_its_candidates_for_the_reviewer(
        self, services: Services
    ) -> None:
        class Undecided:
            """Two villages called Majok, and nothing in the text to choose between them."""

            def resolve(self, text: str, country: str | None, **_: str | None) -> Resolution:
                return Resolution(
                    None,
                    tuple(
                        Candidate("Majok", "SS", lon, 8.5, "village", 1.0, "majok", "exact")
                        for lon in (27.1, 28.9)
                    ),
                )

            def locate(self, lon: float, lat: float) -> None:
                return None

            def search(self, text: str, country: str | None, *, limit: int = 10) -> list[PlaceOption]:
                return []

            def area(self, pcode: str) -> None:
                return None

        inbound_id = inbound(services, "ATK Majok")
        report_id = process_inbound(
            inbound_id,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            classifier=services.classifier,
            geocoder=Undecided(),
        )
        with services.uow() as uow:
            stored = uow.session.get(Report, report_id)
            assert stored is not None
            assert stored.place_name is None
            assert stored.flags["place_unresolved"] is True
            assert [c["lon"] for c in stored.flags["place_candidates"]] == [27.1, 28.9]

    def test_text_without_any_place_is_kept_for_a_reviewer_to_place(self, services: Services) -> None:
        with services.uow() as uow:
            stored = uow.session.get(Report, report(services, "they came at night"))
            assert stored is not None
            assert (stored.place_name, stored.lon, stored.precision) == (None, None, None)
            assert stored.flags["place_unresolved"] is True

    def test_triage_is_idempotent(self, services: Services) -> None:
        inbound_id = inbound(services, "4 Bor armed men")
        first = process_inbound(
            inbound_id,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            classifier=services.classifier,
            geocoder=services.geocoder,
        )
        again = process_inbound(
            inbound_id,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            classifier=services.classifier,
            geocoder=services.geocoder,
        )
        assert first == again
        with services.uow() as uow:
            assert len(uow.session.scalars(select(Report)).all()) == 1
            assert len(uow.session.scalars(select(Incident)).all()) == 1
            assert uow.session.get(InboundMessage, inbound_id).status == "processed"  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        "words", ["une langue que personne ne connait", "Sango: zo so a yeke", "؟؟؟", ""]
    )
    def test_unreadable_or_unknown_text_is_kept_as_other_for_review(
        self, services: Services, words: str
    ) -> None:
        report_id = report(services, words)
        with services.uow() as uow:
            stored = uow.session.get(Report, report_id)
            assert stored is not None
            assert (stored.category, stored.priority) == ("OTH", "P3")
            assert stored.flags.get("empty", False) is (words == "")

    def test_a_location_pin_wins_over_a_place_name(self, services: Services) -> None:
        report_id = report(services, "FIG Juba", content={"lat": 9.2333, "lon": 29.7833})
        with services.uow() as uow:
            stored = uow.session.get(Report, report_id)
            assert stored is not None
            assert (stored.lat, stored.lon, stored.precision, stored.place_name) == (9.2333, 29.7833, 1, None)

    def test_a_flag_outside_its_closed_set_is_never_stored(self, services: Services) -> None:
        """R4 where it matters, at storage: a flag value outside its closed set (here from a faulty
        classifier) stops triage; no report is stored and the message waits, unprocessed, for a fix."""

        def faulty(text: str, **kwargs: Any) -> Classification:
            result = services.classifier(text, **kwargs)
            return replace(result, flags=result.flags | {"harm_type": "verbal"})

        inbound_id = inbound(services, "ATK Bentiu shooting now", reporter_key=add_reporter(services))
        with pytest.raises(InvalidValue, match="flag harm_type: 'verbal' is not allowed"):
            process_inbound(
                inbound_id,
                uow=services.uow(),
                taxonomy=services.taxonomy,
                classifier=faulty,  # type: ignore[arg-type]
                geocoder=services.geocoder,
            )
        with services.uow() as uow:
            assert uow.session.scalars(select(Report)).all() == []
            assert uow.session.scalars(select(InboundMessage.status)).all() == ["received"]


def _viewer(role: str, networks: frozenset[int] = frozenset()) -> Viewer:
    return Viewer(1, f"{role}@test", role, networks)


class TestListReports:
    @pytest.mark.parametrize(
        ("role", "sees_text", "sees_key"),
        [
            ("triage_reviewer", True, True),
            ("wpa_crsv_focal", True, True),
            ("joc_officer", False, False),
            ("protection_analyst", False, False),
        ],
    )
    def test_narratives_and_pseudonyms_only_for_roles_that_may_see_them(
        self, services: Services, role: str, sees_text: bool, sees_key: bool
    ) -> None:
        report_id = report(services, "ARM Wau armed men at the bridge")
        _verify(services, report_id)
        [view] = list_reports(_viewer(role), uow=services.uow(), taxonomy=services.taxonomy)
        assert ("text" in view) is sees_text
        assert ("reporter_key" in view) is sees_key

    def test_only_the_crsv_focal_point_reads_sexual_violence_narratives_and_positions(
        self, services: Services
    ) -> None:
        report(services, "SXV Yei girls taken", content={"lat": 4.09, "lon": 30.68})
        [reviewer] = list_reports(_viewer("triage_reviewer"), uow=services.uow(), taxonomy=services.taxonomy)
        [focal] = list_reports(_viewer("wpa_crsv_focal"), uow=services.uow(), taxonomy=services.taxonomy)
        assert "text" not in reviewer
        assert reviewer["lon"] is None
        assert reviewer["lat"] is None
        assert focal["text"] == "SXV Yei girls taken"
        assert focal["lon"] == 30.68

    def test_a_coordinator_sees_only_her_networks_reports(self, services: Services) -> None:
        mine = add_reporter(services, network="mine")
        report(services, "TEN Bor rumours", reporter_key=add_reporter(services, network="theirs"))
        own_id = report(services, "TEN Bor rumours", reporter_key=mine)
        with services.uow() as uow:
            network_id = uow.session.get(Report, own_id).network_id  # type: ignore[union-attr]
        views = list_reports(
            _viewer("network_coordinator", frozenset({network_id})),  # type: ignore[arg-type]
            uow=services.uow(),
            taxonomy=services.taxonomy,
        )
        assert [v["id"] for v in views] == [own_id]

    def test_joc_officers_see_verified_incidents_only(self, services: Services) -> None:
        report(services, "FIG Malakal gunfire")
        verified = report(services, "FIG Malakal gunfire again")
        _verify(services, verified)
        views = list_reports(_viewer("joc_officer"), uow=services.uow(), taxonomy=services.taxonomy)
        assert [v["id"] for v in views] == [verified]

    def test_training_reports_never_mix_with_operational_ones(self, services: Services) -> None:
        report(services, "ATK Juba", training=True)
        assert list_reports(_viewer("triage_reviewer"), uow=services.uow(), taxonomy=services.taxonomy) == []

    def test_pages_are_newest_first_and_keyset_paginated(self, services: Services) -> None:
        ids = [report(services, f"PCE Yei market {i}") for i in range(5)]
        viewer = _viewer("triage_reviewer")
        first = list_reports(viewer, uow=services.uow(), taxonomy=services.taxonomy, limit=2)
        second = list_reports(
            viewer, uow=services.uow(), taxonomy=services.taxonomy, limit=2, before_id=first[-1]["id"]
        )
        assert [v["id"] for v in first + second] == ids[::-1][:4]

    def test_roles_without_report_access_and_silly_limits_are_refused(self, services: Services) -> None:
        with pytest.raises(NotPermitted):
            list_reports(_viewer("admin"), uow=services.uow(), taxonomy=services.taxonomy)
        with pytest.raises(InvalidValue):
            list_reports(_viewer("triage_reviewer"), uow=services.uow(), taxonomy=services.taxonomy, limit=0)


def _verify(services: Services, report_id: int) -> None:
    with services.uow() as uow:
        incident_id = uow.session.get(Report, report_id).incident_id  # type: ignore[union-attr]
    for step in ("under_review", "verified"):
        change_incident_status(incident_id, step, actor="officer@test", uow=services.uow())  # type: ignore[arg-type]


class TestIncidentWorkflowAndAudit:
    def test_each_transition_is_an_audit_event_in_an_intact_chain(self, services: Services) -> None:
        _verify(services, report(services, "ABD Bor"))
        with services.uow() as uow:
            events = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
            assert [e.details["to"] for e in events] == ["under_review", "verified"]
            assert events[1].prev_hash == events[0].hash
            assert verify_chain(uow.session) is None

    def test_an_invalid_transition_changes_nothing(self, services: Services) -> None:
        report_id = report(services, "ABD Bor")
        with services.uow() as uow:
            incident_id = uow.session.get(Report, report_id).incident_id  # type: ignore[union-attr]
        with pytest.raises(InvalidTransition):
            change_incident_status(incident_id, "closed", actor="x", uow=services.uow())  # type: ignore[arg-type]
        with services.uow() as uow:
            assert uow.session.get(Incident, incident_id).status == "received"  # type: ignore[union-attr]
            assert uow.session.scalars(select(AuditEvent)).all() == []

    @pytest.mark.parametrize(
        "statement", ["UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"]
    )
    def test_the_database_refuses_to_rewrite_the_audit_trail(
        self, services: Services, statement: str
    ) -> None:
        _verify(services, report(services, "ABD Bor"))
        with pytest.raises(DatabaseError, match="read-only"), services.engine.begin() as connection:
            connection.execute(text(statement))

    def test_a_forged_event_breaks_the_chain(self, services: Services) -> None:
        _verify(services, report(services, "ABD Bor"))
        with services.uow() as uow:
            last = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            assert last is not None
            forged = AuditEvent(
                actor="intruder",
                action="incident.transition",
                subject_type="incident",
                subject_id="1",
                details={"to": "closed"},
                prev_hash=last.hash,
                hash="f" * 64,  # written straight to the table, not through record_event
            )
            uow.session.add(forged)
            uow.commit()
            assert verify_chain(uow.session) == forged.id
