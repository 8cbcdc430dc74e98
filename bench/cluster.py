"""The servers of one ``bench/load.py`` configuration: N processes, a hub, a database.

A configuration is what the issue compares: how many ``python -m board serve``
processes (each on its own port, all on one data folder), which hub carries their change
notices (``memory://`` or a ``redis-server`` the bench starts on a free port in a
temporary folder of its own and stops again) and, given a URL, which database
(``BOARD_DATABASE_URL``, passed through to every server).

Phone k joins, opens its socket, posts its cards and places its dots through process
``k % N``; board j watches through process ``j % N``; the trainer is on process 0.

CPU is summed over everything that serves the room: the server processes, the
``redis-server`` and, if the caller names its postmaster's pid, PostgreSQL (the postmaster
and its children, the backends; a backend that exits is counted through the postmaster's
``cutime``/``cstime`` once it is reaped, so the sum does not lose it).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from burst import stored_dots
from fanout import (
    HOST,
    Server,
    cpu_seconds,
    end_process,
    free_port,
    rss_kib,
    start_server,
    stop_server,
)
from fanout import wait_healthy as wait_server

STARTUP_DEADLINE = 15.0
STEP_ID = re.compile(r"[\w-]+")  # safe to write into the query as a literal
HUBS = ("memory", "redis")


@dataclass(frozen=True)
class Config:
    processes: int = 1
    hub: str = "memory"  # one of HUBS
    database_url: str = ""  # BOARD_DATABASE_URL; empty: SQLite in the shared data folder
    database_pid: int = 0  # PostgreSQL's postmaster, for its CPU (0: not counted)

    @property
    def name(self) -> str:
        """``2 proc + redis + postgresql``"""
        plural = "" if self.processes == 1 else "es"
        database = urlsplit(self.database_url).scheme or "sqlite"
        return f"{self.processes} process{plural} + {self.hub} + {database}"


def the_four(processes: int, database_url: str, database_pid: int) -> list[Config]:
    """The configurations of the issue, side by side: one process on the memory hub (today),
    one on Redis (the bus alone), ``processes`` on Redis and SQLite, and on the database
    given (only if one is)."""
    found = [Config(1, "memory"), Config(1, "redis"), Config(processes, "redis")]
    if database_url:
        found.append(Config(processes, "redis", database_url, database_pid))
    return found


# -- redis-server -------------------------------------------------------------------------
class RedisServer:
    """A ``redis-server`` of our own: a free port, a temporary folder, nothing saved."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found (Debian: apt-get install redis-server)")
        self.port = free_port()
        command = [binary, "--port", str(self.port), "--bind", HOST, "--dir", str(folder)]
        command += ["--save", "", "--appendonly", "no"]
        with (folder / "redis.log").open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out)
        self.wait_ready()

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while True:
            with contextlib.suppress(OSError):
                with socket.create_connection((HOST, self.port), 0.2) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start ({self.process.returncode})")
            time.sleep(0.02)

    def stop(self) -> None:
        end_process(self.process)


