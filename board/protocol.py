"""The session protocol: the complete record of a workshop, and the documents made from it.

``export_record`` reads a workshop into the versioned JSON record
(``"format": "moderation-board/1"``, schema in ``schema/``); every other
format — HTML, PDF, Markdown, CSV — is rendered from that record, so what
is imported elsewhere renders the same. ``import_record`` stores a record as
a new workshop in one transaction: nothing is half-imported. Before that,
``restore`` checks its shape and references and ``check`` every value, with
the rules and limits live input keeps (the domain's own functions).

Participants appear under pseudonyms (p1, p2, …). Nicknames are left out
unless the trainer asks for them (``names=True``).
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import count
from typing import Any, Protocol, TypeVar

from board import repository
from board.action_plan import ActionItem, clean_fields
from board.cards import Card, Cluster, Wall, check_colour, clean_heading, clean_text
from board.errors import Refused
from board.exercises import step_config
from board.i18n import translate
from board.pairs import Person, speedmeet_name
from board.snapshot import Snapshot, source_step
from board.steps import STATES, Step, clean_question
from board.votes import (
    MAX_BUDGET,
    Vote,
    check_mood_value,
    check_point,
    check_scale_value,
    check_situation,
    clean_word,
    dots_spent,
    mood_options,
    scale_labels,
    situations,
)
from board.workshops import (
    Participant,
    Workshop,
    clean_nickname,
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


@dataclass(frozen=True)
class _Ids:
    """The record's ids for one export (see ID)."""

    participant: _Names = field(default_factory=lambda: _Names("p"))
    cluster: _Names = field(default_factory=lambda: _Names("k"))
    card: _Names = field(default_factory=lambda: _Names("c"))
    gone: _Names = field(default_factory=lambda: _Names(GONE))


