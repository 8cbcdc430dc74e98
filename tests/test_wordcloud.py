"""The Blitzlicht's word cloud: what a room's "Was nehme ich mit?" leaves on the wall."""

from __future__ import annotations

import itertools

import pytest

from board import wordcloud
from board.stopwords import STOP_WORDS
from board.wordcloud import (
    BOX_HEIGHT,
    BOX_WIDTH,
    CLASS_SCALE,
    MAX_CLOUD_WORDS,
    MIN_FONT,
    CloudWord,
    Placed,
    count_words,
    layout,
    size_class,
    text_width,
    words_of,
)

# -- words ------------------------------------------------------------------------------


def test_a_statement_is_split_into_its_words_without_the_small_ones() -> None:
    assert words_of("Ich nehme mit, dass Zuhören wichtiger ist als Reden!") == [
        "nehme",
        "Zuhören",
        "wichtiger",
        "Reden",
    ]


def test_english_stop_words_go_too() -> None:
    assert words_of("I will listen to the customer more often") == [
        "listen",
        "customer",
        "more",
        "often",
    ]


def test_hyphens_and_apostrophes_inside_a_word_keep_it_whole() -> None:
    assert words_of("Kunden-Feedback: don't wait – ask!") == [
        "Kunden-Feedback",
        "don't",
        "wait",
        "ask",
    ]


def test_digits_single_letters_and_signs_are_no_words() -> None:
    assert words_of("3 x 5 = 15 :-) & A") == []


def test_umlauts_and_sharp_s_are_letters() -> None:
    assert words_of("Spaß, Übung, Größe") == ["Spaß", "Übung", "Größe"]


def test_the_stop_words_are_a_small_german_and_english_list_in_folded_case() -> None:
    assert {"und", "der", "die", "das", "ich", "the", "and", "of"} <= STOP_WORDS
    # Words that carry what a room says stay countable.
    assert not {"nicht", "gut", "team", "kunde", "not", "good"} & STOP_WORDS
    assert all(word == word.casefold() for word in STOP_WORDS)
    assert len(STOP_WORDS) < 400


# -- counting ---------------------------------------------------------------------------


def test_words_are_counted_across_statements_whatever_their_case() -> None:
    said = ["Mehr Zuhören", "zuhören!", "ZUHÖREN und nachfragen", "Nachfragen"]
    assert count_words(said) == [
        CloudWord("Zuhören", 3),
        CloudWord("Nachfragen", 2),
        CloudWord("Mehr", 1),
    ]


def test_a_word_is_shown_as_most_people_wrote_it() -> None:
    said = ["Team", "team", "Team", "Kunde", "kunde"]
    # "Team" twice, "team" once; "Kunde" once each way: the capitalised one wins the tie.
    assert count_words(said) == [CloudWord("Team", 3), CloudWord("Kunde", 2)]


def test_a_tie_of_odd_spellings_goes_to_the_first_alphabetically() -> None:
    assert count_words(["ZuHören", "ZUHÖREN"]) == [CloudWord("ZUHÖREN", 2)]


def test_the_most_said_come_first_and_ties_in_alphabetical_order() -> None:
    said = ["Zeit", "Apfel", "Mut", "Mut"]
    assert [w.text for w in count_words(said)] == ["Mut", "Apfel", "Zeit"]


