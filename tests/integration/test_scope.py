"""Who sees what, table-driven (DOMAIN.md §6.4; R29, R35, R36): every role × every country scope ×
every read path (pages, API, feed, suggestions, history, indicators, summaries, hotspot exports) ×
restricted or not.

One world per test: two countries (CF, SS), in each a restricted (SXV) and an unrestricted (ATK)
incident that is open and stale, one verified and one rejected with a reason; every open pair is a
duplicate suggestion of each other (across countries too). Each report carries a narrative, a
reporter key, the classifier's evidence, a survivor flag and place candidates with coordinates.
Each country's incidents lie at one place of its own, so a hotspot product's cells tell the countries
apart; the deployment's hotspot file suppresses nothing (k = 1), so their counts are exact.
What each viewer should get is spelled out below from §6.4, independently of ``alerts.accounts.policy``.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.accounts.users import create_api_token, viewer_of
from alerts.incidents.indicators import indicators, protection_summary
from alerts.incidents.review import reject
from alerts.messages import Viewer
from alerts.models import DuplicateSuggestion, Incident, Network, Report, Reporter, User, utcnow
from alerts.vocabulary import ROLES
from app.bootstrap import Services
from app.cli import main as cli
from config.settings import Settings
from geo.lattices import h3_cells
from tests.web import PAGE, add_user, sign_in

pytestmark = pytest.mark.integration

COUNTRIES = ("CF", "SS")
SCOPES: tuple[tuple[str, ...], ...] = ((), ("CF",), ("SS",))
READERS = {"network_coordinator", "triage_reviewer", "joc_officer", "protection_analyst", "wpa_crsv_focal"}
NARRATIVE_ROLES = {"triage_reviewer", "wpa_crsv_focal"}
VERIFIED_ONLY = {"joc_officer", "protection_analyst"}
REVIEW_ROLES = {"triage_reviewer", "wpa_crsv_focal"}
FEED_ROLES = {"triage_reviewer", "joc_officer", "protection_analyst", "wpa_crsv_focal"}
PROTECTION_ROLES = {"joc_officer", "protection_analyst", "wpa_crsv_focal"}
INDICATOR_ROLES = READERS | {"admin"}
VERIFIED = ("verified", "response_dispatched", "closed")
COORDINATED = {(): "CF-B", ("CF",): "CF-A", ("SS",): "SS-A"}
"""The network each coordinator variant coordinates."""
PLACES = {"CF": (20.5, 6.5), "SS": (31.6, 4.85)}
"""Where each country's incidents and reports lie (lon, lat): Bambari and Juba, an H3 cell each."""
HOTSPOT_RESOLUTION = 6
HOTSPOT_RULES = f"""
default_sensitivity = "UN RESTRICTED"
[sensitivity."UN RESTRICTED"]
k = 1
points = true
roles = {json.dumps(sorted(ROLES))}
[weights]
P1 = 3
P2 = 2
P3 = 1
P4 = 0
[analysis]
cells = "h3"
h3_resolution = {HOTSPOT_RESOLUTION}
permutations = 99
"""
"""The deployment's hotspot file: no cell suppressed, points allowed, and every role in the ISP, so a
refusal can only come from who may have hotspot products at all."""


@dataclass
class Seeded:
    id: int
    country: str
    restricted: bool
    status: str
    marker: str
    """In its place name, narrative, reason and fine area: what must not leak."""
    reports: dict[int, str] = field(default_factory=dict)
    """Report id → network name."""


@dataclass
class Person:
    viewer: Viewer
    token: dict[str, str]
    client: FlaskClient

    @property
    def role(self) -> str:
        return self.viewer.role

    def __str__(self) -> str:
        return f"{self.role} in {sorted(self.viewer.countries) or 'every country'}"


@dataclass
class World:
    incidents: list[Seeded]
    people: list[Person]
    networks: dict[str, int]
    app: Flask


