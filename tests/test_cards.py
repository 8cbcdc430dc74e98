"""The rules of the card wall, played through as a room would: no server, no database.

Walls are built by hand with the small factories below; :func:`after` applies
the returned changes the way the storage layer would, so each test can look
at the wall the room sees next.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from board.cards import (
    COLOURS,
    DEFAULT_COLOUR,
    LOCK_EDITS,
    MAX_HEADING_LENGTH,
    MAX_LINES,
    MAX_MEANING_LENGTH,
    Card,
    Change,
    Cluster,
    Wall,
    add_card,
    create_cluster,
    delete_card,
    delete_own_card,
    dissolve_cluster,
    edit_own_card,
    fix_wording,
    has_legend,
    meanings,
    merge_clusters,
    move_card,
    move_cluster,
    offered_colours,
    rename_cluster,
    set_colours,
    stack,
    start_cluster,
    unstack,
    write_card,
)
from board.changes import Deleted
from board.errors import Refused
from board.steps import Step

MAX_LENGTH = 120  # the default of BOARD_CARD_MAX_LENGTH


# -- factories ----------------------------------------------------------------


def a_step(**fields: Any) -> Step:
    step = Step("step", "ws", 0, "cards", "What slows our releases down?", "open", False, False)
    return replace(step, **fields)


def a_card(
    card_id: str,
    *,
    by: str | None = "anna",
    client: str | None = None,
    text: str | None = None,
    colour: str = "yellow",
    cluster: str | None = None,
    on: str | None = None,
    position: int = 0,
    at: float = 0.0,
    edited: bool = False,
) -> Card:
    return Card(
        id=card_id,
        step_id="step",
        participant_id=by,
        client_id=client,
        text=f"Idea {card_id}" if text is None else text,
        colour=colour,
        cluster_id=cluster,
        stacked_on=on,
        position=position,
        edited=edited,
        created_at=at,
    )


def a_cluster(cluster_id: str, *, heading: str = "", position: int = 0, at: float = 0.0) -> Cluster:
    return Cluster(cluster_id, "step", heading or f"Heading {cluster_id}", position, at)


def a_wall(*items: Card | Cluster, step: Step | None = None) -> Wall:
    return Wall(
        step=step or a_step(),
        cards=tuple(i for i in items if isinstance(i, Card)),
        clusters=tuple(i for i in items if isinstance(i, Cluster)),
    )


def after(wall: Wall, changes: list[Change]) -> Wall:
    """The wall once ``changes`` are stored (deleting what is not there fails loudly)."""
    cards = {c.id: c for c in wall.cards}
    clusters = {c.id: c for c in wall.clusters}
    step = wall.step
    for change in changes:
        if isinstance(change, Deleted):
            del (cards if change.kind is Card else clusters)[change.id]
        elif isinstance(change, Card):
            cards[change.id] = change
        elif isinstance(change, Cluster):
            clusters[change.id] = change
        else:
            step = change
    return Wall(step, tuple(cards.values()), tuple(clusters.values()))


def order(wall: Wall, cluster_id: str | None) -> list[str]:
    """Ids of the top cards of a cluster (None: unsorted) as the wall shows them."""
    return [c.id for c in wall.in_cluster(cluster_id)]


def refusal(command: Callable[[], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        command()
    return caught.value


def write(
    wall: Wall,
    text: str = "More time for testing",
    *,
    by: str | None = "anna",
    client: str | None = None,
    colour: str = "yellow",
    card_id: str = "new",
    now: float = 100.0,
    max_length: int = MAX_LENGTH,
) -> tuple[Card, list[Change]]:
    return add_card(
        wall,
        card_id=card_id,
        participant_id=by,
        client_id=client,
        text=text,
        colour=colour,
        now=now,
        max_length=max_length,
    )


# -- writing cards ------------------------------------------------------------


def test_thirty_phones_write_cards_and_they_line_up_in_unsorted() -> None:
    wall = a_wall()
    for n in range(30):
        # Every phone numbers its drafts from 1: the draft id is only unique per phone.
        card, changes = write(wall, f"Idea {n}", by=f"phone-{n}", client="draft-1", card_id=f"c{n}")
        assert changes == [card]
        wall = after(wall, changes)

    assert order(wall, None) == [f"c{n}" for n in range(30)]
    assert [c.position for c in wall.in_cluster(None)] == list(range(30))
    assert all(c.step_id == "step" and not c.edited and c.stacked_on is None for c in wall.cards)


def test_a_new_card_goes_after_the_last_unsorted_card() -> None:
    wall = a_wall(
        a_card("first", position=0),
        a_card("last", position=7),
        a_card("clustered", cluster="k", position=50),
        a_cluster("k"),
    )
    card, changes = write(wall)
    assert order(after(wall, changes), None) == ["first", "last", "new"]
    assert card.cluster_id is None


def test_the_trainer_writes_a_card_without_being_a_participant() -> None:
    card, changes = write(a_wall(), by=None)
    assert card.participant_id is None
    assert changes == [card]


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \r\n \t ", "\x00\x07"])
def test_an_empty_card_is_refused(text: str) -> None:
    error = refusal(lambda: write(a_wall(), text))
    assert (error.key, error.status) == ("card_empty", 422)


# Characters a phone can send that show nothing: zero-width space, non-joiner, joiner,
# word joiner, byte order mark, soft hyphen (all format characters, Cf), and Unicode
# spaces of every kind (no-break, ideographic, em, thin, line and paragraph separators).
INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u00a0",
    "\u3000",
    "\u2003",
    "\u2009",
    "\u2028",
    "\u2029",
    "\u180e",
    "\u3164",  # the Hangul filler, a "letter" drawn blank
    "\u2800",  # the empty Braille cell
]


@pytest.mark.parametrize(
    "text",
    [pytest.param(char * 3, id=f"U+{ord(char):04X}") for char in INVISIBLE]
    + [
        pytest.param("".join(INVISIBLE), id="all-of-them"),
        pytest.param("\u200b\n\u00a0\n\ufeff", id="three-invisible-lines"),
        pytest.param("\u200d\ufe0f", id="a-joiner-and-a-variation-selector"),
    ],
)
def test_a_card_of_only_invisible_characters_is_refused_like_an_empty_one(text: str) -> None:
    error = refusal(lambda: write(a_wall(), text))
    assert (error.key, error.status) == ("card_empty", 422)


def test_every_format_character_of_unicode_alone_is_an_empty_card() -> None:
    format_characters = [
        chr(n) for n in range(sys.maxunicode + 1) if unicodedata.category(chr(n)) == "Cf"
    ]
    assert "\u200b" in format_characters and len(format_characters) > 150
    for char in format_characters:
        assert refusal(lambda c=char: write(a_wall(), c + " " + c)).key == "card_empty", (
            f"U+{ord(char):04X}"
        )


def test_invisible_lines_do_not_count_as_lines_of_a_card() -> None:
    card, _ = write(a_wall(), "Fewer meetings\n\u200b\n\u3000\nMore focus\n\ufeff")
    assert card.text == "Fewer meetings\nMore focus"


@pytest.mark.parametrize(
    "text",
    [
        "\U0001f469\u200d\U0001f4bb",  # woman technologist: two emoji joined by a ZWJ
        "\U0001f469\u200d\U0001f4bb Remote pairing",
        "\u2764\ufe0f",  # a red heart: the variation selector asks for the emoji
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England
        "Auf\u00adgabe",  # a soft hyphen inside a word
    ],
)
def test_joiners_and_selectors_inside_visible_text_survive(text: str) -> None:
    card, _ = write(a_wall(), text)
    assert card.text == text


def test_a_card_longer_than_the_limit_is_refused_with_the_limit() -> None:
    error = refusal(lambda: write(a_wall(), "x" * 21, max_length=20))
    assert error.key == "card_too_long"
    assert error.params == {"max": 20}


def test_a_card_exactly_at_the_limit_is_kept_and_spaces_around_it_do_not_count() -> None:
    card, _ = write(a_wall(), "  " + "x" * 20 + "\n", max_length=20)
    assert card.text == "x" * 20


def test_the_limit_counts_characters_as_composed() -> None:
    # "Café" typed with a combining accent is five code points but four characters.
    card, _ = write(a_wall(), "Cafe\u0301", max_length=4)
    assert card.text == "Caf\u00e9"


def test_one_idea_per_card_more_than_three_lines_is_refused() -> None:
    error = refusal(lambda: write(a_wall(), "one\ntwo\nthree\nfour"))
    assert error.key == "card_too_many_lines"
    assert error.params == {"max": MAX_LINES}


def test_three_lines_are_kept_as_lines() -> None:
    card, _ = write(a_wall(), "one\ntwo\nthree")
    assert card.text == "one\ntwo\nthree"


def test_blank_lines_and_spaces_around_lines_do_not_count() -> None:
    card, _ = write(a_wall(), "  Fewer meetings \n\n\n  More focus  \r\n\n  Less noise ")
    assert card.text == "Fewer meetings\nMore focus\nLess noise"


def test_windows_and_old_mac_line_breaks_become_plain_line_breaks() -> None:
    card, _ = write(a_wall(), "a\r\nb\rc")
    assert card.text == "a\nb\nc"


def test_control_characters_are_stripped() -> None:
    card, _ = write(a_wall(), "Mehr\x00 Pau\x1b\x0bsen\x7f")
    assert card.text == "Mehr Pausen"


def test_c1_control_characters_are_stripped_too() -> None:
    # U+0080-U+009F are control characters as well (CSI, NEL...), not letters.
    card, _ = write(a_wall(), "Mehr\x9b Pausen\x80")
    assert card.text == "Mehr Pausen"


def colourful(*colours: str) -> Step:
    """A step offering ``colours`` (all of them by default), none with a meaning."""
    return a_step(config={"colours": [{"colour": c} for c in colours or COLOURS]})


@pytest.mark.parametrize("colour", COLOURS)
def test_every_metaplan_colour_is_accepted_where_the_step_offers_it(colour: str) -> None:
    card, _ = write(a_wall(step=colourful()), colour=colour)
    assert card.colour == colour


def test_a_plain_card_step_offers_one_colour() -> None:
    # Metaplan: one colour per question, unless the colours mean something.
    assert offered_colours(a_step()) == (DEFAULT_COLOUR,)
    assert write(a_wall(), colour=DEFAULT_COLOUR)[0].colour == DEFAULT_COLOUR
    error = refusal(lambda: write(a_wall(), colour="orange"))
    assert (error.key, error.status) == ("colour_not_offered", 422)


def test_a_colour_the_step_does_not_offer_is_refused() -> None:
    step = colourful("yellow", "orange")
    assert write(a_wall(step=step), colour="orange")[0].colour == "orange"
    assert refusal(lambda: write(a_wall(step=step), colour="green")).key == "colour_not_offered"


def test_a_card_in_a_colour_no_longer_offered_keeps_it_when_its_text_is_fixed() -> None:
    wall = a_wall(a_card("c1", colour="green"))  # written before the step was limited
    changes = edit_own_card(wall, "anna", "c1", "Better idea", "green", MAX_LENGTH)
    assert [(c.text, c.colour) for c in changes if isinstance(c, Card)] == [
        ("Better idea", "green")
    ]
    error = refusal(lambda: edit_own_card(wall, "anna", "c1", "Better idea", "blue", MAX_LENGTH))
    assert error.key == "colour_not_offered"


def test_the_trainer_gives_colours_meanings_in_the_palette_s_order() -> None:
    step = set_colours(a_step(), [("orange", " Befürchtung "), ("yellow", "Erwartung")])
    assert [(m.colour, m.text("de"), m.text("en")) for m in meanings(step)] == [
        ("yellow", "Erwartung", "Erwartung"),
        ("orange", "Befürchtung", "Befürchtung"),
    ]
    assert offered_colours(step) == ("yellow", "orange")
    assert has_legend(step)


def test_the_trainer_limits_a_step_to_one_colour_without_a_meaning() -> None:
    step = set_colours(colourful(), [("green", "")])
    assert offered_colours(step) == ("green",)
    assert not has_legend(step)
    # Back to the default colour alone: the step is plain again.
    assert "colours" not in set_colours(step, [("yellow", "")]).config


@pytest.mark.parametrize(
    ("chosen", "key"),
    [
        ([], "colours_none"),
        ([("purple", "x")], "colour_unknown"),
        ([("yellow", "x" * (MAX_MEANING_LENGTH + 1))], "meaning_too_long"),
    ],
)
def test_colours_the_trainer_cannot_set(chosen: list[tuple[str, str]], key: str) -> None:
    assert refusal(lambda: set_colours(a_step(), chosen)).key == key


# -- the three-line rule --------------------------------------------------------


def test_a_card_longer_than_three_lines_on_the_board_is_refused() -> None:
    text = "Kundenorientierung " * 6  # 114 characters: within the cap, but 6 lines
    assert len(text.strip()) <= MAX_LENGTH
    error = refusal(lambda: write(a_wall(), text))
    assert error.key == "card_too_wide"
    assert error.params["max"] == MAX_LINES and error.params["n"] > MAX_LINES


def test_the_trainer_s_wording_fix_keeps_the_three_line_rule_too() -> None:
    wall = a_wall(a_card("c1"))
    error = refusal(lambda: fix_wording(wall, "c1", "Kundenorientierung " * 6, MAX_LENGTH))
    assert error.key == "card_too_wide"


@pytest.mark.parametrize("colour", ["purple", "Yellow", ""])
def test_an_unknown_colour_is_refused(colour: str) -> None:
    assert refusal(lambda: write(a_wall(), colour=colour)).key == "colour_unknown"


def test_a_card_arriving_after_the_step_closed_is_refused() -> None:
    error = refusal(lambda: write(a_wall(step=a_step(state="closed"))))
    assert (error.key, error.status) == ("step_closed", 409)


def test_a_resent_card_is_the_stored_card_and_changes_nothing() -> None:
    wall = a_wall()
    stored, changes = write(wall, "Pair more", client="draft-7", card_id="c1", now=1.0)
    wall = after(wall, changes)

    # The phone was offline and did not see the answer; it sends the draft again.
    again, changes = write(wall, "Pair more!", client="draft-7", card_id="c2", now=9.0)

    assert again == stored
    assert changes == []


def test_a_resent_card_is_answered_even_when_the_step_closed_meanwhile() -> None:
    stored = a_card("c1", by="anna", client="draft-7")
    wall = a_wall(stored, step=a_step(state="closed"))

    again, changes = write(wall, by="anna", client="draft-7", card_id="c2")
    assert again == stored
    assert changes == []
    # A new draft from the same phone is not saved.
    assert refusal(lambda: write(wall, by="anna", client="draft-8")).key == "step_closed"


def test_the_same_draft_id_from_another_phone_is_another_card() -> None:
    wall = a_wall(a_card("c1", by="anna", client="draft-1"))
    card, changes = write(wall, by="ben", client="draft-1", card_id="c2")
    assert card.id == "c2"
    assert changes == [card]


# -- participants change their own cards ---------------------------------------


def test_a_participant_rewrites_their_own_card() -> None:
    mine = a_card("c1", by="anna", text="Mor time", cluster="k", position=3, at=5.0)
    # Sorted already: only with the lock turned off (see the lock's own tests below).
    step = colourful("yellow", "green")
    wall = a_wall(
        mine, a_cluster("k"), step=replace(step, config=step.config | {LOCK_EDITS: False})
    )

    changes = edit_own_card(wall, "anna", "c1", "More time", "green", MAX_LENGTH)

    assert changes == [replace(mine, text="More time", colour="green")]


def test_an_edit_that_changes_nothing_stores_nothing() -> None:
    wall = a_wall(a_card("c1", text="More time", colour="blue"))
    assert edit_own_card(wall, "anna", "c1", "  More time ", "blue", MAX_LENGTH) == []


@pytest.mark.parametrize("author", ["ben", None])
def test_nobody_edits_or_deletes_a_card_that_is_not_theirs(author: str | None) -> None:
    wall = a_wall(a_card("c1", by=author))

    edit = refusal(lambda: edit_own_card(wall, "anna", "c1", "Mine now", "yellow", MAX_LENGTH))
    delete = refusal(lambda: delete_own_card(wall, "anna", "c1"))

    assert (edit.key, edit.status) == ("card_not_yours", 403)
    assert (delete.key, delete.status) == ("card_not_yours", 403)


def test_own_cards_are_frozen_once_the_step_is_closed() -> None:
    wall = a_wall(a_card("c1", by="anna"), step=a_step(state="closed"))

    edit = refusal(lambda: edit_own_card(wall, "anna", "c1", "Changed", "yellow", MAX_LENGTH))
    delete = refusal(lambda: delete_own_card(wall, "anna", "c1"))

    assert (edit.key, edit.status) == ("step_closed", 409)
    assert (delete.key, delete.status) == ("step_closed", 409)


def test_an_edit_follows_the_card_rules() -> None:
    wall = a_wall(a_card("c1"))
    assert refusal(lambda: edit_own_card(wall, "anna", "c1", " ", "yellow", 120)).key == (
        "card_empty"
    )
    invisible = "\u200b\u2060\u00a0"
    assert refusal(lambda: edit_own_card(wall, "anna", "c1", invisible, "yellow", 120)).key == (
        "card_empty"
    )
    assert refusal(lambda: edit_own_card(wall, "anna", "c1", "ok", "grey", 120)).key == (
        "colour_unknown"
    )


def test_a_card_that_is_gone_is_not_found() -> None:
    error = refusal(lambda: delete_own_card(a_wall(), "anna", "gone"))
    assert (error.key, error.status) == ("card_not_found", 404)


def test_a_participant_deletes_their_own_card() -> None:
    wall = a_wall(a_card("c1", by="anna"), a_card("c2", by="ben", position=1))
    changes = delete_own_card(wall, "anna", "c1")
    assert changes == [Deleted(Card, "c1")]
    assert order(after(wall, changes), None) == ["c2"]


def test_deleting_the_top_of_a_stack_lets_the_next_card_take_its_place() -> None:
    wall = a_wall(
        a_cluster("k"),
        a_card("left", cluster="k", position=0),
        a_card("top", by="anna", cluster="k", position=1),
        a_card("right", cluster="k", position=2),
        # Stacked duplicates; "dup-early" was written first, so it is next.
        a_card("dup-late", by="ben", on="top", position=4, at=5.0),
        a_card("dup-early", by="cem", on="top", position=9, at=3.0),
        step=a_step(config={LOCK_EDITS: False}),  # sorted already: with the lock off
    )

    changes = delete_own_card(wall, "anna", "top")
    wall = after(wall, changes)

    assert changes[0] == Deleted(Card, "top")
    assert order(wall, "k") == ["left", "dup-early", "right"]
    assert wall.card("dup-early").stacked_on is None
    assert wall.stacked_under("dup-early") == [wall.card("dup-late")]


# -- the trainer fixes wording -------------------------------------------------


def test_the_trainer_fixes_wording_and_the_card_shows_it_was_edited() -> None:
    card = a_card("c1", by="anna", text="Mor time for tetsing")
    changes = fix_wording(a_wall(card), "c1", "More time for testing", MAX_LENGTH)
    assert changes == [replace(card, text="More time for testing", edited=True)]


def test_fixing_wording_to_the_same_text_changes_nothing() -> None:
    wall = a_wall(a_card("c1", text="More time"))
    assert fix_wording(wall, "c1", " More time \n", MAX_LENGTH) == []


def test_wording_is_fixed_during_review_while_the_step_is_closed_and_hidden() -> None:
    wall = a_wall(a_card("c1", text="typo"), step=a_step(state="closed", hidden=True))
    [fixed] = fix_wording(wall, "c1", "no typo", MAX_LENGTH)
    assert isinstance(fixed, Card)
    assert (fixed.text, fixed.edited) == ("no typo", True)


def test_fixed_wording_follows_the_card_rules() -> None:
    wall = a_wall(a_card("c1"))
    error = refusal(lambda: fix_wording(wall, "c1", "a\nb\nc\nd", MAX_LENGTH))
    assert error.key == "card_too_many_lines"
    error = refusal(lambda: fix_wording(wall, "c1", "\ufeff\u200b", MAX_LENGTH))
    assert error.key == "card_empty"


# -- stacking duplicates -------------------------------------------------------


def test_a_duplicate_is_stacked_onto_another_card() -> None:
    wall = a_wall(
        a_cluster("k1"),
        a_cluster("k2", position=1),
        a_card("a", cluster="k1"),
        a_card("b", cluster="k2", position=0),
        a_card("c", cluster="k2", position=1),
    )

    changes = stack(wall, "b", "a")
    wall = after(wall, changes)

    # A stacked card belongs to its stack, not to a cluster of its own.
    assert wall.card("b").stacked_on == "a"
    assert wall.card("b").cluster_id is None
    assert order(wall, "k2") == ["c"]
    assert order(wall, "k1") == ["a"]
    assert wall.stacked_under("a") == [wall.card("b")]


def test_stacking_a_stack_onto_another_card_flattens_it() -> None:
    wall = a_wall(
        a_card("a", position=0),
        a_card("b", position=1, at=1.0),
        a_card("c", on="b", at=2.0),
    )

    wall = after(wall, stack(wall, "b", "a"))

    assert wall.card("b").stacked_on == "a"
    assert wall.card("c").stacked_on == "a"
    assert wall.stacked_under("b") == []
    assert order(wall, None) == ["a"]


def test_stacking_onto_a_stacked_card_puts_it_on_that_stack_s_top() -> None:
    wall = a_wall(a_card("a", position=0), a_card("b", on="a"), a_card("c", position=1))
    [moved] = stack(wall, "c", "b")
    assert isinstance(moved, Card)
    assert moved.stacked_on == "a"


def test_a_card_is_not_stacked_onto_itself() -> None:
    wall = a_wall(a_card("a"), a_card("b", on="a"))
    assert refusal(lambda: stack(wall, "a", "a")).key == "stack_onto_itself"
    # "b" lies under "a": stacking "a" onto it would stack "a" onto itself.
    assert refusal(lambda: stack(wall, "a", "b")).key == "stack_onto_itself"


def test_stacking_onto_a_card_that_is_gone_is_refused() -> None:
    error = refusal(lambda: stack(a_wall(a_card("a")), "a", "gone"))
    assert (error.key, error.status) == ("card_not_found", 404)


def test_an_unstacked_card_goes_to_the_end_of_its_former_stack_s_cluster() -> None:
    wall = a_wall(
        a_cluster("k"),
        a_card("a", cluster="k", position=0),
        a_card("x", cluster="k", position=1),
        a_card("b", on="a"),
    )

    wall = after(wall, unstack(wall, "b"))

    assert order(wall, "k") == ["a", "x", "b"]
    assert wall.stacked_under("a") == []


def test_a_card_unstacked_from_an_unsorted_card_stays_unsorted() -> None:
    wall = a_wall(a_card("a", position=0), a_card("u", position=1), a_card("b", on="a"))
    wall = after(wall, unstack(wall, "b"))
    assert order(wall, None) == ["a", "u", "b"]


def test_unstacking_a_card_that_is_not_stacked_changes_nothing() -> None:
    assert unstack(a_wall(a_card("a")), "a") == []


# -- moving cards --------------------------------------------------------------


def clustered(*ids: str, cluster: str = "k") -> list[Card]:
    return [a_card(card_id, cluster=cluster, position=n) for n, card_id in enumerate(ids)]


def test_a_card_dropped_into_a_cluster_lands_at_the_drop_index() -> None:
    wall = a_wall(a_cluster("k"), *clustered("a", "b", "c"), a_card("d"))

    changes = move_card(wall, "d", "k", 1)
    wall = after(wall, changes)

    assert order(wall, "k") == ["a", "d", "b", "c"]
    assert [c.position for c in wall.in_cluster("k")] == [0, 1, 2, 3]
    # "a" did not move, so it is not stored again.
    assert {c.id for c in changes if isinstance(c, Card)} == {"d", "b", "c"}


def test_positions_are_renumbered_from_zero_when_a_card_arrives() -> None:
    wall = a_wall(
        a_cluster("k"),
        a_card("a", cluster="k", position=3),
        a_card("b", cluster="k", position=7),
        a_card("c", cluster="k", position=20),
        a_card("d"),
    )
    wall = after(wall, move_card(wall, "d", "k", 3))
    assert [(c.id, c.position) for c in wall.in_cluster("k")] == [
        ("a", 0),
        ("b", 1),
        ("c", 2),
        ("d", 3),
    ]


@pytest.mark.parametrize(
    ("index", "expected"),
    [(99, ["a", "b", "d"]), (2, ["a", "b", "d"]), (-1, ["d", "a", "b"]), (-5, ["d", "a", "b"])],
)
def test_the_drop_index_is_clamped_to_the_cluster(index: int, expected: list[str]) -> None:
    wall = a_wall(a_cluster("k"), *clustered("a", "b"), a_card("d"))
    assert order(after(wall, move_card(wall, "d", "k", index)), "k") == expected


def test_a_card_goes_back_to_unsorted_with_no_cluster() -> None:
    wall = a_wall(a_cluster("k"), *clustered("a", "b"), a_card("u", position=0))

    wall = after(wall, move_card(wall, "a", None, 0))

    assert order(wall, None) == ["a", "u"]
    assert order(wall, "k") == ["b"]
    assert wall.card("a").cluster_id is None


def test_a_card_is_reordered_within_its_cluster() -> None:
    wall = a_wall(a_cluster("k"), *clustered("a", "b", "c"))
    assert order(after(wall, move_card(wall, "a", "k", 2)), "k") == ["b", "c", "a"]


def test_a_card_dropped_where_it_already_is_changes_nothing() -> None:
    wall = a_wall(a_cluster("k"), *clustered("a", "b", "c"))
    assert move_card(wall, "b", "k", 1) == []


def test_a_stacked_card_dragged_away_leaves_its_stack() -> None:
    wall = a_wall(a_cluster("k"), *clustered("a"), a_card("top"), a_card("b", on="top"))

    wall = after(wall, move_card(wall, "b", "k", 0))

    assert wall.card("b").stacked_on is None
    assert order(wall, "k") == ["b", "a"]
    assert wall.stacked_under("top") == []


def test_a_card_is_not_moved_into_a_cluster_that_is_gone() -> None:
    wall = a_wall(a_card("a"))
    error = refusal(lambda: move_card(wall, "a", "gone", 0))
    assert (error.key, error.status) == ("cluster_not_found", 404)


# -- clusters ------------------------------------------------------------------


def test_the_trainer_adds_clusters_from_left_to_right() -> None:
    wall = a_wall()
    wall = after(wall, create_cluster(wall, "k1", "Tools", now=1.0))
    wall = after(wall, create_cluster(wall, "k2", "  Team \n and   process ", now=2.0))

    assert [(c.id, c.heading) for c in wall.ordered_clusters()] == [
        ("k1", "Tools"),
        ("k2", "Team and process"),
    ]
    assert all(c.step_id == "step" for c in wall.clusters)


def test_a_new_cluster_goes_right_of_the_others_even_after_a_merge_left_a_gap() -> None:
    wall = a_wall(a_cluster("k1", position=0), a_cluster("k2", position=3))
    wall = after(wall, create_cluster(wall, "k3", "New", now=10.0))
    assert [c.id for c in wall.ordered_clusters()] == ["k1", "k2", "k3"]


def test_a_heading_may_not_be_empty_or_too_long() -> None:
    wall = a_wall()
    empty = refusal(lambda: create_cluster(wall, "k", " \n\x00", now=1.0))
    invisible = refusal(lambda: create_cluster(wall, "k", "\u200b\u3000\u2060", now=1.0))
    too_long = refusal(lambda: create_cluster(wall, "k", "x" * (MAX_HEADING_LENGTH + 1), now=1.0))

    assert empty.key == invisible.key == "heading_empty"
    assert too_long.key == "heading_too_long"
    assert too_long.params == {"max": MAX_HEADING_LENGTH}
    [cluster] = create_cluster(wall, "k", "x" * MAX_HEADING_LENGTH, now=1.0)
    assert isinstance(cluster, Cluster)
    assert cluster.heading == "x" * MAX_HEADING_LENGTH


def test_control_characters_are_stripped_from_headings() -> None:
    [cluster] = create_cluster(a_wall(), "k", "Too\x1b[31ls", now=1.0)
    assert isinstance(cluster, Cluster)
    assert cluster.heading == "Too[31ls"


def test_n_starts_a_cluster_with_the_selected_card_named_after_it() -> None:
    wall = a_wall(a_cluster("k1"), a_card("c1", text="Kürzere  Wege\nzum Kunden"), a_card("c2"))
    wall = after(wall, start_cluster(wall, "k2", "", "c1", now=5.0))

    assert [c.id for c in wall.ordered_clusters()] == ["k1", "k2"]
    assert wall.cluster("k2").heading == "Kürzere Wege zum Kunden"
    assert [c.id for c in wall.in_cluster("k2")] == ["c1"]
    assert [c.id for c in wall.in_cluster(None)] == ["c2"]


def test_a_new_cluster_with_a_card_takes_the_typed_heading_or_a_cut_card_text() -> None:
    long_text = "Wort " * 30
    wall = a_wall(a_card("c1", text=long_text), a_card("c2"))
    wall = after(wall, start_cluster(wall, "k1", "Tempo", "c2", now=1.0))
    wall = after(wall, start_cluster(wall, "k2", " ", "c1", now=2.0))

    assert wall.cluster("k1").heading == "Tempo"
    heading = wall.cluster("k2").heading
    assert len(heading) == MAX_HEADING_LENGTH and heading.endswith("…")
    assert long_text.startswith(heading[:-1])
    assert refusal(lambda: start_cluster(wall, "k3", "", "gone", now=3.0)).key == "card_not_found"


def test_a_stacked_card_leaves_its_stack_for_a_new_cluster() -> None:
    wall = a_wall(a_card("c1"), a_card("c2", on="c1"))
    wall = after(wall, start_cluster(wall, "k1", "Neu", "c2", now=1.0))
    assert [c.id for c in wall.in_cluster("k1")] == ["c2"]
    assert wall.stacked_under("c1") == []


def test_a_cluster_is_renamed() -> None:
    wall = a_wall(a_cluster("k", heading="Tols"))
    assert rename_cluster(wall, "k", "Tools") == [replace(wall.cluster("k"), heading="Tools")]


def test_renaming_to_the_same_heading_changes_nothing() -> None:
    wall = a_wall(a_cluster("k", heading="Tools"))
    assert rename_cluster(wall, "k", " Tools ") == []


def test_renaming_a_cluster_that_is_gone_is_refused() -> None:
    error = refusal(lambda: rename_cluster(a_wall(), "gone", "Tools"))
    assert (error.key, error.status) == ("cluster_not_found", 404)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, ["k3", "k1", "k2"]),
        (1, ["k1", "k3", "k2"]),
        (99, ["k1", "k2", "k3"]),
        (-1, ["k3", "k1", "k2"]),
    ],
)
def test_a_cluster_is_moved_along_the_wall(index: int, expected: list[str]) -> None:
    wall = a_wall(*(a_cluster(f"k{n}", position=n - 1) for n in (1, 2, 3)))
    wall = after(wall, move_cluster(wall, "k3", index))
    assert [c.id for c in wall.ordered_clusters()] == expected
    assert [c.position for c in wall.ordered_clusters()] == [0, 1, 2]


def test_merging_appends_the_source_cards_in_order_and_removes_the_source() -> None:
    wall = a_wall(
        a_cluster("k1", position=0),
        a_cluster("k2", position=1),
        *clustered("a", "b", cluster="k1"),
        # Written in the other order than they are sorted: the wall's order counts.
        a_card("c", cluster="k2", position=0, at=9.0),
        a_card("d", cluster="k2", position=1, at=1.0),
        a_card("dup", on="c"),
    )

    changes = merge_clusters(wall, "k2", "k1")
    wall = after(wall, changes)

    assert changes[-1] == Deleted(Cluster, "k2")
    assert order(wall, "k1") == ["a", "b", "c", "d"]
    assert [c.id for c in wall.clusters] == ["k1"]
    assert wall.stacked_under("c") == [wall.card("dup")]


def test_a_cluster_is_not_merged_into_itself() -> None:
    assert refusal(lambda: merge_clusters(a_wall(a_cluster("k")), "k", "k")).key == (
        "merge_into_itself"
    )


def test_dissolving_a_cluster_puts_its_cards_back_at_the_end_of_unsorted() -> None:
    wall = a_wall(
        # Written after the clustered cards, still they stay in front of them.
        a_card("u1", position=0, at=20.0),
        a_card("u2", position=1, at=21.0),
        a_cluster("k"),
        a_card("a", cluster="k", position=0, at=9.0),
        a_card("b", cluster="k", position=1, at=1.0),
    )

    changes = dissolve_cluster(wall, "k")
    wall = after(wall, changes)

    assert changes[-1] == Deleted(Cluster, "k")
    assert order(wall, None) == ["u1", "u2", "a", "b"]
    assert wall.clusters == ()


# -- what the room sees --------------------------------------------------------


@pytest.mark.parametrize(
    ("hidden", "revealed", "visible"),
    [(False, False, True), (True, False, False), (True, True, True)],
)
def test_card_texts_are_visible_to_the_room_unless_hidden_and_not_yet_revealed(
    hidden: bool, revealed: bool, visible: bool
) -> None:
    assert a_wall(step=a_step(hidden=hidden, revealed=revealed)).visible_to_room is visible


def test_a_phone_lists_its_own_cards_in_the_order_they_were_written() -> None:
    wall = a_wall(
        a_card("second", by="anna", at=2.0),
        a_card("bens", by="ben", at=1.5),
        a_card("first", by="anna", at=1.0),
    )
    assert [c.id for c in wall.cards_of("anna")] == ["first", "second"]


# -- the trainer's authority: participants' cards lock once the room has them -----


def test_a_hidden_wall_locks_participants_cards_at_the_reveal() -> None:
    card = a_card("c1", by="anna")
    before = a_wall(card, step=a_step(hidden=True))
    revealed = a_wall(card, step=a_step(hidden=True, revealed=True))

    assert edit_own_card(before, "anna", "c1", "Fixed typo", "yellow", MAX_LENGTH)
    edit = refusal(lambda: edit_own_card(revealed, "anna", "c1", "Later", "yellow", MAX_LENGTH))
    delete = refusal(lambda: delete_own_card(revealed, "anna", "c1"))

    assert (edit.key, edit.status) == ("cards_locked_revealed", 409)
    assert (delete.key, delete.status) == ("cards_locked_revealed", 409)


def test_an_open_wall_locks_once_the_trainer_starts_clustering() -> None:
    card = a_card("c1", by="anna")
    unsorted = a_wall(card)
    sorting = after(unsorted, create_cluster(unsorted, "k", "Zeit", 1.0))

    assert unsorted.edits_lock is None
    assert delete_own_card(unsorted, "anna", "c1") == [Deleted(Card, "c1")]
    edit = refusal(lambda: edit_own_card(sorting, "anna", "c1", "Later", "yellow", MAX_LENGTH))
    assert (edit.key, edit.status) == ("cards_locked_sorting", 409)
    # New cards are still welcome.
    assert write(sorting, "One more idea")[0].text == "One more idea"


def test_clustering_while_the_cards_are_hidden_does_not_lock_them_before_the_reveal() -> None:
    wall = a_wall(a_card("c1", by="anna"), a_cluster("k"), step=a_step(hidden=True))
    assert wall.edits_lock is None
    assert edit_own_card(wall, "anna", "c1", "Fixed typo", "yellow", MAX_LENGTH)


def test_with_the_lock_turned_off_participants_keep_editing() -> None:
    step = a_step(hidden=True, revealed=True, config={LOCK_EDITS: False})
    wall = a_wall(a_card("c1", by="anna"), a_cluster("k"), step=step)

    assert wall.edits_lock is None
    assert edit_own_card(wall, "anna", "c1", "Still mine", "yellow", MAX_LENGTH)
    assert delete_own_card(wall, "anna", "c1") == [Deleted(Card, "c1")]


# -- the trainer writes and deletes cards ------------------------------------------


def test_the_trainer_writes_a_card_straight_into_a_cluster() -> None:
    wall = a_wall(a_card("c1", cluster="k", position=0), a_cluster("k"), step=colourful())

    [card] = write_card(
        wall,
        card_id="t1",
        text=" Zuruf ",
        colour="green",
        cluster_id="k",
        now=2.0,
        max_length=MAX_LENGTH,
    )

    assert (card.participant_id, card.client_id) == (None, None)  # nobody's phone has it
    assert (card.text, card.colour, card.cluster_id, card.position) == ("Zuruf", "green", "k", 1)


def test_the_trainer_writes_by_the_card_rules_and_only_into_a_cluster_there_is() -> None:
    wall = a_wall()
    args: dict[str, Any] = {"card_id": "t1", "now": 1.0, "max_length": MAX_LENGTH}
    empty = refusal(lambda: write_card(wall, text=" ", colour="yellow", cluster_id=None, **args))
    nowhere = refusal(lambda: write_card(wall, text="Hi", colour="yellow", cluster_id="x", **args))
    closed = a_wall(step=a_step(state="closed"))
    late = refusal(lambda: write_card(closed, text="Hi", colour="yellow", cluster_id=None, **args))

    assert (empty.key, nowhere.key, late.key) == ("card_empty", "cluster_not_found", "step_closed")


def test_the_trainer_deletes_any_card_and_its_stack_takes_its_place() -> None:
    top = a_card("c1", by="ben", cluster="k", position=2)
    under = a_card("c2", by="anna", on="c1", at=1.0)

    changes = delete_card(a_wall(top, under, a_cluster("k")), "c1")

    assert changes == [
        Deleted(Card, "c1"),
        replace(under, stacked_on=None, cluster_id="k", position=2),
    ]
