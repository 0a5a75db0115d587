"""Schemathesis against the whole OpenAPI document, on both backends: every /api/ operation, writes
included, called by a role allowed to, on seeded incidents, with valid, invalid and boundary requests.
Each answer must be one the document describes (status, content type, body) and never a 5xx; invalid
data must be refused with a 4xx naming what is wrong, and a refused write must leave no trace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from alerts.accounts.users import create_user, viewer_of
from alerts.incidents.corrections import CorrectionRequest, correct
from alerts.incidents.corroboration import suggest_duplicates
from alerts.incidents.review import MAX_ID
from alerts.intake.services import incident_of_report
from alerts.models import AuditEvent, DuplicateSuggestion, Incident, User, utcnow
from app import MAX_REQUEST_BYTES
from app.api.incidents import openapi_document
from app.bootstrap import Services
from tests.conftest import bearer
from tests.factories import report, verified_incident

pytestmark = pytest.mark.integration

JUBA = {"lon": 31.58, "lat": 4.85}
BRIA = (21.98, 6.54)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FOCAL_POINT = "wpa_crsv_focal"
ROLE_OF_TAG = {"hotspots": "protection_analyst", "verified": "joc_officer", "quality": "admin"}
"""Who calls each tag's operations; the others, the CRSV focal point: the one role that may read and act
on every incident, sexual violence included (R29)."""
DOCUMENT = "/api/openapi.json"
"""Schemathesis leaves out the operation serving the document it reads; test_api_incidents.py checks it."""
WRITES = [
    path
    for path, item in openapi_document()["paths"].items()
    if {"post", "put", "patch", "delete"} & set(item)
]


def _incident(services: Services, text: str, **kwargs: Any) -> int:
    incident_id = incident_of_report(report(services, text, **kwargs), uow=services.uow())
    assert incident_id is not None
    return incident_id


def _duplicates(services: Services) -> tuple[int, int, int]:
    """Two attacks at the same place, suggested as duplicates: their ids and the suggestion's."""
    first = _incident(services, "ATK shooting now", content=JUBA)
    second = _incident(services, "ATK shooting now near the market", content=JUBA)
    suggest_duplicates(second, uow=services.uow(), rules=services.cluster_rules)
    with services.uow() as uow:
        suggestion = uow.session.scalar(select(DuplicateSuggestion.id))
    assert suggestion is not None, "the pair should be suggested as duplicates"
    return first, second, suggestion


def _seed(services: Services) -> dict[str, list[int]]:
    """Incidents to act on (a suggested duplicate pair, sexual violence, an overdue one) and verified
    points for hotspot cells: the ids that generated path parameters and merge targets mix in."""
    first, second, suggestion = _duplicates(services)
    incidents = [
        first,
        second,
        _incident(services, "SXV they hurt a girl behind the water point at dawn", content=JUBA),
        _incident(services, "MOV women cannot go to the market"),
        _incident(services, "ARM armed men near the school"),
    ]
    incidents += [verified_incident(services, *BRIA, when=utcnow() - timedelta(days=d)) for d in range(6)]
    with services.uow() as uow:
        overdue = uow.session.get(Incident, incidents[3])
        assert overdue is not None
        overdue.deadline_at = utcnow() - timedelta(minutes=5)
        uow.commit()
    create_user("seed-focal@example.org", FOCAL_POINT, None, uow=services.uow())
    with services.uow() as uow:
        reviewer = viewer_of(uow.session, uow.session.scalars(select(User)).one())
    correction = correct(
        incidents[4],
        CorrectionRequest("category", "THR"),
        reviewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        places=services.geocoder,
        now=utcnow(),
    )
    return {
        "incident_id": incidents,
        "suggestion_id": [suggestion],
        "correction_id": [correction["id"]],
        "into": incidents,
    }


def _mixed_with_seeded(values: Any, seeded: dict[str, list[int]]) -> st.SearchStrategy[Any]:
    """``values`` as generated, or with its valid ids swapped for seeded ones; an id out of range
    (negative data) stays as generated."""
    names = [name for name in values if name in seeded] if isinstance(values, dict) else []
    valid = [name for name in names if type(values[name]) is int and 1 <= values[name] <= MAX_ID]
    if not names or valid != names:
        return st.just(values)
    real = st.fixed_dictionaries({name: st.sampled_from(seeded[name]) for name in names})
    return st.one_of(real.map(lambda ids: values | ids), st.just(values))


