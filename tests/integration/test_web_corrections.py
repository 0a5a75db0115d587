"""The incident page's corrections (#16) and /admin's place aliases through Flask's test client, on
both backends: which forms each role sees, each form's success and its errors as she reads them,
the history's before → after with an undo, and an alias from a corrected place to intake."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.incidents.reports import change_incident_status
from alerts.intake.services import incident_of_report
from alerts.models import Incident, PlaceAlias, Report, User, utcnow
from app.bootstrap import Services
from app.web.review_format import utc_text
from config.settings import Settings
from geo.types import AreaAssignment, PlaceOption
from tests.factories import report
from tests.web import PAGE, add_user, csrf_token, post_form, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

YEI = "armed men attacked the market in Yei"
SQUARES = {
    "SS0101": ("Juba", [31.5, 4.5, 32.0, 5.5]),
    "SS0102": ("Terekeka", [31.0, 4.5, 31.5, 5.5]),
}
"""Two admin-2 areas side by side: a point moved from one to the other changes its areas."""


def _incident(services: Services, text: str = YEI, **kwargs: Any) -> int:
    incident_id = incident_of_report(report(services, text, **kwargs), uow=services.uow())
    assert incident_id is not None
    return incident_id


def _verified(services: Services, text: str = YEI) -> int:
    incident_id = _incident(services, text)
    for step in ("under_review", "verified"):
        change_incident_status(incident_id, step, actor="r@test.dalili.org", uow=services.uow())
    return incident_id


def _signed_in(app: Flask, services: Services, role: str) -> FlaskClient:
    email = f"{role}@test.dalili.org"
    with services.uow() as uow:
        if uow.session.scalar(select(User.id).where(User.email == email)) is None:
            add_user(services, role, email)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def _markup(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=PAGE)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _page(client: FlaskClient, path: str) -> str:
    """The page's text with entities read (attribute values may then hold quotes)."""
    return html.unescape(_markup(client, path))


def _attribute(markup: str, pattern: str) -> list[str]:
    return [html.unescape(value) for value in re.findall(pattern, markup)]


def _correct(client: FlaskClient, incident_id: int, field: str, data: dict[str, str]) -> str:
    """Post one correction form as the page does (its prefixed fields and token); the page after."""
    form = {f"{field}-{name}": value for name, value in data.items()}
    form[f"{field}-csrf_token"] = csrf_token(client, "/queue")
    response = client.post(
        f"/incidents/{incident_id}/corrections/{field}", data=form, headers=PAGE, follow_redirects=True
    )
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def _ok(page: str) -> str:
    found = re.search(r'<p class="banner ok" role="status">([^<]*)</p>', page)
    assert found, "no confirmation: " + " | ".join(re.findall(r'class="banner error"[^>]*>([^<]*)<', page))
    return found.group(1)


def _errors(page: str) -> list[str]:
    return re.findall(r'<p class="banner error" role="status">([^<]*)</p>', page)


