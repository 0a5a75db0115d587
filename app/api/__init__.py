"""The JSON API (token-authenticated)."""
