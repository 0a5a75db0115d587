"""Intake: every inbound message stored once, then read, placed and made a report of an incident."""
