"""How the queue and incident pages say things: labels in the page language, countdowns, and the
narrative with the classifier's evidence marked (escaped first: a report is never markup)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel.dates import format_skeleton
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from alerts.errors import InvalidValue
from alerts.incidents.credibility import combined_grade
from alerts.triage.taxonomy import Taxonomy


def status_labels() -> dict[str, str]:
    """DOMAIN.md §4.1 statuses as the pages name them (a context: "Verified" is also a column heading)."""
    return {
        "received": pgettext("incident status", "Received"),
        "under_review": pgettext("incident status", "Under review"),
        "verified": pgettext("incident status", "Verified"),
        "unverified": pgettext("incident status", "Unverified"),
        "rejected": pgettext("incident status", "Rejected"),
        "response_dispatched": pgettext("incident status", "Actioned"),
        "closed": pgettext("incident status", "Closed"),
    }


CREDIBILITY_LABELS: dict[int, LazyString] = {
    1: _l("confirmed by other sources"),
    2: _l("probably true"),
    3: _l("possibly true"),
    4: _l("doubtful"),
    5: _l("improbable"),
    6: _l("truth cannot be judged"),
}
"""Information credibility 1-6 (DOMAIN.md §4.2)."""

RELIABILITY_LABELS: dict[str, LazyString] = {
    "A": _l("completely reliable"),
    "B": _l("usually reliable"),
    "C": _l("fairly reliable"),
    "D": _l("not usually reliable"),
    "E": _l("unreliable"),
    "F": _l("reliability cannot be judged"),
}
"""Source reliability A-F (DOMAIN.md §4.2)."""

CHANNEL_LABELS: dict[str, LazyString] = {
    "sms": _l("SMS"),
    "ussd": _l("USSD"),
    "whatsapp": _l("WhatsApp"),
    "missed_call": _l("Missed call"),
}

QUEUE_LABELS: dict[str, LazyString] = {
    "triage": _l("Triage"),
    "election_process": _l("Election process"),
}

PRECISION_LABELS: dict[int, LazyString] = {
    1: _l("exact place or pin"),
    2: _l("near a place, or the district"),
    3: _l("province only"),
}
"""Geocoding precision 1-3 (README, Places)."""

CHECK_LABELS: dict[str, LazyString] = {
    "confirmed": _l("confirmed by a patrol or partner"),
    "contradicted": _l("contradicted by a patrol or partner"),
}


def category_label(taxonomy: Taxonomy, code: str, language: str) -> str:
    """The category's name in the page language when the taxonomy has it, else English, else the code."""
    category = taxonomy.categories.get(code)
    if category is None:
        return code
    return category.labels.get(language) or category.labels.get("en") or code


def status_label(status: str) -> str:
    return status_labels().get(status, status)


def grade(reliability: str | None, credibility: int | None) -> str:
    """The Admiralty pair ("B2") where the source's reliability is known, else the credibility ("2")."""
    if credibility is None:
        return "—"
    if reliability:
        try:
            return combined_grade(reliability, credibility)
        except InvalidValue:
            pass
    return str(credibility)


def best_reliability(reports: Iterable[dict[str, Any]]) -> str | None:
    """The most reliable source among the reports (A best), if any report has a grade."""
    grades = sorted(r["reliability"] for r in reports if r.get("reliability") in RELIABILITY_LABELS)
    return grades[0] if grades else None


# Countdowns -------------------------------------------------------------------------------------


def clock(delta: timedelta) -> str:
    """A duration as H:MM:SS, with days in front when there are any (the same format as countdown.js)."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = f"{hours}:{minutes:02d}:{seconds:02d}"
    return _("%(days)s d %(time)s", days=days, time=time) if days else time


def duration(value: timedelta | float) -> str:
    """A length of time as people say it, in its two largest units: "2 d 3 h", "3 h 5 min", "12 min".

    ``value`` is a timedelta or a number of minutes (the stale view's and indicators' unit); the sign
    is dropped and seconds are cut, so 59 min 59 s is "59 min" and 85458 min is "59 d 8 h".
    """
    minutes = int(abs(value.total_seconds() if isinstance(value, timedelta) else value * 60) // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [_("%(days)s d", days=days)] + ([_("%(hours)s h", hours=hours)] if hours else [])
    elif hours:
        parts = [_("%(hours)s h", hours=hours)] + ([_("%(minutes)s min", minutes=minutes)] if minutes else [])
    else:
        parts = [_("%(minutes)s min", minutes=minutes)]
    return " ".join(str(part) for part in parts)


def _moment(when: datetime | str) -> datetime:
    return datetime.fromisoformat(when) if isinstance(when, str) else when


def overdue(deadline: datetime | str, now: datetime) -> bool:
    return _moment(deadline) < now


def countdown_text(deadline: datetime | str, now: datetime) -> str:
    """What the page shows before (and without) JavaScript: "due in 0:12:04" or "overdue by 1:03:00"."""
    left = _moment(deadline) - now
    if left.total_seconds() < 0:
        return str(_("overdue by %(time)s", time=clock(left)))
    return str(_("due in %(time)s", time=clock(left)))


def countdown_templates() -> dict[str, str]:
    """The countdown's wording for countdown.js, with {t} (and {d}) where the numbers go."""
    return {
        "due": _("due in %(time)s", time="{t}"),
        "overdue": _("overdue by %(time)s", time="{t}"),
        "days": _("%(days)s d %(time)s", days="{d}", time="{t}"),
    }


