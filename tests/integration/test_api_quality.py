"""GET /api/quality (#16): the triage-quality figures for the roles that may read them, answered as
the OpenAPI document describes, with precise 400s."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask.testing import FlaskClient

from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from alerts.vocabulary import ROLES
from app.api.incidents import openapi_document
from app.bootstrap import Services
from tests.conftest import bearer
from tests.factories import report

pytestmark = pytest.mark.integration

ALLOWED = {"admin", "joc_officer"}


@pytest.fixture(scope="module")
def api_schema() -> Any:
    return schemathesis.openapi.from_dict(openapi_document())


def _rejected_attack(services: Services) -> None:
    incident_id = incident_of_report(report(services, "ATK armed men attacked Yei"), uow=services.uow())
    change_incident_status(incident_id, "rejected", actor="r@example.org", uow=services.uow())


@pytest.mark.parametrize("role", sorted(ROLES))
def test_admins_and_joc_officers_read_the_figures_others_get_403(
    client: FlaskClient, services: Services, api_schema: Any, role: str
) -> None:
    _rejected_attack(services)
    response = client.get("/api/quality?weeks=2", headers=bearer(services, role))
    api_schema["/api/quality"]["GET"].validate_response(response)
    if role not in ALLOWED:
        assert (response.status_code, response.json) == (
            403,
            {"error": f"role {role} cannot read triage quality"},
        )
        return
    assert response.status_code == 200
    body = response.json
    assert [week["decided"] for week in body["weeks"]] == [1, 0]
    (attack,) = body["total"]["categories"]
    assert (attack["category"], attack["triaged"], attack["kept"], attack["precision"]) == ("ATK", 1, 1, 1.0)
    assert "Yei" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("weeks=0", "query parameter 'weeks' must be a whole number 1-52"),
        ("weeks=53", "query parameter 'weeks' must be a whole number 1-52"),
        ("weeks=2&weeks=3", "query parameter 'weeks' must be given once"),
        ("country=SSD", "query parameter 'country' must be a two-letter country code such as SS"),
        ("colour=red", "unknown query parameter 'colour' (known: weeks, country)"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(
    client: FlaskClient, services: Services, api_schema: Any, query: str, message: str
) -> None:
    response = client.get(f"/api/quality?{query}", headers=bearer(services, "admin"))
    assert (response.status_code, response.json) == (400, {"error": message})
    api_schema["/api/quality"]["GET"].validate_response(response)


def test_a_country_in_lower_case_narrows_the_figures(client: FlaskClient, services: Services) -> None:
    _rejected_attack(services)
    headers = bearer(services, "admin")
    assert client.get("/api/quality?country=ss", headers=headers).json["country"] == "SS"
    assert client.get("/api/quality?country=cf", headers=headers).json["total"]["decided"] == 0


def test_without_a_token_it_is_401(client: FlaskClient) -> None:
    response = client.get("/api/quality")
    assert response.status_code == 401
    assert "Bearer" in response.json["error"]
