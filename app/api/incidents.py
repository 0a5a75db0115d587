"""The review API: /api/incidents (queue, detail, transitions, merges, checks, stale view),
/api/verified (the feed mission systems pull) and /api/openapi.json (what describes them all).

Views parse and validate, call one service of ``alerts.incidents.review`` and return its dict; who may see
and do what is decided there (R29). Every bad request gets a 400 that names the parameter or field.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from flask import Blueprint, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from alerts.errors import InvalidValue
from alerts.incidents.corrections import REASON_LIMIT, CorrectionRequest, correct, undo
from alerts.incidents.review import (
    MAX_ID,
    MAX_PAGE,
    PAGE,
    QueueFilter,
    assign,
    close,
    dismiss,
    escalate_now,
    incident_detail,
    list_queue,
    list_verified,
    mark_actioned,
    mark_unverified,
    merge,
    record_check,
    reject,
    request_information,
    stale,
    start_review,
    unmerge,
    verify,
)
from alerts.messages import Viewer
from alerts.models import utcnow
from alerts.vocabulary import (
    CORRECTED_FIELDS,
    EXTERNAL_CHECKS,
    OPEN_STATES,
    QUEUE_VIEWS,
    RELIABILITY_GRADES,
    TRIAGE_QUEUES,
)
from app import MAX_REQUEST_BYTES, current_services
from app.auth import current_viewer
from app.bootstrap import Services
from app.jobs import enqueue_follow_ups

api = Blueprint("api", __name__, url_prefix="/api")
bp = Blueprint("incidents", __name__, url_prefix="/incidents")

ID = "int(min=1, max=9223372036854775807)"
"""Ids are BIGINT (MAX_ID): a larger one is no incident, not an overflow in the driver."""
QUEUE_PARAMETERS = ("country", "area", "sector", "category", "status", "network", "since", "until")
TEXT_LIMIT = 100
"""Longest area or sector name a filter accepts."""
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
COUNTRY = re.compile(r"[A-Za-z]{2}")


# Query parameters and bodies -------------------------------------------------------------------


def _between(low: int, high: int) -> str:
    return f"of at least {low}" if high == MAX_ID else f"{low}-{high}"


class Query:
    """The query string of one request, checked against the parameters its endpoint knows."""

    def __init__(self, args: Any, known: Iterable[str]) -> None:
        known = tuple(known)
        for name in args:
            if name not in known:
                listed = f"known: {', '.join(known)}" if known else "this endpoint takes none"
                raise InvalidValue(f"unknown query parameter '{name}' ({listed})")
            if len(args.getlist(name)) > 1:
                raise InvalidValue(f"query parameter '{name}' must be given once")
        self.args: Mapping[str, str] = args

    def whole(self, name: str, low: int, high: int, default: int | None = None) -> int | None:
        raw = self.args.get(name)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
            raise InvalidValue(f"query parameter '{name}' must be a whole number {_between(low, high)}")
        return int(raw)

    def choice(self, name: str, options: Iterable[str], *, upper: bool = False) -> str | None:
        raw, options = self.args.get(name), tuple(options)
        if raw is not None and (raw.upper() if upper else raw) not in options:
            raise InvalidValue(f"query parameter '{name}' must be one of {', '.join(options)}")
        return raw.upper() if raw is not None and upper else raw

    def text(self, name: str) -> str | None:
        raw = self.args.get(name)
        if raw is not None and (not 0 < len(raw) <= TEXT_LIMIT or CONTROL.search(raw)):
            raise InvalidValue(
                f"query parameter '{name}' must be 1-{TEXT_LIMIT} characters without control characters"
            )
        return raw

    def country(self, name: str) -> str | None:
        raw = self.args.get(name)
        if raw is not None and not COUNTRY.fullmatch(raw):
            raise InvalidValue(f"query parameter '{name}' must be a two-letter country code such as SS")
        return raw.upper() if raw is not None else None

    def time(self, name: str) -> datetime | None:
        raw = self.args.get(name)
        if raw is None:
            return None
        try:
            when = datetime.fromisoformat(raw)
            if when.tzinfo is None:
                raise ValueError(raw)
            return when.astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise InvalidValue(
                f"query parameter '{name}' must be an ISO 8601 date and time with a timezone, "
                "e.g. 2025-05-01T06:00:00Z"
            ) from exc


class Body:
    """The JSON object a mutation sent, read field by field with precise complaints."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def of_request(cls) -> Body:
        try:
            raw = request.get_data()
        except RequestEntityTooLarge as exc:
            raise RequestEntityTooLarge(f"the body must be at most {MAX_REQUEST_BYTES // 1024} kB") from exc
        if not raw:  # no body at all, which needs no content type: the fields' own checks speak
            return cls({})
        if not request.is_json:
            raise UnsupportedMediaType("send a JSON body with 'Content-Type: application/json'")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
            data = None
        if not isinstance(data, dict):
            raise InvalidValue("the body must be a JSON object")
        return cls(data)

    def only(self, *names: str) -> None:
        for name in self.data:
            if name not in names:
                known = f"known here: {', '.join(names)}" if names else "this request takes none"
                raise InvalidValue(f"unknown field '{name}' ({known})")

    def _required(self, name: str, what: str) -> Any:
        if name not in self.data:
            raise InvalidValue(f"field '{name}' is required: {what}")
        return self.data[name]

    def whole(self, name: str, low: int, high: int) -> int:
        value = self._required(name, f"a whole number {_between(low, high)}")
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidValue(f"field '{name}' must be a whole number {_between(low, high)}")
        return value

    def text(self, name: str, limit: int, *, required: bool = True) -> str:
        what = f"{'a non-empty' if required else 'a'} string of at most {limit} characters without NUL"
        value = self._required(name, what) if required else self.data.get(name)
        if value is None and not required:  # null is absent, but 0 or false is no string
            value = ""
        nul = isinstance(value, str) and "\x00" in value  # PostgreSQL stores no NUL
        if not isinstance(value, str) or len(value) > limit or nul or (required and not value.strip()):
            raise InvalidValue(f"field '{name}' must be {what}")
        return value

    def choice(self, name: str, options: Iterable[str], *, nullable: bool, required: bool = True) -> Any:
        options = tuple(options)
        what = f"one of {', '.join(options)}" + (" or null" if nullable else "")
        value = self._required(name, what) if required else self.data.get(name)
        if not (value is None and nullable) and value not in options:
            raise InvalidValue(f"field '{name}' must be {what}")
        return value

    def plain(self, name: str) -> Any:
        """Any JSON value the service checks itself, without NUL in its text (PostgreSQL stores none)."""
        value = self._required(name, "a value")
        if "\\u0000" in json.dumps(value):
            raise InvalidValue(f"field '{name}' must not hold NUL characters")
        return value

    def email(self, name: str) -> str | None:
        value = self._required(name, "an e-mail address, or null")
        if value is not None and (
            not isinstance(value, str) or "@" not in value or len(value) > 254 or CONTROL.search(value)
        ):
            raise InvalidValue(f"field '{name}' must be an e-mail address or null")
        return value


