"""/api/places over HTTP, on both backends: the type-ahead a reviewer corrects a place with (#16), who
may call it (token or dashboard session), what it refuses, and what an option carries with and
without the deployment's boundary layers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

from app.api.incidents import openapi_document
from app.bootstrap import Services
from config.settings import Settings
from tests.conftest import bearer
from tests.web import add_user, sign_in

pytestmark = pytest.mark.integration

CORRECTORS = ("triage_reviewer", "wpa_crsv_focal", "joc_officer")
"""The roles that may correct an incident's place."""
OTHERS = ("protection_analyst", "network_coordinator", "contact_officer", "admin", "auditor")
PATH = "/api/places"


@pytest.fixture(scope="module")
def operation() -> Any:
    return schemathesis.openapi.from_dict(openapi_document())[PATH]["GET"]


def _places(client: FlaskClient, headers: dict[str, str], operation: Any, query: str) -> list[dict[str, Any]]:
    response = client.get(f"{PATH}?{query}", headers=headers)
    assert response.status_code == 200, response.json
    operation.validate_response(response)
    places: list[dict[str, Any]] = response.json["places"]
    return places


class TestWhoMaySearch:
    @pytest.mark.parametrize("role", CORRECTORS)
    def test_those_who_may_correct_a_place_search_with_a_token(
        self, client: FlaskClient, services: Services, operation: Any, role: str
    ) -> None:
        [juba] = _places(client, bearer(services, role), operation, "q=jub&country=SS&limit=1")
        assert (juba["name"], juba["country"], juba["precision"], juba["pcode"]) == ("Juba", "SS", 1, None)
        assert (round(juba["lon"]), round(juba["lat"])) == (32, 5)

    @pytest.mark.parametrize("role", OTHERS)
    def test_other_roles_are_refused(self, client: FlaskClient, services: Services, role: str) -> None:
        response = client.get(f"{PATH}?q=juba", headers=bearer(services, role))
        assert (response.status_code, response.json) == (
            403,
            {"error": f"role {role} cannot correct the place of an incident"},
        )

    def test_without_a_token_or_a_session_it_asks_for_a_token(self, client: FlaskClient) -> None:
        response = client.get(f"{PATH}?q=juba")
        assert response.status_code == 401
        assert "Bearer" in response.json["error"]

    def test_the_dashboard_s_signed_in_reviewer_searches_without_a_token(
        self, app: Flask, services: Services, operation: Any
    ) -> None:
        reviewer = app.test_client()
        assert (
            sign_in(reviewer, add_user(services, "triage_reviewer", "r@test.dalili.org")).status_code == 302
        )
        assert [p["name"] for p in _places(reviewer, {}, operation, "q=Juba&limit=1")] == ["Juba"]
        # A token sent along is the one that counts, even from a signed-in browser.
        refused = reviewer.get(f"{PATH}?q=juba", headers={"Authorization": "Bearer not-a-token"})
        assert refused.status_code == 401
        analyst = app.test_client()
        assert (
            sign_in(analyst, add_user(services, "protection_analyst", "a@test.dalili.org")).status_code == 302
        )
        assert analyst.get(f"{PATH}?q=juba").status_code == 403


class TestQuery:
    @pytest.mark.parametrize(
        "query", ["", "q=", "q=J", "q=%20j%20", "q=%C3%A9", "q=..", "q=-j-", "country=SS"]
    )
    def test_fewer_than_two_letters_are_refused_precisely(
        self, client: FlaskClient, services: Services, query: str
    ) -> None:
        response = client.get(f"{PATH}?{query}", headers=bearer(services, "triage_reviewer"))
        assert (response.status_code, response.json) == (
            400,
            {"error": "query parameter 'q' must hold at least 2 letters or digits of a place name"},
        )

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("q=j%00", "query parameter 'q' must be 1-100 characters without control characters"),
            ("q=" + "j" * 101, "query parameter 'q' must be 1-100 characters without control characters"),
            ("q=juba&country=SSD", "query parameter 'country' must be a two-letter country code such as SS"),
            ("q=juba&limit=0", "query parameter 'limit' must be a whole number 1-50"),
            ("q=juba&limit=51", "query parameter 'limit' must be a whole number 1-50"),
            ("q=juba&q=yei", "query parameter 'q' must be given once"),
            ("q=juba&near=x", "unknown query parameter 'near' (known: q, country, limit)"),
        ],
    )
    def test_other_bad_parameters_are_refused_naming_them(
        self, client: FlaskClient, services: Services, query: str, message: str
    ) -> None:
        response = client.get(f"{PATH}?{query}", headers=bearer(services, "triage_reviewer"))
        assert (response.status_code, response.json) == (400, {"error": message})

    def test_a_country_keeps_its_own_places_and_the_limit_is_kept(
        self, client: FlaskClient, services: Services, operation: Any
    ) -> None:
        headers = bearer(services, "wpa_crsv_focal")
        assert {p["country"] for p in _places(client, headers, operation, "q=ba&country=cf")} == {"CF"}
        assert len(_places(client, headers, operation, "q=ba&limit=3")) == 3
        assert _places(client, headers, operation, "q=zzzzzz") == []


def _square(pcode: str, name: str, lon: float, lat: float) -> dict[str, Any]:
    ring = [[lon - 0.5, lat - 0.5], [lon + 0.5, lat - 0.5], [lon + 0.5, lat + 0.5], [lon - 0.5, lat + 0.5]]
    return {
        "type": "Feature",
        "properties": {
            "ADM2_PCODE": pcode,
            "ADM2_EN": name,
            "ADM1_PCODE": "SS01",
            "ADM1_EN": "Central Equatoria",
        },
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    }


def test_with_boundary_layers_areas_are_options_and_settlements_get_their_areas(
    tmp_path: Path, services: Services, make_app: Callable[[Settings], Flask], operation: Any
) -> None:
    layers = tmp_path / "layers"
    layers.mkdir()
    counties = {"type": "FeatureCollection", "features": [_square("SS0105", "Juba", 31.6, 4.85)]}
    (layers / "ssd_adm2_counties.geojson").write_text(json.dumps(counties))
    app = make_app(replace(services.settings, layers=(str(layers),)))
    deployed: Services = app.extensions["dalili"]
    town, county = _places(
        app.test_client(), bearer(deployed, "triage_reviewer"), operation, "q=juba&country=SS"
    )[:2]
    assert (town["name"], town["precision"], town["pcode"]) == ("Juba", 1, None)
    assert town["areas"] == {
        "adm1_pcode": "SS01", "adm1_name": "Central Equatoria", "adm2_pcode": "SS0105", "adm2_name": "Juba"
    }  # fmt: skip
    assert (county["name"], county["kind"], county["precision"], county["pcode"]) == (
        "Juba",
        "adm2",
        2,
        "SS0105",
    )
    assert (county["lon"], county["lat"]) == (31.6, 4.85)
    assert county["areas"] == town["areas"]
    area = deployed.geocoder.area("SS0105")
    assert area is not None
    assert (area.name, area.precision, area.areas.pcodes) == ("Juba", 2, {"adm1": "SS01", "adm2": "SS0105"})
    assert deployed.geocoder.area("SS9999") is None
    assert services.geocoder.area("SS0105") is None  # the deployment without layers has no areas
