"""The alerts core: intake records, triage, access rules, audit; no Flask, no providers."""
