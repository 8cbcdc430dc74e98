"""Domain objects to and from rows; every change bumps the workshop's sequence.

The only SQL of the board, written once for SQLite and PostgreSQL: ``?`` placeholders,
double-quoted names, ``INSERT … ON CONFLICT … DO UPDATE``, no ``rowid``."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from typing import Any

from board.action_plan import ActionItem
from board.cards import COLOURS, Card, Cluster, Wall
from board.changes import Deleted
from board.errors import Refused
from board.groups import Group
from board.pairs import Person
from board.steps import Step
from board.store.database import Connection
from board.teams import Member, Team
from board.topics import Topic
from board.undo import Entry, Image
from board.votes import Vote
from board.workshops import Participant, Workshop

Change = (
    Card | Cluster | Step | Vote | ActionItem | Person | Workshop | Topic | Team | Member | Deleted
)
_TABLES: dict[type, tuple[str, str | tuple[str, str]]] = {
    Topic: ("topics", "id"),
    Team: ("teams", "id"),
    Member: ("team_members", "participant_id"),
    Card: ("cards", "id"),
    Cluster: ("clusters", "id"),
    Vote: ("votes", "id"),
    ActionItem: ("action_items", "id"),
    Person: ("pair_people", ("step_id", "participant_id")),
}
# What a deletion of each kind of thing removes (Deleted names the domain class).
_DELETABLE: dict[type, str] = {
    Card: "cards",
    Cluster: "clusters",
    Vote: "votes",
    ActionItem: "action_items",
    Step: "steps",
    Topic: "topics",
    Team: "teams",
    Member: "team_members",
}
# The key a deletion names, where it is not the row's id.
_DELETED_BY: dict[type, str] = {Member: "participant_id"}
# What belongs to a step and goes with it when the step is removed.
_ON_A_STEP = ("cards", "clusters", "votes", "action_items", "pair_people", "undo_log")


def _workshop(row: Any) -> Workshop:
    if row is None:
        raise Refused("workshop_not_found", 404)
    fields = dict(row)
    fields["groups"] = tuple(Group(**group) for group in json.loads(fields["groups"]))
    for flag in ("gong", "topic_proposals", "topics_shown"):  # SQLite keeps 0/1
        fields[flag] = bool(fields[flag])
    return Workshop(**fields)


def _groups_json(workshop: Workshop) -> str:
    return json.dumps([asdict(group) for group in workshop.groups], ensure_ascii=False)


def workshop_by_code(conn: Connection, code: str) -> Workshop:
    return _workshop(conn.execute("SELECT * FROM workshops WHERE code = ?", (code,)).fetchone())


def workshop_by_id(conn: Connection, workshop_id: str) -> Workshop:
    return _workshop(
        conn.execute("SELECT * FROM workshops WHERE id = ?", (workshop_id,)).fetchone()
    )


def code_taken(conn: Connection, code: str) -> bool:
    return conn.execute("SELECT 1 FROM workshops WHERE code = ?", (code,)).fetchone() is not None


def insert_workshop(conn: Connection, workshop: Workshop, steps: list[Step]) -> None:
    row = asdict(workshop) | {"groups": _groups_json(workshop)}
    for flag in ("gong", "topic_proposals", "topics_shown"):  # kept as 0/1 in both
        row[flag] = int(row[flag])
    _insert(conn, "workshops", row)
    for step in steps:
        _insert(conn, "steps", _step_row(step))


def insert_participant(conn: Connection, participant: Participant) -> None:
    _insert(conn, "participants", asdict(participant))


def rename_participant(conn: Connection, participant: Participant) -> None:
    """Store a participant's (cleaned) nickname."""
    sql = "UPDATE participants SET nickname = ? WHERE id = ?"
    conn.execute(sql, (participant.nickname, participant.id))


def set_participant_group(conn: Connection, participant: Participant) -> None:
    sql = "UPDATE participants SET group_id = ? WHERE id = ?"
    conn.execute(sql, (participant.group_id, participant.id))