# What §6.4 says each viewer gets -----------------------------------------------------------------


def sees(person: Person, incident: Seeded) -> bool:
    viewer = person.viewer
    return (
        viewer.role in READERS
        and (not viewer.countries or incident.country in viewer.countries)
        and (viewer.role not in VERIFIED_ONLY or incident.status in VERIFIED)
        and (viewer.role != "network_coordinator" or bool(_hers(person, incident)))
    )


def _hers(person: Person, incident: Seeded) -> set[int]:
    return {r for r, network in incident.reports.items() if network == _network_of(person)}


def _network_of(person: Person) -> str | None:
    return (
        COORDINATED[tuple(sorted(person.viewer.countries))] if person.role == "network_coordinator" else None
    )


def reports_seen(person: Person, incident: Seeded) -> set[int]:
    if not sees(person, incident):
        return set()
    return _hers(person, incident) if person.role == "network_coordinator" else set(incident.reports)


def full(person: Person, incident: Seeded) -> bool:
    """All of it: a restricted incident only for the CRSV focal point."""
    return not incident.restricted or person.role == "wpa_crsv_focal"


def narrative(person: Person, incident: Seeded) -> bool:
    return person.role in NARRATIVE_ROLES and full(person, incident)


def exported(person: Person, incident: Seeded) -> bool:
    """In her hotspot products: those are of verified incidents (DOMAIN.md §7), for the JOC officer,
    the protection analyst and the CRSV focal point alike."""
    return person.role in PROTECTION_ROLES and sees(person, incident) and incident.status in VERIFIED


# The world ---------------------------------------------------------------------------------------


def _seed(services: Services) -> tuple[list[Seeded], dict[str, int]]:
    now = utcnow()
    crsv = Viewer(0, "seed-crsv@scope.test", "wpa_crsv_focal")
    incidents: list[Seeded] = []
    with services.uow() as uow:
        networks = {name: Network(name=name, country=name[:2]) for name in ("CF-A", "CF-B", "SS-A")}
        uow.session.add_all(networks.values())
        uow.session.flush()
        network_ids = {name: n.id for name, n in networks.items()}
        for country in COUNTRIES:
            for restricted in (False, True):
                for status in ("received", "verified", "under_review"):
                    marker = f"Q{len(incidents)}Z{secrets.token_hex(2)}"
                    lon, lat = PLACES[country]
                    incident = Incident(
                        category="SXV" if restricted else "ATK",
                        restricted=restricted,
                        status=status,
                        priority="P2",
                        credibility=3,
                        country=country,
                        place_name=f"Village{marker}",
                        areas={
                            "adm1_name": f"Prefecture {country}",
                            "adm2_name": "District",
                            "adm3_name": marker,
                        },
                        lon=lon,
                        lat=lat,
                        precision=1,
                        **{f"h3_r{r}": cell for r, cell in h3_cells(lon, lat).items()},
                        first_reported_at=now - timedelta(hours=10),
                        deadline_at=now - timedelta(hours=6),
                    )
                    uow.session.add(incident)
                    uow.session.flush()
                    seeded = Seeded(incident.id, country, restricted, status, marker)
                    senders = [f"{country}-A"] + (
                        ["CF-B"] if (country, restricted, status) == ("CF", False, "received") else []
                    )
                    for network in senders:
                        key = secrets.token_hex(32)
                        uow.session.add(Reporter(key=key, network_id=network_ids[network], registered=True))
                        uow.session.flush()
                        report = Report(
                            ref=secrets.token_hex(3).upper(),
                            reporter_key=key,
                            network_id=network_ids[network],
                            incident_id=incident.id,
                            origin_incident_id=incident.id,
                            channel="sms",
                            received_at=incident.first_reported_at,
                            category=incident.category,
                            text=f"Narrative{marker} armed men raped two women",
                            place_name=incident.place_name,
                            areas=incident.areas,
                            lon=lon,
                            lat=lat,
                            precision=1,
                            priority="P2",
                            flags={
                                "evidence": {incident.category: ["raped"]},
                                "women_targeted": True,
                                "women_target_type": "voter",
                                "place_unresolved": True,
                                "place_candidates": [
                                    {"place": f"Cand{marker}", "lon": 20.1, "lat": 6.1, "country": country}
                                ],
                            },
                        )
                        uow.session.add(report)
                        uow.session.flush()
                        seeded.reports[report.id] = network
                    incidents.append(seeded)
        open_ones = [i for i in incidents if i.status != "under_review"]
        for n, first in enumerate(open_ones):
            for second in open_ones[n + 1 :]:
                uow.session.add(
                    DuplicateSuggestion(
                        incident_id=second.id,
                        candidate_id=first.id,
                        distance_km=1.0,
                        hours_apart=0.5,
                        reason="near",
                    )
                )
        uow.commit()
    for seeded in incidents:
        if seeded.status == "under_review":
            reject(seeded.id, crsv, uow=services.uow(), reason=f"Reason{seeded.marker} she named the village")
            seeded.status = "rejected"
    return incidents, network_ids


