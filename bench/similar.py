"""Benchmark: how long "Ähnliche Karten" takes for a wall of 100, 300 and 1,000 cards.

In process, no server. The walls are drawn from the German labelled walls in
tests/data/cards/ (about 200 cards): each card is a labelled one, or, once those are used
up, two halves of labelled cards joined ("Zusagen einhalten" + "am Telefon"), so a big
wall keeps the vocabulary and the repeats of a real one. For each size it times

- **full, cold**: ``suggest`` on the whole wall with empty stemming caches (the first
  computation after a server start);
- **full, warm**: the same again (the words of each text cached);
- **one card added**: a kept ``SimilarCards`` with the wall, one new card put, then
  ``suggestions()``: what the console waits for while cards arrive;

and prints the median and the slowest of the repeats, the stacks and clusters found, and
the peak memory of one full computation (tracemalloc). Target (issue 16): 100 cards in
at most 200 ms.

    python bench/similar.py [--cards 100 300 1000] [--repeats 9]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tomllib
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from board import similar
from board.similar import SimilarCards, suggest

CARDS = Path(__file__).resolve().parent.parent / "tests" / "data" / "cards"
GERMAN_WALLS = ("kundenbegeisterung", "erwartungen", "reaktion")
PROMPT = "Was ist Kundenbegeisterung?"


def labelled_texts() -> list[str]:
    texts = []
    for name in GERMAN_WALLS:
        data = tomllib.loads((CARDS / f"{name}.toml").read_text(encoding="utf-8"))
        texts += [
            text for cluster in data["clusters"] for stack in cluster["stacks"] for text in stack
        ]
    return texts


def wall_of(size: int, texts: list[str], rng: random.Random) -> dict[str, str]:
    """``size`` cards: the labelled ones shuffled, then halves of two joined."""
    cards = rng.sample(texts, min(size, len(texts)))
    while len(cards) < size:
        first, second = rng.sample(texts, 2)
        head, tail = first.split(), second.split()
        cards.append(" ".join(head[: max(1, len(head) // 2)] + tail[len(tail) // 2 :]))
    return {str(index): text for index, text in enumerate(cards)}


def timed(work: Callable[[], object], repeats: int, before: Callable[[], None]) -> list[float]:
    times = []
    for _ in range(repeats):
        before()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def cold() -> None:
    similar.card_words.cache_clear()
    similar.stem.cache_clear()


def nothing() -> None:
    pass


def report(label: str, times: list[float]) -> None:
    print(
        f"  {label:<16} median {statistics.median(times) * 1000:8.1f} ms"
        f"   slowest {max(times) * 1000:8.1f} ms   ({len(times)} runs)"
    )


def bench(size: int, repeats: int, texts: list[str]) -> None:
    rng = random.Random(size)
    wall = wall_of(size, texts, rng)
    result = suggest(wall, "de", PROMPT)
    print(
        f"{size} cards: {len(result.stacks)} stacks, {len(result.clusters)} clusters"
        f" ({sum(len(c.card_ids) for c in result.clusters)} cards in them)"
    )
    report("full, cold", timed(lambda: suggest(wall, "de", PROMPT), repeats, cold))
    report("full, warm", timed(lambda: suggest(wall, "de", PROMPT), repeats, nothing))

    kept = SimilarCards("de", PROMPT)
    for card_id, text in wall.items():
        kept.put(card_id, text)
    kept.suggestions()
    new_cards = iter(wall_of(repeats * 2, texts, random.Random(-size)).values())

    def add_one() -> None:
        kept.put(f"new {rng.random()}", next(new_cards))
        kept.suggestions()

    report("one card added", timed(add_one, repeats, nothing))

    cold()
    tracemalloc.start()
    suggest(wall, "de", PROMPT)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  {'peak memory':<16} {peak / 1e6:8.1f} MB (one full computation, cold)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    texts = labelled_texts()
    for size in args.cards:
        bench(size, args.repeats if size < 1000 else max(3, args.repeats // 3), texts)


if __name__ == "__main__":
    main()
