"""Administration is configuration, not content: users, networks, monitors by pseudonym (§6.4)."""

from __future__ import annotations

import json

import pytest

from alerts.accounts.administration import add_user, list_monitors, list_networks, list_users, set_user_active
from alerts.errors import InvalidValue, NotPermitted
from alerts.messages import Viewer
from app.bootstrap import Services
from tests.factories import add_reporter, report

pytestmark = pytest.mark.integration

ADMIN = Viewer(0, "admin@example.org", "admin")


def test_an_administrator_adds_a_user_scoped_to_her_countries(services: Services) -> None:
    password = add_user(ADMIN, "Awa@Example.org", "triage_reviewer", ["ml", " ne "], uow=services.uow())
    assert len(password) >= 12
    [user] = list_users(ADMIN, uow=services.uow())
    assert (user["email"], user["countries"], user["active"]) == ("awa@example.org", ["ML", "NE"], True)
    set_user_active(ADMIN, user["id"], False, uow=services.uow())
    assert list_users(ADMIN, uow=services.uow())[0]["active"] is False


def test_a_bad_country_code_is_refused(services: Services) -> None:
    with pytest.raises(InvalidValue, match="alpha-2"):
        add_user(ADMIN, "a@example.org", "triage_reviewer", ["Mali"], uow=services.uow())


def test_monitors_are_listed_by_pseudonym_without_numbers_or_narratives(services: Services) -> None:
    key = add_reporter(services, network="Gao Women Mediators", country="ML")
    report(services, "ATK they shot at the market", reporter_key=key)
    [network] = [n for n in list_networks(ADMIN, uow=services.uow()) if n["name"] == "Gao Women Mediators"]
    assert network["monitors"] == 1
    monitors = list_monitors(ADMIN, network["id"], uow=services.uow())
    dumped = json.dumps(monitors)
    assert monitors[0]["pseudonym"] == key[:12]
    assert key not in dumped
    assert "market" not in dumped


def test_only_administrators_administer(services: Services) -> None:
    reviewer = Viewer(1, "r@example.org", "triage_reviewer")
    with pytest.raises(NotPermitted):
        list_users(reviewer, uow=services.uow())