def _person(services: Services, app: Flask, role: str, countries: tuple[str, ...], n: int) -> Person:
    email = add_user(services, role, f"{role}.{'-'.join(countries).lower() or 'all'}@scope.test", countries)
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        if role == "network_coordinator":
            network = uow.session.scalar(select(Network).where(Network.name == COORDINATED[countries]))
            assert network is not None
            network.coordinator_id = user.id
            uow.commit()
        viewer = viewer_of(uow.session, user)
    client = app.test_client()
    assert sign_in(client, email, address=f"10.1.{n // 200}.{n % 200 + 1}").status_code == 302
    secret, _ = create_api_token(email, days=services.settings.api_token_days, uow=services.uow())
    return Person(viewer, {"Authorization": f"Bearer {secret}"}, client)


@pytest.fixture
def app(backend_settings: Settings, make_app: Callable[[Settings], Flask], tmp_path: Path) -> Flask:
    """The conftest's app, with this module's hotspot file (``HOTSPOT_RULES``)."""
    rules = tmp_path / "hotspots.toml"
    rules.write_text(HOTSPOT_RULES, encoding="utf-8")
    return make_app(replace(backend_settings, hotspots_file=str(rules)))


@pytest.fixture
def world(app: Flask, services: Services) -> World:
    incidents, networks = _seed(services)
    people = [
        _person(services, app, role, scope, n)
        for n, (role, scope) in enumerate((role, scope) for role in ROLES for scope in SCOPES)
    ]
    return World(incidents, people, networks, app)


def _json(person: Person, path: str) -> tuple[int, Any]:
    response = person.client.get(path, headers=person.token)
    return response.status_code, response.get_json()


def _page(person: Person, path: str) -> tuple[int, str]:
    response = person.client.get(path, headers=PAGE)
    return response.status_code, response.get_data(as_text=True)


# Read paths --------------------------------------------------------------------------------------


def the_queue_shows_only_what_each_viewer_may_see(world: World, services: Services) -> None:
    for person in world.people:
        expected = {i.id for i in world.incidents if sees(person, i) and i.status != "rejected"}
        status, body = _json(person, "/api/incidents?limit=200")
        page_status, page = _page(person, "/queue")
        if person.role not in READERS:
            assert (status, page_status) == (403, 403), person
            continue
        assert {item["id"] for item in body["incidents"]} == expected, person
        for incident in world.incidents:
            assert (f'data-incident="{incident.id}"' in page) is (incident.id in expected), (person, incident)
            assert (incident.marker in page) is (incident.id in expected and full(person, incident)), (
                person,
                incident,
            )
        for item in body["incidents"]:
            assert (item["place_name"] is not None) is (
                not item["restricted"] or person.role == "wpa_crsv_focal"
            )


