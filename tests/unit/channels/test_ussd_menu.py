from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.intake.services import REF_ALPHABET, REF_LENGTH
from alerts.triage.taxonomy import Category, Taxonomy, load_taxonomy
from channels.gsm import is_gsm7, septets, utf16_units
from channels.messages import fold, has_arabic_script, load_messages
from channels.ussd_menu import (
    DEFAULT_MENUS,
    ELECTION_OPTIONS,
    MAX_PLACES,
    TIME_CLASSES,
    LanguageChange,
    MenuText,
    PlaceOption,
    Screen,
    Submission,
    load_menus,
    next_screen,
)

pytestmark = pytest.mark.unit

MENUS = load_menus()
TAXONOMY = load_taxonomy()
LANGUAGES = tuple(MENUS.languages)
PLACES = (PlaceOption("SS-BEN", "Bentiu"), PlaceOption("SS-RUB", "Rubkona"), PlaceOption("SS-GUI", "Guit"))
"""Her area and its neighbours: on the place screen "4" is then "Other place"."""
FIRST = {c.ussd: c.code for c in TAXONOMY.categories.values() if "." not in c.ussd}
MORE = {c.ussd.removeprefix("0."): c.code for c in TAXONOMY.categories.values() if c.ussd.startswith("0.")}
CATEGORY_ANSWERS = {code: (digit,) for digit, code in FIRST.items()} | {
    code: ("0", digit) for digit, code in MORE.items()
}
ELE_OPTIONS = tuple(str(n) for n in range(1, len(ELECTION_OPTIONS) + 1))
CATEGORY_CHOICES = [(answers, code, None) for code, answers in CATEGORY_ANSWERS.items() if code != "ELE"] + [
    ((*CATEGORY_ANSWERS["ELE"], option), "ELE", option) for option in ELE_OPTIONS
]
"""Every way through the category step: (answers, category, ele_option); ELE once per sub-menu option."""
REF = REF_ALPHABET[-REF_LENGTH:]
LATIN_SCRIPT = ("en", "fr")

Outcome = Screen | Submission | LanguageChange


def ask(text: str, *, language: str = "en", places: Sequence[PlaceOption] = PLACES) -> Outcome:
    return next_screen(text, language=language, menus=MENUS, taxonomy=TAXONOMY, places=places)


def shown(outcome: Outcome) -> str:
    """What the reporter's phone displays for an outcome (the receipt code filled in)."""
    if isinstance(outcome, Submission):
        return outcome.screen.format(ref=REF)
    return outcome.screen.text if isinstance(outcome, LanguageChange) else outcome.text


def fits(text: str) -> bool:
    """R7: at most 160 GSM-7 characters (extension characters count 2), else at most 75."""
    return septets(text) <= 160 if is_gsm7(text) else utf16_units(text) <= 75


def strings(menu: MenuText) -> list[str]:
    """Every string of one language's menus."""
    values = [getattr(menu, f.name) for f in fields(menu) if f.name != "code"]
    nested = [value for value in values if isinstance(value, dict)]
    return [v for v in values if isinstance(v, str)] + [s for table in nested for s in table.values()]


def options(screen: str) -> dict[str, str]:
    """A screen's numbered lines, key -> label ("0 Back 00 Menu" reads as key 0)."""
    return dict(line.split(" ", 1) for line in screen.splitlines() if line[:1].isdigit())


def pages(text: str, *, language: str, places: Sequence[PlaceOption] = PLACES) -> list[str]:
    """Every page of the screen ``text`` leads to, following "99 Next" until it comes round."""
    first = shown(ask(text, language=language, places=places))
    found = [first]
    while "99" in options(found[-1]) and len(found) < 20:
        turned = "*".join([*([text] if text else []), *["99"] * len(found)])
        page = shown(ask(turned, language=language, places=places))
        if page == first:
            break
        found.append(page)
    return found


