"""Crash under load, full size: kill -9 in a card storm, restart on the same data, converge.

    python bench/crash.py                                # 500 phones, 2 boards, 20 frozen boards
    python bench/crash.py --phones 100 --seconds 20 --frozen 0

The issue's fault scenario at the card storm's size. One run:

1. starts ``python -m board serve`` (as ``fanout.py`` does: fresh data folder, rate limits
   out of the way) and joins the phones;
2. opens, from separate processes, the sockets of the boards and the phones, and of
   ``--frozen`` boards that stop reading at once (a frozen tab: a tiny receive buffer and
   no reads). Every socket reconnects by itself when it is closed, as the pages do;
3. sends cards at ``--rate`` for ``--seconds`` from random phones, each with a client id.
   A card whose answer does not come (the server is gone) stays a draft and is sent again
   every half second until it is acknowledged, as ``static/js/drafts.js`` does. One in
   twenty acknowledged cards is sent a second time;
4. kills the server with SIGKILL at ``--kill-at`` seconds into the storm, waits
   ``--down`` seconds and starts it again on the same data folder and port;
5. once every card is acknowledged, unfreezes the frozen boards and checks:
   SQLite holds every card exactly once and every acknowledged one; every board's wall
   and every phone's own card list shows exactly what SQLite holds (within 30 s).

It prints what was sent, acknowledged and stored, how long the server was down, how
long the sockets took to come back, when the screens agreed with SQLite, how many frozen
boards the server dropped (close code 1013), and the server's memory. Exit status 1 when
a card is lost or doubled or a screen does not converge.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
from fanout import (
    COLOURS,
    HOST,
    IDEAS,
    ROOT,
    SERVER_ENV,
    Server,
    free_port,
    http_client,
    percentile,
    raise_fd_limit,
    rss_kib,
    set_up_room,
    wait_healthy,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

MARKER = re.compile(r'class="card__text">bench-(\d+)\b')
PHONES_PER_PROCESS = 250
RECONNECT_SECONDS = 0.5  # what static/js/live.js waits at first
DRAFT_RETRY_SECONDS = 0.5
CONVERGE_DEADLINE = 30.0
FROZEN_RECEIVE_BUFFER = 4096


# -- the screens ---------------------------------------------------------------------
@dataclass
class Screen:
    """One socket that comes back by itself; what it shows now."""

    role: str
    phone: int | None  # the phone's index, for its own cards
    frozen: bool
    shows: frozenset[int] = frozenset()
    opened: list[float] = field(default_factory=list)
    closes: list[int | None] = field(default_factory=list)
    agreed_at: float | None = None


def frozen_socket(port: int) -> socket.socket:
    """A connected socket with a tiny receive buffer: the server's sends back up at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, FROZEN_RECEIVE_BUFFER)
    sock.connect((HOST, port))
    sock.setblocking(False)
    return sock


async def hold(
    screen: Screen, base: str, code: str, cookie: str | None, stop: asyncio.Event, thaw: Event
) -> None:
    url = f"{base.replace('http://', 'ws://', 1)}/w/{code}/ws?role={screen.role}"
    port = int(base.rsplit(":", 1)[1])
    looking_for = 'id="board-wall"' if screen.role == "board" else 'id="my-cards"'
    while not stop.is_set():
        frozen = screen.frozen and not thaw.is_set()
        try:
            async with connect(
                url,
                origin=Origin(base),
                additional_headers={"Cookie": cookie} if cookie else {},
                compression=None,
                proxy=None,
                open_timeout=30,
                max_size=None,
                max_queue=1 if frozen else 16,
                sock=frozen_socket(port) if frozen else None,
            ) as ws:
                screen.opened.append(time.time())
                while frozen and not thaw.is_set() and not stop.is_set():
                    await asyncio.sleep(0.1)  # a frozen tab: reads nothing
                async for frame in ws:
                    if isinstance(frame, str) and looking_for in frame:
                        screen.shows = frozenset(int(n) for n in MARKER.findall(frame))
                    elif isinstance(frame, str) and 'id="wall-version" data-base=' in frame:
                        # A card frame (board/live/fragments.py): the cards it adds.
                        screen.shows |= {int(n) for n in MARKER.findall(frame)}
                screen.closes.append(ws.close_code)
        except ConnectionClosed as closed:
            screen.closes.append(closed.rcvd.code if closed.rcvd else None)
        except (OSError, InvalidHandshake, TimeoutError):
            pass  # the server is down: try again
        await asyncio.sleep(RECONNECT_SECONDS)


