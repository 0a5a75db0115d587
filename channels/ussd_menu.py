"""The USSD report menu as a pure state machine (CHANNELS.md §10, DOMAIN.md §2.3, §8.3 rule 6, R7, R8).

Africa's Talking resends every answer of the session on each hop, joined by ``*``. ``next_screen``
replays them from the first screen, so the same ``text`` always yields the same screen and nothing is
kept between hops; the caller creates the report once, on the ``END`` hop, keyed by its session id.

The flow, and how it meets R8 (at most four screens: category, place, time class, confirm)::

    category -> place -> when -> confirm (1 Send, 2 Cancel)      a place from the caller's list
    category -> place ("Other place") -> when -> type the name    typing the name sends
    category -> when -> type the name                             the caller offered no places

- **The category step is one step, however many screens it shows**: the "More" screen (``0``, DOMAIN.md
  §2.3 positions ``0.n``), page turns (``99``) and the Election sub-menu extend the first screen, they
  do not add a step.
- **Election (ELE) asks one more question** (DOMAIN.md §3.4): violence or threat against a woman voter,
  a woman candidate or party member, women polling staff or observers; a polling-station problem; other.
  ELE is an entry point, not a harm class (§2.3): the answer gives the target role and the queue (R15,
  R17), so it travels as ``ele_option`` ("1"-"5") beside the category "ELE" and triage decides the rest.
- **Free text comes last** (CHANNELS.md §10.1): an answer may itself contain ``*``, so a typed place
  name takes every token that follows and nothing can come after it. Typing the name is therefore the
  last screen of its branch and sends the report; it stands in for the confirm screen there. A whole
  answer of exactly ``0`` or ``00`` at that prompt still means back or main menu; anything else,
  ``*`` and ``0`` included, is the name (a name cannot begin with an empty token, which is taken as an
  empty, invalid answer).
- **Keys** are the same in every language: ``0`` back and ``00`` main menu (CHANNELS.md §10.5), except
  on the first screen, where ``0`` opens "More"; ``99`` turns the page; ``8`` on "More" changes the
  language. Invalid input re-shows the screen with a notice and is not remembered, so the next ``0``
  still goes back one screen.
- **Paging (R7)**: a screen longer than 160 GSM-7 characters, or 75 when any character is outside GSM-7,
  is split into pages with "99 Next" (the last page turns back to the first). Option digits do not
  change with the page: every page shows a subset of the screen's options and accepts any of them.
  Latin-script menus show the nine categories on one page; Arabic shows them on two (1-5, then 6-9,
  each with "0 More"), because nine Arabic labels plus a title do not fit in 75 characters, and the
  DOMAIN.md positions stay the same in Arabic too; its "More" screen also takes two pages (1-3, then
  4, 5, 8 Language, 9). Room for the one-line invalid-choice notice is always kept, so pages never shift.
- **Nothing the reporter types is shown back**, and the ``END`` screens name no category or place
  (DOMAIN.md §6.5).
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from string import Formatter
from typing import Any, Final, Literal

from alerts.triage.taxonomy import Taxonomy
from channels.gsm import is_gsm7, septets, utf16_units

DEFAULT_MENUS: Final = Path(__file__).with_name("data") / "ussd.toml"
FALLBACK_LANGUAGE: Final = "en"
TIME_CLASSES: Final = ("happening_now", "today", "earlier")
"""Answers of the "When?" screen, in screen order (DOMAIN.md §2.4 ``time_reported_class``)."""
ELECTION: Final = "ELE"
"""The category whose choice opens the Election sub-menu."""
ELECTION_OPTIONS: Final = ("woman_voter", "woman_candidate", "women_poll_staff", "polling_station", "other")
"""Keys of the Election sub-menu labels, in screen order: the position is ``ele_option`` (DOMAIN.md §3.4)."""
MAX_PLACES: Final = 8
"""Place options offered at most, so that "Other place" is still one digit."""

SEPARATOR: Final = "*"
BACK: Final = "0"
HOME: Final = "00"
MORE: Final = "0"
NEXT: Final = "99"
LANGUAGE: Final = "8"
SEND: Final = "1"
CANCEL: Final = "2"

GSM7_LIMIT: Final = 160
OTHER_LIMIT: Final = 75

_STRINGS: Final = (
    "name",
    "what",
    "more",
    "more_title",
    "next_page",
    "back",
    "home",
    "invalid",
    "where",
    "other_place",
    "type_place",
    "when",
    "confirm",
    "send",
    "cancel",
    "language",
    "done",
    "cancelled",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuText:
    """Every string of the USSD menus in one language (one table of ussd.toml)."""

    code: str
    name: str
    what: str
    more: str
    more_title: str
    next_page: str
    back: str
    home: str
    invalid: str
    where: str
    other_place: str
    type_place: str
    when: str
    confirm: str
    send: str
    cancel: str
    language: str
    done: str
    cancelled: str
    time: Mapping[str, str]
    election: Mapping[str, str]
    categories: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Menus:
    languages: Mapping[str, MenuText]
    """In file order: the order of the language screen."""

    def for_language(self, language: str) -> MenuText:
        """The strings of a language, else of its base language ("fr" for "fr-CF"), else English."""
        code = language.strip().lower().replace("_", "-")
        return (
            self.languages.get(code)
            or self.languages.get(code.split("-")[0])
            or self.languages[FALLBACK_LANGUAGE]
        )


@dataclass(frozen=True, slots=True)
class PlaceOption:
    code: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Screen:
    text: str
    ends: bool
    """True for ``END`` (the session closes), False for ``CON`` (an answer is expected)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    """The session's last hop: a report to create once, and the ``END`` screen to answer with."""

    category: str
    ele_option: str | None = None
    """For ELE, the Election sub-menu answer "1"-"5" (DOMAIN.md §3.4); None for every other category."""
    place_code: str | None
    place_text: str | None
    """The name as typed, ``*`` included; None when a listed place was chosen."""
    time_class: str
    language: str
    """The language the menus were shown in."""
    screen: str
    """``END`` text with a ``{ref}`` field: ``screen.format(ref=receipt_code)``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageChange:
    """The reporter chose a language: store it; the session goes on at the first screen in it."""

    language: str
    screen: Screen


def load_menus(path: Path = DEFAULT_MENUS) -> Menus:
    """Read the menu strings; fail loudly on a missing string or an END text without ``{ref}``."""
    with path.open("rb") as f:
        raw: dict[str, Any] = tomllib.load(f)
    languages = {code: _menu_text(path, code, entry) for code, entry in raw.items()}
    if FALLBACK_LANGUAGE not in languages:
        raise ValueError(f"{path}: the menus need the fallback language {FALLBACK_LANGUAGE!r}")
    return Menus(languages)


def next_screen(
    text: str, *, language: str, menus: Menus, taxonomy: Taxonomy, places: Sequence[PlaceOption]
) -> Screen | Submission | LanguageChange:
    """What to answer to a hop whose accumulated input is ``text`` ("" on the first hop)."""
    flow = _Flow.of(menus, taxonomy, places)
    replay = _replay(text, flow, language)
    state, strings = replay.frames[-1], replay.strings
    if state.step == "sent":
        return Submission(
            category=state.category,
            ele_option=state.ele_option,
            place_code=state.place.code if state.place else None,
            place_text=state.place_text,
            time_class=state.time_class,
            language=strings.code,
            screen=strings.done,
        )
    if state.step == "cancelled":
        return Screen(text=strings.cancelled, ends=True)
    screen = Screen(text=_render(state, flow, strings, invalid=replay.invalid), ends=False)
    return LanguageChange(language=strings.code, screen=screen) if replay.changed else screen


# --- loading -------------------------------------------------------------------------------------------


def _menu_text(path: Path, code: str, entry: Any) -> MenuText:
    try:
        strings = {key: _string(entry[key]) for key in _STRINGS}
        time = {key: _string(entry["time"][key]) for key in TIME_CLASSES}
        election = {key: _string(entry["election"][key]) for key in ELECTION_OPTIONS}
        categories = {key: _string(value) for key, value in entry["categories"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: language {code!r} lacks or mistypes {exc}") from exc
    fields = {name for _, name, _, _ in Formatter().parse(strings["done"]) if name is not None}
    if fields != {"ref"}:
        raise ValueError(f"{path}: language {code!r}: `done` must hold {{ref}} and no other field")
    return MenuText(
        code=code,
        name=strings["name"],
        what=strings["what"],
        more=strings["more"],
        more_title=strings["more_title"],
        next_page=strings["next_page"],
        back=strings["back"],
        home=strings["home"],
        invalid=strings["invalid"],
        where=strings["where"],
        other_place=strings["other_place"],
        type_place=strings["type_place"],
        when=strings["when"],
        confirm=strings["confirm"],
        send=strings["send"],
        cancel=strings["cancel"],
        language=strings["language"],
        done=strings["done"],
        cancelled=strings["cancelled"],
        time=time,
        election=election,
        categories=categories,
    )


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"non-empty string expected, got {value!r}")
    return value


# --- the state machine ---------------------------------------------------------------------------------

_Step = Literal[
    "category", "more", "election", "language", "place", "time", "confirm", "typed", "sent", "cancelled"
]
_ENDS: Final = ("sent", "cancelled")


@dataclass(frozen=True, slots=True, kw_only=True)
class _State:
    step: _Step
    page: int = 0
    category: str = ""
    ele_option: str | None = None
    place: PlaceOption | None = None
    typed: bool = False
    """The reporter will type the place name, as the last answer."""
    time_class: str = ""
    place_text: str | None = None


_FIRST: Final = _State(step="category")


@dataclass(frozen=True, slots=True)
class _Flow:
    """What a session's screens depend on besides the answers."""

    menus: Menus
    places: tuple[PlaceOption, ...]
    first: dict[str, str]
    """First-screen digit -> category code."""
    more: dict[str, str]
    """"More"-screen digit -> category code."""

    @classmethod
    def of(cls, menus: Menus, taxonomy: Taxonomy, places: Sequence[PlaceOption]) -> _Flow:
        first, more = {}, {}
        for category in taxonomy.categories.values():
            position = category.ussd
            if len(position) == 1 and position in "123456789":
                first[position] = category.code
            elif len(position) == 3 and position[:2] == "0." and position[2] in "123456789":
                more[position[2]] = category.code
        if LANGUAGE in more:
            raise ValueError(f"USSD position 0.{LANGUAGE} is the language option, not a category")
        return cls(
            menus,
            tuple(places[:MAX_PLACES]),
            dict(sorted(first.items())),
            dict(sorted(more.items())),
        )


