"""The notice bus's contract: the database is the truth, notices only wake processes up.

Two processes on one data folder write a few hundred changes at once, while the bus
between them loses, doubles, delays and reorders their notices (seeded: a failure can be
replayed). Boards, consoles and phones on both processes are screens as a browser holds
them (tests/screen_model.py), fed through the server's own socket connection. After the
writes stop, every screen must show, within a deadline, what a full render from the
database shows — and never a card twice nor a seq going backwards on the way.

What makes this hold is in board/live/render.py: a gap in a workshop's seqs is caught up
from the change log, a notice already seen is not rendered again, and the periodic poll
finds what no notice announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from board.live.notices import Listener, MemoryNoticeBus, Notice
from board.live.presence import MemoryPresence
from board.service import Service
from board.settings import Settings
from board.web.sockets import _Connection
from board.workshops import Workshop
from tests.screen_model import Screen
from tests.test_fragments import a_change
from tests.test_live import retitled

WRITES_PER_PROCESS = 150
POLL_SECONDS = 0.2  # the change-log poll, low: the last write's notice may be lost
CONVERGE_SECONDS = 5.0  # after the writes stop (a few polls, on a loaded machine)


@dataclass(frozen=True)
class Faults:
    drop: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0  # at most, in seconds: notices overtake each other


@dataclass
class Counts:
    published: int = 0  # notices of this process
    # What became of them and of the other process's on their way to this one's listeners:
    dropped: int = 0
    doubled: int = 0
    delayed: int = 0


class FaultyBus:
    """One process's end of a bus that misbehaves: every notice to each listener (this
    process's own too) may be lost, come twice, come late, and so out of order."""

    def __init__(self, network: MemoryNoticeBus, rng: random.Random, faults: Faults) -> None:
        self.network = network
        self.rng = rng
        self.faults = faults
        self.counts = Counts()
        self.cut = False  # when set, nothing gets through: the network is down

    def publish(self, notice: Notice) -> None:
        self.counts.published += 1
        self.network.publish(notice)

    def listen(self, listener: Listener) -> Callable[[], None]:
        return self.network.listen(lambda notice: self._deliver(listener, notice))

    async def close(self) -> None:
        return None

    def _deliver(self, listener: Listener, notice: Notice) -> None:
        if self.cut or self.rng.random() < self.faults.drop:
            self.counts.dropped += 1
            return
        copies = 1
        if self.rng.random() < self.faults.duplicate:
            copies = 2
            self.counts.doubled += 1
        loop = asyncio.get_running_loop()
        for _ in range(copies):
            delay = self.rng.uniform(0, self.faults.delay)
            if delay > 0.001:
                self.counts.delayed += 1
                loop.call_later(delay, listener, notice)
            else:
                listener(notice)


# -- screens on a process ---------------------------------------------------------------


class ScreenSocket:
    """What the server's socket connection writes to: a browser's screen."""

    def __init__(self, service: Service, screen: Screen) -> None:
        self.app = SimpleNamespace(state=SimpleNamespace(service=service))
        self.scope: dict[str, Any] = {}  # no transport: frames go by send_text
        self.screen = screen
        self.wants_resync = asyncio.Event()

    async def send_text(self, text: str) -> None:
        if self.screen.apply(text):
            self.wants_resync.set()

    async def close(self, code: int, reason: str = "") -> None:
        raise AssertionError(f"{self.screen.name} closed with {code}: {reason}")


@dataclass
class Viewer:
    """A board, console or phone with its socket on one process."""

    service: Service
    role: str
    participant_id: str | None
    screen: Screen
    connection: _Connection
    resyncer: asyncio.Task[None] | None = None


async def connect(
    service: Service, workshop_id: str, role: str, participant_id: str | None = None
) -> Viewer:
    """As board/web/sockets.py's endpoint does: subscribe, follow, a full render, listen;
    a resync asked for is answered with a full render (the receive loop's part)."""
    audiences = {f"{role}/de"}
    if participant_id is not None:
        audiences.add(f"mine/{participant_id}/de")
    subscription = service.hub.subscribe(workshop_id, frozenset(audiences))
    seq = (await service.snapshot(workshop_id)).workshop.seq
    service.live.watch(workshop_id, seq)
    screen = Screen(f"{role}@{id(service) % 1000}:{participant_id or ''}")
    socket = ScreenSocket(service, screen)
    connection = _Connection(socket, subscription, "de")  # type: ignore[arg-type]
    viewer = Viewer(service, role, participant_id, screen, connection)
    await connection.push(await service.live.full_frame(workshop_id, role, "de", participant_id))
    connection.listen()

    async def resyncs() -> None:
        while True:
            await socket.wants_resync.wait()
            socket.wants_resync.clear()
            await connection.push(
                await service.live.full_frame(workshop_id, role, "de", participant_id)
            )

    viewer.resyncer = asyncio.create_task(resyncs())
    return viewer


# -- two processes, one data folder -----------------------------------------------------


@dataclass
class Room:
    processes: tuple[Service, Service]
    truth: Service  # a third process with no socket: renders fresh from the database
    buses: tuple[FaultyBus, FaultyBus]
    workshop: Workshop
    phones: list[str]  # participants whose phones are screens (they never write)
    writers: list[str]  # participants who write cards (no screens)
    viewers: list[Viewer] = field(default_factory=list)


