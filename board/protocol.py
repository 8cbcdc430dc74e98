"""The session protocol: the complete record of a workshop, and the documents made from it.

``export_record`` reads a workshop into the versioned JSON record
(``"format": "moderation-board/1"``, schema in ``schema/``); every other
format — HTML, PDF, Markdown, CSV — is rendered from that record, so what
is imported elsewhere renders the same. ``import_record`` stores a record as
a new workshop in one transaction: nothing is half-imported.

Participants appear under pseudonyms (p1, p2, …). Nicknames are left out
unless the trainer asks for them (``names=True``).
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import count
from typing import Any

from board import repository
from board.action_plan import ActionItem
from board.cards import COLOURS, Card, Cluster, Wall, clean_text
from board.errors import Refused
from board.exercises import step_config
from board.pairs import Person
from board.snapshot import Snapshot, source_step
from board.steps import Step
from board.storage import rows
from board.votes import Vote
from board.workshops import (
    MAX_NICKNAME_LENGTH,
    Workshop,
    clean_title,
    new_id,
    new_join_code,
)

FORMAT = "moderation-board/1"
VERSION = 1


class ProtocolError(ValueError):
    """A record that cannot be imported; the message says what and where."""


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")


def epoch(value: Any, where: str) -> float:
    if not isinstance(value, str):
        raise ProtocolError(f"{where}: expected a time like 2026-11-23T09:30:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ProtocolError(f"{where}: {value!r} is not a time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    timestamp = moment.timestamp()
    try:
        iso(timestamp)  # what is imported must export again
    except (ValueError, OverflowError, OSError):
        raise ProtocolError(f"{where}: {value!r} is out of range") from None
    return timestamp


# -- export -------------------------------------------------------------------------
class _Names:
    """Stable short ids per kind of thing, in the order they are first seen."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.ids: dict[str, str] = {}
        self._next = count(1)

    def __call__(self, internal: str | None) -> str | None:
        if internal is None:
            return None
        if internal not in self.ids:
            self.ids[internal] = f"{self.prefix}{next(self._next)}"
        return self.ids[internal]


def export_record(
    conn: sqlite3.Connection, workshop_id: str, names: bool = False
) -> dict[str, Any]:
    """The workshop as a JSON-ready dict (read inside one transaction)."""
    workshop = repository.workshop_by_id(conn, workshop_id)
    participant = _Names("p")
    cluster, card = _Names("k"), _Names("c")
    people_rows = rows(
        conn,
        "SELECT * FROM participants WHERE workshop_id = ? ORDER BY created_at, rowid",
        workshop_id,
    )
    participants = [
        {
            "id": participant(row["id"]),
            "nickname": row["nickname"] if names else None,
            "joined_at": iso(row["created_at"]),
        }
        for row in people_rows
    ]
    steps = repository.steps(conn, workshop_id)
    walls = {step.id: repository.wall(conn, step.id) for step in steps}
    for step in steps:  # number clusters and cards in agenda order
        for heading in walls[step.id].ordered_clusters():
            cluster(heading.id)
        for written in walls[step.id].cards:
            card(written.id)
    exported = []
    for step in steps:
        exported.append(_export_step(conn, step, walls[step.id], participant, cluster, card, names))
    active = next((i for i, s in enumerate(steps) if s.id == workshop.active_step_id), 0)
    return {
        "format": FORMAT,
        "exported_at": iso(time.time()),
        "workshop": {
            "title": workshop.title,
            "code": workshop.code,
            "created_at": iso(workshop.created_at),
            "active_step": active,
            "names_included": names,
        },
        "participants": participants,
        "steps": exported,
    }


def _export_step(
    conn: sqlite3.Connection,
    step: Step,
    wall: Wall,
    participant: _Names,
    cluster: _Names,
    card: _Names,
    names: bool,
) -> dict[str, Any]:
    config = dict(step.config)
    people = repository.people(conn, step.id)
    if "rounds" in config:
        config["rounds"] = [
            [[participant(a), participant(b)] for a, b in round_] for round_ in config["rounds"]
        ]
    return {
        "kind": step.kind,
        "question": step.question,
        "state": step.state,
        "hidden": step.hidden,
        "revealed": step.revealed,
        "config": config,
        "clusters": [
            {
                "id": cluster(c.id),
                "heading": c.heading,
                "position": c.position,
                "created_at": iso(c.created_at),
            }
            for c in wall.ordered_clusters()
        ],
        "cards": [
            {
                "id": card(c.id),
                "participant": participant(c.participant_id),
                "text": c.text,
                "colour": c.colour,
                "cluster": cluster(c.cluster_id),
                "stacked_on": card(c.stacked_on),
                "position": c.position,
                "edited": c.edited,
                "created_at": iso(c.created_at),
            }
            for c in wall.cards
        ],
        "votes": [
            {
                "participant": participant(v.participant_id),
                # A dot on a cluster names the cluster; other keys are positions.
                "key": cluster.ids.get(v.key, v.key),
                "value": v.value,
                "x": v.x,
                "y": v.y,
                "word": v.word,
                "created_at": iso(v.created_at),
            }
            for v in repository.votes(conn, step.id)
        ],
        "actions": [
            {
                "participant": participant(a.participant_id),
                "what": a.what,
                "who": a.who,
                "due": a.due,
                "position": a.position,
                "created_at": iso(a.created_at),
            }
            for a in repository.action_items(conn, step.id)
        ],
        "people": [
            {
                "participant": participant(p.participant_id),
                "nickname": p.nickname if names else f"Person {i}",
                "joined_at": iso(p.joined_at),
                "left_at": iso(p.left_at),
            }
            for i, p in enumerate(people, start=1)
        ],
    }


