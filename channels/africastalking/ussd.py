"""Africa's Talking USSD: each hop, the screen Dalili answers, the end-of-session notice (CHANNELS.md §10)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from channels.africastalking.sms import MAX_MESSAGE_ID, PROVIDER, parse_at_date
from channels.forms import optional, required, whole_number
from channels.phone import pseudonymise

logger = logging.getLogger(__name__)

MAX_SCREEN = 160
"""Characters a screen may hold on every telco (Safaricom's limit; CHANNELS.md §10.2)."""

SESSION_END_STATUSES = ("Success", "Incomplete", "Failed")
PHONE_IN_ID = 16
"""Hex digits of her key that follow the session id in a submission's id."""
MAX_SESSION_ID = MAX_MESSAGE_ID - PHONE_IN_ID - 1
"""So that a submission's id fits where message ids go (AT's own are 38 characters)."""
MAX_INPUTS = 2000
"""Characters of a session's joined inputs (``text``, ``input``) at most: more than anyone types in a
session of about 180 s (CHANNELS.md §10.3); each is replayed through the menus at every hop."""
MAX_COUNT = 2**31 - 1
"""The largest count the ``ussd_sessions`` INTEGER columns hold."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UssdHop:
    """One request of a USSD session; ``text`` is every input so far joined by ``*`` ("" at first)."""

    session_id: str
    reporter_key: str
    service_code: str
    network_code: str
    text: str
    provider: str = PROVIDER

    @property
    def submission_id(self) -> str:
        """What stores the report of this phone's session once, and seeds its receipt code: AT's
        ``sessionId`` with her key, because another phone may come with the same ``sessionId``."""
        return f"{self.session_id}:{self.reporter_key[:PHONE_IN_ID]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class UssdSessionEnd:
    """The end-of-session notice; fields AT left out are empty or None."""

    session_id: str
    reporter_key: str | None
    status: str
    """``Success``, ``Incomplete`` or ``Failed`` as AT sent it; "" when absent."""
    duration_ms: int | None
    hops: int | None
    input: str
    last_app_response: str
    error_message: str
    cost: str
    """As AT writes it: ``KES 0.10`` or ``0``."""
    service_code: str = ""
    network_code: str = ""
    ended_at: datetime | None = None
    provider: str = PROVIDER

    @property
    def abandoned(self) -> bool:
        """Whether she dropped or timed out while Dalili was waiting for an answer."""
        return self.status == "Incomplete" and self.last_app_response.startswith("CON")


def _session_id(form: Mapping[str, str]) -> str:
    return required(form, "sessionId", strip=True, max_length=MAX_SESSION_ID)


def _inputs(form: Mapping[str, str], name: str) -> str:
    # Free text may contain spaces, and a leading or trailing one is hers: keep it as sent.
    return optional(form, name, strip=False, max_length=MAX_INPUTS)


def _count(form: Mapping[str, str], name: str) -> int | None:
    """A count of the notice, or None unless it is a whole number its column holds: the counts only
    describe the session, and refusing the notice would lose her resume."""
    return whole_number(form.get(name, ""), MAX_COUNT)


# see https://github.com/DanNduati/at-ussd/blob/main/AT-USSD.md (AT docs copy, CHANNELS.md §10)
def parse_hop(form: Mapping[str, str], *, pepper: str, default_region: str) -> UssdHop:
    """Read one USSD request; the subscriber's number leaves only as her key."""
    session_id = _session_id(form)
    caller = required(form, "phoneNumber", strip=False)
    return UssdHop(
        session_id=session_id,
        reporter_key=pseudonymise(caller, pepper=pepper, default_region=default_region),
        service_code=optional(form, "serviceCode", strip=True),
        network_code=optional(form, "networkCode", strip=True),
        text=_inputs(form, "text"),
    )


def render(screen_text: str, ends: bool) -> str:
    """The body of a hop's answer: ``CON`` asks for input, ``END`` closes the session."""
    screen = "\n".join(line.rstrip() for line in screen_text.strip().splitlines())
    if len(screen) > MAX_SCREEN:
        # Telcos cut or drop long screens; the length alone is logged, as a screen may echo her words.
        logger.warning("USSD screen of %d characters exceeds %d", len(screen), MAX_SCREEN)
    return ("END " if ends else "CON ") + screen


def parse_session_end(form: Mapping[str, str], *, pepper: str, default_region: str) -> UssdSessionEnd:
    """Read an end-of-session notice; every field but ``sessionId`` may be empty or absent."""
    session_id = _session_id(form)
    caller = form.get("phoneNumber", "")
    return UssdSessionEnd(
        session_id=session_id,
        reporter_key=(
            pseudonymise(caller, pepper=pepper, default_region=default_region) if caller.strip() else None
        ),
        status=optional(form, "status", strip=True),
        duration_ms=_count(form, "durationInMillis"),
        hops=_count(form, "hopsCount"),
        input=_inputs(form, "input"),
        last_app_response=form.get("lastAppResponse", ""),
        error_message=optional(form, "errorMessage", strip=True),
        cost=optional(form, "cost", strip=True),
        service_code=optional(form, "serviceCode", strip=True),
        network_code=optional(form, "networkCode", strip=True),
        ended_at=parse_at_date(form.get("date", "")),
    )
