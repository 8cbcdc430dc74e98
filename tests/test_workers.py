"""``board serve --workers N`` as deployed: one port, N server processes under uvicorn's
supervisor, Redis between them; and its refusal without Redis.

Which process answered is read from /proc (tests/processes.py): the process holding the
server's end of each connection. The server is started as a real command, its own
``redis-server`` beside it on a free port.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from board import cli
from board.settings import Settings
from tests.conftest import create_workshop, join
from tests.processes import holder, spawned_children
from tests.redis_server import RedisServer
from tests.serverprocess import ServerProcess

DEADLINE = 15.0  # two cores shared with the other tests: starting Python takes a while
WORKERS = 2


@pytest.fixture
def workers(tmp_path: Path, redis_server: RedisServer) -> Iterator[ServerProcess]:
    """``serve --workers 2`` on Redis; the change-log poll too slow to help."""
    environment = dict(os.environ) | {
        "BOARD_HUB_URL": redis_server.url,
        "BOARD_CHANGE_POLL_SECONDS": "3600",
    }
    server = ServerProcess(
        tmp_path / "data", environment=environment, arguments=["--workers", str(WORKERS)]
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def parent_of(server: ServerProcess) -> int:
    assert server.process is not None
    return server.process.pid


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition()`` until it is true, for at most DEADLINE."""
    try:
        async with asyncio.timeout(DEADLINE):
            while not condition():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def open_board(server: ServerProcess, code: str) -> ClientConnection:
    return await connect(
        f"{server.url.replace('http://', 'ws://')}/w/{code}/ws?role=board",
        origin=server.url,  # type: ignore[arg-type]
        compression=None,
    )


async def held_by(server: ServerProcess, board: ClientConnection, processes: set[int]) -> int:
    """The server process holding this board's socket."""
    found: list[int] = []

    def accepted() -> bool:
        pid = holder(server.port, board.local_address[1], processes)
        found[:] = [pid] if pid is not None else []
        return bool(found)

    await until(accepted, "the server process holding the socket")
    return found[0]


async def boards_on_every_process(
    server: ServerProcess, code: str, processes: set[int]
) -> dict[ClientConnection, int]:
    """A board socket held by each server process: fresh connections until each has one
    (the kernel hands a connection to whichever process accepts first; a process just
    started takes a moment before it accepts any)."""
    boards: dict[ClientConnection, int] = {}

    async def one_more() -> None:
        board = await open_board(server, code)
        pid = await held_by(server, board, processes)
        if pid in boards.values():
            await board.close()
            await asyncio.sleep(0.05)  # leave the starting process the core to start on
        else:
            boards[board] = pid

    try:
        async with asyncio.timeout(DEADLINE):
            while set(boards.values()) != processes:
                await one_more()
    except TimeoutError:
        raise AssertionError(f"no socket on {processes - set(boards.values())}") from None
    return boards


async def post_card(server: ServerProcess, code: str, text: str) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers={"origin": server.url}) as phone:
        await join(phone, code)
        written = await phone.post(f"/w/{code}/cards", data={"text": text, "colour": "yellow"})
        assert written.status_code == 200, written.text


async def shows(board: ClientConnection, text: str) -> None:
    async with asyncio.timeout(DEADLINE):
        while text not in await board.recv():
            pass


async def test_both_processes_answer_and_a_card_reaches_the_boards_of_each(workers):
    processes = spawned_children(parent_of(workers))
    assert len(processes) == WORKERS
    async with httpx.AsyncClient(base_url=workers.url, headers={"origin": workers.url}) as t:
        code = await create_workshop(t, "Zwei Prozesse, ein Port")
    boards = await boards_on_every_process(workers, code, processes)

    # Wherever the phone's request lands, a board on the other process has it too.
    await post_card(workers, code, "Über beide Prozesse")
    await asyncio.gather(*(shows(board, "Über beide Prozesse") for board in boards))
    for board in boards:
        await board.close()


