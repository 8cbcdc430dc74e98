"""Which process holds what, read from /proc (Linux) as ``ps`` and ``ss`` would."""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")
ESTABLISHED = "01"  # /proc/net/tcp's state column


def spawned_children(parent: int) -> set[int]:
    """The processes ``parent`` started through multiprocessing's spawn: uvicorn's server
    processes (not multiprocessing's resource tracker beside them)."""
    found = set()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # gone in between
            continue
        # "pid (name) state ppid …": the name may hold spaces and parentheses.
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == parent and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def holder(server_port: int, client_port: int, candidates: set[int]) -> int | None:
    """Which of ``candidates`` holds the server's end of the TCP connection from
    ``client_port`` to ``server_port`` on loopback (None while none has accepted it)."""
    inode = _server_end(server_port, client_port)
    if inode is None:
        return None
    wanted = f"socket:[{inode}]"
    for pid in candidates:
        try:
            for fd in (PROC / str(pid) / "fd").iterdir():
                try:
                    if fd.readlink().name == wanted:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def _server_end(server_port: int, client_port: int) -> str | None:
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            # sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if (
                state == ESTABLISHED
                and int(local.rpartition(":")[2], 16) == server_port
                and int(remote.rpartition(":")[2], 16) == client_port
                and inode != "0"
            ):
                return inode
    return None
