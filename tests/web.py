"""Driving the dashboard's forms with Flask's test client: CSRF tokens and signing in."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from alerts.accounts.users import create_user
from app.bootstrap import Services

PASSWORD = "a-long-test-passphrase"
PAGE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
"""What a browser sends: error pages come back as HTML."""


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The token from the first form of a page, after its redirects (the session stays in the client)."""
    found = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
        client.get(path, headers=PAGE, follow_redirects=True).get_data(as_text=True),
    )
    assert found, f"no CSRF token on {path}"
    return found.group(1) or found.group(2)


def add_user(services: Services, role: str, email: str | None = None, countries: tuple[str, ...] = ()) -> str:
    """A user with this role and the test password; returns her email."""
    email = email or f"{role}@test.dalili.org"
    create_user(email, role, PASSWORD, uow=services.uow(), countries=countries)
    return email


def sign_in(
    client: FlaskClient,
    email: str,
    password: str = PASSWORD,
    *,
    code: str = "",
    next_path: str | None = None,
    address: str = "127.0.0.1",
) -> TestResponse:
    """Post the sign-in form as a browser at ``address`` would."""
    path = "/login" + (f"?next={next_path}" if next_path else "")
    form = {"email": email, "password": password, "code": code, "csrf_token": csrf_token(client, path)}
    return client.post(path, data=form, headers=PAGE, environ_base={"REMOTE_ADDR": address})


def post_form(
    client: FlaskClient, path: str, data: dict[str, str], *, token_from: str = "/login"
) -> TestResponse:
    """Post a header form (language, sign out) with a valid token."""
    return client.post(path, data=data | {"csrf_token": csrf_token(client, token_from)}, headers=PAGE)
