"""German by default, English on request; every text exists in both and fills the same gaps."""

from __future__ import annotations

import re
import string

import pytest

from board.cards import COLOURS
from board.i18n import DEFAULT, LANGUAGES, MESSAGES, choose_language, translate, translator
from board.settings import ROOT, TEMPLATES_DIR


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# -- which language ------------------------------------------------------------


def test_german_is_the_default() -> None:
    assert DEFAULT == "de"
    assert choose_language(None, None) == "de"
    assert choose_language("", "") == "de"


def test_the_language_switch_cookie_wins_over_the_browser() -> None:
    assert choose_language("en", "de-DE,de;q=0.9") == "en"
    assert choose_language("de", "en-US,en;q=0.9") == "de"


def test_a_cookie_for_a_language_we_do_not_have_is_ignored() -> None:
    assert choose_language("fr", "en-GB") == "en"
    assert choose_language("fr", None) == "de"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("de-CH", "de"),
        ("EN-gb", "en"),
        ("de;q=0.5, en;q=0.9", "en"),  # the q-value counts, not the position
        ("en;q=0.4,de;q=0.8", "de"),
        ("fr-FR,fr;q=0.9,en;q=0.3", "en"),  # the best language we have
        ("fr-FR,it;q=0.5", "de"),  # none we have: the default
        ("en, de", "en"),  # equal q-values: the first
        ("*", "de"),
    ],
)
def test_the_browser_s_accept_language_is_weighed_by_q_value(header: str, expected: str) -> None:
    assert choose_language(None, header) == expected


def test_a_malformed_q_value_does_not_break_the_page() -> None:
    assert choose_language(None, "en;q=abc, de;q=0.1") == "de"


def test_a_language_the_browser_marks_not_acceptable_is_not_chosen() -> None:
    # q=0 means "not acceptable" (RFC 9110, 12.4.2).
    assert choose_language(None, "fr, en;q=0") == "de"
    assert choose_language(None, "en;q=0, de;q=0") == "de"
    assert choose_language(None, "de;q=0, en;q=0.1") == "en"


# -- the texts -----------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_exists_in_german_and_english(key: str) -> None:
    assert set(MESSAGES[key]) == set(LANGUAGES)
    assert all(text.strip() for text in MESSAGES[key].values())


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_german_and_english_fill_the_same_placeholders(key: str) -> None:
    assert placeholders(MESSAGES[key]["de"]) == placeholders(MESSAGES[key]["en"])


def test_a_message_is_filled_with_its_parameters() -> None:
    assert translate("en", "card_too_long", max=120) == (
        "The card is too long: at most 120 characters."
    )
    assert translate("de", "join_backoff", seconds=8).endswith(
        "Bitte prüfen Sie den Code und versuchen Sie es in 8 Sekunden wieder."
    )


def test_an_unknown_language_falls_back_to_german() -> None:
    assert translate("fr", "join") == MESSAGES["join"]["de"]


def test_an_unknown_key_shows_the_key_rather_than_failing() -> None:
    assert translate("en", "no_such_key") == "no_such_key"


def test_a_translator_is_bound_to_one_language() -> None:
    t = translator("en")
    assert t("join") == "Join"
    assert t("card_too_many_lines", max=3) == "One idea per card: at most 3 lines."


def test_every_refusal_in_the_code_has_a_message() -> None:
    # translate() shows an unknown key as it is, so a missing text would reach users.
    keys = set()
    for path in (ROOT / "board").glob("*.py"):
        keys |= set(re.findall(r"Refused\(\s*\"(\w+)\"", path.read_text()))
    assert keys, "no refusals found: the pattern no longer matches the code"
    assert keys - set(MESSAGES) == set()


def test_every_text_a_template_asks_for_exists() -> None:
    keys = set()
    for path in TEMPLATES_DIR.rglob("*.html"):
        keys |= set(re.findall(r"\bt\(\s*['\"](\w+)['\"]\s*[,)]", path.read_text()))
    assert keys, "no t('...') calls found: the pattern no longer matches the templates"
    assert keys - set(MESSAGES) == set()


@pytest.mark.parametrize("colour", COLOURS)
def test_every_card_colour_has_a_name(colour: str) -> None:
    assert f"colour_{colour}" in MESSAGES
