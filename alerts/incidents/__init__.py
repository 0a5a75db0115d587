"""Incidents: the review queue and its actions, workflow, duplicates and merges, credibility,
escalation, routing to responders, indicators."""
