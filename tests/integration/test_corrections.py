"""Reviewers correct what triage got wrong (#16): each field, who may, the audit's before and
after, undo, sexual-violence safety, and what corrections teach (labelled examples, aliases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from alerts.accounts.users import create_user, viewer_of
from alerts.errors import InvalidValue, NotPermitted
from alerts.incidents.corrections import CorrectionRequest, correct, undo
from alerts.incidents.reports import change_incident_status
from alerts.incidents.review import incident_detail
from alerts.intake.aliases import decide_alias, list_aliases
from alerts.intake.services import incident_of_report
from alerts.messages import Viewer
from alerts.models import AuditEvent, Incident, LabelledExample, PlaceAlias, Report, User, utcnow
from app.bootstrap import Services
from tests.factories import add_reporter, report

pytestmark = pytest.mark.integration


def _viewer(services: Services, role: str) -> Viewer:
    email = f"{role}@example.org"
    with services.uow() as uow:
        exists = uow.session.scalar(select(User.id).where(User.email == email))
    if exists is None:
        create_user(email, role, None, uow=services.uow())
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return viewer_of(uow.session, user)


def _incident(services: Services, text: str) -> int:
    return incident_of_report(report(services, text), uow=services.uow())


def _correct(
    services: Services, incident_id: int, viewer: Viewer, field: str, value: Any, **kw: str
) -> dict[str, Any]:
    return correct(
        incident_id,
        CorrectionRequest(field, value, **kw),
        viewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        places=services.geocoder,
        now=utcnow(),
    )


def _detail(services: Services, incident_id: int, viewer: Viewer) -> dict[str, Any]:
    return incident_detail(incident_id, viewer, uow=services.uow(), taxonomy=services.taxonomy)


def _incident_row(services: Services, incident_id: int) -> Incident:
    with services.uow() as uow:
        row = uow.session.get(Incident, incident_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def _events(services: Services, incident_id: int, action: str) -> list[dict[str, Any]]:
    """The details of the incident's audit events of one action."""
    with services.uow() as uow:
        return list(
            uow.session.scalars(
                select(AuditEvent.details).where(
                    AuditEvent.subject_id == str(incident_id), AuditEvent.action == action
                )
            )
        )


