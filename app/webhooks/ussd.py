"""USSD sessions: each hop answered from the menus, the report stored at the last screen, the end-of-session
notice kept so a dropped session can be resumed (CHANNELS.md §10)."""

from __future__ import annotations

from flask import request

from alerts.intake.services import ref_for
from alerts.models import UssdSession
from app import current_services, jobs
from app.infra.ussd_state import load_hop_state, remember_for_resume
from app.intake import receive
from app.webhooks.context import identity, training_request
from channels.africastalking.ussd import UssdHop
from channels.base import ParsedInbound
from channels.handlers import Answer, UssdEndRoute, UssdHopRoute
from channels.ussd_menu import LanguageChange, PlaceOption, Submission, next_screen


def take_hop(route: UssdHopRoute) -> Answer:
    """One USSD hop, answered from memory and Redis only; the report is queued at the last screen."""
    services = current_services()
    hop = route.parse(request.form, **identity())
    redis = services.queues.connection
    language, places, prefix, fetch_profile = load_hop_state(
        redis,
        hop.reporter_key,
        hop.session_id,
        first_hop=not hop.text,
        default_language=services.settings.default_language,
    )
    if fetch_profile:
        services.queues.enqueue(
            "maintenance",
            jobs.cache_reporter_profile,
            hop.reporter_key,
            job_id=f"profile-{hop.reporter_key[:16]}",
        )
    path = "*".join(part for part in (prefix, hop.text) if part)
    outcome = next_screen(
        path, language=language, menus=services.menus, taxonomy=services.taxonomy, places=places
    )
    if isinstance(outcome, Submission):
        return Answer(route.render(_submit(hop, outcome, places), True), route.mimetype)
    if isinstance(outcome, LanguageChange):
        services.queues.enqueue(
            "maintenance",
            jobs.set_reporter_language,
            hop.reporter_key,
            outcome.language,
            job_id=f"language-{hop.submission_id}",
        )
        outcome = outcome.screen
    return Answer(route.render(outcome.text, outcome.ends), route.mimetype)


def _submit(hop: UssdHop, outcome: Submission, places: list[PlaceOption]) -> str:
    """Store the report of a finished session and return its last screen, with her receipt code.

    The END screen is her acknowledgement, so the report is committed first, like an SMS (the
    submission id keeps AT's resend of the last hop to one row).
    """
    services = current_services()
    # The same session always shows the same code, even when AT resends the last hop.
    ref = ref_for(hop.submission_id, services.settings.pepper)
    content = {
        "text": f"{outcome.category} {outcome.place_text or ''}".strip(),
        "category": outcome.category,
        "place_text": outcome.place_text or _place_name(places, outcome.place_code),
        "time_class": outcome.time_class,
        "ref": ref,
    }
    if outcome.ele_option:  # who was targeted, or a process issue for its own queue (R17)
        content["ele_option"] = outcome.ele_option
    parsed = ParsedInbound(
        provider="africastalking",
        channel="ussd",
        provider_message_id=hop.submission_id,
        reporter_key=hop.reporter_key,
        content=content,
        payload={"sessionId": hop.session_id},
    )
    receive(parsed, source=request.remote_addr or "", training=training_request())
    return outcome.screen.format(ref=ref)


def _place_name(places: list[PlaceOption], code: str | None) -> str:
    return next((p.name for p in places if p.code == code), "")


def take_session_end(route: UssdEndRoute) -> Answer:
    """End-of-session notification: recorded; a dropped session can be resumed by the same phone."""
    services = current_services()
    end = route.parse(request.form, **identity())
    phone = end.reporter_key or ""  # a session is one phone's: another may reuse its id
    with services.uow() as uow:
        if uow.session.get(UssdSession, (end.session_id, phone)) is None:
            uow.session.add(
                UssdSession(
                    session_id=end.session_id,
                    reporter_key=phone,
                    status=end.status,
                    hops=end.hops,
                    duration_ms=end.duration_ms,
                    last_screen=end.last_app_response,
                    error=end.error_message or None,
                )
            )
            uow.commit()
    if end.abandoned and end.reporter_key:
        remember_for_resume(
            services.queues.connection,
            end.reporter_key,
            end.session_id,
            end.input,
            seconds=services.settings.ussd_resume_seconds,
        )
    return route.answer
