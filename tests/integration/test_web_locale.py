"""The pages as a French or Arabic user reads them: times in her language, "<3" kept in reading order
on an Arabic page, role names instead of codes and no note meant for developers on /admin, the weeks
of the indicators and the protection map's statement in her language."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from alerts.intake.services import incident_of_report
from app.bootstrap import Services
from tests.factories import report, verified_incident
from tests.web import PAGE, add_user, post_form, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]

BRIA = (21.986, 6.5375)
BAND = '<bdi dir="ltr">&lt;3</bdi>'
"""A small count as the pages print it: isolated left to right, so an Arabic line shows "<3", not "3>"."""


def _signed_in(client: FlaskClient, services: Services, role: str, language: str) -> None:
    assert sign_in(client, add_user(services, role)).status_code == 302
    assert (
        post_form(client, "/language", {"language": language, "next": "/"}, token_from="/queue").status_code
        == 302
    )


def test_the_incident_page_writes_its_times_in_the_page_language(
    client: FlaskClient, services: Services
) -> None:
    received = datetime(2026, 11, 1, 3, 48, tzinfo=UTC)
    incident = incident_of_report(
        report(services, "ATK shooting at the market", received_at=received), uow=services.uow()
    )
    _signed_in(client, services, "triage_reviewer", "fr")
    page = client.get(f"/incidents/{incident}", headers=PAGE).get_data(as_text=True)
    assert "1 nov. 2026 à 03:48 UTC" in page
    assert "2026-11-01 03:48" not in page
    post_form(client, "/language", {"language": "ar", "next": "/"}, token_from="/queue")
    page = client.get(f"/incidents/{incident}", headers=PAGE).get_data(as_text=True)
    # in the page's direction (dir="auto"): forced left to right, an Arabic date reads in the wrong order
    assert re.search(r'<time datetime="[^"]+" dir="auto">1 نوفمبر 2026، 03:48 UTC</time>', page)


def test_a_banded_count_reads_less_than_three_on_an_arabic_page(
    client: FlaskClient, services: Services
) -> None:
    verified_incident(services, *BRIA, category="SXV", areas={"adm1_name": "Haute-Kotto"})
    _signed_in(client, services, "protection_analyst", "ar")  # sees sexual-violence counts banded
    page = client.get("/protection", headers=PAGE).get_data(as_text=True)
    assert f"<td>{BAND}</td>" in page  # the summary table's cell
    assert f"على أنها {BAND}." in page  # and the sentence that explains it
    assert "&lt;3" not in page.replace(BAND, "")


def test_the_admin_page_names_roles_languages_and_messages_and_holds_no_developer_note(
    client: FlaskClient, services: Services
) -> None:
    add_user(services, "triage_reviewer")
    _signed_in(client, services, "admin", "fr")
    page = client.get("/admin", headers=PAGE).get_data(as_text=True)
    assert "<td>Tri et vérification</td>" in page
    assert not re.search(r"<td>(admin|triage_reviewer)</td>", page)  # no role code in a cell
    assert '<option value="triage_reviewer">Tri et vérification</option>' in page
    assert "<td>Swahili</td>" in page
    assert "<td>sw</td>" not in page
    assert "<td>Signalement reçu</td>" in page
    assert "<td>receipt</td>" not in page
    assert "DOMAIN.md" not in page  # the lexicons' provenance notes, written for developers


def test_the_indicators_name_their_weeks_and_groups_in_the_page_language(
    client: FlaskClient, services: Services
) -> None:
    verified_incident(services, *BRIA)
    _signed_in(client, services, "triage_reviewer", "fr")
    weeks = client.get("/indicators?group_by=week", headers=PAGE).get_data(as_text=True)
    assert '<th scope="row">semaine du ' in weeks
    assert not re.search(r"\d{4}-W\d{2}", weeks)
    networks = client.get("/indicators?group_by=network", headers=PAGE).get_data(as_text=True)
    assert '<th scope="row">sans réseau</th>' in networks


def test_the_protection_map_states_its_product_in_the_page_language(
    client: FlaskClient, services: Services
) -> None:
    verified_incident(services, *BRIA)
    _signed_in(client, services, "protection_analyst", "fr")
    page = client.get("/protection", headers=PAGE).get_data(as_text=True)
    assert 'id="hotspot-statement" aria-live="polite">' in page  # in the page's language and direction
    product = client.get("/protection/hotspots/preview.geojson").get_json()
    assert "Mise en garde\u00a0: incidents signalés, et non prévalence" in product["description"]
    assert "Caveat: reported incidents, not prevalence" in product["product"]["statement"]  # the file's own
    post_form(client, "/language", {"language": "en", "next": "/"}, token_from="/queue")
    english = client.get("/protection/hotspots/preview.geojson").get_json()
    assert english["description"] == "\n".join(english["product"]["statement"])