@dataclass(frozen=True, slots=True)
class _Replay:
    frames: list[_State]
    """The screens that stand, first to current: back pops one, main menu keeps the first."""
    strings: MenuText
    invalid: bool
    """The last answer was not an option of the screen it answered."""
    changed: bool
    """The last answer chose a language."""


def _replay(text: str, flow: _Flow, language: str) -> _Replay:
    strings = flow.menus.for_language(language)
    frames = [_FIRST]
    invalid = changed = False
    tokens = text.split(SEPARATOR) if text else []
    for index, raw in enumerate(tokens):
        state = frames[-1]
        if state.step in _ENDS:
            break  # nothing follows an END; Africa's Talking sends no further hop
        token, invalid, changed = raw.strip(), False, False
        if token == HOME:
            frames = [_FIRST]
        elif state.step == "typed" and token and token != BACK:
            place_text = SEPARATOR.join(tokens[index:]).strip()
            frames.append(replace(state, step="sent", place_text=place_text))
            break
        elif token == BACK and len(frames) > 1:
            frames.pop()
        elif token == NEXT and (pages := len(_pages(_menu(state, flow, strings), strings))) > 1:
            frames[-1] = replace(state, page=(state.page + 1) % pages)
        else:
            after = _advance(state, token, flow)
            if after is None:
                invalid = True
            elif isinstance(after, MenuText):
                strings, frames, changed = after, [_FIRST], True
            else:
                frames.append(after)
    return _Replay(frames, strings, invalid, changed)


