"""The application core: one write path from a command to the sockets.

command → domain (pure) → one SQLite transaction → sequence number → live
fan-out. Routes and sockets call these methods and nothing else writes.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import jinja2

from board import cards, repository
from board import live as live_mod
from board.cards import Card, Change, Deleted, Wall
from board.errors import Refused
from board.hub import Hub, create_hub
from board.ratelimit import JoinGuard, RateLimit
from board.settings import TEMPLATES_DIR, Settings
from board.steps import Step, new_cards_step
from board.storage import Database
from board.tokens import Tokens, load_or_create_key
from board.workshops import (
    Participant,
    Workshop,
    clean_nickname,
    clean_title,
    new_id,
    new_join_code,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

WallCommand = Callable[[Wall], list[Change]]


@dataclass(frozen=True)
class Outcome:
    seq: int
    changes: list[Change]


def make_templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        auto_reload=False,  # no stat() per include on every render
        autoescape=True,  # card texts are untrusted HTML: escaped everywhere
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Service:
    def __init__(self, settings: Settings, hub: Hub | None = None) -> None:
        self.settings = settings
        self.db = Database(settings.db_path)
        self.tokens = Tokens(load_or_create_key(settings.data_dir, settings.secret_key))
        self.hub = hub or create_hub()
        self.templates = make_templates()
        self.live = live_mod.Live(
            self.db, self.hub, self.templates, settings.tick_ms / 1000, settings.card_max_length
        )
        self.card_limit = RateLimit(settings.cards_per_minute)
        self.request_limit = RateLimit(settings.requests_per_minute)
        self.join_guard = JoinGuard(free=settings.join_failures_free)

    def close(self) -> None:
        self.db.close()

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return await self.db.write(fn)
        except sqlite3.OperationalError as error:  # disk full, read-only file, locked
            log.error("could not save: %s", error)
            raise Refused("could_not_save", 503) from error

    # -- workshops and people ---------------------------------------------
    async def create_workshop(self, title: str, question: str = "") -> Workshop:
        title = clean_title(title)

        def create(conn: sqlite3.Connection) -> Workshop:
            code = new_join_code()
            while repository.code_taken(conn, code):
                code = new_join_code()
            workshop_id, step_id = new_id(), new_id()
            workshop = Workshop(
                workshop_id, code, title, new_id() + new_id(), step_id, 0, time.time()
            )
            repository.insert_workshop(
                conn, workshop, [new_cards_step(step_id, workshop_id, 0, question)]
            )
            return workshop

        return await self._write(create)

    async def workshop(self, code: str) -> Workshop:
        return await self.db.read(lambda conn: repository.workshop_by_code(conn, code))

    async def join(self, workshop: Workshop, nickname: str = "") -> Participant:
        participant = Participant(new_id(), workshop.id, clean_nickname(nickname), time.time())
        await self._write(lambda conn: repository.insert_participant(conn, participant))
        self.live.changed(workshop.id, {live_mod.PRESENCE})
        return participant

    async def participant(self, participant_id: str) -> Participant | None:
        return await self.db.read(lambda conn: repository.participant(conn, participant_id))

    async def set_nickname(self, participant: Participant, nickname: str) -> None:
        cleaned = clean_nickname(nickname)

        def store(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE participants SET nickname = ? WHERE id = ?", (cleaned, participant.id)
            )

        await self._write(store)

    async def snapshot(self, workshop_id: str) -> live_mod.Snapshot:
        return await self.db.read(lambda conn: live_mod.read_snapshot(conn, workshop_id))

    # -- the one write path for the wall ----------------------------------
    async def on_wall(self, workshop: Workshop, command: WallCommand) -> Outcome:
        """Run ``command`` on the active step's wall, store, and publish what changed."""

        def run(conn: sqlite3.Connection) -> tuple[Outcome, set[str]]:
            current = repository.workshop_by_id(conn, workshop.id)
            wall = repository.wall(conn, current.active_step_id)
            changes = command(wall)
            seq = repository.apply(conn, workshop.id, changes)
            return Outcome(seq, changes), _authors(wall, changes)

        outcome, people = await self._write(run)
        if outcome.changes:
            self.live.changed(workshop.id, _regions(outcome.changes), people)
        return outcome

    async def add_card(
        self,
        workshop: Workshop,
        participant_id: str | None,
        client_id: str | None,
        text: str,
        colour: str,
    ) -> Card:
        added: list[Card] = []

        def command(wall: Wall) -> list[Change]:
            card, changes = cards.add_card(
                wall,
                card_id=new_id(),
                participant_id=participant_id,
                client_id=client_id,
                text=text,
                colour=colour,
                now=time.time(),
                max_length=self.settings.card_max_length,
            )
            added.append(card)
            return changes

        await self.on_wall(workshop, command)
        return added[0]


def _regions(changes: list[Change]) -> set[str]:
    if any(isinstance(change, Step) for change in changes):
        return {live_mod.STEP, live_mod.WALL}
    return {live_mod.WALL}


def _authors(wall: Wall, changes: list[Change]) -> set[str]:
    """Participants whose own cards changed: their phones' card lists need a refresh."""
    before = {card.id: card.participant_id for card in wall.cards}
    people: set[str | None] = set()
    for change in changes:
        if isinstance(change, Card):
            people.add(change.participant_id)
        elif isinstance(change, Deleted) and change.table == "cards":
            people.add(before.get(change.id))
    return {p for p in people if p}
