"""Who is connected: phones with an open socket, counted per workshop.

:class:`Presence` is the interface; :class:`MemoryPresence` counts the sockets
of this process; board/live/redis_presence.py those of every process (the count is
read on every render, so it answers from its own view, refreshed before a render of
the count).
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from board.settings import is_redis


class Presence(Protocol):
    async def arrived(self, workshop_id: str, participant_id: str) -> None:
        """A socket of the participant opened (a phone may have several); once this
        returns, every process that refreshes counts them."""
        ...

    async def left(self, workshop_id: str, participant_id: str) -> None:
        """One of the participant's sockets closed."""
        ...

    def count(self, workshop_id: str) -> int:
        """How many participants have at least one socket open (as last refreshed)."""
        ...

    async def refresh(self, workshop_id: str, max_age: float = 0.0) -> None:
        """Bring the count up to date with the other processes (before it is shown),
        unless it was read less than ``max_age`` seconds ago."""
        ...

    async def close(self) -> None:
        """At shutdown: this process's sockets are no longer counted anywhere."""
        ...


class MemoryPresence:
    """Open sockets per participant, per workshop; a workshop nobody is in costs nothing."""

    def __init__(self) -> None:
        self._present: dict[str, Counter[str]] = {}

    async def arrived(self, workshop_id: str, participant_id: str) -> None:
        self.add(workshop_id, participant_id)

    async def left(self, workshop_id: str, participant_id: str) -> None:
        self.remove(workshop_id, participant_id)

    def add(self, workshop_id: str, participant_id: str) -> None:
        self._present.setdefault(workshop_id, Counter())[participant_id] += 1

    def remove(self, workshop_id: str, participant_id: str) -> None:
        counter = self._present.get(workshop_id)
        if counter is None:
            return
        counter[participant_id] -= 1
        if counter[participant_id] <= 0:
            del counter[participant_id]
        if not counter:
            del self._present[workshop_id]

    def count(self, workshop_id: str) -> int:
        return len(self._present.get(workshop_id, ()))

    def people(self, workshop_id: str) -> set[str]:
        return set(self._present.get(workshop_id, ()))

    async def refresh(self, workshop_id: str, max_age: float = 0.0) -> None:
        return None  # this process is all there is

    async def close(self) -> None:
        self._present.clear()


def create_presence(url: str = "memory://", ttl: float | None = None) -> Presence:
    """Who is connected, for the hub at ``url``: this process's, or every process's (each
    process's people expire ``ttl`` seconds after it last renewed them)."""
    if is_redis(url):
        from board.live.redis_presence import TTL_SECONDS, RedisPresence  # builds on this

        return RedisPresence(url, TTL_SECONDS if ttl is None else ttl)
    return MemoryPresence()
