"""Kartenabfrage: participants write cards, the trainer clusters them on the board."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from board import cards, reveal
from board.exercise_fields import CARD_COLOUR, boolean, list_of
from board.kinds import Kind, Translate
from board.markup import md_escape
from board.workshops import new_id

if TYPE_CHECKING:
    from board.cards import Card, Wall
    from board.snapshot import Snapshot
    from board.store.repository import Change
    from board.web.trainer import TrainerInput


DENSITY = ((80, "wall--xdense"), (40, "wall--dense"), (16, "wall--medium"))
# Deals the cards at a reveal (tests put a seeded one in its place).
SHUFFLE: random.Random = random.SystemRandom()


def write(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """Zurufabfrage: the trainer writes a card the room calls out."""
    return [
        *cards.write_card(
            snap.wall,
            card_id=new_id(),
            text=ctx.text("text"),
            colour=ctx.text("colour"),
            cluster_id=ctx.text("cluster_id") or None,
            now=ctx.now,
            max_length=ctx.card_max_length,
        )
    ]


def edit_lock(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """The trainer turns the lock of participants' cards on this step on (``lock=on``,
    a checkbox) or off."""
    step = cards.set_edit_lock(snap.step, ctx.text("lock") == "on")
    return [] if step == snap.step else [step]


def reveal_next(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """ "Nächste Karte": the board shows the next hidden card large (board.reveal)."""
    return [*reveal.reveal_next(snap.wall, SHUFFLE)]


def set_colours(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """The colours the step offers and what each means: ``colour_<name>=on`` for each
    offered colour, ``meaning_<name>`` its meaning (may be empty)."""
    chosen = [
        (colour, ctx.text(f"meaning_{colour}"))
        for colour in cards.COLOURS
        if ctx.text(f"colour_{colour}") == "on"
    ]
    step = cards.set_colours(snap.step, chosen)
    return [] if step == snap.step else [step]


def density(total: int) -> str:
    """The board wall's class for this many cards ("" : the roomiest)."""
    return next((name for limit, name in DENSITY if total > limit), "")


class Cards(Kind):
    name = "cards"
    minutes = 20
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {
            "de": "Was fällt Ihnen dazu ein? Eine Idee pro Karte.",
            "en": "What comes to mind? One idea per card.",
        }
    }
    sections = frozenset({"clusters", "cards"})
    hideable = True
    takes_cards = True
    settings = {
        "hidden": boolean,
        "colours": list_of(CARD_COLOUR, 1, 6),
        cards.LOCK_EDITS: boolean,
    }
    defaults: ClassVar[dict[str, Any]] = {"hidden": False}
    closed_note = "step_closed_note"
    hidden_note = "hidden_note"
    hide_label = "hide_until_reveal"
    reveal_label = "reveal_all"
    results_link = "show_wall"
    trainer_actions = {
        "card-write": write,
        "edit-lock": edit_lock,
        "reveal-next": reveal_next,
        "card-colours": set_colours,
    }

    def reveal(self, snap: Snapshot) -> Sequence[Change]:
        """ "Alle aufdecken": every card at once, shuffled (board.reveal)."""
        return reveal.reveal_all(snap.wall, SHUFFLE)

    def hidden_counts(self, snap: Snapshot) -> tuple[int, ...]:
        return (len(snap.wall.cards),)

    def wall_class(self, snap: Snapshot) -> str:
        """Denser cards as the wall fills (a hidden wall shows only a counter)."""
        found = density(len(snap.wall.cards))
        return f" {found}" if found else " "

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        wall = snap.wall
        named = cards.colour_names(snap.step, lang, t)
        if cards.has_legend(snap.step):
            legend = " · ".join(named[m.colour] for m in cards.meanings(snap.step))
            yield f"{t('colour_legend')}: {md_escape(legend)}"
            yield ""
        for cluster in wall.ordered_clusters():
            yield f"### {md_escape(cluster.heading)}"
            yield ""
            yield from _md_cards(wall, wall.in_cluster(cluster.id), named, t)
            yield ""
        unsorted = wall.in_cluster(None)
        if unsorted:
            yield f"### {t('unsorted')}"
            yield ""
            yield from _md_cards(wall, unsorted, named, t)


def _md_cards(
    wall: Wall, cards: Iterable[Card], named: dict[str, str], t: Translate
) -> Iterator[str]:
    for card in cards:
        stacked = len(wall.stacked_under(card.id))
        extra = f" (×{stacked + 1})" if stacked else ""
        edited = f" · *{t('edited')}*" if card.edited else ""  # as the HTML and PDF mark it
        yield f"- {md_escape(card.text)}{extra} — {md_escape(named[card.colour])}{edited}"


KIND = Cards()
