"""The VAWE rule and the ELE routing rule (DOMAIN.md §3.4, R15, R17).

VAWE is a conjunction: harm AND a woman targeted AND election evidence. The evidence is graded
E3 (explicit) > E2 (role) > E1 (calendar only); E1 alone gives ``possible`` (never auto-confirmed),
E2 or E3 give ``likely``. The grade is reported even when there is no VAWE (an election word
without harm is E3 evidence for a non-VAWE report), so a reviewer sees what was found.
No armed perpetrator is required (§3.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from alerts.errors import InvalidValue
from alerts.triage.flags import HARM_TYPES, WOMEN_TARGET_TYPES, invalid_flag

Vawe = Literal["no", "possible", "likely"]
Evidence = Literal["none", "E1", "E2", "E3"]
Queue = Literal["triage", "election_process"]

HARM_CATEGORIES = frozenset({"ATK", "SXV", "ABD", "THR", "LOT", "FIG", "MOB"})
HARM_WITH_FORCE_CATEGORIES = frozenset({"PRO"})
"""Categories that are harm only when force was used (a protest dispersed by force)."""
ELECTION_TARGET_ROLES = frozenset({"candidate", "election_official", "observer", "party_supporter", "voter"})
"""E2: candidates, polling staff (``election_official``), observers, party supporters, voters."""

ELE_SUBMENU = {
    1: "violence or threat against a woman voter",
    2: "violence or threat against a woman candidate or party member",
    3: "violence or threat against women polling staff or observers",
    4: "polling-station problem (no violence)",
    5: "other election issue",
}
ELE_PROCESS_OPTIONS = frozenset({4, 5})
"""Process issues: the election-process queue, never the JOC (R17)."""

ELECTION_PROCESS_QUEUE: Queue = "election_process"
TRIAGE_QUEUE: Queue = "triage"


@dataclass(frozen=True, slots=True)
class VaweAssessment:
    vawe: Vawe
    evidence: Evidence
    reasons: tuple[str, ...]


def _harm(category: str, harm_type: str | None, force_used: bool) -> str | None:
    if category in HARM_CATEGORIES:
        return f"harm: category {category}"
    if category in HARM_WITH_FORCE_CATEGORIES and force_used:
        return f"harm: category {category} with force used"
    if harm_type is not None and harm_type != "none":
        return f"harm: harm_type {harm_type}"
    return None


def _election(
    chose_ele: bool, election_words: bool, target_role: str | None, in_window: bool
) -> tuple[Evidence, str | None]:
    if chose_ele:
        return "E3", "election E3: reporter chose ELE"
    if election_words:
        return "E3", "election E3: election words in the report"
    if target_role in ELECTION_TARGET_ROLES:
        return "E2", f"election E2: target role {target_role}"
    if in_window:
        return "E1", "election E1: date inside an electoral window for the area"
    return "none", None


def assess_vawe(
    category: str,
    harm_type: str | None,
    women_targeted: bool,
    female_keywords: bool,
    chose_ele: bool,
    election_words: bool,
    target_role: str | None,
    in_window: bool,
    *,
    force_used: bool = False,
) -> VaweAssessment:
    """Apply §3.4; ``target_role`` is a ``women_target_type`` value, ``in_window`` the E1 calendar test."""
    if harm_type is not None and harm_type != "none" and harm_type not in HARM_TYPES:
        raise invalid_flag("harm_type", harm_type, HARM_TYPES)
    if target_role is not None and target_role not in WOMEN_TARGET_TYPES:
        raise invalid_flag("women_target_type", target_role, WOMEN_TARGET_TYPES)
    harm = _harm(category, harm_type, force_used)
    if women_targeted:
        woman: str | None = "woman: women_targeted"
    elif female_keywords:
        woman = "woman: female-target keywords"
    else:
        woman = None
    evidence, election = _election(chose_ele, election_words, target_role, in_window)
    reasons: tuple[str, ...] = (
        harm or "no harm",
        woman or "no woman targeted",
        election or "no election evidence",
    )
    if harm is None or woman is None or election is None:
        return VaweAssessment("no", evidence, reasons)
    if evidence == "E1":
        reasons = (*reasons, "calendar only: possible, never auto-confirmed")
        return VaweAssessment("possible", evidence, reasons)
    return VaweAssessment("likely", evidence, reasons)


def _ele_option(value: int | str) -> int:
    try:
        option = int(value)
    except ValueError:
        option = 0
    if option not in ELE_SUBMENU:
        raise InvalidValue(f"ELE sub-menu option {value!r} is not allowed; allowed values: 1, 2, 3, 4, 5")
    return option


def election_queue(category: str, ele_submenu_option: int | str | None) -> Queue:
    """Where an election report goes: options 4-5, or ELE kept as the category (no harm), go to the
    election-process queue and raise no JOC alert (R17); everything else goes to normal triage.

    A reviewer who re-classifies a process report as harm clears the sub-menu option.
    """
    option = _ele_option(ele_submenu_option) if ele_submenu_option not in (None, "") else None
    if option in ELE_PROCESS_OPTIONS or category == "ELE":
        return ELECTION_PROCESS_QUEUE
    return TRIAGE_QUEUE


ELE_OPTION_TARGET = {1: "voter", 2: "candidate", 3: "election_official"}
"""Options 1-3 name the woman targeted: the menu answer is the ``women_target_type`` (E2 and E3)."""
ELE_HARM_CATEGORY = "THR"
"""Options 1-3 say "violence or threat": stored as a threat until a reviewer knows more."""


@dataclass(frozen=True, slots=True)
class EleAnswer:
    """What an ELE sub-menu answer means for triage (DOMAIN.md §3.4)."""

    category: str
    flags: dict[str, Any]


def ele_menu_answer(option: int | str) -> EleAnswer:
    """Options 1-3: harm against a woman with explicit election evidence, so VAWE ``likely`` (E3);
    options 4-5: an election-process issue, kept as ELE (``election_queue`` sends it to its own
    queue, R17)."""
    number = _ele_option(option)
    if number in ELE_PROCESS_OPTIONS:
        return EleAnswer("ELE", {"election_related": True, "ele_option": number})
    target = ELE_OPTION_TARGET[number]
    vawe = assess_vawe(ELE_HARM_CATEGORY, "threat_coercion", True, False, True, False, target, False)
    flags = {
        "ele_option": number,
        "election_related": True,
        "election_tag": "election_related",
        "women_targeted": True,
        "women_target_type": target,
        "harm_type": "threat_coercion",
        "vawe": vawe.vawe,
        "vawe_evidence": vawe.evidence,
    }
    return EleAnswer(ELE_HARM_CATEGORY, flags)