def test_only_the_most_said_words_are_kept() -> None:
    said = [f"wort{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(60)]
    assert len(count_words(said)) == MAX_CLOUD_WORDS
    assert len(count_words(said, most=5)) == 5


def test_an_echo_of_the_question_is_not_counted_whatever_its_case() -> None:
    said = ["Ich nehme mit: Geduld", "Nehme Geduld mit", "Takeaway: patience"]
    assert count_words(said, echo=["Nehme", "takeaway"]) == [
        CloudWord("Geduld", 2),
        CloudWord("patience", 1),
    ]


def test_nothing_said_counts_nothing() -> None:
    assert count_words([]) == [] and count_words(["und der die"]) == []


# -- size classes -----------------------------------------------------------------------


def test_when_every_word_is_said_once_they_are_all_the_same_size() -> None:
    assert {size_class(1, 1)} == {0}


def test_the_most_said_word_is_largest_and_once_is_smallest() -> None:
    top = len(CLASS_SCALE) - 1
    assert size_class(8, 8) == top and size_class(1, 8) == 0


def test_classes_grow_with_the_count() -> None:
    classes = [size_class(n, 16) for n in range(1, 17)]
    assert classes == sorted(classes) and classes[0] < classes[3] < classes[-1]


# -- layout -----------------------------------------------------------------------------


def overlapping(words: tuple[Placed, ...]) -> list[tuple[str, str]]:
    def meet(a: Placed, b: Placed) -> bool:
        return a.x < b.x + b.width and b.x < a.x + a.width and a.top < b.bottom and b.top < a.bottom

    return [(a.text, b.text) for a, b in itertools.combinations(words, 2) if meet(a, b)]


def outside(words: tuple[Placed, ...]) -> list[str]:
    return [
        w.text
        for w in words
        if w.x < 0 or w.top < 0 or w.x + w.width > BOX_WIDTH or w.bottom > BOX_HEIGHT
    ]


ROOMS = {
    "one word": [CloudWord("Zuhören", 1)],
    "a small round": [
        CloudWord("Zuhören", 4),
        CloudWord("Nachfragen", 3),
        CloudWord("Kunde", 2),
        CloudWord("Geduld", 1),
        CloudWord("Mut", 1),
    ],
    "forty different words": [CloudWord(f"Begriff{i:02d}", 1) for i in range(40)],
    "a long compound": [
        CloudWord("Donaudampfschifffahrtsgesellschaftskapitänsmütze", 9),
        CloudWord("Wertschätzung", 5),
        CloudWord("ok", 1),
    ],
    "wide letters": [CloudWord("MMMMMMMMMMMMWWWWWWWWWW", 6)]
    + [CloudWord("Wim", n) for n in (5, 4, 3)],
    "eighty statements' words": [CloudWord(f"Kundenorientierung{i}", 40 - i) for i in range(40)],
}


@pytest.mark.parametrize("words", ROOMS.values(), ids=ROOMS.keys())
def test_no_word_overlaps_another_or_leaves_the_box(words: list[CloudWord]) -> None:
    cloud = layout(words)
    assert cloud.words, "nothing placed"
    assert overlapping(cloud.words) == []
    assert outside(cloud.words) == []


@pytest.mark.parametrize("words", ROOMS.values(), ids=ROOMS.keys())
def test_each_word_is_as_wide_as_its_letters_at_its_size(words: list[CloudWord]) -> None:
    for placed in layout(words).words:
        assert placed.width == pytest.approx(text_width(placed.text) * placed.font_size)
        assert placed.font_size >= MIN_FONT


def test_the_words_said_most_are_largest() -> None:
    cloud = layout(ROOMS["a small round"])
    size = {w.text: w.font_size for w in cloud.words}
    assert size["Zuhören"] > size["Nachfragen"] > size["Kunde"] > size["Mut"]
    assert size["Geduld"] == size["Mut"]


def test_the_word_said_most_sits_in_the_middle_rows() -> None:
    words = [CloudWord(f"Wort{i:02d}", 30 - i) for i in range(30)]
    cloud = layout(words)
    rows = sorted({round(w.baseline, 3) for w in cloud.words})
    top = next(w for w in cloud.words if w.text == "Wort00")
    assert len(rows) >= 3
    assert rows[0] < top.baseline < rows[-1]


def test_a_lone_word_is_large_and_centred() -> None:
    (word,) = layout([CloudWord("Zuhören", 1)]).words
    assert word.x + word.width / 2 == pytest.approx(BOX_WIDTH / 2)
    assert (word.top + word.bottom) / 2 == pytest.approx(BOX_HEIGHT / 2)
    assert word.font_size > 2 * MIN_FONT


def test_the_same_words_give_the_same_cloud() -> None:
    words = ROOMS["a small round"]
    assert layout(words) == layout(list(words))


def test_what_cannot_fit_at_the_smallest_size_is_left_out_rarest_first() -> None:
    many = [CloudWord(f"Verantwortungsbewusstsein{i:03d}", 200 - i) for i in range(200)]
    cloud = layout(many)
    kept = {w.text for w in cloud.words}
    assert 0 < len(kept) < 200
    assert kept == {w.text for w in many[: len(kept)]}  # the most said are the ones kept
    assert overlapping(cloud.words) == [] and outside(cloud.words) == []


def test_a_word_too_long_for_any_row_is_left_out() -> None:
    cloud = layout([CloudWord("Zuhören", 3), CloudWord("x" * 400, 1)])
    assert [w.text for w in cloud.words] == ["Zuhören"]


def test_a_long_word_said_most_is_shrunk_to_a_row_not_left_out() -> None:
    long = "Donaudampfschifffahrtsgesellschaftskapitänsmütze"
    cloud = layout([CloudWord(long, 9), CloudWord("Mut", 1)])
    (placed,) = [w for w in cloud.words if w.text == long]
    assert placed.width <= BOX_WIDTH and placed.size_class == len(CLASS_SCALE) - 1
    assert {w.text for w in cloud.words} == {long, "Mut"}


def test_no_words_no_cloud() -> None:
    assert layout([]).words == ()


def test_wide_letters_are_estimated_wider_than_narrow_ones() -> None:
    assert text_width("MMMM") > text_width("nnnn") > text_width("iiii")
    assert wordcloud.text_width("") == 0
