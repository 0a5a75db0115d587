"""Corrections over the API (#16): every field, every role allowed or refused, the audit's before
and after, undo, and answers as the OpenAPI document describes them."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask.testing import FlaskClient

from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from app.api.incidents import openapi_document
from app.bootstrap import Services
from tests.conftest import bearer
from tests.factories import report

pytestmark = pytest.mark.integration

PATH = "/api/incidents/{incident_id}/corrections"
CORRECTIONS = {
    "category": ({"value": "FIG"}, ("category", "FIG")),
    "flags": (
        {"value": {"children_affected": True, "perpetrator_type": "militia"}},
        ("children_affected", True),
    ),
    "priority": ({"value": "P4", "reason": "it was a rumour"}, ("priority", "P4")),
    "occurred_at": ({"value": "2026-11-30T18:00:00+02:00"}, ("occurred_at", "2026-11-30T16:00:00+00:00")),
    "place": ({"value": {"how": "map", "lon": 31.6, "lat": 4.85}}, ("lon", 31.6)),
    "restriction": ({"value": "restricted", "reason": "the WPA asked"}, ("restricted", True)),
}
ROLES = {
    "triage_reviewer": set(CORRECTIONS),
    "wpa_crsv_focal": set(CORRECTIONS),
    "joc_officer": {"priority", "occurred_at", "place"},
    "protection_analyst": set(),
    "network_coordinator": set(),
    "contact_officer": set(),
    "admin": set(),
    "auditor": set(),
}


@pytest.fixture(scope="module")
def api_schema() -> Any:
    return schemathesis.openapi.from_dict(openapi_document())


def _verified_incident(services: Services) -> int:
    incident_id = incident_of_report(
        report(services, "armed men attacked the market in Yei"), uow=services.uow()
    )
    for step in ("under_review", "verified"):  # so that verified-only roles see it
        change_incident_status(incident_id, step, actor="r@example.org", uow=services.uow())
    return incident_id


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("field", sorted(CORRECTIONS))
def test_each_role_corrects_exactly_the_fields_her_role_allows(
    client: FlaskClient, services: Services, api_schema: Any, role: str, field: str
) -> None:
    incident_id = _verified_incident(services)
    body, (key, expected) = CORRECTIONS[field]
    answer = client.post(
        f"/api/incidents/{incident_id}/corrections",
        headers=bearer(services, role),
        json={"field": field, **body},
    )
    api_schema[PATH]["POST"].validate_response(answer)
    if field not in ROLES[role]:
        assert answer.status_code in (403, 404), answer.get_json()
        return
    assert answer.status_code == 201, answer.get_json()
    detail = answer.get_json()
    (correction,) = detail["corrections"]
    assert correction["field"] == field
    if field == "restriction":  # restricted now: its values are the CRSV focal point's to read
        assert detail["restricted"] is True
        assert ("after" in correction["details"]) is (role == "wpa_crsv_focal")
        return
    after = correction["details"]["after"]
    assert after[key] == expected
    assert correction["details"]["before"] != after
    event = next(h for h in detail["history"] if h["action"] == "incident.correct")
    assert (event["details"]["before"], event["details"]["after"]) == (correction["details"]["before"], after)


def test_an_undo_puts_the_category_back_and_keeps_both_in_the_history(
    client: FlaskClient, services: Services, api_schema: Any
) -> None:
    incident_id = _verified_incident(services)
    headers = bearer(services, "triage_reviewer")
    first = client.post(
        f"/api/incidents/{incident_id}/corrections",
        headers=headers,
        json={"field": "category", "value": "LOT"},
    ).get_json()["corrections"][0]
    answer = client.post(
        f"/api/incidents/{incident_id}/corrections/{first['id']}/undo",
        headers=headers,
        json={"reason": "misread"},
    )
    api_schema["/api/incidents/{incident_id}/corrections/{correction_id}/undo"]["POST"].validate_response(
        answer
    )
    detail = answer.get_json()
    assert detail["category"] == "ATK"
    assert [c["undoes"] for c in detail["corrections"]] == [None, first["id"]]
    other = _verified_incident(services)
    wrong = client.post(f"/api/incidents/{other}/corrections/{first['id']}/undo", headers=headers)
    assert wrong.status_code == 400
    assert "no correction" in wrong.get_json()["error"]


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"field": "category", "value": "XXX"}, "category 'XXX'"),
        ({"field": "colour", "value": "red"}, "field 'field' must be one of"),
        ({"field": "priority", "value": "P2"}, "say why"),
        ({"field": "place", "value": {"how": "area", "pcode": "ZZ99"}}, "no admin area with P-code 'ZZ99'"),
        ({"field": "place", "value": "Juba"}, "place must be an object"),
        ({"field": "category", "value": "FIG", "extra": 1}, "unknown field 'extra'"),
        ({"field": "category"}, "field 'value' is required"),
        ({"field": "flags", "value": {"vawe": "maybe"}}, "flag vawe"),
        ({"field": "place", "value": {"how": "search", "name": "a\x00b", "lon": 1, "lat": 1}}, "NUL"),
    ],
)
def test_a_bad_correction_gets_a_precise_400_and_changes_nothing(
    client: FlaskClient, services: Services, body: dict[str, Any], complaint: str
) -> None:
    incident_id = _verified_incident(services)
    headers = bearer(services, "triage_reviewer")
    answer = client.post(f"/api/incidents/{incident_id}/corrections", headers=headers, json=body)
    assert answer.status_code == 400
    assert complaint in answer.get_json()["error"]
    assert client.get(f"/api/incidents/{incident_id}", headers=headers).get_json()["corrections"] == []


def test_a_correction_to_sexual_violence_hides_the_narrative_from_a_triage_reviewer_at_once(
    client: FlaskClient, services: Services
) -> None:
    incident_id = _verified_incident(services)
    reviewer = bearer(services, "triage_reviewer")
    assert client.get(f"/api/incidents/{incident_id}", headers=reviewer).get_json()["reports"][0]["text"]
    client.post(
        f"/api/incidents/{incident_id}/corrections",
        headers=reviewer,
        json={"field": "category", "value": "SXV"},
    )
    seen = client.get(f"/api/incidents/{incident_id}", headers=reviewer).get_json()
    assert "text" not in seen["reports"][0]
    assert seen["lon"] is None
    assert seen["correctable"] == []
    assert "before" not in seen["corrections"][0]["details"]
    focal = client.get(f"/api/incidents/{incident_id}", headers=bearer(services, "wpa_crsv_focal")).get_json()
    assert focal["reports"][0]["text"]
    assert focal["corrections"][0]["details"]["before"]["category"] == "ATK"


def test_a_restriction_hides_the_narrative_of_a_report_whose_category_is_not_sexual_violence(
    client: FlaskClient, services: Services
) -> None:
    """Redaction reads the incident's restriction, not only each report's category."""
    incident_id = _verified_incident(services)
    reviewer = bearer(services, "triage_reviewer")
    answer = client.post(
        f"/api/incidents/{incident_id}/corrections",
        headers=reviewer,
        json={"field": "restriction", "value": "restricted", "reason": "she asked the WPA"},
    )
    assert answer.status_code == 201
    (seen,) = answer.get_json()["reports"]
    assert seen["category"] == "ATK"
    assert "text" not in seen
    listed = client.get("/api/reports", headers=reviewer).get_json()
    assert all("text" not in r for r in listed["reports"] if r["incident_id"] == incident_id)
