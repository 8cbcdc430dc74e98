"""German by default, English on request; every text exists in both catalogs and fills the
same gaps; one is singular, numbers and dates are written the language's way."""

from __future__ import annotations

import re
import string
from datetime import datetime

import jinja2
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from jinja2 import nodes

from board.cards import COLOURS
from board.i18n import (
    DEFAULT,
    LANGUAGES,
    MESSAGES,
    catalog_path,
    choose_language,
    decimal,
    number,
    period,
    translate,
    translator,
)
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


# -- the catalogs ----------------------------------------------------------------


def read_catalog(lang: str) -> Catalog:
    """A catalog as Babel reads the file, not through the code under test."""
    with catalog_path(lang).open("rb") as file:
        return read_po(file, locale=lang)


def forms(message: Message) -> list[str]:
    return list(message.string) if message.pluralizable else [message.string]


CATALOGS = {lang: read_catalog(lang) for lang in LANGUAGES}
KEYS = sorted(MESSAGES)


def test_there_is_a_catalog_for_every_language_and_german_is_the_default() -> None:
    assert DEFAULT == "de" and DEFAULT in LANGUAGES
    for lang, catalog in CATALOGS.items():
        assert str(catalog.locale) == lang
        assert len(catalog) > 200, lang


def test_both_catalogs_hold_the_same_keys() -> None:
    keys = {
        lang: {message.id for message in catalog if message.id}
        for lang, catalog in CATALOGS.items()
    }
    assert keys["de"] == keys["en"]


@pytest.mark.parametrize("key", KEYS)
def test_every_message_exists_in_german_and_english(key: str) -> None:
    for lang, catalog in CATALOGS.items():
        message = catalog.get(key)
        assert message is not None, lang
        assert not message.fuzzy, lang
        assert all(text.strip() for text in forms(message)), lang


@pytest.mark.parametrize("key", KEYS)
def test_german_and_english_fill_the_same_placeholders(key: str) -> None:
    # The general (last) form names every parameter; "1 Runde" may leave out the count.
    general = {lang: forms(CATALOGS[lang][key]) for lang in LANGUAGES}
    assert placeholders(general["de"][-1]) == placeholders(general["en"][-1])
    for texts in general.values():
        assert all(placeholders(text) <= placeholders(texts[-1]) for text in texts)


@pytest.mark.parametrize("key", KEYS)
def test_a_plural_message_is_plural_in_both_languages_and_knows_what_it_counts(key: str) -> None:
    plural = {lang: CATALOGS[lang][key].pluralizable for lang in LANGUAGES}
    assert plural["de"] == plural["en"]
    if plural["de"]:
        for catalog in CATALOGS.values():
            assert len(catalog[key].string) == catalog.num_plurals
        # The count is n, or the message's only parameter.
        named = placeholders(forms(CATALOGS["de"][key])[-1])
        assert "n" in named or len(named) <= 1, named


def test_a_message_is_filled_with_its_parameters() -> None:
    assert translate("en", "card_too_long", max=120) == (
        "The card is too long: at most 120 characters."
    )
    assert translate("de", "join_backoff", seconds=8).endswith(
        "Bitte prüfen Sie den Code und versuchen Sie es in 8 Sekunden wieder."
    )


def test_an_unknown_language_falls_back_to_german() -> None:
    assert translate("fr", "join") == MESSAGES["join"]["de"] == "Beitreten"


def test_an_unknown_key_shows_the_key_rather_than_failing() -> None:
    assert translate("en", "no_such_key") == "no_such_key"


def test_a_translator_is_bound_to_one_language() -> None:
    t = translator("en")
    assert t("join") == "Join"
    assert t("card_too_many_lines", max=3) == "One idea per card: at most 3 lines."


# -- plural forms, numbers and dates -------------------------------------------