def screens_main(
    screens: list[Screen],
    cookies: list[str | None],
    base: str,
    code: str,
    thaw: Event,
    expected: Queue[Any],
    out: Queue[Any],
) -> None:
    """Hold the sockets; when told what SQLite holds, note when each screen shows it."""
    raise_fd_limit()

    async def main() -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(hold(s, base, code, c, stop, thaw))
            for s, c in zip(screens, cookies, strict=True)
        ]
        truth: dict[str, Any] = await asyncio.to_thread(expected.get)
        deadline = time.time() + CONVERGE_DEADLINE
        while time.time() < deadline:
            for screen in screens:
                want = truth["wall"] if screen.role == "board" else truth["phones"][screen.phone]
                if screen.agreed_at is None and screen.shows == want:
                    screen.agreed_at = time.time()
            if all(s.agreed_at is not None for s in screens):
                break
            await asyncio.sleep(0.05)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    out.put(screens)


# -- the phones' cards ---------------------------------------------------------------
@dataclass
class Sent:
    number: int
    phone: int
    first_try: float
    acked_at: float | None = None
    tries: int = 0
    failures: int = 0  # no answer (the server was gone) or a 5xx


async def storm(
    base: str, code: str, tokens: list[str], rate: float, seconds: float, seed: int
) -> list[Sent]:
    rng = random.Random(seed)
    total = int(rate * seconds)

    async def deliver(client: httpx.AsyncClient, card: Sent, form: dict[str, str]) -> None:
        headers = {"Cookie": f"mb_p_{code}={tokens[card.phone]}"}
        while True:
            card.tries += 1
            try:
                answer = await client.post(f"/w/{code}/cards", data=form, headers=headers)
                if answer.status_code == 200:
                    card.acked_at = card.acked_at or time.time()
                    return
                if answer.status_code < 500:
                    raise RuntimeError(f"card {card.number}: {answer.status_code} {answer.text}")
            except httpx.HTTPError:
                pass
            card.failures += 1  # a draft: sent again until it is acknowledged
            await asyncio.sleep(DRAFT_RETRY_SECONDS)

    async def send(client: httpx.AsyncClient, number: int) -> Sent:
        card = Sent(number, rng.randrange(len(tokens)), time.time())
        form = {
            "text": f"bench-{number} {rng.choice(IDEAS)}",
            "colour": rng.choice(COLOURS),
            "client_id": f"crash-{number}",
        }
        await deliver(client, card, form)
        if number % 20 == 0:  # the answer got lost on the way: the phone sends it again
            await deliver(client, card, form)
        return card

    async with http_client(base, connections=64) as client:
        client.timeout = httpx.Timeout(5.0)
        start = time.monotonic()
        tasks = []
        for number in range(total):
            await asyncio.sleep(max(0.0, start + number / rate - time.monotonic()))
            tasks.append(asyncio.create_task(send(client, number)))
        return list(await asyncio.gather(*tasks))


def storm_main(
    base: str, code: str, tokens: list[str], rate: float, seconds: float, out: Queue[Any]
) -> None:
    raise_fd_limit()
    out.put(asyncio.run(storm(base, code, tokens, rate, seconds, seed=7)))