def export_record(
    conn: sqlite3.Connection, workshop_id: str, names: bool = False
) -> dict[str, Any]:
    """The workshop as a JSON-ready dict (read inside one transaction)."""
    workshop = repository.workshop_by_id(conn, workshop_id)
    ids = _Ids()
    participants = [
        {
            "id": ids.participant(person.id),
            "nickname": person.nickname if names else None,
            "joined_at": iso(person.created_at),
        }
        for person in repository.participants(conn, workshop_id)
    ]
    steps = repository.steps(conn, workshop_id)
    walls = {step.id: repository.wall(conn, step.id) for step in steps}
    for step in steps:  # number clusters and cards in agenda order
        for heading in walls[step.id].ordered_clusters():
            ids.cluster(heading.id)
        for written in walls[step.id].cards:
            ids.card(written.id)
    exported = []
    for step in steps:
        exported.append(_export_step(conn, step, walls[step.id], ids, names))
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
    ids: _Ids,
    names: bool,
) -> dict[str, Any]:
    config = dict(step.config)
    people = repository.people(conn, step.id)
    on_clusters = step.kind == "dots" and config.get("options_from") == "clusters"
    if "rounds" in config:
        config["rounds"] = [
            [[ids.participant(a), ids.participant(b)] for a, b in round_]
            for round_ in config["rounds"]
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
                "id": ids.cluster(c.id),
                "heading": c.heading,
                "position": c.position,
                "created_at": iso(c.created_at),
            }
            for c in wall.ordered_clusters()
        ],
        "cards": [
            {
                "id": ids.card(c.id),
                "participant": ids.participant(c.participant_id),
                "text": c.text,
                "colour": c.colour,
                "cluster": ids.cluster(c.cluster_id),
                "stacked_on": ids.card(c.stacked_on),
                "position": c.position,
                "edited": c.edited,
                "created_at": iso(c.created_at),
            }
            for c in wall.cards
        ],
        "votes": [
            {
                "participant": ids.participant(v.participant_id),
                # A dot on a cluster names the cluster (or, once merged or dissolved,
                # a vanished one); other keys are positions.
                "key": ids.cluster.ids.get(v.key) or (ids.gone(v.key) if on_clusters else v.key),
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
                "participant": ids.participant(a.participant_id),
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
                "participant": ids.participant(p.participant_id),
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
    if not re.fullmatch(r"[0-9]{1,9}", version):
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


def restore(record: Any, make_id: Callable[[str], str], code: str = "") -> Restored:
    """Domain objects from a record; ``make_id`` turns a record's id into ours.

    Checks the shape, the kinds and that every id is well formed, unique and
    resolves; the values themselves are checked by :func:`check` (an export of
    what is stored renders even where a rule has since become stricter)."""
    record = _check_format(record)
    meta = _get(record, "workshop", dict, "")
    workshop_id = make_id("workshop")
    raw_steps = _get(record, "steps", list, "")
    if not raw_steps:
        raise ProtocolError("steps: a workshop needs at least one step")
    _check_size(raw_steps, _get(record, "participants", list, ""))
    participants = [
        (
            make_id(_id(p, "id", "p", f"participants[{i}]")),
            _text_or_none(p, "nickname", f"participants[{i}]"),
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
    dots_on_clusters: list[tuple[str, str, str]] = []  # our key, where, the record's key
    for i, raw in enumerate(raw_steps):
        where = f"steps[{i}]"
        kind = _get(raw, "kind", str, where)
        try:
            config = step_config(kind, raw.get("config", {}), where)
        except ValueError as error:
            raise ProtocolError(str(error)) from None
        if "rounds" in config:
            config["rounds"] = _rounds(config["rounds"], who, f"{where}.config.rounds")
        state = _get(raw, "state", str, where)
        if state not in STATES:
            raise ProtocolError(f"{where}.state: expected open or closed")
        step = Step(
            make_id(f"step{i}"),
            workshop_id,
            i,
            kind,
            _get(raw, "question", str, where),
            state,
            bool(_get(raw, "hidden", bool, where)),
            bool(_get(raw, "revealed", bool, where)),
            config,
        )
        steps.append(step)
        _check_sections(raw, kind, where)
        for j, c in enumerate(_items(raw, "clusters", where)):
            w = f"{where}.clusters[{j}]"
            clusters.append(
                Cluster(
                    make_id(_id(c, "id", "k", w)),
                    step.id,
                    _get(c, "heading", str, w),
                    _get(c, "position", int, w),
                    epoch(c.get("created_at"), f"{w}.created_at"),
                )
            )
        for j, c in enumerate(_items(raw, "cards", where)):
            w = f"{where}.cards[{j}]"
            cluster_ref = _optional_id(c, "cluster", "k", w)
            stacked = _optional_id(c, "stacked_on", "c", w)
            cards.append(
                Card(
                    make_id(_id(c, "id", "c", w)),
                    step.id,
                    who(c.get("participant"), f"{w}.participant"),
                    None,
                    _get(c, "text", str, w),
                    _get(c, "colour", str, w),
                    make_id(cluster_ref) if cluster_ref is not None else None,
                    make_id(stacked) if stacked is not None else None,
                    _get(c, "position", int, w),
                    bool(_get(c, "edited", bool, w)) if "edited" in c else False,
                    epoch(c.get("created_at"), f"{w}.created_at"),
                )
            )
        for j, v in enumerate(_items(raw, "votes", where)):
            w = f"{where}.votes[{j}]"
            key = _get(v, "key", str, w)
            if kind == "dots" and config.get("options_from") == "clusters":
                if not (ID["k"].fullmatch(key) or ID[GONE].fullmatch(key)):
                    raise ProtocolError(f"{w}.key: expected a cluster (k…) or {GONE}…, not {key!r}")
                dots_on_clusters.append((make_id(key), f"{w}.key", key))
                key = make_id(key)
            value = v.get("value")
            if value is not None:
                value = _get(v, "value", int, w)
            votes.append(
                Vote(
                    new_id(),
                    step.id,
                    who(_get(v, "participant", str, w), f"{w}.participant") or "",
                    key,
                    value,
                    _number(v, "x", w),
                    _number(v, "y", w),
                    _text_or_none(v, "word", w),
                    epoch(v.get("created_at"), f"{w}.created_at"),
                )
            )
        for j, a in enumerate(_items(raw, "actions", where)):
            w = f"{where}.actions[{j}]"
            actions.append(
                ActionItem(
                    new_id(),
                    step.id,
                    who(a.get("participant"), f"{w}.participant"),
                    _get(a, "what", str, w),
                    _get(a, "who", str, w) if "who" in a else "",
                    _get(a, "due", str, w) if "due" in a else "",
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
                    who(_get(p, "participant", str, w), f"{w}.participant") or "",
                    _get(p, "nickname", str, w),
                    epoch(p.get("joined_at"), f"{w}.joined_at"),
                    epoch(left, f"{w}.left_at") if left is not None else None,
                )
            )
    _check_references(steps, clusters, cards)
    _check_dots_on_clusters(dots_on_clusters, clusters)
    _check_unique_people(people, steps)
    cards = _flat_stacks(cards)
    active = meta.get("active_step", 0)
    if isinstance(active, bool) or not isinstance(active, int) or not 0 <= active < len(steps):
        raise ProtocolError(f"workshop.active_step: {active!r} is not a step (0–{len(steps) - 1})")
    workshop = Workshop(
        workshop_id,
        code,
        _get(meta, "title", str, "workshop"),
        new_id() + new_id(),
        steps[active].id,
        0,
        epoch(meta.get("created_at"), "workshop.created_at"),
    )
    return Restored(workshop, participants, steps, clusters, cards, votes, actions, people)


# The ids of a record: p1 for a participant, k1 for a cluster, c1 for a card; a dot on a
# cluster since merged or dissolved keeps a key of its own (gone1), and counts for nothing.
GONE = "gone"
ID = {prefix: re.compile(prefix + r"[0-9]{1,9}") for prefix in ("p", "k", "c", GONE)}

# Which sections each kind has; the others stay empty (no command can fill them).
SECTIONS_OF_KIND = {
    "cards": {"clusters", "cards"},
    "scale": {"clusters", "votes"},
    "grid": {"clusters", "votes"},
    "dots": {"clusters", "votes"},
    "mood": {"clusters", "votes"},
    "pairs": {"clusters", "people"},
    "actions": {"clusters", "actions"},
}


def _id(data: Any, key: str, prefix: str, where: str) -> str:
    value = _get(data, key, str, where)
    if not ID[prefix].fullmatch(value):
        raise ProtocolError(f"{where}.{key}: expected an id like {prefix}1, not {value!r}")
    return str(value)


def _optional_id(data: dict[str, Any], key: str, prefix: str, where: str) -> str | None:
    return None if data.get(key) is None else _id(data, key, prefix, where)


def _text_or_none(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ProtocolError(f"{where}.{key}: wrong type")
    return value


def _check_sections(raw: dict[str, Any], kind: str, where: str) -> None:
    """Cards on a cards step only, votes on a voting step, and so on. Clusters may be
    anywhere: the console makes them on whatever step is on screen."""
    for section in SECTIONS:
        if section not in SECTIONS_OF_KIND[kind] and raw.get(section):
            raise ProtocolError(f"{where}.{section}: a {kind} step has none")


def _rounds(
    rounds: list[list[list[str]]], who: Callable[[Any, str], str | None], where: str
) -> list[list[list[str | None]]]:
    """A SpeedMeet's rounds by our ids: pairs of two people, each at one table a round."""
    ours: list[list[list[str | None]]] = []
    for r, round_ in enumerate(rounds):
        seated: set[str | None] = set()
        tables = []
        for a, b in round_:
            pair = [who(a, f"{where}[{r}]"), who(b, f"{where}[{r}]")]
            if pair[0] == pair[1] or seated & set(pair):
                raise ProtocolError(f"{where}[{r}]: someone sits at two tables or meets themself")
            seated |= set(pair)
            tables.append(pair)
        ours.append(tables)
    return ours


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


def _check_dots_on_clusters(keys: list[tuple[str, str, str]], clusters: list[Cluster]) -> None:
    """A dot names a cluster that is there (of any step: the agenda may have been
    reordered since), or one since merged or dissolved."""
    there = {c.id for c in clusters}
    for ours, where, theirs in keys:
        if ID["k"].fullmatch(theirs) and ours not in there:
            raise ProtocolError(f"{where}: unknown cluster {theirs!r}")


def _check_unique_people(people: list[Person], steps: list[Step]) -> None:
    seen: set[tuple[str, str]] = set()
    for where, person in _places(people, steps, "people"):
        if (person.step_id, person.participant_id) in seen:
            raise ProtocolError(f"{where}.participant: takes part in this SpeedMeet twice")
        seen.add((person.step_id, person.participant_id))


class _OnAStep(Protocol):
    @property
    def step_id(self) -> str: ...


OnAStep = TypeVar("OnAStep", bound=_OnAStep)


def _places(
    items: Iterable[OnAStep], steps: Sequence[Step], section: str
) -> Iterator[tuple[str, OnAStep]]:
    """Each item with the place it had in the record (steps[2].votes[5]): restored items
    keep the record's order within their step."""
    index = {step.id: step.position for step in steps}
    counted = Counter[str]()
    for item in items:
        yield f"steps[{index[item.step_id]}].{section}[{counted[item.step_id]}]", item
        counted[item.step_id] += 1


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


# -- the values: the rules live input keeps -----------------------------------------
T = TypeVar("T")


def _obey(where: str, rule: Callable[..., T], *args: Any, problem: str = "") -> T:
    """Apply a domain rule to an imported value; a refusal names the field at fault."""
    try:
        return rule(*args)
    except Refused as refused:
        raise ProtocolError(
            f"{where}: {problem or translate('en', refused.key, **refused.params)}"
        ) from None


def check(restored: Restored, card_max_length: int) -> Restored:
    """Check every value against the rules and limits live input keeps (the domain's
    own functions), and clean it as they do. Raises ProtocolError naming the field."""
    steps = [_checked_step(step, f"steps[{step.position}]") for step in restored.steps]
    checked = replace(restored, steps=steps)
    return replace(
        checked,
        workshop=replace(
            restored.workshop, title=_obey("workshop.title", clean_title, restored.workshop.title)
        ),
        participants=[
            (
                pid,
                None
                if name is None
                else _obey(f"participants[{i}].nickname", clean_nickname, name),
                joined,
            )
            for i, (pid, name, joined) in enumerate(restored.participants)
        ],
        clusters=[
            replace(c, heading=_obey(f"{where}.heading", clean_heading, c.heading))
            for where, c in _places(restored.clusters, steps, "clusters")
        ],
        cards=[
            replace(
                c,
                text=_obey(f"{where}.text", clean_text, c.text, card_max_length),
                colour=_obey(
                    f"{where}.colour",
                    check_colour,
                    c.colour,
                    problem=f"unknown colour {c.colour!r}",
                ),
            )
            for where, c in _places(restored.cards, steps, "cards")
        ],
        votes=_checked_votes(checked),
        actions=[
            _checked_action(a, where) for where, a in _places(restored.actions, steps, "actions")
        ],
        people=[
            replace(p, nickname=_obey(f"{where}.nickname", speedmeet_name, p.nickname))
            for where, p in _places(restored.people, steps, "people")
        ],
    )


def _checked_action(item: ActionItem, where: str) -> ActionItem:
    what, who, due = _obey(where, clean_fields, item.what, item.who, item.due)
    return replace(item, what=what, who=who, due=due)


def _checked_step(step: Step, where: str) -> Step:
    if step.hidden and not step.hideable:
        raise ProtocolError(f"{where}.hidden: a {step.kind} step cannot be hidden")
    return replace(step, question=_obey(f"{where}.question", clean_question, step.question))


# The fields each kind of vote has (the others stay empty), the first ones required.
VOTE_FIELDS = {
    "scale": ("value",),
    "mood": ("value", "word"),
    "grid": ("x", "y"),
    "dots": ("value",),
}


def _checked_votes(restored: Restored) -> list[Vote]:
    steps = {step.id: step for step in restored.steps}
    dots = {step.id: _DotRules.of(restored, step) for step in steps.values() if step.kind == "dots"}
    cast: set[tuple[str, str, str]] = set()
    checked = []
    for where, vote in _places(restored.votes, restored.steps, "votes"):
        step = steps[vote.step_id]
        fields = VOTE_FIELDS[step.kind]
        for name in ("value", "x", "y", "word"):
            if name not in fields and getattr(vote, name) is not None:
                raise ProtocolError(f"{where}.{name}: a {step.kind} vote has none")
        for name in fields[:2] if step.kind == "grid" else fields[:1]:
            if getattr(vote, name) is None:
                raise ProtocolError(f"{where}.{name}: missing")
        if (vote.step_id, vote.participant_id, vote.key) in cast:
            raise ProtocolError(f"{where}: the same participant votes twice on {vote.key!r}")
        cast.add((vote.step_id, vote.participant_id, vote.key))
        if step.kind == "dots":
            dots[step.id].check(vote, where)
            checked.append(vote)
        else:
            checked.append(_checked_vote(step, vote, where))
    return checked


def _checked_vote(step: Step, vote: Vote, where: str) -> Vote:
    """A scale, mood or grid vote: what the phone's command would have stored."""
    value = vote.value or 0
    if step.kind == "grid":
        if not re.fullmatch(r"0|[1-9][0-9]?", vote.key):
            raise ProtocolError(f"{where}.key: expected a situation number, not {vote.key!r}")
        last = len(situations(step)) - 1
        _obey(
            f"{where}.key",
            check_situation,
            step,
            int(vote.key),
            problem=f"{vote.key} is outside 0–{last}",
        )
        assert vote.x is not None and vote.y is not None
        x, y = _obey(
            where, check_point, vote.x, vote.y, problem=f"({vote.x}, {vote.y}) is outside -1–1"
        )
        return replace(vote, x=x, y=y)
    if vote.key:
        raise ProtocolError(f"{where}.key: a {step.kind} vote has an empty key")
    if step.kind == "scale":
        last = len(scale_labels(step)) - 1
        _obey(
            f"{where}.value", check_scale_value, step, value, problem=f"{value} is outside 0–{last}"
        )
        return vote
    last = len(mood_options(step)) - 1
    _obey(f"{where}.value", check_mood_value, step, value, problem=f"{value} is outside 0–{last}")
    word = _obey(f"{where}.word", clean_word, step, vote.word) if vote.word else None
    return replace(vote, word=word)


@dataclass(frozen=True)
class _DotRules:
    """Dots on an option, within what the step can have given. Its budget may have been
    higher while people voted (the console changes it, and clusters come and go), so
    the bound is the most a step can give, unless the exercise fixed a per-option limit.
    Dots on a cluster no longer offered count for nothing, as on the board."""

    offered: frozenset[str]
    on_clusters: bool
    most: int
    per_option: int
    spent: dict[str, int]

    @classmethod
    def of(cls, restored: Restored, step: Step) -> _DotRules:
        snap = _snapshot(restored, step)
        options = snap.options("de")
        most = max(MAX_BUDGET, snap.dot_budget())
        mine: dict[str, list[Vote]] = {}
        for vote in snap.votes:
            mine.setdefault(vote.participant_id, []).append(vote)
        return cls(
            frozenset(option.id for option in options),
            step.config.get("options_from") == "clusters",
            most,
            snap.per_option_limit() if "max_per_option" in step.config else most,
            {who: dots_spent(options, theirs) for who, theirs in mine.items()},
        )

    def check(self, vote: Vote, where: str) -> None:
        if not self.on_clusters and vote.key not in self.offered:
            last = len(self.offered) - 1
            raise ProtocolError(f"{where}.key: {vote.key!r} is not an option (0–{last})")
        if not 1 <= (vote.value or 0) <= self.per_option:
            raise ProtocolError(f"{where}.value: {vote.value} is outside 1–{self.per_option}")
        if self.spent[vote.participant_id] > self.most:
            raise ProtocolError(f"{where}: this participant spends more than {self.most} dots")


def prepare(record: Any, card_max_length: int) -> Restored:
    """Check ``record`` and turn it into new objects with new ids (no database needed:
    a large file is checked off the writer thread)."""
    ids: dict[str, str] = {}

    def make_id(old: str) -> str:
        if old not in ids:
            ids[old] = new_id()
        return ids[old]

    return check(restore(record, make_id), card_max_length)


def store(conn: sqlite3.Connection, restored: Restored) -> Workshop:
    """Store a prepared record as a new workshop with a new code (one transaction)."""
    code = new_join_code()
    while repository.code_taken(conn, code):
        code = new_join_code()
    workshop = replace(restored.workshop, code=code)
    repository.insert_workshop(conn, workshop, restored.steps)
    for pid, nickname, joined in restored.participants:
        repository.insert_participant(conn, Participant(pid, workshop.id, nickname, joined))
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
def snapshots(record: dict[str, Any]) -> Iterator[Snapshot]:
    """One snapshot per step, in agenda order, built from the record alone."""
    restored = restore(record, lambda old: old, str(record["workshop"]["code"]))
    for step in restored.steps:
        yield _snapshot(restored, step)


def _snapshot(restored: Restored, step: Step) -> Snapshot:
    all_steps = tuple(restored.steps)
    wall = Wall(
        step,
        tuple(c for c in restored.cards if c.step_id == step.id),
        tuple(c for c in restored.clusters if c.step_id == step.id),
    )
    source = None
    if step.kind == "dots" and step.config.get("options_from") == "clusters":
        found = source_step(all_steps, step)
        if found is not None:
            source = Wall(found, (), tuple(c for c in restored.clusters if c.step_id == found.id))
    return Snapshot(
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