class TestEachField:
    def test_a_category_correction_is_audited_with_before_and_after_and_relabels_the_reports(
        self, services: Services
    ) -> None:
        incident_id = _incident(services, "armed men attacked the market in Yei")
        reviewer = _viewer(services, "triage_reviewer")
        done = _correct(services, incident_id, reviewer, "category", "FIG", reason="two armed groups")
        assert done["details"]["before"]["category"] == "ATK"
        assert done["details"]["after"] == {"category": "FIG", "restricted": False}
        assert _incident_row(services, incident_id).category == "FIG"
        (event,) = _events(services, incident_id, "incident.correct")
        assert event["field"] == "category"
        assert event["reason"] == "two armed groups"
        with services.uow() as uow:
            example = uow.session.scalar(select(LabelledExample))
            assert example is not None
            assert (example.triage_category, example.category, example.labelled_by) == (
                "ATK",
                "FIG",
                reviewer.email,
            )
            assert uow.session.scalar(select(Report.category)) == "FIG"

    def test_flags_are_checked_against_their_closed_sets(self, services: Services) -> None:
        incident_id = _incident(services, "armed men attacked the market in Yei")
        reviewer = _viewer(services, "triage_reviewer")
        done = _correct(
            services, incident_id, reviewer, "flags", {"women_targeted": True, "perpetrator_type": "militia"}
        )
        assert done["details"]["after"] == {"women_targeted": True, "perpetrator_type": "militia"}
        with pytest.raises(InvalidValue, match="perpetrator_type"):
            _correct(services, incident_id, reviewer, "flags", {"perpetrator_type": "aliens"})
        with pytest.raises(InvalidValue, match="structured cannot be corrected"):
            _correct(services, incident_id, reviewer, "flags", {"structured": True})

    def test_a_priority_needs_a_reason_and_lowering_gives_the_new_priority_s_deadline(
        self, services: Services
    ) -> None:
        incident_id = _incident(services, "ATK they are shooting now in Yei")
        reviewer = _viewer(services, "triage_reviewer")
        with pytest.raises(InvalidValue, match="say why"):
            _correct(services, incident_id, reviewer, "priority", "P3")
        before = _incident_row(services, incident_id)
        _correct(services, incident_id, reviewer, "priority", "P3", reason="it was last month")
        after = _incident_row(services, incident_id)
        assert (before.priority, after.priority) == ("P1", "P3")
        assert after.deadline_at > before.deadline_at
        _correct(services, incident_id, reviewer, "priority", "P1", reason="new shooting")
        assert _incident_row(services, incident_id).deadline_at <= after.deadline_at

    def test_the_time_it_happened_is_zoned_and_not_in_the_future(self, services: Services) -> None:
        incident_id = _incident(services, "armed men attacked the market in Yei")
        reviewer = _viewer(services, "triage_reviewer")
        when = (utcnow() - timedelta(days=2)).replace(microsecond=0)
        _correct(services, incident_id, reviewer, "occurred_at", when.isoformat())
        assert _detail(services, incident_id, reviewer)["occurred_at"] == when.isoformat()
        with pytest.raises(InvalidValue, match="time zone"):
            _correct(services, incident_id, reviewer, "occurred_at", "2026-01-01T10:00:00")
        with pytest.raises(InvalidValue, match="future"):
            _correct(
                services, incident_id, reviewer, "occurred_at", (utcnow() + timedelta(days=1)).isoformat()
            )

    def test_a_place_clicked_on_the_map_moves_the_point_and_its_cells(self, services: Services) -> None:
        incident_id = _incident(services, "armed men attacked the market in Yei")
        reviewer = _viewer(services, "triage_reviewer")
        _correct(services, incident_id, reviewer, "place", {"how": "map", "lon": 31.6, "lat": 4.85})
        row = _incident_row(services, incident_id)
        assert (row.lon, row.lat, row.precision) == (31.6, 4.85, 1)
        assert row.h3_r7 is not None
        assert row.h3_r7 != ""
        with pytest.raises(InvalidValue, match="longitude and latitude"):
            _correct(services, incident_id, reviewer, "place", {"how": "map", "lon": 200, "lat": 4})
        with pytest.raises(InvalidValue, match=r"place\.name is needed"):
            _correct(services, incident_id, reviewer, "place", {"how": "search", "lon": 31, "lat": 4})

    def test_nothing_to_correct_is_refused(self, services: Services) -> None:
        incident_id = _incident(services, "armed men attacked the market in Yei")
        with pytest.raises(InvalidValue, match="already"):
            _correct(services, incident_id, _viewer(services, "triage_reviewer"), "category", "ATK")

    def test_an_undo_puts_the_values_back_as_a_new_correction(self, services: Services) -> None:
        incident_id = _incident(services, "armed men attacked the market in Yei")
        reviewer = _viewer(services, "triage_reviewer")
        moved = _incident_row(services, incident_id)
        first = _correct(services, incident_id, reviewer, "place", {"how": "map", "lon": 30.0, "lat": 7.0})
        back = undo(
            first["id"],
            reviewer,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            places=services.geocoder,
            now=utcnow(),
        )
        assert back["undoes"] == first["id"]
        row = _incident_row(services, incident_id)
        assert (row.lon, row.lat, row.place_name) == (moved.lon, moved.lat, moved.place_name)
        assert [c["field"] for c in _detail(services, incident_id, reviewer)["corrections"]] == [
            "place",
            "place",
        ]


class TestWhoMayCorrect:
    @pytest.mark.parametrize(
        ("role", "field", "value", "allowed"),
        [
            ("triage_reviewer", "category", "FIG", True),
            ("wpa_crsv_focal", "category", "FIG", True),
            ("joc_officer", "category", "FIG", False),
            ("joc_officer", "priority", "P4", True),
            ("joc_officer", "place", {"how": "map", "lon": 31.0, "lat": 5.0}, True),
            ("protection_analyst", "place", {"how": "map", "lon": 31.0, "lat": 5.0}, False),
            ("network_coordinator", "category", "FIG", False),
            ("auditor", "category", "FIG", False),
            ("admin", "category", "FIG", False),
        ],
    )
    def test_each_role_corrects_only_what_her_role_allows(
        self, services: Services, role: str, field: str, value: Any, allowed: bool
    ) -> None:
        incident_id = _incident(services, "armed men attacked the market in Yei")
        for step in ("under_review", "verified"):  # verified, so verified-only roles see it
            change_incident_status(incident_id, step, actor="r@example.org", uow=services.uow())
        viewer = _viewer(services, role)
        if allowed:
            _correct(services, incident_id, viewer, field, value, reason="patrol report")
        else:
            with pytest.raises(NotPermitted):
                _correct(services, incident_id, viewer, field, value, reason="patrol report")