# -- the server ----------------------------------------------------------------------
def launch(port: int, folder: Path) -> Server:
    """``python -m board serve`` on ``port`` with its data in ``folder`` (a restart reuses both)."""
    data, log = folder / "data", folder / "server.log"
    command = [sys.executable, "-m", "board", "serve", "--host", HOST, "--port", str(port)]
    command += ["--data", str(data)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=os.environ | SERVER_ENV, stdout=out, stderr=out
        )
    server = Server(process, port, data, log)
    wait_healthy(server)
    return server


@contextmanager
def sampling_rss(server: list[Server], peaks: list[int]) -> Iterator[None]:
    """The server's highest RSS, sampled every 100 ms (across the restart)."""
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            try:
                peaks.append(rss_kib(server[0].pid))
            except (OSError, ValueError):
                pass

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


# -- the run -------------------------------------------------------------------------
def stored_cards(data: Path) -> dict[str, int]:
    with sqlite3.connect(data / "board.sqlite3") as db:
        rows = db.execute("SELECT client_id, count(*) FROM cards GROUP BY client_id")
        return {client_id: n for client_id, n in rows}


def log(text: str) -> None:
    print(f"[crash] {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> bool:
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="board-crash-") as tmp:
        folder = Path(tmp)
        server = [launch(free_port(), folder)]
        base = server[0].base
        log(f"server pid {server[0].pid} on {base}; joining {args.phones} phones")
        code, tokens = asyncio.run(set_up_room(base, args.phones))
        screens = [Screen("board", None, False) for _ in range(args.boards)]
        screens += [Screen("board", None, True) for _ in range(args.frozen)]
        screens += [Screen("phone", i, False) for i in range(args.phones)]
        cookies: list[str | None] = [None] * (args.boards + args.frozen)
        cookies += [f"mb_p_{code}={t}" for t in tokens]
        thaw, out = context.Event(), context.Queue()
        groups = [(0, args.boards + args.frozen)]
        first_phone = args.boards + args.frozen
        for start in range(first_phone, len(screens), PHONES_PER_PROCESS):
            groups.append((start, min(len(screens), start + PHONES_PER_PROCESS)))
        expected = [context.Queue() for _ in groups]
        children = [
            context.Process(
                target=screens_main,
                args=(screens[a:b], cookies[a:b], base, code, thaw, expected[i], out),
            )
            for i, (a, b) in enumerate(groups)
        ]
        for child in children:
            child.start()
        time.sleep(5 + len(screens) / 200)  # let the sockets open
        rss_before = rss_kib(server[0].pid)
        peaks: list[int] = []
        answers = context.Queue()
        sender = context.Process(
            target=storm_main, args=(base, code, tokens, args.rate, args.seconds, answers)
        )
        with sampling_rss(server, peaks):
            storm_started = time.time()
            sender.start()
            time.sleep(args.kill_at)
            os.kill(server[0].pid, signal.SIGKILL)
            killed = time.time()
            server[0].process.wait()
            log(f"killed at {killed - storm_started:.1f} s into the storm")
            time.sleep(args.down)
            server[0] = launch(server[0].port, folder)
            healthy = time.time()
            log(f"restarted: pid {server[0].pid}, healthy {healthy - killed:.1f} s after the kill")
            cards: list[Sent] = answers.get()
            sender.join()
        last_ack = max(c.acked_at or 0 for c in cards)
        log("every card acknowledged; thawing the frozen boards and checking the screens")
        thaw.set()
        stored = stored_cards(server[0].data)
        wall = frozenset(int(k.removeprefix("crash-")) for k in stored)
        by_phone: dict[int, set[int]] = {i: set() for i in range(args.phones)}
        for card in cards:
            by_phone[card.phone].add(card.number)
        truth = {"wall": wall, "phones": {i: frozenset(s) for i, s in by_phone.items()}}
        for queue in expected:
            queue.put(truth)
        reported: list[Screen] = []
        for _ in children:
            reported += out.get()
        for child in children:
            child.join()
        server[0].process.terminate()
        server[0].process.wait(10)
        dropped = server[0].log.read_text(errors="replace").count("dropped a socket")
    return report(
        args, cards, stored, reported, killed, healthy, last_ack, dropped, rss_before, peaks
    )