def lock_workshop(conn: Connection, workshop_id: str) -> Workshop:
    """The workshop, its row taken for this write transaction before the command reads
    what it decides on: a write in another process waits until this one commits, so
    neither decides on a state the other is changing. (SQLite's write lock, taken at
    BEGIN IMMEDIATE, does this for the whole file already.)"""
    lock = "" if isinstance(conn, sqlite3.Connection) else " FOR UPDATE"
    sql = f"SELECT * FROM workshops WHERE id = ?{lock}"
    return _workshop(conn.execute(sql, (workshop_id,)).fetchone())


def _insert(conn: Connection, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(row.values()))


def participant(conn: Connection, participant_id: str) -> Participant | None:
    row = conn.execute("SELECT * FROM participants WHERE id = ?", (participant_id,)).fetchone()
    return None if row is None else Participant(**_plain(row))


def participants(conn: Connection, workshop_id: str) -> list[Participant]:
    """Everyone who joined the workshop, in the order they joined."""
    sql = "SELECT * FROM participants WHERE workshop_id = ? ORDER BY created_at, ord, id"
    return [Participant(**_plain(row)) for row in conn.execute(sql, (workshop_id,))]


def count_participants(conn: Connection, workshop_id: str) -> int:
    sql = "SELECT count(*) FROM participants WHERE workshop_id = ?"
    return int(conn.execute(sql, (workshop_id,)).fetchone()[0])


def _plain(row: Any) -> dict[str, Any]:
    """A row's fields as its domain object has them (the ordering column is the store's)."""
    data = dict(row)
    data.pop("ord", None)
    return data


@functools.lru_cache(maxsize=512)
def _config(text: str) -> dict[str, Any]:
    """A step's settings, parsed once per text: every write reads every step of its
    workshop (and the active one twice), so a dot burst parsed the same JSON thousands
    of times. One dict for all who read it: step configs are read, never changed in
    place (a change is ``replace(step, config=step.config | {...})``)."""
    config: dict[str, Any] = json.loads(text)
    return config


def _step(row: Any) -> Step:
    data = dict(row)
    data["config"] = _config(data["config"] or "{}")
    data["hidden"] = bool(data["hidden"])
    data["revealed"] = bool(data["revealed"])
    return Step(**data)


def _step_row(step: Step) -> dict[str, Any]:
    row = asdict(step)
    row["hidden"] = int(step.hidden)
    row["revealed"] = int(step.revealed)
    row["config"] = json.dumps(step.config, ensure_ascii=False)
    return row


def step(conn: Connection, step_id: str | None) -> Step:
    row = conn.execute("SELECT * FROM steps WHERE id = ?", (step_id,)).fetchone()
    if row is None:
        raise Refused("step_not_found", 404)
    return _step(row)


def steps(conn: Connection, workshop_id: str) -> list[Step]:
    sql = "SELECT * FROM steps WHERE workshop_id = ? ORDER BY position"
    return [_step(row) for row in conn.execute(sql, (workshop_id,))]


# Card's fields in order: a wall of 300 cards is read for every board's render, and a
# row taken by position costs half of one made into a dict first.
_CARD_COLUMNS = (
    "id, step_id, participant_id, client_id, text, colour, cluster_id, stacked_on,"
    " position, edited, created_at, team_id"
)


def _card(row: Any) -> Card:
    (id_, step_id, participant_id, client_id, text, colour, cluster_id, stacked_on) = row[:8]
    if colour not in COLOURS:  # a colour dropped from the palette
        colour = COLOURS[0]
    return Card(
        id_,
        step_id,
        participant_id,
        client_id,
        text,
        colour,
        cluster_id,
        stacked_on,
        row[8],
        bool(row[9]),
        row[10],
        row[11],
    )


def card_of_draft(conn: Connection, participant_id: str, client_id: str) -> Card | None:
    """The card a phone's draft became, on whatever step (served by the unique index)."""
    sql = f"SELECT {_CARD_COLUMNS} FROM cards WHERE participant_id = ? AND client_id = ?"
    row = conn.execute(sql, (participant_id, client_id)).fetchone()
    return None if row is None else _card(row)


