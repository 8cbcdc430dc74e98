"""The screens of one scenario seen from the main process, and what a scenario measured.

``bench/screens.py`` runs in the client processes; :class:`Crowd` starts them, follows
their shared counters and collects their reports as :class:`Seen`. The functions below
turn what the screens saw into latencies: *when did every board (or every phone) show
it*, minus the moment the action was acknowledged.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from fanout import HOST, PHONES_PER_PROCESS, Children, Server, percentile
from room import Expect
from screens import Key, Sample, Watch, screens_main

CONNECT_DEADLINE = 300.0  # 5000 sockets, CONNECT_BATCH at a time per process
DRAIN_DEADLINE = 15.0  # after the last acknowledgement, for the screens to catch up
SWITCH_DEADLINE = 15.0  # agenda switch: for every phone to show the new step
SWITCH_GAP = 0.5  # between one switch reaching every phone and the next


def log(name: str, text: str) -> None:
    print(f"[{name}] {text}", file=sys.stderr, flush=True)


def watches(
    url: Callable[[str], str],
    origin: str | None,
    boards: int,
    cookies: list[str],
    counted: tuple[str, str],
    per_process: int = PHONES_PER_PROCESS,
    pings: int = 0,
) -> list[Watch]:
    """One process per board, one per ``per_process`` phones; ``counted``: (board, phone)."""
    mode = "floor" if origin is None else ""
    found = [Watch(url("board"), origin, ("",), mode or "board", counted[0]) for _ in range(boards)]
    for start in range(0, len(cookies), per_process):
        share = tuple(cookies[start : start + per_process])
        found.append(Watch(url("phone"), origin, share, mode or "phone", counted[1], pings))
    return found


@dataclass
class Seen:
    """The reports of a scenario's screens."""

    reports: list[dict[str, Any]]

    def of(self, role: str) -> list[dict[str, Any]]:
        return [r for r in self.reports if r["role"] == role]

    @property
    def boards(self) -> list[dict[Key, float]]:
        """What each board socket saw first, and when."""
        return [own for report in self.of("board") for own in report["own"]]

    def first(self, role: str) -> dict[Key, list[float]]:
        """For each key, when each socket of ``role`` first saw it."""
        merged: dict[Key, list[float]] = {}
        for report in self.of(role):
            for key, times in report["first"].items():
                merged.setdefault(key, []).extend(times)
        return merged

    def sockets(self, role: str) -> int:
        return sum(r["sockets"] for r in self.of(role))

    def frames(self, start: float, end: float) -> int:
        return sum(1 for r in self.reports for t in r["times"] if start <= t <= end)

    def sample(self, role: str) -> list[Sample]:
        reports = self.of(role)
        return reports[0]["sample"] if reports else []

    @property
    def lost(self) -> int:
        """Sockets that failed to open or that the server closed."""
        return sum(r["failed"] + r["dropped"] for r in self.reports)

    @property
    def pings(self) -> list[float]:
        return sorted(1000 * rtt for r in self.reports for rtt in r["pings"])


class Crowd:
    """The screens processes of one scenario, stopped when it ends."""

    def __init__(self, watched: list[Watch]) -> None:
        self.children = Children()
        self.watched = watched
        ctx = self.children.ctx
        self.progress: list[Synchronized[int]] = [ctx.Value("i", 0) for _ in watched]
        self.go: Synchronized[float] = ctx.Value("d", 0.0)
        self.opened = {"board": 0, "phone": 0}

    def open(self, name: str) -> None:
        """Start the processes; return when all sockets are open (or failed)."""
        children = self.children
        for index, (watch, progress) in enumerate(zip(self.watched, self.progress, strict=True)):
            children.start(
                screens_main, index, watch, children.out, children.stop, progress, self.go
            )
        reports = children.inbox.take({"ready"}, len(self.watched), CONNECT_DEADLINE)
        for _, role, opened, failures, error in reports:
            self.opened[role] += opened
            if failures and role == "board":
                raise RuntimeError(f"a board could not connect: {error}")
            if failures:
                log(name, f"{failures} phone socket(s) failed to connect, e.g. {error}")

    def of(self, role: str) -> int:
        """The counters of ``role``'s processes, summed (the highest for dot totals)."""
        values = [
            p.value for w, p in zip(self.watched, self.progress, strict=True) if w.role == role
        ]
        if any(w.counted == "dots" for w in self.watched if w.role == role):
            return min(values, default=0)
        return sum(values)

    def collect(self) -> Seen:
        self.children.stop.set()
        reports = self.children.inbox.take({"screens"}, len(self.watched), 120)
        return Seen([report for _, _, report in sorted(reports, key=lambda r: r[1])])

    def end(self) -> None:
        self.children.end()


def socket_url(server: Server, code: str, role: str) -> str:
    return f"ws://{HOST}:{server.port}/w/{code}/ws?role={role}"


def our_watches(
    servers: Sequence[Server],
    code: str,
    boards: int,
    tokens: list[str],
    counted: tuple[str, str],
    **kw: Any,
) -> list[Watch]:
    """Phone k's socket on ``servers[k % n]``, board j's on ``servers[j % n]``."""
    found: list[Watch] = []
    n = len(servers)
    for index, server in enumerate(servers):
        cookies = [f"mb_p_{code}={token}" for token in tokens[index::n]]
        mine = len(range(index, boards, n))
        url = partial(socket_url, server, code)
        found += watches(url, server.base, mine, cookies, counted, **kw)
    return found


def on_board(board: dict[Key, float], shown: Expect) -> float | None:
    """When one board first showed what ``shown`` describes (see room.Expect)."""
    if shown[0] == "key":
        return board.get(shown[1])
    if shown[0] == "keys":
        times = [board.get(key) for key in shown[1]]
        return None if None in times else max(t for t in times if t is not None)
    prefix, least = shown[1], shown[2]
    width = len(prefix)
    hits = [t for key, t in board.items() if key[:width] == prefix and key[width] >= least]
    return min(hits, default=None)


def on_boards(boards: list[dict[Key, float]], shown: Expect) -> float | None:
    """When the last board showed it (None: some board never did)."""
    times = [on_board(board, shown) for board in boards]
    return None if None in times or not times else max(t for t in times if t is not None)


def everywhere(first: dict[Key, list[float]], key: Key, sockets: int) -> float | None:
    """When the last of ``sockets`` sockets saw ``key`` (None: some never did)."""
    times = first.get(key, [])
    return max(times) if times and len(times) >= sockets else None


# -- results ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    name: str
    measured: float
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        return self.measured <= self.limit  # nan (not measured) is missed


@dataclass
class Result:
    name: str
    sockets: int
    actions: int  # acknowledged actions measured
    latency_ms: list[float]  # ascending
    missing: int  # acknowledged actions some screen never showed
    messages: int  # frames delivered to all screens during the actions
    seconds: float
    cpu: float
    rss_kib: int
    floor: Result | None = None
    target: Target | None = None
    details: list[tuple[str, str]] = field(default_factory=list)
    kinds: list[list[object]] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)  # compared across configurations


def latencies(pairs: list[tuple[float | None, float]]) -> tuple[list[float], int]:
    """(arrival, acknowledged) → ascending ms, and how many never arrived."""
    shown = sorted(1000 * (t - acked) for t, acked in pairs if t is not None)
    return shown, len(pairs) - len(shown)


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p):.1f}"


async def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` from a coroutine; whether it held before ``seconds`` ran out."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True