class TestSexualViolenceSafety:
    def test_a_correction_to_sexual_violence_hides_the_narrative_at_once_and_names_who_read_it(
        self, services: Services
    ) -> None:
        incident_id = _incident(services, "armed men attacked the market in Yei")
        reviewer = _viewer(services, "triage_reviewer")
        assert _detail(services, incident_id, reviewer)["reports"][0]["text"]
        _correct(services, incident_id, reviewer, "category", "SXV", reason="she told the WPA")
        seen = _detail(services, incident_id, reviewer)
        assert seen["narrative_visible"] is False
        assert "text" not in seen["reports"][0]
        assert seen["correctable"] == ()
        (event,) = _events(services, incident_id, "incident.correct")
        assert event["read_before"] == [reviewer.email]
        history = [e for e in seen["history"] if e["action"] == "incident.correct"]
        assert "before" not in history[0]["details"]
        assert "reason" not in history[0]["details"]
        with pytest.raises(NotPermitted, match="CRSV focal point"):  # away from SXV is hers alone
            _correct(services, incident_id, reviewer, "category", "ATK")
        focal = _viewer(services, "wpa_crsv_focal")
        assert _detail(services, incident_id, focal)["reports"][0]["text"]
        _correct(services, incident_id, focal, "category", "ATK", reason="not sexual violence")
        assert _incident_row(services, incident_id).restricted is False

    def test_a_sexual_violence_cue_restricts_until_the_focal_point_clears_it(
        self, services: Services
    ) -> None:
        incident_id = _incident(services, "armed men looted the market in Yei and touched a girl")
        row = _incident_row(services, incident_id)
        assert row.category == "LOT"  # a weak word: a cue, not the category
        assert row.restricted is True
        reviewer = _viewer(services, "triage_reviewer")
        with pytest.raises(NotPermitted):
            _correct(services, incident_id, reviewer, "restriction", "cleared", reason="no")
        focal = _viewer(services, "wpa_crsv_focal")
        _correct(services, incident_id, focal, "restriction", "cleared", reason="the cue was about a film")
        assert _incident_row(services, incident_id).restricted is False
        assert _detail(services, incident_id, reviewer)["reports"][0]["text"]

    def test_a_sexual_violence_incident_cannot_be_cleared_without_changing_its_category(
        self, services: Services
    ) -> None:
        incident_id = _incident(services, "SXV Yei")
        with pytest.raises(InvalidValue, match="correct its category first"):
            _correct(
                services,
                incident_id,
                _viewer(services, "wpa_crsv_focal"),
                "restriction",
                "cleared",
                reason="x",
            )


class TestTeaching:
    def test_a_corrected_place_proposes_an_alias_the_geocoder_uses_once_approved(
        self, services: Services
    ) -> None:
        incident_id = _incident(services, "ATK shooting at Kulu Kulu junction")
        reviewer = _viewer(services, "triage_reviewer")
        _correct(
            services,
            incident_id,
            reviewer,
            "place",
            {"how": "search", "name": "Morobo", "lon": 30.77, "lat": 3.69, "country": "SS"},
            place_words="Kulu Kulu junction",
        )
        admin = _viewer(services, "admin")
        (proposed,) = list_aliases(admin, uow=services.uow())
        assert (proposed["typed"], proposed["place_name"]) == ("Kulu Kulu junction", "Morobo")
        with pytest.raises(NotPermitted):
            decide_alias(proposed["id"], "approve", reviewer, uow=services.uow(), now=utcnow())
        decide_alias(proposed["id"], "approve", admin, uow=services.uow(), now=utcnow())
        again = _incident_row(
            services, _incident(services, "ATK more shooting near kulu kulu junction today")
        )
        assert (again.place_name, again.lon, again.lat) == ("Morobo", 30.77, 3.69)
        with services.uow() as uow:
            assert uow.session.scalar(select(PlaceAlias.status)) == "approved"

    def test_a_labelled_example_has_the_language_of_her_words_not_of_her_profile(
        self, services: Services
    ) -> None:
        english_profile = add_reporter(services, language="en")
        text = "des hommes armés ont pillé le marché de Yei"
        incident_id = incident_of_report(
            report(services, text, reporter_key=english_profile), uow=services.uow()
        )
        _correct(services, incident_id, _viewer(services, "triage_reviewer"), "category", "ATK")
        with services.uow() as uow:
            assert uow.session.scalar(select(LabelledExample.language)) == "fr"
