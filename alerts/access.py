"""Who may see what (DOMAIN.md §6.4, R29, R35), enforced where data leaves the service layer."""

from __future__ import annotations

REPORT_READERS = frozenset(
    {"network_coordinator", "triage_reviewer", "joc_officer", "protection_analyst", "wpa_crsv_focal"}
)
NARRATIVE_READERS = frozenset({"triage_reviewer", "wpa_crsv_focal"})
"""Roles that may read free text and reporter pseudonyms at all (R35)."""
RESTRICTED_NARRATIVE_READERS = frozenset({"wpa_crsv_focal"})
"""The only role that may read the narrative of a restricted (sexual violence) report (R29)."""
VERIFIED_ONLY_READERS = frozenset({"joc_officer"})
"""Roles that see reports of verified incidents only."""
VERIFIED_STATES = ("verified", "response_dispatched", "closed")


def can_read_reports(role: str) -> bool:
    return role in REPORT_READERS


def can_read_narrative(role: str, *, restricted_category: bool) -> bool:
    """Return whether this role may read a report's text, given its category's restriction."""
    if restricted_category:
        return role in RESTRICTED_NARRATIVE_READERS
    return role in NARRATIVE_READERS


def can_see_reporter(role: str) -> bool:
    return role in NARRATIVE_READERS
