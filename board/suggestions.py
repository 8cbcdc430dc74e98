"""The console's "Ähnliche Karten": board.similar's suggestions for the active step's
wall, kept per step and computed off the event loop.

Only the trainer's console asks for them (``GET /w/{code}/t/suggestions``,
board.web.trainer), over HTTP: no suggestion is ever part of a frame, so none can reach
a board or a phone. Accepting one is a trainer action like every other (a tap).

What is compared:

- **stacks** among the wall's top cards (a card stacked under another is merged
  already), wherever they lie: a new card may repeat one the trainer sorted;
- **cluster proposals** among the unsorted top cards only (a sorted card stays where the
  trainer put it), and only when the trainer asks for them.

Each (step, language, scope) keeps one :class:`board.similar.SimilarCards`, fed only
what changed since its last call; a wall whose cards and texts are as last time gets
the last answer without a thread hop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from board import similar
from board.cards import Card, Wall

# Walls kept (a workshop's steps, other workshops): the least recently asked go first.
MAX_KEPT_WALLS = 64

Scope = Literal["stacks", "clusters"]
# The cards compared, and what a wall's fingerprint is made of.
Fingerprint = frozenset[tuple[str, str]]
# What one engine is kept for: step id, language, the step's question, scope.
_Key = tuple[str, str, str, Scope]


@dataclass(frozen=True)
class StackSuggestion:
    """Cards that say the same thing; accepting stacks the others onto the first."""

    cards: tuple[Card, ...]


@dataclass(frozen=True)
class ClusterSuggestion:
    """Unsorted cards that belong together, with a heading made of their telling words."""

    heading: str
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Suggested:
    stacks: tuple[StackSuggestion, ...]
    clusters: tuple[ClusterSuggestion, ...] | None  # None: not asked for
    language: str


def top_cards(wall: Wall) -> list[Card]:
    """The cards a stack suggestion may take: every card not lying under another."""
    return [card for card in _in_order(wall) if card.stacked_on is None]


def unsorted_cards(wall: Wall) -> list[Card]:
    """The cards a cluster proposal may take: the top cards not in a cluster."""
    return [card for card in top_cards(wall) if card.cluster_id is None]


def _in_order(wall: Wall) -> list[Card]:
    # The order the room wrote them in: the first of a stack is the one written first.
    return sorted(wall.cards, key=lambda card: (card.created_at, card.id))


def language_of(wall: Wall) -> str:
    """The wall's language, by its cards and its question (a workshop has none)."""
    return similar.detect_language([wall.step.question, *(card.text for card in wall.cards)])


@dataclass
class _Kept:
    engine: similar.SimilarCards
    texts: dict[str, str] = field(default_factory=dict)  # what the engine holds
    # The last answer and the cards it was computed for: one attribute, so a reader
    # never sees one without the other.
    last: tuple[Fingerprint, similar.Suggestions] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Suggester:
    """The suggestions of every wall asked for in this process, kept per step."""

    def __init__(
        self, tuning: similar.Tuning = similar.DEFAULT_TUNING, kept: int = MAX_KEPT_WALLS
    ) -> None:
        self.tuning = tuning
        self.max_kept = kept
        self._lock = threading.Lock()
        self._kept: OrderedDict[_Key, _Kept] = OrderedDict()
        # How many times a wall's suggestions were computed (not answered from the cache).
        self.computed = 0
        # By step: pairs of cards the trainer left out of a stack she accepted (she
        # unticked one): never suggested together again. In this process only: a hint.
        self._apart: OrderedDict[str, set[frozenset[str]]] = OrderedDict()

    def keep_apart(self, step_id: str, stacked: Iterable[str], left_out: Iterable[str]) -> None:
        """The trainer stacked ``stacked`` and left ``left_out`` out of that suggestion."""
        pairs = {frozenset((a, b)) for a in stacked for b in left_out if a != b}
        if not pairs:
            return
        with self._lock:
            self._apart.setdefault(step_id, set()).update(pairs)
            self._apart.move_to_end(step_id)
            while len(self._apart) > self.max_kept:
                self._apart.popitem(last=False)

    def _together(self, step_id: str, cards: tuple[Card, ...]) -> tuple[Card, ...]:
        """A suggested stack without the cards the trainer kept apart from one before."""
        with self._lock:
            apart = set(self._apart.get(step_id, ()))
        kept: list[Card] = []
        for card in cards:
            if not any(frozenset((card.id, other.id)) in apart for other in kept):
                kept.append(card)
        return tuple(kept)

    async def for_wall(self, wall: Wall, clusters: bool = False) -> Suggested:
        """The stacks (and, when asked, the cluster proposals) for ``wall`` as it is."""
        language = language_of(wall)
        stacks = await self._scope(wall, language, "stacks", top_cards(wall))
        proposals = None
        if clusters:
            proposals = await self._scope(wall, language, "clusters", unsorted_cards(wall))
        by_id = {card.id: card for card in wall.cards}
        together = [self._together(wall.step.id, _cards(s.card_ids, by_id)) for s in stacks.stacks]
        return Suggested(
            tuple(StackSuggestion(cards) for cards in together if len(cards) > 1),
            None
            if proposals is None
            else tuple(
                ClusterSuggestion(proposal.heading, _cards(proposal.card_ids, by_id))
                for proposal in proposals.clusters
            ),
            language,
        )

    async def _scope(
        self, wall: Wall, language: str, scope: Scope, compared: Sequence[Card]
    ) -> similar.Suggestions:
        fingerprint: Fingerprint = frozenset((card.id, card.text) for card in compared)
        # The question is in the key: its words are no evidence (similar.echo_of).
        key = (wall.step.id, language, wall.step.prompt(language), scope)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                if kept.last is not None and kept.last[0] == fingerprint:
                    return kept.last[1]
        # Stemming new cards and the clustering take milliseconds to a second on a big
        # wall: never on the event loop, where every screen's frames are made.
        return await asyncio.to_thread(self._compute, key, compared, fingerprint)

    def _compute(
        self,
        key: _Key,
        compared: Sequence[Card],
        fingerprint: Fingerprint,
    ) -> similar.Suggestions:
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                engine = similar.SimilarCards(key[1], key[2], self.tuning)
                kept = self._kept[key] = _Kept(engine)
                while len(self._kept) > self.max_kept:
                    self._kept.popitem(last=False)
        # One wall at a time per wall (two consoles asking at once compute once), other
        # workshops' walls meanwhile.
        with kept.lock:
            if kept.last is not None and kept.last[0] == fingerprint:
                return kept.last[1]
            texts = {card.id: card.text for card in compared}
            for card_id in [card_id for card_id in kept.texts if card_id not in texts]:
                kept.engine.remove(card_id)
            for card_id, text in texts.items():
                if kept.texts.get(card_id) != text:
                    kept.engine.put(card_id, text)
            kept.texts = texts
            answer = kept.engine.suggestions()
            kept.last = (fingerprint, answer)
            with self._lock:
                self.computed += 1
        return answer


def _cards(card_ids: Sequence[str], by_id: dict[str, Card]) -> tuple[Card, ...]:
    # In the order written: the first card of a stack is the one the others go under.
    found = [by_id[card_id] for card_id in card_ids if card_id in by_id]
    return tuple(sorted(found, key=lambda card: (card.created_at, card.id)))