@contextlib.asynccontextmanager
async def two_processes(settings: Settings, faults: Faults, seed: int) -> AsyncIterator[Room]:
    network, presence = MemoryNoticeBus(), MemoryPresence()
    buses = (
        FaultyBus(network, random.Random(seed), faults),
        FaultyBus(network, random.Random(seed + 1), faults),
    )
    processes = (
        Service(settings, notices=buses[0], presence=presence),
        Service(settings, notices=buses[1], presence=presence),
    )
    truth = Service(settings, notices=MemoryNoticeBus(), presence=presence)
    viewers: list[Viewer] = []
    try:
        for service in processes:
            service.live.poll_seconds = POLL_SECONDS
            service.live.listen()
        workshop = await processes[0].create_workshop("Zwei Prozesse, ein Bus voller Fehler")
        phones = [(await processes[0].join(workshop)).id for _ in range(3)]
        writers = [(await processes[1].join(workshop)).id for _ in range(6)]
        for n, phone in enumerate(phones):  # cards of their own, for the trainer to move
            await processes[n % 2].add_card(workshop, phone, f"eigen-{n}", f"Eigene {n}", "yellow")
        for service in processes:
            for role in ("board", "trainer"):
                viewers.append(await connect(service, workshop.id, role))
            for phone in phones:
                viewers.append(await connect(service, workshop.id, "phone", phone))
        yield Room(processes, truth, buses, workshop, phones, writers, viewers)
    finally:
        for viewer in viewers:
            if viewer.resyncer is not None:
                viewer.resyncer.cancel()
            await viewer.connection.stop()
        for service in (*processes, truth):
            await service.live.settled()
            service.live.close()
            service.close()


async def storm(room: Room, process: int, seed: int) -> int:
    """A process's share of the room's writes: cards from phones, the trainer sorting and
    now and then retitling the workshop (a write that changes no card: a lost card
    notice before it shows as a gap, not as a wall rendered anyway)."""
    rng = random.Random(seed)
    service = room.processes[process]
    for n in range(WRITES_PER_PROCESS):
        choice = rng.random()
        if choice < 0.15:
            await service.execute(room.workshop, retitled(f"Workshop {process}-{n}"))
        elif choice < 0.55:
            writer = rng.choice(room.writers)
            text = f"Karte {process}-{n}"
            await service.add_card(room.workshop, writer, f"{process}-{n}", text, "yellow")
        else:
            number = process * 10_000 + n
            await service.execute_on_cards(
                room.workshop, lambda wall, number=number: a_change(rng, wall, number)
            )
        if rng.random() < 0.3:
            await asyncio.sleep(0)  # let the other process's writes in between
    return WRITES_PER_PROCESS


async def last_words(room: Room) -> int:
    """A few writes after the storm, one at a time, each once the screens have caught up
    with the one before: a lost notice of one of these is not covered by a later render.
    The last one's notices are all lost (the network between the processes goes down)."""
    for n in range(6):
        service = room.processes[n % 2]
        for bus in room.buses:
            bus.cut = n == 5
        await service.add_card(
            room.workshop, room.writers[0], f"zuletzt-{n}", f"Zuletzt {n}", "yellow"
        )
        for process in room.processes:
            await process.live.settled()
        await asyncio.sleep(0.06)  # the room's pace: past the bus's longest delay
    return 6


async def converged(room: Room) -> list[str]:
    """The screens not (yet) showing what a fresh render from the database shows."""
    behind = []
    for viewer in room.viewers:
        fresh = await room.truth.live.full_frame(
            room.workshop.id, viewer.role, "de", viewer.participant_id
        )
        # A phone hears only of what changes its page: its seq may stay behind.
        seq = viewer.role != "phone"
        if viewer.screen.shows(seq) != Screen.of(fresh.text).shows(seq):
            behind.append(viewer.screen.name)
    return behind


async def until_converged(room: Room) -> float:
    start = time.monotonic()
    behind: list[str] = []
    while time.monotonic() - start < CONVERGE_SECONDS:
        behind = await converged(room)
        if not behind:
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"not converged within {CONVERGE_SECONDS} s: {behind}")


FAULTS = {
    "lost": Faults(drop=0.3),
    "doubled": Faults(duplicate=0.5),
    "late and reordered": Faults(delay=0.05),
    "all at once": Faults(drop=0.2, duplicate=0.2, delay=0.05),
}


CASES = [(faults, 1) for faults in FAULTS] + [("all at once", 2), ("all at once", 3)]


@pytest.mark.parametrize(("faults", "seed"), CASES, ids=[f"{f}-{s}" for f, s in CASES])
async def test_every_screen_converges_to_the_database_whatever_the_bus_does(
    tmp_path: Path, faults: str, seed: int
) -> None:
    bus = FAULTS[faults]
    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret-key", tick_ms=5)
    async with two_processes(settings, bus, seed) as room:
        written = await asyncio.gather(storm(room, 0, seed * 10), storm(room, 1, seed * 10 + 1))
        written.append(await last_words(room))
        took = await until_converged(room)

        faults_seen = [fault for viewer in room.viewers for fault in viewer.screen.faults]
        assert faults_seen == []
        counts = [bus.counts for bus in room.buses]
        resyncs = sum(viewer.screen.resyncs for viewer in room.viewers)
        frames = sum(len(viewer.screen.seqs) for viewer in room.viewers)
        print(
            f"\n{sum(written)} writes; {counts}; {frames} frames on {len(room.viewers)} screens,"
            f" {resyncs} resyncs; converged {took:.2f} s after the last"
        )
        if bus.drop:
            assert sum(c.dropped for c in counts) > 0
        if bus.duplicate:
            assert sum(c.doubled for c in counts) > 0
        wall = (await room.truth.snapshot(room.workshop.id)).wall
        assert len(wall.cards) > WRITES_PER_PROCESS // 2  # the storm did write
