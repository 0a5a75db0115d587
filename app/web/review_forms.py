"""The queue's filters and the incident page's action forms (flask-wtf: each POST carries its CSRF token)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # reason: types-WTForms predates it
from wtforms.validators import AnyOf, InputRequired, Length, Optional, Regexp, ValidationError

from alerts.vocabulary import CREDIBILITY_GRADES, QUEUE_VIEWS, RELIABILITY_GRADES, TRIAGE_QUEUES
from app.web.review_format import (
    CREDIBILITY_LABELS,
    QUEUE_LABELS,
    RELIABILITY_LABELS,
    status_labels,
)

TEXT_LIMIT = 100
"""Longest area or sector a filter accepts (as the API)."""
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""What a typed filter may hold: no control characters."""
ID_PATTERN = r"^[1-9][0-9]{0,18}$"
ALL_OPEN = "all"
"""The queue tab of every open incident, awaiting a decision first (no ``QUEUE_VIEWS`` key)."""
TRAINING = "1"
"""The ``training`` filter's value that opens the training queue."""


def _choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _any(label: Any) -> list[SelectChoice]:
    return _choices([("", label)])


class _GradeLabel:
    """A grade and its meaning ("2 — probably true"), translated when drawn, not at import."""

    def __init__(self, grade: object, label: Any) -> None:
        self.grade, self.label = grade, label

    def __str__(self) -> str:
        return f"{self.grade} — {self.label}"

    def __html__(self) -> str:
        return str(escape(str(self)))


def _grade_label(grade: Any, labels: Mapping[Any, Any]) -> Any:
    return _GradeLabel(grade, labels[grade])


class QueueFilterForm(FlaskForm):  # type: ignore[misc]  # reason: flask-wtf's base class is untyped
    """The queue's filters, read from the query string (GET: a filtered queue can be bookmarked)."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    country = SelectField(_l("Country"), default="", validators=[Optional()])
    area = StringField(
        _l("Area (P-code)"),
        validators=[Optional(), Length(max=TEXT_LIMIT), Regexp(PRINTABLE)],
        render_kw={"dir": "ltr", "spellcheck": "false", "placeholder": "SS0401"},
    )
    sector = StringField(_l("Sector"), validators=[Optional(), Length(max=TEXT_LIMIT), Regexp(PRINTABLE)])
    category = SelectField(_l("Category"), default="", validators=[Optional()])
    status = SelectField(_l("Status"), default="", validators=[Optional()])
    network = SelectField(_l("Network"), default="", validators=[Optional()])
    since = DateField(_l("Reported from"), validators=[Optional()], render_kw={"dir": "ltr"})
    until = DateField(_l("Reported until"), validators=[Optional()], render_kw={"dir": "ltr"})
    queue = SelectField(_l("Queue"), default="triage")
    view = HiddenField(validators=[Optional(), AnyOf((*QUEUE_VIEWS, ALL_OPEN))])
    """The tab: awaiting a decision, handled, or all open."""
    training = HiddenField(validators=[Optional(), AnyOf((TRAINING,))])
    """``1``: the training queue (incidents made in training sessions) instead of the real one."""

    def set_choices(
        self,
        countries: list[str],
        categories: list[tuple[str, str]],
        networks: list[tuple[str, str]],
        states: Iterable[str],
    ) -> None:
        """Fill the drop-downs (labels in the page language) before validating; ``states``: the
        statuses of the tab, so a status filter always matches something the tab can show."""
        self.country.choices = _any(_l("All countries")) + _choices((c, c) for c in countries)
        self.category.choices = _any(_l("All categories")) + _choices(categories)
        self.status.choices = _any(_l("All open")) + _choices((s, status_labels()[s]) for s in states)
        self.network.choices = _any(_l("All networks")) + _choices(networks)
        self.queue.choices = _choices((q, QUEUE_LABELS[q]) for q in TRIAGE_QUEUES)

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end of the period is before its start."))


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that only needs the CSRF token (start review, escalate, close, …)."""


class VerifyForm(FlaskForm):  # type: ignore[misc]
    credibility = SelectField(
        _l("Information credibility"),
        choices=_choices(
            [
                ("", _l("Choose…")),
                *((str(g), _grade_label(g, CREDIBILITY_LABELS)) for g in CREDIBILITY_GRADES),
            ]
        ),
        validators=[InputRequired(_l("Choose the information credibility."))],
    )
    reliability = SelectField(
        _l("Source reliability (optional)"),
        choices=_choices(
            [
                ("", _l("Not judged now")),
                *((g, _grade_label(g, RELIABILITY_LABELS)) for g in RELIABILITY_GRADES),
            ]
        ),
        validators=[Optional()],
    )


class RejectForm(FlaskForm):  # type: ignore[misc]
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Kept in the history; the network can learn from it."),
        validators=[InputRequired(_l("Say why the incident is rejected.")), Length(max=500)],
        render_kw={"rows": 2, "maxlength": 500},
    )


class AssignForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        _l("Assign to (email)"),
        description=_l("Leave empty to unassign."),
        validators=[Optional(), Length(max=254)],
        render_kw={"dir": "ltr", "spellcheck": "false", "autocomplete": "off"},
    )


class ActionedForm(FlaskForm):  # type: ignore[misc]
    responder = StringField(
        _l("Responder"),
        description=_l("A base, a patrol or a partner."),
        validators=[InputRequired(_l("Name who responded.")), Length(max=120)],
        render_kw={"maxlength": 120},
    )
    reference = StringField(
        _l("Patrol reference (optional)"),
        validators=[Optional(), Length(max=64)],
        render_kw={"dir": "ltr", "maxlength": 64},
    )


class CheckForm(FlaskForm):  # type: ignore[misc]
    outcome = RadioField(
        _l("Patrol or partner check"),
        choices=_choices(
            [("confirmed", _l("Confirmed")), ("contradicted", _l("Contradicted")), ("", _l("Clear"))]
        ),
        default="",
    )


class MergeForm(FlaskForm):  # type: ignore[misc]
    """Merge the incident named in ``source`` into the one whose page this is."""

    source = HiddenField(validators=[InputRequired(), Regexp(ID_PATTERN)])
