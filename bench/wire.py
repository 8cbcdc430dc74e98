"""A lean HTTP/1.1 client for bursts: keep-alive connections, form posts, the status only.

httpx spends about a millisecond of CPU per request. In a dot burst on a two-core
machine, four httpx senders used more CPU than the server and fell seconds behind
their plan, so the burst measured the load generator. This client writes the request
bytes itself and reads the status line, the headers and the body (``Content-Length``
or chunked) from keep-alive connections; a connection that fails or times out is
replaced.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Wire:
    """Up to ``connections`` requests in flight to one server; the rest wait for a connection."""

    def __init__(self, host: str, port: int, connections: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.origin = f"http://{host}:{port}"
        self.connections = connections
        self.pool: asyncio.Queue[Connection | None] = asyncio.Queue()

    async def open(self) -> None:
        """Open the connections now, so that the first requests do not pay for it."""
        opened = await asyncio.gather(
            *(asyncio.open_connection(self.host, self.port) for _ in range(self.connections))
        )
        for connection in opened:
            self.pool.put_nowait(connection)

    async def close(self) -> None:
        while not self.pool.empty():
            connection = self.pool.get_nowait()
            if connection is not None:
                connection[1].close()

    async def post(self, path: str, form: dict[str, str], cookie: str) -> int:
        """POST a form; the HTTP status, or 0 when no answer came in time."""
        body = urlencode(form).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nOrigin: {self.origin}\r\n"
            f"Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        connection = await self.pool.get()
        try:
            if connection is None:
                connection = await asyncio.open_connection(self.host, self.port)
            connection[1].write(head.encode() + body)
            status, keep = await asyncio.wait_for(answer(connection[0]), self.timeout)
        except (OSError, ValueError, EOFError, asyncio.IncompleteReadError, TimeoutError):
            status, keep = 0, False
        if not keep and connection is not None:
            connection[1].close()
        self.pool.put_nowait(connection if keep else None)
        return status


async def answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the connection stays open."""
    status_line = await reader.readline()
    if not status_line:
        raise EOFError("connection closed")
    status = int(status_line.split()[1])
    length, chunked, keep = 0, False, True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep = value != b"close"
    if chunked:
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(length)
    return status, keep
