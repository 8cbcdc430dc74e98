"""Workshops, join codes read off a projector, titles and nicknames."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import replace

import pytest

from board.errors import Refused
from board.i18n import MESSAGES
from board.workshops import (
    CODE_ALPHABET,
    CODE_LENGTH,
    JOIN_DISPLAYS,
    MAX_NICKNAME_LENGTH,
    MAX_TITLE_LENGTH,
    Workshop,
    clean_nickname,
    clean_title,
    code_refusal,
    new_id,
    new_join_code,
    normalise_code,
    show_join,
)

AMBIGUOUS = "0O1IL2Z5S8B"


def refusal(command: Callable[[], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        command()
    return caught.value


# -- join codes ----------------------------------------------------------------


@pytest.mark.parametrize("character", AMBIGUOUS)
def test_the_code_alphabet_has_no_characters_that_look_alike(character: str) -> None:
    assert character not in CODE_ALPHABET


def test_the_code_alphabet_is_upper_case_letters_and_digits_without_repeats() -> None:
    assert set(CODE_ALPHABET) <= set(string.ascii_uppercase + string.digits)
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET)


def test_a_new_join_code_has_six_characters_from_the_alphabet() -> None:
    for _ in range(200):
        code = new_join_code()
        assert len(code) == CODE_LENGTH == 6
        assert set(code) <= set(CODE_ALPHABET)


def test_new_join_codes_differ() -> None:
    # 25**6 codes: fifty draws that repeat one point to a broken generator, not to luck.
    assert len({new_join_code() for _ in range(50)}) == 50


@pytest.mark.parametrize(
    "typed", ["K7M4QX", "k7m4qx", "K7M-4QX", "k7m 4qx", " K7M - 4QX ", "K-7-M-4-Q-X", "k7m\t4qx"]
)
def test_a_code_is_accepted_as_people_type_it(typed: str) -> None:
    assert normalise_code(typed) == "K7M4QX"


def test_the_example_code_in_the_help_text_is_a_valid_code() -> None:
    for lang, text in MESSAGES["code_malformed"].items():
        example = re.search(r"[A-Z0-9]{3}-[A-Z0-9]{3}", text)
        assert example is not None, lang
        assert normalise_code(example.group()) is not None, lang


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "K7M4Q",  # too short
        "K7M4QXA",  # too long
        "K7M4Q0",  # zero is not in the alphabet
        "K7M4QO",  # nor is the letter O
        "K7M4Q5",
        "K7M4Q!",
        "K7M.4QX",
    ],
)
def test_a_code_that_cannot_be_one_is_rejected(typed: str) -> None:
    assert normalise_code(typed) is None


def test_every_code_from_the_generator_survives_normalising() -> None:
    for _ in range(50):
        code = new_join_code()
        typed = f"{code[:3].lower()}-{code[3:]}"
        assert normalise_code(typed) == code


def test_ids_are_url_safe_and_unique() -> None:
    ids = {new_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)


# -- titles and nicknames ----------------------------------------------------------


def test_a_title_is_stored_with_its_whitespace_collapsed() -> None:
    assert clean_title("  Retro \n Sprint   42 ") == "Retro Sprint 42"


@pytest.mark.parametrize("raw", ["", "   ", "\n\t"])
def test_a_workshop_needs_a_title(raw: str) -> None:
    assert refusal(lambda: clean_title(raw)).key == "title_empty"


def test_a_title_longer_than_the_limit_is_refused() -> None:
    assert clean_title("x" * MAX_TITLE_LENGTH) == "x" * MAX_TITLE_LENGTH
    error = refusal(lambda: clean_title("x" * (MAX_TITLE_LENGTH + 1)))
    assert error.key == "title_too_long"
    assert error.params == {"max": MAX_TITLE_LENGTH}


@pytest.mark.parametrize("raw", ["", "   ", "\n"])
def test_without_a_nickname_a_participant_stays_anonymous(raw: str) -> None:
    assert clean_nickname(raw) is None


def test_a_nickname_is_stored_with_its_whitespace_collapsed() -> None:
    assert clean_nickname("  Anna \t B. ") == "Anna B."


def test_a_nickname_longer_than_the_limit_is_refused() -> None:
    assert clean_nickname("x" * MAX_NICKNAME_LENGTH) == "x" * MAX_NICKNAME_LENGTH
    error = refusal(lambda: clean_nickname("x" * (MAX_NICKNAME_LENGTH + 1)))
    assert error.key == "nickname_too_long"
    assert error.params == {"max": MAX_NICKNAME_LENGTH}


def test_a_code_typed_with_an_o_for_a_zero_names_the_characters_no_code_has() -> None:
    """Six characters typed, but 0 and O (and 1, I …) are never in a code."""
    refusal = code_refusal("k0m-4qo")
    assert (refusal.key, refusal.status) == ("code_foreign_characters", 404)
    assert refusal.params == {"chars": "0, O"}
    too_short = code_refusal("K7M4")  # say how long a code is, from the one constant
    assert (too_short.key, too_short.params) == ("code_malformed", {"length": 6})
    assert all(ch in CODE_ALPHABET for ch in "K7M4QX")


# -- how the board shows the way in ---------------------------------------------


def test_the_trainer_chooses_slide_box_or_strip_and_nothing_else() -> None:
    workshop = Workshop("w", "ACDEFG", "Kundenbegeisterung", "s", None, 0, 0.0)
    for display in JOIN_DISPLAYS:
        assert show_join(workshop, display) == [replace(workshop, join_display=display)]
    assert show_join(replace(workshop, join_display="strip"), "strip") == []
    assert refusal(lambda: show_join(workshop, "banner")).key == "join_display_unknown"
