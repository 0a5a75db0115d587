"""The queue and incident pages (issue #6): what JOC officers and protection staff work from in a crisis.

Views parse, call one service of ``alerts.incidents.review`` and render or redirect (POST-redirect-GET with a
flashed confirmation); who may see and do what is decided there (R29). NotPermitted and
UnknownIncident become the 403 and 404 pages (app/errors.py); a refused step comes back as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers.response import Response

from alerts.accounts.policy import (
    INCIDENTS,
    OWN_NETWORKS,
    RESPOND,
    REVIEW,
    may,
    roles_with,
    sees_restricted,
    visible_states,
)
from alerts.errors import InvalidValue
from alerts.incidents.corrections import correct, undo
from alerts.incidents.review import (
    MAX_PAGE,
    PAGE,
    QueueFilter,
    assign,
    close,
    dismiss,
    escalate_now,
    incident_detail,
    list_queue,
    mark_actioned,
    mark_unverified,
    merge,
    record_check,
    reject,
    request_information,
    start_review,
    unmerge,
    verify,
)
from alerts.incidents.workflow import TRANSITIONS, InvalidTransition, path_to
from alerts.messages import Viewer
from alerts.models import Network, utcnow
from alerts.vocabulary import AWAITING_REVIEW, CORRECTED_FIELDS, OPEN_STATES, QUEUE_VIEWS
from app import current_services
from app.bootstrap import Services
from app.jobs import enqueue_follow_ups
from app.web import correcting, review_format
from app.web.access import current_viewer, requires_roles
from app.web.correction_forms import FORMS
from app.web.maps import LEAFLET_VERSION, bbox_around, boundaries_installed
from app.web.maps import bp as maps_bp
from app.web.review_forms import (
    ALL_OPEN,
    TRAINING,
    ActionedForm,
    ActionForm,
    AssignForm,
    CheckForm,
    MergeForm,
    QueueFilterForm,
    RejectForm,
    VerifyForm,
)

bp = Blueprint("review", __name__)
bp.register_blueprint(maps_bp)

ID = "int(min=1, max=9223372036854775807)"
"""Ids are BIGINT: a larger one is no incident, not an overflow in the driver."""
FIELD = f"any({', '.join(CORRECTED_FIELDS)})"
FILTERS = (
    "country",
    "area",
    "sector",
    "category",
    "status",
    "network",
    "since",
    "until",
    "queue",
    "view",
    "training",
)
NEW_ITEMS_GRACE = timedelta(minutes=2)
"""Alerts received this long before the page was drawn but triaged after it still count as new."""
POLL_SECONDS = 20
QUEUE_PAGE = PAGE
"""Incidents per queue page."""


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "category_label": _category_label,
        "status_label": review_format.status_label,
        "countdown_text": review_format.countdown_text,
        "overdue": review_format.overdue,
        "awaiting_review": AWAITING_REVIEW,
        "utc_text": review_format.utc_text,
        "grade": review_format.grade,
        "credibility_labels": review_format.CREDIBILITY_LABELS,
        "reliability_labels": review_format.RELIABILITY_LABELS,
        "channel_labels": review_format.CHANNEL_LABELS,
        "check_labels": review_format.CHECK_LABELS,
        "precision_labels": review_format.PRECISION_LABELS,
        "countdown_templates": review_format.countdown_templates,
        "leaflet_version": LEAFLET_VERSION,
    }


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def _category_label(code: str) -> str:
    return review_format.category_label(current_services().taxonomy, code, _language())


# The queue -------------------------------------------------------------------------------------


def _filter_form(viewer: Viewer) -> QueueFilterForm:
    services = current_services()
    form = QueueFilterForm(formdata=request.args)
    form.view.data = form.view.data or ALL_OPEN
    countries = sorted(viewer.countries or services.settings.countries)
    categories = sorted(
        ((code, _category_label(code)) for code in services.taxonomy.categories), key=lambda c: c[1]
    )
    visible = visible_states(viewer)
    states = [s for s in QUEUE_VIEWS.get(form.view.data, OPEN_STATES) if s in visible]
    form.set_choices(countries, categories, _network_choices(viewer), states)
    return form


def _network_choices(viewer: Viewer) -> list[tuple[str, str]]:
    """The networks of her countries (a coordinator: her own), by name."""
    query = select(Network.id, Network.name).order_by(Network.name)
    if may(viewer, OWN_NETWORKS):
        query = query.where(Network.id.in_(sorted(viewer.network_ids)))
    if viewer.countries:
        query = query.where(Network.country.in_(sorted(viewer.countries)))
    with current_services().uow() as uow:
        return [(str(ident), name) for ident, name in uow.session.execute(query)]


def _queue_filter(form: QueueFilterForm) -> QueueFilter:
    since: date | None = form.since.data
    until: date | None = form.until.data
    return QueueFilter(
        country=form.country.data or None,
        area=(form.area.data or "").strip() or None,
        sector=(form.sector.data or "").strip() or None,
        category=form.category.data or None,
        status=form.status.data or None,
        network_id=int(form.network.data) if form.network.data else None,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
        queue=form.queue.data or "triage",
        view=None if form.view.data == ALL_OPEN else form.view.data,
        training=form.training.data == TRAINING,
    )


def _filter_args(form: QueueFilterForm) -> dict[str, Any]:
    """The valid filters as query parameters, for the next-page and new-alerts links."""
    args: dict[str, Any] = {}
    for name in FILTERS:
        value = form[name].data
        if value and (name, value) not in (("queue", "triage"), ("view", ALL_OPEN)):
            args[name] = value.isoformat() if isinstance(value, date) else str(value).strip()
    return args


@bp.get("/queue")
@requires_roles(*roles_with(INCIDENTS))
def queue() -> ResponseReturnValue:
    """Open incidents by priority and deadline, filtered, a keyset page at a time; real ones, or in
    the training queue those made in training sessions."""
    viewer, services = current_viewer(), current_services()
    form = _filter_form(viewer)
    now = utcnow()
    training = form.training.data == TRAINING
    queues = _queues(training)
    if not form.validate():
        return render_template(
            "queue.html", form=form, items=[], now=now, invalid=True, queues=queues, training=training
        )
    filters, args = _queue_filter(form), _filter_args(form)
    cursor = request.args.get("after") or None
    try:
        page = list_queue(viewer, filters, uow=services.uow(), limit=QUEUE_PAGE, after=cursor)
    except InvalidValue:
        flash(_("That page link is no longer valid: here is the first page."), "error")
        return redirect(url_for("review.queue", **args))
    newest = max((datetime.fromisoformat(i["first_reported_at"]) for i in page.items), default=None)
    newer_than = max(filter(None, (newest, now - NEW_ITEMS_GRACE)))
    return render_template(
        "queue.html",
        form=form,
        items=page.items,
        now=now,
        invalid=False,
        queues=queues,
        training=training,
        hint=_hint(viewer, form.view.data),
        tabs=_tabs(viewer, args),
        paged=cursor is not None,
        first_url=url_for("review.queue", **args),
        next_url=url_for("review.queue", **args, after=page.next_cursor) if page.next_cursor else None,
        updates_url=url_for("review.updates", **args, newer_than=newer_than.isoformat()),
        poll_seconds=POLL_SECONDS,
    )


def _queues(training: bool) -> list[tuple[str, str, bool]]:
    """(label, link, current) of the real and the training queue, in training mode or while she is in
    the training queue: training incidents are made only in training mode (the phone simulator and
    ``?mode=training`` webhooks), so elsewhere the link would lead to an empty queue."""
    if not (training or current_services().settings.training):
        return []
    return [
        (_("Real incidents"), url_for("review.queue"), not training),
        (_("Training incidents"), url_for("review.queue", training=TRAINING), training),
    ]


def _hint(viewer: Viewer, view: str | None) -> str | None:
    """Which explanation of the order fits what she sees: a verified-only reader has nothing awaiting
    a decision and no deadline counting down, whatever the tab."""
    return view if set(AWAITING_REVIEW) & set(visible_states(viewer)) else "verified"


def _tabs(viewer: Viewer, args: dict[str, Any]) -> list[tuple[str, str]]:
    """(view, link) of each queue tab for a reviewer, keeping her filters but the status, which
    belongs to one tab; roles that only read verified incidents have nothing awaiting, so no tabs."""
    if not may(viewer, REVIEW):
        return []
    kept = {name: value for name, value in args.items() if name not in ("status", "view")}
    return [(view, url_for("review.queue", **kept, view=view)) for view in (ALL_OPEN, *QUEUE_VIEWS)]


@bp.get("/queue/updates")
@requires_roles(*roles_with(INCIDENTS))
def updates() -> Response:
    """{"new": n, "text": …, "url": …}: open incidents matching the filters (whatever the tab) first
    reported after ``newer_than``, and the page of the most urgent of them, for the banner's "Show"."""
    viewer = current_viewer()
    form = _filter_form(viewer)
    try:
        newer_than = datetime.fromisoformat(request.args.get("newer_than", ""))
    except ValueError:
        abort(400, "newer_than must be an ISO 8601 time with a timezone")
    if newer_than.tzinfo is None or not form.validate():
        abort(400, "newer_than must be an ISO 8601 time with a timezone, and the filters valid")
    filters = _queue_filter(form)
    after = newer_than.astimezone(UTC) + timedelta(microseconds=1)
    filters = replace(filters, since=max(filters.since, after) if filters.since else after, view=None)
    page = list_queue(viewer, filters, uow=current_services().uow(), limit=MAX_PAGE)
    count = len(page.items)
    text = ngettext("%(num)d new alert", "%(num)d new alerts", count) if count else ""
    if page.next_cursor:
        text = _("More than %(count)d new alerts", count=MAX_PAGE)
    url = url_for("review.incident", incident_id=page.items[0]["id"]) if count else None
    response = jsonify(new=count, more=page.next_cursor is not None, text=text, url=url)
    response.headers["Cache-Control"] = "no-store"
    return response