def report(
    args: argparse.Namespace,
    cards: list[Sent],
    stored: dict[str, int],
    screens: list[Screen],
    killed: float,
    healthy: float,
    last_ack: float,
    dropped: int,
    rss_before: int,
    peaks: list[int],
) -> bool:
    sent = {f"crash-{c.number}" for c in cards}
    acked = {f"crash-{c.number}" for c in cards if c.acked_at is not None}
    lost = acked - set(stored)
    doubled = {k for k, n in stored.items() if n != 1}
    strangers = set(stored) - sent
    drafts = [c for c in cards if c.failures]
    back = sorted(
        1000 * (min(t for t in s.opened if t > killed) - healthy)
        for s in screens
        if not s.frozen and any(t > killed for t in s.opened)
    )
    live = [s for s in screens if not s.frozen]
    agreed = sorted(1000 * (s.agreed_at - last_ack) for s in screens if s.agreed_at is not None)
    frozen = [s for s in screens if s.frozen]
    caught_up = [s for s in frozen if s.agreed_at is not None]
    rows = [
        ("cards sent / acknowledged / in SQLite", f"{len(sent)} / {len(acked)} / {len(stored)}"),
        (
            "acknowledged but lost / stored twice / unknown",
            f"{len(lost)} / {len(doubled)} / {len(strangers)}",
        ),
        ("cards that had to wait as drafts (sent again)", str(len(drafts))),
        (
            "sent a second time after their ack (stored once)",
            str(sum(1 for c in cards if c.number % 20 == 0)),
        ),
        ("server down: kill → healthy again", f"{1000 * (healthy - killed):.0f} ms"),
        ("sockets back after the restart", f"{len(back)} of {len(live)}"),
        (
            "  healthy → socket open again p50 / p99 / max ms",
            f"{percentile(back, 50):.0f} / {percentile(back, 99):.0f} / "
            f"{back[-1] if back else float('nan'):.0f}",
        ),
        ("screens showing exactly what SQLite holds", f"{len(agreed)} of {len(screens)}"),
        (
            "  last ack → screen agrees p50 / max ms",
            f"{percentile(agreed, 50):.0f} / {agreed[-1] if agreed else float('nan'):.0f}",
        ),
        ("sockets the server dropped as too slow (its log)", f"{dropped} ({len(frozen)} frozen)"),
        ("frozen boards that caught up after reconnecting", f"{len(caught_up)} of {len(frozen)}"),
        (
            "server RSS before the storm / peak during it MiB",
            f"{rss_before / 1024:.0f} / {max(peaks, default=0) / 1024:.0f}",
        ),
    ]
    rows = [(name, str(value)) for name, value in rows]
    width = max(len(name) for name, _ in rows)
    print(
        f"\ncrash under load: {args.phones} phones, {args.boards} boards, {args.frozen} frozen "
        f"boards, {args.rate:g} cards/s for {args.seconds:g} s, kill -9 at {args.kill_at:g} s"
    )
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    ok = not lost and not doubled and not strangers and set(stored) == sent
    ok = ok and len(agreed) == len(screens)
    print(
        "\nRESULT:",
        "every acknowledged card is there exactly once; every screen converged" if ok else "FAILED",
    )
    return ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=500)
    parser.add_argument("--boards", type=int, default=2)
    parser.add_argument("--frozen", type=int, default=20, help="boards that stop reading")
    parser.add_argument("--rate", type=float, default=10.0, help="cards per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the storm")
    parser.add_argument("--kill-at", type=float, default=30.0, help="seconds into the storm")
    parser.add_argument("--down", type=float, default=2.0, help="seconds before the restart")
    args = parser.parse_args(argv)
    if not 0 < args.kill_at < args.seconds:
        parser.error("--kill-at must fall inside the storm")
    return args


def main(argv: list[str] | None = None) -> int:
    return 0 if run(parse_args(argv)) else 1


if __name__ == "__main__":
    sys.exit(main())
