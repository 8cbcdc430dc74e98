"""What "acknowledged means on disk" costs: the write path with synchronous=FULL vs NORMAL.

    python bench/durability.py                 # 3 rounds of each, about half a minute
    python bench/durability.py --rounds 5 --burst 3000 --cards 300

The storage layer as the server uses it (``board.store.database.Database``: one writer thread,
group commit of up to ``BATCH`` commands per transaction), on a fresh file per round,
once with ``PRAGMA synchronous=FULL`` (what the board runs: COMMIT returns after the WAL
is synced) and once with ``NORMAL`` (the WAL is synced only at checkpoints). The rounds
alternate FULL, NORMAL, FULL, … so both see the same machine noise; read the ratio.

- **dot burst**: ``--burst`` dots (one row each, as a vote is) submitted at once from the
  event loop, as a room's burst arrives; the writer batches them. Figures: time until
  the last acknowledgement, dots per second, acknowledgement latency p50/p99.
- **card storm**: ``--cards`` cards written one after another (each waits for its
  acknowledgement), as cards trickle in; every commit is its own transaction, so this is
  the cost of one sync. Figures: acknowledgement latency p50/p99.

Printed: one row per mode with the median over rounds, and FULL ÷ NORMAL.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from board.store.database import Database  # noqa: E402

MODES = ("FULL", "NORMAL")


@dataclass
class Figures:
    burst_total_ms: float
    burst_per_s: float
    burst_p50_ms: float
    burst_p99_ms: float
    card_p50_ms: float
    card_p99_ms: float


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def add_workshop(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO workshops (id, code, title, trainer_secret, seq, created_at)"
        " VALUES ('ws', 'WS', 'Bench', 'secret', 0, 0)"
    )
    conn.execute(
        "INSERT INTO steps (id, workshop_id, position, kind, question, state, hidden,"
        " revealed, config) VALUES ('step', 'ws', 0, 'dots', '', 'open', 0, 0, '{}')"
    )


def vote(n: int) -> object:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO votes (id, step_id, participant_id, key, value, created_at)"
            " VALUES (?, 'step', ?, 'option', 1, ?)",
            (f"v{n}", f"p{n}", time.time()),
        )
        conn.execute("UPDATE workshops SET seq = seq + 1 WHERE id = 'ws'")

    return write


def card(n: int) -> object:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO cards (id, step_id, participant_id, client_id, text, colour,"
            " position, edited, created_at) VALUES (?, 'step', ?, ?, ?, 'yellow', ?, 0, ?)",
            (f"c{n}", f"p{n}", f"draft{n}", f"Karte Nummer {n}", n, time.time()),
        )
        conn.execute("UPDATE workshops SET seq = seq + 1 WHERE id = 'ws'")

    return write


async def timed(db: Database, write: object) -> float:
    start = time.perf_counter()
    await db.write(write)  # type: ignore[arg-type]
    return (time.perf_counter() - start) * 1000


async def one_round(mode: str, burst: int, cards: int) -> Figures:
    with tempfile.TemporaryDirectory(prefix="board-durability-") as folder:
        db = Database(Path(folder) / "board.sqlite3", synchronous=mode)
        try:
            await db.write(add_workshop)
            start = time.perf_counter()
            burst_ms = await asyncio.gather(*(timed(db, vote(n)) for n in range(burst)))
            total = time.perf_counter() - start
            card_ms = [await timed(db, card(n)) for n in range(cards)]
        finally:
            db.close()
    return Figures(
        total * 1000,
        burst / total,
        percentile(burst_ms, 0.5),
        percentile(burst_ms, 0.99),
        percentile(card_ms, 0.5),
        percentile(card_ms, 0.99),
    )


def median_of(rounds: list[Figures], name: str) -> float:
    return statistics.median(getattr(f, name) for f in rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", type=int, default=3000, help="dots at once (default 3000)")
    parser.add_argument("--cards", type=int, default=300, help="cards one by one (default 300)")
    args = parser.parse_args()
    results: dict[str, list[Figures]] = {mode: [] for mode in MODES}
    for round_no in range(args.rounds):
        for mode in MODES:
            results[mode].append(asyncio.run(one_round(mode, args.burst, args.cards)))
            print(f"round {round_no + 1} {mode} done", file=sys.stderr)
    names = [name for name in Figures.__dataclass_fields__]
    header = ["synchronous", *names]
    print(" | ".join(header))
    for mode in MODES:
        print(" | ".join([mode, *(f"{median_of(results[mode], n):.1f}" for n in names)]))
    ratios = [median_of(results["FULL"], n) / median_of(results["NORMAL"], n) for n in names]
    print(" | ".join(["FULL ÷ NORMAL", *(f"{r:.2f}×" for r in ratios)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
