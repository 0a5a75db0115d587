"""/admin: users, networks, monitors by pseudonym, place aliases reviewers proposed, and the
deployment's data files (read-only here)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers.response import Response

from alerts.accounts.administration import add_user, list_monitors, list_networks, list_users, set_user_active
from alerts.accounts.policy import ADMINISTER, roles_with
from alerts.errors import AlertsError
from alerts.intake.aliases import decide_alias, list_aliases
from alerts.models import utcnow
from alerts.vocabulary import ROLES
from app import current_services
from app.web.access import current_viewer, requires_roles
from app.web.navigation import ROLE_LABELS
from app.web.review_format import day_text

bp = Blueprint("admin", __name__, url_prefix="/admin")

MESSAGE_LABELS = {
    "receipt": _l("Report received"),
    "passed_on": _l("Report passed on"),
    "closure": _l("Thanks at closing"),
    "more_info": _l("Asking for a few more words"),
    "help": _l("Help"),
    "stopped": _l("Messages stopped"),
    "language_set": _l("Language changed"),
    "joined": _l("Joined a network"),
}
"""The reporter messages (``channels.messages.TEMPLATE_KEYS``) as an administrator reads them."""

PHASE_LABELS = {
    "registration": _l("Voter registration"),
    "nomination": _l("Nominations"),
    "campaign": _l("Campaign"),
    "silence_and_polling": _l("Silence and polling"),
    "counting_results": _l("Counting and results"),
    "post_results": _l("After the results"),
}
"""The electoral phases (``alerts.triage.elections.PHASE_PRECEDENCE``, DOMAIN.md §3.3)."""

LANGUAGE_LABELS = {"pga": _l("Juba Arabic")}
"""Reporter languages that Babel's locale data does not name."""


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "role_labels": ROLE_LABELS,
        "message_labels": MESSAGE_LABELS,
        "phase_labels": PHASE_LABELS,
        "language_name": language_name,
        "day_text": day_text,
    }


def language_name(code: str) -> str:
    """A language code as the page's language names it ("sw": Swahili, swahili, السواحلية), else the code."""
    if code in LANGUAGE_LABELS:
        return str(LANGUAGE_LABELS[code])
    try:
        name = Locale.parse(code).get_display_name(get_locale() or "en")
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


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
