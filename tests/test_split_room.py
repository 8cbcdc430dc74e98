"""A split room: the boards on one server process, the phones posting to another.

Two real servers on one data folder and a real Redis between them. Phones write their
cards through process B; a board watches on A and another on B; the trainer (her
console's socket and her sorting) is on A or on B. Frames are coalesced per process (a
burst of cards becomes fewer frames, and where the bursts fall differs between
processes), so "the same frames in the same order" means, precisely:

- on each board the seq never goes backwards and no card is put in twice;
- wherever both boards got a frame at the same seq, they then showed the same wall,
  step and everything else (the frame at a seq is the database at that seq) — at the
  last seq always; at every seq is marked as failing now and then (ROOMS below);
- at the end both boards, and the console, show what a fresh render shows, and that
  holds every card the phones got an acknowledgement for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from board.service import Service
from board.settings import Settings
from tests.conftest import LiveServer, create_workshop, join, serve
from tests.redis_server import RedisServer
from tests.screen_model import Screen

PHONES = 8
CARDS_PER_PHONE = 6
DEADLINE = 10.0
RESYNC = json.dumps({"type": "resync"})
# Who is connected is counted across processes with a delay of its own (presence):
# not part of the comparison of walls.
COMPARED_WITHOUT = ("presence",)


@dataclass
class Watched:
    """A screen on a socket: every frame swapped in, what it showed after each seq."""

    name: str
    ws: ClientConnection
    screen: Screen
    at_seq: dict[int, dict[str, tuple[object, ...]]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in self.ws:
                assert isinstance(message, str)
                if self.screen.apply(message):
                    await self.ws.send(RESYNC)  # as live.js does
                elif (seq := self.screen.seq) is not None:
                    self.at_seq[seq] = shown(self.screen)


def shown(screen: Screen) -> dict[str, tuple[object, ...]]:
    return {k: v for k, v in screen.shows().items() if k not in COMPARED_WITHOUT}


async def watch(server: LiveServer, code: str, role: str, cookies: str = "") -> Watched:
    ws = await connect(
        f"{server.ws_url}/w/{code}/ws?role={role}",
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"cookie": cookies, "accept-language": "de"},
        compression=None,
    )
    watched = Watched(f"{role} on {server.url}", ws, Screen(f"{role} on {server.url}"))
    watched.task = asyncio.create_task(watched.read())
    return watched


async def fresh(server: LiveServer, code: str, role: str, cookies: str = "") -> Screen:
    """What a screen opened now shows: the first frame of a new socket (no seq known)."""
    async with connect(
        f"{server.ws_url}/w/{code}/ws?role={role}",
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"cookie": cookies, "accept-language": "de"},
        compression=None,
    ) as ws:
        first = await asyncio.wait_for(ws.recv(), DEADLINE)
        assert isinstance(first, str)
        return Screen.of(first)


def cookie_header(client: httpx.AsyncClient) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


@contextlib.asynccontextmanager
async def two_servers(settings: Settings) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    services = (Service(settings), Service(settings))
    try:
        with serve(settings, services[0]) as a, serve(settings, services[1]) as b:
            yield a, b
    finally:
        for service in services:
            service.close()


async def phone_writes(
    server: LiveServer, code: str, number: int, acked: list[str], rng: random.Random
) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers={"origin": server.url}) as phone:
        await join(phone, code)
        for n in range(CARDS_PER_PHONE):
            text = f"Telefon {number} Karte {n}"
            answer = await phone.post(
                f"/w/{code}/cards",
                data={"text": text, "colour": "yellow", "client_id": f"p{number}-{n}"},
            )
            assert answer.status_code == 200, answer.text
            acked.append(text)
            await asyncio.sleep(rng.uniform(0, 0.03))  # people type at their own pace


async def trainer_sorts(trainer: httpx.AsyncClient, code: str, service: Service) -> None:
    """Two themes, and a few of the cards written so far moved into them."""
    for heading in ("Erreichbarkeit", "Freundlichkeit"):
        made = await trainer.post(f"/w/{code}/t/cluster-new", data={"heading": heading})
        assert made.status_code in (200, 204), made.text
        await asyncio.sleep(0.05)
    workshop = await service.workshop(code)
    wall = (await service.snapshot(workshop.id)).wall
    clusters = [cluster.id for cluster in wall.clusters]
    card_ids = [card.id for card in wall.cards[:6]]
    for n, card_id in enumerate(card_ids):
        data = {"card_id": card_id, "cluster_id": clusters[n % len(clusters)], "index": "0"}
        moved = await trainer.post(f"/w/{code}/t/card-move", data=data)
        assert moved.status_code in (200, 204), moved.text
        await asyncio.sleep(0.02)


async def settled(watched: list[Watched], server: LiveServer, code: str) -> None:
    """Until every board shows what a fresh render shows (or the deadline)."""
    want = shown(await fresh(server, code, "board"))
    async with asyncio.timeout(DEADLINE):
        while any(shown(w.screen) != want for w in watched):
            await asyncio.sleep(0.05)
            want = shown(await fresh(server, code, "board"))


ROOMS = [
    pytest.param("A", False, id="trainer on A"),
    pytest.param("B", False, id="trainer on B"),
    # Known to fail now and then (about 1 run in 5): a board shows a seq stamp before
    # the changes of that seq reach it, while the other board shows them at that seq.
    # board/live/render.py catches up when a read is ahead of the notices heard (the
    # case tests/test_live.py pins down); some race remains.
    pytest.param(
        "A", True, id="same at every seq", marks=pytest.mark.xfail(reason="a race remains")
    ),
]


@pytest.mark.parametrize(("trainer_on", "every_seq"), ROOMS)
async def test_boards_on_one_process_see_the_phones_of_another_as_its_own_boards_do(
    settings: Settings, redis_server: RedisServer, trainer_on: str, every_seq: bool
) -> None:
    settings = settings.with_(hub_url=redis_server.url, cards_per_minute=1000)
    async with two_servers(settings) as (a, b):
        trainer_server = a if trainer_on == "A" else b
        async with httpx.AsyncClient(
            base_url=trainer_server.url, headers={"origin": trainer_server.url}
        ) as trainer:
            code = await create_workshop(trainer, "Geteilter Raum")
            trainer_cookies = cookie_header(trainer)
            boards = [await watch(a, code, "board"), await watch(b, code, "board")]
            console = await watch(trainer_server, code, "trainer", trainer_cookies)

            acked: list[str] = []
            rng = random.Random(14)
            await asyncio.gather(
                *(phone_writes(b, code, n, acked, rng) for n in range(PHONES)),
                trainer_sorts(trainer, code, trainer_server.service),
            )
            await settled(boards, a, code)
            console_now = await fresh(trainer_server, code, "trainer", trainer_cookies)
            async with asyncio.timeout(DEADLINE):
                while shown(console.screen) != shown(console_now):
                    await asyncio.sleep(0.05)
                    console_now = await fresh(trainer_server, code, "trainer", trainer_cookies)

        on_a, on_b = boards
        assert len(acked) == PHONES * CARDS_PER_PHONE
        texts = repr(shown(on_a.screen))
        assert all(text in texts for text in acked)  # every acknowledged card is up
        for watched in (*boards, console):
            assert watched.screen.faults == []  # no seq backwards, no card twice
        both = sorted(on_a.at_seq.keys() & on_b.at_seq.keys())
        assert len(both) >= 2  # at least the first and the last
        assert on_a.at_seq[both[-1]] == on_b.at_seq[both[-1]]
        for seq in both if every_seq else ():
            assert on_a.at_seq[seq] == on_b.at_seq[seq], f"the boards differ at seq {seq}"
        print(
            f"\nseqs seen: board on A {len(on_a.at_seq)}, on B {len(on_b.at_seq)}, "
            f"both {len(both)}; resyncs {on_a.screen.resyncs}/{on_b.screen.resyncs}"
        )
        for watched in (*boards, console):
            await watched.ws.close()
            assert watched.task is not None
            await watched.task