@pytest.fixture
def whole_api(app: Flask, services: Services) -> Any:
    """The served document as schemathesis loads it, seeded ids mixed into what it generates."""
    seeded = _seed(services)
    api = schemathesis.openapi.from_wsgi(DOCUMENT, app)
    api.config.generation.update(with_security_parameters=False)  # each case is sent with a real token

    @api.hook
    def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: Any) -> Any:
        return _mixed_with_seeded(path_parameters, seeded)

    @api.hook
    def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
        return _mixed_with_seeded(body, seeded)

    return api


@pytest.fixture
def tokens(services: Services) -> dict[str, dict[str, str]]:
    return {role: bearer(services, role) for role in (FOCAL_POINT, *ROLE_OF_TAG.values())}


def _operations(api: Any) -> Iterator[Any]:
    for result in api.get_all_operations():
        yield result.ok()


def _audit_rows(services: Services) -> int:
    with services.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _call_and_validate(case: Any, tokens: dict[str, dict[str, str]], services: Services) -> None:
    """Send the case as the role its tag needs and check the answer; a refused write records nothing."""
    role = ROLE_OF_TAG.get((case.operation.tags or [""])[0], FOCAL_POINT)
    before = _audit_rows(services) if case.method != "GET" else None
    response = case.call_and_validate(headers=tokens[role], checks=CHECKS)
    if before is not None and response.status_code >= 400:
        assert _audit_rows(services) == before, (
            f"{case.method} {case.formatted_path} was refused, yet recorded"
        )


class TestGeneratedRequests:
    def test_every_operation_answers_fuzzed_requests_as_documented(
        self,
        whole_api: Any,
        tokens: dict[str, dict[str, str]],
        services: Services,
        subtests: pytest.Subtests,
    ) -> None:
        operations = list(_operations(whole_api))
        documented = {
            f"{method.upper()} {path}"
            for path, item in openapi_document()["paths"].items()
            for method in item
            if path != DOCUMENT and method != "parameters"
        }
        assert {operation.label for operation in operations} == documented
        for operation in operations:
            with subtests.test(operation=operation.label):
                # Valid and invalid requests drawn together, as schemathesis's own runner does.
                cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in GenerationMode])

                @given(case=cases)
                @settings(
                    max_examples=30,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                )
                def answers_as_documented(case: Any) -> None:
                    _call_and_validate(case, tokens, services)

                answers_as_documented()

    def test_every_operation_answers_boundary_and_invalid_requests_as_documented(
        self,
        whole_api: Any,
        tokens: dict[str, dict[str, str]],
        services: Services,
        subtests: pytest.Subtests,
    ) -> None:
        """Schemathesis's coverage cases: each bound, missing field and wrong type once, deterministic."""
        for operation in _operations(whole_api):
            with subtests.test(operation=operation.label):
                for case in whole_api.iter_coverage_cases(
                    operation,
                    generation_modes=list(GenerationMode),
                    generation_config=whole_api.config.generation,
                ):
                    _call_and_validate(case, tokens, services)


JSON = {"Content-Type": "application/json"}
BAD_BODIES = {
    "not JSON": (JSON, "{action: close", 400, "the body must be a JSON object"),
    "a JSON array": (JSON, '["close"]', 400, "the body must be a JSON object"),
    "JSON null": (JSON, "null", 400, "the body must be a JSON object"),
    "not UTF-8": (JSON, b'{"action": "\xff"}', 400, "the body must be a JSON object"),
    "nested deeper than the parser goes": (
        JSON,
        "[" * 30_000 + "]" * 30_000,
        400,
        "the body must be a JSON object",
    ),
    "over 64 kB": (
        JSON,
        '{"action": "' + "x" * MAX_REQUEST_BYTES + '"}',
        413,
        "the body must be at most 64 kB",
    ),
    "a form": (
        {"Content-Type": "application/x-www-form-urlencoded"},
        "action=close",
        415,
        "send a JSON body with 'Content-Type: application/json'",
    ),
    "JSON sent as text": (
        {"Content-Type": "text/plain"},
        '{"action": "close"}',
        415,
        "send a JSON body with 'Content-Type: application/json'",
    ),
}


