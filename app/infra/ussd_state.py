"""USSD session state in Redis: what a hop needs, without touching the database.

Each hop reads, in one round trip, the reporter's cached profile (language, places of her area)
and the prefix of a resumed session. The profile is written by jobs whenever it changes.
"""

from __future__ import annotations

import json

from redis import Redis

from channels.ussd_menu import PlaceOption

PROFILE_TTL = 30 * 24 * 3600
SESSION_TTL = 600
"""Longer than any USSD session (about 180 s)."""


def _profile_key(reporter_key: str) -> str:
    return f"dalili:ussd:profile:{reporter_key}"


def _resume_key(reporter_key: str) -> str:
    return f"dalili:ussd:resume:{reporter_key}"


def _requested_key(reporter_key: str) -> str:
    return f"dalili:ussd:profile-requested:{reporter_key}"


def _prefix_key(reporter_key: str, session_id: str) -> str:
    # Her key too: a session id reused by another phone must not replay her answers to it.
    return f"dalili:ussd:prefix:{reporter_key}:{session_id}"


def save_profile(redis: Redis, reporter_key: str, *, language: str, places: list[PlaceOption]) -> None:
    body = json.dumps({"language": language, "places": [[p.code, p.name] for p in places]})
    redis.set(_profile_key(reporter_key), body, ex=PROFILE_TTL)


def load_hop_state(
    redis: Redis, reporter_key: str, session_id: str, *, first_hop: bool, default_language: str
) -> tuple[str, list[PlaceOption], str, bool]:
    """Language, place options, the inputs to replay before this session's own, and whether a job
    should cache her profile (true once a minute at most while it is missing)."""
    with redis.pipeline(transaction=False) as pipe:
        pipe.get(_profile_key(reporter_key))
        pipe.get(_prefix_key(reporter_key, session_id))
        pipe.set(_requested_key(reporter_key), 1, nx=True, ex=60)
        if first_hop:
            pipe.getdel(_resume_key(reporter_key))
        raw_profile, prefix, first_request, *resumed = pipe.execute()
    fetch_profile = not raw_profile and bool(first_request)
    profile = json.loads(raw_profile) if raw_profile else {}
    places = [PlaceOption(code, name) for code, name in profile.get("places", [])]
    if first_hop and resumed and resumed[0]:
        prefix = resumed[0]
        redis.set(_prefix_key(reporter_key, session_id), prefix, ex=SESSION_TTL)
    text_prefix = _text(prefix)
    return profile.get("language", default_language), places, text_prefix, fetch_profile


def remember_for_resume(
    redis: Redis, reporter_key: str, session_id: str, inputs: str, *, seconds: int
) -> None:
    """Keep a dropped session's answers (with any it resumed) so the same phone can pick up there."""
    replay = "*".join(
        part for part in (_text(redis.get(_prefix_key(reporter_key, session_id))), inputs) if part
    )
    if replay:
        redis.set(_resume_key(reporter_key), replay, ex=seconds)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
