"""The dashboard's catalogs stay whole: every string the code shows is in messages.pot, and French and
Arabic translate every one of them (none missing, empty or fuzzy: a fuzzy entry is shown in English)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

pytestmark = pytest.mark.unit

REPOSITORY = Path(__file__).resolve().parents[3]
TRANSLATIONS = REPOSITORY / "app" / "translations"
LANGUAGES = ("fr", "ar")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
"""As `make translations` extracts them (-k _l -k lazy_gettext)."""


def _read(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def _key(message: Message) -> tuple[str | None, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def _keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {_key(message) for message in catalog if message.id}


def test_the_template_holds_every_string_the_dashboard_shows() -> None:
    with (REPOSITORY / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {
        (context, msgid if isinstance(msgid, str) else msgid[0])
        for _, _, msgid, _, context in extract_from_dir(
            str(REPOSITORY), method_map, options_map, keywords=KEYWORDS
        )
    }
    template = _keys(_read(TRANSLATIONS / "messages.pot"))
    assert found - template == set(), "not in messages.pot: run `make translations` and translate them"
    assert template - found == set(), "in messages.pot but no longer in the code: run `make translations`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(language: str) -> None:
    catalog = _read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    entries = {_key(message): message for message in catalog if message.id}
    missing = _keys(_read(TRANSLATIONS / "messages.pot")) - set(entries)
    assert missing == set(), f"not in the {language} catalog: run `make translations` and translate them"
    untranslated = sorted(
        msgid
        for (_, msgid), message in entries.items()
        if message.fuzzy or not all(message.string if isinstance(message.string, tuple) else [message.string])
    )
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_string(language: str) -> None:
    """``%(name)s`` placeholders match, so a translation never fails or drops a value at run time."""
    catalog = _read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert problems == []
