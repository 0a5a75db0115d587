"""The one access policy: a row per role, redaction by role and restriction, and no role sets elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from alerts.accounts.policy import (
    CAPABILITIES,
    redact_history,
    redact_incident,
    redact_report,
    visible_states,
)
from alerts.messages import Viewer
from alerts.vocabulary import INCIDENT_STATES, ROLES

ROOT = Path(__file__).resolve().parents[3]
ROLE_NAMES_ALLOWED_IN = {
    "alerts/accounts/policy.py",  # the table
    "alerts/vocabulary.py",  # the list of roles
    "app/web/navigation.py",  # how a person reads each role's name
    "app/web/auth.py",  # where each role starts
    "app/demo.py",  # the demo's users
}
REPORT = {
    "id": 1,
    "place_name": "Kaga",
    "lon": 20.1,
    "lat": 6.1,
    "precision": 1,
    "areas": {"adm2_name": "Kemo", "adm3_name": "Dekoa"},
    "flags": {
        "evidence": {"SXV": ["raped"]},
        "women_target_type": "voter",
        "place_candidates": [{"place": "Kaga", "lon": 20.1, "lat": 6.1}],
        "language_guess": "fr",
    },
    "text": "they raped her near Kaga",
    "reporter_key": "ab" * 32,
}


def test_every_role_has_one_row() -> None:
    assert sorted(CAPABILITIES) == sorted(ROLES)


@pytest.mark.parametrize(
    ("role", "states"),
    [
        ("network_coordinator", "all"),
        ("triage_reviewer", "all"),
        ("joc_officer", ("verified", "response_dispatched", "closed")),
        ("protection_analyst", ("verified", "response_dispatched", "closed")),
        ("wpa_crsv_focal", "all"),
    ],
)
def test_a_verified_only_reader_sees_only_the_states_of_verified_incidents(role: str, states: object) -> None:
    expected = INCIDENT_STATES if states == "all" else states
    assert visible_states(Viewer(1, "x@example.org", role)) == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("restricted", [False, True])
def test_a_report_keeps_only_what_the_role_may_read(role: str, restricted: bool) -> None:
    view = redact_report(dict(REPORT), Viewer(1, "x@example.org", role), restricted)
    narrative = role in {"triage_reviewer", "wpa_crsv_focal"} and (not restricted or role == "wpa_crsv_focal")
    whole = not restricted or role == "wpa_crsv_focal"
    assert ("text" in view) is narrative
    assert ("evidence" in view["flags"]) is narrative
    assert ("reporter_key" in view) is (role in {"triage_reviewer", "wpa_crsv_focal"})
    assert ("women_target_type" in view["flags"]) is whole
    assert ("place_candidates" in view["flags"]) is whole
    assert (view["lon"], view["place_name"]) == ((20.1, "Kaga") if whole else (None, None))
    assert ("adm3_name" in view["areas"]) is whole
    assert view["flags"]["language_guess"] == "fr"


@pytest.mark.parametrize("role", ROLES)
def test_a_restricted_history_and_incident_keep_the_reviewers_words_and_place_for_the_crsv_focal_point(
    role: str,
) -> None:
    viewer = Viewer(1, "x@example.org", role)
    events = [
        {
            "at": "t",
            "actor": "a",
            "action": "incident.transition",
            "details": {"to": "rejected", "reason": "why"},
        }
    ]
    incident = {"restricted": True, "place_name": "Kaga", "lon": 1.0, "lat": 2.0, "areas": {"adm3_name": "D"}}
    whole = role == "wpa_crsv_focal"
    assert ("reason" in redact_history(events, viewer, True)[0]["details"]) is whole
    assert redact_history(events, viewer, False) == events
    assert (redact_incident(incident, viewer)["place_name"] is not None) is whole
    assert redact_incident(incident | {"restricted": False}, viewer)["place_name"] == "Kaga"


def test_role_sets_live_in_the_policy_only() -> None:
    """Pages and services ask the policy; a role name elsewhere is a role set in the making."""
    names = set(ROLES) - {"admin"}  # "admin" is also an area level
    found = []
    for package in ("alerts", "app", "channels"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ROLE_NAMES_ALLOWED_IN or "/migrations/" in relative:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in names:
                    found.append(f"{relative}:{node.lineno} {node.value}")
    assert found == []