# -- PostgreSQL's CPU ---------------------------------------------------------------------
def stat_fields(pid: int) -> list[str]:
    """``/proc/PID/stat`` after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def family_cpu(parent: int) -> float:
    """CPU seconds of ``parent`` (with its reaped children) and of its living children."""
    tick = os.sysconf("SC_CLK_TCK")
    own = stat_fields(parent)
    total = sum(int(own[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):  # gone meanwhile: its time is in cutime now
            fields = stat_fields(int(entry.name))
            if int(fields[1]) == parent:  # ppid
                total += int(fields[11]) + int(fields[12])
    return total / tick


# -- the cluster ----------------------------------------------------------------------------
@dataclass
class Cluster:
    config: Config
    servers: list[Server]
    redis: RedisServer | None

    @property
    def base(self) -> str:
        """Process 0, the trainer's."""
        return self.servers[0].base

    @property
    def bases(self) -> list[str]:
        return [server.base for server in self.servers]

    @property
    def ports(self) -> list[int]:
        return [server.port for server in self.servers]

    def cpu_parts(self) -> dict[str, float]:
        """CPU seconds so far: the servers, redis-server, PostgreSQL (those that run)."""
        parts = {"servers": sum(cpu_seconds(server.pid) for server in self.servers)}
        if self.redis is not None:
            parts["redis"] = cpu_seconds(self.redis.pid)
        if self.config.database_pid:
            parts["postgresql"] = family_cpu(self.config.database_pid)
        return parts

    def cpu(self) -> float:
        return sum(self.cpu_parts().values())

    def rss(self) -> int:
        """KiB, summed over the server processes."""
        return sum(rss_kib(server.pid) for server in self.servers)

    def redis_rss(self) -> int:
        return rss_kib(self.redis.pid) if self.redis is not None else 0

    def stored_dots(self, step_id: str) -> int:
        """The dots the database holds (on the step ``step_id``: a PostgreSQL database is
        shared by every scenario and configuration of the run)."""
        if not self.config.database_url:
            return stored_dots(self.servers[0].data / "board.sqlite3")
        if not STEP_ID.fullmatch(step_id):
            raise RuntimeError(f"unexpected step id {step_id!r}")
        psql = shutil.which("psql") or "psql"
        query = f"SELECT coalesce(sum(value), 0) FROM votes WHERE step_id = '{step_id}'"
        answer = subprocess.run(
            [psql, self.config.database_url, "-XAtc", query],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return int(answer.stdout.strip())

    def log_tails(self) -> str:
        return "\n".join(f"server {i} log:\n{s.log_tail()}" for i, s in enumerate(self.servers))


def server_env(config: Config, redis: RedisServer | None) -> dict[str, str]:
    env = {"BOARD_HUB_URL": redis.url if redis is not None else "memory://"}
    if config.database_url:
        env["BOARD_DATABASE_URL"] = config.database_url
    return env


@contextlib.contextmanager
def serving(config: Config, log: Any) -> Iterator[Cluster]:
    """The configuration's servers (and redis-server), healthy; all stopped at the end.
    ``log(text)`` reports progress."""
    with tempfile.TemporaryDirectory(prefix="board-load-") as name:
        folder = Path(name)
        redis = RedisServer(folder) if config.hub == "redis" else None
        servers: list[Server] = []
        cluster = Cluster(config, servers, redis)
        try:
            env = server_env(config, redis)
            for index in range(config.processes):
                # One after the other: the first creates the database, the rest find it.
                servers.append(start_server(folder, f"server{index}", env))
                wait_server(servers[-1])
            pids = ", ".join(f"{s.pid} on port {s.port}" for s in servers)
            log(f"{config.name}: server pid {pids}" + (f"; redis {redis.url}" if redis else ""))
            yield cluster
        except Exception:
            print(cluster.log_tails(), file=sys.stderr)
            raise
        finally:
            for server in servers:
                stop_server(server)
            if redis is not None:
                redis.stop()


def per_process(cluster: Cluster, reports: list[dict[str, Any]], start: float, end: float) -> str:
    """Sockets and the frames they received between ``start`` and ``end``, per process,
    counted by the screens (the server exposes no count of its own)."""
    cells = []
    for index, server in enumerate(cluster.servers):
        mine = [r for r in reports if f":{server.port}/" in r["url"]]
        sockets = sum(r["sockets"] for r in mine)
        frames = sum(1 for r in mine for t in r["times"] if start <= t <= end)
        cells.append(f"#{index} {sockets} sockets, {frames} frames")
    return "; ".join(cells)


@dataclass
class Meter:
    """CPU spent by the cluster from its start to :meth:`stop`, by part."""

    cluster: Cluster
    before: dict[str, float]
    spent: dict[str, float]

    @classmethod
    def start(cls, cluster: Cluster) -> Meter:
        return cls(cluster, cluster.cpu_parts(), {})

    def stop(self) -> float:
        """The CPU seconds spent, summed over the parts."""
        after = self.cluster.cpu_parts()
        self.spent = {part: after[part] - self.before[part] for part in after}
        return sum(self.spent.values())

    def describe(self) -> str:
        """``servers 4.1 + redis 0.3``"""
        return " + ".join(f"{part} {seconds:.2f}" for part, seconds in self.spent.items())