# One incident ----------------------------------------------------------------------------------


def _reachable(status: str, target: str) -> bool:
    if status == target:
        return False
    try:
        path_to(target, status)
    except InvalidTransition:
        return False
    return True


def allowed_actions(detail: dict[str, Any], viewer: Viewer) -> dict[str, bool]:
    """Which buttons to show her: only what her role may do, in this status (the services check again)."""
    status = detail["status"]
    may_touch = detail["merged_into"] is None and sees_restricted(viewer, detail["restricted"])
    reviewer = may_touch and may(viewer, REVIEW)
    responder = may_touch and may(viewer, RESPOND)
    still_open = status in OPEN_STATES
    return {
        "start_review": reviewer and status == "received",
        "verify": reviewer and _reachable(status, "verified") and status not in ("response_dispatched",),
        "unverify": reviewer and status in ("received", "under_review"),
        "reject": reviewer and _reachable(status, "rejected"),
        "assign": reviewer and still_open,
        "escalate": reviewer and still_open,
        "request_information": reviewer and still_open,
        "actioned": responder and status == "verified",
        "close": responder and "closed" in TRANSITIONS.get(status, frozenset()),
        "check": reviewer,
        "merge": reviewer and still_open,
        "unmerge": reviewer,
    }


def map_data(detail: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    """What incident-map.js draws: the point, the places an unresolved report may mean, other reports."""
    hidden = not sees_restricted(viewer, detail["restricted"])
    data: dict[str, Any] = {"hidden": hidden, "incident": None, "candidates": [], "reports": []}
    if hidden:
        return data
    if detail["lon"] is not None and detail["lat"] is not None:
        data["incident"] = {"lon": detail["lon"], "lat": detail["lat"], "label": detail["place_name"] or ""}
    for report in detail["reports"]:
        flags = report.get("flags") or {}
        for candidate in flags.get("place_candidates") or ():
            if candidate.get("lon") is not None and candidate.get("lat") is not None:
                data["candidates"].append(
                    {
                        "lon": candidate["lon"],
                        "lat": candidate["lat"],
                        "label": _(
                            "Possible place: %(place)s (report %(ref)s)",
                            place=candidate.get("place", ""),
                            ref=report["ref"],
                        ),
                    }
                )
        if report["lon"] is not None and report["lat"] is not None:
            point = (report["lon"], report["lat"])
            if data["incident"] is None or point != (data["incident"]["lon"], data["incident"]["lat"]):
                data["reports"].append(
                    {"lon": point[0], "lat": point[1], "label": _("Report %(ref)s", ref=report["ref"])}
                )
    points = [(p["lon"], p["lat"]) for p in (data["incident"], *data["candidates"], *data["reports"]) if p]
    bbox = bbox_around(points)
    data["boundaries"] = (
        url_for("review.maps.boundaries", bbox=bbox) if bbox and boundaries_installed() else None
    )
    data["labels"] = {"incident": _("Incident"), "draft": _("New place, not saved yet")}
    return data


@bp.get(f"/incidents/<{ID}:incident_id>")
@requires_roles(*roles_with(INCIDENTS))
def incident(incident_id: int) -> str:
    viewer, services = current_viewer(), current_services()
    detail = incident_detail(incident_id, viewer, uow=services.uow(), taxonomy=services.taxonomy)
    evidence = {
        report["id"]: review_format.highlight(
            report["text"], (report.get("flags") or {}).get("evidence") or ()
        )
        for report in detail["reports"]
        if "text" in report
    }
    reliability = review_format.best_reliability(detail["reports"])
    return render_template(
        "incident.html",
        incident=detail,
        narratives=evidence,
        header_grade=review_format.grade(reliability, detail["credibility"]),
        reliability=reliability,
        history=correcting.history(detail["history"], detail["correctable"], _category_label),
        can=allowed_actions(detail, viewer),
        map_data=map_data(detail, viewer),
        boundaries=boundaries_installed(),
        now=utcnow(),
        verify_form=VerifyForm(prefix="verify"),
        reject_form=RejectForm(prefix="reject"),
        assign_form=AssignForm(prefix="assign", data={"email": detail["assigned_to"] or ""}),
        actioned_form=ActionedForm(prefix="actioned"),
        check_form=CheckForm(prefix="check", data={"outcome": detail["external_check"] or ""}),
        corrections=correcting.correction_forms(
            detail,
            taxonomy=services.taxonomy,
            places=services.geocoder,
            countries=services.settings.countries,
            label=_category_label,
        ),
        places_search=url_for("places.search"),  # the type-ahead, read with her session (D38)
    )


def _act(
    incident_id: int, form: FlaskForm, action: Callable[[], Any], done: str | Callable[[Any], str]
) -> Response:
    """Validate the form, run the action, flash what happened (``done``, or what it makes of the
    action's answer), and go back to the incident page."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    else:
        try:
            answer = action()
        except InvalidTransition:
            flash(_("Not done: this step is not possible from the incident's current status."), "error")
        except InvalidValue as exc:
            flash(_("Not done: %(reason)s", reason=str(exc)), "error")
        else:
            flash(done(answer) if callable(done) else done, "ok")
    return redirect(url_for("review.incident", incident_id=incident_id))


def _incident_id(raw: str | None) -> int:
    """The incident a merge form names (0, which is no incident, when it names none)."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 19 else 0


def _services_and_viewer() -> tuple[Services, Viewer]:
    return current_services(), current_viewer()


@bp.post(f"/incidents/<{ID}:incident_id>/start-review")
@requires_roles(*roles_with(INCIDENTS))
def start(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    return _act(
        incident_id,
        ActionForm(),
        lambda: start_review(incident_id, viewer, uow=services.uow()),
        _("Review started."),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/verify")
@requires_roles(*roles_with(INCIDENTS))
def verify_incident(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    form = VerifyForm(prefix="verify")
    return _act(
        incident_id,
        form,
        lambda: verify(
            incident_id,
            viewer,
            uow=services.uow(),
            credibility=int(form.credibility.data),
            reliability=form.reliability.data or None,
        ),
        _("Verified."),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/unverify")
@requires_roles(*roles_with(INCIDENTS))
def unverify(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    return _act(
        incident_id,
        ActionForm(),
        lambda: mark_unverified(incident_id, viewer, uow=services.uow()),
        _("Marked unverified: it stays open for more information."),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/reject")
@requires_roles(*roles_with(INCIDENTS))
def reject_incident(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    form = RejectForm(prefix="reject")
    return _act(
        incident_id,
        form,
        lambda: reject(incident_id, viewer, uow=services.uow(), reason=form.reason.data or ""),
        _("Rejected."),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/assign")
@requires_roles(*roles_with(INCIDENTS))
def assign_incident(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    form = AssignForm(prefix="assign")
    email = (form.email.data or "").strip() or None
    return _act(
        incident_id,
        form,
        lambda: assign(incident_id, viewer, uow=services.uow(), email=email),
        _("Assigned to %(email)s.", email=email) if email else _("Unassigned."),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/escalate")
@requires_roles(*roles_with(INCIDENTS))
def escalate(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    return _act(
        incident_id,
        ActionForm(),
        lambda: escalate_now(incident_id, viewer, uow=services.uow(), now=utcnow()),
        _("Escalated one priority level."),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/request-information")
@requires_roles(*roles_with(INCIDENTS))
def more_information(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()

    def ask() -> None:
        inbound_ids = request_information(incident_id, viewer, uow=services.uow())
        enqueue_follow_ups(services, inbound_ids, "more_info", incident_id=incident_id)

    return _act(
        incident_id,
        ActionForm(),
        ask,
        _("A neutral message asks the reporters who accepted follow-ups for more information."),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/actioned")
@requires_roles(*roles_with(INCIDENTS))
def actioned(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    form = ActionedForm(prefix="actioned")

    def dispatch() -> None:
        inbound_ids = mark_actioned(
            incident_id,
            viewer,
            uow=services.uow(),
            responder=form.responder.data or "",
            action_ref=form.reference.data or "",
        )
        enqueue_follow_ups(services, inbound_ids, "passed_on", incident_id=incident_id)

    return _act(incident_id, form, dispatch, _("Marked actioned."))


@bp.post(f"/incidents/<{ID}:incident_id>/close")
@requires_roles(*roles_with(INCIDENTS))
def close_incident(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    return _act(
        incident_id, ActionForm(), lambda: close(incident_id, viewer, uow=services.uow()), _("Closed.")
    )


@bp.post(f"/incidents/<{ID}:incident_id>/check")
@requires_roles(*roles_with(INCIDENTS))
def check(incident_id: int) -> Response:
    services, viewer = _services_and_viewer()
    form = CheckForm(prefix="check")
    return _act(
        incident_id,
        form,
        lambda: record_check(incident_id, viewer, uow=services.uow(), outcome=form.outcome.data or None),
        _("Check recorded; credibility recomputed."),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/merge")
@requires_roles(*roles_with(INCIDENTS))
def merge_into_this(incident_id: int) -> Response:
    """Merge the incident named in the form into this one (a duplicate suggestion's button)."""
    services, viewer = _services_and_viewer()
    form = MergeForm()
    source = _incident_id(form.source.data)
    return _act(
        incident_id,
        form,
        lambda: merge(source, incident_id, viewer, uow=services.uow()),
        _("Incident %(source)s merged into this one.", source=source),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/unmerge")
@requires_roles(*roles_with(INCIDENTS))
def unmerge_from_this(incident_id: int) -> Response:
    """Undo the merge of the incident named in the form (one of this incident's merged-from list)."""
    services, viewer = _services_and_viewer()
    form = MergeForm()
    source = _incident_id(form.source.data)
    return _act(
        incident_id,
        form,
        lambda: unmerge(source, viewer, uow=services.uow()),
        _("Incident %(source)s separated again.", source=source),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/suggestions/<{ID}:suggestion_id>/dismiss")
@requires_roles(*roles_with(INCIDENTS))
def dismiss_suggestion(incident_id: int, suggestion_id: int) -> Response:
    services, viewer = _services_and_viewer()
    return _act(
        incident_id,
        ActionForm(),
        lambda: dismiss(incident_id, suggestion_id, viewer, uow=services.uow()),
        _("Marked as a different incident."),
    )


# Corrections (#16) ------------------------------------------------------------------------------


@bp.post(f"/incidents/<{ID}:incident_id>/corrections/<{FIELD}:field>")
@requires_roles(*roles_with(INCIDENTS))
def correct_field(incident_id: int, field: str) -> Response:
    """One correction with the form of its field; the service decides whether she may."""
    services, viewer = _services_and_viewer()
    form = FORMS[field](prefix=field)
    return _act(
        incident_id,
        form,
        lambda: correct(
            incident_id,
            form.correction(),
            viewer,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            places=services.geocoder,
            now=utcnow(),
        ),
        lambda done: correcting.done_message(done, _category_label),
    )


@bp.post(f"/incidents/<{ID}:incident_id>/corrections/<{ID}:correction_id>/undo")
@requires_roles(*roles_with(INCIDENTS))
def undo_correction(incident_id: int, correction_id: int) -> Response:
    """Put back what one of its corrections changed (a new correction)."""
    services, viewer = _services_and_viewer()
    return _act(
        incident_id,
        ActionForm(),
        lambda: undo(
            correction_id,
            viewer,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            places=services.geocoder,
            now=utcnow(),
            incident_id=incident_id,
        ),
        lambda done: correcting.done_message(done, _category_label),
    )
