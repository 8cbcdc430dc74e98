"""A PostgreSQL server of the tests' own: a fresh cluster in a temporary folder on a free
port, from Debian's ``postgresql`` package (scripts/test installs it). As root (CI), the
server runs as the ``postgres`` user, since PostgreSQL refuses to run as root.

Each test gets a schema of its own in that one server (``search_path`` in the URL), so
tests see no one else's workshops and no server starts per test.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# Debian installs the server's programs here, not on PATH (pg_ctlcluster wraps them).
DEBIAN_BIN = Path("/usr/lib/postgresql")
START_DEADLINE = 30.0


def programs() -> Path | None:
    """The folder with initdb and pg_ctl (the newest version Debian installed), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(DEBIAN_BIN.glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self, bin_dir: Path, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable
        self.folder = Path(tempfile.mkdtemp(prefix="board-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._schemas = itertools.count(1)
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "board", "-A", "trust", "-E", "UTF8")
        self.resume()

    def resume(self) -> None:
        """Start the server (again, after :meth:`halt`) on the same port."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=400"
        )
        if not self.durable:  # most tests are not about surviving a crash: faster
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        # Its log to a file: a server writing to our pipe would keep it open for good.
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError("PostgreSQL did not start")

    @property
    def url(self) -> str:
        return f"postgresql://board@127.0.0.1:{self.port}/postgres"

    def new_schema(self) -> str:
        """A URL whose tables live in a new, empty schema."""
        import psycopg

        name = f"t{next(self._schemas)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self.url}?options=-csearch_path%3D{name}"

    def halt(self) -> None:
        """Stop the server at once, as a crash would (its connections break)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.halt()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def running(durable: bool = False) -> Iterator[PostgresServer]:
    """A server for the ``with`` block; ``durable``: every commit survives :meth:`halt`."""
    bin_dir = programs()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL not found: run scripts/test, which installs it")
    server = PostgresServer(bin_dir, durable)
    server.start()
    try:
        yield server
    finally:
        server.stop()