def _advance(state: _State, token: str, flow: _Flow) -> _State | MenuText | None:
    """The state an answer leads to, the language it chooses, or None if it is not an option."""
    match state.step:
        case "category" | "more":
            if state.step == "category" and token == MORE:
                return _State(step="more")
            if state.step == "more" and token == LANGUAGE:
                return _State(step="language")
            code = (flow.first if state.step == "category" else flow.more).get(token)
            if code is None:
                return None
            if code == ELECTION:
                return _State(step="election", category=code)
            return _after_category(_State(step="category", category=code), flow)
        case "election":
            if token in _numbers(len(ELECTION_OPTIONS)):
                return _after_category(replace(state, ele_option=token), flow)
        case "language":
            languages = dict(
                zip(_numbers(len(flow.menus.languages)), flow.menus.languages.values(), strict=True)
            )
            return languages.get(token)
        case "place":
            places = dict(zip(_numbers(len(flow.places)), flow.places, strict=True))
            if token in places:
                return replace(state, step="time", place=places[token])
            if token == str(len(flow.places) + 1):
                return replace(state, step="time", typed=True)
        case "time":
            classes = dict(zip(_numbers(len(TIME_CLASSES)), TIME_CLASSES, strict=True))
            if token in classes:
                return replace(state, step="typed" if state.typed else "confirm", time_class=classes[token])
        case "confirm":
            if token == SEND:
                return replace(state, step="sent")
            if token == CANCEL:
                return replace(state, step="cancelled")
    return None


def _after_category(state: _State, flow: _Flow) -> _State:
    """After the category step: "Where?", or "When?" (then the typed name) when no places were offered."""
    # page=0: a paged category screen must not open the next screen on its second page.
    if flow.places:
        return replace(state, step="place", page=0)
    return replace(state, step="time", page=0, typed=True)


def _numbers(count: int) -> list[str]:
    return [str(number) for number in range(1, count + 1)]


# --- screens ---------------------------------------------------------------------------------------------

