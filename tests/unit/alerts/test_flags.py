from __future__ import annotations

import pytest

from alerts.errors import InvalidValue
from alerts.triage.flags import (
    CLOSED_FLAGS,
    ELECTORAL_PHASES,
    HARM_TYPES,
    WOMEN_TARGET_TYPES,
    validate_flags,
)

pytestmark = pytest.mark.unit

VALID = {
    "women_targeted": True,
    "women_target_type": "election_official",
    "children_affected": False,
    "victims_count": "2-5",
    "fatalities_reported": 3,
    "perpetrator_type": "unknown_armed_men",
    "election_related": True,
    "election_tag": "poll_related",
    "electoral_phase": "silence_and_polling",
    "vawe": "possible",
    "harm_type": "online",
    "time_reported_class": "happening_now",
    "geo_precision": 1,
    "time_precision": 3,
    "structured": True,
}


def test_a_report_with_every_flag_in_range_is_returned_as_a_copy() -> None:
    checked = validate_flags(VALID)
    assert checked == VALID
    assert checked is not VALID


def test_the_value_sets_follow_domain_section_2_4() -> None:
    assert len(WOMEN_TARGET_TYPES) == 13
    assert {"election_official", "observer", "journalist", "accused_of_witchcraft"} <= set(WOMEN_TARGET_TYPES)
    assert HARM_TYPES == ("physical", "sexual", "psychological", "threat_coercion", "economic", "online")
    assert ELECTORAL_PHASES[-1] == "none"
    assert CLOSED_FLAGS["victims_count"] == ("1", "2-5", "6-20", ">20")
    assert CLOSED_FLAGS["vawe"] == ("no", "possible", "likely")


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("women_target_type", "bystander"),
        ("victims_count", "3"),
        ("victims_count", 3),
        ("perpetrator_type", "rebels"),
        ("election_tag", "vote"),
        ("electoral_phase", "polling"),
        ("vawe", "yes"),
        ("vawe", True),
        ("harm_type", "none"),
        ("time_reported_class", "last_week"),
        ("geo_precision", 0),
        ("geo_precision", 4),
        ("time_precision", "1"),
        ("time_precision", True),
        ("women_targeted", "yes"),
        ("children_affected", 1),
        ("election_related", "true"),
        ("fatalities_reported", -1),
        ("fatalities_reported", "many"),
    ],
)
def test_an_out_of_range_value_is_rejected_naming_the_flag(flag: str, value: object) -> None:
    with pytest.raises(InvalidValue, match=f"flag {flag}: .* allowed values: "):
        validate_flags({flag: value})


def test_the_error_lists_the_allowed_values() -> None:
    with pytest.raises(
        InvalidValue, match="physical, sexual, psychological, threat_coercion, economic, online"
    ):
        validate_flags({"harm_type": "verbal"})


def test_unset_flags_and_pipeline_working_flags_pass() -> None:
    flags = {"harm_type": None, "geo_precision": None, "empty": True, "callback_needed": True}
    assert validate_flags(flags) == flags


def test_fatalities_may_be_a_boolean_or_a_count() -> None:
    assert validate_flags({"fatalities_reported": True, "time_precision": 2})["fatalities_reported"] is True
    assert validate_flags({"fatalities_reported": 0})["fatalities_reported"] == 0


def test_an_election_tag_on_a_report_marked_not_election_related_is_rejected() -> None:
    with pytest.raises(InvalidValue, match="election_tag"):
        validate_flags({"election_related": False, "election_tag": "election_related"})
