"""From committed changes to frames on sockets: render once per audience, coalesce bursts.

After a command commits, the web edge tells :class:`Live` which *regions* of
the workshop changed (the step, the wall, who is connected, a participant's
own cards). The first change is rendered at once; changes arriving while a
render is under way are merged and rendered together one tick later, so a
burst of a hundred cards becomes a few frames, not a hundred per socket.

Each frame is rendered once per audience that has a socket, and the same
string is published to all of them. Hidden cards are filtered here, per
audience: board and phone templates never receive hidden card texts.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jinja2

from board import repository
from board.cards import Wall
from board.hub import Frame, Hub
from board.i18n import translator
from board.storage import Database
from board.workshops import Workshop

log = logging.getLogger(__name__)

STEP, WALL, PRESENCE = "step", "wall", "presence"
ALL_REGIONS = frozenset({STEP, WALL, PRESENCE})

# Which partial renders which region, by role. The full pages include the same partials.
PARTIALS: dict[str, dict[str, str]] = {
    "board": {STEP: "board/_step.html", WALL: "board/_wall.html", PRESENCE: "_presence.html"},
    "trainer": {STEP: "console/_step.html", WALL: "console/_wall.html", PRESENCE: "_presence.html"},
    "phone": {STEP: "phone/_step.html"},
}


def audience(role: str, lang: str, participant_id: str | None = None) -> str:
    return f"mine/{participant_id}/{lang}" if role == "mine" else f"{role}/{lang}"


@dataclass(frozen=True)
class Snapshot:
    workshop: Workshop
    wall: Wall
    participants: int


def read_snapshot(conn: Any, workshop_id: str) -> Snapshot:
    workshop = repository.workshop_by_id(conn, workshop_id)
    return Snapshot(
        workshop=workshop,
        wall=repository.wall(conn, workshop.active_step_id),
        participants=repository.count_participants(conn, workshop_id),
    )


@dataclass
class _Pending:
    regions: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class Live:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: jinja2.Environment,
        tick_seconds: float,
        card_max_length: int,
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.tick = tick_seconds
        self.card_max_length = card_max_length
        self._pending: dict[str, _Pending] = {}
        self._present: dict[str, Counter[str]] = {}

    # -- presence -------------------------------------------------------
    def present(self, workshop_id: str) -> int:
        return len(self._present.get(workshop_id, ()))

    def arrived(self, workshop_id: str, participant_id: str) -> None:
        self._present.setdefault(workshop_id, Counter())[participant_id] += 1
        self.changed(workshop_id, {PRESENCE})

    def left(self, workshop_id: str, participant_id: str) -> None:
        counter = self._present.get(workshop_id)
        if counter is None:
            return
        counter[participant_id] -= 1
        if counter[participant_id] <= 0:
            del counter[participant_id]
        if not counter:
            del self._present[workshop_id]
        self.changed(workshop_id, {PRESENCE})

    # -- changes --------------------------------------------------------
    def changed(self, workshop_id: str, regions: Iterable[str], people: Iterable[str] = ()) -> None:
        pending = self._pending.setdefault(workshop_id, _Pending())
        pending.regions.update(regions)
        pending.people.update(p for p in people if p)
        if pending.task is None or pending.task.done():
            pending.task = asyncio.create_task(self._run(workshop_id, pending))

    async def settled(self) -> None:
        """Wait until every pending change has been published (for tests and shutdown)."""
        while tasks := [p.task for p in self._pending.values() if p.task and not p.task.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, workshop_id: str, pending: _Pending) -> None:
        while pending.regions or pending.people:
            regions, people = pending.regions, pending.people
            pending.regions, pending.people = set(), set()
            try:
                await self._flush(workshop_id, regions, people)
            except Exception:  # a failed render must not stop later updates
                log.exception("could not publish changes of workshop %s", workshop_id)
            await asyncio.sleep(self.tick)
        if self._pending.get(workshop_id) is pending:
            del self._pending[workshop_id]

    async def _flush(self, workshop_id: str, regions: set[str], people: set[str]) -> None:
        wanted = self.hub.audiences(workshop_id)
        if not wanted:
            return
        snapshot = await self.db.read(lambda conn: read_snapshot(conn, workshop_id))
        for name in sorted(wanted):
            role, _, rest = name.partition("/")
            if role == "mine":
                participant_id, _, lang = rest.rpartition("/")
                if participant_id not in people:
                    continue
                text = self.render_mine(snapshot, lang, participant_id)
            else:
                text = self.render(snapshot, role, rest, regions)
            if text:
                await self.hub.publish(workshop_id, name, Frame(snapshot.workshop.seq, text))

    # -- rendering ------------------------------------------------------
    def context(self, snapshot: Snapshot, lang: str) -> dict[str, Any]:
        return {
            "workshop": snapshot.workshop,
            "wall": snapshot.wall,
            "step": snapshot.wall.step,
            "participants": snapshot.participants,
            "present": self.present(snapshot.workshop.id),
            "lang": lang,
            "t": translator(lang),
            "card_max_length": self.card_max_length,
        }

    def render(self, snapshot: Snapshot, role: str, lang: str, regions: Iterable[str]) -> str:
        partials = PARTIALS.get(role, {})
        context = self.context(snapshot, lang) | {"oob": True}
        parts = [
            self.templates.get_template(partials[region]).render(context)
            for region in sorted(regions)
            if region in partials
        ]
        if not parts:
            return ""
        parts.append(self.templates.get_template("_seq.html").render(context))
        return "".join(parts)

    def render_mine(self, snapshot: Snapshot, lang: str, participant_id: str) -> str:
        context = self.context(snapshot, lang) | {
            "oob": True,
            "my_cards": snapshot.wall.cards_of(participant_id),
        }
        return self.templates.get_template("phone/_my_cards.html").render(context)

    async def full_frame(
        self, workshop_id: str, role: str, lang: str, participant_id: str | None
    ) -> Frame:
        snapshot = await self.db.read(lambda conn: read_snapshot(conn, workshop_id))
        text = self.render(snapshot, role, lang, ALL_REGIONS)
        if participant_id is not None:
            text += self.render_mine(snapshot, lang, participant_id)
        return Frame(snapshot.workshop.seq, text)