def utc_text(when: datetime | str) -> str:
    """A time as staff of every mission read it: the day in the page's language, a 24-hour clock, UTC
    ("Nov 1, 2026, 03:48 UTC", "1 nov. 2026 à 03:48 UTC"), so that a time means the same in every office."""
    moment = _utc(_moment(when))
    return str(_("%(day)s, %(time)s UTC", day=day_text(moment.date()), time=moment.strftime("%H:%M")))


def day_text(day: date | datetime | str) -> str:
    """A day (of a UTC time) in the page's language, with its month's name rather than numbers that read
    both ways: "Nov 2, 2026", "2 nov. 2026", "2 نوفمبر 2026" (Western digits in every language)."""
    if isinstance(day, str):
        day = datetime.fromisoformat(day)
    if isinstance(day, datetime):
        day = _utc(day).date()
    return format_skeleton("yMMMd", day, locale=get_locale() or "en")


def _utc(moment: datetime) -> datetime:
    """An aware time in UTC; a naive one is taken to be UTC already (as the database stores them)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def week_text(week: str) -> str:
    """An ISO week ("2026-W45", as the indicators group them) as the day it starts; other text as given."""
    found = re.fullmatch(r"(\d{4})-W(\d{2})", week)
    if found is None:
        return week
    return str(_("week of %(day)s", day=day_text(date.fromisocalendar(int(found[1]), int(found[2]), 1))))


# Evidence ---------------------------------------------------------------------------------------


def _fold(char: str) -> str:
    """One character without accents and case: "É" → "e". Always one character, so positions hold."""
    base = unicodedata.normalize("NFD", char)[:1] or char
    for folded in (base.casefold(), base.lower(), base):
        if len(folded) == 1:
            return folded
    return char


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """The text escaped, with whole-word, case- and accent-insensitive matches of ``terms`` in <mark>.

    Matching runs on the raw text and every piece is escaped on its own, so a term can never match
    inside an entity the escaping made: SMS text with markup or script always shows as inert text.
    """
    words = sorted(
        {" ".join(_fold_text(str(term)).split()) for term in terms if str(term).strip()},
        key=len,
        reverse=True,
    )
    if not words or not text:
        return escape(text)
    alternatives = "|".join(r"\s+".join(re.escape(part) for part in word.split(" ")) for word in words)
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    out: list[str] = []
    position = 0
    for match in pattern.finditer(_fold_text(text)):
        start, end = match.span()
        out.append(str(escape(text[position:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))


def _fold_text(text: str) -> str:
    return "".join(_fold(char) for char in text)


# History ----------------------------------------------------------------------------------------


def describe(event: dict[str, Any]) -> dict[str, str]:
    """One audited event of the incident as a line of its history: when, who, what."""
    details = event.get("details") or {}
    action = event["action"]
    what: str
    if action == "incident.transition":
        what = _(
            "%(before)s → %(after)s",
            before=status_label(str(details.get("from"))),
            after=status_label(str(details.get("to"))),
        )
        extras = []
        if details.get("credibility") is not None:
            extras.append(
                _("grade %(grade)s", grade=grade(details.get("reliability"), details["credibility"]))
            )
        if details.get("reason"):
            extras.append(_("reason: %(reason)s", reason=details["reason"]))
        if details.get("responder"):
            extras.append(_("by %(responder)s", responder=details["responder"]))
        if details.get("ref"):
            extras.append(_("reference %(ref)s", ref=details["ref"]))
        if extras:
            what = f"{what} ({'; '.join(extras)})"
    elif action == "incident.assign":
        to = details.get("to")
        what = _("Assigned to %(email)s", email=to) if to else _("Unassigned")
    elif action == "incident.escalate":
        what = _("Escalated %(before)s → %(after)s", before=details.get("from"), after=details.get("to"))
    elif action == "incident.request_information":
        what = _("Asked reporters who accepted follow-ups for more information")
    elif action == "incident.merge":
        what = _("Incident %(source)s merged into this one", source=details.get("source"))
    elif action == "incident.unmerge":
        what = _("Incident %(source)s separated again", source=details.get("source"))
    elif action == "suggestion.dismiss":
        what = _("Not the same as incident %(other)s", other=details.get("candidate"))
    elif action == "incident.external_check":
        outcome = details.get("outcome")
        label = CHECK_LABELS.get(str(outcome)) if outcome else None
        what = _(
            "Check: %(outcome)s; credibility now %(credibility)s",
            outcome=label or _("cleared"),
            credibility=details.get("credibility"),
        )
    elif action == "restricted.read":
        what = _("Restricted narrative read")
    else:
        what = action
    return {"at": event["at"], "when": utc_text(event["at"]), "who": event["actor"], "what": what}
