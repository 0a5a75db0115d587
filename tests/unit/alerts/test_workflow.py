from __future__ import annotations

import pytest

from alerts.incidents.workflow import TRANSITIONS, InvalidTransition, check_transition, path_to
from alerts.vocabulary import INCIDENT_STATES

pytestmark = pytest.mark.unit


def test_every_state_has_its_transitions_defined() -> None:
    assert set(TRANSITIONS) == set(INCIDENT_STATES)
    assert all(targets <= set(INCIDENT_STATES) for targets in TRANSITIONS.values())


def test_lifecycle_of_domain_md_is_allowed() -> None:
    for current, target in [
        ("received", "under_review"),
        ("under_review", "verified"),
        ("verified", "response_dispatched"),
        ("response_dispatched", "closed"),
    ]:
        check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [("received", "verified"), ("closed", "received")])
def test_skipping_review_or_reopening_a_closed_incident_is_refused(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition, match=f"from {current} to {target}"):
        check_transition(current, target)


@pytest.mark.parametrize("state", INCIDENT_STATES)
def test_every_state_is_reachable_from_received(state: str) -> None:
    steps = path_to(state)
    current = "received"
    for step in steps:
        check_transition(current, step)
        current = step
    assert current == state
