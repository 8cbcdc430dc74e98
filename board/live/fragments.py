"""Card frames: a change of a few cards as a few swaps, not the whole wall again.

A card wall of 300 cards renders to about 47 KB; a new card is one article of a
few hundred bytes. :func:`delta` compares the wall the screens were last sent
(the live renderer keeps it per workshop) with the wall now, card by card, and
says which top cards to take off (deleted, stacked, moved or changed) and where
each new or changed one goes: after the card before it, or first or last in its
cluster (``cards-<cluster>``, ``cards-unsorted``). Applied in that order — every
removal first, then each placement in the wall's order — the swaps turn the wall
they were made from into the wall now, whatever the cards in between did.

The comparison runs on the wall itself, not on the notices of the writes: a
render reads the database as it is, which may already hold a write whose notice
is still on its way, and a burst of notices is rendered at once.

A change of the layout (a cluster made, renamed, moved or removed; the step
changed, hidden or revealed; the board's density class or its unsorted column
coming or going) and more than :data:`MAX_CARDS` cards at once return None: the
whole wall is rendered then, as it is on connect, on a resync and on a catch-up.

Each frame of swaps names the wall it was made from and the wall it makes
(:func:`version`, a digest of what the wall shows); a screen whose wall is
another applies nothing and asks for a full render (static/js/live.js).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from board.cards import Card, Wall
from board.kinds import cards as cards_kind

# More cards changed at once than this (a reveal, an undo, a merge): the whole wall.
MAX_CARDS = 20
# The most one card's change may cost a board's socket, however full the wall (the
# issue's target; tests/test_live.py and bench/cards.py hold frames to it).
FRAME_BUDGET = 2048
UNSORTED = "unsorted"  # the id suffix of the unsorted cards' container


def version(wall: Wall) -> str:
    """A digest of everything a card wall shows (not who wrote what: the room's cut
    of a wall it may see has the same version as the trainer's)."""
    return _digest(wall, [_shown(card) for card in wall.cards])


def _shown(c: Card) -> str:
    """What :func:`version` digests of one card."""
    return (
        f"\x1d{c.id}\x1f{c.text}\x1f{c.colour}\x1f{c.cluster_id or ''}\x1f{c.stacked_on or ''}"
        f"\x1f{c.position}\x1f{'e' if c.edited else ''}\x1f{c.created_at!r}"
    )


def _digest(wall: Wall, shown: list[str]) -> str:
    digest = hashlib.blake2b(wall.step.id.encode(), digest_size=8)
    for cluster in wall.clusters:
        digest.update(f"\x1e{cluster.id}\x1f{cluster.heading}\x1f{cluster.position}".encode())
    digest.update("".join(shown).encode())  # all cards at once: a wall of 300 per change
    return digest.hexdigest()


@dataclass(frozen=True)
class Sent:
    """A wall as the screens were sent it, with what the next :func:`delta` compares
    (kept by the live renderer: each wall is taken apart once, not once more per change)."""

    wall: Wall
    version: str
    tops: dict[str | None, list[str]]
    looks: dict[str, tuple[object, ...]]
    cards: dict[str, Card]  # by id
    shown: dict[str, str]  # what the version digests of each card, by id

    @classmethod
    def of(cls, wall: Wall, version_: str | None = None) -> Sent:
        cards = {card.id: card for card in wall.cards}
        shown = {card.id: _shown(card) for card in wall.cards}
        version_ = version_ or _digest(wall, list(shown.values()))
        return cls(wall, version_, _tops(wall), _looks(wall), cards, shown)

    def then(self, new: Wall) -> Sent:
        """``new`` as sent after this wall: what no change touched is kept. A card that
        is the same object is the same card (rows are frozen), and a write's wall shares
        every card it did not change with the wall it was decided on
        (board.snapshot.after), which the next write decides on again."""
        cards: dict[str, Card] = {}
        shown: dict[str, str] = {}
        changed: list[Card] = []
        for card in new.cards:
            cards[card.id] = card
            if self.cards.get(card.id) is card:
                shown[card.id] = self.shown[card.id]
            else:
                changed.append(card)
                shown[card.id] = _shown(card)
        if len(changed) * 4 > len(new.cards):  # read anew, or much changed: all over
            return Sent.of(new)
        gone = [card for card_id, card in self.cards.items() if card_id not in cards]
        # A card's look shows the cards stacked under it: a card changed, come or gone
        # touches the card it lies (or lay) on.
        was = [self.cards[card.id] for card in changed if card.id in self.cards]
        touched = {card.id for card in changed}
        touched |= {card.stacked_on for card in (*changed, *was, *gone) if card.stacked_on}
        looks = {
            card.id: _look(new, card) if card.id in touched else self.looks[card.id]
            for card in new.cards
            if card.stacked_on is None
        }
        version_ = _digest(new, list(shown.values()))
        return Sent(new, version_, _tops(new), looks, cards, shown)


def container(cluster_id: str | None) -> str:
    """The id of the element a cluster's (or the unsorted) top cards sit in."""
    return f"cards-{cluster_id or UNSORTED}"


@dataclass(frozen=True)
class Placed:
    card_id: str
    # The htmx out-of-band swap that puts the card where it goes.
    where: str


@dataclass(frozen=True)
class WallDelta:
    base: str  # the version of the wall the swaps apply to
    version: str  # the version they make
    removed: tuple[str, ...]  # top cards to take off, by id
    placed: tuple[Placed, ...]  # then put in, in this order
    # Clusters (None: the unsorted) whose number of top cards changed, and whether the
    # number of all cards did: the console shows both.
    counted: tuple[str | None, ...]
    total_changed: bool
    # The board's wall must be laid out anew (its density class, the unsorted column).
    board_layout: bool
    # The card a reveal one by one shows large came or went: the console's sorter says
    # which it is (and a hidden wall's board is rendered whole anyway).
    current_changed: bool

    @property
    def empty(self) -> bool:
        return not (self.removed or self.placed or self.counted or self.total_changed)

    @property
    def card_ids(self) -> frozenset[str]:
        return frozenset(p.card_id for p in self.placed)


def delta(old: Wall, new: Wall, base: str | None = None) -> WallDelta | None:
    """The swaps from ``old`` to ``new``, or None: render the whole wall."""
    return delta_from(Sent.of(old, base), new)[0]


def delta_from(sent: Sent, new: Wall) -> tuple[WallDelta | None, Sent]:
    """The swaps from the wall the screens were sent to ``new`` (None: render the whole
    wall), and ``new`` as sent."""
    old = sent.wall
    if old.step != new.step or old.clusters != new.clusters:
        return None, Sent.of(new)
    now = sent.then(new)
    before, after = sent.tops, now.tops
    place_before = {card: key for key, ids in before.items() for card in ids}
    place_after = {card: key for key, ids in after.items() for card in ids}
    look_before, look_after = sent.looks, now.looks
    redrawn = {
        card
        for card, key in place_after.items()
        if place_before.get(card, "-") != key or look_before.get(card) != look_after[card]
    }
    for key, ids in after.items():
        kept = [c for c in ids if c not in redrawn]
        still = set(kept)
        if kept != [c for c in before[key] if c in still]:  # else none moved: in order
            redrawn |= _out_of_order(kept, before[key])
    removed = [card for card in place_before if card not in place_after or card in redrawn]
    if len(redrawn | set(removed)) > MAX_CARDS:
        return None, now
    placed = [
        Placed(card, _where(key, ids, i))
        for key, ids in after.items()
        for i, card in enumerate(ids)
        if card in redrawn
    ]
    found = WallDelta(
        base=sent.version,
        version=now.version,
        removed=tuple(removed),
        placed=tuple(placed),
        counted=tuple(key for key in after if len(after[key]) != len(before[key])),
        total_changed=len(old.cards) != len(new.cards),
        board_layout=(
            cards_kind.density(len(old.cards)) != cards_kind.density(len(new.cards))
            or bool(before[None]) != bool(after[None])
        ),
        current_changed=_current(old) != _current(new),
    )
    return found, now


def _current(wall: Wall) -> str | None:
    card = wall.current
    return card.id if card is not None else None


def _tops(wall: Wall) -> dict[str | None, list[str]]:
    """The top cards of each cluster and of the unsorted, in the wall's order."""
    groups: dict[str | None, list[Card]] = {None: []}
    groups |= {cluster.id: [] for cluster in wall.ordered_clusters()}
    for card in wall.cards:  # one pass, where Wall.in_cluster would take one per cluster
        if card.stacked_on is None and card.cluster_id in groups:
            groups[card.cluster_id].append(card)
    # In Wall.in_cluster's order.
    return {
        key: [c.id for c in sorted(cards, key=lambda c: (c.position, c.created_at))]
        for key, cards in groups.items()
    }


def _looks(wall: Wall) -> dict[str, tuple[object, ...]]:
    """Everything each top card's article shows (the cards stacked under it too)."""
    return {card.id: _look(wall, card) for card in wall.cards if card.stacked_on is None}


def _look(wall: Wall, card: Card) -> tuple[object, ...]:
    under = tuple((c.id, c.text) for c in wall.stacked_under(card.id))
    return (card.text, card.colour, card.edited, under)


def _out_of_order(kept: Sequence[str], before: Iterable[str]) -> set[str]:
    """The fewest of ``kept`` (cards that stay in a cluster, in their new order) that
    moved: all but a longest run in the order they had before."""
    index = {card: i for i, card in enumerate(before)}
    order = [index[card] for card in kept]
    return {kept[i] for i in set(range(len(kept))) - _increasing(order)}


def _increasing(values: Sequence[int]) -> set[int]:
    """The positions of a longest increasing subsequence of ``values`` (n log n)."""
    tails: list[int] = []  # the smallest last value of a run of each length
    ends: list[int] = []  # where that run ends
    previous = [-1] * len(values)
    for i, value in enumerate(values):
        at = bisect.bisect_left(tails, value)
        if at:
            previous[i] = ends[at - 1]
        if at == len(tails):
            tails.append(value)
            ends.append(i)
        else:
            tails[at], ends[at] = value, i
    found: set[int] = set()
    i = ends[-1] if ends else -1
    while i >= 0:
        found.add(i)
        i = previous[i]
    return found


def _where(key: str | None, ids: Sequence[str], i: int) -> str:
    """Where a card goes: last and first in its container by the container, so a
    card appended lands right even next to one the console moved ahead of the server;
    else after the card before it, in the same container (or nowhere: a screen whose
    card is elsewhere asks for a full render)."""
    box = f"#{container(key)}"
    if i == len(ids) - 1:
        return f"beforeend:{box}"
    if i == 0:
        return f"afterbegin:{box}"
    return f"afterend:{box}>#card-{ids[i - 1]}"
