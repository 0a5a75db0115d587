"""The queue and incident pages through Flask's test client, on both backends: what each role sees,
a triage from received to actioned through the forms, merges, restricted narratives, escaped SMS
text, filters and keyset pages, the new-alerts endpoint, the map's data and CSRF."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from werkzeug.test import TestResponse

from alerts.incidents.corroboration import suggest_duplicates
from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from alerts.models import Incident, Network, Report, Reporter, User
from app.bootstrap import Services
from config.settings import Settings
from tests.factories import add_reporter, report
from tests.web import PAGE, add_user, csrf_token, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

JUBA = {"lon": 31.58, "lat": 4.85}
SXV_NARRATIVE = "SXV they hurt a girl behind the water point at dawn"


def _incident(services: Services, text: str, **kwargs: Any) -> int:
    incident_id = incident_of_report(report(services, text, **kwargs), uow=services.uow())
    assert incident_id is not None
    return incident_id


def _verified(services: Services, text: str, **kwargs: Any) -> int:
    incident_id = _incident(services, text, **kwargs)
    for step in ("under_review", "verified"):
        change_incident_status(incident_id, step, actor="reviewer@test.dalili.org", uow=services.uow())
    return incident_id


def _signed_in(app: Flask, services: Services, role: str, email: str | None = None) -> FlaskClient:
    client = app.test_client()
    email = add_user(services, role, email)
    assert sign_in(client, email).status_code == 302
    return client


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=PAGE)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _post(
    client: FlaskClient, path: str, data: dict[str, str] | None = None, *, prefix: str = ""
) -> TestResponse:
    """Post an incident-page form with its token, and follow the redirect back to the page."""
    field = f"{prefix}-csrf_token" if prefix else "csrf_token"
    form = (data or {}) | {field: csrf_token(client, "/queue")}
    return client.post(path, data=form, headers=PAGE, follow_redirects=True)


def _shown_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-incident="(\d+)">', page)]


class TestQueue:
    def test_each_role_sees_the_queue_it_may(self, app: Flask, services: Services) -> None:
        key = add_reporter(services, network="Bentiu Women Peace Monitors")
        open_one = _incident(services, "MOV women cannot go to the market")
        verified = _verified(services, "ATK they are shooting at the market", reporter_key=key)
        coordinator = add_user(services, "network_coordinator")
        with services.uow() as uow:
            user_id = uow.session.scalar(select(User.id).where(User.email == coordinator))
            network = uow.session.scalar(select(Network).where(Network.name == "Bentiu Women Peace Monitors"))
            assert network is not None
            network.coordinator_id = user_id
            uow.commit()
        expected = {
            "triage_reviewer": {open_one, verified},
            "wpa_crsv_focal": {open_one, verified},
            "joc_officer": {verified},
            "protection_analyst": {verified},
        }
        for role, ids in expected.items():
            page = _page(_signed_in(app, services, role), "/queue")
            assert set(_shown_ids(page)) == ids, role
        coordinator_client = app.test_client()
        sign_in(coordinator_client, coordinator)
        assert _shown_ids(_page(coordinator_client, "/queue")) == [verified]
        for role in ("contact_officer", "admin", "auditor"):
            refused = _signed_in(app, services, role).get("/queue", headers=PAGE)
            assert refused.status_code == 403, role
            assert "Not available to your role" in refused.get_data(as_text=True)
        visitor = app.test_client().get("/queue", headers=PAGE)
        assert visitor.headers["Location"] == "/login?next=/queue"

    def test_a_row_shows_priority_category_place_status_counts_grade_and_a_countdown(
        self, app: Flask, services: Services
    ) -> None:
        incident = _incident(services, "ATK Juba they are shooting now", content=JUBA)
        with services.uow() as uow:
            row = uow.session.get(Incident, incident)
            assert row is not None
            row.place_name, row.country, row.escalation_level = "Juba", "SS", 1
            row.areas = {"adm2_name": "Juba County", "adm2_pcode": "SS0101"}
            deadline = row.deadline_at.isoformat()
            uow.commit()
        page = _page(_signed_in(app, services, "triage_reviewer"), "/queue")
        row_html = page.split(f'<tr data-incident="{incident}">')[1].split("</tr>")[0]
        assert '<span class="priority p1">P1</span>' in row_html
        assert 'class="escalated"' in row_html
        assert f'href="/incidents/{incident}">Attack on people</a>' in row_html
        assert "Juba County · SS" in row_html
        assert "Received" in row_html
        assert f'datetime="{deadline}" data-countdown' in row_html
        assert re.search(r">due in 0:1\d:\d\d</time>", row_html)
        assert 'data-due="due in {t}" data-overdue="overdue by {t}"' in page
        assert '<script src="/static/countdown.js" defer></script>' in page

    def test_filters_narrow_the_queue_and_pages_keep_them(
        self, app: Flask, services: Services, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        attacks = [_incident(services, f"ATK shooting now near the river {n}") for n in range(3)]
        movement = _incident(services, "MOV women cannot go to the market")
        with services.uow() as uow:
            for incident in uow.session.scalars(select(Incident)):
                incident.country = "CF" if incident.id == movement else "SS"
            uow.commit()
        client = _signed_in(app, services, "triage_reviewer")
        assert _shown_ids(_page(client, "/queue?category=MOV")) == [movement]
        assert set(_shown_ids(_page(client, "/queue?status=received"))) == {*attacks, movement}
        assert _shown_ids(_page(client, "/queue?since=2999-01-01")) == []
        assert _shown_ids(_page(client, "/queue?country=CF")) == [movement]

        monkeypatch.setattr("app.web.review.QUEUE_PAGE", 2)
        first = _page(client, "/queue?category=ATK")
        assert _shown_ids(first) == attacks[:2]
        next_url = html.unescape(re.search(r'<a href="([^"]+)" rel="next">Next page</a>', first).group(1))  # type: ignore[union-attr]
        assert "category=ATK" in next_url
        assert "after=" in next_url
        second = _page(client, next_url)
        assert _shown_ids(second) == attacks[2:]
        assert 'rel="next"' not in second
        assert ">First page</a>" in second

    def test_the_first_page_shows_those_awaiting_a_decision_and_handled_ones_have_their_tab(
        self, app: Flask, services: Services, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        handled = [_verified(services, f"ATK shooting now near the river {n}") for n in range(2)]
        awaiting = [_incident(services, f"ATK shooting now at the market {n}") for n in range(2)]
        client = _signed_in(app, services, "triage_reviewer")
        monkeypatch.setattr("app.web.review.QUEUE_PAGE", 2)
        first = _page(client, "/queue")
        assert _shown_ids(first) == awaiting  # same priority, and the handled ones are due sooner
        assert "awaiting a decision first, then those handled" in first
        second = _page(client, html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1)))  # type: ignore[union-attr]
        assert _shown_ids(second) == handled
        tabs = dict(re.findall(r'<a href="([^"]+)"(?: aria-current="page")?>([^<]+)</a>', first))
        assert {tabs[url] for url in ("/queue?view=all", "/queue?view=awaiting", "/queue?view=handled")} == {
            "All open incidents",
            "Awaiting a decision",
            "Handled",
        }
        assert 'aria-current="page">All open incidents</a>' in first
        handled_tab = _page(client, "/queue?view=handled&category=ATK")
        assert _shown_ids(handled_tab) == handled
        assert 'aria-current="page">Handled</a>' in handled_tab
        assert '<input id="view" name="view" type="hidden" value="handled">' in handled_tab
        assert 'value="received"' not in handled_tab  # the status filter offers the tab's statuses
        assert 'href="/queue?category=ATK&amp;view=awaiting"' in handled_tab  # tabs keep the filters
        assert _shown_ids(_page(client, "/queue?view=awaiting")) == awaiting
        refused = _page(client, "/queue?view=awaiting&status=verified")
        assert "Correct the filters to see the queue." in refused
        joc = _page(_signed_in(app, services, "joc_officer"), "/queue")
        assert "Awaiting a decision" not in joc  # she reads verified incidents only: nothing awaits her

    def test_bad_filters_and_forged_cursors_are_explained(self, app: Flask, services: Services) -> None:
        _incident(services, "ATK shooting now")
        client = _signed_in(app, services, "triage_reviewer")
        bad = _page(client, "/queue?since=yesterday&category=XYZ")
        assert "Correct the filters to see the queue." in bad
        assert bad.count('class="field-error"') == 2
        assert _shown_ids(bad) == []
        forged = client.get("/queue?after=bm90IGEgY3Vyc29y", headers=PAGE, follow_redirects=True)
        assert "That page link is no longer valid" in forged.get_data(as_text=True)
        assert len(_shown_ids(forged.get_data(as_text=True))) == 1

    def test_the_updates_endpoint_counts_alerts_that_arrived_after_the_page(
        self, app: Flask, services: Services
    ) -> None:
        _incident(services, "ATK shooting now")
        client = _signed_in(app, services, "triage_reviewer")
        page = _page(client, "/queue")
        updates = html.unescape(re.search(r'data-updates="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        assert client.get(updates).json == {"new": 0, "more": False, "text": "", "url": None}
        _incident(services, "MOV women cannot go to the market")
        abduction = _incident(services, "ABD they took two girls")
        answer = client.get(updates)
        assert answer.json == {
            "new": 2,
            "more": False,
            "text": "2 new alerts",
            "url": f"/incidents/{abduction}",  # "Show" opens the most urgent new one, wherever it is
        }
        assert answer.headers["Cache-Control"] == "no-store"
        filtered = html.unescape(
            re.search(r'data-updates="([^"]+)"', _page(client, "/queue?category=ABD")).group(1)  # type: ignore[union-attr]
        )
        assert "category=ABD" in filtered
        _incident(services, "MOV the road to the well is closed")
        assert client.get(filtered).json["new"] == 0
        assert client.get("/queue/updates?newer_than=yesterday").status_code == 400
        assert app.test_client().get(updates).status_code == 302  # signed out: no data

    def test_the_queue_page_makes_the_same_few_queries_however_long_it_is(
        self, app: Flask, services: Services
    ) -> None:
        client = _signed_in(app, services, "triage_reviewer")
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        _incident(services, "ATK shooting now")
        event.listen(services.engine, "before_cursor_execute", count)
        try:
            _page(client, "/queue")
            few = len(statements)
            for n in range(6):
                _incident(services, f"ARM armed men near the school {n}")
            statements.clear()
            _page(client, "/queue")
        finally:
            event.remove(services.engine, "before_cursor_execute", count)
        assert len(statements) == few


class TestIncident:
    def test_a_reviewer_verifies_and_a_joc_officer_marks_it_actioned_through_the_forms(
        self, app: Flask, services: Services
    ) -> None:
        key = add_reporter(services)
        with services.uow() as uow:
            reporter = uow.session.get(Reporter, key)
            assert reporter is not None
            reporter.consent_followup = True
            uow.commit()
        incident = _incident(
            services, "ATK they are shooting at the market now", content=JUBA, reporter_key=key
        )
        reviewer = _signed_in(app, services, "triage_reviewer")
        url = f"/incidents/{incident}"
        page = _page(reviewer, url)
        for button in ("Start review", "Verify", "Reject", "Mark unverified", "Escalate", "Assign"):
            assert f">{button}</button>" in page
        assert ">Mark actioned</button>" not in page

        started = _post(reviewer, f"{url}/start-review").get_data(as_text=True)
        assert 'class="banner ok"' in started
        assert "Review started." in started
        verified = _post(
            reviewer, f"{url}/verify", {"verify-credibility": "2", "verify-reliability": "B"}, prefix="verify"
        )
        text = verified.get_data(as_text=True)
        assert "Verified." in text
        assert '<span class="status verified">Verified</span>' in text
        assert '<strong dir="ltr">B2</strong>' in text

        joc = _signed_in(app, services, "joc_officer")
        joc_page = _page(joc, url)
        assert ">Verify</button>" not in joc_page
        assert "Narrative not shown to your role." in joc_page
        done = _post(
            joc,
            f"{url}/actioned",
            {"actioned-responder": "Juba TOB", "actioned-reference": "P-17"},
            prefix="actioned",
        ).get_data(as_text=True)
        assert "Marked actioned." in done
        assert '<span class="status response_dispatched">Actioned</span>' in done
        assert "Juba TOB" in done
        history = done.split('id="history-title"')[1]
        assert "Received → Under review" in history
        assert "Under review → Verified (grade B2)" in history
        assert "Verified → Actioned (by Juba TOB; reference P-17)" in history
        assert "joc_officer@test.dalili.org" in history
        jobs = services.queues.queues["notify"].job_ids
        assert any(job.startswith(f"follow-ups-passed_on-{incident}-") for job in jobs)

    def test_a_missing_choice_or_a_refused_step_comes_back_as_a_message(
        self, app: Flask, services: Services
    ) -> None:
        incident = _incident(services, "ATK shooting now")
        reviewer = _signed_in(app, services, "triage_reviewer")
        url = f"/incidents/{incident}"
        missing = _post(reviewer, f"{url}/verify", {"verify-credibility": ""}, prefix="verify").get_data(
            as_text=True
        )
        assert "Choose the information credibility." in missing
        no_reason = _post(reviewer, f"{url}/reject", {"reject-reason": ""}, prefix="reject").get_data(
            as_text=True
        )
        assert "Say why the incident is rejected." in no_reason
        _post(reviewer, f"{url}/verify", {"verify-credibility": "3"}, prefix="verify")
        refused = _post(reviewer, f"{url}/reject", {"reject-reason": "a duplicate"}, prefix="reject")
        assert refused.status_code == 200
        assert "Not done: this step is not possible from the incident's current status." in html.unescape(
            refused.get_data(as_text=True)
        )
        nobody = _post(reviewer, f"{url}/assign", {"assign-email": "nobody@test.dalili.org"}, prefix="assign")
        assert "is not an active reviewer or responder" in nobody.get_data(as_text=True)
        colleague = add_user(services, "wpa_crsv_focal")
        assigned = _post(reviewer, f"{url}/assign", {"assign-email": colleague}, prefix="assign")
        assert f"Assigned to {colleague}" in assigned.get_data(as_text=True)

    def test_roles_that_may_not_act_get_403_and_unknown_incidents_404(
        self, app: Flask, services: Services
    ) -> None:
        incident = _verified(services, "ATK shooting now")
        joc = _signed_in(app, services, "joc_officer")
        refused = joc.post(
            f"/incidents/{incident}/escalate", data={"csrf_token": csrf_token(joc, "/queue")}, headers=PAGE
        )
        assert refused.status_code == 403
        assert "Not available to your role" in refused.get_data(as_text=True)
        assert joc.get("/incidents/999999", headers=PAGE).status_code == 404
        assert joc.get("/incidents/99999999999999999999", headers=PAGE).status_code == 404

    def test_a_post_without_its_csrf_token_is_refused(self, app: Flask, services: Services) -> None:
        incident = _incident(services, "ATK shooting now")
        reviewer = _signed_in(app, services, "triage_reviewer")
        response = reviewer.post(
            f"/incidents/{incident}/verify", data={"verify-credibility": "2"}, headers=PAGE
        )
        assert response.status_code == 400
        assert "The form could not be accepted" in response.get_data(as_text=True)
        with services.uow() as uow:
            stored = uow.session.get(Incident, incident)
            assert stored is not None
            assert stored.status == "received"

    def test_a_sexual_violence_narrative_is_shown_to_the_focal_point_only(
        self, app: Flask, services: Services
    ) -> None:
        incident = _incident(services, SXV_NARRATIVE, content=JUBA)
        reviewer_page = _page(_signed_in(app, services, "triage_reviewer"), f"/incidents/{incident}")
        assert "water point" not in reviewer_page
        assert "Narrative restricted to the CRSV focal point." in reviewer_page
        assert 'id="map-data"' not in reviewer_page
        assert "never shown as points" in reviewer_page
        assert ">Verify</button>" not in reviewer_page  # only the focal point acts on it
        focal_page = _page(_signed_in(app, services, "wpa_crsv_focal"), f"/incidents/{incident}")
        assert "behind the water point at dawn" in focal_page
        data = json.loads(html.unescape(focal_page.split('id="map-data">')[1].split("</script>")[0]))
        assert data["incident"]["lon"] == JUBA["lon"]
        assert ">Verify</button>" in focal_page

    def test_sms_text_with_markup_is_shown_as_inert_text_with_evidence_marked(
        self, app: Flask, services: Services
    ) -> None:
        text = "they are shooting <script>alert(1)</script> <b>now</b> ' OR 1=1; -- Shooting"
        incident = _incident(services, text)
        page = _page(_signed_in(app, services, "triage_reviewer"), f"/incidents/{incident}")
        narrative = page.split('<blockquote class="narrative" dir="auto">')[1].split("</blockquote>")[0]
        assert "<script>" not in narrative
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in narrative
        assert "&lt;b&gt;" in narrative
        assert "&#39; OR 1=1; --" in narrative
        assert "<mark>shooting</mark>" in narrative
        assert "<mark>Shooting</mark>" in narrative

    def test_duplicates_are_merged_into_this_one_and_unmerged(self, app: Flask, services: Services) -> None:
        first = _incident(
            services, "FIG shooting near the market", content=JUBA, reporter_key=add_reporter(services)
        )
        second = _incident(
            services, "FIG heavy shooting near the market", content=JUBA, reporter_key=add_reporter(services)
        )
        assert suggest_duplicates(second, uow=services.uow(), rules=services.cluster_rules) == [first]
        reviewer = _signed_in(app, services, "triage_reviewer")
        page = _page(reviewer, f"/incidents/{first}")
        duplicates = page.split('id="duplicates-title"')[1]
        assert f"#{second}</span></a>" in duplicates
        assert "0.0 km" in duplicates
        assert ">Merge into this</button>" in duplicates

        merged = _post(reviewer, f"/incidents/{first}/merge", {"source": str(second)}).get_data(as_text=True)
        assert f"Incident {second} merged into this one." in merged
        assert merged.count('<article class="report"') == 2
        assert f'href="/incidents/{second}" dir="ltr">#{second}</a>' in merged
        source_page = _page(reviewer, f"/incidents/{second}")
        assert "This incident was merged into another one." in source_page

        unmerged = _post(reviewer, f"/incidents/{first}/unmerge", {"source": str(second)}).get_data(
            as_text=True
        )
        assert f"Incident {second} separated again." in unmerged
        assert unmerged.count('<article class="report"') == 1
        assert f"Incident {second} merged into this one" in unmerged.split('id="history-title"')[1]

        suggestion = re.search(rf"/incidents/{first}/suggestions/(\d+)/dismiss", unmerged)
        assert suggestion is not None
        dismissed = _post(reviewer, suggestion.group(0)).get_data(as_text=True)
        assert "Marked as a different incident." in dismissed
        assert ">Merge into this</button>" not in dismissed

    def test_a_patrol_check_and_a_request_for_information_are_recorded(
        self, app: Flask, services: Services
    ) -> None:
        incident = _incident(services, "ATK shooting now", content=JUBA)
        reviewer = _signed_in(app, services, "triage_reviewer")
        checked = _post(
            reviewer, f"/incidents/{incident}/check", {"check-outcome": "confirmed"}, prefix="check"
        )
        text = checked.get_data(as_text=True)
        assert "Check recorded; credibility recomputed." in text
        assert "Check: confirmed by a patrol or partner; credibility now 1" in text
        asked = _post(reviewer, f"/incidents/{incident}/request-information").get_data(as_text=True)
        assert "Asked reporters who accepted follow-ups for more information" in asked
        escalated = _post(reviewer, f"/incidents/{incident}/escalate").get_data(as_text=True)
        assert "Escalated P1 → P1" in escalated


class TestMap:
    def test_leaflet_is_served_by_the_app_and_nothing_else_of_the_package(self, client: FlaskClient) -> None:
        with client.get("/static/vendor/leaflet/leaflet.js") as script:
            assert script.status_code == 200
            assert b"Leaflet" in script.get_data()[:400]
            assert script.headers["Cache-Control"] == "public, max-age=2592000"
        with client.get("/static/vendor/leaflet/leaflet.css") as style:
            assert style.mimetype == "text/css"
        for outside in ("leaflet-src.esm.js", "../__init__.py", "images/../../__init__.py"):
            assert client.get(f"/static/vendor/leaflet/{outside}").status_code == 404

    def test_unresolved_places_are_alternatives_and_the_boundaries_are_the_base_layer(
        self, tmp_path: Path, services: Services, make_app: Callable[[Settings], Flask]
    ) -> None:
        layers = tmp_path / "layers"
        layers.mkdir()
        square = [[31.0, 4.5], [32.0, 4.5], [32.0, 5.5], [31.0, 5.5], [31.0, 4.5]]
        (layers / "ssd_adm2_test.geojson").write_text(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"ADM2_PCODE": "SS0101", "ADM2_EN": "Juba", "ADM1_PCODE": "SS01"},
                            "geometry": {"type": "Polygon", "coordinates": [square]},
                        }
                    ],
                }
            )
        )
        app = make_app(replace(services.settings, layers=(str(layers),)))
        services = app.extensions["dalili"]
        pinned = _incident(services, "ATK shooting now", content=JUBA)
        reviewer = _signed_in(app, services, "triage_reviewer")
        page = _page(reviewer, f"/incidents/{pinned}")
        assert "No boundary layer installed" not in page
        data = json.loads(html.unescape(page.split('id="map-data">')[1].split("</script>")[0]))
        assert data["incident"] == {"lon": 31.58, "lat": 4.85, "label": ""}
        areas = reviewer.get(data["boundaries"]).json
        assert [f["properties"]["pcode"] for f in areas["features"]] == ["SS0101"]
        assert reviewer.get("/map/boundaries?bbox=0,0,1,1").json["features"] == []
        assert reviewer.get("/map/boundaries?bbox=x").status_code == 400

        unresolved = _incident(services, "ATK shooting now near Zzyzxville")
        candidates = [
            {"place": "Kajo Keji", "lon": 31.65, "lat": 3.85, "country": "SS"},
            {"place": "Kaga Bandoro", "lon": 19.18, "lat": 6.99, "country": "CF"},
        ]
        with services.uow() as uow:
            stored = uow.session.scalar(select(Report).where(Report.incident_id == unresolved))
            assert stored is not None
            stored.flags = stored.flags | {"place_unresolved": True, "place_candidates": candidates}
            uow.commit()
        unresolved_page = _page(reviewer, f"/incidents/{unresolved}")
        assert "Place not resolved. It may be: Kajo Keji, Kaga Bandoro" in unresolved_page
        data = json.loads(html.unescape(unresolved_page.split('id="map-data">')[1].split("</script>")[0]))
        assert data["incident"] is None
        assert [(c["lon"], c["lat"]) for c in data["candidates"]] == [(31.65, 3.85), (19.18, 6.99)]
        assert data["candidates"][0]["label"].startswith("Possible place: Kajo Keji (report ")
        assert "Possible places of an unresolved report" in unresolved_page

    def test_without_boundaries_the_page_says_so(self, app: Flask, services: Services) -> None:
        incident = _incident(services, "ATK shooting now", content=JUBA)
        page = _page(_signed_in(app, services, "triage_reviewer"), f"/incidents/{incident}")
        assert "No boundary layer installed: the map shows points only." in page
        assert '"boundaries": null' in page