# -- from a record back to domain objects --------------------------------------------
@dataclass(frozen=True)
class Restored:
    workshop: Workshop
    participants: list[tuple[str, str | None, float]]  # id, nickname, joined
    steps: list[Step]
    clusters: list[Cluster]
    cards: list[Card]
    votes: list[Vote]
    actions: list[ActionItem]
    people: list[Person]


def _check_format(record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ProtocolError("not a moderation-board protocol (expected a JSON object)")
    tag = record.get("format")
    if not isinstance(tag, str) or not tag.startswith("moderation-board/"):
        raise ProtocolError("format: not a moderation-board protocol")
    version = tag.removeprefix("moderation-board/")
    if not version.isdigit():
        raise ProtocolError(f"format: unknown version {tag!r}")
    if int(version) > VERSION:
        raise ProtocolError(f"format: {tag} is newer than this board understands ({FORMAT})")
    return record


LARGEST = 2**53  # integers and positions beyond this are no real workshop's


def _get(data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ProtocolError(f"{where}.{key}: missing")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"{where}.{key}: wrong type")
    if isinstance(value, int) and abs(value) > LARGEST:
        raise ProtocolError(f"{where}.{key}: out of range")
    return value


def _items(data: dict[str, Any], section: str, where: str) -> list[dict[str, Any]]:
    """A list of objects, or none when the section is left out."""
    items = data.get(section, [])
    if not isinstance(items, list):
        raise ProtocolError(f"{where}.{section}: expected a list")
    for j, item in enumerate(items):
        if not isinstance(item, dict):
            raise ProtocolError(f"{where}.{section}[{j}]: expected an object")
    return items


def _number(data: dict[str, Any], key: str, where: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{where}.{key}: expected a number")
    if not math.isfinite(value) or abs(value) > LARGEST:
        raise ProtocolError(f"{where}.{key}: out of range")
    return float(value)


# Far beyond any real workshop (a day with 200 people is some 20,000 records), and
# small enough that checking and storing a file takes seconds, not minutes.
MAX_RECORDS = 100_000
SECTIONS = ("clusters", "cards", "votes", "actions", "people")


def _check_size(raw_steps: list[Any], participants: list[Any]) -> None:
    size = len(raw_steps) + len(participants)
    for raw in raw_steps:
        if isinstance(raw, dict):
            size += sum(len(raw[s]) for s in SECTIONS if isinstance(raw.get(s), list))
    if size > MAX_RECORDS:
        raise ProtocolError(f"too large: {size} records, at most {MAX_RECORDS} in one workshop")


def restore(
    record: Any,
    make_id: Callable[[str], str],
    card_max_length: int,
    code: str = "",
) -> Restored:
    """Domain objects from a record; ``make_id`` turns a record's id into ours."""
    record = _check_format(record)
    meta = _get(record, "workshop", dict, "")
    workshop_id = make_id("workshop")
    raw_steps = _get(record, "steps", list, "")
    if not raw_steps:
        raise ProtocolError("steps: a workshop needs at least one step")
    _check_size(raw_steps, _get(record, "participants", list, ""))
    participants = [
        (
            make_id(_get(p, "id", str, f"participants[{i}]")),
            p["nickname"][:MAX_NICKNAME_LENGTH] if isinstance(p.get("nickname"), str) else None,
            epoch(_get(p, "joined_at", str, f"participants[{i}]"), f"participants[{i}].joined_at"),
        )
        for i, p in enumerate(_items(record, "participants", ""))
    ]
    known = {pid for pid, _, _ in participants}
    if len(known) != len(participants):
        raise ProtocolError("participants: the same id twice")

    def who(value: Any, where: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or make_id(value) not in known:
            raise ProtocolError(f"{where}: unknown participant {value!r}")
        return make_id(value)

    steps, clusters, cards, votes, actions, people = [], [], [], [], [], []
    for i, raw in enumerate(raw_steps):
        where = f"steps[{i}]"
        kind = _get(raw, "kind", str, where)
        try:
            config = step_config(kind, raw.get("config", {}), where)
        except ValueError as error:
            raise ProtocolError(str(error)) from None
        if "rounds" in config:
            config["rounds"] = [
                [[who(a, f"{where}.rounds"), who(b, f"{where}.rounds")] for a, b in round_]
                for round_ in config["rounds"]
            ]
        state = _get(raw, "state", str, where)
        if state not in ("open", "closed"):
            raise ProtocolError(f"{where}.state: expected open or closed")
        question = _get(raw, "question", str, where)
        if len(question) > 200:
            raise ProtocolError(f"{where}.question: longer than 200 characters")
        step = Step(
            make_id(f"step{i}"),
            workshop_id,
            i,
            kind,
            question,
            state,
            bool(_get(raw, "hidden", bool, where)),
            bool(_get(raw, "revealed", bool, where)),
            config,
        )
        steps.append(step)
        for j, c in enumerate(_items(raw, "clusters", where)):
            w = f"{where}.clusters[{j}]"
            heading = _get(c, "heading", str, w)
            if not heading.strip() or len(heading) > 60:
                raise ProtocolError(f"{w}.heading: empty or longer than 60 characters")
            clusters.append(
                Cluster(
                    make_id(_get(c, "id", str, w)),
                    step.id,
                    heading,
                    _get(c, "position", int, w),
                    epoch(c.get("created_at"), f"{w}.created_at"),
                )
            )
        for j, c in enumerate(_items(raw, "cards", where)):
            w = f"{where}.cards[{j}]"
            try:
                text = clean_text(_get(c, "text", str, w), card_max_length)
            except Refused as error:
                problem = {
                    "card_empty": "empty",
                    "card_too_long": f"longer than {card_max_length} characters",
                }
                raise ProtocolError(
                    f"{w}.text: {problem.get(error.key, 'more than three lines')}"
                ) from None
            colour = _get(c, "colour", str, w)
            if colour not in COLOURS:
                raise ProtocolError(f"{w}.colour: unknown colour {colour!r}")
            cluster_ref = c.get("cluster")
            stacked = c.get("stacked_on")
            cards.append(
                Card(
                    make_id(_get(c, "id", str, w)),
                    step.id,
                    who(c.get("participant"), w),
                    None,
                    text,
                    colour,
                    make_id(cluster_ref) if isinstance(cluster_ref, str) else None,
                    make_id(stacked) if isinstance(stacked, str) else None,
                    _get(c, "position", int, w),
                    bool(c.get("edited", False)),
                    epoch(c.get("created_at"), f"{w}.created_at"),
                )
            )
        for j, v in enumerate(_items(raw, "votes", where)):
            w = f"{where}.votes[{j}]"
            key = _get(v, "key", str, w)
            if key.startswith("k"):
                key = make_id(key)
            value = _number(v, "value", w)
            x, y = _number(v, "x", w), _number(v, "y", w)
            votes.append(
                Vote(
                    new_id(),
                    step.id,
                    who(_get(v, "participant", str, w), w) or "",
                    key,
                    int(value) if value is not None else None,
                    x,
                    y,
                    v.get("word") if isinstance(v.get("word"), str) else None,
                    epoch(v.get("created_at"), f"{w}.created_at"),
                )
            )
        for j, a in enumerate(_items(raw, "actions", where)):
            w = f"{where}.actions[{j}]"
            actions.append(
                ActionItem(
                    new_id(),
                    step.id,
                    who(a.get("participant"), w),
                    _get(a, "what", str, w)[:200],
                    str(a.get("who") or "")[:60],
                    str(a.get("due") or "")[:40],
                    _get(a, "position", int, w),
                    epoch(a.get("created_at"), f"{w}.created_at"),
                )
            )
        for j, p in enumerate(_items(raw, "people", where)):
            w = f"{where}.people[{j}]"
            left = p.get("left_at")
            people.append(
                Person(
                    step.id,
                    who(_get(p, "participant", str, w), w) or "",
                    _get(p, "nickname", str, w)[:30],
                    epoch(p.get("joined_at"), f"{w}.joined_at"),
                    epoch(left, f"{w}.left_at") if left is not None else None,
                )
            )
    _check_references(steps, clusters, cards)
    cards = _flat_stacks(cards)
    active = meta.get("active_step", 0)
    if not isinstance(active, int) or not 0 <= active < len(steps):
        active = 0
    workshop = Workshop(
        workshop_id,
        code,
        clean_title(_get(meta, "title", str, "workshop")),
        new_id() + new_id(),
        steps[active].id,
        0,
        epoch(meta.get("created_at"), "workshop.created_at"),
    )
    return Restored(workshop, participants, steps, clusters, cards, votes, actions, people)


def _check_references(steps: list[Step], clusters: list[Cluster], cards: list[Card]) -> None:
    cluster_step = {c.id: c.step_id for c in clusters}
    card_step = {c.id: c.step_id for c in cards}
    if len(cluster_step) != len(clusters) or len(card_step) != len(cards):
        raise ProtocolError("cards: the same card or cluster id twice")
    for card in cards:
        if card.cluster_id is not None and cluster_step.get(card.cluster_id) != card.step_id:
            raise ProtocolError("cards: a card names a cluster of another step or none at all")
        if card.stacked_on is not None and card_step.get(card.stacked_on) != card.step_id:
            raise ProtocolError("cards: a card is stacked on a card that is not there")


def _flat_stacks(cards: list[Card]) -> list[Card]:
    """Each stacked card directly on the top card of its stack, as the board keeps them
    (a record may stack cards on stacked cards); a circle of stacked cards is refused."""
    under = {card.id: card.stacked_on for card in cards}
    top: dict[str, str] = {}  # card -> the card its stack lies under, once known
    for card in cards:
        path: list[str] = []
        on_path: set[str] = set()
        current = card.id
        while current not in top and (above := under[current]) is not None:
            if current in on_path:
                raise ProtocolError("cards: cards are stacked on each other in a circle")
            path.append(current)
            on_path.add(current)
            current = above
        root = top.get(current, current)
        for walked in path:  # each card is walked once: linear in the number of cards
            top[walked] = root
        top.setdefault(current, root)
    return [c if c.stacked_on is None else replace(c, stacked_on=top[c.id]) for c in cards]


def prepare(record: Any, card_max_length: int) -> Restored:
    """Check ``record`` and turn it into new objects with new ids (no database needed:
    a large file is checked off the writer thread)."""
    ids: dict[str, str] = {}

    def make_id(old: str) -> str:
        if old not in ids:
            ids[old] = new_id()
        return ids[old]

    return restore(record, make_id, card_max_length)


def store(conn: sqlite3.Connection, restored: Restored) -> Workshop:
    """Store a prepared record as a new workshop with a new code (one transaction)."""
    code = new_join_code()
    while repository.code_taken(conn, code):
        code = new_join_code()
    workshop = replace(restored.workshop, code=code)
    repository.insert_workshop(conn, workshop, restored.steps)
    for pid, nickname, joined in restored.participants:
        conn.execute(
            "INSERT INTO participants (id, workshop_id, nickname, created_at) VALUES (?, ?, ?, ?)",
            (pid, workshop.id, nickname, joined),
        )
    repository.apply(
        conn,
        workshop.id,
        [*restored.clusters, *restored.cards, *restored.votes, *restored.actions, *restored.people],
    )
    return workshop


def store_problem(error: Exception) -> str:
    """What to tell about a record the checks let through but SQLite refused."""
    if isinstance(error, UnicodeError):
        return "text that is not valid Unicode (an unpaired surrogate)"
    return "conflicting records"


def import_record(conn: sqlite3.Connection, record: Any, card_max_length: int) -> Workshop:
    """Store ``record`` as a new workshop with a new code and trainer link (one transaction)."""
    return store(conn, prepare(record, card_max_length))


# -- reading a record for the documents ---------------------------------------------
def snapshots(record: dict[str, Any], card_max_length: int = 10_000) -> Iterator[Snapshot]:
    """One snapshot per step, in agenda order, built from the record alone."""
    restored = restore(record, lambda old: old, card_max_length, str(record["workshop"]["code"]))
    all_steps = tuple(restored.steps)
    for step in restored.steps:
        wall = Wall(
            step,
            tuple(c for c in restored.cards if c.step_id == step.id),
            tuple(c for c in restored.clusters if c.step_id == step.id),
        )
        source = None
        if step.kind == "dots" and step.config.get("options_from") == "clusters":
            found = source_step(all_steps, step)
            if found is not None:
                source = Wall(
                    found, (), tuple(c for c in restored.clusters if c.step_id == found.id)
                )
        yield Snapshot(
            workshop=restored.workshop,
            steps=all_steps,
            wall=wall,
            source=source,
            votes=tuple(v for v in restored.votes if v.step_id == step.id),
            actions=tuple(a for a in restored.actions if a.step_id == step.id),
            people=tuple(p for p in restored.people if p.step_id == step.id),
            participants=len(restored.participants),
            now=time.time(),
        )
