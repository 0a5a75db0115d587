"""The incident page's correction forms (#16): one per field a reviewer corrects, each turning what
she posted into one ``CorrectionRequest`` (flask-wtf: each carries its CSRF token).

Flags travel as strings: "" is "not known" (None), "yes"/"no" a boolean. The flags form also carries
the values it showed, so only what she changed is corrected (the history stays readable)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FloatField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from alerts.incidents.corrections import PLACE_CHOICES, REASON_LIMIT, RESTRICTIONS, CorrectionRequest
from alerts.triage.flags import (
    BOOLEAN_FLAGS,
    ELECTORAL_PHASES,
    PERPETRATOR_TYPES,
    VAWE_VALUES,
    WOMEN_TARGET_TYPES,
)
from alerts.vocabulary import PRIORITIES
from app.web.review_forms import _choices

WORDS_LIMIT = 200
"""Longest "words that name this place" (as the API)."""
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"
"""What an <input type="datetime-local"> sends (with seconds when they are not zero)."""

FLAG_LABELS = {
    "vawe": _l("Violence against women in elections (VAWE)"),
    "vawe_evidence": _l("VAWE basis"),
    "women_targeted": _l("Women targeted"),
    "women_target_type": _l("Women targeted as"),
    "election_related": _l("Election related"),
    "electoral_phase": _l("Electoral phase"),
    "election_tag": _l("Election tag"),
    "children_affected": _l("Children affected"),
    "perpetrator_type": _l("Perpetrator"),
}
"""The flags a reviewer corrects (``CORRECTED_FLAGS``), as the page names them."""
FLAG_VALUE_LABELS: dict[str, Any] = {
    "yes": _l("yes"),
    "no": _l("no"),
    # VAWE (DOMAIN.md §3.4) and its basis: the strongest election evidence found
    "possible": _l("possible"),
    "likely": _l("likely"),
    "none": _l("no election evidence"),
    "E1": _l("E1: calendar only"),
    "E2": _l("E2: her election role"),
    "E3": _l("E3: explicit election words"),
    # women_target_type (DOMAIN.md §2.4)
    "candidate": _l("candidate"),
    "politician": _l("politician"),
    "party_supporter": _l("party supporter"),
    "voter": _l("voter"),
    "government_official": _l("government official"),
    "election_official": _l("election or polling staff"),
    "observer": _l("observer"),
    "activist_hrd": _l("activist or human rights defender"),
    "journalist": _l("journalist"),
    "relative_of_targeted": _l("relative of someone targeted"),
    "accused_of_witchcraft": _l("accused of witchcraft"),
    "girl": _l("girl"),
    "other": _l("other"),
    # electoral_phase (DOMAIN.md §3.3)
    "registration": _l("registration"),
    "nomination": _l("nomination"),
    "campaign": _l("campaign"),
    "silence_and_polling": _l("silence and polling"),
    "counting_results": _l("counting and results"),
    "post_results": _l("after the results"),
    # perpetrator_type
    "state_forces": _l("state forces"),
    "armed_group": _l("armed group"),
    "militia": _l("militia"),
    "unknown_armed_men": _l("unknown armed men"),
    "mob_or_civilians": _l("mob or civilians"),
    # election_tag
    "poll_related": _l("poll related"),
    "election_related": _l("election related"),
}
VAWE_EVIDENCE = ("none", "E1", "E2", "E3")
FLAG_VALUES: dict[str, tuple[str, ...]] = {
    "vawe": VAWE_VALUES,
    "vawe_evidence": VAWE_EVIDENCE,
    "women_targeted": ("yes", "no"),
    "women_target_type": WOMEN_TARGET_TYPES,
    "election_related": ("yes", "no"),
    "electoral_phase": tuple(p for p in ELECTORAL_PHASES if p != "none"),
    "children_affected": ("yes", "no"),
    "perpetrator_type": PERPETRATOR_TYPES,
}
"""What each flag's select offers besides "not known"."""