@pytest.mark.parametrize(
    ("lang", "key", "n", "expected"),
    [
        ("de", "cards_count", 1, "1 Karte"),
        ("de", "cards_count", 2, "2 Karten"),
        ("de", "cards_count", 0, "0 Karten"),
        ("en", "cards_count", 1, "1 card"),
        ("en", "cards_count", 2, "2 cards"),
        ("de", "dots_each", 1, "1 Punkt pro Person"),
        ("de", "dots_each", 3, "3 Punkte pro Person"),
        ("en", "dots_each", 1, "1 dot each"),
        ("de", "voters", 1, "1 teilnehmende Person"),
        ("de", "voters", 12, "12 Teilnehmende"),
        ("en", "voters", 1, "1 participant"),
        ("en", "participants_count", 2, "2 participants"),
        ("de", "cards_hidden_count", 1, "Karte verdeckt"),
        ("de", "cards_hidden_count", 5, "Karten verdeckt"),
    ],
)
def test_one_is_singular_and_more_are_plural(lang: str, key: str, n: int, expected: str) -> None:
    assert translate(lang, key, n=n) == expected


def test_a_refusal_counts_by_its_only_number() -> None:
    # Refused("join_backoff", seconds=…) and Refused("option_full", max=…) name no n.
    assert translate("de", "join_backoff", seconds=1).endswith("in 1 Sekunde wieder.")
    assert translate("en", "join_backoff", seconds=1).endswith("try again in 1 second.")
    assert translate("de", "option_full", max=1) == "Höchstens 1 Punkt pro Thema."
    assert translate("en", "option_full", max=2) == "At most 2 dots per option."


def test_numbers_in_a_message_are_written_the_language_s_way() -> None:
    assert translate("de", "card_too_long", max=1000).endswith("höchstens 1.000 Zeichen.")
    assert translate("en", "card_too_long", max=1000).endswith("at most 1,000 characters.")
    assert translate("de", "cards_count", n=1500) == "1.500 Karten"


@pytest.mark.parametrize(
    ("value", "de", "en"),
    [(2.5, "2,5", "2.5"), (3.0, "3", "3"), (1.75, "1,8", "1.8"), (1234.5, "1.234,5", "1,234.5")],
)
def test_a_mean_is_written_the_language_s_way(value: float, de: str, en: str) -> None:
    assert (decimal(value, "de"), decimal(value, "en")) == (de, en)


def test_counts_are_written_the_language_s_way() -> None:
    assert (number(12345, "de"), number(12345, "en"), number(7, "de")) == ("12.345", "12,345", "7")
    assert number(None, "en") == decimal(None, "de") == "–"


def test_a_period_is_written_in_the_language_s_date_format() -> None:
    start, end = datetime(2026, 3, 5, 14, 0), datetime(2026, 3, 5, 16, 30)
    german = period(start, end, "de")
    english = period(start, end, "en")
    assert german == "05.03.2026, 14:00–16:30"
    assert "05.03.2026" not in english and "Mar 5, 2026" in english
    assert "2:00" in english and "4:30" in english and "PM" in english
    assert "06.03.2026" in period(start, datetime(2026, 3, 6, 9, 0), "de")  # across midnight


# -- every text the code asks for ----------------------------------------------


def test_every_refusal_in_the_code_has_a_message() -> None:
    # translate() shows an unknown key as it is, so a missing text would reach users.
    keys = set()
    for path in (ROOT / "board").rglob("*.py"):
        keys |= set(re.findall(r"Refused\(\s*\"(\w+)\"", path.read_text()))
    assert keys, "no refusals found: the pattern no longer matches the code"
    assert keys - set(MESSAGES) == set()


def template_calls() -> list[tuple[str, str, set[str]]]:
    """Every t('key', …) in the templates: file, key, and the parameters it passes."""
    env = jinja2.Environment()
    found = []
    for path in TEMPLATES_DIR.rglob("*.html"):
        tree = env.parse(path.read_text(encoding="utf-8"))
        for call in tree.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "t" and call.args:
                key = call.args[0]
                if isinstance(key, nodes.Const):
                    found.append((path.name, str(key.value), {kw.key for kw in call.kwargs}))
    return found


def test_every_text_a_template_asks_for_exists() -> None:
    calls = template_calls()
    assert calls, "no t('...') calls found in the templates"
    assert {key for _, key, _ in calls} - set(MESSAGES) == set()


