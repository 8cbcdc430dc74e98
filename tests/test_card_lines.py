"""The Metaplan length rule: at most three lines at the card's width on the board."""

from __future__ import annotations

import json

import pytest

from board import card_lines
from board.card_lines import LINE_EMS, MAX_LINES, fits, lines_of


def test_a_short_idea_takes_one_line() -> None:
    assert lines_of("Mehr Zeit") == 1


def test_words_wrap_at_the_card_width_not_at_a_character_count() -> None:
    # Both texts have 40 characters; the wide letters need more lines than the narrow ones.
    narrow = "illi " * 8
    wide = "MWMW " * 8
    assert len(narrow) == len(wide)
    assert lines_of(narrow) < lines_of(wide)


def test_a_line_fills_up_to_the_card_width() -> None:
    word = "a" * int(LINE_EMS / card_lines.char_em("a"))  # exactly one line of a's
    assert lines_of(word) == 1
    assert lines_of(word + "a") == 2  # one letter more breaks the word


def test_three_lines_fit_a_fourth_does_not() -> None:
    line = "Kunden"
    space = card_lines.SPACE_EM
    per_line = int((LINE_EMS + space) / (card_lines.width(line) + space))  # words in a line
    three = " ".join([line] * per_line * MAX_LINES)
    assert lines_of(three) == MAX_LINES
    assert fits(three)
    assert not fits(three + " " + line)


def test_own_line_breaks_count_as_lines() -> None:
    assert lines_of("eins\nzwei\ndrei") == 3
    assert lines_of("eins\nzwei\ndrei\nvier") == 4


def test_a_word_longer_than_the_card_is_broken_over_lines() -> None:
    word = "Kundenzufriedenheitsbefragungsergebnisauswertung"
    assert card_lines.width(word) > LINE_EMS
    assert lines_of(word) >= 2


@pytest.mark.parametrize("char", ["😀", "漢"])
def test_emoji_and_east_asian_characters_count_wide(char: str) -> None:
    assert card_lines.char_em(char) > card_lines.char_em("M")


def test_the_phone_gets_the_same_numbers() -> None:
    data = json.loads(card_lines.as_data())
    assert data["lines"] == MAX_LINES
    assert data["line"] == LINE_EMS
    assert data["widths"] == card_lines.WIDTHS


def test_every_character_has_one_width() -> None:
    seen = [char for chars in card_lines.WIDTHS.values() for char in chars]
    assert len(seen) == len(set(seen))
