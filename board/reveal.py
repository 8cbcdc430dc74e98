"""The Metaplan reveal of a hidden Kartenabfrage: the cards shuffled, then shown one at
a time or all at once. No I/O.

Shuffled, so that one person's cards do not sit together and nobody can tell from the
order who wrote what: the unsorted cards' positions are dealt anew at the reveal (the
order the board, the console and the protocol show). One at a time: each "Nächste
Karte" adds the next card to the step's list of cards the room has seen
(``cards.REVEALED_CARDS``); the board shows it large until it lands on the wall, and
boards and phones receive only the cards on that list (board.snapshot). A tap with no
card left ends the reveal: the step is revealed as a whole.

A step that was never hidden is not shuffled: the room saw each card arrive, in that
order, so a new order would hide nothing, and it would move the cards under the
trainer's hands while she clusters.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from board import steps
from board.cards import REVEALED_CARDS, Card, Change, Wall
from board.errors import Refused


def shuffled(cards: Sequence[Card], rng: random.Random) -> list[Card]:
    """``cards`` in a random order in which no two cards of one person sit side by side,
    as far as the room allows (when one person wrote most cards, some must).

    Dealt card by card: each time a random card of someone other than the last card's
    author, unless one person's cards would otherwise be left to pile up at the end
    (half of those left or more are theirs): then theirs comes now."""
    piles: dict[str, list[Card]] = {}
    for card in cards:  # the trainer's own cards have no author to hide: each its own pile
        piles.setdefault(card.participant_id or f"card:{card.id}", []).append(card)
    for pile in piles.values():
        rng.shuffle(pile)
    order: list[Card] = []
    last: str | None = None
    while piles:
        left = sum(len(pile) for pile in piles.values())
        allowed = [who for who in piles if who != last] or list(piles)
        crowded = [who for who in allowed if 2 * len(piles[who]) >= left]
        if crowded:
            last = max(crowded, key=lambda who: len(piles[who]))
        else:
            last = rng.choice([who for who in allowed for _ in piles[who]])
        order.append(piles[last].pop())
        if not piles[last]:
            del piles[last]
    return order


def _dealt(wall: Wall, rng: random.Random) -> list[Change]:
    """The unsorted cards' new positions: those the room has seen keep their order in
    front, the others follow shuffled."""
    unsorted = wall.in_cluster(None)
    seen = [c for c in unsorted if wall.is_revealed(c)]
    order = seen + shuffled([c for c in unsorted if not wall.is_revealed(c)], rng)
    return [replace(c, position=i) for i, c in enumerate(order) if c.position != i]


def _require_hidden(wall: Wall) -> None:
    if not wall.step.hidden or wall.step.revealed:
        raise Refused("nothing_hidden", 409)


def reveal_next(wall: Wall, rng: random.Random) -> list[Change]:
    """ "Nächste Karte": the next card for the room (the first tap shuffles them all);
    with none left, the reveal ends and the last card lands."""
    _require_hidden(wall)
    changes: list[Change] = []
    if not wall.shown_one_by_one:
        changes = _dealt(wall, rng)
        dealt = {c.id: c for c in changes if isinstance(c, Card)}
        wall = replace(wall, cards=tuple(dealt.get(c.id, c) for c in wall.cards))
    waiting = wall.waiting()
    if not waiting:
        return [*changes, steps.reveal(wall.step)]
    shown = [*wall.shown_one_by_one, waiting[0].id]
    return [*changes, replace(wall.step, config=wall.step.config | {REVEALED_CARDS: shown})]


def reveal_all(wall: Wall, rng: random.Random) -> list[Change]:
    """ "Alle aufdecken": every card at once, the unseen ones shuffled (again a no-op on a
    step already revealed: a second tap must not deal the cards anew)."""
    if wall.step.revealed:
        return []
    step = steps.reveal(wall.step)
    return [*_dealt(wall, rng), step]
