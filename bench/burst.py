"""Dot-vote burst: every phone spends its dots within a second; when does the board show them?

    python bench/burst.py                        # 500 phones, 3 dots each within 1 s, 1 board
    python bench/burst.py --phones 200 --boards 2 --dots 5 --window 0.5

One server (``python -m board serve``) on 127.0.0.1 with a fresh data folder runs a
workshop made from the built-in exercise ``8ps-beziehungsmarketing``: after the goal
question, its second step is a dot vote on 8 options, at most 2 dots on one option,
results visible. The trainer sets the budget to ``--dots``. The phones join over HTTP and hold their
sockets from separate processes (as in ``fanout.py``); each board records every
frame and the total of the dots in its ranking. Then ``SENDERS`` processes post
every phone's dots (``POST /w/{code}/vote``, ``delta=1``) in random order, spread
evenly over the window, without waiting for one answer before the next. All
processes stamp times with ``time.time()`` (one clock on one machine).

Printed: votes sent, acknowledged (HTTP 200) and refused; first vote → last
acknowledgement; last acknowledgement → the first board frame that shows the
acknowledged total; the board frames in between (how much the server coalesced);
the vote latency; the server's CPU time; and whether the boards, the
acknowledgements and the SQLite file agree. The exit status is 1 when they do not.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
from fanout import (
    CONNECT_DEADLINE,
    HTTP_TIMEOUT,
    PHONES_PER_PROCESS,
    SETTLE_SECONDS,
    Children,
    Server,
    bounded,
    cookie_of,
    cpu_seconds,
    expect,
    http_client,
    join_phones,
    percentile,
    phones_main,
    raise_fd_limit,
    start_server,
    stop_server,
    table,
    wait_healthy,
    wait_until,
    ws_connect,
)
from websockets.exceptions import ConnectionClosed

EXERCISE = "8ps-beziehungsmarketing"
MAX_PER_OPTION = 2  # exercises/5-8ps.toml
STEP_ID = re.compile(r'name="step_id" value="([^"]+)"')
OPTION = re.compile(r'name="option" value="([^"]+)"')
RANKING_ROW = 'data-option="'  # templates/kinds/results_dots.html
DOTS = re.compile(r"<b data-dots>(\d+)</b>")

SENDERS = 4
CONNECTIONS_PER_SENDER = 100  # 400 requests in flight at most, as from 400 phones
GO_LEAD = 0.3  # seconds from arming the senders to the first vote
DRAIN_DEADLINE = 15.0  # after the last answer, time the boards get to show the total
QUIET_SECONDS = 0.5  # after that, later frames must not change the total
SEED = 8


@dataclass(frozen=True)
class Burst:
    phones: int
    boards: int
    dots: int
    window: float

    @property
    def votes(self) -> int:
        return self.phones * self.dots

    @property
    def name(self) -> str:
        plural = "" if self.boards == 1 else "s"
        return (
            f"{self.phones} phones × {self.dots} dots within {self.window:g} s, "
            f"{self.boards} board{plural}"
        )


def log(text: str) -> None:
    print(f"[burst] {text}", file=sys.stderr, flush=True)


# -- the room ---------------------------------------------------------------------
@dataclass(frozen=True)
class Room:
    code: str
    step_id: str
    options: list[str]
    tokens: list[str]


async def set_up_room(base: str, phones: int, dots: int, bases: Sequence[str] = ()) -> Room:
    """The 8 Ps workshop on its dots step with a budget of ``dots``, the phones joined
    (through ``bases`` in turn if given)."""
    async with http_client(base) as client:
        form = {"title": "Dot-vote burst", "exercise": EXERCISE}
        created = expect(await client.post("/workshops", data=form), 303)
        code = created.headers["location"].split("/")[2]
        trainer = {"Cookie": f"mb_t_{code}={cookie_of(created, f'mb_t_{code}')}"}
        # The 8 Ps ask for the goal first; the dots on the instruments come next.
        expect(await client.post(f"/w/{code}/t/step-next", headers=trainer), 204)
        budget = {"budget": str(dots)}
        expect(await client.post(f"/w/{code}/t/dots-budget", data=budget, headers=trainer), 204)
        tokens = await join_phones(client, code, phones, bases)
        phone = {"Cookie": f"mb_p_{code}={tokens[0]}"}
        page = expect(await client.get(f"/w/{code}", headers=phone), 200).text
    step, options = STEP_ID.search(page), list(dict.fromkeys(OPTION.findall(page)))
    if step is None or not options or 'data-kind="dots"' not in page:
        raise RuntimeError(f"the phone page of {code} shows no dot vote")
    return Room(code, step[1], options, tokens)


Planned = tuple[float, int, str]  # seconds into the window, phone, option


def plan_votes(burst: Burst, options: list[str]) -> list[Planned]:
    """Every phone's dots (never more than allowed on one option), shuffled, evenly spaced."""
    rng = random.Random(SEED)
    slots = [option for option in options for _ in range(MAX_PER_OPTION)]
    if burst.dots > len(slots):
        raise RuntimeError(f"{burst.dots} dots do not fit on {len(options)} options")
    taps = [
        (phone, option) for phone in range(burst.phones) for option in rng.sample(slots, burst.dots)
    ]
    rng.shuffle(taps)
    gap = burst.window / len(taps)
    return [(i * gap, phone, option) for i, (phone, option) in enumerate(taps)]


