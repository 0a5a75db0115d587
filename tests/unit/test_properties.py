"""Property-based tests (hypothesis) on the parsers and normalisers reports pass through (issue #8).

Already covered elsewhere and not repeated here: ``normalise_report`` idempotence
(tests/unit/alerts/test_normalise.py), ``parse_structured`` on any text (test_taxonomy.py), GSM segment
counts (test_gsm.py) and ``next_screen`` on one arbitrary accumulated text (test_ussd_menu.py).
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from alerts.reporters.pseudonym import reporter_key
from alerts.triage.classify import build_classifier
from alerts.triage.taxonomy import load_taxonomy
from alerts.triage.text import clean_text
from channels.africastalking import sms as at_sms
from channels.africastalking import ussd as at_ussd
from channels.errors import PayloadInvalid
from channels.gsm import is_gsm7, septets, utf16_units
from channels.keywords import KINDS, Keyword, parse_keyword
from channels.messages import fold, load_messages
from channels.phone import canonical_address, pseudonymise
from channels.twilio import inbound as twilio
from channels.ussd_menu import LanguageChange, PlaceOption, Screen, Submission, load_menus, next_screen
from geo.placenames import find_place_spans, load_place_words, normalise_place

pytestmark = pytest.mark.unit

FAST = settings(max_examples=200, deadline=None)
SLOW = settings(max_examples=100, deadline=None)

PEPPER = "test-pepper"
TAXONOMY = load_taxonomy()
MESSAGES = load_messages()
MENUS = load_menus()
PLACE_WORDS = load_place_words()
CLASSIFIER = build_classifier(None, TAXONOMY)

HOSTILE = st.sampled_from(
    [
        "",
        "\x00",
        "a\x00b\x07c\x1b[31m",
        "\u202eevil\u202c",
        "\u200f\u0627\u0644\u0633\u0644\u0627\u0645\u200e",
        "👩🏾‍⚕️🔥💣",
        "<script>alert(1)</script>",
        "'; DROP TABLE reports; --",
        "{{7*7}}",
        "e\x00\u0301",
        "\ufeff\u00a0 \u2028\u2029",
        "x" * 10_000,
        "é" * 5_000,
    ]
)
TEXT = st.one_of(HOSTILE, st.text(), st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
"""Arbitrary unicode (no lone surrogates: a decoded request cannot hold them), and hostile samples."""

SS_NUMBER = st.from_regex(r"9[1-9][0-9]{7}", fullmatch=True)
"""A South Sudanese mobile number without its country code."""


def _spellings(national: str) -> st.SearchStrategy[str]:
    """Ways a provider or a person writes the same South Sudanese number."""
    groups = f"{national[:3]} {national[3:6]} {national[6:]}"
    return st.sampled_from(
        [
            f"+211{national}",
            f"+211 {groups}",
            f"+211-{national[:3]}-{national[3:6]}-{national[6:]}",
            f"+211 ({national[:3]}) {national[3:]}",
            f"0{national}",
            f"0{groups}",
            f"00211{national}",
            f"whatsapp:+211{national}",
            f"  +211{national}\t",
        ]
    )


# --- alerts.triage.text.clean_text --------------------------------------------------------------------------


@FAST
@given(TEXT)
def test_clean_text_drops_controls_and_collapses_whitespace(raw: str) -> None:
    cleaned = clean_text(raw)
    assert cleaned == cleaned.strip()
    assert not re.search(r"\s\s", cleaned)
    assert all(unicodedata.category(ch)[0] != "C" for ch in cleaned)


@FAST
@given(TEXT)
@example("a b")
@example("e\x00\u0301")  # a control between a letter and its combining mark
def test_clean_text_is_idempotent_and_its_output_is_nfkc(raw: str) -> None:
    cleaned = clean_text(raw)
    assert clean_text(cleaned) == cleaned
    assert cleaned == unicodedata.normalize("NFKC", cleaned)


# --- channels.phone: canonical_address and pseudonymise -------------------------------------------------


@FAST
@given(TEXT, st.sampled_from(["SS", "ML", "CD", "CF", "ZZ"]))
def test_canonical_address_never_raises_and_returns_a_string(raw: str, region: str) -> None:
    address = canonical_address(raw, region)
    assert isinstance(address, str)


@FAST
@given(st.data(), SS_NUMBER)
def test_equivalent_spellings_of_a_number_have_one_canonical_address_and_one_key(
    data: st.DataObject, national: str
) -> None:
    spelling = data.draw(_spellings(national))
    assert canonical_address(spelling, "SS") == f"+211{national}"
    assert pseudonymise(spelling, pepper=PEPPER, default_region="SS") == pseudonymise(
        f"+211{national}", pepper=PEPPER, default_region="SS"
    )


@FAST
@given(SS_NUMBER)
def test_canonical_address_is_idempotent_on_numbers(national: str) -> None:
    once = canonical_address(f"0{national}", "SS")
    assert canonical_address(once, "SS") == once


@FAST
@given(st.one_of(SS_NUMBER.map(lambda n: f"+211{n}"), TEXT), st.text(min_size=1, max_size=40))
def test_pseudonymise_is_deterministic_hex_and_never_shows_the_number(raw: str, pepper: str) -> None:
    key = pseudonymise(raw, pepper=pepper, default_region="SS")
    assert key == pseudonymise(raw, pepper=pepper, default_region="SS")
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    digits = re.sub(r"\D", "", canonical_address(raw, "SS"))
    if len(digits) >= 7:
        assert digits not in key
        assert digits[-7:] not in key


@FAST
@given(SS_NUMBER, st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_different_peppers_give_different_keys(national: str, one: str, other: str) -> None:
    if one != other:
        number = f"+211{national}"
        assert reporter_key(number, one) != reporter_key(number, other)


def test_pseudonymising_without_a_pepper_is_refused() -> None:
    with pytest.raises(ValueError, match="pepper"):
        pseudonymise("+211912345678", pepper="", default_region="SS")


# --- channels.keywords.parse_keyword / channels.messages.fold -------------------------------------------

KEYWORDS = sorted(
    {
        (word, kind)
        for kinds in MESSAGES.keywords.values()
        for kind in ("help", "stop")
        for word in kinds.get(kind, ())
    }
)


@FAST
@given(TEXT, st.one_of(st.none(), st.text(max_size=12)))
def test_parse_keyword_never_raises_and_answers_a_known_kind(text: str, panic: str | None) -> None:
    keyword = parse_keyword(text, MESSAGES, panic_word=panic)
    assert keyword is None or (isinstance(keyword, Keyword) and keyword.kind in KINDS)
    if keyword is not None and keyword.kind == "join":
        assert keyword.argument == keyword.argument.upper()


@FAST
@given(
    st.sampled_from(KEYWORDS),
    st.sampled_from([str.lower, str.upper, str.title, str]),
    st.sampled_from(["", " ", "  \t", "\n"]),
    st.sampled_from(["", ".", "!", "!!", "?", "..."]),
)
def test_a_keyword_is_read_whatever_its_case_spacing_and_trailing_punctuation(
    pair: tuple[str, str], case: object, space: str, punctuation: str
) -> None:
    word, kind = pair
    plain = parse_keyword(word, MESSAGES)
    assert plain is not None
    assert plain.kind in {kind, "panic"}
    assert parse_keyword(space + case(word) + punctuation + space, MESSAGES) == plain  # type: ignore[operator]


@FAST
@given(TEXT)
def test_fold_is_idempotent_single_spaced_and_stripped(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert once == once.strip()
    assert "  " not in once


# --- Twilio inbound parser ------------------------------------------------------------------------------

SID = st.from_regex(r"(SM|MM)[0-9a-f]{32}", fullmatch=True)


@FAST
@given(
    SID,
    SS_NUMBER,
    TEXT,
    st.dictionaries(st.sampled_from(["ToCountry", "ApiVersion", "X"]), st.text(max_size=30)),
)
def test_twilio_parse_keeps_body_id_and_fields_and_drops_the_number(
    sid: str, national: str, body: str, extra: dict[str, str]
) -> None:
    number = f"+211{national}"
    form = extra | {"MessageSid": sid, "From": number, "Body": body, "ProfileName": "Amani", "WaId": national}
    parsed = twilio.parse_message(form, pepper=PEPPER, default_region="SS")
    key = pseudonymise(number, pepper=PEPPER, default_region="SS")
    assert parsed.provider_message_id == sid
    assert parsed.content["text"] == body  # kept exactly as sent, hostile bytes included
    assert parsed.reporter_key == key == parsed.payload["From"]
    assert parsed.channel == "sms"
    assert {k: v for k, v in parsed.payload.items() if k != "From"} == extra | {
        "MessageSid": sid,
        "Body": body,
    }
    assert "ProfileName" not in parsed.payload
    assert "WaId" not in parsed.payload
    assert not any(national in v for k, v in parsed.payload.items() if k != "Body")


@FAST
@given(
    st.dictionaries(
        st.sampled_from(
            [
                *twilio.MESSAGE_ID_FIELDS,
                "From",
                "Body",
                "NumMedia",
                "NumSegments",
                "Latitude",
                "Longitude",
                "MediaUrl0",
            ]
        ),
        st.one_of(TEXT, st.integers(-5, 10**12).map(str)),
    )
)
def test_twilio_parse_of_any_form_reads_it_or_raises_payload_invalid_and_salvage_always_works(
    form: dict[str, str],
) -> None:
    try:
        parsed = twilio.parse_message(form, pepper=PEPPER, default_region="SS")
    except PayloadInvalid as exc:
        salvaged = twilio.salvage_message(form, str(exc), pepper=PEPPER, default_region="SS")
        assert salvaged.provider_message_id.startswith("invalid-")
        assert salvaged.content["text"] == form.get("Body", "")
        assert not set(salvaged.payload) & (set(twilio.SENDER_FIELDS) - {"From"})
        return
    assert parsed.content["text"] == form.get("Body", "")
    assert len(parsed.provider_message_id) <= twilio.MAX_MESSAGE_ID
    assert len(parsed.content.get("media", [])) <= twilio.MAX_MEDIA
    if "lat" in parsed.content:
        assert -90 <= parsed.content["lat"] <= 90
        assert -180 <= parsed.content["lon"] <= 180


# --- Africa's Talking parsers ---------------------------------------------------------------------------


@FAST
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),  # noqa: DTZ001
    st.sampled_from(at_sms.DATE_FORMATS),
)
def test_at_dates_round_trip_in_both_documented_forms(moment: datetime, fmt: str) -> None:
    moment = moment.replace(microsecond=0)
    assert at_sms.parse_at_date(moment.strftime(fmt)) == moment.replace(tzinfo=UTC)


@FAST
@given(TEXT)
def test_at_date_parser_answers_none_rather_than_raising(raw: str) -> None:
    parsed = at_sms.parse_at_date(raw)
    assert parsed is None or parsed.tzinfo is UTC


@FAST
@given(
    st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=60),
    SS_NUMBER,
    TEXT.filter(str.strip),
)
def test_at_sms_parse_keeps_id_and_text_and_drops_the_number(
    message_id: str, national: str, text: str
) -> None:
    number = f"+211{national}"
    form = {"id": message_id, "from": number, "text": text, "to": "12345", "linkId": "abc"}
    parsed = at_sms.parse_message(form, pepper=PEPPER, default_region="SS")
    assert parsed.provider_message_id == message_id
    assert parsed.content == {"text": text}
    assert (
        parsed.reporter_key
        == parsed.payload["from"]
        == pseudonymise(number, pepper=PEPPER, default_region="SS")
    )
    assert parsed.payload == form | {"from": parsed.reporter_key}


@FAST
@given(st.dictionaries(st.sampled_from(["id", "from", "text", "date", "to"]), TEXT))
def test_at_sms_parse_of_any_form_reads_it_or_raises_payload_invalid(form: dict[str, str]) -> None:
    try:
        parsed = at_sms.parse_message(form, pepper=PEPPER, default_region="SS")
    except PayloadInvalid as exc:
        salvaged = at_sms.salvage_message(form, str(exc), pepper=PEPPER, default_region="SS")
        assert salvaged.content["text"] == form.get("text", "")
        assert salvaged.payload.get("from") in (None, salvaged.reporter_key)
        return
    assert parsed.content["text"] == form["text"]
    assert parsed.payload["from"] == parsed.reporter_key


@FAST
@given(
    st.dictionaries(st.sampled_from(["sessionId", "phoneNumber", "text", "serviceCode", "networkCode"]), TEXT)
)
def test_at_ussd_hop_keeps_her_text_as_sent_or_raises_payload_invalid(form: dict[str, str]) -> None:
    try:
        hop = at_ussd.parse_hop(form, pepper=PEPPER, default_region="SS")
    except PayloadInvalid:
        assert (
            not form.get("sessionId", "").strip()
            or not form.get("phoneNumber", "").strip()
            or (len(form["sessionId"].strip()) > at_ussd.MAX_SESSION_ID)
            or len(form.get("text", "")) > at_ussd.MAX_INPUTS
        )
        return
    assert hop.text == form.get("text", "")
    assert hop.session_id == form["sessionId"].strip()
    assert re.fullmatch(r"[0-9a-f]{64}", hop.reporter_key)


@FAST
@given(
    st.dictionaries(
        st.sampled_from(["phoneNumber", "status", "durationInMillis", "hopsCount", "input", "date", "cost"]),
        st.one_of(
            TEXT,
            st.integers(-5, 10**12).map(str),
            st.sampled_from(["²", "٣", "1_000", " 12 ", "9" * 5000]),
        ),
    ),
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=40),
)
def test_at_ussd_session_end_reads_any_notice_with_a_session_id(
    form: dict[str, str], session_id: str
) -> None:
    if len(form.get("input", "")) > at_ussd.MAX_INPUTS:
        with pytest.raises(PayloadInvalid, match="'input' longer than"):
            at_ussd.parse_session_end(form | {"sessionId": session_id}, pepper=PEPPER, default_region="SS")
        return
    end = at_ussd.parse_session_end(form | {"sessionId": session_id}, pepper=PEPPER, default_region="SS")
    assert end.session_id == session_id
    for count in (end.duration_ms, end.hops):
        assert count is None or (isinstance(count, int) and 0 <= count <= at_ussd.MAX_COUNT)
    assert end.input == form.get("input", "")


@FAST
@given(TEXT, st.booleans())
def test_at_ussd_render_prefixes_con_or_end_and_keeps_lines_without_trailing_space(
    screen: str, ends: bool
) -> None:
    body = at_ussd.render(screen, ends)
    assert body.startswith("END " if ends else "CON ")
    assert all(line == line.rstrip() for line in body[4:].split("\n"))


# --- USSD state machine: random walks, hop by hop, in every language ------------------------------------

PLACES = (PlaceOption("SS-BEN", "Bentiu"), PlaceOption("SS-RUB", "Rubkona"), PlaceOption("SS-GUI", "Guit"))
ANSWER = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "00", "99", "#", ""]),
    HOSTILE.filter(lambda s: len(s) < 200),
    st.text(max_size=30),
)


def _fits(text: str) -> bool:
    return septets(text) <= 160 if is_gsm7(text) else utf16_units(text) <= 75


@SLOW
@given(st.sampled_from(sorted(MENUS.languages)), st.lists(ANSWER, max_size=12), st.sampled_from([(), PLACES]))
def test_every_hop_of_a_random_session_gives_a_screen_that_fits_in_every_language(
    language: str, answers: list[str], places: tuple[PlaceOption, ...]
) -> None:
    ended = False
    for hop in range(len(answers) + 1):
        text = "*".join(answers[:hop])
        outcome = next_screen(text, language=language, menus=MENUS, taxonomy=TAXONOMY, places=places)
        if isinstance(outcome, Submission):
            shown = outcome.screen.format(ref="ACDEF347")
            assert outcome.category in TAXONOMY.categories
            ended = True
        elif isinstance(outcome, LanguageChange):
            shown = outcome.screen.text
            assert outcome.language in MENUS.languages
        else:
            assert isinstance(outcome, Screen)
            shown, ended = outcome.text, outcome.ends
        assert shown.strip()
        assert _fits(shown), (language, text, shown)
        if ended:
            break  # the telco closes the session: no further hop arrives


# --- geo.placenames -------------------------------------------------------------------------------------


@FAST
@given(TEXT)
@example("Kilo5 d'Obo 7aram")
@example("pk 12 PK12")
def test_normalise_place_never_raises_and_gives_single_spaced_lowercase_keys(text: str) -> None:
    key = normalise_place(text)
    assert key == key.strip()
    assert "  " not in key
    assert key == key.casefold()


@FAST
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèç'’ -0123456789", max_size=40))
@example("a'0")  # the apostrophe hid "a0" from the name-and-number rule on the first pass
@example("2A0")  # the Arabizi 2 left "a0" behind
@example("3'ana5 kilo5 pk'12 d'Obo")
@example("0ee")  # squashed to the ordinal "0e"
def test_normalise_place_is_idempotent_so_a_stored_key_is_its_own_key(text: str) -> None:
    key = normalise_place(text)
    assert normalise_place(key) == key


@FAST
@given(TEXT)
def test_place_spans_are_within_the_text_tokens(text: str) -> None:
    found = find_place_spans(text, PLACE_WORDS)
    assert isinstance(found.near, bool)
    for span in found.spans:
        assert 0 <= span.start < span.end <= len(found.tokens)
        assert span.key == span.key.strip()
        assert span.key


# --- alerts.triage.classify on arbitrary text ---------------------------------------------------------------


@SLOW
@given(TEXT, st.sampled_from([None, "sms", "ussd", "whatsapp"]))
def test_classifier_reads_any_text_into_a_known_category(text: str, channel: str | None) -> None:
    result = CLASSIFIER(text, channel=channel)
    assert result.category in TAXONOMY.categories
    assert all(score >= 0 for score in result.scores.values())
    assert result.flags["channel"] == channel
    assert result == CLASSIFIER(text, channel=channel)
