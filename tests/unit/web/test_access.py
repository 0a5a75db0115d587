"""Where a sign-in may lead, and which header links each role sees."""

from __future__ import annotations

import pytest

from alerts.vocabulary import ROLES
from app.web.access import safe_next
from app.web.navigation import ROLE_LABELS, links_for

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("target", ["/queue", "/incidents/42?tab=reports", "/stale#top", "/"])
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "queue",
        "//evil.example/queue",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "https://evil.example/queue",
        "javascript:alert(1)",
        "///evil.example",
    ],
)
def test_anything_that_could_leave_the_site_is_dropped(target: str | None) -> None:
    assert safe_next(target) is None


def test_every_role_has_a_label_and_only_an_administrator_sees_admin() -> None:
    assert set(ROLE_LABELS) == set(ROLES)
    assert [role for role in ROLES if "/admin" in {link.path for link in links_for(role)}] == ["admin"]


def test_the_queue_is_linked_for_the_roles_that_read_it() -> None:
    readers = {role for role in ROLES if any(link.path == "/queue" for link in links_for(role))}
    assert readers == {
        "triage_reviewer",
        "joc_officer",
        "protection_analyst",
        "wpa_crsv_focal",
        "network_coordinator",
    }
