"""Routing rules: who hears about which incident, and what the alert may say (R17, R48)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts.incidents.routing import (
    AlertFacts,
    RoutingError,
    alert_text,
    digest_text,
    load_routing,
    parse_routing,
)

pytestmark = pytest.mark.unit

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "routing.toml"


def _facts(**changes: Any) -> AlertFacts:
    facts: dict[str, Any] = {
        "incident_id": 42,
        "priority": "P1",
        "category": "ATK",
        "category_label": "Attack on civilians",
        "restricted": False,
        "country": "SS",
        "place": "Yei",
        "deadline_at": datetime(2026, 11, 27, 6, 15, tzinfo=UTC),
        "queue": "triage",
        "training": False,
    }
    return AlertFacts(**(facts | changes))


def _responder(**changes: Any) -> dict[str, Any]:
    entry = {
        "name": "joc",
        "kind": "email",
        "address": "joc@x.invalid",
        "events": ["new"],
        "priorities": ["P1"],
    }
    return entry | changes


def test_the_shipped_routing_sends_mali_alerts_to_its_own_responders_not_a_joc() -> None:
    routing = load_routing(SHIPPED)
    mali = {r.name for r in routing.recipients("new", _facts(country="ML"))}
    south_sudan = {r.name for r in routing.recipients("new", _facts(country="SS"))}
    assert mali == {"ml-situation-room", "ml-civil-protection"}
    assert "joc-duty-officer" in south_sudan
    assert not mali & south_sudan


def test_a_p2_alert_in_mali_still_reaches_a_responder() -> None:
    assert load_routing(SHIPPED).recipients("new", _facts(country="ML", priority="P2"))


@pytest.mark.parametrize("facts", [_facts(queue="election_process"), _facts(training=True)])
def test_election_process_items_and_training_data_alert_no_one(facts: AlertFacts) -> None:
    assert load_routing(SHIPPED).recipients("new", facts) == []


def test_a_responder_without_countries_serves_every_country() -> None:
    routing = parse_routing({"responders": [_responder()]})
    assert routing.recipients("new", _facts(country=None))
    assert routing.recipients("new", _facts(country="CD"))
    assert not routing.recipients("escalation", _facts())
    assert not routing.recipients("new", _facts(priority="P2"))


def test_an_alert_says_what_and_where_without_a_narrative() -> None:
    subject, text = alert_text("new", _facts(), cleared=False, url="https://d/incidents/42")
    assert subject == "Dalili P1 alert #42"
    assert text == (
        "Dalili P1 alert #42: Attack on civilians at Yei (SS), review by 27 Nov 06:15 UTC. https://d/incidents/42"
    )


def test_a_restricted_incident_is_named_only_to_a_cleared_responder() -> None:
    facts = _facts(category="SXV", category_label="Sexual violence", restricted=True)
    _, hidden = alert_text("new", facts, cleared=False, url="u")
    _, shown = alert_text("new", facts, cleared=True, url="u")
    assert "restricted category" in hidden
    assert "Sexual" not in hidden
    assert "Yei" not in hidden
    assert "Sexual violence at Yei" in shown


def test_an_escalation_says_it_is_overdue() -> None:
    subject, text = alert_text("escalation", _facts(), cleared=False, url="u")
    assert subject.endswith("overdue")
    assert "not reviewed in time" in text


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_responder(kind="pigeon"), "kind 'pigeon'"),
        (_responder(events=["later"]), "events has"),
        (_responder(priorities=[]), "priorities must list"),
        (_responder(countries=["Mali"]), "alpha-2"),
        (_responder(address=""), "address must be non-empty"),
        (_responder(restricted="yes"), "restricted must be true or false"),
        ("joc", "is not a table"),
    ],
)
def test_a_broken_routing_entry_is_refused_with_its_name_and_field(entry: Any, message: str) -> None:
    with pytest.raises(RoutingError, match=message):
        parse_routing({"responders": [entry]})


def test_two_responders_cannot_share_a_name() -> None:
    with pytest.raises(RoutingError, match="used twice"):
        parse_routing({"responders": [_responder(), _responder()]})


def test_an_unreadable_routing_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "routing.toml"
    broken.write_text("[[responders]\n")
    with pytest.raises(RoutingError, match=r"routing\.toml"):
        load_routing(broken)


def test_a_digest_lists_incidents_by_number_within_two_sms_parts() -> None:
    url = "https://dalili.example.org/stale"
    subject, text = digest_text([7, 9], url=url)
    assert (subject, text) == (
        "Dalili reminder: 2 overdue",
        f"Dalili reminder: 2 overdue, still not reviewed: #7, #9. {url}",
    )
    _, long = digest_text(list(range(10000, 10127)), url=url)
    assert len(long) <= 320
    assert long.startswith("Dalili reminder: 127 overdue, still not reviewed: #10000, #10001")
    assert long.endswith(f" more. {url}")
