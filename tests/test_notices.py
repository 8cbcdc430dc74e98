"""Change notices: the bus within a process, and two processes on one data folder."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from websockets.asyncio.client import ClientConnection

from board import agenda
from board.live.notices import MemoryNoticeBus, Notice, create_notice_bus
from board.live.presence import MemoryPresence
from board.live.redis_bus import RedisNoticeBus
from board.service import Service
from board.settings import Settings
from board.store import repository
from tests.conftest import LiveServer, create_workshop, join, serve
from tests.test_sockets import DEADLINE, Device, closed_with, frame_with, send_card

SEQ = re.compile(r'id="seq" data-seq="(\d+)"')
NOTICE = Notice("w-1", 7, frozenset({"wall", "step"}), frozenset({"p-1"}))


def test_a_notice_crosses_the_wire_as_it_left() -> None:
    assert Notice.from_json(NOTICE.to_json()) == NOTICE
    presence = Notice("w-1", None, frozenset({"presence"}))
    assert Notice.from_json(presence.to_json()) == presence


async def test_a_listener_on_the_publishers_loop_hears_the_notice_at_once() -> None:
    bus = MemoryNoticeBus()
    heard: list[Notice] = []
    bus.listen(heard.append)
    bus.publish(NOTICE)
    assert heard == [NOTICE]  # no hop through the loop: the render starts as today


async def test_a_listener_on_another_loop_hears_the_notice_on_its_own_loop() -> None:
    """Two servers on threads of one process: each renders on its own loop."""
    bus = MemoryNoticeBus()
    listening, heard = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []

    async def other_process() -> None:
        def hear(notice: Notice) -> None:
            assert notice == NOTICE
            threads.append(threading.current_thread())
            heard.set()

        bus.listen(hear)
        listening.set()
        await asyncio.to_thread(heard.wait, DEADLINE)

    thread = threading.Thread(target=asyncio.run, args=(other_process(),))
    thread.start()
    assert await asyncio.to_thread(listening.wait, DEADLINE)
    bus.publish(NOTICE)
    assert await asyncio.to_thread(heard.wait, DEADLINE)
    thread.join(DEADLINE)
    assert threads == [thread]


async def test_a_listener_that_stopped_hears_nothing_more() -> None:
    bus = MemoryNoticeBus()
    heard: list[Notice] = []
    stop = bus.listen(heard.append)
    stop()
    stop()  # harmless twice
    bus.publish(NOTICE)
    assert heard == []


def test_the_backends_are_memory_and_redis() -> None:
    assert isinstance(create_notice_bus("memory://"), MemoryNoticeBus)
    assert isinstance(create_notice_bus("redis://localhost"), RedisNoticeBus)
    with pytest.raises(ValueError, match="memory://"):
        create_notice_bus("nats://localhost")


async def test_each_write_is_logged_with_its_seq_and_what_it_changed(service: Service) -> None:
    heard: list[Notice] = []
    service.live.notices.listen(heard.append)
    workshop = await service.create_workshop("Kundenbegeisterung")
    await service.add_card(workshop, None, None, "Freundlich am Telefon", "yellow")
    await service.add_card(workshop, None, None, "Schnelle Antworten", "yellow")

    logged = await service.db.read(lambda conn: repository.changes_since(conn, workshop.id, 0))
    # The first card on the empty first step also ends the join slide shown by itself.
    assert [(seq, regions) for seq, regions, _ in logged] == [
        (1, ["join", "wall"]),
        (2, ["wall"]),
    ]
    assert [(n.workshop_id, n.seq, n.regions) for n in heard] == [
        (workshop.id, 1, frozenset({"join", "wall"})),
        (workshop.id, 2, frozenset({"wall"})),
    ]


# -- two processes on one data folder ------------------------------------------


@dataclass
class Room:
    """One workshop served by two processes that share the data folder and a bus."""

    first: LiveServer
    second: LiveServer
    code: str
    trainer: Device

    @property
    def servers(self) -> tuple[LiveServer, LiveServer]:
        return self.first, self.second


@pytest.fixture
def two_servers(settings: Settings) -> Iterator[tuple[LiveServer, LiveServer]]:
    bus, presence = MemoryNoticeBus(), MemoryPresence()
    first = Service(settings, notices=bus, presence=presence)
    second = Service(settings, notices=bus, presence=presence)
    with serve(settings, first) as one, serve(settings, second) as two:
        yield one, two
    first.close()
    second.close()


@pytest.fixture
async def room(two_servers: tuple[LiveServer, LiveServer]) -> AsyncIterator[Room]:
    first, second = two_servers
    trainer = Device(first)
    code = await create_workshop(trainer.http)
    yield Room(first, second, code, trainer)
    await trainer.close()


def on(server: LiveServer, device: Device) -> Device:
    """The same device (its cookies) talking to another process."""
    moved = Device(server)
    moved.http.cookies.update(device.http.cookies)
    return moved


async def seq_when_shown(ws: ClientConnection, text: str) -> int:
    frame = await frame_with(ws, text)
    found = SEQ.search(frame)
    assert found, frame
    return int(found.group(1))


async def test_a_card_posted_to_one_process_reaches_the_board_of_the_other_in_order(
    room: Room,
) -> None:
    """The phone posts to the first process; a board on each process shows each card
    at the same sequence number, in the same order."""
    phone = Device(room.first)
    await join(phone.http, room.code)
    boards = [await Device(server).socket(room.code, "board") for server in room.servers]
    for board in boards:
        await frame_with(board, 'id="board-wall"')

    texts = ["Freundlich am Telefon", "Schnelle Antworten", "Klare Rechnungen"]
    shown: list[list[int]] = [[], []]
    for text in texts:
        await send_card(phone, room.code, text)
        for board, seqs in zip(boards, shown, strict=True):
            seqs.append(await seq_when_shown(board, text))

    workshop = await room.first.service.workshop(room.code)
    assert shown[0] == shown[1] == list(range(workshop.seq - 2, workshop.seq + 1))
    last = await frames_after(boards[1], texts[-1])
    assert [last.index(text) for text in texts] == sorted(last.index(text) for text in texts)
    for board in boards:
        await board.close()
    await phone.close()


async def frames_after(ws: ClientConnection, text: str) -> str:
    """A full render (resync) of the board once ``text`` is on it."""
    await ws.send('{"type": "resync"}')
    return await frame_with(ws, text)


async def test_phones_are_counted_across_both_processes(room: Room) -> None:
    board = await Device(room.first).socket(room.code, "board")
    await frame_with(board, "<b data-present>0</b>")
    anna, ben = Device(room.first), Device(room.first)
    for phone in (anna, ben):
        await join(phone.http, room.code)
    # Anna's phone talks to the first process, Ben's to the second.
    sockets = [await anna.socket(room.code, "phone")]
    await frame_with(board, "<b data-present>1</b>")
    ben_there = on(room.second, ben)
    sockets.append(await ben_there.socket(room.code, "phone"))
    await frame_with(board, "<b data-present>2</b>")
    assert room.first.service.live.present(await workshop_id(room)) == 2
    await sockets[1].close()
    await frame_with(board, "<b data-present>1</b>")
    for ws in (sockets[0], board):
        await ws.close()
    for device in (anna, ben, ben_there):
        await device.close()


async def workshop_id(room: Room) -> str:
    return (await room.first.service.workshop(room.code)).id


async def test_two_writers_on_one_file_keep_the_sequence_gap_free(room: Room) -> None:
    """Both processes write at once: BEGIN IMMEDIATE and the busy timeout take turns,
    and every write gets its own next sequence number and change-log row."""
    phones = [Device(server) for server in (room.first, room.second) for _ in range(3)]
    for phone in phones:
        await join(phone.http, room.code)
    cards = [
        send_card(phone, room.code, f"Karte {n} von Telefon {p}", client_id=f"c{n}")
        for p, phone in enumerate(phones)
        for n in range(10)
    ]
    await asyncio.gather(*cards)

    workshop = await room.second.service.workshop(room.code)
    logged = await room.second.service.db.read(
        lambda conn: repository.changes_since(conn, workshop.id, 0)
    )
    assert [seq for seq, _, _ in logged] == list(range(1, len(cards) + 1))
    assert workshop.seq == len(cards)
    for phone in phones:
        await phone.close()


async def test_a_deleted_workshop_ends_the_screens_of_the_other_process(room: Room) -> None:
    board = await Device(room.second).socket(room.code, "board")
    await frame_with(board, 'id="board-wall"')
    deleted = await room.trainer.http.post(f"/w/{room.code}/delete", data={"confirm": room.code})
    assert deleted.status_code == 303
    await frame_with(board, "Dieser Workshop ist beendet.")
    assert await closed_with(board) == 1008


async def test_a_new_trainer_link_closes_the_consoles_of_the_other_process(room: Room) -> None:
    tablet = on(room.second, room.trainer)
    console = await tablet.socket(room.code, "trainer")
    await frame_with(console, 'id="console-wall"')
    renewed = await room.trainer.http.post(f"/w/{room.code}/t/trainer-link")
    assert renewed.status_code == 204
    await frame_with(console, "Trainer-Link")
    assert await closed_with(console) == 1008
    await tablet.close()


async def test_switching_the_gong_reaches_the_timer_region_of_every_screen(
    service: Service,
) -> None:
    workshop = await service.create_workshop("Kundenbegeisterung")
    heard: list[Notice] = []
    service.live.notices.listen(heard.append)
    await service.execute(workshop, lambda snap: agenda.set_gong(snap.workshop, False))
    assert [n.regions for n in heard] == [frozenset({"timer"})]
