"""Every provider Dalili serves: adding one is adding its handler here (C14)."""

from __future__ import annotations

from channels.africastalking.handler import HANDLER as AFRICASTALKING
from channels.handlers import Handler
from channels.twilio.handler import HANDLER as TWILIO

HANDLERS: tuple[Handler, ...] = (TWILIO, AFRICASTALKING)
