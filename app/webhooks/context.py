"""What every webhook reads of the deployment besides its route: her key's secrets and training mode."""

from __future__ import annotations

from flask import request

from app import current_services


def training_request() -> bool:
    """Messages from the phone simulator (or a training number) carry ``?mode=training``."""
    return request.args.get("mode") == "training" and current_services().settings.training


def identity() -> dict[str, str]:
    settings = current_services().settings
    return {"pepper": settings.pepper, "default_region": settings.default_country}
