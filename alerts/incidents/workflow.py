"""Allowed incident status transitions (DOMAIN.md §4.1): pure rules, no storage."""

from __future__ import annotations

from alerts.errors import AlertsError

TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"under_review", "rejected"}),
    "under_review": frozenset({"verified", "unverified", "rejected"}),
    "unverified": frozenset({"under_review", "verified", "rejected"}),
    "verified": frozenset({"response_dispatched", "closed"}),
    "response_dispatched": frozenset({"closed"}),
    "rejected": frozenset({"under_review"}),
    "closed": frozenset(),
}


class InvalidTransition(AlertsError):
    """The incident cannot move from its status to the one asked for."""


def check_transition(current: str, target: str) -> None:
    """Raise InvalidTransition unless ``current → target`` is allowed."""
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none"
        raise InvalidTransition(f"cannot move an incident from {current} to {target} (allowed: {allowed})")


def path_to(target: str, start: str = "received") -> list[str]:
    """Shortest sequence of statuses leading from ``start`` to ``target`` (breadth-first)."""
    frontier: list[list[str]] = [[start]]
    seen = {start}
    while frontier:
        path = frontier.pop(0)
        if path[-1] == target:
            return path[1:]
        for nxt in sorted(TRANSITIONS[path[-1]] - seen):
            seen.add(nxt)
            frontier.append([*path, nxt])
    raise InvalidTransition(f"{target} cannot be reached from {start}")
