"""The SQLite file: migrations, WAL, one writer thread, one reader thread."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from board.cards import Card
from board.store import database as storage_module
from board.store import repository
from board.store.database import MIGRATIONS, Database, connect, migrate, rows, utils
from board.workshops import Participant

TABLES = {"_sqlite_migrations", "workshops", "participants", "steps", "clusters", "cards"}
TABLES_OF_VERSION_2 = TABLES | {"votes", "action_items", "pair_people"}
NAMES = [migration.__name__ for migration in MIGRATIONS]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path / "board.sqlite3")
    yield db
    db.close()


def applied(db: Database) -> list[dict[str, object]]:
    """sqlite-utils' record of the board's migrations, in the order they ran."""
    sql = "SELECT name, applied_at FROM _sqlite_migrations WHERE migration_set = 'board'"
    return db.read_now(lambda conn: rows(conn, sql + " ORDER BY id"))


def tables(db: Database) -> set[str]:
    sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return db.read_now(lambda conn: {row["name"] for row in rows(conn, sql)})


def add_workshop(conn: sqlite3.Connection, workshop_id: str = "ws") -> None:
    conn.execute(
        "INSERT INTO workshops (id, code, title, trainer_secret, seq, created_at)"
        " VALUES (?, ?, 'Retro', 'secret', 0, 1.0)",
        (workshop_id, workshop_id.upper()),
    )


def count_workshops(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM workshops").fetchone()[0])


# -- migrations ------------------------------------------------------------------


def test_a_fresh_database_is_migrated_to_the_current_version(database: Database) -> None:
    assert database.schema_version == len(MIGRATIONS)
    assert [row["name"] for row in applied(database)] == NAMES
    assert TABLES_OF_VERSION_2 <= tables(database)
    assert "migrations" not in tables(database)  # the old record of our own is not made


def test_the_data_folder_is_created_on_first_start(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "board.sqlite3"
    db = Database(path)
    db.close()
    assert path.is_file()


def test_reopening_the_file_does_not_migrate_again(tmp_path: Path) -> None:
    first = Database(tmp_path / "board.sqlite3")
    before = applied(first)
    first.close()

    again = Database(tmp_path / "board.sqlite3")
    try:
        assert again.schema_version == len(MIGRATIONS)
        assert applied(again) == before  # same rows, same applied_at: nothing ran twice
    finally:
        again.close()


def test_a_new_migration_runs_once_on_an_existing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Database(tmp_path / "board.sqlite3").close()

    def m002_add_notes(db: sqlite_utils.Database) -> None:
        db.table("notes").create({"id": str, "text": str}, pk="id")

    monkeypatch.setattr(storage_module, "MIGRATIONS", (*MIGRATIONS, m002_add_notes))
    for _ in range(2):  # the second start finds version 2 done and must not create "notes" again
        db = Database(tmp_path / "board.sqlite3")
        try:
            assert db.schema_version == len(MIGRATIONS) + 1
            assert "notes" in tables(db)
            assert len(applied(db)) == len(MIGRATIONS) + 1
        finally:
            db.close()


def test_a_migration_that_fails_leaves_no_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: sqlite_utils.Database) -> None:
        db.table("half_done").create({"id": int}, pk="id")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(storage_module, "MIGRATIONS", (*MIGRATIONS, broken))
    conn = connect(tmp_path / "board.sqlite3")
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            migrate(conn)
        names = {row["name"] for row in rows(conn, "SELECT name FROM sqlite_master")}
        done = [row["name"] for row in rows(conn, "SELECT name FROM _sqlite_migrations")]
        assert not conn.in_transaction
    finally:
        conn.close()

    assert "half_done" not in names
    assert done == NAMES  # the good ones before it stay


# A data folder from before sqlite-utils kept the record: the schema of versions 1 and 2
# and a table of our own, ``migrations``, numbering what had run.
OLD_RECORD = """CREATE TABLE migrations (version INTEGER PRIMARY KEY, applied_at FLOAT)"""


def an_old_data_folder(path: Path, versions: int) -> None:
    """The file as the board left it before: ``versions`` migrations run and numbered."""
    conn = connect(path)
    try:
        db = sqlite_utils.Database(conn)
        for migration in MIGRATIONS[:versions]:  # a released migration never changes
            migration(db)
        conn.execute(OLD_RECORD)
        for version in range(1, versions + 1):
            conn.execute("INSERT INTO migrations VALUES (?, ?)", (version, 1700000000.0 + version))
        add_workshop(conn, "old")
        conn.commit()
    finally:
        conn.close()


def test_a_data_folder_from_before_opens_as_up_to_date_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    an_old_data_folder(tmp_path / "board.sqlite3", versions=2)
    db = Database(tmp_path / "board.sqlite3")  # re-running version 1 would fail: tables exist
    try:
        assert db.schema_version == len(MIGRATIONS)
        record = applied(db)
        assert [row["name"] for row in record[:2]] == NAMES[:2]
        # When they ran is carried over, not the moment of the upgrade.
        assert [row["applied_at"] for row in record[:2]] == [
            "2023-11-14 22:13:21+00:00",
            "2023-11-14 22:13:22+00:00",
        ]
        assert db.read_now(lambda c: rows(c, "SELECT id, title FROM workshops")) == [
            {"id": "old", "title": "Retro"}
        ]
        assert "migrations" not in tables(db)
    finally:
        db.close()
    again = Database(tmp_path / "board.sqlite3")
    try:
        assert applied(again) == record  # the second start finds nothing left to bridge
    finally:
        again.close()


def test_a_data_folder_from_before_that_had_only_version_1_gets_the_rest(
    tmp_path: Path,
) -> None:
    an_old_data_folder(tmp_path / "board.sqlite3", versions=1)
    db = Database(tmp_path / "board.sqlite3")
    try:
        assert [row["name"] for row in applied(db)] == NAMES
        assert TABLES_OF_VERSION_2 <= tables(db)
        assert db.read_now(count_workshops) == 1
    finally:
        db.close()


# -- the connection settings -------------------------------------------------------


def test_the_file_is_in_wal_mode_so_reads_run_while_a_write_is_under_way(
    database: Database,
) -> None:
    assert database.read_now(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"
    assert database.write_now(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"


def test_foreign_keys_are_enforced(database: Database) -> None:
    def orphan_step(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO steps (id, workshop_id, position, kind, state)"
            " VALUES ('s', 'no-such-workshop', 0, 'cards', 'open')"
        )

    with pytest.raises(sqlite3.IntegrityError):
        database.write_now(orphan_step)


def test_rows_are_plain_dicts(database: Database) -> None:
    database.write_now(add_workshop)
    [row] = database.read_now(lambda conn: rows(conn, "SELECT id, seq FROM workshops"))
    assert row == {"id": "ws", "seq": 0}


def test_the_sqlite_utils_view_is_made_once_per_connection(tmp_path: Path) -> None:
    conn = connect(tmp_path / "board.sqlite3")
    try:
        assert utils(conn) is utils(conn)
    finally:
        conn.close()


# -- writes and reads --------------------------------------------------------------


def test_a_write_is_committed_and_seen_by_the_reader(database: Database) -> None:
    database.write_now(add_workshop)
    assert database.read_now(count_workshops) == 1


def test_a_write_that_fails_leaves_nothing_behind(database: Database) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> None:
        add_workshop(conn, "ws1")
        raise ValueError("refused half-way")

    with pytest.raises(ValueError, match="refused half-way"):
        database.write_now(half_then_fail)

    assert database.read_now(count_workshops) == 0
    database.write_now(add_workshop)  # the writer is usable afterwards
    assert database.read_now(count_workshops) == 1


def test_a_write_returns_what_the_function_returns(database: Database) -> None:
    assert database.write_now(lambda conn: 42) == 42


def test_the_reader_does_not_write(database: Database) -> None:
    database.read_now(add_workshop)  # run on the reader: rolled back after the read
    assert database.read_now(count_workshops) == 0


async def test_async_writes_and_reads_run_on_their_own_threads(database: Database) -> None:
    await database.write(add_workshop)
    await database.write(lambda conn: add_workshop(conn, "ws2"))
    assert await database.read(count_workshops) == 2


async def test_an_async_write_that_fails_raises_in_the_caller(database: Database) -> None:
    def fail(conn: sqlite3.Connection) -> None:
        add_workshop(conn)
        raise LookupError("nope")

    with pytest.raises(LookupError):
        await database.write(fail)
    assert await database.read(count_workshops) == 0


async def test_a_fresh_database_is_healthy(database: Database) -> None:
    assert await database.healthy()


# -- durability ----------------------------------------------------------------

# Runs in a child process under strace: open the database, mark, write one workshop
# through the writer thread, and say "acknowledged" the moment write_now returns.
ACKNOWLEDGE_ONE_WRITE = """
import os, sys
from pathlib import Path
from board.store.database import Database
db = Database(Path(sys.argv[1]))
os.write(1, b"before-write\\n")
db.write_now(lambda conn: conn.execute(
    "INSERT INTO workshops (id, code, title, trainer_secret, seq, created_at)"
    " VALUES ('ws', 'WS', 'Retro', 'secret', 0, 1.0)"))
