"""PostgreSQL as the store (BOARD_DATABASE_URL): the same schema as SQLite's, migrations
once under a lock, rows read as SQLite's are, and a restart the board lives through.

These run on both of the suite's runs, on a server of the tests' own (the rest of the
suite runs on PostgreSQL only on the second run)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from board.live.notices import Notice
from board.service import Service
from board.settings import Settings
from board.store import postgres, repository
from board.store.database import MIGRATIONS, READERS, Connection, Database
from board.web.routes import create_app
from tests.conftest import create_workshop, join
from tests.postgres_server import PostgresServer, running
from tests.test_hub import drain

DEADLINE = 30.0


@pytest.fixture
def url(pg_server: PostgresServer) -> str:
    return pg_server.new_schema()


def columns_in_sqlite(path: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith(("_sqlite", "sqlite_"))
        ]
        return {t: {row[1] for row in conn.execute(f'PRAGMA table_info("{t}")')} for t in tables}
    finally:
        conn.close()


def columns_in_postgres(url: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name <> %s",
            (postgres.RECORD_TABLE,),
        )
        for table, column in rows:
            found.setdefault(table, set()).add(column)
    return found


def test_both_dialects_have_the_same_tables_and_columns(tmp_path: Path, url: str) -> None:
    Database(tmp_path / "board.sqlite3").close()
    Database(url).close()
    assert columns_in_postgres(url) == columns_in_sqlite(tmp_path / "board.sqlite3")


def test_a_new_sqlite_migration_comes_with_its_postgresql_one() -> None:
    # PostgreSQL began at the schema of the last SQLite migration named here; a later
    # change is a migration in both lists, so the newest names match.
    assert postgres.MIGRATIONS[-1][0] == MIGRATIONS[-1].__name__


def test_reopening_does_not_migrate_again_and_keeps_the_data(url: str) -> None:
    first = Database(url)
    assert first.schema_version == len(postgres.MIGRATIONS)
    first.write_now(
        lambda conn: conn.execute(
            "INSERT INTO workshops (id, code, title, trainer_secret, created_at)"
            " VALUES ('ws', 'K7M4QX', 'Retro', 'secret', 1.0)"
        )
    )
    first.close()
    again = Database(url)
    try:
        assert again.schema_version == len(postgres.MIGRATIONS)
        assert again.read_now(lambda c: repository.workshop_by_code(c, "K7M4QX")).title == "Retro"
    finally:
        again.close()


def test_processes_starting_at_once_on_an_empty_database_migrate_it_once(url: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        opened = list(pool.map(lambda _: Database(url), range(4)))
    try:
        assert {db.schema_version for db in opened} == {len(postgres.MIGRATIONS)}
        with psycopg.connect(url) as conn:
            names = [row[0] for row in conn.execute(f"SELECT name FROM {postgres.RECORD_TABLE}")]
        assert names == [name for name, _ in postgres.MIGRATIONS]
    finally:
        for db in opened:
            db.close()


def test_rows_read_by_name_by_position_and_as_a_dict(url: str) -> None:
    db = Database(url)
    try:
        row = db.read_now(lambda c: c.execute("SELECT 1 AS one, 'zwei' AS two").fetchone())
        assert (row[0], row["two"], row[:2], dict(row)) == (
            1,
            "zwei",
            (1, "zwei"),
            {"one": 1, "two": "zwei"},
        )
    finally:
        db.close()


def test_a_percent_sign_in_a_value_and_in_the_sql_is_kept(url: str) -> None:
    db = Database(url)
    try:
        row = db.read_now(lambda c: c.execute("SELECT ? || '%' AS text", ("100 ",)).fetchone())
        assert row["text"] == "100 %"
    finally:
        db.close()


# -- a restart ------------------------------------------------------------------------


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own: it is stopped and started again."""
    with running(durable=True) as server:
        yield server


