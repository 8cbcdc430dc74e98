"""From a record back to domain objects: its shape, its ids and what they refer to.

The values themselves are checked in :mod:`board.protocol.validate`; documents
are rendered from a record through :func:`snapshots`.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from board.action_plan import ActionItem
from board.cards import Card, Cluster, Wall
from board.exercises import step_config
from board.pairs import Person
from board.protocol.record import (
    FORMAT,
    GONE,
    ID,
    LARGEST,
    MAX_RECORDS,
    SECTIONS,
    SECTIONS_OF_KIND,
    VERSION,
    ProtocolError,
    epoch,
)
from board.snapshot import Snapshot, source_step
from board.steps import STATES, Step
from board.votes import (
    Vote,
)
from board.workshops import (
    Workshop,
    new_id,
)


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
