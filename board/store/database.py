"""Storage: SQLite (one file in WAL mode, sqlite-utils migrations) by default, or
PostgreSQL (board.store.postgres); either way one owner of writes per process.

Writes go through a single thread fed by a queue (the habit Datasette calls
``execute_write_fn``), so each command is one savepoint in a write transaction
and nothing else in this process writes behind its back. Reads use separate
connections on their own threads; WAL (or PostgreSQL's snapshots) lets them run
while a write is in progress. Several processes share the store: SQLite's write
lock, or a command's lock on its workshop's row in PostgreSQL, orders their writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sqlite_utils

from board.errors import Refused

T = TypeVar("T")
log = logging.getLogger(__name__)
# The refusal of a read the store could not answer (gone, restarting): try again later.
UNREACHABLE = "could_not_load"

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


def _m009_ordering(db: sqlite_utils.Database) -> None:
    # An explicit ordering column where the order of rows stored at the same time came
    # from SQLite's rowid, which PostgreSQL has not (there it is an identity column):
    # the order rows were first stored in, filled from the rowid by a trigger, which
    # fires on a real insert only (an upsert that updates keeps the row's place).
    for table in ORDERED_TABLES:
        db.table(table).add_column("ord", int, not_null_default=0)
        db.execute(f'UPDATE "{table}" SET ord = rowid')
        db.execute(
            f'CREATE TRIGGER "{table}_ord" AFTER INSERT ON "{table}" BEGIN'
            f' UPDATE "{table}" SET ord = NEW.rowid WHERE rowid = NEW.rowid; END'
        )


def _m010_teams(db: sqlite_utils.Database) -> None:
    # Small-group work (board.teams): a workshop's teams ("Kleingruppen"), lasting across
    # steps until re-formed or dissolved, and who is in which (a participant in one at
    # most: the participant is the key).
    db.table("teams").create(
        {
            "id": str,
            "workshop_id": str,
            "name": str,
            "colour": str,
            "position": int,
            "cap": int,
            "console_participant_id": str,
        },
        pk="id",
        foreign_keys=[("workshop_id", "workshops", "id")],
        not_null={"workshop_id", "name", "colour", "position"},
        defaults={"name": ""},
    )
    db.table("teams").create_index(["workshop_id"])
    db.table("team_members").create(
        {"participant_id": str, "team_id": str},
        pk="participant_id",
        foreign_keys=[("team_id", "teams", "id")],
        not_null={"team_id"},
    )
    db.table("team_members").create_index(["team_id"])


def _m011_team_walls(db: sqlite_utils.Database) -> None:
    # A step run in small groups: each card and cluster is on one team's wall (NULL: the
    # plenary's, as every card was before).
    for table in ("cards", "clusters"):
        db.table(table).add_column("team_id", str)


def _m012_vote_teams(db: sqlite_utils.Database) -> None:
    # A scale, mood or dots step run in small groups: each vote counts for its voter's
    # team (NULL: the plenary's).
    db.table("votes").add_column("team_id", str)


# Tables whose rows are ordered by (created_at, ord) among equals.
ORDERED_TABLES = (
    "participants",
    "clusters",
    "cards",
    "votes",
    "action_items",
    "pair_people",
    "topics",
)


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
    _m009_ordering,
    _m010_teams,
    _m011_team_walls,
    _m012_vote_teams,
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
    conn.execute("PRAGMA busy_timeout=30000")  # first: the others may wait on a lock
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
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


class Connection(Protocol):
    """What the repository needs of a connection: ``sqlite3.Connection`` is one, and
    so is :class:`board.store.postgres.Connection`."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    @property
    def in_transaction(self) -> bool: ...


class _Engine(Protocol):
    """Where connections come from, and what a transaction begins with."""

    begin_write: str
    begin_read: str
    schema_version: int
    unavailable: tuple[type[Exception], ...]  # could not save: try again later
    conflict: tuple[type[Exception], ...]  # a schema rule refused it: trying again won't help

    def writer(self) -> contextlib.AbstractContextManager[Connection]: ...
    def reader(self) -> contextlib.AbstractContextManager[Connection]: ...
    def close(self) -> None: ...


