"""Closed value sets shared by the schema, the services and the API (DOMAIN.md §2.4, §4, §6.4)."""

from __future__ import annotations

from datetime import timedelta

PRIORITIES = ("P1", "P2", "P3", "P4")
RELIABILITY_GRADES = ("A", "B", "C", "D", "E", "F")
CREDIBILITY_GRADES = (1, 2, 3, 4, 5, 6)

INCIDENT_STATES = (
    "received",
    "under_review",
    "verified",
    "unverified",
    "rejected",
    "response_dispatched",
    "closed",
)
"""Workflow of DOMAIN.md §4.1, plus ``rejected`` for reports a reviewer dismisses."""

REVIEWED_STATES = ("verified", "unverified", "rejected", "response_dispatched", "closed")
"""A reviewer has judged it: these count in a reporter's history (R20)."""
OPEN_STATES = ("received", "under_review", "unverified", "verified", "response_dispatched")
"""Still open: a new report may be part of it (R25)."""
AWAITING_REVIEW = ("received", "under_review")
"""Not yet judged: these escalate when past their deadline (R22)."""
HANDLED_STATES = ("unverified", "verified", "response_dispatched")
"""Open, but a reviewer has already decided on it: the queue lists these after those awaiting one."""
QUEUE_VIEWS = {"awaiting": AWAITING_REVIEW, "handled": HANDLED_STATES}
"""The queue's tabs: awaiting a decision, and handled; without one, all open, awaiting first."""
VERIFIED_STATES = ("verified", "response_dispatched", "closed")
"""Verified, and where a verified incident goes next: what mission systems and hotspots read."""
EXTERNAL_CHECKS = ("confirmed", "contradicted")
TRIAGE_QUEUES = ("triage", "election_process")
SUGGESTION_STATUSES = ("open", "merged", "dismissed")
CORRECTED_FIELDS = ("category", "flags", "priority", "occurred_at", "place", "restriction")
"""What a reviewer corrects of an incident (alerts/incidents/corrections.py)."""
ALIAS_STATUSES = ("proposed", "approved", "rejected")
NOTIFICATION_STATUSES = ("pending", "sent", "failed")

INBOUND_STATUSES = ("received", "processed", "review", "failed")
"""``review``: kept for a human because it could not become a report on its own."""

ROLES = (
    "network_coordinator",
    "triage_reviewer",
    "joc_officer",
    "protection_analyst",
    "wpa_crsv_focal",
    "contact_officer",
    "admin",
    "auditor",
)
"""DOMAIN.md §6.4; ``reporter`` has no web account and so is not a user role."""

REVIEW_DEADLINES = {
    "P1": timedelta(minutes=15),
    "P2": timedelta(hours=2),
    "P3": timedelta(hours=24),
    "P4": timedelta(days=7),
}
"""Default review targets per priority (DOMAIN.md §4.1, R22); deployments may override them."""

DELIVERY_STATUSES = ("accepted", "queued", "sending", "sent", "failed", "delivered", "read", "canceled")
DELIVERY_RANK = {status: rank for rank, status in enumerate(DELIVERY_STATUSES)}
"""Delivery callbacks arrive out of order: one applies only if it outranks the stored status
(CHANNELS.md §4); ``canceled`` is terminal."""
