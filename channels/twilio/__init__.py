"""Twilio Programmable Messaging: SMS and WhatsApp share one webhook protocol."""
