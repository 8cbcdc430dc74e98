"""Benchmark: bytes per board frame for one card change, by the size of the wall.

In process, no server: a workshop with a wall of N cards (most sorted into up to
eight clusters, five unsorted), one board watching (after its full frame), then one
change of each kind a room makes — a new card, a corrected wording, a move into a
cluster, a card stacked onto another, a deletion — each rendered alone, then one
new card on the step hidden (after one change untimed: the first card frame compiles its
templates). Prints the size of the board's frame and the console's
for each, and the server's CPU for the change (the write, the render, the frames):
beside them the full frame, and the CPU of rendering the wall whole for a board and a
console once, which every card change cost before card frames.
The target (board/live/fragments.py FRAME_BUDGET): at most 2 KB to a board per
card change, however full the wall.

    python bench/card_frames.py [--cards 10 100 300]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from board import cards
from board.cards import Wall
from board.live.fragments import FRAME_BUDGET
from board.live.hub import Subscription
from board.service import Service
from board.settings import Settings
from board.store.repository import Change
from board.workshops import Workshop, new_id

CLUSTERS = 8  # at most: one per ten cards, two at least
UNSORTED = 5  # cards left in the tray: the board keeps its unsorted column


def _bytes(subscription: Subscription) -> int:
    """The bytes of the frames waiting for a socket (taken: the next change starts at 0)."""
    total = 0
    while (frame := subscription.next_frame()) is not None:
        total += len(frame.text.encode())
    return total


async def _wall(service: Service, size: int) -> Workshop:
    workshop = await service.create_workshop("Kundenbegeisterung")
    for n in range(size):
        text = f"Idee {n}: schneller zurückrufen"
        await service.add_card(workshop, None, None, text, "yellow")

    clusters = min(CLUSTERS, max(2, size // 10))

    def sort(wall: Wall) -> list[Change]:
        changes: list[Change] = []
        for k in range(clusters):
            changes += cards.create_cluster(wall, f"k{k}", f"Thema {k + 1}", float(k))
        return changes

    await service.execute_on_cards(workshop, sort)
    snap = await service.snapshot(workshop.id)
    for n, card in enumerate(snap.wall.cards[: max(0, size - UNSORTED)]):
        target = f"k{n % clusters}"
        await service.execute_on_cards(
            workshop, lambda wall, c=card.id, t=target: cards.move_card(wall, c, t, 10_000)
        )
    return await service.workshop(workshop.code)


def _changes(wall: Wall) -> dict[str, Callable[[Wall], Sequence[Change]]]:
    unsorted = wall.in_cluster(None)
    sorted_ = wall.in_cluster("k0")
    new = "Rückruf am selben Tag"
    return {
        "new card": lambda w: cards.write_card(
            w, card_id=new_id(), text=new, colour="yellow", cluster_id=None, now=1e10, max_length=99
        ),
        "wording": lambda w: cards.fix_wording(w, unsorted[0].id, "Korrigiert: Rückruf", 140),
        "move": lambda w: cards.move_card(w, unsorted[1].id, "k1", 0),
        "stack": lambda w: cards.stack(w, sorted_[1].id, sorted_[0].id),
        "delete": lambda w: cards.delete_card(w, sorted_[2].id),
    }


Sizes = dict[str, tuple[int, int, float]]  # board bytes, console bytes, CPU ms


async def measure(size: int) -> Sizes:
    with tempfile.TemporaryDirectory() as folder:
        service = Service(Settings(data_dir=Path(folder)))
        try:
            workshop = await _wall(service, size)
            board = service.hub.subscribe(workshop.id, frozenset({"board/de"}))
            console = service.hub.subscribe(workshop.id, frozenset({"trainer/de"}))
            service.live.watch(workshop.id, workshop.seq)
            full = await service.live.full_frame(workshop.id, "board", "de", None)
            whole = await service.live.full_frame(workshop.id, "trainer", "de", None)
            snap = await service.snapshot(workshop.id)
            started = time.process_time()
            for role in ("board", "trainer"):  # what every card change cost before
                service.live.render(snap, role, "de", {"wall"})
            rendered = (time.process_time() - started) * 1000
            sizes = {"full frame": (len(full.text.encode()), len(whole.text.encode()), rendered)}
            # Untimed: the first card frame of a process compiles its templates (some 4 ms,
            # once), which is no card's cost. A card no change below touches.
            last = snap.wall.in_cluster(None)[-1].id
            await service.execute_on_cards(
                workshop, lambda wall: cards.fix_wording(wall, last, "Aufgewärmt", 140)
            )
            await service.live.settled()
            _bytes(board), _bytes(console)
            for name, change in _changes(snap.wall).items():
                started = time.process_time()
                await service.execute_on_cards(workshop, change)
                await service.live.settled()
                spent = (time.process_time() - started) * 1000
                sizes[name] = (_bytes(board), _bytes(console), spent)
            # Collected hidden: the board gets its counter, the console the card.
            await service.execute(workshop, lambda snap: [replace(snap.step, hidden=True)])
            await service.live.settled()
            _bytes(board), _bytes(console)
            started = time.process_time()
            await service.execute_on_cards(workshop, _changes(snap.wall)["new card"])
            await service.live.settled()
            spent = (time.process_time() - started) * 1000
            sizes["hidden card"] = (_bytes(board), _bytes(console), spent)
            return sizes
        finally:
            service.close()


async def main(sizes: list[int]) -> None:
    print(f"{'cards':>6} {'change':<12} {'board B':>8} {'console B':>10} {'CPU ms':>7}")
    worst = 0
    for size in sizes:
        for name, (board, console, spent) in (await measure(size)).items():
            print(f"{size:>6} {name:<12} {board:>8} {console:>10} {spent:>7.1f}")
            if name != "full frame":
                worst = max(worst, board)
    verdict = "within" if worst <= FRAME_BUDGET else "OVER"
    print(f"largest board frame per card change: {worst} B ({verdict} {FRAME_BUDGET} B)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, nargs="+", default=[10, 100, 300])
    asyncio.run(main(parser.parse_args().cards))