def _history(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="history-title"')[1]))


def _forms(page: str, incident_id: int) -> set[str]:
    return set(re.findall(rf'action="/incidents/{incident_id}/corrections/([a-z_]+)"', page))


def _row(services: Services, incident_id: int) -> Incident:
    with services.uow() as uow:
        row = uow.session.get(Incident, incident_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def _set_flags(services: Services, incident_id: int, **flags: Any) -> None:
    with services.uow() as uow:
        for stored in uow.session.scalars(select(Report).where(Report.incident_id == incident_id)):
            stored.flags = stored.flags | flags
        uow.commit()


@pytest.fixture
def layered(tmp_path: Path, services: Services, make_app: Callable[[Settings], Flask]) -> Flask:
    """The app with two admin-2 areas installed (same database as ``services``)."""
    layers = tmp_path / "layers"
    layers.mkdir()
    features = [
        {
            "type": "Feature",
            "properties": {"ADM2_PCODE": pcode, "ADM2_EN": name, "ADM1_PCODE": "SS01"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
            },
        }
        for pcode, (name, (w, s, e, n)) in SQUARES.items()
    ]
    (layers / "ssd_adm2_test.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )
    return make_app(replace(services.settings, layers=(str(layers),)))


class TestWhoSeesWhichForm:
    def test_a_reviewer_corrects_every_field_a_joc_officer_where_when_and_priority_others_nothing(
        self, app: Flask, services: Services
    ) -> None:
        incident = _verified(services)
        page = _page(_signed_in(app, services, "triage_reviewer"), f"/incidents/{incident}")
        assert _forms(page, incident) == {
            "category",
            "flags",
            "priority",
            "occurred_at",
            "place",
            "restriction",
        }
        assert ">Restrict to the CRSV focal point</button>" in page
        joc = _page(_signed_in(app, services, "joc_officer"), f"/incidents/{incident}")
        assert _forms(joc, incident) == {"place", "occurred_at", "priority"}
        assert 'id="correct-title"' in joc
        analyst = _page(_signed_in(app, services, "protection_analyst"), f"/incidents/{incident}")
        assert _forms(analyst, incident) == set()
        assert 'id="correct-title"' not in analyst
        auditor = _signed_in(app, services, "auditor").get(f"/incidents/{incident}", headers=PAGE)
        assert auditor.status_code == 403

    @pytest.mark.parametrize(
        ("language", "texts"),
        [
            (
                "fr",
                ("Corriger la catégorie", "Mots du signalement qui désignent ce lieu", "Catégorie corrigée"),
            ),
            ("ar", ("تصحيح الفئة", "الكلمات الواردة في البلاغ التي تسمّي هذا المكان", "صُحّحت الفئة")),
        ],
    )
    def test_the_forms_and_the_history_are_in_her_language(
        self, app: Flask, services: Services, language: str, texts: tuple[str, str, str]
    ) -> None:
        incident = _incident(services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        post_form(reviewer, "/language", {"language": language, "next": "/queue"})
        done = _correct(reviewer, incident, "category", {"category": "FIG"})
        for text in texts:
            assert text in done

    def test_a_role_without_the_form_is_refused_by_the_service(self, app: Flask, services: Services) -> None:
        incident = _verified(services)
        joc = _signed_in(app, services, "joc_officer")
        form = {"category-category": "FIG", "category-csrf_token": csrf_token(joc, "/queue")}
        refused = joc.post(f"/incidents/{incident}/corrections/category", data=form, headers=PAGE)
        assert refused.status_code == 403
        analyst = _signed_in(app, services, "protection_analyst")
        form = {"priority-priority": "P4", "priority-reason": "x", "priority-csrf_token": csrf_token(analyst)}
        assert analyst.post(f"/incidents/{incident}/corrections/priority", data=form).status_code == 403
        assert _row(services, incident).category == "ATK"

    def test_a_correction_without_its_csrf_token_is_refused(self, app: Flask, services: Services) -> None:
        incident = _incident(services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        response = reviewer.post(
            f"/incidents/{incident}/corrections/category", data={"category-category": "FIG"}, headers=PAGE
        )
        assert response.status_code == 400
        assert _row(services, incident).category == "ATK"


class TestCategoryAndUndo:
    def test_a_category_is_corrected_shown_in_the_history_and_undone(
        self, app: Flask, services: Services
    ) -> None:
        incident = _incident(services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        page = _page(reviewer, f"/incidents/{incident}")
        assert '<option selected value="ATK">Attack on people</option>' in page
        done = _correct(reviewer, incident, "category", {"category": "FIG", "reason": "two armed groups"})
        assert _ok(done) == "Category corrected: Fighting, shooting, explosion."
        history = _history(done)
        assert (
            "Category corrected: Attack on people → Fighting, shooting, explosion (reason: two armed groups)"
            in history
        )
        assert "triage_reviewer@test.dalili.org" in history
        (undo,) = re.findall(rf'action="(/incidents/{incident}/corrections/\d+/undo)"', done)
        back = reviewer.post(
            undo, data={"csrf_token": csrf_token(reviewer, "/queue")}, headers=PAGE, follow_redirects=True
        )
        text = html.unescape(back.get_data(as_text=True))
        assert _ok(text) == "Correction undone."
        assert "Category put back: Fighting, shooting, explosion → Attack on people" in _history(text)
        assert _row(services, incident).category == "ATK"
        (again,) = re.findall(rf'action="(/incidents/{incident}/corrections/\d+/undo)"', text)
        assert again != undo  # what was undone is not offered again; the undo itself can be undone

    def test_the_same_category_or_an_unknown_one_is_explained(self, app: Flask, services: Services) -> None:
        incident = _incident(services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        same = _correct(reviewer, incident, "category", {"category": "ATK"})
        assert _errors(same) == [
            "Not done: the category is already category ATK, restricted False: nothing to correct"
        ]
        unknown = _correct(reviewer, incident, "category", {"category": "XYZ"})
        assert _errors(unknown)[0].startswith("Not done: category 'XYZ' is not one of ATK, ")
        empty = _correct(reviewer, incident, "category", {"category": ""})
        assert _errors(empty) == ["Choose a category."]

    def test_an_undo_of_another_incident_s_correction_is_refused(
        self, app: Flask, services: Services
    ) -> None:
        first, second = _incident(services), _incident(services, "ATK shooting now in Yei")
        reviewer = _signed_in(app, services, "triage_reviewer")
        done = _correct(reviewer, first, "category", {"category": "FIG"})
        (correction,) = re.findall(rf"/incidents/{first}/corrections/(\d+)/undo", done)
        wrong = reviewer.post(
            f"/incidents/{second}/corrections/{correction}/undo",
            data={"csrf_token": csrf_token(reviewer, "/queue")},
            headers=PAGE,
            follow_redirects=True,
        )
        assert _errors(html.unescape(wrong.get_data(as_text=True))) == [
            f"Not done: no correction {correction} of this incident"
        ]

    def test_to_sexual_violence_the_narrative_and_the_forms_vanish_for_a_triage_reviewer(
        self, app: Flask, services: Services
    ) -> None:
        incident = _incident(services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        assert "the market in Yei" in _page(reviewer, f"/incidents/{incident}")
        done = _correct(reviewer, incident, "category", {"category": "SXV", "reason": "she told the WPA"})
        assert _ok(done) == (
            "Category corrected: Sexual violence. The narrative is now restricted to the CRSV focal point."
        )
        assert "the market in Yei" not in done
        assert "Narrative restricted to the CRSV focal point." in done
        assert 'id="correct-title"' not in done
        assert 'id="map-data"' not in done
        history = _history(done)
        assert "Category corrected (narrative read before by triage_reviewer@test.dalili.org)" in history
        assert "she told the WPA" not in history  # her words about a restricted incident: focal point only
        assert "/undo" not in done
        focal = _page(_signed_in(app, services, "wpa_crsv_focal"), f"/incidents/{incident}")
        assert (
            "Category corrected: Attack on people → Sexual violence (reason: she told the WPA;"
            in _history(focal)
        )
        assert "A sexual-violence incident stays restricted: correct its category first." in focal
        assert "/undo" in focal


class TestFlagsPriorityTime:
    def test_only_the_flags_she_changed_are_corrected(self, app: Flask, services: Services) -> None:
        incident = _incident(services)
        _set_flags(services, incident, election_related=True, election_tag="election_related")
        reviewer = _signed_in(app, services, "triage_reviewer")
        (shown,) = _attribute(
            _markup(reviewer, f"/incidents/{incident}"), r'name="flags-shown" type="hidden" value="([^"]+)"'
        )
        flags = json.loads(shown)
        assert flags["election_related"] == "yes"
        changed = flags | {"women_targeted": "yes", "perpetrator_type": "militia", "election_related": "no"}
        done = _correct(reviewer, incident, "flags", changed | {"shown": shown})
        assert _ok(done) == "Flags corrected."
        assert (
            "Flags corrected: Women targeted no → yes; Election related yes → no; "
            "Election tag election related → —; Perpetrator — → militia"
        ) in _history(done)
        with services.uow() as uow:
            stored = uow.session.scalar(select(Report.flags).where(Report.incident_id == incident))
        assert stored is not None
        assert (stored["women_targeted"], stored["perpetrator_type"], stored["election_tag"]) == (
            True,
            "militia",
            None,
        )
        nothing = _correct(reviewer, incident, "flags", changed | {"shown": json.dumps(changed)})
        assert _errors(nothing) == ["No flag was changed."]
        forged = _correct(reviewer, incident, "flags", changed | {"shown": "[]"})
        assert _errors(forged) == ["The flags form is incomplete: reload the page and try again."]
        wrong = _correct(reviewer, incident, "flags", changed | {"vawe": "certain", "shown": shown})
        assert _errors(wrong) == ["Not a valid choice."]

    def test_a_priority_needs_a_reason(self, app: Flask, services: Services) -> None:
        incident = _incident(services, "ATK they are shooting now in Yei")
        reviewer = _signed_in(app, services, "triage_reviewer")
        missing = _correct(reviewer, incident, "priority", {"priority": "P3"})
        assert _errors(missing) == ["Say why the priority changes."]
        done = _correct(reviewer, incident, "priority", {"priority": "P3", "reason": "it was last month"})
        assert _ok(done) == "Priority corrected: P3."
        assert "Priority corrected: P1 → P3 (reason: it was last month)" in _history(done)
        assert '<span class="priority p3">P3</span>' in done

    def test_the_time_is_read_in_the_zone_she_chose(self, app: Flask, services: Services) -> None:
        incident = _incident(services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        page = _page(reviewer, f"/incidents/{incident}")
        assert '<option selected value="Africa/Juba">Africa/Juba (UTC+02:00)</option>' in page
        assert '<option value="UTC">UTC (UTC+00:00)</option>' in page
        when = (utcnow() - timedelta(days=2)).replace(second=0, microsecond=0)
        local = when.astimezone(ZoneInfo("Africa/Juba")).strftime("%Y-%m-%dT%H:%M")
        done = _correct(reviewer, incident, "occurred_at", {"when": local, "zone": "Africa/Juba"})
        assert _ok(done) == "Time it happened corrected."
        assert _row(services, incident).occurred_at == when
        with app.test_request_context():
            shown = utc_text(when)  # in English: "Dec 5, 2026, 23:40 UTC"
        assert (
            f'<dt>Time it happened</dt><dd><time datetime="{when.isoformat()}" dir="auto">{shown}</time>'
            in done
        )
        assert f"Time it happened corrected: not known → {shown}" in _history(done)
        assert f'value="{local}"' in done  # the form shows it again, in the incident's zone
        future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        assert _errors(_correct(reviewer, incident, "occurred_at", {"when": future, "zone": "UTC"})) == [
            "Not done: occurred_at is in the future"
        ]
        assert _errors(
            _correct(reviewer, incident, "occurred_at", {"when": local, "zone": "Mars/Olympus"})
        ) == ["Choose a time zone from the list."]
        assert _errors(_correct(reviewer, incident, "occurred_at", {"when": "yesterday", "zone": "UTC"})) == [
            "Not a valid datetime value."
        ]
        cleared = _correct(reviewer, incident, "occurred_at", {"when": "", "zone": "UTC"})
        assert _ok(cleared) == "Time it happened corrected."
        assert _row(services, incident).occurred_at is None


class TestPlace:
    def test_an_alternative_a_point_a_search_pick_and_an_area_move_the_incident(
        self, layered: Flask, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        services: Services = layered.extensions["dalili"]
        incident = _incident(services, "ATK shooting now near Zzyzxville")
        candidates = [
            {"place": "Kajo Keji", "lon": 31.65, "lat": 4.85, "country": "SS"},
            {"place": "Kaga Bandoro", "lon": 19.18, "lat": 6.99, "country": "CF"},
        ]
        _set_flags(services, incident, place_unresolved=True, place_candidates=candidates)
        reviewer = _signed_in(layered, services, "triage_reviewer")
        choices = _attribute(
            _markup(reviewer, f"/incidents/{incident}"),
            r'name="place-alternative" type="radio" value="([^"]+)"',
        )
        assert [json.loads(c)["name"] for c in choices] == ["Kajo Keji", "Kaga Bandoro"]

        done = _correct(reviewer, incident, "place", {"how": "alternative", "alternative": choices[0]})
        assert _ok(done) == "Place corrected: its admin areas and map point follow."
        row = _row(services, incident)
        assert (row.place_name, row.lon, row.lat, row.precision) == ("Kajo Keji", 31.65, 4.85, 1)
        assert row.areas["adm2_pcode"] == "SS0101"
        assert (
            '<span class="area" data-level="adm2">Juba <span class="hint-inline" dir="ltr">SS0101</span>'
            in done
        )
        data = json.loads(done.split('id="map-data">')[1].split("</script>")[0])
        assert data["incident"] == {"lon": 31.65, "lat": 4.85, "label": "Kajo Keji"}
        assert "Place corrected: no place → Kajo Keji (exact place or pin)" in _history(done)

        moved = _correct(reviewer, incident, "place", {"how": "map", "lon": "31.2", "lat": "5.0"})
        assert _ok(moved)
        row = _row(services, incident)
        assert (row.place_name, row.lon, row.lat, row.areas["adm2_name"]) == (None, 31.2, 5.0, "Terekeka")
        assert "Place corrected: Kajo Keji (exact place or pin) → Terekeka (exact place or pin)" in _history(
            moved
        )

        picked = json.dumps({"name": "Juba", "country": "SS", "lon": 31.58, "lat": 4.85, "kind": "city"})
        found = _correct(
            reviewer, incident, "place", {"how": "search", "found": picked, "words": "Zzyzxville"}
        )
        assert _ok(found)
        row = _row(services, incident)
        assert (row.place_name, row.in_town, row.areas["adm2_name"]) == ("Juba", True, "Juba")

        def area(pcode: str) -> PlaceOption | None:
            names = {"adm1": "Central Equatoria", "adm2": "Terekeka"}
            areas = AreaAssignment({"adm1": "SS01", "adm2": "SS0102"}, names)
            return (
                PlaceOption("Terekeka", "SS", 31.25, 5.0, 2, "adm2", "SS0102", areas)
                if pcode == "SS0102"
                else None
            )

        monkeypatch.setattr(services.geocoder, "area", area, raising=False)
        whole = _correct(reviewer, incident, "place", {"how": "area", "area": "SS0102"})
        assert _ok(whole)
        row = _row(services, incident)
        assert (row.place_name, row.precision, row.areas["adm1_name"]) == ("Terekeka", 2, "Central Equatoria")
        assert '<option value="SS0102">Terekeka (SS0102)</option>' in whole  # its areas are offered next
        unknown = _correct(reviewer, incident, "place", {"how": "area", "area": "XX99"})
        assert _errors(unknown) == ["Not done: no admin area with P-code 'XX99' in the loaded layers"]
        with services.uow() as uow:
            (alias,) = uow.session.scalars(select(PlaceAlias))
            assert (alias.typed, alias.place_name, alias.status) == ("Zzyzxville", "Juba", "proposed")

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"how": "alternative"}, "Choose one of the possible places."),
            ({"how": "alternative", "alternative": "Juba"}, "Choose one of the possible places."),
            ({"how": "search", "found": ""}, "Search for a place and pick it from the list."),
            ({"how": "map", "lon": "31.2"}, "Click the map, or enter a longitude and a latitude."),
            ({"how": "map", "lon": "east", "lat": "5"}, "Not a valid float value."),
            (
                {"how": "map", "lon": "231.2", "lat": "5"},
                "Not done: (231.2, 5.0) is not a longitude and latitude",
            ),
            ({"how": "area", "area": ""}, "Choose an admin area."),
            ({"how": "teleport"}, "Invalid value, must be one of: alternative, search, map, area."),
        ],
    )
    def test_an_incomplete_choice_is_explained(
        self, app: Flask, services: Services, data: dict[str, str], error: str
    ) -> None:
        incident = _incident(services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        assert _errors(_correct(reviewer, incident, "place", data)) == [error]

    def test_the_words_that_named_the_place_are_offered_for_an_alias(
        self, app: Flask, services: Services
    ) -> None:
        incident = _incident(services, "armed men attacked the market in Yei, many hurt")
        page = _page(_signed_in(app, services, "triage_reviewer"), f"/incidents/{incident}")
        assert 'id="place-words" maxlength="200" name="place-words" type="text" value="Yei">' in page
        assert 'name="place-alternative"' not in page  # Yei itself is where it is: nothing else to offer
        joc_incident = _verified(services)
        joc = _page(_signed_in(app, services, "joc_officer"), f"/incidents/{joc_incident}")
        assert 'name="place-words" type="text" value="">' in joc  # she may not read the report


class TestRestriction:
    def test_a_reviewer_restricts_and_the_focal_point_clears_a_restriction_from_a_cue(
        self, app: Flask, services: Services
    ) -> None:
        incident = _incident(services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        missing = _correct(reviewer, incident, "restriction", {"value": "restricted"})
        assert _errors(missing) == ["Say why the restriction changes."]
        done = _correct(reviewer, incident, "restriction", {"value": "restricted", "reason": "the WPA asked"})
        assert _ok(done) == "Restricted to the CRSV focal point."
        assert "Narrative restricted to the CRSV focal point." in done
        focal = _signed_in(app, services, "wpa_crsv_focal")
        page = _page(focal, f"/incidents/{incident}")
        assert ">Clear the restriction</button>" in page
        cleared = _correct(
            focal, incident, "restriction", {"value": "cleared", "reason": "not sexual violence"}
        )
        assert _ok(cleared) == "Restriction cleared: reviewers may read the narrative again."
        assert "Restriction corrected: restricted → not restricted (reason: not sexual violence)" in _history(
            cleared
        )
        assert "the market in Yei" in _page(reviewer, f"/incidents/{incident}")


class TestAliases:
    def _proposed(self, app: Flask, services: Services) -> int:
        incident = _incident(services, "ATK shooting at Kulu Kulu junction")
        reviewer = _signed_in(app, services, "triage_reviewer")
        picked = json.dumps({"name": "Morobo", "country": "SS", "lon": 30.77, "lat": 3.69, "kind": "town"})
        _correct(
            reviewer, incident, "place", {"how": "search", "found": picked, "words": "Kulu Kulu junction"}
        )
        with services.uow() as uow:
            alias_id = uow.session.scalar(select(PlaceAlias.id))
        assert alias_id is not None
        return alias_id

    def test_an_admin_approves_a_proposed_alias_and_intake_places_new_reports_with_it(
        self, app: Flask, services: Services
    ) -> None:
        alias_id = self._proposed(app, services)
        admin = _signed_in(app, services, "admin")
        page = _page(admin, "/admin")
        proposed = page.split('id="proposed-aliases"')[1].split('id="approved-aliases"')[0]
        assert "Kulu Kulu junction" in proposed
        assert "Morobo" in proposed
        assert "triage_reviewer@test.dalili.org" in proposed
        assert "No alias approved yet." in page
        form = {"decision": "approve", "csrf_token": csrf_token(admin, "/admin")}
        approved = html.unescape(
            admin.post(f"/admin/aliases/{alias_id}", data=form, headers=PAGE, follow_redirects=True).get_data(
                as_text=True
            )
        )
        assert "Approved: new reports with “Kulu Kulu junction” are placed at Morobo." in approved
        assert "No alias awaits a decision." in approved
        assert "Kulu Kulu junction" in approved.split('id="approved-aliases"')[1]
        again = admin.post(f"/admin/aliases/{alias_id}", data=form, headers=PAGE, follow_redirects=True)
        assert f"place alias {alias_id} is approved, not proposed" in again.get_data(as_text=True)
        placed = _row(services, _incident(services, "ATK more shooting near kulu kulu junction today"))
        assert (placed.place_name, placed.lon, placed.lat) == ("Morobo", 30.77, 3.69)

    def test_a_rejected_alias_is_not_used_and_only_an_admin_decides(
        self, app: Flask, services: Services
    ) -> None:
        alias_id = self._proposed(app, services)
        reviewer = _signed_in(app, services, "triage_reviewer")
        refused = reviewer.post(
            f"/admin/aliases/{alias_id}",
            data={"decision": "approve", "csrf_token": csrf_token(reviewer, "/queue")},
            headers=PAGE,
        )
        assert refused.status_code == 403
        admin = _signed_in(app, services, "admin")
        form = {"decision": "reject", "csrf_token": csrf_token(admin, "/admin")}
        rejected = admin.post(f"/admin/aliases/{alias_id}", data=form, headers=PAGE, follow_redirects=True)
        assert "Rejected: “Kulu Kulu junction” is not used to place reports." in html.unescape(
            rejected.get_data(as_text=True)
        )
        placed = _row(services, _incident(services, "ATK more shooting near kulu kulu junction today"))
        assert placed.place_name != "Morobo"
