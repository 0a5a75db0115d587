"""The triage-quality page (#16): how often reviewers kept or changed triage's category and place."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from alerts.accounts.policy import TRIAGE_QUALITY, roles_with
from alerts.incidents.quality import DEFAULT_WEEKS, triage_quality
from alerts.models import utcnow
from app import current_services
from app.web.access import current_viewer, requires_roles
from app.web.review_format import category_label

bp = Blueprint("quality", __name__)

WEEK_CHOICES = (4, 8, 12, 26, 52)


@bp.get("/quality")
@requires_roles(*roles_with(TRIAGE_QUALITY))
def quality() -> str:
    viewer, services = current_viewer(), current_services()
    weeks = request.args.get("weeks", str(DEFAULT_WEEKS))
    countries = sorted(viewer.countries or services.settings.countries)
    country = request.args.get("country") or None
    if weeks not in map(str, WEEK_CHOICES) or (country is not None and country not in countries):
        abort(400, _("Choose the weeks and the country from the lists."))
    result = triage_quality(viewer, uow=services.uow(), now=utcnow(), weeks=int(weeks), country=country)
    return render_template(
        "quality.html",
        result=result,
        weeks=int(weeks),
        week_choices=WEEK_CHOICES,
        country=country,
        countries=countries,
        week_groups=[(week["week"], week) for week in result["weeks"]],
        language_groups=[(group["language"] or _("unknown"), group) for group in result["languages"]],
        category_label=_category_label,
    )


def _category_label(code: str) -> str:
    locale = get_locale()
    return category_label(current_services().taxonomy, code, locale.language if locale else "en")