def incident_detail_shows_each_viewer_what_she_may_read(world: World, services: Services) -> None:
    for person in world.people:
        for incident in world.incidents:
            status, detail = _json(person, f"/api/incidents/{incident.id}")
            page_status, page = _page(person, f"/incidents/{incident.id}")
            where = (str(person), incident)
            if person.role not in READERS:
                assert (status, page_status) == (403, 403), where
                continue
            if not sees(person, incident):
                assert (status, page_status) == (404, 404), where
                continue
            assert (status, page_status) == (200, 200), where
            shown_all = full(person, incident)
            assert {r["id"] for r in detail["reports"]} == reports_seen(person, incident), where
            assert (detail["lon"] is not None) is shown_all, where
            assert (detail["place_name"] is not None) is shown_all, where
            assert ("adm3_name" in detail["areas"]) is shown_all, where
            for report in detail["reports"]:
                flags = report["flags"]
                assert ("text" in report) is narrative(person, incident), where
                assert ("evidence" in flags) is narrative(person, incident), where
                assert ("reporter_key" in report) is (person.role in NARRATIVE_ROLES), where
                assert ("women_target_type" in flags) is shown_all, where
                assert ("place_candidates" in flags) is shown_all, where
                assert (report["lon"] is not None) is shown_all, where
                assert (report["place_name"] is not None) is shown_all, where
            reasons = [e["details"].get("reason") for e in detail["history"] if e["details"].get("reason")]
            assert bool(reasons) is (incident.status == "rejected" and shown_all), where
            assert (f"Narrative{incident.marker}" in page) is narrative(person, incident), where
            assert (f"Reason{incident.marker}" in page) is (incident.status == "rejected" and shown_all), (
                where
            )
            assert (incident.marker in page) is shown_all, where  # place, fine area, candidates, reason


def duplicate_suggestions_name_only_incidents_she_may_see_and_no_restricted_place(
    world: World, services: Services
) -> None:
    by_id = {i.id: i for i in world.incidents}
    for person in world.people:
        for incident in world.incidents:
            if incident.status == "rejected" or not sees(person, incident):
                continue
            _, detail = _json(person, f"/api/incidents/{incident.id}")
            _, page = _page(person, f"/incidents/{incident.id}")
            others = {o.id for o in world.incidents if o.status != "rejected" and o.id != incident.id}
            assert {s["incident_id"] for s in detail["suggestions"]} == {
                o for o in others if sees(person, by_id[o])
            }, (str(person), incident)
            for suggestion in detail["suggestions"]:
                other = by_id[suggestion["incident_id"]]
                assert (suggestion["place_name"] is not None) is full(person, other), (str(person), other)
            for other_id in others - {s["incident_id"] for s in detail["suggestions"]}:
                assert f"#{other_id}<" not in page, (str(person), incident, other_id)
                assert by_id[other_id].marker not in page, (str(person), incident, other_id)


def reports_are_those_of_incidents_she_may_see_redacted_for_her(world: World, services: Services) -> None:
    restricted = {r: i for i in world.incidents for r in i.reports}
    for person in world.people:
        status, body = _json(person, "/api/reports?limit=200")
        if person.role not in READERS:
            assert status == 403, person
            continue
        expected = set().union(*(reports_seen(person, i) for i in world.incidents))
        assert {r["id"] for r in body["reports"]} == expected, person
        for report in body["reports"]:
            incident = restricted[report["id"]]
            assert ("text" in report) is narrative(person, incident), (str(person), incident)
            assert ("evidence" in report["flags"]) is narrative(person, incident), (str(person), incident)
            assert ("reporter_key" in report) is (person.role in NARRATIVE_ROLES), (str(person), incident)
            assert ("women_target_type" in report["flags"]) is full(person, incident), (str(person), incident)
            assert ("place_candidates" in report["flags"]) is full(person, incident), (str(person), incident)
            assert (report["lat"] is not None) is full(person, incident), (str(person), incident)


