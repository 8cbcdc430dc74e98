"""The Metaplan reveal, played through without a server: the hidden cards are dealt
anew, then shown one at a time (or all at once), and the room sees only what was shown."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from board.cards import REVEALED_CARDS, Card, Wall, move_card, stack
from board.errors import Refused
from board.reveal import reveal_all, reveal_next, shuffled
from tests.test_cards import a_card, a_cluster, a_step, a_wall, after, order, refusal


def hidden_wall(*items: Card) -> Wall:
    return a_wall(*items, step=a_step(hidden=True))


def three_people_wrote_in_turn() -> list[Card]:
    """Anna wrote her four cards first, then Ben his four, then Cem: the order they came
    in tells who wrote which."""
    return [
        a_card(f"{who}{n}", by=who, position=i, at=float(i))
        for i, (who, n) in enumerate((w, n) for w in ("anna", "ben", "cem") for n in range(4))
    ]


def authors_side_by_side(wall: Wall, ids: list[str]) -> int:
    by = {c.id: c.participant_id for c in wall.cards}
    return sum(by[a] == by[b] for a, b in zip(ids, ids[1:], strict=False))


@pytest.mark.parametrize("seed", range(50))
def test_the_shuffle_is_a_permutation_that_parts_each_person_s_cards(seed: int) -> None:
    cards = three_people_wrote_in_turn()
    dealt = shuffled(cards, random.Random(seed))
    assert sorted(c.id for c in dealt) == sorted(c.id for c in cards)
    # Twelve cards by three people can always be dealt with no two of one side by side.
    pairs = zip(dealt, dealt[1:], strict=False)
    assert all(a.participant_id != b.participant_id for a, b in pairs)


def test_the_shuffle_does_what_it_can_when_one_person_wrote_most_cards() -> None:
    cards = [a_card(f"a{i}", by="anna") for i in range(5)] + [a_card("b", by="ben")]
    dealt = shuffled(cards, random.Random(1))
    assert sorted(c.id for c in dealt) == sorted(c.id for c in cards)


def test_the_trainer_s_own_cards_have_no_author_to_hide() -> None:
    cards = [a_card(f"t{i}", by=None) for i in range(4)]
    assert len(shuffled(cards, random.Random(3))) == 4


def test_revealing_all_deals_the_unsorted_cards_anew() -> None:
    wall = hidden_wall(*three_people_wrote_in_turn())
    assert authors_side_by_side(wall, order(wall, None)) == 9  # as they came in

    revealed = after(wall, reveal_all(wall, random.Random(7)))

    assert revealed.step.revealed
    assert sorted(order(revealed, None)) == sorted(order(wall, None))
    assert authors_side_by_side(revealed, order(revealed, None)) == 0
    assert [c.position for c in revealed.in_cluster(None)] == list(range(12))


def test_revealing_again_deals_nothing() -> None:
    wall = after(hidden := hidden_wall(*three_people_wrote_in_turn()), [])
    once = after(wall, reveal_all(hidden, random.Random(7)))
    assert reveal_all(once, random.Random(8)) == []


def test_an_open_step_has_nothing_to_reveal() -> None:
    wall = a_wall(a_card("c1"))
    assert refusal(lambda: reveal_next(wall, random.Random(1))).key == "nothing_hidden"
    with pytest.raises(Refused):
        reveal_all(wall, random.Random(1))


def test_one_card_at_a_time_then_the_reveal_ends() -> None:
    wall = hidden_wall(*three_people_wrote_in_turn()[:3])
    seen: list[str] = []
    for n in range(1, 4):
        wall = after(wall, reveal_next(wall, random.Random(n)))
        assert not wall.step.revealed
        assert wall.revealing
        assert len(wall.step.config[REVEALED_CARDS]) == n
        assert wall.current is not None and wall.current.id not in seen
        seen.append(wall.current.id)
        assert {c.id for c in wall.seen_by_room()} == set(seen)
        assert len(wall.waiting()) == 3 - n
    # The first tap dealt the cards; the cards come in the dealt order.
    assert seen == order(wall, None)

    wall = after(wall, reveal_next(wall, random.Random(9)))  # none left: the last one lands

    assert wall.step.revealed
    assert wall.current is None
    assert not wall.revealing


def test_a_card_sorted_into_a_cluster_lands_there_and_leaves_the_stage() -> None:
    wall = hidden_wall(a_card("c1", position=0), a_card("c2", by="ben", position=1), a_cluster("k"))
    wall = after(wall, reveal_next(wall, random.Random(1)))
    shown = wall.current
    assert shown is not None

    wall = after(wall, move_card(wall, shown.id, "k", 0))  # the trainer presses 1

    assert wall.current is None  # no longer large on the board: on the wall, in "k"
    assert [c.id for c in wall.seen_by_room()] == [shown.id]


def test_a_card_stacked_under_a_shown_card_is_shown_with_it() -> None:
    wall = hidden_wall(a_card("c1", position=0), a_card("c2", by="ben", position=1))
    wall = after(wall, reveal_next(wall, random.Random(1)))
    shown = wall.current
    assert shown is not None
    other = next(c for c in wall.cards if c.id != shown.id)

    wall = after(wall, stack(wall, other.id, shown.id))

    assert {c.id for c in wall.seen_by_room()} == {"c1", "c2"}
    assert wall.waiting() == []


def test_a_card_written_during_the_reveal_comes_last() -> None:
    wall = hidden_wall(a_card("c1", position=0), a_card("c2", by="ben", position=1))
    wall = after(wall, reveal_next(wall, random.Random(1)))
    late = a_card("late", by="cem", position=2, at=50.0)
    wall = replace(wall, cards=(*wall.cards, late))
    wall = after(wall, reveal_next(wall, random.Random(2)))
    wall = after(wall, reveal_next(wall, random.Random(3)))
    assert wall.current is not None and wall.current.id == "late"


def test_reveal_all_in_the_middle_keeps_the_shown_cards_in_front() -> None:
    wall = hidden_wall(*three_people_wrote_in_turn())
    wall = after(wall, reveal_next(wall, random.Random(1)))
    wall = after(wall, reveal_next(wall, random.Random(1)))
    first_two = list(wall.step.config[REVEALED_CARDS])

    wall = after(wall, reveal_all(wall, random.Random(5)))

    assert wall.step.revealed
    assert order(wall, None)[:2] == first_two
    assert len(order(wall, None)) == 12


def test_a_participant_cannot_change_a_card_the_room_has_seen() -> None:
    from board.cards import delete_own_card, edit_own_card

    wall = hidden_wall(a_card("c1", by="anna", position=0), a_card("c2", by="anna", position=1))
    wall = after(wall, reveal_next(wall, random.Random(1)))
    shown = wall.current
    assert shown is not None
    unseen = next(c for c in wall.cards if c.id != shown.id)

    error = refusal(lambda: edit_own_card(wall, "anna", shown.id, "Anders", "yellow", 120))
    assert (error.key, error.status) == ("cards_locked_revealed", 409)
    assert refusal(lambda: delete_own_card(wall, "anna", shown.id)).key == "cards_locked_revealed"
    assert edit_own_card(wall, "anna", unseen.id, "Anders", "yellow", 120)
