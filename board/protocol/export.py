"""A workshop read into the versioned JSON record (``"format": "moderation-board/1"``).

Participants appear under pseudonyms (p1, p2, …). Nicknames are left out
unless the trainer asks for them (``names=True``); so is a participant's group when
the group has fewer members than the workshop's anonymity minimum.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from board import circles
from board.cards import REVEALED_CARDS, Wall
from board.kinds import dots
from board.protocol.record import FORMAT, GONE, TEAM, iso
from board.steps import Step
from board.store import repository
from board.store.database import Connection
from board.teams import SHOWN_TEAM, TEAM_QUESTIONS, TEAMS_REVEALED
from board.topics import Topic
from board.workshops import Participant, Workshop


class _ShortIds:
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

    participant: _ShortIds = field(default_factory=lambda: _ShortIds("p"))
    cluster: _ShortIds = field(default_factory=lambda: _ShortIds("k"))
    card: _ShortIds = field(default_factory=lambda: _ShortIds("c"))
    topic: _ShortIds = field(default_factory=lambda: _ShortIds("t"))
    team: _ShortIds = field(default_factory=lambda: _ShortIds(TEAM))
    gone: _ShortIds = field(default_factory=lambda: _ShortIds(GONE))


def export_record(conn: Connection, workshop_id: str, names: bool = False) -> dict[str, Any]:
    """The workshop as a JSON-ready dict (read inside one transaction)."""
    workshop = repository.workshop_by_id(conn, workshop_id)
    ids = _Ids()
    everyone = repository.participants(conn, workshop_id)
    group_of = _groups_kept(workshop, everyone, names)
    participants = [
        {
            "id": ids.participant(person.id),
            "nickname": person.nickname if names else None,
            "joined_at": iso(person.created_at),
            "group": group_of(person),
        }
        for person in everyone
    ]
    steps = repository.steps(conn, workshop_id)
    walls = {step.id: repository.wall(conn, step.id) for step in steps}
    for team in repository.teams(conn, workshop_id):  # team1 is the first team
        ids.team(team.id)
    for step in steps:  # number clusters and cards in agenda order
        for heading in walls[step.id].ordered_clusters():
            ids.cluster(heading.id)
        for written in walls[step.id].cards:
            ids.card(written.id)
    topics = repository.topics(conn, workshop_id)
    for topic in topics:
        ids.topic(topic.id)
    exported = []
    for step in steps:
        exported.append(_export_step(conn, step, walls[step.id], ids, names))
    places = {step.id: i for i, step in enumerate(steps)}
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
            "groups": [{"id": g.id, "name": g.name} for g in workshop.groups],
            "group_minimum": workshop.group_minimum,
        },
        "participants": participants,
        "steps": exported,
        "topics": [_export_topic(topic, ids, places) for topic in topics],
        "teams": _export_teams(conn, workshop_id, ids),
    }


def _export_teams(conn: Connection, workshop_id: str, ids: _Ids) -> list[dict[str, Any]]:
    """The Kleingruppen in order, each with its members by their record ids (pseudonyms,
    as on cards: who is in which group is no more than who wrote which card)."""
    members = repository.members(conn, workshop_id)
    return [
        {
            "id": ids.team(team.id),
            "name": team.name,
            "colour": team.colour,
            "position": team.position,
            "cap": team.cap,
            "console": ids.participant(team.console_participant_id),
            "members": [ids.participant(m.participant_id) for m in members if m.team_id == team.id],
        }
        for team in repository.teams(conn, workshop_id)
    ]


def _groups_kept(
    workshop: Workshop, everyone: list[Participant], names: bool
) -> Callable[[Participant], str | None]:
    """Who is in which group, as the record may say: all of it with names (personal
    data, like the nicknames); without, nobody of a group with fewer than the minimum
    members, so its few cannot be picked out of the record (None: as if not asked)."""
    members = Counter(person.group_id for person in everyone)
    known = {group.id for group in workshop.groups}

    def group_of(person: Participant) -> str | None:
        group_id = person.group_id
        if not group_id:  # not asked, or "keine Angabe"
            return group_id
        if group_id not in known:  # a group the trainer has since removed
            return None
        return group_id if names or members[group_id] >= workshop.group_minimum else None

    return group_of


def _export_topic(topic: Topic, ids: _Ids, places: dict[str, int]) -> dict[str, Any]:
    """A Themenspeicher topic: where it was parked from names the step by its place on
    the agenda and the card or cluster by its record id (None once they are gone)."""
    origin = None
    if topic.origin is not None:
        short = ids.card if topic.origin == "card" else ids.cluster
        origin = {
            "kind": topic.origin,
            "step": places.get(topic.origin_step_id or ""),
            "ref": short.ids.get(topic.origin_id or ""),
            "text": topic.origin_text,
        }
    return {
        "id": ids.topic(topic.id),
        "title": topic.title,
        "position": topic.position,
        "proposed": topic.proposed,
        "participant": ids.participant(topic.participant_id),
        "origin": origin,
        "dots": topic.dots,
        "rank": topic.rank,
        "ranked_step": places.get(topic.ranked_step_id or ""),
        "created_at": iso(topic.created_at),
    }


def _vote_key(key: str, ids: _Ids, on_clusters: bool, on_topics: bool) -> str | None:
    if on_topics:
        return ids.topic.ids.get(key) or ids.gone(key)
    return ids.cluster.ids.get(key) or (ids.gone(key) if on_clusters else key)


def _rounds(rounds: list[list[list[str]]], ids: _Ids) -> list[list[list[str | None]]]:
    """A SpeedMeet's pairs by the participants' record ids."""
    return [[[ids.participant(a), ids.participant(b)] for a, b in round_] for round_ in rounds]


def _team(team_id: str | None, ids: _Ids) -> str | None:
    """The record id of the team whose wall a card or cluster is on. A team since
    dissolved is no team of the record: its cards count as the plenary's, as the merge
    would bring them there."""
    return ids.team.ids.get(team_id or "")


def _team_config(config: dict[str, Any], ids: _Ids) -> None:
    """A step run in teams names teams by their record ids (a team since dissolved is
    left out: the record has no such team). TEAM_WALLS holds names and texts only."""
    known = ids.team.ids
    if TEAMS_REVEALED in config:
        config[TEAMS_REVEALED] = [known[i] for i in config[TEAMS_REVEALED] if i in known]
    if TEAM_QUESTIONS in config:
        asked = config[TEAM_QUESTIONS].items()
        config[TEAM_QUESTIONS] = {known[i]: q for i, q in asked if i in known}
    if SHOWN_TEAM in config:
        if config[SHOWN_TEAM] in known:
            config[SHOWN_TEAM] = known[config[SHOWN_TEAM]]
        else:
            del config[SHOWN_TEAM]


def _export_step(
    conn: Connection,
    step: Step,
    wall: Wall,
    ids: _Ids,
    names: bool,
) -> dict[str, Any]:
    config = dict(step.config)
    people = repository.people(conn, step.id)
    on_clusters, on_topics = dots.on_clusters(config), dots.on_topics(config)
    if REVEALED_CARDS in config:  # the cards shown one by one, by their record ids
        written = {c.id for c in wall.cards}
        config[REVEALED_CARDS] = [ids.card(i) for i in config[REVEALED_CARDS] if i in written]
    _team_config(config, ids)
    if "rounds" in config:
        config["rounds"] = _rounds(config["rounds"], ids)
    if circles.CIRCLES in config:  # a SpeedMeet in circles: each names its people
        config[circles.CIRCLES] = [
            c
            | {
                "people": [ids.participant(p) for p in c["people"]],
                "rounds": _rounds(c["rounds"], ids),
            }
            for c in config[circles.CIRCLES]
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
                "team": _team(c.team_id, ids),
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
                "team": _team(c.team_id, ids),
            }
            for c in wall.cards
        ],
        "votes": [
            {
                "participant": ids.participant(v.participant_id),
                # A dot on a cluster names the cluster (or, once merged or dissolved,
                # a vanished one); other keys are positions.
                "key": _vote_key(v.key, ids, on_clusters, on_topics),
                "value": v.value,
                "x": v.x,
                "y": v.y,
                "word": v.word,
                "created_at": iso(v.created_at),
                "team": _team(v.team_id, ids),
            }
            for v in repository.votes(conn, step.id)
        ],
        "actions": [
            {
                "participant": ids.participant(a.participant_id),
                "what": a.what,
                "who": a.who,
                "due": a.due,
                "with_whom": a.with_whom,
                "status": a.status,
                "topic": ids.topic.ids.get(a.topic_id or ""),
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
