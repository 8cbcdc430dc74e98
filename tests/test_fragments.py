"""Card frames: a room's card changes as a few swaps, played on a model of the screen.

:class:`Screen` keeps what a board shows of a wall — the top cards of each cluster
and of the unsorted, in order, each as it looks — and applies a delta's swaps the
way htmx does (take off by id; put in first, last or after a card of the same
container), failing loudly where htmx would find no target. After every change the
screen must show exactly what a full render of the new wall shows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import pytest

from board import cards
from board.cards import Card, Change, Wall
from board.live import fragments
from board.live.fragments import MAX_CARDS, WallDelta, container
from tests.test_cards import a_card, a_cluster, a_step, a_wall, after


@dataclass
class Screen:
    boxes: dict[str, list[str]]  # container id → top card ids, in order
    looks: dict[str, tuple[object, ...]]
    version: str

    @classmethod
    def full(cls, wall: Wall) -> Screen:
        """What a full render of ``wall`` shows."""
        keys = [None, *(c.id for c in wall.ordered_clusters())]
        boxes = {container(k): [c.id for c in wall.in_cluster(k)] for k in keys}
        return cls(boxes, _looks(wall, boxes), fragments.version(wall))

    def apply(self, delta: WallDelta, wall: Wall) -> None:
        assert delta.base == self.version, "a card frame made from another wall"
        for card_id in delta.removed:
            (box,) = [ids for ids in self.boxes.values() if card_id in ids]
            box.remove(card_id)
            del self.looks[card_id]
        for place in delta.placed:
            swap, _, target = place.where.partition(":")
            box_id, _, after_card = target.removeprefix("#").partition(">#card-")
            box = self.boxes[box_id]
            assert place.card_id not in box, "a card put in twice"
            if swap == "beforeend":
                box.append(place.card_id)
            elif swap == "afterbegin":
                box.insert(0, place.card_id)
            else:
                assert swap == "afterend" and after_card in box, place.where
                box.insert(box.index(after_card) + 1, place.card_id)
        # Only a card put in is drawn anew; every other keeps how it looked.
        drawn = _looks(wall, self.boxes)
        self.looks |= {p.card_id: drawn[p.card_id] for p in delta.placed}
        self.version = delta.version


def _looks(wall: Wall, boxes: dict[str, list[str]]) -> dict[str, tuple[object, ...]]:
    by_id = {c.id: c for c in wall.cards}
    return {
        card_id: (
            by_id[card_id].text,
            by_id[card_id].colour,
            by_id[card_id].edited,
            tuple(c.id for c in wall.stacked_under(card_id)),
        )
        for ids in boxes.values()
        for card_id in ids
    }


def shown(screen: Screen) -> tuple[object, ...]:
    return (screen.boxes, screen.looks)


def unsorted(n: int, **fields: object) -> list[Card]:
    return [a_card(f"c{i}", position=i, at=float(i), **fields) for i in range(n)]  # type: ignore[arg-type]


# -- single changes ------------------------------------------------------------------


def test_a_new_card_is_put_last_in_the_unsorted_and_nothing_else_moves() -> None:
    wall = a_wall(*unsorted(300))
    card, changes = cards.add_card(
        wall,
        card_id="new",
        participant_id="bernd",
        client_id=None,
        text="Kürzere Meetings",
        colour="yellow",
        now=500.0,
        max_length=140,
    )
    delta = fragments.delta(wall, after(wall, changes))

    assert delta is not None
    assert delta.removed == ()
    assert [(p.card_id, p.where) for p in delta.placed] == [("new", "beforeend:#cards-unsorted")]
    assert delta.counted == (None,) and delta.total_changed and not delta.board_layout


def test_moving_one_card_to_the_top_of_a_full_cluster_redraws_that_card_only() -> None:
    """The move renumbers all thirty cards; only the one that moved is sent."""
    theme = a_cluster("k1")
    wall = a_wall(theme, *unsorted(30, cluster="k1"), a_card("u", position=0, at=99.0))
    new = after(wall, cards.move_card(wall, "u", "k1", 0))
    delta = fragments.delta(wall, new)

    assert delta is not None
    assert delta.removed == ("u",)
    assert [(p.card_id, p.where) for p in delta.placed] == [("u", "afterbegin:#cards-k1")]
    assert set(delta.counted) == {None, "k1"} and not delta.total_changed
    assert delta.board_layout  # the unsorted column is gone from the board


def test_a_corrected_card_is_redrawn_where_it_is() -> None:
    wall = a_wall(*unsorted(5))
    new = after(wall, cards.fix_wording(wall, "c2", "Mehr Zeit zum Testen", 140))
    delta = fragments.delta(wall, new)

    assert delta is not None
    assert delta.removed == ("c2",)
    assert [(p.card_id, p.where) for p in delta.placed] == [
        ("c2", "afterend:#cards-unsorted>#card-c1")
    ]
    assert delta.counted == () and not delta.total_changed


def test_a_stacked_card_leaves_and_the_card_it_lies_on_shows_the_stack() -> None:
    wall = a_wall(*unsorted(5))
    new = after(wall, cards.stack(wall, "c3", "c1"))
    delta = fragments.delta(wall, new)

    assert delta is not None
    assert set(delta.removed) == {"c1", "c3"}
    assert [p.card_id for p in delta.placed] == ["c1"]


@pytest.mark.parametrize(
    "change",
    [
        lambda wall: cards.create_cluster(wall, "k9", "Neu", 9.0),
        lambda wall: cards.rename_cluster(wall, "k1", "Anders"),
        lambda wall: [cards.set_edit_lock(wall.step, False)],
        lambda wall: [replace(wall.step, revealed=True)],
    ],
    ids=["new cluster", "renamed cluster", "step setting", "reveal"],
)
def test_a_change_of_the_layout_needs_the_whole_wall(change) -> None:  # type: ignore[no-untyped-def]
    wall = a_wall(a_cluster("k1"), *unsorted(3))
    assert fragments.delta(wall, after(wall, change(wall))) is None


def test_more_cards_at_once_than_a_frame_takes_need_the_whole_wall() -> None:
    wall = a_wall(a_cluster("k1"), *unsorted(MAX_CARDS + 1))
    unchanged = fragments.delta(wall, after(wall, []))
    assert unchanged is not None and unchanged.empty
    everything = after(wall, [replace(c, colour="blue") for c in wall.cards])
    assert fragments.delta(wall, everything) is None


def test_the_board_is_laid_out_anew_when_its_density_class_changes() -> None:
    wall = a_wall(*unsorted(16))  # the roomiest up to 16 cards (board.kinds.cards.DENSITY)
    _, changes = cards.add_card(
        wall,
        card_id="x",
        participant_id=None,
        client_id=None,
        text="Die Siebzehnte",
        colour="yellow",
        now=99.0,
        max_length=140,
    )
    delta = fragments.delta(wall, after(wall, changes))
    assert delta is not None and delta.board_layout


def test_the_version_is_the_same_for_the_room_and_the_trainer() -> None:
    """The board's cut names nobody (aliases): its wall has the trainer's version."""
    wall = a_wall(*unsorted(4))
    aliased = replace(wall, cards=tuple(replace(c, participant_id="p1") for c in wall.cards))
    assert fragments.version(aliased) == fragments.version(wall)
    moved = after(wall, cards.move_card(wall, "c0", None, 3))
    assert fragments.version(moved) != fragments.version(wall)


# -- a room at work --------------------------------------------------------------------


def a_change(rng: random.Random, wall: Wall, n: int) -> list[Change]:
    """One thing a room does to its wall: write, correct, delete, move, stack, unstack."""
    tops = [c for c in wall.cards if c.stacked_on is None]
    stacked = [c for c in wall.cards if c.stacked_on is not None]
    choice = rng.choice(["write"] * 4 + ["fix", "delete", "move", "move", "stack", "unstack"])
    if choice == "write" or len(tops) < 3:
        _, changes = cards.add_card(
            wall,
            card_id=f"n{n}",
            participant_id=None,
            client_id=None,
            text=f"Karte {n}",
            colour="yellow",
            now=1000.0 + n,
            max_length=140,
        )
        return changes
    card = rng.choice(tops)
    if choice == "fix":
        return cards.fix_wording(wall, card.id, f"Korrigiert {n}", 140)
    if choice == "delete":
        return cards.delete_card(wall, card.id)
    if choice == "stack":
        return cards.stack(wall, card.id, rng.choice([c for c in tops if c != card]).id)
    if choice == "unstack" and stacked:
        return cards.unstack(wall, rng.choice(stacked).id)
    target = rng.choice([None, *(c.id for c in wall.clusters)])
    return cards.move_card(wall, card.id, target, rng.randrange(0, 8))


@pytest.mark.parametrize("seed", range(6))
def test_a_room_sorting_its_wall_sees_what_a_full_render_shows(seed: int) -> None:
    rng = random.Random(seed)
    clusters = [a_cluster(f"k{i}", position=i) for i in range(4)]
    wall = a_wall(*clusters, *unsorted(12), step=a_step())
    screen = Screen.full(wall)
    incremental = 0
    for n in range(300):
        new = wall
        for _ in range(rng.choice([1, 1, 1, 2, 5])):  # now and then a burst in one frame
            new = after(new, a_change(rng, new, n * 10 + _))
        delta = fragments.delta(wall, new, screen.version)
        if delta is None:
            screen = Screen.full(new)
        else:
            screen.apply(delta, new)
            incremental += 1
        assert shown(screen) == shown(Screen.full(new)), f"after change {n}"
        assert screen.version == fragments.version(new)
        wall = new
    assert incremental > 200, "the room's changes went out as card frames"


@pytest.mark.parametrize("seed", range(3))
def test_a_wall_taken_apart_from_the_one_sent_before_is_the_wall_taken_apart_anew(
    seed: int,
) -> None:
    """As the live renderer keeps it: each wall's looks made from the last one's, where
    no change touched a card (or a card stacked under it)."""
    rng = random.Random(seed)
    wall = a_wall(*[a_cluster(f"k{i}", position=i) for i in range(3)], *unsorted(12))
    sent = fragments.Sent.of(wall)
    screen = Screen.full(wall)
    for n in range(300):
        new = after(wall, a_change(rng, wall, n))
        delta, sent = fragments.delta_from(sent, new)
        anew = fragments.Sent.of(new)
        assert (sent.tops, sent.looks, sent.version) == (anew.tops, anew.looks, anew.version), n
        if delta is None:
            screen = Screen.full(new)
        else:
            screen.apply(delta, new)
        assert shown(screen) == shown(Screen.full(new)), f"after change {n}"
        wall = new


def test_the_card_shown_large_landing_in_a_cluster_changes_the_current_card() -> None:
    """One by one: the console's sorter names the card the board shows large."""
    step = a_step(hidden=True, config={cards.REVEALED_CARDS: ["c1"]})
    wall = a_wall(a_cluster("k1"), *unsorted(3), step=step)
    assert wall.current is not None and wall.current.id == "c1"

    landed = fragments.delta(wall, after(wall, cards.move_card(wall, "c1", "k1", 0)))
    written = fragments.delta(wall, after(wall, cards.fix_wording(wall, "c2", "Neu", 140)))

    assert landed is not None and landed.current_changed
    assert written is not None and not written.current_changed
