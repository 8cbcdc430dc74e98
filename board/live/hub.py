"""Live fan-out of rendered frames to the sockets of a workshop.

A frame is published once per *audience* (for example the board in German)
and the same frame, encoded once (``Frame.wire``), goes to every subscribed socket
of that audience: written straight to the socket when it takes it now
(``Subscription.write_now``, board/web/sockets.py), else queued. Each
subscription has a bounded queue: a socket that stops reading fills its queue,
is marked overflowed and gets dropped by its connection handler, so one frozen
phone can neither slow the room nor grow the server's memory. It reconnects
and catches up with a full render.

:class:`Hub` is the interface; :class:`MemoryHub` is the in-process backend.
Frames stay in the process that rendered them: what crosses between processes
is the change notice (board/live/notices.py), and each process renders for its own
sockets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode

QUEUE_SIZE = 64


@dataclass(frozen=True)
class Frame:
    seq: int
    text: str
    # The last frame a socket gets: it is closed after sending it, for good (its
    # trainer link was revoked, or the workshop deleted).
    final: bool = False
    # The WebSocket text frame as it goes on the wire (a server's frames are not masked,
    # and the board negotiates no compression): encoded once, however many sockets
    # it is written to (board/web/sockets.py writes it straight to their transports).
    wire: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        payload = self.text.encode()
        object.__setattr__(self, "wire", WireFrame(Opcode.TEXT, payload).serialize(mask=False))


@dataclass(eq=False, slots=True)
class Subscription:
    channel: str
    audiences: frozenset[str]
    # Frames waiting to be sent, oldest first: a plain list (an idle socket's
    # subscription should cost little; an asyncio.Queue is four deques and an Event).
    frames: list[Frame] = field(default_factory=list)
    overflowed: bool = False
    # Called on each frame offered when nothing waits before it: writes it at once if
    # the socket can take it now (True), else it waits in ``frames``.
    write_now: Callable[[Frame], bool] | None = None
    # Called on each frame offered: the connection sends what waits.
    on_frame: Callable[[], None] | None = None
    # Called once when the queue overflows: the connection drops the socket.
    on_overflow: Callable[[], None] | None = None

    def offer(self, frame: Frame) -> None:
        if self.overflowed:
            return
        if len(self.frames) >= QUEUE_SIZE:
            # Its frames are useless now (it will get a full render on reconnect):
            # drop them so the memory is freed at once, and have the socket dropped,
            # even if its sender is stuck writing to a client that stopped reading.
            self.overflowed = True
            self.frames.clear()
            if self.on_overflow is not None:
                self.on_overflow()
            return
        if not self.frames and self.write_now is not None and self.write_now(frame):
            return
        self.frames.append(frame)
        if self.on_frame is not None:
            self.on_frame()

    def next_frame(self) -> Frame | None:
        return self.frames.pop(0) if self.frames else None


class Hub(Protocol):
    def subscribe(self, channel: str, audiences: frozenset[str]) -> Subscription: ...

    def unsubscribe(self, subscription: Subscription) -> None: ...

    def audiences(self, channel: str) -> set[str]:
        """Audiences with at least one socket on ``channel`` (so only those are rendered)."""
        ...

    async def publish(self, channel: str, audience: str, frame: Frame) -> None: ...


class LocalFanout:
    """The sockets of this process, by channel and audience: a frame goes straight to
    its audience's sockets, without looking at the thousand others of the channel."""

    def __init__(self) -> None:
        self._channels: dict[str, dict[str, set[Subscription]]] = {}

    def subscribe(self, channel: str, audiences: frozenset[str]) -> Subscription:
        subscription = Subscription(channel, audiences)
        by_audience = self._channels.setdefault(channel, {})
        for name in audiences:
            by_audience.setdefault(name, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        by_audience = self._channels.get(subscription.channel)
        if by_audience is None:
            return
        for name in subscription.audiences:
            subs = by_audience.get(name)
            if subs is not None:
                subs.discard(subscription)
                if not subs:
                    del by_audience[name]
        if not by_audience:
            del self._channels[subscription.channel]

    def audiences(self, channel: str) -> set[str]:
        return set(self._channels.get(channel, ()))

    def count(self, channel: str, audience_prefix: str) -> int:
        found: set[Subscription] = set()
        for name, subs in self._channels.get(channel, {}).items():
            if name.startswith(audience_prefix):
                found |= subs
        return len(found)

    def deliver(self, channel: str, audience: str, frame: Frame) -> None:
        # A copy: an overflowing subscription may be unsubscribed while we go.
        for subscription in tuple(self._channels.get(channel, {}).get(audience, ())):
            subscription.offer(frame)


class MemoryHub(LocalFanout):
    """The in-process hub: publishing is delivering."""

    async def publish(self, channel: str, audience: str, frame: Frame) -> None:
        self.deliver(channel, audience, frame)


def create_hub(url: str = "memory://") -> Hub:
    """The hub backend for ``url``; only ``memory://`` exists so far."""
    if url in ("", "memory://"):
        return MemoryHub()
    raise ValueError(f"unknown hub backend {url!r}: use memory://")
