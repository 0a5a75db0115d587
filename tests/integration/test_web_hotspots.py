"""Hotspot products through the protection page, the API and the CLI: one service underneath (R30, R45)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.models import AuditEvent
from app.bootstrap import Services
from app.cli import main as cli
from tests.conftest import bearer
from tests.factories import NARRATIVE, verified_incident
from tests.web import PAGE, add_user, sign_in

pytestmark = pytest.mark.integration

BRIA = (21.986, 6.5375)


def _incidents(services: Services, count: int = 4) -> None:
    for _ in range(count):
        verified_incident(services, *BRIA)


def _exports(services: Services) -> list[dict[str, Any]]:
    """The audit trail's export records: who, and the details."""
    with services.uow() as uow:
        events = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "hotspots.export"))
        return [{"actor": event.actor, **event.details} for event in events]


def test_the_protection_page_offers_the_map_filters_and_every_download(
    client: FlaskClient, services: Services
) -> None:
    _incidents(services)
    assert sign_in(client, add_user(services, "protection_analyst")).status_code == 302
    page = client.get("/protection?category=ATK&cells=h3&resolution=5", headers=PAGE).get_data(as_text=True)
    assert 'id="hotspot-map"' in page
    assert "/protection/hotspots/preview.geojson?category=ATK&amp;cells=h3&amp;resolution=5" in page
    for fmt in ("pdf", "png", "geojson", "kml", "gpkg", "shp", "csv"):
        assert f"/protection/hotspots/download/{fmt}?" in page
    assert NARRATIVE not in page


def test_the_preview_is_the_product_as_geojson(client: FlaskClient, services: Services) -> None:
    _incidents(services)
    sign_in(client, add_user(services, "protection_analyst"))
    response = client.get("/protection/hotspots/preview.geojson?resolution=6")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    product = response.get_json(force=True)
    cells = [f for f in product["features"] if f["properties"]["layer"] == "cell"]
    assert sum(f["properties"]["reports"] or 0 for f in cells) == 4
    assert _exports(services) == []  # a view, not a file export


def test_a_download_is_the_audited_file(client: FlaskClient, services: Services) -> None:
    _incidents(services)
    email = add_user(services, "wpa_crsv_focal")
    sign_in(client, email)
    response = client.get("/protection/hotspots/download/pdf?sensitivity=PARTNER")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Dalili-Sensitivity"] == "PARTNER"
    body = response.get_data()
    assert body.startswith(b"%PDF")
    (event,) = _exports(services)
    assert event["actor"] == email
    assert event["sha256"] == hashlib.sha256(body).hexdigest() == response.headers["X-Dalili-Sha256"]
    assert event["sensitivity"] == "PARTNER"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/protection/hotspots/download/docx", 404),
        ("/protection/hotspots/download/csv?since=yesterday", 400),
        ("/protection/hotspots/download/csv?resolution=12", 400),
        ("/protection/hotspots/download/pdf?paper=A0", 400),
        ("/protection/hotspots/preview.geojson?cells=admin", 400),  # no boundaries installed
        ("/protection?cell_km=abc", 400),
    ],
)
def test_bad_filters_get_a_precise_400(
    client: FlaskClient, services: Services, path: str, status: int
) -> None:
    sign_in(client, add_user(services, "protection_analyst"))
    assert client.get(path, headers=PAGE).status_code == status


def test_roles_without_protection_rights_get_403(client: FlaskClient, services: Services) -> None:
    sign_in(client, add_user(services, "network_coordinator"))
    assert client.get("/protection/hotspots/download/csv", headers=PAGE).status_code == 403
    assert client.get("/protection/hotspots/preview.geojson", headers=PAGE).status_code == 403


def test_the_api_serves_the_product_and_audited_exports(client: FlaskClient, services: Services) -> None:
    _incidents(services)
    headers = bearer(services, "joc_officer")
    product = client.get("/api/hotspots?resolution=5", headers=headers)
    assert product.status_code == 200
    assert json.loads(product.get_data())["type"] == "FeatureCollection"
    csv = client.get("/api/hotspots/export/csv?category=ATK", headers=headers)
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[1].startswith("#")  # the HXL row right under the header
    assert len(_exports(services)) == 1
    unknown = client.get("/api/hotspots?colour=red", headers=headers)
    assert unknown.status_code == 400
    assert "colour" in unknown.get_json()["error"]
    assert client.get("/api/hotspots").status_code == 401
    assert (
        client.get("/api/hotspots", headers=bearer(services, "triage_reviewer", "r@x.org")).status_code == 403
    )


def test_the_cli_exports_as_a_named_user(app: Flask, services: Services, tmp_path: Path) -> None:
    _incidents(services)
    email = add_user(services, "protection_analyst")
    out = tmp_path / "hotspots.gpkg"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["hotspots", "export", "--format", "gpkg", "--out", str(out), "--as", email, "--resolution", "5"],
        obj=app_script_info(app),
    )
    assert result.exit_code == 0, result.output
    assert "sha256" in result.output
    assert out.exists()
    (event,) = _exports(services)
    assert event["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    refused = runner.invoke(
        cli,
        ["hotspots", "export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--as", "nobody@x.org"],
        obj=app_script_info(app),
    )
    assert refused.exit_code != 0
    assert "no active user" in refused.output


def app_script_info(app: Flask):  # type: ignore[no-untyped-def]
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_the_patrol_map_comes_in_the_language_asked(
    client: FlaskClient, services: Services, tmp_path: Path
) -> None:
    _incidents(services)
    sign_in(client, add_user(services, "protection_analyst"))
    response = client.get("/protection/hotspots/download/pdf?language=fr")
    assert response.status_code == 200
    (event,) = _exports(services)
    assert event["language"] == "fr"
    if shutil.which("pdftotext"):
        pdf = tmp_path / "carte.pdf"
        pdf.write_bytes(response.get_data())
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Points chauds des incidents vérifiés" in text
        assert "non prévalence" in " ".join(text.split())  # the caveat, however the panel wraps it
    assert client.get("/protection/hotspots/download/pdf?language=sw", headers=PAGE).status_code == 400
    headers = bearer(services, "protection_analyst", "api@example.org")
    refused = client.get("/api/hotspots/export/png?language=sw", headers=headers)
    assert refused.status_code == 400
    assert "language" in refused.get_json()["error"]
