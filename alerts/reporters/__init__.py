"""Reporters: pseudonyms, the contact vault, sealed numbers, call-backs, what may be sent to her,
retention."""