# Transitions -----------------------------------------------------------------------------------

Action = Callable[[int, Viewer, Services, Body], None]


def _start_review(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action")
    start_review(incident_id, viewer, uow=services.uow())


def _verify(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action", "credibility", "reliability")
    credibility = body.whole("credibility", 1, 6)
    reliability = body.choice("reliability", RELIABILITY_GRADES, nullable=True, required=False)
    verify(incident_id, viewer, uow=services.uow(), credibility=credibility, reliability=reliability)


def _unverify(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action")
    mark_unverified(incident_id, viewer, uow=services.uow())


def _reject(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action", "reason")
    reject(incident_id, viewer, uow=services.uow(), reason=body.text("reason", 500))


def _assign(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action", "email")
    assign(incident_id, viewer, uow=services.uow(), email=body.email("email"))


def _escalate(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action")
    escalate_now(incident_id, viewer, uow=services.uow(), now=utcnow())


def _request_information(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action")
    inbound_ids = request_information(incident_id, viewer, uow=services.uow())
    enqueue_follow_ups(services, inbound_ids, "more_info", incident_id=incident_id)


def _actioned(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action", "responder", "reference")
    responder, reference = body.text("responder", 120), body.text("reference", 64, required=False)
    inbound_ids = mark_actioned(
        incident_id, viewer, uow=services.uow(), responder=responder, action_ref=reference
    )
    enqueue_follow_ups(services, inbound_ids, "passed_on", incident_id=incident_id)


def _close(incident_id: int, viewer: Viewer, services: Services, body: Body) -> None:
    body.only("action")
    close(incident_id, viewer, uow=services.uow())


ACTIONS: dict[str, Action] = {
    "start_review": _start_review,
    "verify": _verify,
    "unverify": _unverify,
    "reject": _reject,
    "assign": _assign,
    "escalate": _escalate,
    "request_information": _request_information,
    "actioned": _actioned,
    "close": _close,
}


def _detail(incident_id: int, viewer: Viewer) -> dict[str, Any]:
    services = current_services()
    return incident_detail(incident_id, viewer, uow=services.uow(), taxonomy=services.taxonomy)


# Views -----------------------------------------------------------------------------------------


@bp.get("")
def queue() -> dict[str, Any]:
    """Open incidents, most urgent first, a keyset page at a time."""
    viewer, services = current_viewer(), current_services()
    args = Query(request.args, (*QUEUE_PARAMETERS, "queue", "view", "training", "limit", "after"))
    filters = QueueFilter(
        country=args.country("country"),
        area=args.text("area"),
        sector=args.text("sector"),
        category=args.choice("category", services.taxonomy.categories, upper=True),
        status=args.choice("status", OPEN_STATES),
        network_id=args.whole("network", 1, MAX_ID),
        since=args.time("since"),
        until=args.time("until"),
        queue=args.choice("queue", TRIAGE_QUEUES) or "triage",
        view=args.choice("view", tuple(QUEUE_VIEWS)),
        training=args.choice("training", ("true", "false")) == "true",
    )
    limit = args.whole("limit", 1, MAX_PAGE, PAGE) or PAGE
    page = list_queue(viewer, filters, uow=services.uow(), limit=limit, after=args.args.get("after"))
    return {"incidents": page.items, "next": page.next_cursor}


@bp.get("/stale")
def stale_view() -> dict[str, Any]:
    """Awaiting review past the deadline, or escalated (R22)."""
    viewer = current_viewer()
    Query(request.args, ())
    return {"incidents": stale(viewer, uow=current_services().uow(), now=utcnow())}


@bp.get(f"/<{ID}:incident_id>")
def detail(incident_id: int) -> dict[str, Any]:
    viewer = current_viewer()
    Query(request.args, ())
    return _detail(incident_id, viewer)


@bp.post(f"/<{ID}:incident_id>/transitions")
def transition(incident_id: int) -> dict[str, Any]:
    """One reviewer action (verify, reject, actioned, …); answers with the incident as it now is."""
    viewer, body = current_viewer(), Body.of_request()
    action = body.choice("action", ACTIONS, nullable=False)
    ACTIONS[action](incident_id, viewer, current_services(), body)
    return _detail(incident_id, viewer)


@bp.post(f"/<{ID}:incident_id>/merge")
def merge_into(incident_id: int) -> dict[str, Any]:
    """Merge this incident into ``into``; answers with ``into``, which now holds its reports (R26)."""
    viewer, body = current_viewer(), Body.of_request()
    body.only("into")
    target = body.whole("into", 1, MAX_ID)
    merge(incident_id, target, viewer, uow=current_services().uow())
    return _detail(target, viewer)


@bp.post(f"/<{ID}:incident_id>/unmerge")
def unmerge_from(incident_id: int) -> dict[str, Any]:
    """Undo the merge of this incident; answers with it, restored (R26)."""
    viewer, body = current_viewer(), Body.of_request()
    body.only()
    unmerge(incident_id, viewer, uow=current_services().uow())
    return _detail(incident_id, viewer)


@bp.post(f"/<{ID}:incident_id>/suggestions/<{ID}:suggestion_id>/dismiss")
def dismiss_suggestion(incident_id: int, suggestion_id: int) -> dict[str, Any]:
    viewer, body = current_viewer(), Body.of_request()
    body.only()
    dismiss(incident_id, suggestion_id, viewer, uow=current_services().uow())
    return _detail(incident_id, viewer)


@bp.post(f"/<{ID}:incident_id>/checks")
def external_check(incident_id: int) -> dict[str, Any]:
    """A patrol, JOC or partner check: ``confirmed``, ``contradicted`` or null to clear it (R21)."""
    viewer, body = current_viewer(), Body.of_request()
    body.only("outcome")
    outcome = body.choice("outcome", EXTERNAL_CHECKS, nullable=True)
    record_check(incident_id, viewer, uow=current_services().uow(), outcome=outcome)
    return _detail(incident_id, viewer)


@bp.post(f"/<{ID}:incident_id>/corrections")
def add_correction(incident_id: int) -> tuple[dict[str, Any], int]:
    """A reviewer's correction of one field (#16); answers with the incident as it now is."""
    viewer, body, services = current_viewer(), Body.of_request(), current_services()
    body.only("field", "value", "reason", "place_words")
    field = body.choice("field", CORRECTED_FIELDS, nullable=False)
    value = body.plain("value")
    reason = body.text("reason", REASON_LIMIT, required=False)
    words = body.text("place_words", 200, required=False)
    correct(
        incident_id,
        CorrectionRequest(field, value, reason, words),
        viewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        places=services.geocoder,
        now=utcnow(),
    )
    return _detail(incident_id, viewer), 201


@bp.post(f"/<{ID}:incident_id>/corrections/<{ID}:correction_id>/undo")
def undo_correction(incident_id: int, correction_id: int) -> tuple[dict[str, Any], int]:
    """Put back what one of the incident's corrections changed, as a new correction."""
    viewer, body, services = current_viewer(), Body.of_request(), current_services()
    body.only("reason")
    reason = body.text("reason", REASON_LIMIT, required=False)
    undo(
        correction_id,
        viewer,
        uow=services.uow(),
        taxonomy=services.taxonomy,
        places=services.geocoder,
        now=utcnow(),
        reason=reason,
        incident_id=incident_id,
    )
    return _detail(incident_id, viewer), 201


@api.get("/verified")
def verified() -> dict[str, Any]:
    """Verified, actioned and closed incidents by id, for mission systems (no narrative, R35)."""
    viewer = current_viewer()
    args = Query(request.args, ("since_id", "limit"))
    since_id, limit = (
        args.whole("since_id", 0, MAX_ID, 0) or 0,
        args.whole("limit", 1, MAX_PAGE, PAGE) or PAGE,
    )
    items = list_verified(viewer, uow=current_services().uow(), since_id=since_id, limit=limit)
    return {"incidents": items, "next_since_id": items[-1]["id"] if len(items) == limit else None}


@api.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api/ endpoint (public: it describes, it holds no data)."""
    return openapi_document()


@functools.cache
def openapi_document() -> dict[str, Any]:
    """app/api/openapi.json, read once per process."""
    document: dict[str, Any] = json.loads(resources.files("app.api").joinpath("openapi.json").read_text())
    return document


api.register_blueprint(bp)