@pytest.mark.parametrize("path", WRITES)
def test_a_write_with_a_bad_body_gets_a_precise_4xx_as_documented_and_changes_nothing(
    client: FlaskClient, services: Services, subtests: pytest.Subtests, path: str
) -> None:
    incident, _, suggestion = _duplicates(services)
    url = path.format(incident_id=incident, suggestion_id=suggestion, correction_id=1)
    token, operation = bearer(services, FOCAL_POINT), schemathesis.openapi.from_dict(openapi_document())[path]
    for kind, (headers, data, status, message) in BAD_BODIES.items():
        with subtests.test(kind=kind):
            before = _audit_rows(services)
            response = client.post(url, headers=token | headers, data=data)
            assert (response.status_code, response.json) == (status, {"error": message})
            operation["POST"].validate_response(response)
            assert _audit_rows(services) == before


class TestWhatSchemathesisFound:
    """Requests answered wrongly (a 200, or a 500 on PostgreSQL) before their fix: those schemathesis
    sent, and NUL characters, which it sends too rarely in a state that reaches the database."""

    def test_the_reports_api_refuses_what_its_document_does_not_allow(
        self, client: FlaskClient, services: Services, subtests: pytest.Subtests
    ) -> None:
        headers = bearer(services, FOCAL_POINT)
        for query, message in (
            ("limit=0", "query parameter 'limit' must be a whole number 1-200"),
            ("limit=201", "query parameter 'limit' must be a whole number 1-200"),
            ("before=0", "query parameter 'before' must be a whole number of at least 1"),
            ("limit=5&limit=6", "query parameter 'limit' must be given once"),
            ("colour=red", "unknown query parameter 'colour' (known: limit, before)"),
        ):
            with subtests.test(query=query):
                response = client.get(f"/api/reports?{query}", headers=headers)
                assert (response.status_code, response.json) == (400, {"error": message})

    def test_the_hotspots_api_refuses_what_its_document_does_not_allow(
        self, client: FlaskClient, services: Services, subtests: pytest.Subtests
    ) -> None:
        headers = bearer(services, "protection_analyst")
        for query, message in (
            ("since=", "query parameter 'since' must not be empty"),
            ("area=%20", "query parameter 'area' must not be empty"),
            ("area=SS%0001", "query parameter 'area' must be without control characters"),
            ("priority=P1&priority=", "query parameter 'priority' must not be empty"),
            ("category=ATK,false", "query parameter 'category': unknown FALSE (known: "),
            ("admin_level=0", "admin_level must be between 1 and 5"),
            ("admin_level=6", "admin_level must be between 1 and 5"),
            ("half_life=1e-320", "half_life must be a finite number of days, at least 1"),
            ("half_life=inf", "half_life must be a finite number of days, at least 1"),
        ):
            for url in ("/api/hotspots", "/api/hotspots/export/csv"):
                with subtests.test(url=url, query=query):
                    response = client.get(f"{url}?{query}", headers=headers)
                    assert response.status_code == 400, response.json
                    assert response.json["error"].startswith(message)

    def test_a_write_whose_body_is_optional_may_be_sent_without_one(
        self, client: FlaskClient, services: Services
    ) -> None:
        first, _, suggestion = _duplicates(services)
        headers = bearer(services, FOCAL_POINT)
        dismissed = client.post(f"/api/incidents/{first}/suggestions/{suggestion}/dismiss", headers=headers)
        assert (dismissed.status_code, dismissed.json["suggestions"]) == (200, [])
        unmerged = client.post(f"/api/incidents/{first}/unmerge", headers=headers)
        assert (unmerged.status_code, unmerged.json) == (
            400,
            {"error": f"incident {first} is not merged into another"},
        )
        bare = client.post(f"/api/incidents/{first}/transitions", headers=headers)
        assert bare.status_code == 400
        assert bare.json["error"].startswith("field 'action' is required")

    def test_text_with_a_nul_is_refused_before_it_reaches_the_database(
        self, client: FlaskClient, services: Services, subtests: pytest.Subtests
    ) -> None:
        incident = _incident(services, "ARM armed men near the school")
        verified = verified_incident(services, *BRIA)
        headers = bearer(services, FOCAL_POINT)
        for target, body, message in (
            (incident, {"action": "reject", "reason": "a\x00b"}, "field 'reason' must be a non-empty string"),
            (incident, {"action": "assign", "email": "a\x00@b"}, "field 'email' must be an e-mail address"),
            (verified, {"action": "actioned", "responder": "B\x00"}, "field 'responder' must be a non-empty"),
            (
                verified,
                {"action": "actioned", "responder": "B", "reference": "\x00"},
                "field 'reference' must be",
            ),
        ):
            with subtests.test(body=body):
                response = client.post(f"/api/incidents/{target}/transitions", headers=headers, json=body)
                assert response.status_code == 400, response.json
                assert response.json["error"].startswith(message)
