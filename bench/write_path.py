"""The write path alone: CPU per dot and per card, in one process, in a few seconds.

    python bench/write_path.py                       # 200 phones × 3 dots, 200 cards
    python bench/write_path.py --phones 200 --dots 3 --cards 300 --concurrency 50
    python bench/write_path.py --against /tmp/old     # the same run on another tree too
    python bench/write_path.py --profile 25           # cProfile's top 25 of the dots
    python bench/write_path.py --repeat 5             # the best of 5 runs (default 3)

No server and no sockets: the app is called as uvicorn would call it (an ASGI
``http`` scope, the url-encoded body, the participant cookie), so the client costs
next to nothing and ``time.process_time()`` (every thread: the event loop, the
writer, the readers) is the server's CPU. Nobody listens to the change notices, so
no board renders: this is the request, the write and the reply, nothing more.

The dots: the built-in 8 Ps on their dot vote (after the goal question), a budget of
``--dots``, every phone spends it (at most 2 on an option, as the exercise allows),
``--concurrency`` requests in flight (the writer batches what waits). The cards: a
fresh workshop's Kartenabfrage, ``--cards`` cards from the phones in turn. Then the
trainer makes 8 clusters and adds a dot vote on them, and those phones spend their dots
there (the vote's options are the clusters of that card wall).

``--against DIR`` runs the same measurement with ``PYTHONPATH=DIR`` in a child
process first (e.g. a ``git worktree add /tmp/old main``) and prints both, with the
ratio new/old.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from board.cards import DEFAULT_COLOUR
from board.service import Service
from board.settings import Settings
from board.web.routes import create_app

EXERCISE = "8ps-beziehungsmarketing"
MAX_PER_OPTION = 2  # exercises/5-8ps.toml; on clusters: the step's default for 8 options
CLUSTERS = 8
STEP_ID = re.compile(r'name="step_id" value="([^"]+)"')
OPTION = re.compile(r'name="option" value="([^"]+)"')
HOST = "testserver"
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def post(app: App, path: str, cookie: str, form: dict[str, str]) -> int:
    """One form POST as uvicorn hands it to the app; its status."""
    body = urlencode(form).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": (HOST, 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", HOST.encode()),
            (b"cookie", cookie.encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"hx-request", b"true"),
            (b"accept-encoding", b"gzip, deflate, br"),  # as every phone's browser asks
        ],
        "state": {},
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client never disconnects
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def join(client: httpx.AsyncClient, code: str, phones: int) -> list[str]:
    """``phones`` people joined; each one's Cookie header."""
    cookies = []
    for _ in range(phones):
        client.cookies.clear()  # each a new phone
        joined = await client.get(f"/join/{code}")
        assert joined.status_code == 303, joined.text
        cookies.append(f"mb_p_{code}={joined.cookies[f'mb_p_{code}']}")
    return cookies


async def workshop(client: httpx.AsyncClient, exercise: str | None) -> tuple[str, str]:
    """A new workshop's code and the trainer's Cookie header."""
    form = {"title": "write path"} | ({"exercise": exercise} if exercise else {})
    created = await client.post("/workshops", data=form)
    assert created.status_code == 303, created.text
    code = created.headers["location"].split("/")[2]
    return code, f"mb_t_{code}={created.cookies[f'mb_t_{code}']}"


async def trainer_action(
    client: httpx.AsyncClient, code: str, trainer: str, action: str, form: dict[str, str]
) -> None:
    answer = await client.post(f"/w/{code}/t/{action}", data=form, headers={"Cookie": trainer})
    assert answer.status_code == 204, answer.text


async def dot_plan(
    client: httpx.AsyncClient, code: str, trainer: str, phones: list[str], dots: int
) -> list[tuple[str, str, dict[str, str]]]:
    """On to the next step, a dot vote with a budget of ``dots``: every phone's dots (at
    most ``MAX_PER_OPTION`` on an option), shuffled."""
    await trainer_action(client, code, trainer, "step-next", {})
    await trainer_action(client, code, trainer, "dots-budget", {"budget": str(dots)})
    page = (await client.get(f"/w/{code}", headers={"Cookie": phones[0]})).text
    step = STEP_ID.search(page)
    options = list(dict.fromkeys(OPTION.findall(page)))
    assert step and options, "no dot vote on the phone"
    rng = random.Random(13)
    slots = [o for o in options for _ in range(MAX_PER_OPTION)]
    plan = [
        (f"/w/{code}/vote", phone, {"step_id": step[1], "option": option, "delta": "1"})
        for phone in phones
        for option in rng.sample(slots, dots)
    ]
    rng.shuffle(plan)
    return plan


def figured(name: str, timing: tuple[float, float, float, int], n: int) -> dict[str, float]:
    cpu, loop, wall, failed = timing
    return {
        f"{name}_us": cpu / n * 1e6,
        f"{name}_loop_us": loop / n * 1e6,
        f"{name}_wall_s": wall,
        f"{name}_failed": failed,
    }


