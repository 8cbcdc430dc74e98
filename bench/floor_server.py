"""The floor: a bare ``websockets`` server that broadcasts what it is told to, nothing else.

    python bench/floor_server.py --port 8765

``bench/load.py`` compares the board's fan-out with this server: the same number of
sockets, frames of the same sizes, but nothing rendered, stored or queued per socket.
Receivers connect to ``/?role=board`` or ``/?role=phone`` (or a numbered group of
either, or of group consoles: ``/?role=phone-3``, ``/?role=team-3``) and only read. A control
socket (``/?role=control``) sends one JSON command per event::

    {"tag": 7, "frames": [["phone", 812, false], ["phone", 1430, true]]}

The server stamps the time, broadcasts each frame to every receiver of its role and
answers ``{"tag": 7, "sent": T}``. A frame is the header ``floor TAG MARK `` padded
with ``x`` to the size; receivers take the marked frames' latency as arrival − T.
Compression is off, as on the board's server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import time
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve

HOST = "127.0.0.1"
ROLE = re.compile(r"(board|phone|team)(-\d+)?")  # bench/teams.py: by team
Command = tuple[str, int, bool]  # role, size in bytes, marked


def raise_fd_limit() -> None:
    """Thousands of sockets: lift the soft limit to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = 65536 if hard == resource.RLIM_INFINITY else hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def frame(tag: int, marked: bool, size: int) -> str:
    """``floor TAG MARK `` and padding: ``size`` bytes (ASCII) in all."""
    header = f"floor {tag} {int(marked)} "
    return header + "x" * max(0, size - len(header))


class Floor:
    """The receivers by role; commands from the control socket."""

    def __init__(self) -> None:
        self.receivers: dict[str, set[ServerConnection]] = {}

    async def handle(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        role = query.get("role", [""])[0]
        if role == "control":
            await self.control(ws)
        elif ROLE.fullmatch(role):
            await self.hold(ws, self.receivers.setdefault(role, set()))
        else:
            await ws.close(1008, "unknown role")

    async def hold(self, ws: ServerConnection, receivers: set[ServerConnection]) -> None:
        receivers.add(ws)
        try:
            await ws.wait_closed()
        finally:
            receivers.discard(ws)

    async def control(self, ws: ServerConnection) -> None:
        async for message in ws:
            command = json.loads(message)
            sent = self.send(command["tag"], command["frames"])
            await ws.send(json.dumps({"tag": command["tag"], "sent": sent}))

    def send(self, tag: int, frames: list[Command]) -> float:
        sent = time.time()
        for role, size, marked in frames:
            broadcast(self.receivers.get(role, set()), frame(tag, marked, size))
        return sent


async def main(port: int) -> None:
    floor = Floor()
    async with serve(floor.handle, HOST, port, compression=None, max_size=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    raise_fd_limit()
    asyncio.run(main(parser.parse_args().port))
