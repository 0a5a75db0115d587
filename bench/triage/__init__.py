"""Triage classifier benchmark (alerts.classify): quality on the labelled set, throughput, robustness."""
