"""Boundary layers installed in a deployment give reports their P-codes, sector and special area."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo

from alerts.models import Incident, Report
from app.bootstrap import Services
from app.cli import main
from config.settings import Settings
from tests.factories import add_reporter, report

pytestmark = pytest.mark.integration

BOUNDARIES = Path(__file__).resolve().parents[3] / "shared" / "data" / "boundaries"


def _square(name: str, code: str, lon: float, lat: float, half: float = 0.3) -> dict[str, object]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
    ]
    return {
        "type": "Feature",
        "properties": {"name": name, "code": code},
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    }


def _deployment(
    tmp_path: Path, services: Services, make_app: Callable[[Settings], Flask]
) -> tuple[Flask, Path]:
    layers = tmp_path / "layers"
    app = make_app(replace(services.settings, layers=(str(layers),)))
    return app, layers


def _import(app: Flask, *args: str) -> str:
    result = CliRunner().invoke(main, ["geo", "import", *args], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_pin_inside_a_custom_special_area_is_marked_with_it(
    tmp_path: Path, services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    source = tmp_path / "abyei.geojson"
    source.write_text(
        json.dumps({"type": "FeatureCollection", "features": [_square("Abyei Area", "AB", 28.43, 9.6)]})
    )
    app, layers = _deployment(tmp_path, services, make_app)
    assert "installed" in _import(app, str(source), "--kind", "special")
    assert (layers / "special_abyei.geojson").exists()
    deployed: Services = app.extensions["dalili"]
    report_id = report(deployed, "ATK", content={"lat": 9.61, "lon": 28.45})
    with deployed.uow() as uow:
        stored = uow.session.get(Report, report_id)
        assert stored is not None
        assert stored.areas["special_area"] == "Abyei Area"


@pytest.mark.skipif(not BOUNDARIES.is_dir(), reason="../shared/data/boundaries not available")
def test_a_named_town_gets_the_p_codes_of_the_imported_cod_ab_layers(
    tmp_path: Path, services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    app, _ = _deployment(tmp_path, services, make_app)
    files = [str(BOUNDARIES / f"caf_adm{level}_ocha_cod_ab.geojson") for level in (1, 2, 3)]
    _import(app, *files)
    deployed: Services = app.extensions["dalili"]
    key = add_reporter(deployed, country="CF", language="fr")
    report_id = report(deployed, "FIG Bambari coups de feu", reporter_key=key)
    with deployed.uow() as uow:
        stored = uow.session.get(Report, report_id)
        assert stored is not None
        incident = uow.session.get(Incident, stored.incident_id)
        assert incident is not None
        assert stored.place_name == "Bambari"
        for level in ("adm1", "adm2", "adm3"):
            assert stored.areas[f"{level}_pcode"].startswith("CF"), stored.areas
        assert stored.areas["adm1_name"] == "Ouaka"
        assert incident.areas == stored.areas


def test_a_broken_layer_is_refused_with_a_precise_message_and_nothing_installed(
    tmp_path: Path, services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    broken = tmp_path / "caf_adm2.geojson"
    broken.write_text("{not json")
    app, layers = _deployment(tmp_path, services, make_app)
    result = CliRunner().invoke(main, ["geo", "import", str(broken)], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code != 0
    assert "caf_adm2.geojson skipped" in result.output
    assert not layers.exists()


def test_imported_team_sites_reach_the_patrol_maps(
    tmp_path: Path, services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    source = tmp_path / "minusca.csv"
    source.write_text("mission,location,latitude,longitude\nMINUSCA,Bria,6.5375,21.986\n", encoding="utf-8")
    app, layers = _deployment(tmp_path, services, make_app)
    output = _import(app, "--kind", "site", str(source))
    assert "1 team sites" in output
    assert (layers / "site_minusca.csv").exists()
    deployed = app.extensions["dalili"]
    sites = deployed.geocoder.site_frame()
    assert sites["name"].tolist() == ["Bria"]
