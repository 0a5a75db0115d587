from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.triage.taxonomy import NONE_EW_INDICATOR, load_taxonomy, parse_structured
from alerts.vocabulary import PRIORITIES

pytestmark = pytest.mark.unit
TAXONOMY = load_taxonomy()


def test_fourteen_categories_plus_other_with_unique_codes_and_menu_positions() -> None:
    categories = TAXONOMY.categories
    assert len(categories) == 15
    assert "OTH" in categories
    assert len({c.ussd for c in categories.values()}) == 15
    assert all(len(code) == 3 and code.isascii() and code.isupper() for code in categories)
    assert all(c.priority in PRIORITIES for c in categories.values())


def test_acled_mapping_of_early_warning_categories_and_sexual_violence() -> None:
    for code in ("THR", "MOV", "TEN"):
        assert TAXONOMY[code].acled == NONE_EW_INDICATOR
    assert TAXONOMY["SXV"].acled == ("Violence against civilians", "Sexual violence")
    assert TAXONOMY["SXV"].restricted


def test_every_category_has_english_french_and_arabic_labels() -> None:
    for category in TAXONOMY.categories.values():
        assert {"en", "fr", "ar"} <= set(category.labels), category.code


@pytest.mark.parametrize(
    ("text", "code", "rest"),
    [
        ("SXV Bambari", "SXV", "Bambari"),
        ("sxv bambari hier soir", "SXV", "bambari hier soir"),
        ("2 Kaga Bandoro", "SXV", "Kaga Bandoro"),
        ("4, Bentiu armed men", "ARM", "Bentiu armed men"),
        ("0*1 Bor women stopped going to fields", "MOV", "Bor women stopped going to fields"),
        ("0.2 Wau rumours", "TEN", "Wau rumours"),
        ("ATK", "ATK", ""),
        ("  fig: Malakal gunfire", "FIG", "Malakal gunfire"),
    ],
)
def test_structured_messages_are_read_by_code_or_menu_digit(text: str, code: str, rest: str) -> None:
    parsed = parse_structured(text, TAXONOMY)
    assert parsed is not None
    assert (parsed[0].code, parsed[1]) == (code, rest)


@pytest.mark.parametrize(
    "text", ["", "hello there", "XYZ Bor", "SXVBambari", "23 men came", "the ATK", "0*7 Bor", "0 Bor"]
)
def test_free_text_is_not_mistaken_for_a_code(text: str) -> None:
    assert parse_structured(text, TAXONOMY) is None


@given(st.text())
def test_any_text_parses_or_falls_through_without_error(text: str) -> None:
    parsed = parse_structured(text, TAXONOMY)
    assert parsed is None or parsed[0].code in TAXONOMY.categories
