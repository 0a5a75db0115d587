"""Soak benchmark: mixed SMS, WhatsApp and USSD traffic with workers and Redis failing underneath."""
