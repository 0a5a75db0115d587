from __future__ import annotations

import re
from pathlib import Path

import pytest

from alerts.triage.taxonomy import load_taxonomy
from channels.gsm import utf16_units
from channels.messages import (
    SAMPLE_VALUES,
    TEMPLATE_KEYS,
    Messages,
    category_terms,
    check_templates,
    fold,
    has_arabic_script,
    keyword_clashes,
    load_messages,
    render,
)
from tests.unit.channels.sms_parts import encoding, fits_one_sms, segments

pytestmark = pytest.mark.unit

MESSAGES = load_messages()
TAXONOMY = load_taxonomy()
TAXONOMY_TERMS = category_terms(TAXONOMY)
EVERY_TEMPLATE = [
    (language, key, template)
    for language, templates in MESSAGES.templates.items()
    for key, template in templates.items()
]


def small(
    templates: dict[str, dict[str, str]], deny: tuple[str, ...] = ("viol", "ONU", "JOC", "UN")
) -> Messages:
    english = {key: "Ref {ref}: ok." for key in TEMPLATE_KEYS}
    return Messages(
        templates={"en": english, **templates},
        deny={"test": deny},
        keywords={},
        panic="MAMA",
        language_names={},
    )


def test_every_language_has_every_template() -> None:
    assert {"en", "fr", "ar", "sw", "sg"} <= set(MESSAGES.languages)
    for language in MESSAGES.languages:
        assert set(MESSAGES.templates[language]) == set(TEMPLATE_KEYS), language


def test_every_template_in_every_language_passes_the_safety_check() -> None:
    # R9 and R32, against the category labels (every language) and codes of the shipped taxonomy.
    assert check_templates(MESSAGES, TAXONOMY_TERMS) == []


@pytest.mark.parametrize(("language", "key", "template"), EVERY_TEMPLATE)
def test_every_template_is_one_sms_in_its_encoding(language: str, key: str, template: str) -> None:
    text = template.format(**SAMPLE_VALUES)
    if language == "ar":
        assert encoding(text) == "UCS-2"
        assert utf16_units(text) <= 70
    else:
        assert encoding(text) == "GSM-7"
        assert not has_arabic_script(text)
    assert segments(text) == 1
    assert fits_one_sms(text)


@pytest.mark.parametrize("key", ["receipt", "passed_on", "closure", "more_info"])
def test_the_three_reporter_messages_carry_the_reference_and_nothing_else(key: str) -> None:
    for language in MESSAGES.languages:
        text = render(MESSAGES, key, language, ref="K7Q")
        assert "K7Q" in text
        assert "{" not in text


def test_safe_wording_of_domain_6_5() -> None:
    assert render(MESSAGES, "receipt", "en", ref="K7Q") == "Thanks, received. Ref K7Q"
    assert render(MESSAGES, "receipt", "fr", ref="K7Q") == "Merci, bien recu. Ref K7Q"
    assert render(MESSAGES, "passed_on", "en", ref="K7Q") == "Ref K7Q: passed on."
    assert render(MESSAGES, "passed_on", "fr", ref="K7Q") == "Ref K7Q: transmis."


@pytest.mark.parametrize("language", ["xx", "", None])
def test_render_falls_back_to_english_for_an_unknown_language(language: str | None) -> None:
    assert render(MESSAGES, "receipt", language, ref="K7Q") == "Thanks, received. Ref K7Q"


def test_render_falls_back_to_english_for_a_missing_key() -> None:
    messages = small({"fr": {"receipt": "Merci. Ref {ref}"}})
    assert render(messages, "receipt", "fr", ref="A") == "Merci. Ref A"
    assert render(messages, "closure", "fr", ref="A") == "Ref A: ok."
    with pytest.raises(KeyError):
        render(messages, "rate_limited", "fr", ref="A")


def test_the_panic_word_is_configuration_with_an_innocuous_default() -> None:
    assert MESSAGES.panic == "MAMA"
    assert keyword_clashes(MESSAGES) == []


def test_the_shipped_deny_list_covers_domain_6_5_and_the_missions() -> None:
    words = {fold(word) for group in MESSAGES.deny.values() for word in group}
    assert {"viol", "rape", "attaque", "attack", "onu", "un", "monusco", "joc"} <= words
    assert {"minusca", "unmiss", "unisfa", "unifil"} <= words


def test_a_clean_template_has_no_problem() -> None:
    assert check_templates(small({"fr": {"receipt": "Merci, bien recu. Ref {ref}"}}), ["Attaque"]) == []


