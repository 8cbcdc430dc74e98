"""SQLite storage: one file in WAL mode, sqlite-utils migrations, one owner of writes.

Writes go through a single thread fed by a queue (the habit Datasette calls
``execute_write_fn``), so each command is one ``BEGIN IMMEDIATE`` transaction
and nothing else writes behind its back. Reads use a separate connection on
their own thread; WAL lets them run while a write is in progress.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

T = TypeVar("T")

Migration = Callable[[sqlite_utils.Database], None]
READERS = 3
BATCH = 200  # commands per transaction at most
# FULL: COMMIT returns only after the WAL is synced to the disk, so an acknowledgement
# survives an OS crash, a power cut or a file system turning read-only, not only
# kill -9 (NORMAL syncs only at checkpoints). Group commit (BATCH) keeps it to one
# sync per batch, so a burst of dots costs a few syncs, not one per dot.
SYNCHRONOUS = "FULL"


def _m001_card_wall(db: sqlite_utils.Database) -> None:
    db.table("workshops").create(
        {
            "id": str,
            "code": str,
            "title": str,
            "trainer_secret": str,
            "active_step_id": str,
            "seq": int,
            "created_at": float,
        },
        pk="id",
        not_null={"code", "title", "trainer_secret", "seq", "created_at"},
        defaults={"seq": 0},
    )
    db.table("workshops").create_index(["code"], unique=True)
    db.table("participants").create(
        {"id": str, "workshop_id": str, "nickname": str, "created_at": float},
        pk="id",
        foreign_keys=[("workshop_id", "workshops", "id")],
        not_null={"workshop_id", "created_at"},
    )
    db.table("participants").create_index(["workshop_id"])
    db.table("steps").create(
        {
            "id": str,
            "workshop_id": str,
            "position": int,
            "kind": str,
            "question": str,
            "state": str,
            "hidden": int,
            "revealed": int,
            "config": str,
        },
        pk="id",
        foreign_keys=[("workshop_id", "workshops", "id")],
        not_null={"workshop_id", "position", "kind", "state"},
    )
    db.table("steps").create_index(["workshop_id", "position"])
    db.table("clusters").create(
        {"id": str, "step_id": str, "heading": str, "position": int, "created_at": float},
        pk="id",
        foreign_keys=[("step_id", "steps", "id")],
        not_null={"step_id", "heading", "position"},
    )
    db.table("clusters").create_index(["step_id"])
    db.table("cards").create(
        {
            "id": str,
            "step_id": str,
            "participant_id": str,
            "client_id": str,
            "text": str,
            "colour": str,
            "cluster_id": str,
            "stacked_on": str,
            "position": int,
            "edited": int,
            "created_at": float,
        },
        pk="id",
        foreign_keys=[("step_id", "steps", "id")],
        not_null={"step_id", "text", "colour", "position", "edited", "created_at"},
    )
    db.table("cards").create_index(["step_id"])
    # The client id makes a resent card idempotent: one row per phone draft.
    db.table("cards").create_index(["participant_id", "client_id"], unique=True)


def _m002_exercises(db: sqlite_utils.Database) -> None:
    db.table("workshops").add_column("timer_ends_at", float)
    db.table("workshops").add_column("timer_seconds", int)
    db.table("votes").create(
        {
            "id": str,
            "step_id": str,
            "participant_id": str,
            "key": str,
            "value": int,
            "x": float,
            "y": float,
            "word": str,
            "created_at": float,
        },
        pk="id",
        foreign_keys=[("step_id", "steps", "id")],
        not_null={"step_id", "participant_id", "key", "created_at"},
    )
    # One vote per person, step and key (the scale, a grid situation, a dots option).
    db.table("votes").create_index(["step_id", "participant_id", "key"], unique=True)
    db.table("action_items").create(
        {
            "id": str,
            "step_id": str,
            "participant_id": str,
            "what": str,
            "who": str,
            "due": str,
            "position": int,
            "created_at": float,
        },
        pk="id",
        foreign_keys=[("step_id", "steps", "id")],
        not_null={"step_id", "what", "position", "created_at"},
    )
    db.table("action_items").create_index(["step_id"])
    db.table("pair_people").create(
        {
            "step_id": str,
            "participant_id": str,
            "nickname": str,
            "joined_at": float,
            "left_at": float,
        },
        pk=("step_id", "participant_id"),
        foreign_keys=[("step_id", "steps", "id")],
        not_null={"step_id", "participant_id", "nickname", "joined_at"},
    )


def _m003_change_log(db: sqlite_utils.Database) -> None:
    # One row per write, in its transaction: a process that missed a notice reads
    # what changed since the last sequence number it saw (repository.changes_since).
    db.table("change_log").create(
        {"workshop_id": str, "seq": int, "regions": str, "people": str, "created_at": float},
        pk=("workshop_id", "seq"),
        foreign_keys=[("workshop_id", "workshops", "id")],
        not_null={"regions", "people", "created_at"},
    )


def _m004_undo_log(db: sqlite_utils.Database) -> None:
    # The trainer's undo history, per step: each undoable action's rows as they were
    # before and after it (board.undo), written in the action's own transaction.
    db.table("undo_log").create(
        {
            "id": int,
            "workshop_id": str,
            "step_id": str,
            "action": str,
            "rows": str,
            "created_at": float,
        },
        pk="id",
        foreign_keys=[("workshop_id", "workshops", "id"), ("step_id", "steps", "id")],
        not_null={"workshop_id", "step_id", "action", "rows", "created_at"},
    )
    db.table("undo_log").create_index(["step_id", "id"])


def _m005_gong(db: sqlite_utils.Database) -> None:
    # On for every workshop, also those made before: a gong is what a room expects.
    db.table("workshops").add_column("gong", int, not_null_default=1)


def _m006_join_display(db: sqlite_utils.Database) -> None:
    # How the board shows the way in (board.workshops.JOIN_DISPLAYS); NULL: not chosen.
    db.table("workshops").add_column("join_display", str)


def _m007_groups(db: sqlite_utils.Database) -> None:
    # Participant groups (board.groups) as JSON, the anonymity minimum, and each
    # participant's group (NULL: not asked yet).
    db.table("workshops").add_column("groups", str, not_null_default="[]")
    db.table("workshops").add_column("group_minimum", int, not_null_default=3)
    db.table("participants").add_column("group_id", str)


def _m008_topics(db: sqlite_utils.Database) -> None:
    # The Themenspeicher across the workshop (board.topics), its two settings, and the
    # Maßnahmenplan's columns Mit wem / Status and the topic a row came from.
    db.table("topics").create(
        {
            "id": str,
            "workshop_id": str,
            "title": str,
            "position": int,
            "created_at": float,
            "proposed": int,
            "participant_id": str,
            "origin_step_id": str,
            "origin": str,
            "origin_id": str,
            "origin_text": str,
            "dots": int,
            "rank": int,
            "ranked_step_id": str,
        },
        pk="id",
        foreign_keys=[("workshop_id", "workshops", "id")],
        not_null={"workshop_id", "title", "position", "created_at", "proposed", "origin_text"},
        defaults={"proposed": 0, "origin_text": ""},
    )
    db.table("topics").create_index(["workshop_id"])
    db.table("workshops").add_column("topic_proposals", int, not_null_default=0)
    db.table("workshops").add_column("topics_shown", int, not_null_default=0)
    db.table("action_items").add_column("with_whom", str, not_null_default="")
    db.table("action_items").add_column("status", str, not_null_default="open")
    db.table("action_items").add_column("topic_id", str)


# In order; each runs once per file, recorded by its function name in sqlite-utils'
# own table (_sqlite_migrations), so a migration is never renamed once released.
MIGRATIONS: tuple[Migration, ...] = (
    _m001_card_wall,
    _m002_exercises,
    _m003_change_log,
    _m004_undo_log,
    _m005_gong,
    _m006_join_display,
    _m007_groups,
    _m008_topics,
)
MIGRATION_SET = "board"
# Before sqlite-utils kept the record, a table of our own numbered what had run:
# version 1 was MIGRATIONS[0], version 2 MIGRATIONS[1].
LEGACY_TABLE = "migrations"


def connect(path: Path, synchronous: str = SYNCHRONOUS) -> sqlite3.Connection:
    if synchronous not in ("FULL", "NORMAL"):  # bench/durability.py compares the two
        raise ValueError(f"synchronous={synchronous!r}")
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


@functools.lru_cache(maxsize=16)
def utils(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """The sqlite-utils view of a connection, made once per connection."""
    return sqlite_utils.Database(conn)


def migration_set() -> sqlite_utils.Migrations:
    """MIGRATIONS as a sqlite-utils migration set (built on each call: tests swap the tuple)."""
    migrations = sqlite_utils.Migrations(MIGRATION_SET)
    for migration in MIGRATIONS:
        migrations()(migration)
    return migrations


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this file has not seen yet; return how many it has had.

    sqlite-utils runs each pending one in its own transaction with the record of it."""
    db = utils(conn)
    migrations = migration_set()
    with db.atomic():
        _bridge_legacy_record(db, migrations)
    migrations.apply(db)
    return len(migrations.applied(db))