def the_stale_view_is_for_reviewers_and_shows_only_what_they_may_see(
    world: World, services: Services
) -> None:
    for person in world.people:
        status, body = _json(person, "/api/incidents/stale")
        page_status, page = _page(person, "/stale")
        if person.role not in REVIEW_ROLES:
            assert (status, page_status) == (403, 403), person
            continue
        expected = {i.id for i in world.incidents if sees(person, i) and i.status == "received"}
        assert {row["id"] for row in body["incidents"]} == expected, person
        for incident in world.incidents:
            assert (f'/incidents/{incident.id}"' in page) is (incident.id in expected), (
                str(person),
                incident,
            )
            assert (incident.marker in page) is (incident.id in expected and full(person, incident)), (
                str(person),
                incident,
            )


def the_verified_feed_and_the_protection_summary_keep_to_her_countries(
    world: World, services: Services
) -> None:
    now = utcnow()
    for person in world.people:
        status, body = _json(person, "/api/verified?limit=200")
        in_scope = [
            i
            for i in world.incidents
            if i.status == "verified"
            and (not person.viewer.countries or i.country in person.viewer.countries)
        ]
        if person.role not in FEED_ROLES:
            assert status == 403, person
        else:
            assert {item["id"] for item in body["incidents"]} == {i.id for i in in_scope}, person
            assert all(item["place_name"] is None for item in body["incidents"] if item["restricted"])
        if person.role in PROTECTION_ROLES:
            summary = protection_summary(
                person.viewer, uow=services.uow(), since=now - timedelta(days=1), until=now
            )
            assert summary["total"] == len(in_scope), person


def indicators_count_her_countries_and_show_no_network_of_another(world: World, services: Services) -> None:
    now = utcnow()
    for person in world.people:
        if person.role not in INDICATOR_ROLES:
            assert _page(person, "/indicators")[0] == 403, person
            continue
        result = indicators(person.viewer, uow=services.uow(), since=now - timedelta(days=1), until=now)
        expected = [
            i
            for i in world.incidents
            if (not person.viewer.countries or i.country in person.viewer.countries)
            and (
                person.role != "network_coordinator" or next(iter(i.reports.values())) == _network_of(person)
            )
        ]
        assert result["overall"]["alerts"] == len(expected), person
        for name, network_id in world.networks.items():
            if person.role == "network_coordinator" and name != _network_of(person):
                continue
            status, page = _page(person, f"/indicators?network={network_id}")
            in_scope = not person.viewer.countries or name[:2] in person.viewer.countries
            assert status == (200 if in_scope else 404), (str(person), name)
            assert (name in page) is in_scope, (str(person), name)


def an_incident_is_assigned_only_to_someone_who_may_see_and_act_on_it(
    world: World, services: Services
) -> None:
    crsv = next(p for p in world.people if p.role == "wpa_crsv_focal" and not p.viewer.countries)
    by_key = {(i.country, i.restricted, i.status): i for i in world.incidents}
    cases = [
        (by_key["CF", False, "received"], "triage_reviewer.cf", 200),
        (by_key["CF", False, "received"], "triage_reviewer.ss", 400),
        (by_key["CF", False, "received"], "joc_officer.cf", 400),
        (by_key["CF", False, "verified"], "joc_officer.cf", 200),
        (by_key["CF", False, "verified"], "joc_officer.ss", 400),
        (by_key["CF", True, "received"], "triage_reviewer.cf", 400),
        (by_key["CF", True, "received"], "wpa_crsv_focal.cf", 200),
        (by_key["CF", True, "received"], "wpa_crsv_focal.ss", 400),
        (by_key["CF", False, "received"], "protection_analyst.all", 400),
    ]
    for incident, who, expected in cases:
        response = crsv.client.post(
            f"/api/incidents/{incident.id}/transitions",
            json={"action": "assign", "email": f"{who}@scope.test"},
            headers=crsv.token,
        )
        assert response.status_code == expected, (incident, who, response.get_json())