# -- the boards -------------------------------------------------------------------
Seen = tuple[float, int, int]  # arrival, dots in the ranking (-1: frame without it), bytes


def dots_shown(text: str) -> int:
    """The total of the ranking in a board frame, or -1 when the frame has no ranking."""
    if RANKING_ROW not in text:
        return -1
    return sum(int(n) for n in DOTS.findall(text))


async def watch_board(
    base: str, code: str, out: Queue[Any], stop: Event, shown: Synchronized[int]
) -> dict[str, Any]:
    frames: list[Seen] = []
    closed = ""
    try:
        ws = await ws_connect(base, code, "board")
    except Exception as error:
        out.put(("ready", "board", 0, 1, repr(error)))
        raise
    out.put(("ready", "board", 1, 0, ""))
    async with ws:
        while not stop.is_set():
            try:
                text = str(await asyncio.wait_for(ws.recv(), 0.2))
            except TimeoutError:
                continue
            except ConnectionClosed as error:
                closed = f"closed by server: {error}"
                break
            total = dots_shown(text)
            frames.append((time.time(), total, len(text)))
            if total >= 0:
                shown.value = total
    return {"frames": frames, "closed": closed}


def board_main(
    index: int, base: str, code: str, out: Queue[Any], stop: Event, shown: Synchronized[int]
) -> None:
    raise_fd_limit()
    out.put(("board", index, asyncio.run(watch_board(base, code, out, stop, shown))))


def open_sockets(
    burst: Burst, server: Server, room: Room, children: Children
) -> tuple[list[Synchronized[int]], int, int]:
    """Boards and phones connected: what each board shows, phone processes, failed sockets."""
    shown = [children.ctx.Value("i", -1) for _ in range(burst.boards)]
    for index, value in enumerate(shown):
        children.start(
            board_main, index, server.base, room.code, children.out, children.stop, value
        )
    tokens, size = room.tokens, PHONES_PER_PROCESS
    shares = [tokens[i : i + size] for i in range(0, len(tokens), size)]
    for index, share in enumerate(shares):
        children.start(
            phones_main, index, server.base, room.code, share, children.out, children.stop
        )
    failed = 0
    for _, role, _, failures, error in children.inbox.take(
        {"ready"}, len(shown) + len(shares), CONNECT_DEADLINE
    ):
        if failures and role == "board":
            raise RuntimeError(f"a board could not connect: {error}")
        if failures:
            log(f"{failures} phone socket(s) failed to connect, e.g. {error}")
        failed += failures
    return shown, len(shares), failed


