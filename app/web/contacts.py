"""/contacts: the contact officer's call-back list, and a number shown once, for a reason (R28-R30).

Who may read what is decided in ``alerts.reporters.callbacks``. Showing a number is not guarded by a role
here on purpose: the service audits an attempt by any other role before refusing it (403). The
number is only ever in the body of the POST's answer: never in a URL, a flashed message (the session
cookie) or a log line, and the answer is not cached.
"""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers.response import Response

from alerts.accounts.policy import CONTACTS, roles_with
from alerts.errors import InvalidValue
from alerts.models import utcnow
from alerts.reporters.callbacks import (
    CALL_OUTCOMES,
    REASON_LIMIT,
    NoContactKept,
    list_callbacks,
    record_callback,
    reveal_contact,
)
from app import current_services
from app.web.access import current_viewer, requires_roles
from app.web.review_format import day_text, utc_text

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

OUTCOME_LABELS = {
    "reached": _l("Reached her"),
    "no_answer": _l("No answer"),
    "wrong_person": _l("Wrong person answered"),
}


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "outcome_labels": OUTCOME_LABELS,
        "call_outcomes": CALL_OUTCOMES,
        "reason_limit": REASON_LIMIT,
        "utc_text": utc_text,
        "day_text": day_text,
    }


@bp.get("")
@requires_roles(*roles_with(CONTACTS))
def index() -> str:
    page = request.args.get("page", 1, type=int) or 1
    result = list_callbacks(current_viewer(), uow=current_services().uow(), now=utcnow(), page=page)
    return render_template("contacts.html", items=result.items, page=page, next_page=result.next_page)


@bp.post("/<reference>/show")
def show(reference: str) -> Response:
    services = current_services()
    try:
        number = reveal_contact(
            current_viewer(),
            reference,
            request.form.get("reason", ""),
            uow=services.uow(),
            vault=services.vault,
            now=utcnow(),
        )
    except InvalidValue:
        flash(_("Say why you need her number."), "error")
        return redirect(url_for("contacts.index"))
    except NoContactKept:
        flash(_("No contact is kept for %(reference)s.", reference=reference), "error")
        return redirect(url_for("contacts.index"))
    response = make_response(render_template("contacts_number.html", reference=reference, number=number))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<reference>/called")
@requires_roles(*roles_with(CONTACTS))
def called(reference: str) -> Response:
    try:
        record_callback(
            current_viewer(),
            reference,
            request.form.get("outcome", ""),
            uow=current_services().uow(),
            now=utcnow(),
        )
    except InvalidValue:
        flash(_("Choose how the call went."), "error")
    except NoContactKept:
        flash(_("No contact is kept for %(reference)s.", reference=reference), "error")
    else:
        flash(_("Call recorded."), "ok")
    return redirect(url_for("contacts.index"))