async def test_a_restarted_postgresql_refuses_for_a_moment_then_the_board_goes_on(
    tmp_path: Path, own_server: PostgresServer
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key",
        tick_ms=5,
        database_url=own_server.url,
    )
    service = Service(settings)
    app = create_app(settings, service)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            code = await create_workshop(client)
            phone = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            await join(phone, code)
            card = {"text": "Vor dem Neustart", "colour": "yellow", "client_id": "before"}
            assert (await phone.post(f"/w/{code}/cards", data=card)).status_code == 200

            await asyncio.to_thread(own_server.halt)
            during = {"text": "Während", "colour": "yellow", "client_id": "during"}
            refused = await phone.post(f"/w/{code}/cards", data=during)
            assert refused.status_code == 503
            assert "Speichern fehlgeschlagen" in refused.text
            page = await client.get(f"/w/{code}/board")  # a read: a clear answer, not a 500
            assert page.status_code == 503
            assert "Datenbank ist gerade nicht erreichbar" in page.text

            await asyncio.to_thread(own_server.resume)
            # Once it is back, every read and the phone's draft sent again (as drafts.js
            # does) are answered at once: a connection the restart broke is replaced.
            for _ in range(6):  # more reads than reader threads
                assert (await client.get(f"/w/{code}/board")).status_code == 200
            again = await phone.post(f"/w/{code}/cards", data=during)
            assert again.status_code == 200, again.text
            workshop = await service.workshop(code)
            texts = [c.text for c in (await service.snapshot(workshop.id)).wall.cards]
            assert texts == ["Vor dem Neustart", "Während"]  # each once
            await phone.aclose()
    finally:
        service.close()


def test_a_store_that_cannot_be_reached_is_refused_as_could_not_save(url: str) -> None:
    db = Database(url)
    try:
        with pytest.raises(db.unavailable):
            db.write_now(lambda c: c.execute("SELECT pg_terminate_backend(pg_backend_pid())"))
    finally:
        db.close()


async def test_a_board_shows_what_it_missed_by_itself_once_postgresql_is_back(
    tmp_path: Path, own_server: PostgresServer
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="k", tick_ms=5, database_url=own_server.url
    )
    here, elsewhere = Service(settings), Service(settings)  # two processes, one database
    try:
        workshop = await here.create_workshop("Neustart")
        board = here.hub.subscribe(workshop.id, frozenset({"board/de"}))
        here.live.watch(workshop.id, workshop.seq)
        await elsewhere.add_card(workshop, None, None, "Kurz vor dem Neustart", "yellow")

        await asyncio.to_thread(own_server.halt)
        # Its notice reaches this process while the database is away: the render fails.
        here.live.heard(Notice(workshop.id, workshop.seq + 1, frozenset({"wall"})))
        await asyncio.sleep(1.0)  # let the render try and fail (the test's own pacing)
        assert not [f for f in drain(board) if "Kurz vor dem Neustart" in f.text]

        await asyncio.to_thread(own_server.resume)
        deadline = time.monotonic() + 2.0  # the bound after the database is back
        shown = False
        while not shown and time.monotonic() < deadline:
            shown = any("Kurz vor dem Neustart" in f.text for f in drain(board))
            await asyncio.sleep(0.05)
        assert shown
    finally:
        here.close()
        elsewhere.close()


def test_connections_a_restart_broke_while_idle_are_replaced_without_a_refusal(
    own_server: PostgresServer,
) -> None:
    db = Database(own_server.url)
    try:
        # Every reader thread and the writer hold a connection, idle when the server goes.
        together = threading.Barrier(READERS)

        def read_together(conn: Connection) -> int:
            together.wait(DEADLINE)
            return int(conn.execute("SELECT 1").fetchone()[0])

        with ThreadPoolExecutor(READERS) as pool:
            assert list(pool.map(lambda _: db.read_now(read_together), range(READERS))) == [1] * 3
        db.write_now(lambda conn: conn.execute("SELECT 1"))

        own_server.halt()
        own_server.resume()

        with ThreadPoolExecutor(READERS) as pool:  # each stale connection is met once
            assert list(pool.map(lambda _: db.read_now(read_together), range(READERS))) == [1] * 3
        assert db.write_now(lambda conn: conn.execute("SELECT 2").fetchone()[0]) == 2
    finally:
        db.close()