@pytest.mark.parametrize(
    ("template", "labels", "problem"),
    [
        ("Merci, bien reçu. Ref {ref}", [], "not GSM-7 because of 'ç'"),
        ("Merci, c’est recu. Ref {ref}", [], "not GSM-7 because of '’'"),
        ("« Merci » Ref {ref}", [], "not GSM-7"),
        ("Ref {ref} n° 4", [], "not GSM-7 because of '°'"),
        ("Ref {ref} " + "a" * 150, [], "more than one SMS"),
        ("Ref {ref} " + "€" * 75, [], "163 septets, more than one SMS"),
        ("Ref {ref}: " + "ش" * 60, [], "characters in Arabic script, more than 70"),
        ("Ref {ref}: VIOL signale.", [], "deny-listed word 'viol'"),
        ("Ref {ref}: envoyé à l'ONU.", [], "deny-listed word 'ONU'"),
        ("Ref {ref}: Joc informé.", [], "deny-listed word 'JOC'"),
        ("Ref {ref}: voir un agent.", [], "deny-listed word 'UN'"),
        ("Ref {ref}: attaque notée.", ["Attaque"], "category label 'Attaque'"),
        ("Ref {ref}: election.", ["Élection"], "category label 'Élection'"),
        ("Ref {ref}: ENLEVEMENT.", ["Enlèvement"], "category label 'Enlèvement'"),
        ("Ref {ref}: cattle  raid.", ["Looting, burning, cattle raid"], "category label 'cattle raid'"),
        ("Ref {ref}: paix.", ["Paix"], "category label 'Paix'"),
        ("المرجع {ref}: والهجوم", ["هجوم على أشخاص", "هجوم"], "category label 'هجوم'"),
        ("المرجع {ref}: أخرى", ["أخرى"], "category label 'أخرى'"),
        ("Ref {ref}: ATK.", ["ATK"], "category label 'ATK'"),
        ("Ref {place}: ok.", [], "placeholders ['place'] beyond ['ref']"),
        ("Ref {ref} {date}", [], "placeholders ['date'] beyond ['ref']"),
        ("Ref {ref", [], "unreadable placeholder"),
        ("Merci.", [], "placeholders differ from en"),
    ],
)
def test_a_bad_template_is_caught(template: str, labels: list[str], problem: str) -> None:
    problems = check_templates(small({"fr": {"receipt": template}}), labels)
    assert any(p.startswith("fr.receipt: ") and problem in p for p in problems), problems


@pytest.mark.parametrize(
    "template",
    [
        "Ref {ref}: violet, aucun souci.",  # "viol" and "un" inside longer words
        "Ref {ref}: tout est fini.",  # "fini" is not "UN"
        "Ref {ref}: thank you.",
        "المرجع {ref}: تم الاستلام.",  # contains the letters of "سلام" (peace) but not the word
    ],
)
def test_words_that_merely_contain_a_forbidden_word_are_not_caught(template: str) -> None:
    assert check_templates(small({"fr": {"receipt": template}}), ["Paix", "سلام"]) == []


def test_every_problem_is_reported_not_only_the_first() -> None:
    messages = small(
        {
            "fr": {"receipt": "Viol signalé à l'ONU. Réf {ref}", "reciept": "Ref {ref}"},
            "sw": {"closure": "Ref {ref}: ubakaji " + "x" * 160},
        },
        deny=("viol", "ONU", "ubakaji"),
    )
    problems = check_templates(messages, [])
    assert len([p for p in problems if p.startswith("fr.receipt")]) == 2
    assert "fr.reciept: unknown template key" in problems
    assert len([p for p in problems if p.startswith("sw.closure")]) == 2


def test_a_missing_english_template_is_a_problem() -> None:
    messages = Messages(
        templates={"en": {"receipt": "Ref {ref}"}}, deny={}, keywords={}, panic="x", language_names={}
    )
    problems = check_templates(messages, [])
    assert "en.closure: missing (it is the fallback)" in problems
    assert len(problems) == len(TEMPLATE_KEYS) - 1


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("  ÉLECTION   ", "election"),
        ("Arrêté", "arrete"),
        ("reçu", "recu"),
        ("l’ONU", "l'onu"),
        ("ɛ ɔ ɲ ŋ Œuvre", "e o ny ng oeuvre"),
        ("إيقاف", "ايقاف"),
        ("مساعدة", "مساعده"),
        ("اللُّغَة", "اللغه"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "messages.toml"
    path.write_text(body, encoding="utf-8")
    return path


ENGLISH = "\n".join(f'{key} = "Ref {{ref}}"' for key in TEMPLATE_KEYS)


def test_load_rejects_a_file_without_complete_english(tmp_path: Path) -> None:
    path = write(tmp_path, '[templates.en]\nreceipt = "Ref {ref}"\n[keywords]\npanic = "MAMA"\n')
    with pytest.raises(ValueError, match=r"en\.passed_on: missing \(it is the fallback\)"):
        load_messages(path)


def test_load_rejects_a_file_without_a_panic_word(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="panic word"):
        load_messages(write(tmp_path, f"[templates.en]\n{ENGLISH}\n"))


def test_load_rejects_a_word_that_would_mean_two_commands(tmp_path: Path) -> None:
    body = f'[templates.en]\n{ENGLISH}\n[keywords]\npanic = "Stop"\n[keywords.en]\nstop = ["stop"]\n'
    with pytest.raises(ValueError, match="'stop' means panic and stop"):
        load_messages(write(tmp_path, body))


def test_load_rejects_an_unknown_keyword_kind(tmp_path: Path) -> None:
    body = f'[templates.en]\n{ENGLISH}\n[keywords]\npanic = "MAMA"\n[keywords.en]\nrestart = ["start"]\n'
    with pytest.raises(ValueError, match="unknown keyword kind 'restart'"):
        load_messages(write(tmp_path, body))


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Viol signale. Ref {ref}", "fr.receipt: deny-listed word 'viol'"),
        ("Pillage recu. Ref {ref}", "fr.receipt: category label 'Pillage'"),
        ("Merci, bien reçu. Ref {ref}", "fr.receipt: not GSM-7"),
    ],
)
def test_load_refuses_a_deployments_template_that_would_reveal_or_not_fit(
    tmp_path: Path, template: str, problem: str
) -> None:
    """R9 and R32 hold for the file a deployment edits, not only for the shipped one: it is checked
    when it is loaded, against its own deny-list and the taxonomy's codes and labels."""
    body = (
        f'[templates.en]\n{ENGLISH}\n[templates.fr]\nreceipt = "{template}"\n'
        '[deny]\nfr = ["viol"]\n[keywords]\npanic = "MAMA"\n'
    )
    with pytest.raises(ValueError, match=re.escape(problem)):
        load_messages(write(tmp_path, body), taxonomy=TAXONOMY)