_Option = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Menu:
    title: str
    options: tuple[_Option, ...]
    """Split across pages when the screen is too long."""
    pinned: tuple[_Option, ...]
    """Shown on every page."""
    footer: str


def _menu(state: _State, flow: _Flow, strings: MenuText) -> _Menu:
    nav = f"{BACK} {strings.back} {HOME} {strings.home}"
    match state.step:
        case "category":
            return _Menu(strings.what, _categories(flow.first, flow, strings), ((MORE, strings.more),), "")
        case "more":
            options = sorted((*_categories(flow.more, flow, strings), (LANGUAGE, strings.language)))
            return _Menu(strings.more_title, tuple(options), (), nav)
        case "election":
            # Titled with the label she just chose: no extra string to translate or to fit.
            labels = tuple(strings.election[key] for key in ELECTION_OPTIONS)
            title = _label(ELECTION, flow, strings)
            return _Menu(title, tuple(zip(_numbers(len(labels)), labels, strict=True)), (), nav)
        case "language":
            names = tuple(text.name for text in flow.menus.languages.values())
            return _Menu(strings.language, tuple(zip(_numbers(len(names)), names, strict=True)), (), nav)
        case "place":
            names = tuple(_fold(place.name) or _fold(place.code) for place in flow.places)
            other = ((str(len(names) + 1), strings.other_place),)
            return _Menu(strings.where, tuple(zip(_numbers(len(names)), names, strict=True)), other, nav)
        case "time":
            labels = tuple(strings.time[key] for key in TIME_CLASSES)
            return _Menu(strings.when, tuple(zip(_numbers(len(labels)), labels, strict=True)), (), nav)
        case "confirm":
            return _Menu(strings.confirm, ((SEND, strings.send), (CANCEL, strings.cancel)), (), nav)
        case _:
            return _Menu(strings.type_place, (), (), nav)


def _categories(positions: Mapping[str, str], flow: _Flow, strings: MenuText) -> tuple[_Option, ...]:
    return tuple((digit, _label(code, flow, strings)) for digit, code in positions.items())


def _label(code: str, flow: _Flow, strings: MenuText) -> str:
    english = flow.menus.languages[FALLBACK_LANGUAGE].categories
    return strings.categories.get(code) or english.get(code) or code


def _render(state: _State, flow: _Flow, strings: MenuText, *, invalid: bool) -> str:
    menu = _menu(state, flow, strings)
    pages = _pages(menu, strings)
    notice = strings.invalid if invalid else ""
    return _lines(menu, pages[state.page % len(pages)], paged=len(pages) > 1, strings=strings, notice=notice)


def _lines(menu: _Menu, shown: Sequence[_Option], *, paged: bool, strings: MenuText, notice: str) -> str:
    lines = [line for line in (notice, menu.title) if line]
    lines += [f"{key} {label}" for key, label in shown]
    if paged:
        lines.append(f"{NEXT} {strings.next_page}")
    lines += [f"{key} {label}" for key, label in menu.pinned]
    if menu.footer:
        lines.append(menu.footer)
    return "\n".join(lines)


def _pages(menu: _Menu, strings: MenuText) -> list[tuple[_Option, ...]]:
    """Greedy pages of options; room for the invalid-choice notice is always kept, so pages never shift."""

    def fits(shown: tuple[_Option, ...], paged: bool) -> bool:
        return _fits(_lines(menu, shown, paged=paged, strings=strings, notice=strings.invalid))

    if fits(menu.options, False):
        return [menu.options]
    pages: list[tuple[_Option, ...]] = []
    current: tuple[_Option, ...] = ()
    for key, label in menu.options:
        if fits((*current, (key, label)), True):
            current = (*current, (key, label))
            continue
        if current:
            pages.append(current)
        label = label[:GSM7_LIMIT]
        while label and not fits(((key, label),), True):
            label = label[:-1]  # only a caller's place name can be this long
        if not fits(((key, label),), True):
            raise ValueError(f"USSD screen {menu.title!r} ({strings.code}) is too long even without options")
        current = ((key, label),)
    return [*pages, current]


def _fold(text: str) -> str:
    """Accents off Latin letters (telcos mangle them, CHANNELS.md §10.2), one line; other scripts kept."""
    folded = []
    for char in " ".join(text.split()):
        if unicodedata.category(char)[0] == "C":
            continue  # control and format characters would garble the screen
        bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        folded.append(bare if bare and bare.isascii() else char)
    return "".join(folded)


def _fits(text: str) -> bool:
    """R7: at most 160 GSM-7 septets, or 75 UTF-16 units once one character is outside GSM-7."""
    return septets(text) <= GSM7_LIMIT if is_gsm7(text) else utf16_units(text) <= OTHER_LIMIT