def wall(conn: Connection, step_id: str | None, with_cards: bool = True) -> Wall:
    """The step with its clusters and (unless not ``with_cards``) its cards."""
    the_step = step(conn, step_id)
    # ord breaks ties: rows stored together keep the order they were stored in.
    cards = (
        conn.execute(
            f"SELECT {_CARD_COLUMNS} FROM cards WHERE step_id = ? ORDER BY created_at, ord, id",
            (the_step.id,),
        )
        if with_cards
        else ()
    )
    clusters = conn.execute(
        "SELECT * FROM clusters WHERE step_id = ? ORDER BY position, created_at, ord, id",
        (the_step.id,),
    )
    return Wall(
        step=the_step,
        cards=tuple(_card(row) for row in cards),
        clusters=tuple(Cluster(**_plain(row)) for row in clusters),
    )


def apply(conn: Connection, workshop_id: str, changes: Sequence[Change]) -> int:
    """Store the changes and return the workshop's new sequence number.

    Runs inside the caller's transaction; with no changes the sequence stays.
    """
    for change in changes:
        if isinstance(change, Deleted):
            _delete(conn, change)
        elif isinstance(change, Step):
            _upsert(conn, "steps", _step_row(change), ("id",))
        elif isinstance(change, Workshop):
            # Only what commands change; the sequence is bumped below.
            conn.execute(
                "UPDATE workshops SET active_step_id = ?, timer_ends_at = ?, timer_seconds = ?,"
                " gong = ?, title = ?, trainer_secret = ?, join_display = ?, groups = ?,"
                " topic_proposals = ?, topics_shown = ? WHERE id = ?",
                (
                    change.active_step_id,
                    change.timer_ends_at,
                    change.timer_seconds,
                    int(change.gong),
                    change.title,
                    change.trainer_secret,
                    change.join_display,
                    _groups_json(change),
                    int(change.topic_proposals),
                    int(change.topics_shown),
                    change.id,
                ),
            )
        else:
            # Flat rows of scalars: asdict would deep-copy every value of every dot.
            row = {f.name: getattr(change, f.name) for f in fields(change)}
            if isinstance(change, Card):
                row["edited"] = int(change.edited)
            elif isinstance(change, Topic):
                row["proposed"] = int(change.proposed)
            table, pk = _TABLES[type(change)]
            _upsert(conn, table, row, (pk,) if isinstance(pk, str) else pk)
    return bump_seq(conn, workshop_id) if changes else current_seq(conn, workshop_id)


