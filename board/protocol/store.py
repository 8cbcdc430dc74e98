"""An imported record becomes a new workshop: checked off the writer thread, then
stored in one transaction, so nothing is half-imported."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from board.protocol.restore import Restored, restore
from board.protocol.shape import check_format, check_shape, check_size
from board.protocol.validate import check
from board.store import repository
from board.store.database import Connection
from board.workshops import (
    Participant,
    Workshop,
    new_id,
    new_join_code,
)


def prepare(record: Any, card_max_length: int) -> Restored:
    """Check ``record`` and turn it into new objects with new ids (no database needed:
    a large file is checked off the writer thread). The shape first, at the door."""
    check_size(check_format(record))
    check_shape(record)
    ids: dict[str, str] = {}

    def make_id(old: str) -> str:
        if old not in ids:
            ids[old] = new_id()
        return ids[old]

    return check(restore(record, make_id), card_max_length)


def store(conn: Connection, restored: Restored) -> Workshop:
    """Store a prepared record as a new workshop with a new code (one transaction)."""
    code = new_join_code()
    while repository.code_taken(conn, code):
        code = new_join_code()
    workshop = replace(restored.workshop, code=code)
    repository.insert_workshop(conn, workshop, restored.steps)
    for pid, nickname, joined, group in restored.participants:
        person = Participant(pid, workshop.id, nickname, joined, group)
        repository.insert_participant(conn, person)
    repository.apply(
        conn,
        workshop.id,
        [
            *restored.clusters,
            *restored.cards,
            *restored.votes,
            *restored.actions,
            *restored.people,
            *restored.topics,
            *restored.teams,  # before their members: a member names its team
            *restored.members,
        ],
    )
    return workshop


def store_problem(error: Exception) -> str:
    """What to tell about a record the checks let through but the database refused."""
    if isinstance(error, UnicodeError):
        return "text that is not valid Unicode (an unpaired surrogate)"
    return "conflicting records"
