"""The triage-quality page (#16) through Flask's test client, on both backends: who may open it, what
it counts, in which language, and that it shows no narrative or place."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.accounts.users import viewer_of
from alerts.incidents.corrections import CorrectionRequest, correct
from alerts.incidents.review import verify
from alerts.intake.services import incident_of_report
from alerts.messages import Viewer
from alerts.models import User, utcnow
from alerts.vocabulary import ROLES
from app.bootstrap import Services
from tests.factories import report
from tests.web import PAGE, add_user, post_form, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

ALLOWED = {"admin", "joc_officer"}


def _signed_in(app: Flask, services: Services, role: str, countries: tuple[str, ...] = ()) -> FlaskClient:
    client = app.test_client()
    email = add_user(services, role, f"{role}@quality.test", countries)
    assert sign_in(client, email).status_code == 302
    return client


def _staff(services: Services, role: str) -> Viewer:
    email = add_user(services, role, f"{role}@staff.test")
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return viewer_of(uow.session, user)


def _corrected_and_verified(services: Services, text: str, viewer: Viewer, **values: object) -> int:
    incident_id = incident_of_report(report(services, text), uow=services.uow())
    assert incident_id is not None
    for field, value in values.items():
        request = CorrectionRequest(field, value)
        correct(
            incident_id,
            request,
            viewer,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            places=services.geocoder,
            now=utcnow(),
        )
    verify(incident_id, viewer, uow=services.uow(), credibility=3)
    return incident_id


@pytest.fixture
def decided(services: Services) -> None:
    """An attack reviewers called a fight, and one they called sexual violence and moved."""
    focal = _staff(services, "wpa_crsv_focal")
    _corrected_and_verified(services, "ATK armed men attacked the market in Yei", focal, category="FIG")
    _corrected_and_verified(
        services,
        "ATK they beat the trader in Yei",
        focal,
        category="SXV",
        place={"how": "map", "lon": 30.2, "lat": 4.6},
    )


def _rows(page: str, table: str) -> list[str]:
    section = page.split(f'id="{table}"')[1].split("</table>")[0]
    return re.findall(r'<tr data-category="([A-Z]{3})">', section)


@pytest.mark.usefixtures("decided")
class TestThePage:
    @pytest.mark.parametrize("role", sorted(ALLOWED))
    def test_it_counts_what_reviewers_kept_and_changed_without_a_narrative_or_place(
        self, app: Flask, services: Services, role: str
    ) -> None:
        response = _signed_in(app, services, role).get("/quality", headers=PAGE)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert _rows(page, "quality-total") == ["ATK", "FIG", "SXV"]
        attack = page.split('<tr data-category="ATK">')[1].split("</tr>")[0]
        assert re.search(r"FIG</span> <span dir=\"ltr\">×1</span>, .*SXV</span> <span dir=\"ltr\">×1", attack)
        assert '<td class="num">0 %</td>' in attack  # precision: triage kept none of its two attacks
        assert _rows(page, "quality-weeks") == ["ATK", "FIG", "SXV"]  # this week; the others are empty
        assert page.count("No incident decided.") == 7
        for leak in ("Yei", "trader", "market", "30.2"):
            assert leak not in page
        assert 'href="/quality"' in page

    def test_it_speaks_french_and_arabic(self, app: Flask, services: Services) -> None:
        client = _signed_in(app, services, "admin")
        post_form(client, "/language", {"language": "fr", "next": "/quality"})
        french = client.get("/quality", headers=PAGE).get_data(as_text=True)
        for words in ("Qualité du tri", "Précision", "Rappel", "Par semaine", "Changés en"):
            assert words in french
        post_form(client, "/language", {"language": "ar", "next": "/quality"})
        arabic = client.get("/quality", headers=PAGE).get_data(as_text=True)
        for words in ("جودة الفرز", "الدقة", "حسب الأسبوع"):
            assert words in arabic

    def test_filters_narrow_to_a_country_and_refuse_what_the_lists_do_not_offer(
        self, app: Flask, services: Services
    ) -> None:
        client = _signed_in(app, services, "admin")
        other = client.get("/quality?weeks=4&country=CF", headers=PAGE).get_data(as_text=True)
        assert _rows(other, "quality-total") == []
        assert '<option value="4" selected>' in other
        for query in ("weeks=5", "weeks=many", "country=ZZ"):
            assert client.get(f"/quality?{query}", headers=PAGE).status_code == 400, query
        scoped = _signed_in(app, services, "joc_officer", ("SS",))
        assert scoped.get("/quality?country=CF", headers=PAGE).status_code == 400


@pytest.mark.parametrize("role", sorted(set(ROLES) - ALLOWED))
def test_other_roles_get_403_and_no_link(app: Flask, services: Services, role: str) -> None:
    client = _signed_in(app, services, role)
    refused = client.get("/quality", headers=PAGE)
    assert refused.status_code == 403
    assert 'href="/quality"' not in refused.get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/quality", headers=PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
