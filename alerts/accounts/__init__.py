"""Accounts: staff users, API tokens and sessions, administration, and the one access policy."""
