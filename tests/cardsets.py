"""The labelled card walls of tests/data/cards/ (see its README) and how suggestions are
scored against them: pair precision and recall for stacks, the adjusted Rand index for
clusters."""

from __future__ import annotations

import itertools
import random
import tomllib
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from math import comb
from pathlib import Path

from board.similar import Suggestions

FOLDER = Path(__file__).parent / "data" / "cards"
# Fixed when the sets were written, before any tuning (tests/data/cards/README.md).
TUNING_SETS = ("kundenbegeisterung", "erwartungen")
HELD_OUT_SETS = ("reaktion", "meetings-en")


@dataclass(frozen=True)
class LabelledCard:
    id: str
    text: str
    cluster: int
    stack: tuple[int, int]  # (cluster, stack within it)


@dataclass(frozen=True)
class Wall:
    name: str
    prompt: str
    language: str
    cards: tuple[LabelledCard, ...]

    @property
    def texts(self) -> dict[str, str]:
        return {card.id: card.text for card in self.cards}


def load(name: str) -> Wall:
    """A labelled wall, its cards shuffled (by a fixed seed) as they would arrive."""
    data = tomllib.loads((FOLDER / f"{name}.toml").read_text(encoding="utf-8"))
    cards = [
        (text, cluster_index, (cluster_index, stack_index))
        for cluster_index, cluster in enumerate(data["clusters"])
        for stack_index, stack in enumerate(cluster["stacks"])
        for text in stack
    ]
    random.Random(16).shuffle(cards)
    return Wall(
        name,
        data["title"],
        data["language"],
        tuple(
            LabelledCard(str(index), text, cluster, stack)
            for index, (text, cluster, stack) in enumerate(cards)
        ),
    )


def pairs(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    return {pair for group in groups for pair in itertools.combinations(sorted(group), 2)}


def true_stack_pairs(wall: Wall) -> set[tuple[str, str]]:
    stacks: dict[tuple[int, int], list[str]] = {}
    for card in wall.cards:
        stacks.setdefault(card.stack, []).append(card.id)
    return pairs(stacks.values())


@dataclass(frozen=True)
class Scores:
    precision: float  # share of suggested stack pairs that are true pairs
    recall: float  # share of true pairs suggested
    suggested_pairs: int
    ari: float  # cluster proposals against the moderator's clusters


def score(wall: Wall, suggestions: Suggestions) -> Scores:
    true = true_stack_pairs(wall)
    suggested = pairs(stack.card_ids for stack in suggestions.stacks)
    found = len(true & suggested)
    proposed: dict[str, Hashable] = {}
    for index, cluster in enumerate(suggestions.clusters):
        for card_id in cluster.card_ids:
            proposed[card_id] = index
    return Scores(
        precision=found / len(suggested) if suggested else 1.0,
        recall=found / len(true),
        suggested_pairs=len(suggested),
        # A card in no proposal stands alone.
        ari=adjusted_rand_index(
            [card.cluster for card in wall.cards],
            [proposed.get(card.id, f"alone {card.id}") for card in wall.cards],
        ),
    )


def adjusted_rand_index(truth: Sequence[Hashable], proposed: Sequence[Hashable]) -> float:
    """Hubert and Arabie's adjusted Rand index of two labellings of the same items: 1 when
    they agree, about 0 for a random one (negative if worse)."""
    if len(truth) != len(proposed):
        raise ValueError("two labellings of different lengths")
    together = sum(comb(n, 2) for n in Counter(zip(truth, proposed, strict=True)).values())
    in_truth = sum(comb(n, 2) for n in Counter(truth).values())
    in_proposed = sum(comb(n, 2) for n in Counter(proposed).values())
    all_pairs = comb(len(truth), 2)
    expected = in_truth * in_proposed / all_pairs if all_pairs else 0.0
    best = (in_truth + in_proposed) / 2
    if best == expected:
        return 1.0  # both put every item alone (or both in one group): they agree
    return (together - expected) / (best - expected)
