"""The review API over HTTP, on both backends: the queue, a triage from received to closed, merges,
what each role may read, the verified feed for mission systems, and the OpenAPI document that
describes every /api/ endpoint (validated and complete; test_api_schema.py runs schemathesis on it)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from alerts.incidents.corroboration import suggest_duplicates
from alerts.intake.services import incident_of_report
from alerts.models import Incident, Reporter, utcnow
from app.api.incidents import openapi_document
from app.bootstrap import Services
from tests.conftest import bearer
from tests.factories import add_reporter, report

pytestmark = pytest.mark.integration

JUBA = {"lon": 31.58, "lat": 4.85}
SXV_NARRATIVE = "SXV they hurt a girl behind the water point at dawn"


def _incident(services: Services, text: str, **kwargs: Any) -> int:
    incident_id = incident_of_report(report(services, text, **kwargs), uow=services.uow())
    assert incident_id is not None
    return incident_id


def _act(client: FlaskClient, headers: dict[str, str], incident_id: int, **body: Any) -> Any:
    return client.post(f"/api/incidents/{incident_id}/transitions", headers=headers, json=body)


def _steps(detail: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (h["details"]["from"], h["details"]["to"])
        for h in detail["history"]
        if h["action"] == "incident.transition"
    ]


@pytest.fixture(scope="module")
def api_schema() -> Any:
    """The served document as schemathesis reads it, to check responses against."""
    return schemathesis.openapi.from_dict(openapi_document())


def _conforms(api_schema: Any, method: str, path: str, response: Any) -> None:
    api_schema[path][method].validate_response(response)


class TestAuthentication:
    def test_requests_without_a_token_get_401_on_every_endpoint(self, client: FlaskClient) -> None:
        for path, item in openapi_document()["paths"].items():
            url = re.sub(r"\{\w+_id\}", "1", path)
            for method in set(item) - {"parameters"}:
                if path == "/api/openapi.json":
                    continue
                response = client.open(url, method=method.upper(), json={})
                assert response.status_code == 401, (method, path)
                assert "Bearer" in response.json["error"]

    def test_a_revoked_or_unknown_token_gets_401(self, client: FlaskClient) -> None:
        response = client.get("/api/incidents", headers={"Authorization": "Bearer not-a-token"})
        assert (response.status_code, response.json) == (401, {"error": "unknown, expired or revoked token"})


class TestQueue:
    def test_the_queue_pages_through_with_the_cursor(self, client: FlaskClient, services: Services) -> None:
        made = [
            _incident(services, text)
            for text in ("MOV women cannot go to the market", "ATK shooting now", "ABD girls taken yesterday")
        ]
        headers, seen, after = bearer(services, "triage_reviewer"), [], ""
        for _ in range(3):
            page = client.get(f"/api/incidents?limit=1{after}", headers=headers).json
            seen += [item["id"] for item in page["incidents"]]
            if page["next"] is None:
                break
            after = f"&after={page['next']}"
        assert sorted(seen) == sorted(made)
        assert page["next"] is None
        assert seen[0] == made[1]  # the flash report first

    def test_awaiting_a_decision_comes_first_and_each_view_lists_its_own(
        self, client: FlaskClient, services: Services
    ) -> None:
        handled = _incident(services, "ATK they are shooting near the river")
        headers = bearer(services, "triage_reviewer")
        response = _act(client, headers, handled, action="verify", credibility=2)
        assert response.status_code == 200, response.json
        awaiting = _incident(services, "ATK they are shooting at the market")

        def ids(query: str) -> list[int]:
            response = client.get(f"/api/incidents?{query}", headers=headers)
            assert response.status_code == 200, response.json
            return [item["id"] for item in response.json["incidents"]]

        assert ids("limit=1") == [awaiting]  # the handled P1 is due sooner, and comes after
        assert ids("") == [awaiting, handled]
        assert ids("view=awaiting") == [awaiting]
        assert ids("view=handled") == [handled]
        assert ids("view=handled&status=verified") == [handled]

    def test_filters_narrow_the_queue(self, client: FlaskClient, services: Services) -> None:
        attack = _incident(services, "ATK shooting now")
        _incident(services, "MOV women cannot go to the market")
        headers = bearer(services, "triage_reviewer")
        by_category = client.get("/api/incidents?category=atk", headers=headers).json["incidents"]
        assert [i["id"] for i in by_category] == [attack]
        later = (utcnow() + timedelta(hours=1)).isoformat()
        response = client.get("/api/incidents", query_string={"since": later}, headers=headers)
        assert response.json == {"incidents": [], "next": None}

    BAD_QUERIES = (
        ("since=yesterday", "query parameter 'since' must be an ISO 8601 date and time with a timezone"),
        ("until=2025-05-01T06:00:00", "query parameter 'until' must be an ISO 8601 date and time with a"),
        ("since=0001-01-01T00:00:00%2B23:00", "query parameter 'since' must be an ISO 8601 date"),
        ("limit=0", "query parameter 'limit' must be a whole number 1-200"),
        ("limit=201", "query parameter 'limit' must be a whole number 1-200"),
        ("network=x", "query parameter 'network' must be a whole number of at least 1"),
        ("network=%C2%B2", "query parameter 'network' must be a whole number of at least 1"),
        ("country=SSD", "query parameter 'country' must be a two-letter country code"),
        ("category=XYZ", "query parameter 'category' must be one of ATK, SXV"),
        ("status=closed", "query parameter 'status' must be one of received, under_review"),
        ("queue=other", "query parameter 'queue' must be one of triage, election_process"),
        ("view=done", "query parameter 'view' must be one of awaiting, handled"),
        ("view=awaiting&status=verified", "status 'verified' is not in this view"),
        ("area=%00", "query parameter 'area' must be 1-100 characters without control characters"),
        ("sector=", "query parameter 'sector' must be 1-100 characters without control characters"),
        ("after=bm9wZQ==", "the page cursor is not one this server gave"),
        ("after=UDF8MjAyNS0wMS0wMVQwMDowMDowMHwx", "the page cursor is not one this server gave"),
        ("country=SS&country=ML", "query parameter 'country' must be given once"),
        ("colour=red", "unknown query parameter 'colour' (known: country, area, sector"),
    )

    def test_a_bad_query_parameter_is_a_400_that_names_it(
        self, client: FlaskClient, services: Services, subtests: pytest.Subtests
    ) -> None:
        headers = bearer(services, "triage_reviewer")
        for query, message in self.BAD_QUERIES:
            with subtests.test(query=query):
                response = client.get(f"/api/incidents?{query}", headers=headers)
                assert response.status_code == 400
                assert response.json["error"].startswith(message)


class TestTriageThroughTheApi:
    def test_a_triage_reviewer_takes_an_incident_from_received_to_verified_to_actioned_to_closed(
        self, client: FlaskClient, services: Services, api_schema: Any
    ) -> None:
        consenting = add_reporter(services)
        with services.uow() as uow:
            reporter = uow.session.get(Reporter, consenting)
            assert reporter is not None
            reporter.consent_followup = True
            uow.commit()
        incident = _incident(services, "ARM armed men near the school", reporter_key=consenting)
        headers = bearer(services, "triage_reviewer")
        steps = [
            ({"action": "start_review"}, "under_review"),
            ({"action": "verify", "credibility": 2, "reliability": "B"}, "verified"),
            ({"action": "actioned", "responder": "Bor TOB", "reference": "P-17"}, "response_dispatched"),
            ({"action": "close"}, "closed"),
        ]
        path = [("received", "under_review")]
        for body, status in steps:
            response = _act(client, headers, incident, **body)
            assert response.status_code == 200, response.json
            _conforms(api_schema, "POST", "/api/incidents/{incident_id}/transitions", response)
            detail = response.json
            if path[-1][1] != status:
                path.append((path[-1][1], status))
            assert (detail["status"], _steps(detail)) == (status, path)
        assert (detail["credibility"], detail["reports"][0]["reliability"]) == (2, "B")
        assert (detail["responder"], detail["action_ref"]) == ("Bor TOB", "P-17")
        follow_ups = services.queues.queues["notify"].job_ids
        assert any(job.startswith(f"follow-ups-passed_on-{incident}-") for job in follow_ups)

    def test_asking_for_information_assigning_and_escalating_are_recorded(
        self, client: FlaskClient, services: Services
    ) -> None:
        incident = _incident(services, "MOV women cannot go to the market")
        headers = bearer(services, "triage_reviewer")
        assert _act(client, headers, incident, action="request_information").status_code == 200
        assigned = _act(client, headers, incident, action="assign", email="triage_reviewer@test.dalili.org")
        assert assigned.json["assigned_to"] == "triage_reviewer@test.dalili.org"
        escalated = _act(client, headers, incident, action="escalate").json
        assert (escalated["priority"], escalated["escalation_level"]) == ("P2", 1)
        unassigned = _act(client, headers, incident, action="assign", email=None).json
        assert unassigned["assigned_to"] is None
        actions = [h["action"] for h in unassigned["history"]]
        assert actions == [
            "incident.request_information",
            "incident.assign",
            "incident.escalate",
            "incident.assign",
        ]

    def test_unverify_and_reject_record_their_steps_and_reason(
        self, client: FlaskClient, services: Services
    ) -> None:
        incident = _incident(services, "ARM armed men near the school")
        headers = bearer(services, "triage_reviewer")
        assert _act(client, headers, incident, action="unverify").json["status"] == "unverified"
        rejected = _act(client, headers, incident, action="reject", reason="rumour, same as #12").json
        assert rejected["status"] == "rejected"
        assert rejected["history"][-1]["details"]["reason"] == "rumour, same as #12"

    BAD_BODIES: tuple[tuple[dict[str, Any], str], ...] = (
        ({}, "field 'action' is required: one of start_review, verify, unverify, reject, assign"),
        ({"action": "approve"}, "field 'action' must be one of start_review, verify"),
        ({"action": "verify"}, "field 'credibility' is required: a whole number 1-6"),
        ({"action": "verify", "credibility": 7}, "field 'credibility' must be a whole number 1-6"),
        ({"action": "verify", "credibility": "2"}, "field 'credibility' must be a whole number 1-6"),
        ({"action": "verify", "credibility": True}, "field 'credibility' must be a whole number 1-6"),
        (
            {"action": "verify", "credibility": 2, "reliability": "G"},
            "field 'reliability' must be one of A, B, C, D, E, F or null",
        ),
        (
            {"action": "verify", "credibilty": 2},
            "unknown field 'credibilty' (known here: action, credibility",
        ),
        ({"action": "reject"}, "field 'reason' is required"),
        ({"action": "reject", "reason": "  "}, "field 'reason' must be a non-empty string of at most 500"),
        ({"action": "assign"}, "field 'email' is required: an e-mail address, or null"),
        ({"action": "assign", "email": 5}, "field 'email' must be an e-mail address or null"),
        ({"action": "assign", "email": "nobody@example.org"}, "nobody@example.org is not an active"),
        ({"action": "actioned"}, "field 'responder' is required"),
        ({"action": "actioned", "responder": "x" * 121}, "field 'responder' must be a non-empty string"),
        (
            {"action": "actioned", "responder": "Bor", "reference": 17},
            "field 'reference' must be a string of at most 64 characters",
        ),
        ({"action": "close", "reason": "done"}, "unknown field 'reason' (known here: action)"),
    )

    def test_an_unknown_action_or_a_bad_field_is_a_400_that_names_it(
        self, client: FlaskClient, services: Services, subtests: pytest.Subtests
    ) -> None:
        incident = _incident(services, "ARM armed men near the school")
        headers = bearer(services, "triage_reviewer")
        for body, message in self.BAD_BODIES:
            with subtests.test(body=body):
                response = client.post(f"/api/incidents/{incident}/transitions", headers=headers, json=body)
                assert response.status_code == 400
                assert response.json["error"].startswith(message)
        assert client.get(f"/api/incidents/{incident}", headers=headers).json["history"] == []

    def test_a_step_the_workflow_forbids_is_a_409(self, client: FlaskClient, services: Services) -> None:
        incident = _incident(services, "ARM armed men near the school")
        headers = bearer(services, "triage_reviewer")
        _act(client, headers, incident, action="verify", credibility=3)
        response = _act(client, headers, incident, action="reject", reason="changed my mind")
        assert (response.status_code, response.json) == (
            409,
            {
                "error": "cannot move an incident from verified to rejected (allowed: closed, "
                "response_dispatched)"
            },
        )

    def test_only_a_verified_incident_can_be_marked_actioned(
        self, client: FlaskClient, services: Services
    ) -> None:
        incident = _incident(services, "ARM armed men near the school")
        response = _act(
            client, bearer(services, "triage_reviewer"), incident, action="actioned", responder="Bor TOB"
        )
        assert response.status_code == 400
        assert response.json["error"] == "only a verified incident can be marked actioned, not a received one"

    def test_mutations_take_a_json_object_only(
        self, client: FlaskClient, services: Services, subtests: pytest.Subtests
    ) -> None:
        incident = _incident(services, "ARM armed men near the school")
        token, json_type = bearer(services, "triage_reviewer"), {"Content-Type": "application/json"}
        for url in (f"/api/incidents/{incident}/{action}" for action in ("transitions", "merge", "checks")):
            for headers, data, status, message in (
                ({}, "action=close", 415, "send a JSON body with 'Content-Type: application/json'"),
                (json_type, "{nope", 400, "the body must be a JSON object"),
                (json_type, '["close"]', 400, "the body must be a JSON object"),
            ):
                with subtests.test(url=url, data=data):
                    response = client.post(url, headers=token | headers, data=data)
                    assert (response.status_code, response.json) == (status, {"error": message})

    def test_roles_that_may_not_act_get_403(self, client: FlaskClient, services: Services) -> None:
        incident = _incident(services, "ARM armed men near the school")
        _act(client, bearer(services, "triage_reviewer"), incident, action="verify", credibility=3)
        response = _act(client, bearer(services, "joc_officer"), incident, action="verify", credibility=2)
        assert (response.status_code, response.json) == (403, {"error": "role joc_officer cannot verify"})
        closed = _act(client, bearer(services, "joc_officer", "joc2@test"), incident, action="close")
        assert closed.json["status"] == "closed"  # responders may close


class TestWhoSeesWhat:
    def test_a_joc_officer_gets_404_for_an_unverified_incident(
        self, client: FlaskClient, services: Services
    ) -> None:
        incident = _incident(services, "ARM armed men near the school")
        joc = bearer(services, "joc_officer")
        response = client.get(f"/api/incidents/{incident}", headers=joc)
        assert (response.status_code, response.json) == (
            404,
            {"error": f"no incident {incident} (or none you may see)"},
        )
        _act(client, bearer(services, "triage_reviewer"), incident, action="verify", credibility=2)
        seen = client.get(f"/api/incidents/{incident}", headers=joc).json
        assert seen["status"] == "verified"
        assert not {"text", "reporter_key"} & set(seen["reports"][0])

    def test_a_triage_reviewer_does_not_get_a_sexual_violence_narrative_but_the_focal_point_does(
        self, client: FlaskClient, services: Services, api_schema: Any
    ) -> None:
        incident = _incident(services, SXV_NARRATIVE, content=JUBA)
        reviewer = client.get(f"/api/incidents/{incident}", headers=bearer(services, "triage_reviewer"))
        focal = client.get(f"/api/incidents/{incident}", headers=bearer(services, "wpa_crsv_focal"))
        assert b"water point" not in reviewer.data
        assert (reviewer.json["narrative_visible"], reviewer.json["lon"]) == (False, None)
        assert focal.json["reports"][0]["text"] == SXV_NARRATIVE
        assert focal.json["lon"] is not None
        for response in (reviewer, focal):
            _conforms(api_schema, "GET", "/api/incidents/{incident_id}", response)

    def test_only_the_focal_point_acts_on_a_sexual_violence_incident(
        self, client: FlaskClient, services: Services
    ) -> None:
        incident = _incident(services, SXV_NARRATIVE)
        refused = _act(client, bearer(services, "triage_reviewer"), incident, action="verify", credibility=3)
        assert (refused.status_code, refused.json) == (
            403,
            {"error": "only the CRSV focal point can verify a restricted incident"},
        )
        done = _act(client, bearer(services, "wpa_crsv_focal"), incident, action="verify", credibility=3)
        assert done.json["status"] == "verified"

    def test_an_unknown_incident_is_a_404_that_says_so(self, client: FlaskClient, services: Services) -> None:
        headers = bearer(services, "triage_reviewer")
        for response in (
            client.get("/api/incidents/424242", headers=headers),
            _act(client, headers, 424242, action="close"),
            client.post("/api/incidents/424242/merge", headers=headers, json={"into": 1}),
        ):
            assert (response.status_code, response.json) == (
                404,
                {"error": "no incident 424242 (or none you may see)"},
            )
        assert client.get("/api/incidents/99999999999999999999", headers=headers).status_code == 404


class TestMerges:
    def test_a_merge_and_an_unmerge_through_the_api_restore_both_incidents(
        self, client: FlaskClient, services: Services, api_schema: Any
    ) -> None:
        source = _incident(services, "ATK shooting now at the market")
        target = _incident(services, "MOV women cannot go to the market")
        headers = bearer(services, "triage_reviewer")

        def view(incident: int) -> dict[str, Any]:
            detail = client.get(f"/api/incidents/{incident}", headers=headers).json
            kept = (
                "priority",
                "deadline_at",
                "first_reported_at",
                "restricted",
                "merged_into",
                "merged_from",
            )
            return {key: detail[key] for key in kept} | {"reports": [r["id"] for r in detail["reports"]]}

        before = {source: view(source), target: view(target)}
        merged = client.post(f"/api/incidents/{source}/merge", headers=headers, json={"into": target})
        assert merged.status_code == 200, merged.json
        _conforms(api_schema, "POST", "/api/incidents/{incident_id}/merge", merged)
        assert (merged.json["id"], merged.json["merged_from"]) == (target, [source])
        assert merged.json["priority"] == "P1"
        assert len(merged.json["reports"]) == 2
        assert client.get("/api/incidents", headers=headers).json["incidents"][0]["id"] == target

        restored = client.post(f"/api/incidents/{source}/unmerge", headers=headers, json={})
        assert restored.status_code == 200, restored.json
        assert {source: view(source), target: view(target)} == before
        assert [h["action"] for h in view_history(client, headers, target)] == [
            "incident.merge",
            "incident.unmerge",
        ]

    def test_a_bad_merge_or_unmerge_is_refused_precisely(
        self, client: FlaskClient, services: Services, subtests: pytest.Subtests
    ) -> None:
        source = _incident(services, "ATK shooting now at the market")
        headers = bearer(services, "triage_reviewer")
        for body, message in (
            ({}, "field 'into' is required: a whole number of at least 1"),
            ({"into": "2"}, "field 'into' must be a whole number of at least 1"),
            ({"into": 0}, "field 'into' must be a whole number of at least 1"),
            ({"into": 2, "why": "same"}, "unknown field 'why' (known here: into)"),
        ):
            with subtests.test(body=body):
                response = client.post(f"/api/incidents/{source}/merge", headers=headers, json=body)
                assert (response.status_code, response.json) == (400, {"error": message})
        extra = client.post(f"/api/incidents/{source}/unmerge", headers=headers, json={"into": 2})
        assert extra.json == {"error": "unknown field 'into' (this request takes none)"}
        stale = client.get("/api/incidents/stale?limit=5", headers=headers)
        assert stale.json == {"error": "unknown query parameter 'limit' (this endpoint takes none)"}
        itself = client.post(f"/api/incidents/{source}/merge", headers=headers, json={"into": source})
        assert itself.json == {"error": "an incident cannot be merged into itself"}
        unmerged = client.post(f"/api/incidents/{source}/unmerge", headers=headers, json={})
        assert unmerged.json == {"error": f"incident {source} is not merged into another"}

    def test_a_triage_reviewer_cannot_merge_into_a_sexual_violence_incident(
        self, client: FlaskClient, services: Services
    ) -> None:
        source = _incident(services, "ATK shooting now at the market")
        restricted = _incident(services, SXV_NARRATIVE)
        response = client.post(
            f"/api/incidents/{source}/merge",
            headers=bearer(services, "triage_reviewer"),
            json={"into": restricted},
        )
        assert (response.status_code, response.json) == (
            403,
            {"error": "only the CRSV focal point can merge a restricted incident"},
        )

    def test_a_duplicate_suggestion_is_dismissed_through_the_api(
        self, client: FlaskClient, services: Services
    ) -> None:
        first = _incident(services, "ATK shooting now", content=JUBA)
        second = _incident(services, "ATK shooting now near the market", content=JUBA)
        assert suggest_duplicates(second, uow=services.uow(), rules=services.cluster_rules) == [first]
        headers = bearer(services, "triage_reviewer")
        suggestion = client.get(f"/api/incidents/{first}", headers=headers).json["suggestions"][0]
        assert suggestion["incident_id"] == second
        url = f"/api/incidents/{first}/suggestions/{suggestion['id']}/dismiss"
        dismissed = client.post(url, headers=headers, json={})
        assert (dismissed.status_code, dismissed.json["suggestions"]) == (200, [])
        again = client.post(url, headers=headers, json={})
        assert again.json == {"error": f"duplicate suggestion {suggestion['id']} is dismissed, not open"}
        other = _incident(services, "MOV women cannot go to the market")
        elsewhere = client.post(
            f"/api/incidents/{other}/suggestions/{suggestion['id']}/dismiss", headers=headers, json={}
        )
        assert elsewhere.json == {"error": f"incident {other} has no duplicate suggestion {suggestion['id']}"}

    def test_an_external_check_sets_and_clears_the_credibility_it_implies(
        self, client: FlaskClient, services: Services
    ) -> None:
        incident = _incident(services, "ATK shooting now", content=JUBA)
        headers = bearer(services, "triage_reviewer")
        url = f"/api/incidents/{incident}/checks"
        before = client.get(f"/api/incidents/{incident}", headers=headers).json["credibility"]
        confirmed = client.post(url, headers=headers, json={"outcome": "confirmed"}).json
        assert (confirmed["external_check"], confirmed["credibility"]) == ("confirmed", 1)
        cleared = client.post(url, headers=headers, json={"outcome": None}).json
        assert (cleared["external_check"], cleared["credibility"]) == (None, before)
        bad = client.post(url, headers=headers, json={"outcome": "maybe"})
        assert bad.json == {"error": "field 'outcome' must be one of confirmed, contradicted or null"}
        forbidden = client.post(url, headers=bearer(services, "joc_officer"), json={"outcome": "confirmed"})
        assert forbidden.status_code == 403


def view_history(client: FlaskClient, headers: dict[str, str], incident: int) -> list[dict[str, Any]]:
    return client.get(f"/api/incidents/{incident}", headers=headers).json["history"]  # type: ignore[no-any-return]


class TestStale:
    def test_the_stale_view_lists_overdue_incidents_to_reviewers_only(
        self, client: FlaskClient, services: Services
    ) -> None:
        overdue = _incident(services, "MOV women cannot go to the market")
        _incident(services, "ARM armed men near the school")
        with services.uow() as uow:
            incident = uow.session.get(Incident, overdue)
            assert incident is not None
            incident.deadline_at = utcnow() - timedelta(minutes=5)
            uow.commit()
        response = client.get("/api/incidents/stale", headers=bearer(services, "triage_reviewer"))
        assert [i["id"] for i in response.json["incidents"]] == [overdue]
        refused = client.get("/api/incidents/stale", headers=bearer(services, "joc_officer"))
        assert (refused.status_code, refused.json) == (
            403,
            {"error": "role joc_officer cannot read the stale view"},
        )


class TestVerifiedFeed:
    def test_the_verified_feed_never_carries_a_narrative_a_reporter_or_a_sexual_violence_point(
        self, client: FlaskClient, services: Services, api_schema: Any
    ) -> None:
        reporter = add_reporter(services)
        restricted = _incident(services, SXV_NARRATIVE, content=JUBA, reporter_key=reporter)
        attack = _incident(
            services, "ATK they are shooting at the water point", content=JUBA, reporter_key=reporter
        )
        _incident(services, "ARM armed men near the school")  # not verified: never in the feed
        _act(client, bearer(services, "wpa_crsv_focal"), restricted, action="verify", credibility=2)
        _act(client, bearer(services, "triage_reviewer"), attack, action="verify", credibility=2)
        for role in ("joc_officer", "protection_analyst", "triage_reviewer", "wpa_crsv_focal"):
            response = client.get("/api/verified", headers=bearer(services, role, f"{role}-feed@test"))
            assert response.status_code == 200, (role, response.json)
            _conforms(api_schema, "GET", "/api/verified", response)
            for forbidden in (b"water point", b'"text"', b"reporter_key", reporter.encode()):
                assert forbidden not in response.data, (role, forbidden)
            items = {item["id"]: item for item in response.json["incidents"]}
            assert set(items) == {restricted, attack}
            sxv = items[restricted]
            assert (sxv["lon"], sxv["lat"], sxv["place_name"], sxv["precision"]) == (None, None, None, None)
            assert not {key for key in sxv["areas"] if key.startswith("adm3")}
            assert items[attack]["lon"] is not None

    def test_the_verified_feed_pages_by_id(self, client: FlaskClient, services: Services) -> None:
        reviewer = bearer(services, "triage_reviewer")
        made = [_incident(services, f"ARM armed men near school {n}") for n in range(3)]
        for incident in made:
            _act(client, reviewer, incident, action="verify", credibility=3)
        first = client.get("/api/verified?limit=2", headers=reviewer).json
        assert [i["id"] for i in first["incidents"]] == made[:2]
        assert first["next_since_id"] == made[1]
        rest = client.get(f"/api/verified?limit=2&since_id={first['next_since_id']}", headers=reviewer).json
        assert ([i["id"] for i in rest["incidents"]], rest["next_since_id"]) == (made[2:], None)

    def test_a_bad_feed_query_is_a_400_that_names_it_and_other_roles_get_403(
        self, client: FlaskClient, services: Services, subtests: pytest.Subtests
    ) -> None:
        headers = bearer(services, "joc_officer")
        for query, message in (
            ("since_id=-1", "query parameter 'since_id' must be a whole number of at least 0"),
            ("limit=500", "query parameter 'limit' must be a whole number 1-200"),
            ("after=x", "unknown query parameter 'after' (known: since_id, limit)"),
        ):
            with subtests.test(query=query):
                response = client.get(f"/api/verified?{query}", headers=headers)
                assert (response.status_code, response.json) == (400, {"error": message})
        for role in ("network_coordinator", "admin", "contact_officer", "auditor"):
            response = client.get("/api/verified", headers=bearer(services, role))
            assert (response.status_code, response.json) == (
                403,
                {"error": f"role {role} cannot read verified incidents"},
            )


class TestOpenApiDocument:
    def test_the_document_is_a_valid_openapi_3_1_document(self) -> None:
        document = openapi_document()
        assert document["openapi"].startswith("3.1")
        validate(document)

    def test_every_api_route_of_the_app_is_in_the_document(self, app: Flask) -> None:
        paths = openapi_document()["paths"]
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/api/"):
                continue
            path = re.sub(r"<(?:[^:<>]+:)?([^:<>]+)>", r"{\1}", rule.rule)
            assert path in paths, path
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths[path], (method, path)

    def test_the_app_serves_the_document_without_a_token(self, client: FlaskClient) -> None:
        response = client.get("/api/openapi.json")
        assert (response.status_code, response.mimetype) == (200, "application/json")
        assert response.json == openapi_document()