def walk(answers: Sequence[str], *, language: str, places: Sequence[PlaceOption] = PLACES) -> Outcome:
    """Play answers hop by hop as Africa's Talking sends them; each screen on the way is a CON that fits."""
    for hop in range(len(answers)):
        outcome = ask("*".join(answers[:hop]), language=language, places=places)
        assert isinstance(outcome, Screen), (answers[:hop], outcome)
        assert not outcome.ends, (answers[:hop], outcome)
        assert fits(outcome.text), (answers[:hop], outcome.text)
    final = ask("*".join(answers), language=language, places=places)
    assert fits(shown(final)), (answers, shown(final))
    return final


@dataclass(frozen=True, slots=True)
class Walk:
    answers: tuple[str, ...]
    expected: Outcome
    category_screens: int
    """1, or 2 through "More" or the Election sub-menu: all are the category step (R8)."""


def every_walk(language: str, places: Sequence[PlaceOption]) -> Iterator[Walk]:
    """Each category (More ones and each ELE option too) x each listed place and a typed one x each time
    class x send/cancel."""
    menu = MENUS.languages[language]
    cancelled = Screen(text=menu.cancelled, ends=True)
    other = (str(len(places) + 1),) if places else ()
    for category, code, ele_option in CATEGORY_CHOICES:
        for time_index, time_class in enumerate(TIME_CLASSES, 1):
            when = str(time_index)
            sent = Submission(
                category=code,
                ele_option=ele_option,
                place_code=None,
                place_text="Kaga Bandoro",
                time_class=time_class,
                language=language,
                screen=menu.done,
            )
            for index, place in enumerate(places, 1):
                listed = replace(sent, place_code=place.code, place_text=None)
                yield Walk((*category, str(index), when, "1"), listed, len(category))
                yield Walk((*category, str(index), when, "2"), cancelled, len(category))
            yield Walk((*category, *other, when, "Kaga Bandoro"), sent, len(category))


# --- the data ----------------------------------------------------------------------------------------------


