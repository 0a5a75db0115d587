"""Sign in and out; ``/`` leads to the queue, or to the sign-in page."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers.response import Response

from alerts.accounts.users import DASHBOARD_LANGUAGES, authenticate_password, end_sessions, set_user_language
from alerts.errors import InvalidCredentials
from alerts.messages import Viewer
from app import current_services
from app.web.access import SESSION_VERSION, SIGNED_IN_AT, SignedIn, safe_next, signed_in_viewer
from app.web.errors import render_error
from app.web.forms import SignInForm
from app.web.language import CHOSEN
from app.web.throttle import LoginThrottle

bp = Blueprint("auth", __name__)

HOME = "/queue"
"""Where a signed-in user starts: the queue, or the first page her role may open."""
ROLE_HOMES = {"admin": "/admin", "contact_officer": "/contacts", "auditor": "/audit"}


def home_for_role(role: str) -> str:
    return ROLE_HOMES.get(role, HOME)


def home_for(viewer: Viewer | None) -> str:
    return home_for_role(viewer.role) if viewer else HOME


@bp.get("/")
def index() -> Response:
    viewer = signed_in_viewer()
    return redirect(home_for(viewer) if viewer else url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; on success, her session starts and she goes where she was heading."""
    target = safe_next(request.args.get("next"))
    if viewer := signed_in_viewer():
        return redirect(target or home_for(viewer))
    form = SignInForm()
    if form.validate_on_submit():
        return _sign_in(form, target)
    return _form_page(form)


def _form_page(form: SignInForm, error: str | None = None) -> str:
    settings = current_services().settings
    return render_template("login.html", form=form, error=error, training=settings.training)


def _sign_in(form: SignInForm, target: str | None) -> ResponseReturnValue:
    services = current_services()
    throttle = LoginThrottle(services.queues.connection, services.settings.secret_key)
    email, password = form.email.data or "", form.password.data or ""  # both required by the form
    address = request.remote_addr or ""
    attempt = throttle.begin(email, address, now=time.time())
    if attempt.wait_seconds:
        return render_error(429, wait_seconds=attempt.wait_seconds)
    try:
        viewer = authenticate_password(email, password, form.code.data or None, uow=services.uow())
    except InvalidCredentials:
        return _form_page(form, error=_("Wrong email, password or code."))  # the attempt stays counted
    throttle.succeeded(attempt, email, address)
    _start_session(viewer)
    return redirect(target or home_for(viewer))


def _start_session(viewer: Viewer) -> None:
    chosen = session.get(CHOSEN)
    # A fresh session at sign-in: nothing planted in the cookie beforehand survives it (fixation).
    session.clear()
    session.permanent = True
    session[SIGNED_IN_AT] = int(time.time())
    session[SESSION_VERSION] = viewer.session_version
    login_user(SignedIn(viewer))
    if chosen in DASHBOARD_LANGUAGES and chosen != viewer.language:
        # She picked a language on the sign-in page: that is her choice from now on.
        set_user_language(viewer.user_id, str(chosen), uow=current_services().uow())


@bp.post("/logout")
def logout() -> Response:
    """Sign her out here and wherever else she is signed in (the cookie alone proves nothing after)."""
    if viewer := signed_in_viewer():
        end_sessions(viewer.user_id, uow=current_services().uow())
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
