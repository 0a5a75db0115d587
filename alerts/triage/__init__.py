"""Triage: normalised text, the taxonomy and its classifier, flags (VAWE, elections) and priority."""
