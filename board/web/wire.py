"""A live socket's transport, to write a frame's encoded bytes straight to it.

Sending a frame through Starlette's ``WebSocket.send_text`` costs, per socket, a task
to await it, two framework layers, and uvicorn encoding the same string again into a
WebSocket frame. A frame goes to a thousand sockets unchanged, so it is encoded once
(``Frame.wire``) and written to each socket's transport directly, the way
``websockets.broadcast`` does it. That needs the server's connection object; uvicorn's
sans-I/O websockets protocol is the ASGI ``send`` callable's owner. With any other
server (an in-process test client, wsproto) :func:`wire_of` finds none and the frames
go through ``send_text`` as before.

A direct write is only made while the socket is open, its server-side connection
negotiated no extension (no per-message compression: ``board.cli`` turns it off), and
its transport takes more (not paused by flow control): otherwise the frame waits in
the subscription's bounded queue and goes through ``send_text``, which waits for the
transport; a socket that does not drain fills that queue and is dropped as before.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Send
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

SCOPE_KEY = "board.wire"  # where the guard leaves it in a socket's scope


class Wire:
    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def open(self) -> bool:
        """Whether a frame written now goes out as the next message of an open socket."""
        protocol = self._protocol
        return (
            protocol.handshake_complete
            and not protocol.close_sent
            and not protocol.disconnected
            and protocol.writable.is_set()
            and protocol.conn.state is State.OPEN
            and not protocol.conn.extensions
            and not protocol.transport.is_closing()
        )

    def write(self, data: bytes) -> None:
        self._protocol.transport.write(data)

    def forget_handshake(self) -> None:
        """Let go of the handshake's request and response (their headers, about 4 KiB a
        socket), which uvicorn keeps for the life of the connection but reads only while
        accepting it."""
        protocol: Any = self._protocol
        if protocol.handshake_complete:
            protocol.request = None
            protocol.response = None

    def abort(self) -> None:
        """Close the connection at once, dropping what its transport still holds."""
        self._protocol.transport.abort()


# What Wire reads of uvicorn's connection: a uvicorn that renamed any of it gets no Wire.
_NEEDED = (
    "handshake_complete",
    "close_sent",
    "disconnected",
    "writable",
    "conn",
    "transport",
    "request",
    "response",
)


def wire_of(send: Send) -> Wire | None:
    owner: Any = getattr(send, "__self__", None)
    if not isinstance(owner, WebSocketsSansIOProtocol):
        return None
    return Wire(owner) if all(hasattr(owner, name) for name in _NEEDED) else None
