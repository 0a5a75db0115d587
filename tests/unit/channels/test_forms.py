"""The one decoder of providers' form fields: blank is absent, and stripping is the caller's stated choice."""

from __future__ import annotations

import pytest

from channels.errors import PayloadInvalid
from channels.forms import optional, required, whole_number

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("form", "strip", "value"),
    [
        ({"id": " SM1 "}, True, "SM1"),
        ({"id": " SM1 "}, False, " SM1 "),
        ({"id": " ", "old": "SM2"}, False, "SM2"),
    ],
)
def test_a_required_field_is_read_as_the_caller_says(form: dict[str, str], strip: bool, value: str) -> None:
    assert required(form, "id", aliases=("old",), strip=strip) == value


@pytest.mark.parametrize(
    ("form", "message"),
    [({}, "field 'id' required"), ({"id": " \n"}, "field 'id' required"), ({"id": "x" * 5}, "longer than 4")],
)
def test_a_blank_or_oversized_field_is_refused_by_name(form: dict[str, str], message: str) -> None:
    with pytest.raises(PayloadInvalid, match=message):
        required(form, "id", strip=True, max_length=4)


def test_an_optional_field_is_empty_when_absent_and_still_bounded() -> None:
    assert optional({}, "text", strip=False) == ""
    assert optional({"text": " hers "}, "text", strip=False) == " hers "
    with pytest.raises(PayloadInvalid, match="'text' longer than 3"):
        optional({"text": "abcd"}, "text", strip=False, max_length=3)


@pytest.mark.parametrize(
    ("value", "number"),
    [("7", 7), (" 10 ", 10), ("11", None), ("-1", None), ("٣", None), ("9" * 50, None), ("", None)],
)
def test_a_whole_number_is_within_its_maximum_or_none(value: str, number: int | None) -> None:
    assert whole_number(value, 10) == number
