"""Provider webhooks: verify, parse, store, enqueue, acknowledge (CHANNELS.md).

One view serves every route of every handler in channels' registry; paths are ``/webhooks/<provider>/
<route>`` and stable, as deployments configure them at the providers.
"""

from __future__ import annotations

from functools import partial
from typing import assert_never

from flask import Blueprint, Response, request

from alerts.reporters.outbound import apply_delivery
from app import current_services
from app.intake import receive
from app.webhooks import ussd
from app.webhooks.context import identity, training_request
from channels.errors import PayloadInvalid
from channels.handlers import Answer, Handler, InboundRoute, Route, StatusRoute, UssdEndRoute, UssdHopRoute
from channels.registry import HANDLERS

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def serve(handler: Handler, route: Route) -> Response:
    """Authenticate the request, then do what its route's kind asks and answer as the provider expects."""
    handler.authenticate(request, current_services().settings)
    match route:
        case InboundRoute():
            answer = take_inbound(route)
        case StatusRoute():
            answer = record_status(route)
        case UssdHopRoute():
            answer = ussd.take_hop(route)
        case UssdEndRoute():
            answer = ussd.take_session_end(route)
        case _:
            assert_never(route)
    return Response(answer.body, mimetype=answer.mimetype)


def take_inbound(route: InboundRoute) -> Answer:
    """Store what she sent; a malformed message that still carries words is kept for review."""
    form, source, training = request.form, request.remote_addr or "", training_request()
    try:
        parsed = route.parse(form, **identity())
    except PayloadInvalid as exc:
        if route.salvage is not None and any(form.get(name) for name in route.words):
            salvaged = route.salvage(form, str(exc), **identity())
            receive(salvaged, source=source, status="review", error=str(exc), training=training)
        raise
    if parsed is not None:
        receive(parsed, source=source, reply_to=route.reply_to(form, parsed), training=training)
    return route.answer


def record_status(route: StatusRoute) -> Answer:
    """Keep a delivery callback; an unknown status (None) is only logged by the parser."""
    update = route.parse(request.form)
    if update is not None:
        apply_delivery(
            provider=update.provider,
            provider_message_id=update.provider_message_id,
            status=update.status,
            error_code=update.error_code,
            opted_out=route.opted_out(update),
            payload=update.payload,
            uow=current_services().uow(),
        )
    return route.answer


for _handler in HANDLERS:
    for _route in _handler.routes:
        _path = f"{_handler.provider}/{_route.path}"
        bp.add_url_rule(f"/{_path}", _path, partial(serve, _handler, _route), methods=["POST"])
