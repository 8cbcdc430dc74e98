"""Faults of a scaled-out room: two real server processes, one truth, Redis between them.

``python -m board serve`` twice on one data folder with ``BOARD_HUB_URL=redis://…``, on
two ports. Twenty phones (half joined on each process) hold their sockets and write
cards through HTTP; boards watch on both processes. In the middle of the card storm:

- one process is killed with SIGKILL: its sockets come back on the other (the client
  goes where a load balancer would send it, with the seq it saw, as static/js/live.js
  does), its phones' unanswered cards are sent again there (drafts, with their client
  ids), and the people whose tabs did not come back drop out of every count once the
  dead process's presence expires;
- Redis is killed and started again on the same port: notices of that time are lost,
  the change-log poll and the full render after the reconnect make up for them.

Each run ends with every acknowledged card stored exactly once, every board showing what
a fresh render from the database shows within 2 s of the last acknowledgement, and every
board counting the people connected. The counts are printed (``pytest -s``).

The ``backing`` fixture is where the two processes keep their truth and wake each other
up: the tests' database (SQLite in the data folder, or PostgreSQL when the suite runs
on it) and Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin

from board.service import Service
from board.settings import Settings
from tests.redis_server import RedisServer
from tests.screen_model import Screen
from tests.serverprocess import ServerProcess

PHONES = 20
GONE_WITH_THE_PROCESS = 3  # phones of the killed process whose tabs do not come back
CARDS_PER_PHONE = 10
PACE_SECONDS = (0.05, 0.35)  # between one phone's cards
BOARDS_PER_PROCESS = 2
PRESENCE_SECONDS = 2  # BOARD_PRESENCE_SECONDS: a dead process's people expire after it
POLL_SECONDS = 1  # BOARD_CHANGE_POLL_SECONDS
CONVERGE_SECONDS = 2.0  # the bound: every board as the database, after the end
RECONNECT_SECONDS = 0.25  # live.js waits about 0.5 s at first (with jitter)
DRAFT_RETRY_SECONDS = 0.2
DEADLINE = 15.0  # for anything else that must happen
TEST_SECONDS = 60.0  # a run that hangs fails, with where it hung
RESYNC = json.dumps({"type": "resync"})


# -- the backing: one truth, one bus ------------------------------------------------------


@dataclass
class Backing:
    """What two processes share: where they keep the truth and how they wake each other."""

    settings: Settings  # for the test's own look at the database
    env: dict[str, str]  # what each server process is started with
    redis: RedisServer

    def stored_cards(self) -> dict[str, int]:
        """How often each client id is stored, as a third process reads the database."""
        service = Service(self.settings)
        try:
            rows = service.db.read_now(
                lambda conn: conn.execute(
                    "SELECT client_id, count(*) FROM cards GROUP BY client_id"
                ).fetchall()
            )
        finally:
            service.close()
        return {str(client_id): int(n) for client_id, n in rows}


@pytest.fixture
def backing(settings: Settings, redis_server: RedisServer) -> Backing:
    """Two processes on the tests' database (one SQLite folder, or PostgreSQL when the
    suite runs on it: tests/conftest.py) with Redis between them."""
    env = {
        "BOARD_DATA": str(settings.data_dir),
        "BOARD_HUB_URL": redis_server.url,
        "BOARD_CHANGE_POLL_SECONDS": str(POLL_SECONDS),
        "BOARD_PRESENCE_SECONDS": str(PRESENCE_SECONDS),
    }
    if settings.database_url:
        env["BOARD_DATABASE_URL"] = settings.database_url
    return Backing(settings, env, redis_server)


@pytest.fixture
def processes(backing: Backing) -> Iterator[list[ServerProcess]]:
    servers = [
        ServerProcess(backing.settings.data_dir, environment=os.environ | backing.env)
        for _ in range(2)
    ]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


# -- the room's devices -------------------------------------------------------------------


@dataclass
class Tab:
    """A page's socket that comes back by itself: to the process it was on while that
    answers, else to the other (where a load balancer would send it), with the seq its
    page shows, so it catches up with a full render if it missed anything."""

    role: str
    home: int  # the process it first connected to
    cookies: str = ""
    screen: Screen = field(default_factory=lambda: Screen("tab"))
    on: int | None = None  # the process it is connected to now
    connections: list[int] = field(default_factory=list)  # each process it opened on
    task: asyncio.Task[None] | None = None
    closed: bool = False

    async def run(self, servers: list[ServerProcess], code: str) -> None:
        index = self.home
        while not self.closed:
            server = servers[index]
            seq = self.screen.seq
            query = f"role={self.role}" + (f"&seq={seq}" if seq is not None else "")
            try:
                async with connect(
                    f"{server.url.replace('http://', 'ws://')}/w/{code}/ws?{query}",
                    origin=Origin(server.url),
                    additional_headers={"cookie": self.cookies, "accept-language": "de"},
                    compression=None,
                    open_timeout=3,
                    max_size=None,
                ) as ws:
                    self.on = index
                    self.connections.append(index)
                    async for message in ws:
                        assert isinstance(message, str)
                        if self.screen.apply(message):
                            await ws.send(RESYNC)
            except InvalidStatus:
                raise
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                index = 1 - index  # this one does not answer: the other
            self.on = None
            await asyncio.sleep(RECONNECT_SECONDS)

    def start(self, servers: list[ServerProcess], code: str) -> None:
        self.task = asyncio.create_task(self.run(servers, code))

    async def close(self) -> None:
        self.closed = True  # (a cancellation a client library swallows ends it too)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, DEADLINE)


@dataclass
class Card:
    client_id: str
    text: str
    tries: int = 0  # posts made; more than one: sent again as a draft
    acked_at: float | None = None
    again_after_ack: bool = False  # its answer "got lost": sent once more, stored once


@dataclass
class Phone:
    home: int
    cookies: str
    tab: Tab
    cards: list[Card] = field(default_factory=list)


@dataclass
class Room:
    servers: list[ServerProcess]
    code: str
    phones: list[Phone]
    boards: list[Tab]  # the room's boards and the trainer's consoles
    trainer: str  # her cookie header
    clients: list[httpx.AsyncClient]  # one per process, no cookie jar of their own

    @property
    def cards(self) -> list[Card]:
        return [card for phone in self.phones for card in phone.cards]

    def acked(self) -> int:
        return sum(1 for card in self.cards if card.acked_at is not None)


async def joined(server: ServerProcess, code: str) -> str:
    """A phone joins through ``server``: its cookie header."""
    async with httpx.AsyncClient(base_url=server.url, headers={"origin": server.url}) as phone:
        answer = await phone.get(f"/join/{code}")
        assert answer.status_code == 303, answer.text
        return "; ".join(f"{k}={v}" for k, v in phone.cookies.items())


@contextlib.asynccontextmanager
async def a_room(servers: list[ServerProcess]) -> AsyncIterator[Room]:
    async with httpx.AsyncClient(
        base_url=servers[0].url, headers={"origin": servers[0].url}
    ) as trainer:
        made = await trainer.post("/workshops", data={"title": "Sturm auf zwei Prozessen"})
        assert made.status_code == 303, made.text
        code = made.headers["location"].split("/")[2]
        trainer_cookies = "; ".join(f"{k}={v}" for k, v in trainer.cookies.items())
    phones = []
    for n in range(PHONES):
        home = n % 2
        cookies = await joined(servers[home], code)
        phones.append(Phone(home, cookies, Tab("phone", home, cookies, Screen(f"phone {n}"))))
    boards = [
        Tab("board", home, screen=Screen(f"board {home}.{n}"))
        for home in (0, 1)
        for n in range(BOARDS_PER_PROCESS)
    ]
    boards += [Tab("trainer", home, trainer_cookies, Screen(f"console {home}")) for home in (0, 1)]
    clients = [
        httpx.AsyncClient(base_url=s.url, headers={"origin": s.url}, timeout=5) for s in servers
    ]
    room = Room(servers, code, phones, boards, trainer_cookies, clients)
    for tab in [*boards, *(phone.tab for phone in phones)]:
        tab.start(servers, code)
    try:
        await until(lambda: all(tab.on is not None for tab in all_tabs(room)), "every tab open")
        yield room
    finally:
        for tab in all_tabs(room):
            await tab.close()
        for client in clients:
            await client.aclose()


def all_tabs(room: Room) -> list[Tab]:
    return [*room.boards, *(phone.tab for phone in room.phones)]


async def until(condition: object, what: str, seconds: float = DEADLINE) -> float:
    """Wait for ``condition()`` (polled); how long it took."""
    assert callable(condition)
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


# -- the storm ------------------------------------------------------------------------------


async def post(room: Room, phone: Phone, card: Card, index: int) -> tuple[bool, int]:
    """One try; whether it was acknowledged, and where the next try goes."""
    card.tries += 1
    client = room.clients[index]
    try:
        answer = await client.post(
            f"/w/{room.code}/cards",
            data={"text": card.text, "colour": "yellow", "client_id": card.client_id},
            headers={"cookie": phone.cookies},
        )
    except httpx.TransportError:
        return False, 1 - index  # that process is gone: the proxy tries the other
    finally:
        client.cookies.clear()  # each phone's own cookie goes with its own request
    if answer.status_code == 200:
        return True, index
    assert answer.status_code >= 500, answer.text  # refused: the test's fault
    return False, index


async def writes(room: Room, phone: Phone, number: int, rng: random.Random) -> None:
    """A phone writes its cards; one it gets no answer for stays a draft and is sent
    again (static/js/drafts.js), with its client id, until it is acknowledged."""
    index = phone.home
    for n in range(CARDS_PER_PHONE):
        card = Card(f"p{number}-{n}", f"Telefon {number}, Idee {n}")
        phone.cards.append(card)
        index = await until_acknowledged(room, phone, card, index)
        card.acked_at = time.monotonic()
        if n % 10 == 3:  # its answer got lost on the way: the phone sends it again
            card.again_after_ack = True
            index = await until_acknowledged(room, phone, card, index)
        await asyncio.sleep(rng.uniform(*PACE_SECONDS))


async def until_acknowledged(room: Room, phone: Phone, card: Card, index: int) -> int:
    """Send until answered; the process that answered."""
    while True:
        done, index = await post(room, phone, card, index)
        if done:
            return index
        await asyncio.sleep(DRAFT_RETRY_SECONDS)


def storm(room: Room, seed: int) -> asyncio.Future[list[None]]:
    rng = random.Random(seed)
    return asyncio.gather(*(writes(room, phone, n, rng) for n, phone in enumerate(room.phones)))


# -- what must hold at the end ----------------------------------------------------------------


async def fresh(room: Room, role: str, alive: list[int]) -> Screen:
    """What a board or console opened now shows (a new socket's full render)."""
    server = room.servers[alive[0]]
    async with connect(
        f"{server.url.replace('http://', 'ws://')}/w/{room.code}/ws?role={role}",
        origin=Origin(server.url),
        additional_headers={
            "accept-language": "de",
            "cookie": room.trainer if role == "trainer" else "",
        },
        compression=None,
        max_size=None,
    ) as ws:
        first = await asyncio.wait_for(ws.recv(), DEADLINE)
        assert isinstance(first, str)
        return Screen.of(first)


def walls(screen: Screen) -> dict[str, tuple[object, ...]]:
    """What a board shows but the count of people (checked on its own)."""
    return {k: v for k, v in screen.shows().items() if k != "presence"}


async def boards_converged(room: Room, alive: list[int]) -> float:
    """Seconds from the last acknowledgement until every board and console shows the
    database."""
    last_ack = max(card.acked_at or 0.0 for card in room.cards)
    deadline = last_ack + DEADLINE
    while True:
        want = {role: walls(await fresh(room, role, alive)) for role in ("board", "trainer")}
        behind = [b.screen.name for b in room.boards if walls(b.screen) != want[b.role]]
        if not behind:
            return time.monotonic() - last_ack
        if time.monotonic() > deadline:
            differ = {
                b.screen.name: sorted(
                    k
                    for k in want[b.role].keys() | walls(b.screen).keys()
                    if want[b.role].get(k) != walls(b.screen).get(k)
                )
                for b in room.boards
                if b.screen.name in behind
            }
            raise AssertionError(f"screens not as the database: {differ}")
        await asyncio.sleep(0.05)


def check_cards(room: Room, backing: Backing) -> dict[str, int]:
    stored = backing.stored_cards()
    sent = {card.client_id for card in room.cards}
    acked = {card.client_id for card in room.cards if card.acked_at is not None}
    assert acked == sent  # every phone got its answer in the end
    assert set(stored) == sent  # every acknowledged card is stored, nothing else
    doubled = {client_id: n for client_id, n in stored.items() if n != 1}
    assert doubled == {}  # and each exactly once
    return {
        "cards sent": len(sent),
        "acknowledged": len(acked),
        "stored": len(stored),
        "posts": sum(card.tries for card in room.cards),
        "resent as drafts": sum(1 for c in room.cards if c.tries > 1 + c.again_after_ack),
        "sent again after their ack": sum(1 for c in room.cards if c.again_after_ack),
    }


def check_screens(room: Room) -> None:
    faults = [fault for tab in all_tabs(room) for fault in tab.screen.faults]
    assert faults == []  # no seq going back, no card twice


def report(name: str, counts: dict[str, object]) -> None:
    print(f"\n{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


# -- the faults -------------------------------------------------------------------------------


async def test_a_process_killed_in_a_card_storm(
    processes: list[ServerProcess], backing: Backing
) -> None:
    async with asyncio.timeout(TEST_SECONDS), a_room(processes) as room:
        writing = storm(room, seed=9)
        await until(lambda: room.acked() >= len(room.phones) * CARDS_PER_PHONE * 0.4, "a storm")
        # Some of the dead process's phones do not come back (their sockets stay away).
        gone = [p for p in room.phones if p.home == 0][:GONE_WITH_THE_PROCESS]
        processes[0].kill_hard()
        killed_at = time.monotonic()
        for phone in gone:
            await phone.tab.close()
        moved = [t for t in all_tabs(room) if t.home == 0 and t.task and not t.task.done()]
        took = await until(lambda: all(t.on == 1 for t in moved), "every tab on the survivor")
        await writing
        counts = check_cards(room, backing)

        converged = await boards_converged(room, alive=[1])
        check_screens(room)
        present = PHONES - len(gone)
        await until(
            lambda: all(
                board.screen.present() == present for board in room.boards if board.role == "board"
            ),
            f"every board counting {present}",
        )
        counts |= {
            "sockets moved to the survivor": len(moved),
            "all back within s": round(took, 2),
            "boards as the database after the last ack s": round(converged, 2),
            "resyncs": sum(t.screen.resyncs for t in all_tabs(room)),
            "count right again after the kill s": round(time.monotonic() - killed_at, 2),
        }
        report("kill -9 of one process", counts)
        assert converged <= CONVERGE_SECONDS


async def test_redis_killed_and_restarted_in_a_card_storm(
    processes: list[ServerProcess], backing: Backing
) -> None:
    async with asyncio.timeout(TEST_SECONDS), a_room(processes) as room:
        writing = storm(room, seed=11)
        await until(lambda: room.acked() >= len(room.phones) * CARDS_PER_PHONE * 0.3, "a storm")
        backing.redis.kill_hard()
        down_at = room.acked()
        await asyncio.sleep(0.8)  # the outage: writes go on, notices are lost
        lost_during = room.acked() - down_at
        await asyncio.to_thread(backing.redis.start)  # the same port, empty
        back_at = room.acked()
        await writing
        counts = check_cards(room, backing)

        converged = await boards_converged(room, alive=[0, 1])
        check_screens(room)
        counted = await until(
            lambda: all(
                board.screen.present() == PHONES for board in room.boards if board.role == "board"
            ),
            f"every board counting {PHONES}",
        )
        counted += converged
        counts |= {
            "acknowledged while Redis was down": lost_during,
            "acknowledged after it came back": room.acked() - back_at,
            "boards as the database after the last ack s": round(converged, 2),
            "resyncs": sum(t.screen.resyncs for t in all_tabs(room)),
            "reconnects": sum(len(t.connections) - 1 for t in all_tabs(room)),
            "count right after the last ack s": round(counted, 2),
        }
        report("Redis killed and restarted", counts)
        assert lost_during > 0  # the storm went on while Redis was down
        assert room.acked() > back_at  # and after it came back
        assert converged <= CONVERGE_SECONDS