def _hotspot_exports(world: World, person: Person, folder: Path) -> dict[str, tuple[bool, bytes]]:
    """Her GeoJSON product by every way out: whether she got it, and what she got (or the refusal)."""
    exports: dict[str, tuple[bool, bytes]] = {}
    for way, path, headers in (
        ("API product", "/api/hotspots", person.token),
        ("API export", "/api/hotspots/export/geojson", person.token),
        ("page preview", "/protection/hotspots/preview.geojson", PAGE),
        ("page download", "/protection/hotspots/download/geojson", PAGE),
    ):
        response = person.client.get(path, headers=headers)
        assert response.status_code in (200, 403), (str(person), way, response.status_code)
        exports[way] = (response.status_code == 200, response.get_data())
    out = folder / f"{person.viewer.email}.geojson"
    result = CliRunner().invoke(
        cli,
        ["hotspots", "export", "--format", "geojson", "--out", str(out), "--as", person.viewer.email],
        obj=ScriptInfo(create_app=lambda: world.app),
    )
    exported_file = result.exit_code == 0
    assert exported_file or "cannot read hotspot products" in result.output, (str(person), result.output)
    exports["CLI export"] = (exported_file, out.read_bytes() if exported_file else result.output.encode())
    return exports


def hotspot_exports_hold_her_countries_verified_incidents_and_sexual_violence_only_in_cells(
    world: World, services: Services
) -> None:
    cell_of = {country: h3_cells(*PLACES[country])[HOTSPOT_RESOLUTION] for country in COUNTRIES}
    for person in world.people:
        counts = Counter(cell_of[i.country] for i in world.incidents if exported(person, i))
        points = {i.id for i in world.incidents if exported(person, i) and not i.restricted}
        with tempfile.TemporaryDirectory(prefix="dalili-scope-") as folder:
            exports = _hotspot_exports(world, person, Path(folder))
        for way, (given, body) in exports.items():
            where = (str(person), way)
            assert given is (person.role in PROTECTION_ROLES), (*where, body[:200])
            for incident in world.incidents:  # no place name, fine area, narrative or reason, refused or not
                assert incident.marker.encode() not in body, (*where, incident)
            if not given:
                continue
            collection = json.loads(body)["features"]
            features = [f["properties"] | {"type": f["geometry"]["type"]} for f in collection]
            cells = [f for f in features if f["layer"] == "cell"]
            assert {c["cell_id"]: c["reports"] for c in cells if c["reports"]} == counts, where
            assert not any(c["suppressed"] for c in cells), where
            incidents = [f for f in features if f["layer"] == "incident"]
            assert {f["incident_id"] for f in incidents} == points, where
            assert {f["type"] for f in incidents} <= {"Point"}, where


READ_PATHS = (
    the_queue_shows_only_what_each_viewer_may_see,
    incident_detail_shows_each_viewer_what_she_may_read,
    duplicate_suggestions_name_only_incidents_she_may_see_and_no_restricted_place,
    reports_are_those_of_incidents_she_may_see_redacted_for_her,
    the_stale_view_is_for_reviewers_and_shows_only_what_they_may_see,
    the_verified_feed_and_the_protection_summary_keep_to_her_countries,
    indicators_count_her_countries_and_show_no_network_of_another,
    hotspot_exports_hold_her_countries_verified_incidents_and_sexual_violence_only_in_cells,
    an_incident_is_assigned_only_to_someone_who_may_see_and_act_on_it,
)


def test_every_read_path_gives_each_role_and_country_only_what_it_may_see(
    world: World, services: Services, subtests: Any
) -> None:
    """One world (building it signs 24 people in), each read path a subtest."""
    for check in READ_PATHS:
        with subtests.test(msg=check.__name__):
            check(world, services)