def test_a_template_gives_every_plural_message_its_count() -> None:
    plural = {key for key in MESSAGES if CATALOGS["de"][key].pluralizable}
    missing = [
        (name, key)
        for name, key, params in template_calls()
        if key in plural and "n" not in params and len(params) != 1
    ]
    assert missing == []


@pytest.mark.parametrize("colour", COLOURS)
def test_every_card_colour_has_a_name(colour: str) -> None:
    assert f"colour_{colour}" in MESSAGES


# -- one gender style ------------------------------------------------------------
# German texts name people neutrally ("Teilnehmende", "Kundschaft", "Führungskraft");
# where no neutral word exists, with the Gendersternchen ("Kolleg*innen"). The other
# styles and the generic masculine of the room's people are never used.
OTHER_GENDER_STYLES = {
    "Doppelpunkt": re.compile(r"\w:(in|innen|r|n)\b"),
    "Binnen-I": re.compile(r"[a-zäöü]Innen\b"),
    "Schrägstrich": re.compile(r"\w/-?(in|innen)\b"),
    "Unterstrich": re.compile(r"\w_(in|innen)\b"),
    "Klammer": re.compile(r"\w\((in|innen)\)"),
    "Paarform": re.compile(r"\b(die|der|eine|ein)\s+\w+in\s+oder\s+(der|ein)\s+\w+\b"),
    "generisches Maskulinum": re.compile(
        r"\b(Teilnehmer|Teilnehmern|Mitarbeiter|Mitarbeitern|Kollegen|Kunde|Kunden|Moderator"
        r"|Moderatoren|Trainer|Trainern|Partner)\b(?!-)"
    ),
}
QUOTED = re.compile(r"„[^“]*“")  # a quoted saying ("Der Kunde ist König") stays as said
TEMPLATE_CODE = re.compile(r"\{[{%#].*?[}%#]\}|<[^>]*>", re.S)  # names in code are no text


def german_texts() -> list[tuple[str, str]]:
    """Every German text a trainer or participant reads: the catalog, the exercise files'
    German texts and the templates' literal text, with where each comes from."""
    texts = [
        (f"messages.po {m.id}", m.string if isinstance(m.string, str) else " ".join(m.string))
        for m in CATALOGS["de"]
        if m.id
    ]
    for path in sorted((ROOT / "exercises").glob("*.toml")):
        german = re.findall(r'de = "([^"]*)"', path.read_text(encoding="utf-8"))
        comments = re.findall(r"^#(.*)$", path.read_text(encoding="utf-8"), re.M)
        texts += [(path.name, text) for text in german + comments]
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        text = TEMPLATE_CODE.sub(" ", path.read_text(encoding="utf-8"))
        texts.append((str(path.relative_to(TEMPLATES_DIR)), text))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    texts += [("README.md", text) for text in re.findall(r'de = "([^"]*)"', readme)]
    return texts


def test_german_texts_keep_one_gender_style() -> None:
    found = [
        (where, style, match.group(0))
        for where, text in german_texts()
        for style, pattern in OTHER_GENDER_STYLES.items()
        for match in pattern.finditer(QUOTED.sub("", text))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("Mit Kolleg:innen", "Doppelpunkt"),
        ("Mit KollegInnen", "Binnen-I"),
        ("Mit Kolleg/-innen", "Schrägstrich"),
        ("Das darf nur die Trainerin oder der Trainer.", "Paarform"),
        ("Alle Teilnehmer stimmen ab.", "generisches Maskulinum"),
    ],
)
def test_the_gender_check_finds_each_other_style(text: str, style: str) -> None:
    assert OTHER_GENDER_STYLES[style].search(QUOTED.sub("", text))


def test_the_gender_check_lets_the_chosen_style_pass() -> None:
    for text in ("Mit Kolleg*innen", "12 Teilnehmende", "„Der Kunde ist König“ – stimmt das?"):
        assert not any(p.search(QUOTED.sub("", text)) for p in OTHER_GENDER_STYLES.values())


def test_the_dot_question_calls_its_options_themes_in_german() -> None:
    found = [where for where, text in german_texts() if re.search(r"\bOption(en)?\b", text)]
    assert found == []