def test_menus_come_in_english_french_and_arabic_with_english_as_fallback() -> None:
    assert {"en", "fr", "ar"} <= set(LANGUAGES)
    assert MENUS.for_language("sw") is MENUS.languages["en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_a_short_label_for_every_category(language: str) -> None:
    assert set(MENUS.languages[language].categories) == set(TAXONOMY.categories)


@pytest.mark.parametrize("language", LANGUAGES)
def test_menus_carry_no_accented_latin_letter_that_telcos_would_mangle(language: str) -> None:
    for text in strings(MENUS.languages[language]):
        accented = [c for c in text if not c.isascii() and "LATIN" in unicodedata.name(c, "")]
        assert not accented, (language, text)


@pytest.mark.parametrize("language", LATIN_SCRIPT)
def test_latin_script_menus_are_plain_ascii(language: str) -> None:
    assert all(text.isascii() for text in strings(MENUS.languages[language]))


SENSITIVE = re.compile(r"\b(rape|viol\w*|attack\w*|attaque|sex\w*|UN|ONU|MONUSCO|UNMISS|MINUSCA|JOC)\b", re.I)


@pytest.mark.parametrize("language", LANGUAGES)
def test_end_screens_name_no_category_no_place_and_no_sensitive_word(language: str) -> None:
    labels = {label.lower() for m in MENUS.languages.values() for label in m.categories.values()}
    labels |= {label.lower() for c in TAXONOMY.categories.values() for label in c.labels.values()}
    menu = MENUS.languages[language]
    for text in (menu.done.format(ref=REF), menu.cancelled):
        assert not SENSITIVE.search(text), text
        assert not [label for label in labels if label in text.lower()], text
        assert fits(text)
    assert "{ref}" in menu.done


def test_adding_a_language_is_data_only(tmp_path: Path) -> None:
    english = DEFAULT_MENUS.read_text(encoding="utf-8").split("[fr]")[0]
    swahili = english.replace("[en", "[sw").replace('name = "English"', 'name = "Kiswahili"')
    path = tmp_path / "ussd.toml"
    path.write_text(DEFAULT_MENUS.read_text(encoding="utf-8") + "\n" + swahili, encoding="utf-8")
    menus = load_menus(path)

    chosen = next_screen("0*8*4", language="en", menus=menus, taxonomy=TAXONOMY, places=PLACES)

    listed = [
        shown(next_screen(text, language="en", menus=menus, taxonomy=TAXONOMY, places=()))
        for text in ("0*8", "0*8*99")
    ]
    assert "4 Kiswahili" in "\n".join(listed)  # four names with an Arabic one need two pages of 75
    assert isinstance(chosen, LanguageChange)
    assert chosen.language == "sw"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda text: text.replace('when = "When?"\n', ""), "lacks"),
        (lambda text: text.replace('done = "Thank you, received. Ref {ref}"', 'done = "Thanks"'), "ref"),
        (lambda text: text.replace('Ref {ref}"', 'Ref {ref} {place}"'), "ref"),
        (lambda text: text.replace('today = "Today"\n', ""), "lacks"),
        (lambda text: text.replace("[en", "[xx"), "fallback"),
        (lambda text: text.replace('polling_station = "Polling station problem"', ""), "lacks"),
    ],
    ids=[
        "a missing string",
        "no receipt code",
        "another field",
        "a missing time class",
        "no English",
        "a missing election option",
    ],
)
def test_a_broken_menu_file_fails_loudly(tmp_path: Path, edit: Callable[[str], str], problem: str) -> None:
    path = tmp_path / "ussd.toml"
    path.write_text(edit(DEFAULT_MENUS.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        load_menus(path)


def test_a_taxonomy_category_on_the_language_digit_fails_loudly() -> None:
    clash = Category(code="XXX", ussd="0.8", priority="P3", acled="NONE_EW_INDICATOR", labels={})
    taxonomy = Taxonomy({**TAXONOMY.categories, "XXX": clash})
    with pytest.raises(ValueError, match="language option"):
        next_screen("", language="en", menus=MENUS, taxonomy=taxonomy, places=PLACES)


def test_the_length_check_counts_gsm7_extension_characters_twice_and_other_scripts_against_75() -> None:
    assert fits("é" * 160)
    assert not fits("€" * 81)
    assert fits("ê" * 75)
    assert not fits("ê" * 76)
    assert not fits("ع" * 76)


# --- every path in every language ----------------------------------------------------------------------


@pytest.mark.parametrize("places", [PLACES, ()], ids=["three places", "no places"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_menu_path_ends_as_expected_and_every_screen_fits(
    language: str, places: Sequence[PlaceOption]
) -> None:
    walks = list(every_walk(language, places))
    for case in walks:
        assert walk(case.answers, language=language, places=places) == case.expected, case.answers
    assert len(walks) == len(CATEGORY_CHOICES) * len(TIME_CLASSES) * (2 * len(places) + 1)


@pytest.mark.parametrize("places", [PLACES, ()], ids=["three places", "no places"])
def test_a_report_takes_at_most_four_steps_and_more_stays_in_the_category_step(
    places: Sequence[PlaceOption],
) -> None:
    for case in every_walk("en", places):
        steps = len(case.answers) - (case.category_screens - 1)
        assert steps <= 4, case.answers
    assert max(len(case.answers) for case in every_walk("en", places)) <= 5


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_first_screen_shows_each_category_at_its_domain_position(language: str) -> None:
    menu = MENUS.languages[language]
    screens = pages("", language=language)
    shown_options = {key: label for page in screens for key, label in options(page).items()}
    assert {key: shown_options[key] for key in FIRST} == {d: menu.categories[c] for d, c in FIRST.items()}
    assert all(options(page)["0"] == menu.more for page in screens)


@pytest.mark.parametrize("language", LATIN_SCRIPT)
def test_latin_script_menus_show_the_nine_categories_and_more_on_one_page(language: str) -> None:
    for text in ("", "0", "1", "1*1", "1*1*1", "1*4*1", "0*8", "6", "6*5"):
        assert pages(text, language=language) == [shown(ask(text, language=language))]
    assert list(options(shown(ask("", language=language)))) == [*"123456789", "0"]


def test_arabic_shows_the_first_screen_on_two_pages_that_each_accept_every_digit() -> None:
    first, second = pages("", language="ar")
    assert [key for key in options(first) if key in FIRST] == ["1", "2", "3", "4", "5"]
    assert [key for key in options(second) if key in FIRST] == ["6", "7", "8", "9"]
    for digit, code in FIRST.items():
        ele_option = "1" if code == "ELE" else None
        for prefix in ("", "99*"):
            answers = [*f"{prefix}{digit}".split("*"), *([ele_option] if ele_option else []), "1", "1", "1"]
            assert walk(answers, language="ar") == Submission(
                category=code,
                ele_option=ele_option,
                place_code=PLACES[0].code,
                place_text=None,
                time_class="happening_now",
                language="ar",
                screen=MENUS.languages["ar"].done,
            )


def test_arabic_more_screen_is_paged_too_and_offers_the_language_choice() -> None:
    screens = pages("0", language="ar")
    assert len(screens) == 2
    assert {key for page in screens for key in options(page)} >= {*MORE, "8", "99", "0"}


# --- the Election sub-menu (DOMAIN.md §3.4) ----------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_election_opens_five_options_under_its_label_on_pages_that_fit(language: str) -> None:
    menu = MENUS.languages[language]
    screens = pages("6", language=language)
    assert all(fits(page) for page in screens)
    assert all(page.splitlines()[0] == menu.categories["ELE"] for page in screens)
    assert all(options(page)["0"] == f"{menu.back} 00 {menu.home}" for page in screens)
    labels = {key: label for page in screens for key, label in options(page).items() if key in ELE_OPTIONS}
    assert labels == {
        digit: menu.election[key] for digit, key in zip(ELE_OPTIONS, ELECTION_OPTIONS, strict=True)
    }


@pytest.mark.parametrize("option", ELE_OPTIONS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_election_option_is_accepted_on_every_page_and_sent_as_ele_option(
    language: str, option: str
) -> None:
    # The category stays "ELE": the option, not a harm category, tells triage who was targeted (R15, R17).
    for turns in range(len(pages("6", language=language))):
        sent = ask("*".join(["6", *["99"] * turns, option, "1", "2", "1"]), language=language)
        assert sent == Submission(
            category="ELE",
            ele_option=option,
            place_code=PLACES[0].code,
            place_text=None,
            time_class="today",
            language=language,
            screen=MENUS.languages[language].done,
        )


DENIED = [fold(word) for words in load_messages().deny.values() for word in words]


def deny_listed(label: str) -> list[str]:
    """The messages.toml deny-listed words in a label, matched the way SMS templates are checked."""
    text = fold(label)

    def found(word: str) -> bool:
        if has_arabic_script(word):
            return word in text  # Arabic attaches articles and prepositions to the word
        return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None

    return [word for word in DENIED if found(word)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_election_labels_keep_to_the_sms_deny_list(language: str) -> None:
    # Category labels predate this rule ("Sexual violence"); the election labels are held to it.
    for label in MENUS.languages[language].election.values():
        assert not deny_listed(label), (language, label)
        assert not SENSITIVE.search(label), (language, label)


# --- back, main menu, invalid input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("1*0", ""),
        ("0*0", ""),
        ("0*0*0", "0"),
        ("0*1*0", "0"),
        ("1*1*0", "1"),
        ("1*1*1*0", "1*1"),
        ("1*4*1*0", "1*4"),
        ("1*x*0", ""),
        ("x*0", "0"),
        ("99*0", "0"),
        ("1*1*1*00", ""),
        ("1*4*1*00", ""),
        ("0*8*00", ""),
        ("2*1*0*3*00*1", "1"),
        ("00", ""),
        ("00*00*1", "1"),
        ("6*0", ""),
        ("6*x*0", ""),
        ("6*2*0", "6"),
        ("6*2*1*0", "6*2"),
        ("6*2*4*0", "6*2"),
        ("6*2*1*1*0", "6*2*1"),
        ("6*00", ""),
        ("6*5*00", ""),
        ("6*5*1*1*00", ""),
        ("6*5*4*00*6", "6"),
    ],
)
def test_zero_goes_back_one_screen_and_double_zero_to_the_main_menu(text: str, same_as: str) -> None:
    assert ask(text) == ask(same_as)


@pytest.mark.parametrize(("text", "same_as"), [("99*1*0", "99"), ("6*99*0", ""), ("6*99*3*0", "6*99")])
def test_back_returns_to_the_page_she_left(text: str, same_as: str) -> None:
    assert ask(text, language="ar") == ask(same_as, language="ar")


@pytest.mark.parametrize(
    ("text", "standing", "language"),
    [
        ("2*1*0*3*00*1*1*1*1", "1*1*1*1", "en"),
        ("1*x*2*1*1", "1*2*1*1", "en"),
        ("99*7*1*1*1", "7*1*1*1", "en"),
        ("1*1*1*1*5*1", "1*1*1*1", "en"),
        ("0*8*2*1*1*1*1", "1*1*1*1", "fr"),
        ("6*7*0*4*1*1*1", "4*1*1*1", "en"),
        ("6*3*9*0*1*4*2*Kaga", "6*1*4*2*Kaga", "en"),
    ],
)
def test_only_the_answers_that_stand_make_the_report(text: str, standing: str, language: str) -> None:
    # Back, main menu, page turns, invalid answers and a language change leave no trace in the report.
    sent = ask(text)
    assert isinstance(sent, Submission)
    assert sent == ask(standing, language=language)


@pytest.mark.parametrize(
    ("text", "screen"),
    [
        ("x", ""),
        ("10", ""),
        (" ", ""),
        ("*", ""),
        ("99", ""),
        ("0*7", "0"),
        ("0*0.1", "0"),
        ("0*8*4", "0*8"),
        ("1*5", "1"),
        ("1*01", "1"),
        ("1*1*4", "1*1"),
        ("1*1*1*3", "1*1*1"),
        ("1*4*1*", "1*4*1"),
        ("1*4*1* ", "1*4*1"),
        ("6*6", "6"),
        ("6*8", "6"),
        ("6*99", "6"),
        ("6*01", "6"),
        ("6*3*5", "6*3"),
    ],
)
def test_an_invalid_answer_shows_the_same_screen_with_a_notice(text: str, screen: str) -> None:
    again = ask(screen)
    assert isinstance(again, Screen)
    assert ask(text) == Screen(text=f"Invalid choice\n{again.text}", ends=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_invalid_notice_fits_on_every_page_of_every_screen(language: str) -> None:
    for text in ("", "0", "0*8", "1", "1*1", "1*1*1", "1*4*1", "6", "6*1"):
        for number, page in enumerate(pages(text, language=language)):
            prefix = "*".join([*([text] if text else []), *["99"] * number])
            notice = ask(f"{prefix}* " if prefix else " ", language=language)  # a blank answer
            assert isinstance(notice, Screen)
            assert notice.text == f"{MENUS.languages[language].invalid}\n{page}"
            assert fits(notice.text)


# --- the typed place ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "place_text"),
    [
        ("1*4*2*Kilo 0*Bor", "Kilo 0*Bor"),
        ("1*4*2*Bor*0", "Bor*0"),
        ("1*4*2*Bor*00", "Bor*00"),
        ("1*4*2*0 Bor", "0 Bor"),
        ("1*4*2*99", "99"),
        ("1*4*2*1", "1"),
        ("1*4*2**Bor", "Bor"),
        ("1*4*2*Bor**", "Bor**"),
        ("1*4*2*  Malakal town  ", "Malakal town"),
        ("1*4*2*0*2*Wau", "Wau"),
    ],
)
def test_a_typed_place_is_everything_after_the_prompt_star_and_zero_included(
    text: str, place_text: str
) -> None:
    assert ask(text) == Submission(
        category="ATK",
        place_code=None,
        place_text=place_text,
        time_class="today",
        language="en",
        screen=MENUS.languages["en"].done,
    )


def test_without_place_options_she_types_the_place_after_the_time() -> None:
    assert ask("3", places=()) == ask("3*4")  # straight to "When?", as after "Other place"
    assert walk(["0", "2", "3", "Abyei*Town"], language="en", places=()) == Submission(
        category="TEN",
        place_code=None,
        place_text="Abyei*Town",
        time_class="earlier",
        language="en",
        screen=MENUS.languages["en"].done,
    )


# --- place options from the caller -------------------------------------------------------------------------


def test_place_names_lose_their_accents_and_line_breaks() -> None:
    screen = ask("1", places=[PlaceOption("CF-BEG", "Bégoua\nKôtô"), PlaceOption("CF-BAN", "")])
    assert isinstance(screen, Screen)
    assert options(screen.text) == {
        "1": "Begoua Koto",
        "2": "CF-BAN",
        "3": "Other place",
        "0": "Back 00 Menu",
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "places",
    [
        [PlaceOption(f"P{n}", f"Village number {n} by the long river road") for n in range(12)],
        [PlaceOption(f"P{n}", "أبيي الجديدة" * 2) for n in range(5)],
        [PlaceOption("P0", "x" * 500)],
    ],
    ids=["twelve long names", "arabic names", "one huge name"],
)
def test_many_or_long_place_names_are_paged_or_cut_to_fit(language: str, places: list[PlaceOption]) -> None:
    offered = places[:MAX_PLACES]
    screens = pages("1", language=language, places=places)
    keys = {key for page in screens for key in options(page)}
    assert all(fits(page) for page in screens)
    assert {str(n) for n in range(1, len(offered) + 2)} <= keys
    assert all(str(len(offered) + 1) in options(page) for page in screens)  # "Other place" on every page
    assert str(len(offered) + 2) not in keys
    chosen = ask(f"1*{len(offered)}*1*1", language=language, places=places)
    assert isinstance(chosen, Submission)
    assert chosen.place_code == offered[-1].code


# --- language -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stored", "shown_in"), [("sw", "en"), ("", "en"), ("fr-CF", "fr"), ("AR", "ar")])
def test_an_unknown_language_falls_back_to_english_and_a_regional_one_to_its_base(
    stored: str, shown_in: str
) -> None:
    assert ask("", language=stored) == ask("", language=shown_in)
    sent = ask("1*1*1*1", language=stored)
    assert isinstance(sent, Submission)
    assert sent.language == shown_in


@pytest.mark.parametrize(("number", "code"), [(str(n), code) for n, code in enumerate(LANGUAGES, 1)])
def test_choosing_a_language_under_more_changes_it_for_the_rest_of_the_session(
    number: str, code: str
) -> None:
    language_screen = ask("0*8")
    assert isinstance(language_screen, Screen)
    assert options(language_screen.text)[number] == MENUS.languages[code].name
    first = ask("", language=code)
    assert isinstance(first, Screen)
    assert ask(f"0*8*{number}") == LanguageChange(language=code, screen=first)
    assert ask(f"0*8*{number}*1", language="ar") == ask("1", language=code)
    assert ask(f"0*8*{number}*00*0") == ask("0", language=code)
    sent = ask(f"0*8*{number}*2*1*1*1")
    assert isinstance(sent, Submission)
    assert (sent.category, sent.language, sent.screen) == ("SXV", code, MENUS.languages[code].done)


# --- any input ----------------------------------------------------------------------------------------------

ANSWERS = st.one_of(
    st.sampled_from(["0", "00", "99", "1", "2", "3", "4", "5", "6", "7", "8", "9", "", " ", "10", "x"]),
    st.text(max_size=12),
)
PLACE_LISTS = st.one_of(
    st.sampled_from([(), PLACES]),
    st.lists(st.builds(PlaceOption, code=st.text(max_size=8), name=st.text(max_size=60)), max_size=10),
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(), st.lists(ANSWERS, max_size=14).map("*".join)),
    language=st.sampled_from([*LANGUAGES, "sw", ""]),
    places=PLACE_LISTS,
)
def test_any_input_gives_one_outcome_whose_screen_fits_and_the_same_each_time(
    text: str, language: str, places: list[PlaceOption]
) -> None:
    outcome = ask(text, language=language, places=places)
    assert isinstance(outcome, Screen | Submission | LanguageChange)
    assert fits(shown(outcome))
    assert outcome == ask(text, language=language, places=places)