# -- the senders ------------------------------------------------------------------
Sent = tuple[int, str, float, float, int]  # phone, option, submitted, answered, status (0: none)


async def send_votes(
    index: int,
    base: str,
    room: Room,
    plan: list[Planned],
    out: Queue[Any],
    go: Synchronized[float],
) -> list[Sent]:
    """Post the planned dots once ``go`` holds the start time; what each one got."""
    # Queued votes wait on the semaphore, not in httpx's pool, whose bookkeeping
    # costs time per queued request and would make the sender fall behind the plan.
    in_flight = asyncio.Semaphore(CONNECTIONS_PER_SENDER)
    async with http_client(base, connections=CONNECTIONS_PER_SENDER) as client:

        async def vote(phone: int, option: str) -> Sent:
            form = {"step_id": room.step_id, "option": option, "delta": "1"}
            headers = {"Cookie": f"mb_p_{room.code}={room.tokens[phone]}"}
            submitted = time.time()
            try:
                async with in_flight:
                    response = await client.post(f"/w/{room.code}/vote", data=form, headers=headers)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            return phone, option, submitted, time.time(), status

        return await on_cue(index, plan, out, go, vote)


async def on_cue(
    index: int,
    plan: list[Planned],
    out: Queue[Any],
    go: Synchronized[float],
    vote: Callable[[int, str], Coroutine[Any, Any, Sent]],
) -> list[Sent]:
    """Say this sender is armed, wait until ``go`` holds the start time, then send each
    planned dot when it is due; what each one got."""
    out.put(("armed", index))
    while not go.value:
        await asyncio.sleep(0.005)
    tasks = []
    for offset, phone, option in plan:
        await asyncio.sleep(max(0.0, go.value + offset - time.time()))
        tasks.append(asyncio.create_task(vote(phone, option)))
    return list(await asyncio.gather(*tasks))


def sender_main(
    index: int,
    base: str,
    room: Room,
    plan: list[Planned],
    out: Queue[Any],
    go: Synchronized[float],
) -> None:
    raise_fd_limit()
    out.put(("sender", index, asyncio.run(send_votes(index, base, room, plan, out, go))))


# -- one run ----------------------------------------------------------------------
@dataclass
class Outcome:
    burst: Burst
    sent: list[Sent]
    boards: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    failed_connects: int
    stored: int  # sum(value) FROM votes in the SQLite file
    cpu: float
    cpu_wall: float

    @property
    def acked(self) -> int:
        return sum(1 for *_, status in self.sent if status == 200)

    @property
    def refused(self) -> Counter[int]:
        return Counter(status for *_, status in self.sent if status != 200)

    @property
    def first_vote(self) -> float:
        return min(submitted for _, _, submitted, _, _ in self.sent)

    @property
    def last_vote(self) -> float:
        return max(submitted for _, _, submitted, _, _ in self.sent)

    @property
    def last_ack(self) -> float:
        return max((answered for *_, answered, s in self.sent if s == 200), default=self.first_vote)

    @property
    def latency_ms(self) -> list[float]:
        """Round trip of each acknowledged vote, ascending."""
        return sorted((a - s) * 1000 for _, _, s, a, status in self.sent if status == 200)

    def shown_at(self, board: dict[str, Any]) -> float | None:
        """When the board first showed the acknowledged total after the burst began."""
        frames = board["frames"]
        return next((t for t, n, _ in frames if t >= self.first_vote and n == self.acked), None)

    def during(self, board: dict[str, Any]) -> list[Seen]:
        """The board's frames from the first vote until it showed the total (or the end)."""
        until = self.shown_at(board) or float("inf")
        return [f for f in board["frames"] if self.first_vote <= f[0] <= until]

    def final(self, board: dict[str, Any]) -> int:
        return next((n for _, n, _ in reversed(board["frames"]) if n >= 0), -1)

    @property
    def slowest_board(self) -> float | None:
        times = [self.shown_at(board) for board in self.boards]
        return None if None in times else max(t for t in times if t is not None)

    @property
    def consistent(self) -> bool:
        finals = {self.final(board) for board in self.boards}
        return (
            finals == {self.acked} and self.stored == self.acked and self.slowest_board is not None
        )