def _upsert(conn: Connection, table: str, row: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Insert or update one row: plain SQL on the hot path (a dot, a card), no
    introspection. The row's ``ord`` is the store's (its place among all rows)."""
    columns = list(row)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in keys)
    names = ", ".join(f'"{c}"' for c in columns)
    conn.execute(
        f'INSERT INTO "{table}" ({names})'
        f" VALUES ({', '.join('?' for _ in columns)})"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
        [row[c] for c in columns],
    )


def _delete(conn: Connection, change: Deleted) -> None:
    table = _DELETABLE[change.kind]
    if change.kind is Cluster:
        conn.execute("UPDATE cards SET cluster_id = NULL WHERE cluster_id = ?", (change.id,))
    if change.kind is Step:
        for on_the_step in _ON_A_STEP:
            conn.execute(f'DELETE FROM "{on_the_step}" WHERE step_id = ?', (change.id,))
    if change.kind is Team:  # its members are in no team any more
        conn.execute("DELETE FROM team_members WHERE team_id = ?", (change.id,))
    key = _DELETED_BY.get(change.kind, "id")
    conn.execute(f'DELETE FROM "{table}" WHERE "{key}" = ?', (change.id,))


def votes(conn: Connection, step_id: str, participant_id: str | None = None) -> list[Vote]:
    """The votes of a step, or only one participant's (served by the unique index)."""
    sql = f"SELECT {_VOTE_COLUMNS} FROM votes WHERE step_id = ?"
    params: tuple[str, ...] = (step_id,)
    if participant_id is not None:
        sql += " AND participant_id = ?"
        params += (participant_id,)
    return [Vote(*row) for row in conn.execute(sql + " ORDER BY created_at, ord, id", params)]


_VOTE_COLUMNS = "id, step_id, participant_id, key, value, x, y, word, created_at, team_id"


def action_items(conn: Connection, step_id: str) -> list[ActionItem]:
    sql = "SELECT * FROM action_items WHERE step_id = ? ORDER BY position, created_at, ord, id"
    return [ActionItem(**_plain(row)) for row in conn.execute(sql, (step_id,))]


def plans(conn: Connection, workshop_id: str) -> list[ActionItem]:
    """Every Maßnahmenplan row of the workshop, on whatever step (few: tens, not thousands)."""
    sql = (
        "SELECT a.* FROM action_items a JOIN steps s ON s.id = a.step_id"
        " WHERE s.workshop_id = ? ORDER BY s.position, a.position, a.created_at, a.ord, a.id"
    )
    return [ActionItem(**_plain(row)) for row in conn.execute(sql, (workshop_id,))]


def topics(conn: Connection, workshop_id: str) -> list[Topic]:
    """The workshop's Themenspeicher, proposals included, in order."""
    sql = "SELECT * FROM topics WHERE workshop_id = ? ORDER BY position, created_at, ord, id"
    found = []
    for row in conn.execute(sql, (workshop_id,)):
        data = _plain(row)
        data["proposed"] = bool(data["proposed"])
        found.append(Topic(**data))
    return found


def teams(conn: Connection, workshop_id: str) -> list[Team]:
    """The workshop's teams (Kleingruppen), in their order."""
    sql = "SELECT * FROM teams WHERE workshop_id = ? ORDER BY position, id"
    return [Team(**dict(row)) for row in conn.execute(sql, (workshop_id,))]


def members(conn: Connection, workshop_id: str) -> list[Member]:
    """Who is in which of the workshop's teams: by team, each in the order they joined."""
    sql = (
        "SELECT m.team_id, m.participant_id FROM team_members m"
        " JOIN teams t ON t.id = m.team_id JOIN participants p ON p.id = m.participant_id"
        " WHERE t.workshop_id = ? ORDER BY t.position, p.created_at, p.ord, p.id"
    )
    return [Member(row[0], row[1]) for row in conn.execute(sql, (workshop_id,))]


def people(conn: Connection, step_id: str) -> list[Person]:
    sql = "SELECT * FROM pair_people WHERE step_id = ? ORDER BY joined_at, ord, participant_id"
    return [Person(**_plain(row)) for row in conn.execute(sql, (step_id,))]


def bump_seq(conn: Connection, workshop_id: str) -> int:
    sql = "UPDATE workshops SET seq = seq + 1 WHERE id = ? RETURNING seq"
    return int(conn.execute(sql, (workshop_id,)).fetchone()[0])


def current_seq(conn: Connection, workshop_id: str) -> int:
    return int(conn.execute("SELECT seq FROM workshops WHERE id = ?", (workshop_id,)).fetchone()[0])


def current_seqs(conn: Connection, workshop_ids: list[str]) -> dict[str, int]:
    """The seq of each of these workshops that still exists."""
    marks = ",".join("?" * len(workshop_ids))
    rows = conn.execute(f"SELECT id, seq FROM workshops WHERE id IN ({marks})", workshop_ids)
    return {str(row[0]): int(row[1]) for row in rows}


# Change-log rows kept per workshop: enough for a process that missed a few notices;
# one that missed more renders everything afresh. Pruned every CHANGE_LOG_PRUNE_EVERY
# writes, by the primary key: a few rows' work, not one per write.
CHANGE_LOG_KEPT = 500
CHANGE_LOG_PRUNE_EVERY = 100


def log_change(
    conn: Connection,
    workshop_id: str,
    seq: int,
    regions: Iterable[str],
    people: Iterable[str],
    now: float,
) -> None:
    """Note what the write with sequence number ``seq`` changed (in its transaction)."""
    conn.execute(
        "INSERT INTO change_log (workshop_id, seq, regions, people, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (workshop_id, seq, json.dumps(sorted(regions)), json.dumps(sorted(people)), now),
    )
    if seq % CHANGE_LOG_PRUNE_EVERY == 0:
        conn.execute(
            "DELETE FROM change_log WHERE workshop_id = ? AND seq <= ?",
            (workshop_id, seq - CHANGE_LOG_KEPT),
        )


def changes_since(
    conn: Connection, workshop_id: str, seq: int
) -> list[tuple[int, list[str], list[str]]]:
    """The logged writes after ``seq``, oldest first: (seq, regions, people)."""
    sql = "SELECT seq, regions, people FROM change_log WHERE workshop_id = ? AND seq > ?"
    return [
        (int(row[0]), json.loads(row[1]), json.loads(row[2]))
        for row in conn.execute(sql + " ORDER BY seq", (workshop_id, seq))
    ]


# -- the trainer's undo history, per step ----------------------------------------
_UNDO_KINDS: dict[str, type[Card | Cluster]] = {"card": Card, "cluster": Cluster}


def push_undo(
    conn: Connection,
    workshop_id: str,
    step_id: str,
    action: str,
    images: Sequence[Image],
    now: float,
    keep: int,
) -> None:
    """Add an entry to the step's history (in the action's transaction); keep the
    newest ``keep``."""
    rows = [
        {
            "kind": "card" if image.kind is Card else "cluster",
            "id": image.id,
            "before": None if image.before is None else asdict(image.before),
            "after": None if image.after is None else asdict(image.after),
        }
        for image in images
    ]
    conn.execute(
        "INSERT INTO undo_log (workshop_id, step_id, action, rows, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (workshop_id, step_id, action, json.dumps(rows, ensure_ascii=False), now),
    )
    conn.execute(
        "DELETE FROM undo_log WHERE step_id = ? AND id NOT IN"
        " (SELECT id FROM undo_log WHERE step_id = ? ORDER BY id DESC LIMIT ?)",
        (step_id, step_id, keep),
    )


def last_undo(conn: Connection, step_id: str) -> Entry | None:
    """The step's latest undoable action, or None."""
    sql = "SELECT id, action, rows FROM undo_log WHERE step_id = ? ORDER BY id DESC LIMIT 1"
    row = conn.execute(sql, (step_id,)).fetchone()
    if row is None:
        return None
    images = tuple(_image(image) for image in json.loads(row["rows"]))
    return Entry(int(row["id"]), row["action"], images)


def last_undo_action(conn: Connection, step_id: str) -> str | None:
    """What the undo button would undo on the step (its action's name), or None."""
    sql = "SELECT action FROM undo_log WHERE step_id = ? ORDER BY id DESC LIMIT 1"
    row = conn.execute(sql, (step_id,)).fetchone()
    return None if row is None else str(row[0])


def count_undo(conn: Connection, step_id: str) -> int:
    sql = "SELECT count(*) FROM undo_log WHERE step_id = ?"
    return int(conn.execute(sql, (step_id,)).fetchone()[0])


def drop_undo(conn: Connection, entry_id: int) -> None:
    conn.execute("DELETE FROM undo_log WHERE id = ?", (entry_id,))


def _image(data: dict[str, Any]) -> Image:
    kind = _UNDO_KINDS[data["kind"]]
    before, after = (None if d is None else kind(**d) for d in (data["before"], data["after"]))
    return Image(kind, data["id"], before, after)


def delete_workshop(conn: Connection, workshop_id: str) -> None:
    conn.execute("DELETE FROM change_log WHERE workshop_id = ?", (workshop_id,))
    step_ids = [
        row[0] for row in conn.execute("SELECT id FROM steps WHERE workshop_id = ?", (workshop_id,))
    ]
    for step_id in step_ids:
        _delete(conn, Deleted(Step, step_id))
    conn.execute("DELETE FROM participants WHERE workshop_id = ?", (workshop_id,))
    conn.execute("DELETE FROM topics WHERE workshop_id = ?", (workshop_id,))
    conn.execute(
        "DELETE FROM team_members WHERE team_id IN (SELECT id FROM teams WHERE workshop_id = ?)",
        (workshop_id,),
    )
    conn.execute("DELETE FROM teams WHERE workshop_id = ?", (workshop_id,))
    conn.execute("DELETE FROM workshops WHERE id = ?", (workshop_id,))


def delete_workshops_before(conn: Connection, cutoff: float) -> list[str]:
    """Delete the workshops created before ``cutoff``; their ids."""
    old = [
        row[0] for row in conn.execute("SELECT id FROM workshops WHERE created_at < ?", (cutoff,))
    ]
    for workshop_id in old:
        delete_workshop(conn, workshop_id)
    return old
