"""Change notices: what a committed write changed, told to every process.

After a write commits, the service publishes a small :class:`Notice` (the
workshop, its new sequence number, the screen regions that changed and whose
own phone view) on the notice bus. Every process listening — the one that made
the change too, by the same path — renders what changed once per audience for
its own sockets (board/live/render.py). Notices carry no HTML: a frame never leaves
the process that renders it, so every process renders for its own phones.

A notice that gets lost (a network bus) shows as a gap in a workshop's
sequence numbers; the listener then reads the change log from the database
(repository.changes_since) to catch up.

:class:`NoticeBus` is the interface; :class:`MemoryNoticeBus` delivers within
the process, board/live/redis_bus.py between processes through Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from board.settings import is_redis

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Notice:
    """A change of one workshop, small enough to cross a network many times a second."""

    workshop_id: str
    # The workshop's sequence number after the write; None for what is not stored
    # with one (presence, the workshop's end): those are never caught up on.
    seq: int | None
    regions: frozenset[str]
    people: frozenset[str] = frozenset()

    def to_json(self) -> str:
        return json.dumps(
            {
                "workshop_id": self.workshop_id,
                "seq": self.seq,
                "regions": sorted(self.regions),
                "people": sorted(self.people),
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Notice:
        data = json.loads(raw)
        return cls(
            str(data["workshop_id"]),
            None if data["seq"] is None else int(data["seq"]),
            frozenset(data["regions"]),
            frozenset(data["people"]),
        )


Listener = Callable[[Notice], None]


class NoticeBus(Protocol):
    def publish(self, notice: Notice) -> None:
        """Hand ``notice`` to every listener of every process (without waiting for them:
        a network backend queues it for its sender)."""
        ...

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every notice from now on, on the event loop running now;
        returns the function that stops it."""
        ...

    async def close(self) -> None:
        """Stop talking to other processes (at shutdown)."""
        ...


class MemoryNoticeBus:
    """Notices within one process. A listener is called on its own event loop: at once
    when the publisher runs on the same loop (the usual case: one loop per process),
    else scheduled thread-safely (servers on threads of one process, as in tests)."""

    def __init__(self) -> None:
        self._listeners: list[tuple[Listener, asyncio.AbstractEventLoop]] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        entry = (listener, asyncio.get_running_loop())
        self._listeners.append(entry)

        def stop() -> None:
            if entry in self._listeners:
                self._listeners.remove(entry)

        return stop

    async def close(self) -> None:
        self._listeners.clear()

    def publish(self, notice: Notice) -> None:
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for listener, loop in tuple(self._listeners):
            if loop is here:
                listener(notice)
                continue
            try:
                loop.call_soon_threadsafe(listener, notice)
            except RuntimeError:  # its loop has closed: that process is gone
                log.warning("dropped a notice listener whose event loop has closed")
                if (listener, loop) in self._listeners:
                    self._listeners.remove((listener, loop))


def create_notice_bus(url: str = "memory://") -> NoticeBus:
    """The notice bus backend for ``url``: ``memory://`` or ``redis://…``."""
    if url in ("", "memory://"):
        return MemoryNoticeBus()
    if is_redis(url):
        from board.live.redis_bus import RedisNoticeBus  # it builds on this module

        return RedisNoticeBus(url)
    raise ValueError(f"unknown notice bus backend {url!r}: use memory:// or redis://")
