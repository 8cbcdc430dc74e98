"""Simulated screens for ``bench/load.py``: processes that hold sockets and note what arrives.

One process holds the socket of one board, or the sockets of a few hundred phones, or
the receivers of the floor server (``bench/floor_server.py``). Frames are read as they
come, stamped with ``time.time()`` and reduced to *keys*: what a person would notice in
them (card 17 is on the wall, the ranking shows 240 dots, the phone shows step X,
floor frame 12 arrived). Each socket notes the first arrival of each key. A process
reports those, the arrival time of every frame, and the sizes of the frames its first
socket got, so that the floor can send frames of the same sizes.

A shared counter tells the main process how far the screens are (for example how
many cards a board shows) without waiting for the reports.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import Any

from burst import dots_shown
from fanout import CONNECT_BATCH, raise_fd_limit, until_set
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

Key = tuple[Any, ...]
Sample = tuple[float, int, str]  # arrival, bytes, the step or floor frame it carried ("")

# What the board shows (templates/_card.html, _wall_clusters.html, kinds/*.html).
CARD = re.compile(r'class="card__text">bench(?:edit)?-(\d+)\b')
EDITED = re.compile(r'class="card__text">benchedit-(\d+)\b')
CLUSTER_START = re.compile(r'<div class="cluster(?: cluster--\w+)?" data-cluster="')
HEADING = re.compile(r'[^>]*>\s*<h2 class="cluster__heading">([^<]*)</h2>')
WALL_KIND = re.compile(r'class="wall wall--board wall--(\w+)')
COUNT = re.compile(r"data-(?:count|n)>(\d+)<")  # hidden counters, n of a scale
# A card a card frame puts into a cluster (board/live/fragments.py): the cluster's id.
PLACED = re.compile(
    r'hx-swap-oob="\w+:#cards-([^">]+)[^"]*"><article[^>]*>\s*'
    r'<p class="card__text">bench(?:edit)?-(\d+)\b'
)
# What a phone shows (templates/phone/_step.html).
PHONE_STEP = re.compile(r'<section id="phone-step"[^>]*\bdata-step="([^"]+)"')
PONG = '<template id="pong">'
PING = '{"type": "ping"}'


def board_keys(text: str) -> list[Key]:
    """Cards (and edited ones), clusters and their cards, the step's kind, counts, dots."""
    keys: list[Key] = [("card", int(n)) for n in CARD.findall(text)]
    keys += [("edit", int(n)) for n in EDITED.findall(text)]
    if "cluster__heading" in text:
        keys += cluster_keys(text)
    keys += [
        ("in", int(n), cluster) for cluster, n in PLACED.findall(text) if cluster != "unsorted"
    ]
    kind = WALL_KIND.search(text)
    if kind:
        keys.append(("kind", kind[1]))
        keys += [("count", kind[1], int(n)) for n in COUNT.findall(text)]
    total = dots_shown(text)
    if total >= 0:
        keys.append(("dots", total))
    return keys


def cluster_keys(text: str) -> list[Key]:
    """Each named cluster on the wall, and each card in it (by the cluster's id)."""
    keys: list[Key] = []
    for chunk in CLUSTER_START.split(text)[1:]:
        heading = HEADING.match(chunk)
        if heading is None:  # the unsorted cards
            continue
        keys.append(("cluster", heading[1]))
        cluster = chunk.split('"', 1)[0]
        keys += [("in", int(n), cluster) for n in CARD.findall(chunk)]
    return keys


def phone_keys(text: str) -> list[Key]:
    """The step a phone shows, when the frame carries it."""
    if 'id="phone-step"' not in text:
        return []
    step = PHONE_STEP.search(text)
    return [("step", step[1])] if step else []


def floor_keys(text: str) -> list[Key]:
    """A marked frame of the floor server."""
    if not text.startswith("floor "):
        return []
    _, tag, marked, _ = text[:64].split(" ", 3)
    return [("tag", int(tag))] if marked == "1" else []


PARSERS: dict[str, Callable[[str], list[Key]]] = {
    "board": board_keys,
    "phone": phone_keys,
    "floor": floor_keys,
}


@dataclass(frozen=True)
class Watch:
    """What one process watches: the sockets to open and how to read their frames."""

    url: str  # ws://…?role=…
    origin: str | None
    cookies: tuple[str, ...]  # one Cookie header per socket ("" for none)
    mode: str  # a key of PARSERS
    counted: str  # the key kind the shared counter follows ("dots": the highest total)
    pings: int = 0  # sockets that send one {"type": "ping"} when told to

    @property
    def role(self) -> str:
        return self.url.rpartition("role=")[2]