async def timed(
    requests: list[tuple[str, str, dict[str, str]]],
    app: App,
    concurrency: int,
    profile: cProfile.Profile | None,
) -> tuple[float, float, float, int]:
    """CPU seconds (all threads, and the event loop's alone) and wall seconds for
    ``requests`` with ``concurrency`` in flight; how many failed."""
    limit = asyncio.Semaphore(concurrency)
    failed = 0

    async def one(path: str, cookie: str, form: dict[str, str]) -> None:
        nonlocal failed
        async with limit:
            if await post(app, path, cookie, form) != 200:
                failed += 1

    cpu, loop, wall = time.process_time(), time.thread_time(), time.perf_counter()
    if profile:
        profile.enable()
    await asyncio.gather(*(one(*r) for r in requests))
    if profile:
        profile.disable()
    cpu, loop = time.process_time() - cpu, time.thread_time() - loop
    return cpu, loop, time.perf_counter() - wall, failed


async def measure(args: argparse.Namespace) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="write-path-"))
    settings = Settings(
        data_dir=folder,
        secret_key="bench",
        cards_per_minute=100_000,
        requests_per_minute=100_000,
    )
    service = Service(settings)
    app = create_app(settings, service)
    transport = httpx.ASGITransport(app=app)
    # CPU time of the event loop's thread: wall time would count its waits for the GIL.
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    figures: dict[str, float] = {}
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        code, trainer = await workshop(client, EXERCISE)
        phones = await join(client, code, args.phones)
        dots = await dot_plan(client, code, trainer, phones, args.dots)
        figures |= figured("dot", await timed(dots, app, args.concurrency, profile), len(dots))

        code, trainer = await workshop(client, None)
        writers = await join(client, code, min(args.phones, args.cards))
        cards = [
            (
                f"/w/{code}/cards",
                writers[i % len(writers)],
                {"text": f"Karte {i}", "colour": DEFAULT_COLOUR},
            )
            for i in range(args.cards)
        ]
        figures |= figured("card", await timed(cards, app, args.concurrency, None), len(cards))

        # The same phones then spend their dots on clusters of those cards.
        for n in range(CLUSTERS):
            heading = {"heading": f"Cluster {n}"}
            await trainer_action(client, code, trainer, "cluster-new", heading)
        await trainer_action(client, code, trainer, "agenda-add", {"exercise": "step:dots"})
        dots = await dot_plan(client, code, trainer, writers, args.dots)
        timing = await timed(dots, app, args.concurrency, None)
        figures |= figured("cluster_dot", timing, len(dots))
    service.close()
    if profile:
        stats = pstats.Stats(profile, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
    return figures


def against(tree: str, args: argparse.Namespace) -> dict[str, float]:
    """The same measurement on another source tree, in a child process."""
    command = [sys.executable, __file__, "--json", *_passed(args)]
    env = os.environ | {"PYTHONPATH": tree}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _passed(args: argparse.Namespace) -> list[str]:
    return [
        f"--phones={args.phones}",
        f"--dots={args.dots}",
        f"--cards={args.cards}",
        f"--concurrency={args.concurrency}",
        f"--repeat={args.repeat}",
    ]


def report(figures: dict[str, float], old: dict[str, float] | None) -> None:
    rows = [
        ("CPU µs per dot", "dot_us"),
        ("  in the event loop", "dot_loop_us"),
        ("dots' wall s", "dot_wall_s"),
        ("dots refused", "dot_failed"),
        ("CPU µs per card", "card_us"),
        ("  in the event loop", "card_loop_us"),
        ("cards' wall s", "card_wall_s"),
        ("cards refused", "card_failed"),
        ("CPU µs per dot on clusters", "cluster_dot_us"),
        ("  in the event loop", "cluster_dot_loop_us"),
        ("dots' wall s", "cluster_dot_wall_s"),
        ("dots refused", "cluster_dot_failed"),
    ]
    print(f"{'':28} {'old':>10} {'new':>10} {'new/old':>8}" if old else "")
    for label, key in rows:
        new = figures[key]
        if old is None:
            print(f"{label:28} {new:10.1f}")
        else:
            ratio = f"{new / old[key]:8.2f}" if old[key] else f"{'':8}"
            print(f"{label:28} {old[key]:10.1f} {new:10.1f} {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--dots", type=int, default=3)
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs; the best of each figure (the least noise)"
    )
    parser.add_argument("--against", metavar="DIR", help="also measure the tree in DIR")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile's top N")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    old = against(args.against, args) if args.against else None
    runs = [asyncio.run(measure(args)) for _ in range(args.repeat)]
    figures = {key: min(run[key] for run in runs) for key in runs[0]}
    if args.json:
        print(json.dumps(figures))
        return
    report(figures, old)


if __name__ == "__main__":
    main()
