"""Triage classifier benchmark (alerts.triage.classify): labelled-set quality, throughput, robustness."""
