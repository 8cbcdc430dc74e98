"""Shared fixtures: settings on a fresh data folder, the app in-process, a real server."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from board.cli import server_options
from board.service import Service
from board.settings import Settings
from board.web.routes import create_app
from tests import postgres_server
from tests.postgres_server import PostgresServer
from tests.redis_server import RedisServer

CODE_IN_LOCATION = re.compile(r"/w/([A-Z0-9]{6})/trainer")
# BOARD_TEST_DATABASE=postgresql runs the suite on PostgreSQL (a server of the tests' own,
# a schema per test), as scripts/test does after the run on SQLite. The tests of several
# processes (test_scale_out, test_workers, test_deploy, the fault runs) bring Redis.
ON_POSTGRES = os.environ.get("BOARD_TEST_DATABASE", "sqlite") == "postgresql"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="about the SQLite file itself (the run on SQLite has it)")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | None]:
    if not ON_POSTGRES:
        yield None
        return
    with postgres_server.running() as server:
        yield server


@pytest.fixture(scope="session")
def pg_server(postgres: PostgresServer | None) -> Iterator[PostgresServer]:
    """A PostgreSQL server on either run: for the tests of PostgreSQL itself."""
    if postgres is not None:
        yield postgres
        return
    with postgres_server.running() as server:
        yield server


@pytest.fixture(scope="session")
def shared_redis(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer | None
) -> Iterator[RedisServer | None]:
    """One redis-server for the PostgreSQL run's scaled-out end-to-end tests."""
    if postgres is None:
        yield None
        return
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@dataclass(frozen=True)
class ScaledOut:
    """What a real server of a test marked ``scaled_out`` is started with: nothing on the
    SQLite run; on the PostgreSQL run, PostgreSQL, Redis and two processes."""

    environment: dict[str, str]
    arguments: tuple[str, ...]


@pytest.fixture
def scaled_out(postgres: PostgresServer | None, shared_redis: RedisServer | None) -> ScaledOut:
    if postgres is None or shared_redis is None:
        return ScaledOut({}, ())
    shared_redis.flush()  # no rate limit or presence of an earlier test
    environment = {"BOARD_DATABASE_URL": postgres.new_schema(), "BOARD_HUB_URL": shared_redis.url}
    return ScaledOut(environment, ("--workers", "2"))


@pytest.fixture
def settings(tmp_path: Path, postgres: PostgresServer | None) -> Settings:
    database_url = postgres.new_schema() if postgres is not None else ""
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key",
        tick_ms=5,
        database_url=database_url,
    )


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    svc = Service(settings)
    yield svc
    svc.close()


@pytest.fixture
async def client(settings: Settings, service: Service) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def create_workshop(
    client: httpx.AsyncClient, title: str = "Kundenbegeisterung", exercises: Sequence[str] = ()
) -> str:
    """A new workshop (with these exercises on its agenda, else one Kartenabfrage); its code."""
    form: dict[str, str | list[str]] = {"title": title}
    if exercises:
        form["exercise"] = list(exercises)
    response = await client.post("/workshops", data=form)
    assert response.status_code == 303, response.text
    match = CODE_IN_LOCATION.search(response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def other_device(
    client: httpx.AsyncClient, cookies: dict[str, str] | None = None
) -> httpx.AsyncClient:
    """Another device on the same in-process app, with a cookie jar of its own."""
    return httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver", cookies=cookies
    )


async def join(client: httpx.AsyncClient, code: str) -> None:
    response = await client.get(f"/join/{code}")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/w/{code}"


@dataclass
class LiveServer:
    url: str
    service: Service

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")


@contextlib.contextmanager
def serve(settings: Settings, service: Service) -> Iterator[LiveServer]:
    """A real uvicorn on port 0 in a thread, as deployed."""
    app = create_app(settings, service)
    # The options `serve` runs with (no per-message deflate, no server banner, the
    # token-redacting log), on a free port of loopback.
    options = server_options(settings) | {"host": "127.0.0.1", "port": 0, "log_level": "warning"}
    config = uvicorn.Config(app, lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()

    def wait_started() -> None:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("server did not start")
            started.wait(0.01)

    wait_started()
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", service)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app of a fresh service on a real server."""
    service = Service(settings)
    with serve(settings, service) as server:
        yield server
    service.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own on a free port (tests/redis_server.py)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
