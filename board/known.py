"""What a process knows without asking the database: who is who, and its latest writes.

A phone's every tap names its workshop (the code in the URL) and itself (its cookie).
Both are rows that hardly change, read for every request: :class:`Identities` keeps
them in memory for a few seconds. Only who someone is comes from here (a workshop's id,
code and trainer link, a participant's id and workshop), never a workshop's state (its
active step, its timer): every write reads that again in its own transaction, so a
workshop deleted meanwhile refuses the write, whatever is remembered here. Deleting a
workshop forgets it at once in this process, and every other process forgets it when the
change notice of its end arrives (ENDED, see board/live/notices.py); a notice that never
arrives is made up for by the time limit, ``IDENTITY_SECONDS``.

:class:`Recent` remembers the latest writes per workshop (their sequence numbers and
whose own phone views they changed), so that the answer to a phone's write can be
rendered from the state that write left, unless a later one changed that phone's view.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from board.live.render import EVERYONE
from board.workshops import Participant, Workshop

T = TypeVar("T")

# How long a workshop or participant read from the database is taken as known. Short:
# the backstop for a lost notice of a workshop's end, not the way it is normally heard.
IDENTITY_SECONDS = 5.0
# More remembered than this (a very busy server): start again from nothing.
MAX_IDENTITIES = 50_000
# Writes remembered per workshop: far more than can happen between a write's commit and
# its answer.
RECENT_WRITES = 256


class Identities:
    """Workshops by code and participants by id, each for ``IDENTITY_SECONDS``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._workshops: dict[str, tuple[float, Workshop]] = {}
        self._participants: dict[str, tuple[float, Participant]] = {}

    def workshop(self, code: str) -> Workshop | None:
        return self._fresh(self._workshops, code)

    def participant(self, participant_id: str) -> Participant | None:
        return self._fresh(self._participants, participant_id)

    def remember_workshop(self, workshop: Workshop) -> None:
        self._remember(self._workshops, workshop.code, workshop)

    def remember_participant(self, participant: Participant) -> None:
        self._remember(self._participants, participant.id, participant)

    def forget_workshop(self, workshop_id: str) -> None:
        """The workshop and everyone in it (it ended, or its trainer link changed)."""
        for code, (_, workshop) in list(self._workshops.items()):
            if workshop.id == workshop_id:
                self._workshops.pop(code, None)
        for key, (_, person) in list(self._participants.items()):
            if person.workshop_id == workshop_id:
                self._participants.pop(key, None)

    def forget_participant(self, participant_id: str) -> None:
        self._participants.pop(participant_id, None)

    def _fresh(self, known: dict[str, tuple[float, T]], key: str) -> T | None:
        found = known.get(key)
        if found is None:
            return None
        if self._clock() - found[0] > IDENTITY_SECONDS:
            known.pop(key, None)
            return None
        return found[1]

    def _remember(self, known: dict[str, tuple[float, T]], key: str, value: T) -> None:
        if len(known) >= MAX_IDENTITIES:
            known.clear()
        known[key] = (self._clock(), value)


class Recent:
    """The latest writes' sequence numbers per workshop, and whose own views they changed.

    Told by the writer thread as each write is done (in commit order, before any caller
    hears of its result) and by the notices of other processes' writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writes: dict[str, dict[int, frozenset[str]]] = {}

    def wrote(self, workshop_id: str, seq: int, people: Iterable[str]) -> None:
        with self._lock:
            writes = self._writes.setdefault(workshop_id, {})
            # Told twice (by the writer, then by its notice), or by a write whose commit
            # failed and then by the one that took its number: whoever either names.
            writes[seq] = writes.get(seq, frozenset()) | frozenset(people)
            if len(writes) > RECENT_WRITES:
                del writes[min(writes)]

    def forget(self, workshop_id: str) -> None:
        with self._lock:
            self._writes.pop(workshop_id, None)

    def untouched(self, workshop_id: str, seq: int, participant_id: str) -> bool:
        """Whether no write known after ``seq`` changed this participant's own view, and
        none after it is missing from what is known (its notice may still be on its way)."""
        with self._lock:
            writes = self._writes.get(workshop_id, {})
            if seq not in writes:
                return False
            later = range(seq + 1, max(writes) + 1)
            return all(
                s in writes and EVERYONE not in writes[s] and participant_id not in writes[s]
                for s in later
            )
