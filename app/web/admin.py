"""/admin: users, networks, monitors by pseudonym, place aliases reviewers proposed, and the
deployment's data files (read-only here)."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers.response import Response

from alerts.accounts.administration import add_user, list_monitors, list_networks, list_users, set_user_active
from alerts.accounts.policy import ADMINISTER, roles_with
from alerts.errors import AlertsError
from alerts.intake.aliases import decide_alias, list_aliases
from alerts.models import utcnow
from alerts.vocabulary import ROLES
from app import current_services
from app.web.access import current_viewer, requires_roles

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("")
@requires_roles(*roles_with(ADMINISTER))
def index() -> str:
    return _page()


def _page(created: dict[str, str] | None = None) -> str:
    services, viewer = current_services(), current_viewer()
    return render_template(
        "admin.html",
        created=created,
        users=list_users(viewer, uow=services.uow()),
        networks=list_networks(viewer, uow=services.uow()),
        proposed_aliases=list_aliases(viewer, uow=services.uow(), status="proposed"),
        approved_aliases=list_aliases(viewer, uow=services.uow(), status="approved"),
        roles=ROLES,
        calendars=services.classifier.calendars,
        templates=services.messages.templates,
        lexicon_terms=Counter(term.language for term in services.classifier.lexicons.terms),
        lexicon_sources=sorted({term.source for term in services.classifier.lexicons.terms}),
    )


@bp.post("/users")
@requires_roles(*roles_with(ADMINISTER))
def create() -> Response | str:
    """Create her and show her first password in this answer only (never cached, never in a cookie:
    a flashed message would travel in the client-side session cookie)."""
    form = request.form
    countries = form.get("countries", "").replace(",", " ").split()
    email = form.get("email", "")
    try:
        password = add_user(
            current_viewer(), email, form.get("role", ""), countries, uow=current_services().uow()
        )
    except AlertsError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.index"))
    return _page(created={"email": email.strip().lower(), "password": password})


@bp.post("/users/<int:user_id>/active")
@requires_roles(*roles_with(ADMINISTER))
def activate(user_id: int) -> Response:
    try:
        set_user_active(
            current_viewer(), user_id, request.form.get("active") == "1", uow=current_services().uow()
        )
    except AlertsError as exc:
        flash(str(exc), "error")
    return redirect(url_for("admin.index"))


@bp.get("/networks/<int:network_id>")
@requires_roles(*roles_with(ADMINISTER))
def monitors(network_id: int) -> str:
    rows = list_monitors(current_viewer(), network_id, uow=current_services().uow())
    return render_template("admin_monitors.html", monitors=rows)


@bp.post("/aliases/<int:alias_id>")
@requires_roles(*roles_with(ADMINISTER))
def decide(alias_id: int) -> Response:
    """Approve or reject a place alias a reviewer proposed; an approved one places new reports."""
    decision = request.form.get("decision", "")
    try:
        alias = decide_alias(alias_id, decision, current_viewer(), uow=current_services().uow(), now=utcnow())
    except AlertsError as exc:
        flash(str(exc), "error")
    else:
        if alias["status"] == "approved":
            flash(
                _(
                    "Approved: new reports with “%(words)s” are placed at %(place)s.",
                    words=alias["typed"],
                    place=alias["place_name"],
                ),
                "ok",
            )
        else:
            flash(_("Rejected: “%(words)s” is not used to place reports.", words=alias["typed"]), "ok")
    return redirect(url_for("admin.index", _anchor="aliases-title"))
