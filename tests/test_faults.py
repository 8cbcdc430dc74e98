"""Faults a room brings: a frozen phone, a full disk, a server killed in the middle of a storm."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from board.live.hub import QUEUE_SIZE, Frame, MemoryHub
from board.web.sockets import TRY_AGAIN, _Connection
from tests.conftest import create_workshop, join
from tests.serverprocess import ServerProcess


# -- a phone that stops reading ---------------------------------------------------
class FrozenSocket:
    """A WebSocket whose peer stopped reading: every send hangs."""

    def __init__(self) -> None:
        self.app = SimpleNamespace(state=SimpleNamespace(service=None))
        self.scope: dict[str, Any] = {}  # no transport to write to: frames go by send_text
        self.sent: list[str] = []
        self.closed: list[int] = []
        self.stuck = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.sent.append(text)
        self.stuck.set()
        await asyncio.Event().wait()  # never returns

    async def close(self, code: int, reason: str = "") -> None:
        self.closed.append(code)


async def test_a_frozen_phone_is_dropped_without_slowing_the_room() -> None:
    hub = MemoryHub()
    frozen_ws = FrozenSocket()
    frozen = hub.subscribe("w", frozenset({"board/de"}))
    others = [hub.subscribe("w", frozenset({"board/de"})) for _ in range(3)]
    connection = _Connection(frozen_ws, frozen, "de")  # type: ignore[arg-type]
    connection.listen()

    for n in range(QUEUE_SIZE + 5):
        await hub.publish("w", "board/de", Frame(n, f"frame {n}"))
        for other in others:  # the others keep up and get every frame at once
            assert other.next_frame() == Frame(n, f"frame {n}")
        if n == 0:
            await asyncio.wait_for(frozen_ws.stuck.wait(), 1)

    assert frozen.overflowed and not frozen.frames  # nothing piles up for it
    await asyncio.wait_for(connection._closing, 1)  # type: ignore[arg-type]
    assert frozen_ws.closed == [TRY_AGAIN]  # 1013: the browser reconnects and catches up
    assert connection._sender is not None and connection._sender.cancelled()
    assert frozen_ws.sent == ["frame 0"]


class GoneSocket(FrozenSocket):
    """A WebSocket whose client has gone: every send fails."""

    async def send_text(self, text: str) -> None:
        self.sent.append(text)
        raise RuntimeError("the client is gone")


async def test_a_socket_whose_client_is_gone_stops_sending_quietly() -> None:
    hub = MemoryHub()
    gone_ws = GoneSocket()
    gone = hub.subscribe("w", frozenset({"board/de"}))
    connection = _Connection(gone_ws, gone, "de")  # type: ignore[arg-type]
    connection.listen()
    await hub.publish("w", "board/de", Frame(1, "one"))
    sender = connection._sender
    assert sender is not None
    await asyncio.wait_for(sender, 1)  # it ends without raising: nothing left unretrieved
    for n in range(2, 5):
        await hub.publish("w", "board/de", Frame(n, "more"))
    assert connection._sender is sender  # no new sender for a socket that is gone
    assert gone_ws.sent == ["one"]
    await connection.stop()


async def test_a_socket_that_overflowed_before_it_listened_is_dropped() -> None:
    hub = MemoryHub()
    frozen_ws = FrozenSocket()
    late = hub.subscribe("w", frozenset({"board/de"}))
    connection = _Connection(frozen_ws, late, "de")  # type: ignore[arg-type]
    for n in range(QUEUE_SIZE + 1):  # while its first full render was being sent
        await hub.publish("w", "board/de", Frame(n, "x"))
    connection.listen()
    await asyncio.wait_for(connection._closing, 1)  # type: ignore[arg-type]
    assert frozen_ws.closed == [TRY_AGAIN] and frozen_ws.sent == []


# -- the disk is full ---------------------------------------------------------------
async def test_a_frozen_phone_on_a_real_server_is_dropped_while_the_room_gets_every_frame(
    live_server,
) -> None:
    """On uvicorn, frames are written straight to each socket's transport (board/web/wire.py):
    a client that stops reading makes its transport pause, its frames queue, and it is
    dropped (its connection cut when it does not take the close either), while a reading
    board gets every frame."""
    service = live_server.service
    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"origin": live_server.url}
    ) as trainer:
        code = await create_workshop(trainer, "Kundenbegeisterung")
    workshop = await service.workshop(code)
    url = f"{live_server.ws_url}/w/{code}/ws?role=board&seq={workshop.seq}"
    # max_queue=1: the client library stops reading the socket after one frame it was not
    # asked for, so the TCP window closes as for a phone whose browser froze.
    audience = "board/de"
    german = {"accept-language": "de"}
    frozen = await connect(
        url, origin=live_server.url, compression=None, max_queue=1, additional_headers=german
    )
    reading = await connect(
        url, origin=live_server.url, compression=None, additional_headers=german
    )
    listeners = service.live.notices._listeners  # type: ignore[attr-defined]  # noqa: SLF001
    server_loop = next(loop for heard, loop in listeners if heard == service.live.heard)

    def board_sockets() -> list[Any]:
        channel = service.hub._channels.get(workshop.id, {})  # type: ignore[attr-defined]  # noqa: SLF001
        return list(channel.get(audience, ()))

    async def until(condition: Any, what: str) -> None:
        async with asyncio.timeout(10):
            while not condition():
                await asyncio.sleep(0.02)
        assert condition(), what

    await until(lambda: len(board_sockets()) == 2, "both boards subscribed")
    assert all(sub.write_now.__self__.wire is not None for sub in board_sockets())

    big = "x" * 200_000
    last = QUEUE_SIZE * 4

    received = 0

    async def publish_all() -> None:
        for n in range(1, last + 1):
            # Paced by the board that reads (a room's frames come far slower than these
            # 200 KB ones): only the frozen one falls behind.
            while received < n - 1:
                await asyncio.sleep(0.001)
            text = f'<div id="n{n}">{big}</div>'
            await service.hub.publish(workshop.id, audience, Frame(workshop.seq + n, text))

    async def read_all() -> None:
        nonlocal received
        async with asyncio.timeout(30):
            while received < last:
                frame = await reading.recv()
                if 'id="n' in frame:
                    received += 1

    reader = asyncio.create_task(read_all())
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(publish_all(), server_loop))
    await until(lambda: len(board_sockets()) == 1, "the frozen board dropped")
    await reader
    assert received == last  # nothing lost for the board that reads
    await reading.close()
    frozen.transport.abort()


@pytest.mark.sqlite_only
async def test_a_full_disk_gets_could_not_save_and_the_board_recovers(client, service):
    code = await create_workshop(client)
    phone = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await join(phone, code)
    pages = service.db.read_now(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    # SQLite's own limit stands in for a full disk: the same SQLITE_FULL error.
    service.db.write_now(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
    acked, refused = [], []
    for i in range(300):
        response = await phone.post(
            f"/w/{code}/cards",
            # Bulky (three bytes a character) yet within a card's three lines on the board.
            data={"text": f"Karte {i} " + "’" * 40, "colour": "yellow", "client_id": f"k{i}"},
        )
        (acked if response.status_code == 200 else refused).append((i, response))
        if refused:
            break
    assert refused, "the full disk was never hit"
    number, response = refused[0]
    assert response.status_code == 503
    assert "Speichern fehlgeschlagen" in response.text
    workshop = await service.workshop(code)
    texts = {c.text for c in (await service.snapshot(workshop.id)).wall.cards}
    assert len(texts) == len(acked)  # every acknowledged card, and not the refused one
    assert not any(t.startswith(f"Karte {number} ") for t in texts)
    assert (await client.get("/healthz")).status_code == 200  # reading still works

    service.db.write_now(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    again = await phone.post(
        f"/w/{code}/cards",
        data={"text": f"Karte {number} wieder", "colour": "yellow", "client_id": f"k{number}"},
    )
    assert again.status_code == 200  # the same draft, once the disk has room again


@pytest.mark.sqlite_only
async def test_a_read_only_database_gets_could_not_save_and_the_board_recovers(client, service):
    code = await create_workshop(client)
    phone = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await join(phone, code)
    card = {"text": "Vor dem Fehler", "colour": "yellow", "client_id": "before"}
    assert (await phone.post(f"/w/{code}/cards", data=card)).status_code == 200
    # The writer's file turns read-only (a file system remounted read-only after an
    # error): SQLite answers SQLITE_READONLY, as query_only makes it do here.
    service.db.write_now(lambda c: c.execute("PRAGMA query_only = 1"))
    card = {"text": "Während des Fehlers", "colour": "yellow", "client_id": "during"}
    refused = await phone.post(f"/w/{code}/cards", data=card)
    assert refused.status_code == 503
    assert "Speichern fehlgeschlagen" in refused.text
    workshop = await service.workshop(code)
    texts = [c.text for c in (await service.snapshot(workshop.id)).wall.cards]
    assert texts == ["Vor dem Fehler"]  # nothing shown as saved that was not
    board = await client.get(f"/w/{code}/board")
    assert "Während des Fehlers" not in board.text

    # The writer is idle (every request above has its answer): switch it back directly,
    # since with query_only even the writer's BEGIN IMMEDIATE is refused.
    service.db._engine._writer.execute("PRAGMA query_only = 0")
    again = await phone.post(f"/w/{code}/cards", data=card)  # the phone's draft, sent again
    assert again.status_code == 200
    texts = [c.text for c in (await service.snapshot(workshop.id)).wall.cards]
    assert texts == ["Vor dem Fehler", "Während des Fehlers"]


# -- a constraint nobody foresaw ------------------------------------------------------
def refuse_inserts_into(service: Any, table: str) -> None:
    """A trigger that makes SQLite refuse every new row of ``table`` with a constraint
    error: the same sqlite3.IntegrityError any unforeseen UNIQUE or CHECK would raise."""
    service.db.write_now(
        lambda c: c.execute(
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}"
            " BEGIN SELECT RAISE(ABORT, 'constraint failed'); END"
        )
    )


@pytest.mark.sqlite_only
async def test_a_constraint_error_is_a_clear_refusal_not_a_crash(client, service, caplog):
    code = await create_workshop(client)
    phone = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await join(phone, code)
    refuse_inserts_into(service, "cards")
    card = {"text": "Trifft auf eine Regel", "colour": "yellow", "client_id": "c1"}
    with caplog.at_level("ERROR", logger="board.service"):
        refused = await phone.post(f"/w/{code}/cards", data=card)
    assert refused.status_code == 409
    assert "Speichern fehlgeschlagen: Das widerspricht" in refused.text
    assert refused.headers["hx-retarget"] == "#flash"
    assert "constraint failed" in caplog.text  # the cause is in the server log

    refuse_inserts_into(service, "clusters")  # a trainer's write, in English
    english = {"accept-language": "en"}
    cluster = await client.post(f"/w/{code}/t/cluster-new", data={"heading": "X"}, headers=english)
    assert cluster.status_code == 409
    assert "Could not be saved" in cluster.text

    refuse_inserts_into(service, "participants")  # joining: the join page says it
    newcomer = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    joining = await newcomer.get(f"/join/{code}")
    assert joining.status_code == 409
    assert "Speichern fehlgeschlagen: Das widerspricht" in joining.text

    assert (await client.get(f"/w/{code}/board")).status_code == 200  # the room goes on


# -- kill -9 in the middle of a card storm ----------------------------------------------
@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "data")
    process.start()
    yield process
    process.stop()


def test_kill_in_a_card_storm_loses_no_acknowledged_card(server: ServerProcess) -> None:
    headers = {"origin": server.url}
    with httpx.Client(base_url=server.url, headers=headers) as trainer:
        response = trainer.post("/workshops", data={"title": "Sturm"})
        code = response.headers["location"].split("/")[2]
    phones = []
    for _ in range(10):
        phone = httpx.Client(base_url=server.url, headers=headers, timeout=5)
        assert phone.get(f"/join/{code}").status_code == 303
        phones.append(phone)

    acked: set[str] = set()
    sent: list[tuple[int, str]] = []
    killed = threading.Event()

    def storm(index: int) -> None:
        phone = phones[index]
        for n in range(200):
            client_id = f"p{index}-{n}"
            sent.append((index, client_id))
            try:
                answer = phone.post(
                    f"/w/{code}/cards",
                    data={"text": f"Karte {client_id}", "colour": "yellow", "client_id": client_id},
                )
            except httpx.HTTPError:
                return  # the server is gone: this phone keeps its draft
            if answer.status_code == 200:
                acked.add(client_id)
            if killed.is_set():
                return

    threads = [threading.Thread(target=storm, args=(i,)) for i in range(len(phones))]
    for thread in threads:
        thread.start()
    while len(acked) < 150:  # in the middle of the storm …
        if not any(t.is_alive() for t in threads):
            break
        threading.Event().wait(0.01)
    server.kill_hard()
    killed.set()
    for thread in threads:
        thread.join(10)
    assert len(acked) >= 150

    server.start()
    # The phones send again everything they did not see acknowledged — and some twice.
    for index, client_id in sent:
        if client_id not in acked or client_id.endswith("-0"):
            answer = phones[index].post(
                f"/w/{code}/cards",
                data={"text": f"Karte {client_id}", "colour": "yellow", "client_id": client_id},
            )
            assert answer.status_code == 200
    for phone in phones:
        phone.close()
    with sqlite3.connect(server.data_dir / "board.sqlite3") as db:
        stored: dict[str, Any] = dict(
            db.execute("SELECT client_id, count(*) FROM cards GROUP BY client_id").fetchall()
        )
    assert set(stored) == {client_id for _, client_id in sent}
    assert set(stored.values()) == {1}  # each exactly once
    assert acked <= set(stored)  # nothing acknowledged was lost