def open_socket(watch: Watch, cookie: str) -> connect:
    return connect(
        watch.url,
        origin=Origin(watch.origin) if watch.origin else None,
        additional_headers={"Cookie": cookie} if cookie else {},
        compression=None,  # as the board's server and the floor
        proxy=None,
        open_timeout=60,
        max_size=None,
        ping_interval=None,  # browsers do not ping; the servers do
    )


@dataclass
class Tally:
    """What the sockets of one process saw."""

    parse: Callable[[str], list[Key]]
    counted: str
    progress: Synchronized[int]
    first: dict[Key, list[float]] = field(default_factory=dict)  # one time per socket
    own: list[dict[Key, float]] = field(default_factory=list)  # per socket (boards only)
    times: list[float] = field(default_factory=list)
    sample: list[Sample] = field(default_factory=list)
    pings_sent: dict[int, float] = field(default_factory=dict)
    pings: list[float] = field(default_factory=list)  # round trips in s
    dropped: int = 0

    def advance(self, key: Key) -> None:
        if key[0] != self.counted:
            return
        if self.counted == "dots":
            self.progress.value = max(self.progress.value, key[1])
        else:
            self.progress.value += 1

    def note(self, number: int, text: str, now: float, seen: dict[Key, float]) -> None:
        self.times.append(now)
        keys = self.parse(text)
        for key in keys:
            if key not in seen:
                seen[key] = now
                self.first.setdefault(key, []).append(now)
                self.advance(key)
        if number == 0:
            label = next((str(k[1]) for k in keys if k[0] in ("step", "tag")), "")
            self.sample.append((now, len(text.encode()), label))
        if number in self.pings_sent and text.startswith(PONG):
            self.pings.append(now - self.pings_sent.pop(number))

    async def read(self, number: int, ws: ClientConnection, stop: Event, keep: bool) -> None:
        seen: dict[Key, float] = {}
        try:
            async for message in ws:
                text = message if isinstance(message, str) else message.decode()
                self.note(number, text, time.time(), seen)
        except ConnectionClosed:
            pass
        if not stop.is_set():
            self.dropped += 1
        if keep:
            self.own.append(seen)

    async def ping(self, sockets: list[ClientConnection], go: Synchronized[float]) -> None:
        """One application ping per socket, spread over a second from ``go``."""
        while not go.value:
            await asyncio.sleep(0.05)
        for number, ws in enumerate(sockets):
            await asyncio.sleep(max(0.0, go.value + number / len(sockets) - time.time()))
            self.pings_sent[number] = time.time()
            try:
                await ws.send(PING)
            except ConnectionClosed:
                self.pings_sent.pop(number)


async def open_all(watch: Watch) -> tuple[list[ClientConnection], list[str]]:
    """The sockets, ``CONNECT_BATCH`` at a time; the errors of those that failed."""
    sockets: list[ClientConnection] = []
    failures: list[str] = []
    for start in range(0, len(watch.cookies), CONNECT_BATCH):
        batch = watch.cookies[start : start + CONNECT_BATCH]
        opened = await asyncio.gather(
            *(open_socket(watch, cookie) for cookie in batch), return_exceptions=True
        )
        sockets += [ws for ws in opened if isinstance(ws, ClientConnection)]
        failures += [repr(e) for e in opened if isinstance(e, BaseException)]
    return sockets, failures


async def hold(
    watch: Watch, out: Queue[Any], stop: Event, progress: Synchronized[int], go: Synchronized[float]
) -> dict[str, Any]:
    sockets, failures = await open_all(watch)
    out.put(("ready", watch.role, len(sockets), len(failures), failures[0] if failures else ""))
    tally = Tally(PARSERS[watch.mode], watch.counted, progress)
    keep = watch.mode == "board"
    readers = [asyncio.create_task(tally.read(i, ws, stop, keep)) for i, ws in enumerate(sockets)]
    pinger = asyncio.create_task(tally.ping(sockets[: watch.pings], go)) if watch.pings else None
    await until_set(stop)
    if pinger is not None:
        pinger.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    return {
        "role": watch.role,
        "url": watch.url,
        "mode": watch.mode,
        "sockets": len(sockets),
        "failed": len(failures),
        "first": tally.first,
        "own": tally.own,
        "times": tally.times,
        "sample": tally.sample,
        "pings": tally.pings,
        "dropped": tally.dropped,
    }


def screens_main(
    index: int,
    watch: Watch,
    out: Queue[Any],
    stop: Event,
    progress: Synchronized[int],
    go: Synchronized[float],
) -> None:
    """Entry point of a screens process; reports ``("screens", index, report)``."""
    raise_fd_limit()
    out.put(("screens", index, asyncio.run(hold(watch, out, stop, progress, go))))