os.write(1, b"acknowledged\\n")
db.close()
"""


def synced_before_acknowledgement(tmp_path: Path) -> list[str]:
    """The sync calls on the WAL file between the start of a write and its acknowledgement,
    as strace sees the real system calls of a child process."""
    strace = shutil.which("strace")
    assert strace, "strace is needed (scripts/test installs it)"
    trace = tmp_path / "trace.txt"
    subprocess.run(
        [strace, "-f", "-y", "-e", "trace=fsync,fdatasync,write", "-o", str(trace)]
        + [sys.executable, "-c", ACKNOWLEDGE_ONE_WRITE, str(tmp_path / "board.sqlite3")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    lines = trace.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "before-write" in line)
    end = next(i for i, line in enumerate(lines) if "acknowledged" in line)
    return [line for line in lines[start:end] if "sync(" in line and "-wal>" in line]


def test_a_write_is_synced_to_disk_before_it_is_acknowledged(tmp_path: Path) -> None:
    """Acknowledged means on disk: an OS crash or power cut right after the answer
    keeps it. (With synchronous=NORMAL the WAL is synced only at checkpoints.)"""
    assert synced_before_acknowledgement(tmp_path), "no fsync of the WAL before the answer"


def test_every_connection_syncs_fully(database: Database, tmp_path: Path) -> None:
    assert database.read_now(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 2
    assert database.write_now(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 2


def test_a_data_folder_from_before_undo_gets_its_undo_log_on_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "board.sqlite3"
    with monkeypatch.context() as before_undo:
        before_undo.setattr(storage_module, "MIGRATIONS", MIGRATIONS[:3])
        Database(path).close()
    db = Database(path)
    try:
        assert "undo_log" in tables(db)
        assert [row["name"] for row in applied(db)] == NAMES
        assert "_m004_undo_log" in NAMES
    finally:
        db.close()


def test_a_data_folder_from_before_the_ordering_column_keeps_its_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "board.sqlite3"
    with monkeypatch.context() as before:
        before.setattr(storage_module, "MIGRATIONS", MIGRATIONS[: NAMES.index("_m009_ordering")])
        old = Database(path)
        add_workshop_with_people = [
            "INSERT INTO workshops (id, code, title, trainer_secret, seq, created_at)"
            " VALUES ('ws', 'WS', 'Retro', 'secret', 0, 1.0)",
            *(
                "INSERT INTO participants (id, workshop_id, nickname, created_at)"
                f" VALUES ('{name}', 'ws', '{name}', 1.0)"
                for name in ("zoe", "anna", "ben")  # stored in this order, at one moment
            ),
        ]
        old.write_now(lambda conn: [conn.execute(sql) for sql in add_workshop_with_people])
        old.close()
    db = Database(path)
    try:
        db.write_now(
            lambda conn: repository.insert_participant(conn, Participant("carl", "ws", "Carl", 1.0))
        )
        listed = db.read_now(lambda conn: repository.participants(conn, "ws"))
        assert [p.id for p in listed] == ["zoe", "anna", "ben", "carl"]
    finally:
        db.close()


def test_an_update_keeps_a_row_s_place_among_rows_of_the_same_moment(database: Database) -> None:
    database.write_now(add_workshop)
    database.write_now(
        lambda conn: conn.execute(
            "INSERT INTO steps (id, workshop_id, position, kind, state) VALUES"
            " ('s', 'ws', 0, 'cards', 'open')"
        )
    )
    first, second = (
        Card(card_id, "s", None, None, card_id, "yellow", None, None, 0, False, 1.0)
        for card_id in ("zweite-id", "erste-id")
    )
    database.write_now(lambda conn: repository.apply(conn, "ws", [first, second]))
    database.write_now(lambda conn: repository.apply(conn, "ws", [replace(first, text="neu")]))
    wall = database.read_now(lambda conn: repository.wall(conn, "s"))
    assert [card.id for card in wall.cards] == ["zweite-id", "erste-id"]


def _open_and_close(path: str, go: Any, versions: Any) -> None:
    go.wait()
    try:
        db = Database(Path(path))
    except Exception as error:  # reported to the test, not lost in a child's stderr
        versions.put(repr(error))
        return
    versions.put(db.schema_version)
    db.close()


def test_processes_opening_a_new_data_folder_at_once_all_start(tmp_path: Path) -> None:
    # Before the lock around the first start, two processes released at one moment
    # failed with "database is locked" (or both created the tables).
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    go, versions = context.Event(), context.Queue()
    path = str(tmp_path / "board.sqlite3")
    children = [
        context.Process(target=_open_and_close, args=(path, go, versions)) for _ in range(4)
    ]
    for child in children:
        child.start()
    go.set()
    found = [versions.get(timeout=60) for _ in children]
    for child in children:
        child.join(30)
    assert found == [len(MIGRATIONS)] * 4