async def test_a_process_that_dies_is_replaced_and_sigterm_closes_every_socket(workers):
    parent = parent_of(workers)
    processes = spawned_children(parent)
    async with httpx.AsyncClient(base_url=workers.url, headers={"origin": workers.url}) as t:
        code = await create_workshop(t, "Einer stirbt")
    boards = await boards_on_every_process(workers, code, processes)
    victim = next(iter(processes))

    os.kill(victim, signal.SIGKILL)
    await until(
        lambda: len(spawned_children(parent) - {victim}) == WORKERS,
        "a new server process in the dead one's place",
    )
    for board, pid in boards.items():  # the dead one's sockets are gone with it
        if pid == victim:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(shows(board, "never"), DEADLINE)
    survivors = {board for board, pid in boards.items() if pid != victim}
    renewed = spawned_children(parent)
    boards = {board: pid for board, pid in boards.items() if board in survivors}
    boards |= await boards_on_every_process(workers, code, renewed)
    await post_card(workers, code, "Nach dem Neustart")
    await asyncio.gather(*(shows(board, "Nach dem Neustart") for board in boards))

    # SIGTERM, as systemd stops it: every process closes its sockets with 1012 (service
    # restart: the pages reconnect), finishes, and the supervisor ends cleanly.
    assert workers.process is not None
    workers.process.send_signal(signal.SIGTERM)
    for board in boards:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(shows(board, "never"), DEADLINE)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    assert await asyncio.to_thread(workers.process.wait, DEADLINE) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in renewed)


# -- without Redis: refused -----------------------------------------------------------


@pytest.mark.parametrize("how", [["--workers", "2"], []])
def test_several_processes_without_redis_are_refused_with_the_fix(
    how: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("BOARD_HUB_URL", raising=False)
    if not how:
        monkeypatch.setenv("BOARD_WORKERS", "2")
    started: list[object] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: started.append(app))

    assert cli.main(["serve", "--data", str(tmp_path), *how]) == 2

    assert started == []
    _, err = capsys.readouterr()
    assert "BOARD_HUB_URL=redis://" in err
    assert not (tmp_path / "board.sqlite3").exists()  # nothing was opened either


def test_one_process_stays_the_default_without_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BOARD_HUB_URL", "BOARD_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    started: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: started.append((app, options)))

    assert cli.main(["serve", "--data", str(tmp_path)]) == 0

    [(app, options)] = started
    assert options["workers"] == 1  # not WEB_CONCURRENCY's, whatever the environment says
    assert not isinstance(app, str)  # the app itself, in this process
    app.state.service.close()  # type: ignore[attr-defined]


def test_each_process_gets_the_settings_serve_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flags reach the spawned processes, which read the environment: the app each
    one builds has the settings the command line made."""
    # Set here, so that monkeypatch puts back what was there before serve writes them.
    monkeypatch.setenv("BOARD_HOST", "127.0.0.1")
    monkeypatch.setenv("BOARD_PORT", "8000")
    monkeypatch.setenv("BOARD_DATA", str(tmp_path / "not-this-one"))
    monkeypatch.setenv("BOARD_WORKERS", "1")
    monkeypatch.setenv("BOARD_HUB_URL", "redis://127.0.0.1:1/0")  # never connected here
    monkeypatch.setenv("BOARD_SECRET_KEY", "k" * 32)
    started: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: started.append((app, options)))
    flags = ["--port", "8123", "--data", str(tmp_path / "data"), "--workers", "3"]

    assert cli.main(["serve", *flags]) == 0

    [(app, options)] = started
    assert app == cli.WORKER_APP and options["factory"] is True
    assert options["workers"] == 3 and options["port"] == 8123
    assert options["ws"] == "websockets-sansio"  # server_options, as for one process
    assert (tmp_path / "data" / "board.sqlite3").exists()  # made ready before they start
    worker = cli.worker_app()
    settings = worker.state.service.settings
    worker.state.service.close()
    expected = Settings.from_env().with_(port=8123, data_dir=tmp_path / "data", workers=3)
    assert settings == expected