def stored_dots(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT coalesce(sum(value), 0) FROM votes").fetchone()[0])


def run(burst: Burst) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="board-burst-") as folder:
        server = start_server(Path(folder))
        children = Children()
        try:
            return measure(burst, server, children)
        except Exception:
            print(f"server log:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            children.end()
            stop_server(server)


def arm_senders(
    burst: Burst, server: Server, room: Room, children: Children
) -> Synchronized[float]:
    """Start the sender processes with a share of the plan each; set the value to go."""
    plan = plan_votes(burst, room.options)
    go = children.ctx.Value("d", 0.0)
    for index in range(SENDERS):
        share = plan[index::SENDERS]  # each sender spans the whole window
        children.start(sender_main, index, server.base, room, share, children.out, go)
    children.inbox.take({"armed"}, SENDERS, CONNECT_DEADLINE)
    return go


def measure(burst: Burst, server: Server, children: Children) -> Outcome:
    wait_healthy(server)
    log(f"server pid {server.pid} on port {server.port}; joining {burst.phones} phones")
    room = asyncio.run(set_up_room(server.base, burst.phones, burst.dots))
    shown, phone_processes, failed = open_sockets(burst, server, room, children)
    time.sleep(SETTLE_SECONDS)  # presence frames of the connecting phones
    go = arm_senders(burst, server, room, children)
    log(f"sockets open; {burst.votes} votes within {burst.window:g} s")

    cpu_start, started = cpu_seconds(server.pid), time.time() + GO_LEAD
    go.value = started
    reports = children.inbox.take({"sender"}, SENDERS, burst.window + 2 * HTTP_TIMEOUT + 30)
    sent = [vote for _, _, votes in reports for vote in votes]
    acked = sum(1 for *_, status in sent if status == 200)
    wait_until(lambda: all(value.value == acked for value in shown), DRAIN_DEADLINE)
    cpu, cpu_wall = cpu_seconds(server.pid) - cpu_start, time.time() - started
    time.sleep(QUIET_SECONDS)

    children.stop.set()
    watched = children.inbox.take({"board", "phones"}, len(shown) + phone_processes, 60)
    return Outcome(
        burst=burst,
        sent=sent,
        boards=[
            report for kind, _, report in sorted(watched, key=lambda r: r[1]) if kind == "board"
        ],
        phones=[report for kind, _, report in watched if kind == "phones"],
        failed_connects=failed,
        stored=stored_dots(server.data / "board.sqlite3"),
        cpu=cpu,
        cpu_wall=cpu_wall,
    )


# -- output -----------------------------------------------------------------------
FIGURES = (("figure", "<38"), ("value", "<"))
BOARDS = (
    ("board", ">5"),
    ("frames in burst", ">15"),
    ("with ranking", ">12"),
    ("KiB/frame", ">9"),
    ("last ack → shown", ">16"),
    ("final total", ">11"),
    ("closed", "<"),
)


def after(moment: float | None, origin: float) -> str:
    """``moment − origin`` in ms (negative when it came first), or ``never``."""
    return "never" if moment is None else f"{(moment - origin) * 1000:.0f} ms"


def span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


def statuses(refused: Counter[int]) -> str:
    """``409×3, no answer×2`` or ``none``."""
    names = {0: "no answer"}
    parts = [f"{names.get(status, status)}×{n}" for status, n in sorted(refused.items())]
    return ", ".join(parts) or "none"


def figures(o: Outcome) -> list[list[object]]:
    lat, slowest = o.latency_ms, o.slowest_board
    frames = [len(o.during(board)) for board in o.boards]
    ranked = [sum(1 for _, n, _ in o.during(board) if n >= 0) for board in o.boards]
    finals = "/".join(str(o.final(board)) for board in o.boards)
    phone_frames = sum(p["frames"] for p in o.phones)
    dropped = sum(p["dropped"] for p in o.phones) + o.failed_connects
    return [
        ["votes sent", len(o.sent)],
        ["acknowledged (200)", o.acked],
        ["refused", statuses(o.refused)],
        ["sending took (first → last vote)", after(o.last_vote, o.first_vote)],
        ["first vote → last ack", after(o.last_ack, o.first_vote)],
        ["last ack → board shows total", after(slowest, o.last_ack)],
        ["first vote → board shows total", after(slowest, o.first_vote)],
        ["board frames in burst (with ranking)", f"{span(frames)} ({span(ranked)})"],
        [
            "vote latency p50 / p99 / max",
            " / ".join(f"{percentile(lat, p):.0f}" for p in (50, 99, 100)) + " ms",
        ],
        [
            "server CPU",
            f"{o.cpu:.2f} s in {o.cpu_wall:.1f} s ({100 * o.cpu / o.cpu_wall:.0f} % of a core)",
        ],
        ["phone frames / sockets dropped", f"{phone_frames} / {dropped}"],
        ["total: acked / boards / SQLite", f"{o.acked} / {finals} / {o.stored}"],
    ]


def board_rows(o: Outcome) -> list[list[object]]:
    rows: list[list[object]] = []
    for index, board in enumerate(o.boards):
        during, shown = o.during(board), o.shown_at(board)
        kib = sum(size for *_, size in during) / max(1, len(during)) / 1024
        rows.append(
            [
                index,
                len(during),
                sum(1 for _, n, _ in during if n >= 0),
                f"{kib:.1f}",
                after(shown, o.last_ack),
                o.final(board),
                board["closed"] or "-",
            ]
        )
    return rows


def totals_line(o: Outcome, board: dict[str, Any], limit: int = 24) -> str:
    """The totals board 0 showed during the burst: how the count grew frame by frame."""
    totals = [str(n) for _, n, _ in o.during(board) if n >= 0]
    if len(totals) > limit:
        totals = [*totals[: limit // 2], "…", *totals[-limit // 2 :]]
    return " → ".join(totals) or "none"


def report(o: Outcome) -> bool:
    """Print the tables; whether boards, acknowledgements and the file agree."""
    print(f"dot-vote burst: {o.burst.name}")
    print()
    print(table(FIGURES, figures(o)))
    print()
    print(table(BOARDS, board_rows(o)))
    print()
    print(f"totals on board 0: {totals_line(o, o.boards[0])}")
    if o.consistent:
        print("every acknowledged vote is on every board and in the SQLite file")
    else:
        print("MISMATCH between acknowledged votes, boards and the SQLite file")
    return o.consistent


# -- command line -----------------------------------------------------------------
def parse_args(argv: list[str] | None) -> Burst:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=bounded(int, 1, 2000), default=500, help="default 500")
    parser.add_argument("--boards", type=bounded(int, 1, 20), default=1, help="default 1")
    parser.add_argument(
        "--dots", type=bounded(int, 1, 16), default=3, help="dots per phone (default 3)"
    )
    parser.add_argument(
        "--window", type=bounded(float, 0.05, 60), default=1.0, help="seconds (default 1.0)"
    )
    args = parser.parse_args(argv)
    return Burst(args.phones, args.boards, args.dots, args.window)


def main(argv: list[str] | None = None) -> int:
    burst = parse_args(argv)
    raise_fd_limit()  # the server inherits it
    outcome = run(burst)
    print()
    return 0 if report(outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
