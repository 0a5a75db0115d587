"""Audit: the keyed, append-only event chain, its anchors outside the database, and its archive."""
