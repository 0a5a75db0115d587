"""Africa's Talking: SMS in, delivery reports, USSD hops and session ends, missed calls (CHANNELS.md §7-§10).

AT signs nothing: every route first checks the deployment token (HTTP basic password or ``token``
query parameter) and the optional address allow-list.
"""

from __future__ import annotations

from flask import Response, request

from alerts.intake.services import ref_for
from alerts.models import UssdSession
from app import current_services, jobs
from app.infra.ussd_state import load_hop_state, remember_for_resume
from app.intake import receive
from app.webhooks import bp, identity, record_status, take_message, take_missed_call, training_request
from channels.africastalking import sms, ussd
from channels.africastalking.auth import check_webhook
from channels.africastalking.voice import REJECT_RESPONSE, parse_call
from channels.base import ParsedInbound
from channels.ussd_menu import LanguageChange, PlaceOption, Submission, next_screen


def _authorize() -> None:
    settings = current_services().settings
    check_webhook(
        request.args,
        request.headers,
        request.remote_addr or "",
        token=settings.at_webhook_token,
        allowed_networks=settings.at_allowed_networks,
    )


@bp.post("/africastalking/sms")
def at_sms() -> Response:
    """Inbound SMS; any 2xx is an acknowledgement for AT."""
    _authorize()
    form = request.form
    take_message(
        lambda: sms.parse_message(form, **identity()),
        lambda reason: sms.salvage_message(form, reason, **identity()),
        carries_message=bool(form.get("text") or form.get("from")),
        reply_to=lambda parsed: form["from"] if parsed.content.get("replyable", True) else None,
    )
    return Response("", status=200)


@bp.post("/africastalking/delivery")
def at_delivery() -> Response:
    _authorize()
    update = sms.parse_delivery_report(request.form)
    record_status(update, opted_out=update is not None and sms.is_opt_out(update))
    return Response("", status=200)


@bp.post("/africastalking/ussd")
def at_ussd() -> Response:
    """One USSD hop, answered from memory and Redis only; the report is queued at the last screen."""
    _authorize()
    services = current_services()
    hop = ussd.parse_hop(request.form, **identity())
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
        return _ussd_answer(_submit(hop, outcome, places), ends=True)
    if isinstance(outcome, LanguageChange):
        services.queues.enqueue(
            "maintenance",
            jobs.set_reporter_language,
            hop.reporter_key,
            outcome.language,
            job_id=f"language-{hop.submission_id}",
        )
        outcome = outcome.screen
    return _ussd_answer(outcome.text, ends=outcome.ends)


def _submit(hop: ussd.UssdHop, outcome: Submission, places: list[PlaceOption]) -> str:
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


def _ussd_answer(screen: str, *, ends: bool) -> Response:
    return Response(ussd.render(screen, ends), mimetype="text/plain")


@bp.post("/africastalking/ussd/events")
def at_ussd_events() -> Response:
    """End-of-session notification: recorded; a dropped session can be resumed by the same phone."""
    _authorize()
    services = current_services()
    end = ussd.parse_session_end(request.form, **identity())
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
    return Response("", status=200)


@bp.post("/africastalking/voice")
def at_voice() -> Response:
    """A missed call: rejected unanswered (no cost to her); a call-back alert for her area follows."""
    _authorize()
    call = parse_call(request.form, **identity())
    if call.is_active:  # the last callback of a call (isActive=0) only reports its duration
        take_missed_call(call.provider, call.session_id, call.reporter_key)
    return Response(REJECT_RESPONSE, mimetype="application/xml")