class _SQLite:
    """One file: the writer keeps its connection, each reader thread has its own."""

    # IMMEDIATE: the write lock from the first statement, so what a command reads is
    # what it writes on (no other process can write in between).
    begin_write = "BEGIN IMMEDIATE"
    begin_read = "BEGIN"
    unavailable: tuple[type[Exception], ...] = (sqlite3.OperationalError,)
    conflict: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    def __init__(self, path: Path, synchronous: str) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Several processes starting at once on a new folder: one makes the file WAL and
        # migrates it, the others wait (without the lock, they failed with "database is
        # locked" or both created the tables).
        with _file_lock(path.with_name(path.name + ".lock")):
            self._writer = connect(path, synchronous)
            self.schema_version = migrate(self._writer)
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()

    @contextlib.contextmanager
    def writer(self) -> Iterator[Connection]:
        yield self._writer

    @contextlib.contextmanager
    def reader(self) -> Iterator[Connection]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
            self._readers.append(conn)
        yield conn

    def close(self) -> None:
        self._writer.close()
        for conn in self._readers:
            conn.close()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` among processes of this host (none on Windows, where
    the one-process default is what runs)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with path.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


class _Postgres:
    """A PostgreSQL database: a connection for the writer and one per reader thread,
    each made anew when a restart broke it (board.store.postgres.Connections)."""

    begin_write = "BEGIN"  # READ COMMITTED; a command locks its workshop's row first
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self, url: str) -> None:
        from board.store import postgres

        self.unavailable, self.conflict = postgres.errors()
        first = postgres.connect(url)
        try:
            self.schema_version = postgres.migrate(first)
        finally:
            first.close()
        self._connections = postgres.Connections(url)

    def writer(self) -> contextlib.AbstractContextManager[Connection]:
        return self._connections.borrow()

    def reader(self) -> contextlib.AbstractContextManager[Connection]:
        return self._connections.borrow()

    def close(self) -> None:
        self._connections.close()


class Database:
    """The store with its one writer thread and a few reader threads: a SQLite file
    (``target`` a path), or PostgreSQL (``target`` a ``postgresql://`` URL).

    Writes queue up for the writer. It takes whatever is waiting (up to
    ``BATCH``) into one transaction, each command in its own savepoint, and
    commits once: a burst of a thousand dots costs a few commits, not a
    thousand, and a refused command rolls back only itself. Every caller learns
    its result only after the commit.
    """

    def __init__(self, target: Path | str, synchronous: str = SYNCHRONOUS) -> None:
        self._engine: _Engine
        if isinstance(target, str):
            self._engine = _Postgres(target)
            self.path: Path | None = None
            self.dialect = "postgresql"
        else:
            sqlite = _SQLite(target, synchronous)
            self._engine, self.path, self.dialect = sqlite, target, "sqlite"
        self.schema_version: int = self._engine.schema_version
        self.unavailable = self._engine.unavailable
        self.conflict = self._engine.conflict
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="board-writer", daemon=True)
        self._writer.start()
        # A few readers: a page load need not wait behind a board's render.
        self._reader = ThreadPoolExecutor(READERS, thread_name_prefix="board-reader")

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a write transaction on the writer thread; return its result
        once committed."""
        return await asyncio.wrap_future(self._submit(fn))

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` on a reader connection (a consistent snapshot per call). A store that
        cannot be reached is the user's "try again in a moment" (503), not a crash."""
        with self._refused_when_unreachable():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._reader, self._snapshot, fn)

    def write_now(self, fn: Callable[[Connection], T]) -> T:
        """Blocking variant of :meth:`write`, for the CLI and tests."""
        return self._submit(fn).result()

    def read_now(self, fn: Callable[[Connection], T]) -> T:
        with self._refused_when_unreachable():
            return self._reader.submit(self._snapshot, fn).result()

    @contextlib.contextmanager
    def _refused_when_unreachable(self) -> Iterator[None]:
        try:
            yield
        except self.unavailable as error:
            log.error("could not read: %s", error)
            raise Refused(UNREACHABLE, 503) from error

    def _submit(self, fn: Callable[[Connection], T]) -> Future[T]:
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
        done: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            self._run_transaction(batch, done)
        except Exception as error:  # the transaction failed: disk full, read-only, gone…
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        for job, result, failure in done:
            if failure is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(failure)

    def _run_transaction(
        self, batch: list[_Job], done: list[tuple[_Job, Any, BaseException | None]]
    ) -> None:
        """The batch in one transaction. A connection that broke while idle (a restart of
        PostgreSQL) fails at BEGIN, before anything ran: then once more on a new one."""
        for attempt in range(2):
            try:
                with self._engine.writer() as conn:
                    try:
                        conn.execute(self._engine.begin_write)
                    except self.unavailable as error:
                        raise _Stale() from error  # out of the borrow: it drops the connection
                    try:
                        self._run_jobs(conn, batch, done)
                    except BaseException:
                        # A connection the failure broke has nothing to roll back.
                        with contextlib.suppress(*self._engine.unavailable):
                            if conn.in_transaction:
                                conn.execute("ROLLBACK")
                        raise
                return
            except _Stale as stale:
                # SQLite's BEGIN fails after its busy timeout or on a read-only file:
                # nothing a new connection changes.
                if attempt or self.dialect == "sqlite":
                    raise stale.__cause__ from None  # type: ignore[misc]

    def _run_jobs(
        self,
        conn: Connection,
        batch: list[_Job],
        done: list[tuple[_Job, Any, BaseException | None]],
    ) -> None:
        for job in batch:
            if not job.future.set_running_or_notify_cancel():
                continue
            conn.execute("SAVEPOINT command")
            try:
                result = job.fn(conn)
            except Exception as error:
                conn.execute("ROLLBACK TO SAVEPOINT command")
                conn.execute("RELEASE SAVEPOINT command")
                done.append((job, None, error))
            else:
                conn.execute("RELEASE SAVEPOINT command")
                done.append((job, result, None))
        conn.execute("COMMIT")

    def _snapshot(self, fn: Callable[[Connection], T]) -> T:
        """``fn`` in a read-only transaction; once more on a new connection when the
        first broke (a read changes nothing, so trying again is safe)."""
        try:
            return self._read_once(fn)
        except self.unavailable:
            return self._read_once(fn)

    def _read_once(self, fn: Callable[[Connection], T]) -> T:
        with self._engine.reader() as conn:
            conn.execute(self._engine.begin_read)
            try:
                return fn(conn)
            finally:
                with contextlib.suppress(*self._engine.unavailable):
                    conn.execute("ROLLBACK")

    async def healthy(self) -> bool:
        """Whether a reader can query the store (awaited: never blocks the event loop)."""
        failed: tuple[type[Exception], ...] = (sqlite3.Error, Refused)
        try:
            return bool(await self.read(lambda c: c.execute("SELECT 1").fetchone()[0] == 1))
        except failed:
            return False

    def close(self) -> None:
        self._queue.put(None)
        self._writer.join()
        self._reader.shutdown(wait=True)
        self._engine.close()


class _Stale(Exception):
    """A write connection that failed at BEGIN: nothing ran on it."""


@dataclass(frozen=True)
class _Job:
    fn: Callable[[Connection], Any]
    future: Future[Any]


def rows(conn: Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params)]
