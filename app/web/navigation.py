"""The header's links, each shown only to the roles its page serves (the pages check again)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from alerts.accounts.policy import (
    ADMINISTER,
    AUDIT,
    CONTACTS,
    INCIDENTS,
    INDICATORS,
    PROTECTION,
    REVIEW,
    TRIAGE_QUALITY,
    roles_with,
)


@dataclass(frozen=True, slots=True)
class NavLink:
    path: str
    label: LazyString
    roles: frozenset[str]


NAV_LINKS = (
    NavLink("/queue", _l("Queue"), roles_with(INCIDENTS)),
    NavLink("/stale", _l("Stale"), roles_with(REVIEW)),
    NavLink("/indicators", _l("Indicators"), roles_with(INDICATORS)),
    NavLink("/protection", _l("Protection"), roles_with(PROTECTION)),
    NavLink("/quality", _l("Triage quality"), roles_with(TRIAGE_QUALITY)),
    NavLink("/contacts", _l("Call-backs"), roles_with(CONTACTS)),
    NavLink("/admin", _l("Admin"), roles_with(ADMINISTER)),
    NavLink("/audit", _l("Audit trail"), roles_with(AUDIT)),
)

ROLE_LABELS = {
    "network_coordinator": _l("Network coordinator"),
    "triage_reviewer": _l("Triage reviewer"),
    "joc_officer": _l("JOC officer"),
    "protection_analyst": _l("Protection analyst"),
    "wpa_crsv_focal": _l("WPA/CRSV focal point"),
    "contact_officer": _l("Contact officer"),
    "admin": _l("Administrator"),
    "auditor": _l("Auditor"),
}
"""DOMAIN.md §6.4 roles as a person reads them."""


def links_for(role: str) -> list[NavLink]:
    """The links a user with this role sees, in header order."""
    return [link for link in NAV_LINKS if role in link.roles]
