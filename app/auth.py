"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from flask import request

from alerts.accounts.users import authenticate_token
from alerts.errors import InvalidCredentials
from alerts.messages import Viewer
from app import current_services


def current_viewer() -> Viewer:
    """The user whose token authorises this request; 401 without a valid one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidCredentials("send 'Authorization: Bearer <token>' (see `dalili token create`)")
    return authenticate_token(token.strip(), uow=current_services().uow())