def _bridge_legacy_record(db: sqlite_utils.Database, migrations: sqlite_utils.Migrations) -> None:
    """Carry a data folder's old ``migrations`` table over to sqlite-utils' record, so
    what ran then does not run again, and drop it (once: afterwards there is none)."""
    legacy = db.table(LEGACY_TABLE)
    if not legacy.exists():
        return
    migrations.ensure_migrations_table(db)
    recorded = {applied.name for applied in migrations.applied(db)}
    for row in legacy.rows_where(order_by="version"):
        name = MIGRATIONS[row["version"] - 1].__name__
        if name not in recorded:
            when = datetime.fromtimestamp(row["applied_at"], UTC)
            db.table(migrations.migrations_table).insert(
                {"migration_set": MIGRATION_SET, "name": name, "applied_at": str(when)}
            )
    legacy.drop()


class Database:
    """The SQLite file with its one writer thread and a few reader threads.

    Writes queue up for the writer. It takes whatever is waiting (up to
    ``BATCH``) into one ``BEGIN IMMEDIATE`` transaction, each command in its
    own savepoint, and commits once: a burst of a thousand dots costs a few
    commits, not a thousand, and a refused command rolls back only itself.
    Every caller learns its result only after the commit.
    """

    def __init__(self, path: Path, synchronous: str = SYNCHRONOUS) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer_conn = connect(path, synchronous)
        self.schema_version = migrate(self._writer_conn)
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="board-writer", daemon=True)
        self._writer.start()
        # A few readers: a page load need not wait behind a board's render.
        self._reader = ThreadPoolExecutor(READERS, thread_name_prefix="board-reader")

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in a ``BEGIN IMMEDIATE`` transaction on the writer thread; return
        its result once committed."""
        return await asyncio.wrap_future(self._submit(fn))

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on a reader connection (a consistent snapshot per call)."""
        return await asyncio.get_running_loop().run_in_executor(self._reader, self._snapshot, fn)

    def write_now(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Blocking variant of :meth:`write`, for the CLI and tests."""
        return self._submit(fn).result()

    def read_now(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return self._reader.submit(self._snapshot, fn).result()

    def _submit(self, fn: Callable[[sqlite3.Connection], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put(_Job(fn, future))
        return future

    def _write_loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        conn = self._writer_conn
        done: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                if not job.future.set_running_or_notify_cancel():
                    continue
                conn.execute("SAVEPOINT command")
                try:
                    result = job.fn(conn)
                except Exception as error:
                    conn.execute("ROLLBACK TO command")
                    conn.execute("RELEASE command")
                    done.append((job, None, error))
                else:
                    conn.execute("RELEASE command")
                    done.append((job, result, None))
            conn.execute("COMMIT")
        except Exception as error:  # the transaction itself failed: disk full, read-only…
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        for job, result, failure in done:
            if failure is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(failure)

    def _reader_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
            self._readers.append(conn)
        return conn

    def _snapshot(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._reader_conn()
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("ROLLBACK")

    async def healthy(self) -> bool:
        """Whether a reader can query the file (awaited: never blocks the event loop)."""
        try:
            return bool(await self.read(lambda c: c.execute("SELECT 1").fetchone()[0] == 1))
        except sqlite3.Error:
            return False

    def close(self) -> None:
        self._queue.put(None)
        self._writer.join()
        self._reader.shutdown(wait=True)
        self._writer_conn.close()
        for conn in self._readers:
            conn.close()


@dataclass(frozen=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    future: Future[Any]


def rows(conn: sqlite3.Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params)]