def flag_text(value: object) -> str:
    """A flag value as the form posts it: "" not known, "yes"/"no", or the value itself."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def flag_value(flag: str, text: str) -> object:
    """What the service stores for a posted flag value."""
    if not text:
        return None
    return text == "yes" if flag in BOOLEAN_FLAGS else text


def value_label(value: object) -> str:
    """A flag value in the page language ("—" when not known)."""
    text = flag_text(value)
    return str(FLAG_VALUE_LABELS.get(text, text)) if text else "—"


def _reason(label: Any, required: Any = None) -> TextAreaField:
    checks = (
        [InputRequired(required), Length(max=REASON_LIMIT)]
        if required
        else [Optional(), Length(max=REASON_LIMIT)]
    )
    return TextAreaField(label, validators=checks, render_kw={"rows": 2, "maxlength": REASON_LIMIT})


class CategoryForm(FlaskForm):  # type: ignore[misc]  # reason: flask-wtf's base class is untyped
    category = SelectField(
        _l("Category"), validate_choice=False, validators=[InputRequired(_l("Choose a category."))]
    )
    reason = _reason(_l("Reason (optional)"))

    def set_choices(self, categories: list[tuple[str, str]]) -> None:
        self.category.choices = _choices(categories)

    def correction(self) -> CorrectionRequest:
        return CorrectionRequest("category", self.category.data, self.reason.data or "")


class FlagsForm(FlaskForm):  # type: ignore[misc]
    vawe = SelectField(FLAG_LABELS["vawe"], default="")
    vawe_evidence = SelectField(FLAG_LABELS["vawe_evidence"], default="")
    women_targeted = SelectField(FLAG_LABELS["women_targeted"], default="")
    women_target_type = SelectField(FLAG_LABELS["women_target_type"], default="")
    election_related = SelectField(FLAG_LABELS["election_related"], default="")
    electoral_phase = SelectField(FLAG_LABELS["electoral_phase"], default="")
    children_affected = SelectField(FLAG_LABELS["children_affected"], default="")
    perpetrator_type = SelectField(FLAG_LABELS["perpetrator_type"], default="")
    shown = HiddenField(validators=[InputRequired()])
    """The values the page showed, as JSON: what she changed is what differs from them."""
    reason = _reason(_l("Reason (optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for flag, values in FLAG_VALUES.items():
            self[flag].choices = _choices(
                [("", _l("Not known")), *((v, FLAG_VALUE_LABELS[v]) for v in values)]
            )

    @classmethod
    def showing(cls, flags: dict[str, Any], **kwargs: Any) -> FlagsForm:
        """The form with the incident's current flags selected."""
        current = {flag: flag_text(flags.get(flag)) for flag in FLAG_VALUES}
        return cls(data=current | {"shown": json.dumps(current, sort_keys=True)}, **kwargs)

    def validate_shown(self, field: HiddenField) -> None:
        try:
            shown = json.loads(field.data or "")
        except ValueError:
            shown = None
        if not isinstance(shown, dict) or set(shown) != set(FLAG_VALUES):
            raise ValidationError(_l("The flags form is incomplete: reload the page and try again."))

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.changed():
            self.form_errors.append(_l("No flag was changed."))
            return False
        return True

    def changed(self) -> dict[str, object]:
        shown = json.loads(self.shown.data or "{}")
        changed = {f: flag_value(f, self[f].data) for f in FLAG_VALUES if self[f].data != shown[f]}
        if changed.get("election_related") is False:
            changed["election_tag"] = None  # no election tag on what is not election related
        return changed

    def correction(self) -> CorrectionRequest:
        return CorrectionRequest("flags", self.changed(), self.reason.data or "")


class PriorityForm(FlaskForm):  # type: ignore[misc]
    priority = SelectField(_l("Priority"), choices=_choices((p, p) for p in PRIORITIES))
    reason = _reason(_l("Reason"), _l("Say why the priority changes."))

    def correction(self) -> CorrectionRequest:
        return CorrectionRequest("priority", self.priority.data, self.reason.data or "")


class OccurredForm(FlaskForm):  # type: ignore[misc]
    when = DateTimeLocalField(
        _l("Date and time it happened"),
        format=[LOCAL_MINUTE, f"{LOCAL_MINUTE}:%S"],
        description=_l("Local time in the zone below; leave empty if it is not known."),
        validators=[Optional()],
        render_kw={"dir": "ltr"},
    )
    zone = SelectField(_l("Time zone"), validate_choice=False)
    reason = _reason(_l("Reason (optional)"))

    def set_zones(self, zones: list[tuple[str, str]]) -> None:
        self.zone.choices = _choices(zones)

    def validate_zone(self, field: SelectField) -> None:
        try:
            ZoneInfo(field.data or "")
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(_l("Choose a time zone from the list.")) from exc

    def correction(self) -> CorrectionRequest:
        when: datetime | None = self.when.data
        value = when.replace(tzinfo=ZoneInfo(self.zone.data)).isoformat() if when else None
        return CorrectionRequest("occurred_at", value, self.reason.data or "")


