"""Report flags and their closed value sets (DOMAIN.md §2.4, R4).

The sets are data: ``CLOSED_FLAGS`` maps each enumerated flag to its allowed values, and
``validate_flags`` checks a flag mapping against them. Flags not named here (``structured``,
``empty``, ``callback_needed`` …) are working flags of the pipeline and pass through unchecked.
``None`` means "not set" for every flag and is always accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from alerts.errors import InvalidValue

WOMEN_TARGET_TYPES = (
    "candidate",
    "politician",
    "party_supporter",
    "voter",
    "government_official",
    "election_official",  # includes polling staff
    "observer",
    "activist_hrd",  # activists, human rights defenders, social leaders
    "journalist",
    "relative_of_targeted",
    "accused_of_witchcraft",
    "girl",
    "other",
)
VICTIMS_COUNT_BUCKETS = ("1", "2-5", "6-20", ">20")
PERPETRATOR_TYPES = (
    "state_forces",
    "armed_group",
    "militia",
    "unknown_armed_men",
    "mob_or_civilians",
    "other",
)
ELECTION_TAGS = ("poll_related", "election_related")
ELECTORAL_PHASES = (
    "registration",
    "nomination",
    "campaign",
    "silence_and_polling",
    "counting_results",
    "post_results",
    "none",
)
VAWE_VALUES = ("no", "possible", "likely")
VAWE_EVIDENCE = ("none", "E1", "E2", "E3")
"""The basis of a VAWE assessment (alerts/triage/vawe.py)."""
HARM_TYPES = ("physical", "sexual", "psychological", "threat_coercion", "economic", "online")
TIME_REPORTED_CLASSES = ("happening_now", "today", "yesterday", "earlier")
PRECISION_LEVELS = (1, 2, 3)
"""ACLED semantics: 1 is the most precise (exact place / exact day)."""

CLOSED_FLAGS: Mapping[str, tuple[str, ...]] = {
    "women_target_type": WOMEN_TARGET_TYPES,
    "victims_count": VICTIMS_COUNT_BUCKETS,
    "perpetrator_type": PERPETRATOR_TYPES,
    "election_tag": ELECTION_TAGS,
    "electoral_phase": ELECTORAL_PHASES,
    "vawe": VAWE_VALUES,
    "vawe_evidence": VAWE_EVIDENCE,
    "harm_type": HARM_TYPES,
    "time_reported_class": TIME_REPORTED_CLASSES,
}
BOOLEAN_FLAGS = ("women_targeted", "children_affected", "election_related")
PRECISION_FLAGS = ("geo_precision", "time_precision")
COUNT_OR_BOOLEAN_FLAGS = ("fatalities_reported",)


def invalid_flag(flag: str, value: object, allowed: Iterable[object]) -> InvalidValue:
    """The error for a value outside its closed set, naming the flag and the allowed values."""
    return InvalidValue(
        f"flag {flag}: {value!r} is not allowed; allowed values: {', '.join(map(str, allowed))}"
    )


def validate_flags(flags: Mapping[str, object]) -> dict[str, object]:
    """A checked copy of ``flags``; InvalidValue names the flag and its allowed values (R4).

    Values are checked by type as well as by membership: ``True`` is not a precision level and
    ``"1"`` is not a boolean. ``election_tag`` needs ``election_related`` not to be False.
    """
    for flag, value in flags.items():
        if value is None:
            continue
        if flag in CLOSED_FLAGS:
            allowed = CLOSED_FLAGS[flag]
            if not isinstance(value, str) or value not in allowed:
                raise invalid_flag(flag, value, allowed)
        elif flag in BOOLEAN_FLAGS:
            if not isinstance(value, bool):
                raise invalid_flag(flag, value, ("true", "false"))
        elif flag in PRECISION_FLAGS:
            if isinstance(value, bool) or value not in PRECISION_LEVELS:
                raise invalid_flag(flag, value, PRECISION_LEVELS)
        elif flag in COUNT_OR_BOOLEAN_FLAGS and not (
            isinstance(value, bool) or (isinstance(value, int) and value >= 0)
        ):
            raise invalid_flag(flag, value, ("true", "false", "a count >= 0"))
    if flags.get("election_tag") is not None and flags.get("election_related") is False:
        raise invalid_flag("election_tag", flags["election_tag"], ("none while election_related is false",))
    return dict(flags)
