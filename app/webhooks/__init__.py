"""Provider webhooks: verify, parse, store, enqueue, acknowledge (CHANNELS.md).

Paths are stable; deployments configure them at the providers.
"""

from __future__ import annotations

from flask import Blueprint, request

from app import current_services

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

FORM = "application/x-www-form-urlencoded"


def training_request() -> bool:
    """Messages from the phone simulator (or a training number) carry ``?mode=training``."""
    return request.args.get("mode") == "training" and current_services().settings.training


def identity() -> dict[str, str]:
    settings = current_services().settings
    return {"pepper": settings.pepper, "default_region": settings.default_country}


from app.webhooks import africastalking, twilio  # noqa: E402, F401  # reason: routes register on bp
