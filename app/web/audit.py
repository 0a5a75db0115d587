"""/audit: the auditor's page, the audit trail with filters and pages, and the check of its chain (R30).

What she may read, and how a restricted incident's events are redacted, is decided in
``alerts.accounts.auditing``; the check is the one `dalili audit verify` runs (``verify_trail``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers.response import Response
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from alerts.accounts.auditing import PAGE, TrailFilter, latest_verification, read_trail, verify
from alerts.accounts.policy import AUDIT, roles_with
from alerts.models import utcnow
from app import current_services
from app.web.access import current_viewer, requires_roles
from app.web.review_format import utc_text
from app.web.review_forms import PRINTABLE

bp = Blueprint("audit", __name__, url_prefix="/audit")

FILTERS = ("actor", "action", "subject_type", "subject_id", "since", "until")
MAX_ID = 2**63 - 1
TRAIL_PAGE = PAGE
"""Events per page."""


class TrailFilterForm(FlaskForm):  # type: ignore[misc]  # reason: flask-wtf's base class is untyped
    """The trail's filters, read from the query string (GET: a filtered trail can be bookmarked)."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    actor = StringField(
        _l("Who (email or system actor)"),
        validators=[Optional(), Length(max=64), Regexp(PRINTABLE)],
        render_kw={"dir": "ltr", "spellcheck": "false"},
    )
    action = StringField(
        _l("Action (or its start)"),
        validators=[Optional(), Length(max=64), Regexp(PRINTABLE)],
        render_kw={"dir": "ltr", "spellcheck": "false", "placeholder": "incident."},
    )
    subject_type = StringField(
        _l("Subject type"),
        validators=[Optional(), Length(max=32), Regexp(PRINTABLE)],
        render_kw={"dir": "ltr", "spellcheck": "false", "placeholder": "incident"},
    )
    subject_id = StringField(
        _l("Subject id"),
        validators=[Optional(), Length(max=64), Regexp(PRINTABLE)],
        render_kw={"dir": "ltr", "spellcheck": "false"},
    )
    since = DateField(_l("Recorded from"), validators=[Optional()], render_kw={"dir": "ltr"})
    until = DateField(_l("Recorded until"), validators=[Optional()], render_kw={"dir": "ltr"})

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end of the period is before its start."))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"utc_text": utc_text, "detail_text": detail_text}


def detail_text(value: Any) -> str:
    """One detail's value as recorded: text as it is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _trail_filter(form: TrailFilterForm) -> TrailFilter:
    since: date | None = form.since.data
    until: date | None = form.until.data
    return TrailFilter(
        actor=form.actor.data or None,
        action=form.action.data or None,
        subject_type=form.subject_type.data or None,
        subject_id=form.subject_id.data or None,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
    )


def _filter_args(form: TrailFilterForm) -> dict[str, Any]:
    """The valid filters as query parameters, for the page links."""
    args: dict[str, Any] = {}
    for name in FILTERS:
        value = form[name].data
        if value:
            args[name] = value.isoformat() if isinstance(value, date) else str(value).strip()
    return args


@bp.get("")
@requires_roles(*roles_with(AUDIT))
def index() -> str:
    """The trail, newest first, filtered, a page at a time, under the outcome of the latest check."""
    viewer, services = current_viewer(), current_services()
    form = TrailFilterForm(formdata=request.args)
    verification = latest_verification(viewer, uow=services.uow())
    if not form.validate():
        return render_template("audit.html", form=form, verification=verification)
    args = _filter_args(form)
    before = request.args.get("before", type=int)
    before = before if before is not None and 0 < before <= MAX_ID else None
    page = read_trail(viewer, _trail_filter(form), uow=services.uow(), limit=TRAIL_PAGE, before=before)
    older = page.older_than
    return render_template(
        "audit.html",
        form=form,
        verification=verification,
        events=page.events,
        first_url=url_for("audit.index", **args) if before else None,
        next_url=url_for("audit.index", **args, before=older) if older else None,
    )


@bp.post("/verify")
@requires_roles(*roles_with(AUDIT))
def verify_now() -> Response:
    """Check the whole trail now, record the outcome in it, and show it on the trail's page (the form's
    CSRF token is checked for every POST, app/web/__init__.py)."""
    services = current_services()
    settings = services.settings
    check = verify(
        current_viewer(),
        utcnow(),
        uow=services.uow(),
        anchor_dir=Path(settings.audit_anchor_dir),
        archive_dir=Path(settings.audit_archive_dir),
        archive_days=settings.audit_archive_days,
    )
    if check.problems:
        flash(_("The audit trail does NOT verify: see the problems below."), "error")
    else:
        flash(_("The audit trail verifies: nothing altered or removed."), "ok")
    return redirect(url_for("audit.index"))