class PlaceForm(FlaskForm):  # type: ignore[misc]
    """One form, a button per way of choosing (its ``how``), and the words that name the place once."""

    how = StringField(validators=[InputRequired(), AnyOf(PLACE_CHOICES)])
    """Set by the button she pressed."""
    alternative = RadioField(_l("One of the places the report may mean"), validate_choice=False)
    """Each choice's value is the place as JSON (name, country, lon, lat, kind)."""
    found = HiddenField()
    """The place she picked in the search, as JSON (filled by the page's script)."""
    lon = FloatField(
        _l("Longitude"), validators=[Optional()], render_kw={"dir": "ltr", "inputmode": "decimal"}
    )
    lat = FloatField(
        _l("Latitude"), validators=[Optional()], render_kw={"dir": "ltr", "inputmode": "decimal"}
    )
    name = StringField(_l("Name of the spot (optional)"), validators=[Optional(), Length(max=WORDS_LIMIT)])
    area = SelectField(_l("Admin area"), validate_choice=False)
    words = StringField(
        _l("Words in the report that name this place (optional)"),
        description=_l("Once an admin approves them, new reports with these words are placed here."),
        validators=[Optional(), Length(max=WORDS_LIMIT)],
        render_kw={"dir": "auto", "maxlength": WORDS_LIMIT},
    )

    def set_choices(self, alternatives: list[tuple[str, str]], areas: list[tuple[str, str]]) -> None:
        """The places to pick from (value: the place as JSON) and the areas (value: a P-code)."""
        self.alternative.choices = _choices(alternatives)
        self.area.choices = _choices([("", _l("Choose…")), *areas])

    def validate_how(self, field: StringField) -> None:
        if field.data == "alternative" and not _place(self.alternative.data):
            raise ValidationError(_l("Choose one of the possible places."))
        if field.data == "search" and not _place(self.found.data):
            raise ValidationError(_l("Search for a place and pick it from the list."))
        if field.data == "map" and not (_entered(self.lon) and _entered(self.lat)):
            raise ValidationError(_l("Click the map, or enter a longitude and a latitude."))
        if field.data == "area" and not self.area.data:
            raise ValidationError(_l("Choose an admin area."))

    def correction(self) -> CorrectionRequest:
        how = self.how.data
        if how == "map":
            value: dict[str, Any] = {"lon": self.lon.data, "lat": self.lat.data, "name": self.name.data or ""}
        elif how == "area":
            value = {"pcode": self.area.data}
        else:
            value = _place(self.alternative.data if how == "alternative" else self.found.data) or {}
        return CorrectionRequest("place", {**value, "how": how}, place_words=self.words.data or "")


def _entered(field: FloatField) -> bool:
    """Whether she typed something (a number or not: FloatField says when it is not one)."""
    return bool(field.raw_data and str(field.raw_data[0]).strip())


def _place(raw: str | None) -> dict[str, Any] | None:
    """A place posted as JSON, with the keys the service reads; None when it is not one."""
    try:
        place = json.loads(raw or "")
    except ValueError:
        return None
    if not isinstance(place, dict) or not place.get("name"):
        return None
    return {key: place.get(key) for key in ("name", "country", "lon", "lat", "kind")}


class RestrictionForm(FlaskForm):  # type: ignore[misc]
    value = HiddenField(validators=[InputRequired(), AnyOf(RESTRICTIONS)])
    reason = _reason(_l("Reason"), _l("Say why the restriction changes."))

    def correction(self) -> CorrectionRequest:
        return CorrectionRequest("restriction", self.value.data, self.reason.data or "")


FORMS: dict[str, type[FlaskForm]] = {
    "category": CategoryForm,
    "flags": FlagsForm,
    "priority": PriorityForm,
    "occurred_at": OccurredForm,
    "place": PlaceForm,
    "restriction": RestrictionForm,
}
"""The form of each corrected field; its prefix is the field's name."""
