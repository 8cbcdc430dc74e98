"""Who is connected: phones with an open socket, counted per workshop.

:class:`Presence` is the interface; :class:`MemoryPresence` counts the sockets
of this process. A shared backend counts those of every process (the count is
read on every render, so it answers from its own view, kept current as the
presence notices of the other processes arrive).
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


class Presence(Protocol):
    def arrived(self, workshop_id: str, participant_id: str) -> None:
        """A socket of the participant opened (a phone may have several)."""
        ...

    def left(self, workshop_id: str, participant_id: str) -> None:
        """One of the participant's sockets closed."""
        ...

    def count(self, workshop_id: str) -> int:
        """How many participants have at least one socket open."""
        ...


class MemoryPresence:
    """Open sockets per participant, per workshop; a workshop nobody is in costs nothing."""

    def __init__(self) -> None:
        self._present: dict[str, Counter[str]] = {}

    def arrived(self, workshop_id: str, participant_id: str) -> None:
        self._present.setdefault(workshop_id, Counter())[participant_id] += 1

    def left(self, workshop_id: str, participant_id: str) -> None:
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
