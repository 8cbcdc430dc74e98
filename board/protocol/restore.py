"""From a record back to domain objects: its shape, its ids and what they refer to.

The values themselves are checked in :mod:`board.protocol.validate`; documents
are rendered from a record through :func:`snapshots`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from board import kinds
from board.action_plan import ActionItem
from board.cards import REVEALED_CARDS, Card, Cluster, Wall
from board.circles import CIRCLES
from board.exercises import step_config
from board.groups import MINIMUM, Group
from board.kinds import dots
from board.pairs import Person
from board.protocol.record import (
    GONE,
    ID,
    LARGEST,
    SECTIONS,
    ProtocolError,
    epoch,
)
from board.snapshot import Snapshot, source_step, with_split
from board.steps import Step
from board.teams import IN_TEAMS, SHOWN_TEAM, TEAM_QUESTIONS, TEAMS_REVEALED, Member, Team
from board.teams import sizes as team_sizes
from board.topics import Topic
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
    participants: list[tuple[str, str | None, float, str | None]]  # id, nickname, joined, group
    steps: list[Step]
    clusters: list[Cluster]
    cards: list[Card]
    votes: list[Vote]
    actions: list[ActionItem]
    people: list[Person]
    # The Themenspeicher (none in a protocol made before it existed).
    topics: list[Topic] = field(default_factory=list)
    # The Kleingruppen and who is in which (none in a protocol made before them).
    teams: list[Team] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)


@dataclass(frozen=True)
class _Ids:
    """A record's ids turned into ours, and who took part (for the references)."""

    make_id: Callable[[str], str]
    known: frozenset[str]

    def of(self, value: str | None) -> str | None:
        return None if value is None else self.make_id(value)

    def who(self, value: str | None, where: str) -> str | None:
        if value is not None and self.make_id(value) not in self.known:
            raise ProtocolError(f"{where}: unknown participant {value!r}")
        return self.of(value)


def restore(record: dict[str, Any], make_id: Callable[[str], str], code: str = "") -> Restored:
    """Domain objects from a record of the schema's shape (see :mod:`.shape`);
    ``make_id`` turns a record's id into ours.

    Checks what the schema cannot say: that every id is unique and resolves, which
    sections each kind has, stacks without a circle. The values themselves are checked
    by :func:`check` (an export of what is stored renders even where a rule has since
    become stricter)."""
    participants = _participants(record["participants"], make_id)
    ids = _Ids(make_id, frozenset(pid for pid, *_ in participants))
    workshop_id = make_id("workshop")
    raw_steps = record["steps"]
    steps = [_step(raw, i, workshop_id, ids) for i, raw in enumerate(raw_steps)]
    clusters, cards, votes, actions, people = [], [], [], [], []
    dots_on_clusters: list[tuple[str, str, str]] = []  # our key, where, the record's key
    dots_on_topics: list[tuple[str, str, str]] = []
    raw_topics = record.get("topics", [])  # absent in protocols made before it existed
    for step, raw in zip(steps, raw_steps, strict=True):
        where = f"steps[{step.position}]"
        _check_sections(raw, step.kind, where)
        clusters += [
            _cluster(c, step, ids, f"{where}.clusters[{j}]") for j, c in _each(raw, "clusters")
        ]
        cards += [_card(c, step, ids, f"{where}.cards[{j}]") for j, c in _each(raw, "cards")]
        _check_revealed(step, cards, where)
        votes += [
            _vote(v, step, ids, f"{where}.votes[{j}]", dots_on_clusters, dots_on_topics)
            for j, v in _each(raw, "votes")
        ]
        actions += [
            _action(a, step, ids, f"{where}.actions[{j}]") for j, a in _each(raw, "actions")
        ]
        people += [_person(p, step, ids, f"{where}.people[{j}]") for j, p in _each(raw, "people")]
    _check_references(steps, clusters, cards)
    _check_dots_on_clusters(dots_on_clusters, clusters)
    _check_unique_people(people, steps)
    workshop = _workshop(record["workshop"], workshop_id, code, steps)
    topics = [_topic(t, workshop_id, steps, ids, f"topics[{j}]") for j, t in enumerate(raw_topics)]
    _check_topic_references(topics, actions, dots_on_topics, clusters, cards)
    teams, members = _teams(record.get("teams", []), workshop_id, ids)
    _check_team_names(raw_steps, teams, make_id)
    _check_team_walls(steps, clusters, cards)
    return Restored(
        workshop,
        participants,
        steps,
        clusters,
        _flat_stacks(cards),
        votes,
        actions,
        people,
        topics,
        teams,
        members,
    )


def _teams(
    raw: list[dict[str, Any]], workshop_id: str, ids: _Ids
) -> tuple[list[Team], list[Member]]:
    """The Kleingruppen: each id once, each participant in one team at most, and the
    group console held by one of the team's own members."""
    teams: list[Team] = []
    members: list[Member] = []
    placed: set[str] = set()
    for i, t in enumerate(raw):
        where = f"teams[{i}]"
        team_id = ids.make_id(t["id"])
        if any(team.id == team_id for team in teams):
            raise ProtocolError(f"{where}.id: the same team id twice")
        inside = []
        for j, member in enumerate(t["members"]):
            person = ids.who(member, f"{where}.members[{j}]")
            assert person is not None  # the schema's pattern: never null
            if person in placed:
                raise ProtocolError(f"{where}.members[{j}]: {member!r} is in two teams")
            placed.add(person)
            inside.append(person)
        console = ids.who(t["console"], f"{where}.console")
        if console is not None and console not in inside:
            raise ProtocolError(f"{where}.console: {t['console']!r} is not in this team")
        teams.append(
            Team(
                team_id, workshop_id, t["name"], t["colour"], _position(t, where), t["cap"], console
            )
        )
        members += [Member(team_id, person) for person in inside]
    return teams, members


def _team_names(raw_steps: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """Where the record names a team on its steps, and the id it names."""
    for i, raw in enumerate(raw_steps):
        for section in ("clusters", "cards", "votes"):
            for j, item in _each(raw, section):
                if item.get("team") is not None:
                    yield f"steps[{i}].{section}[{j}].team", item["team"]
        config, where = raw["config"], f"steps[{i}].config"
        for k, team in enumerate(config.get(TEAMS_REVEALED, ())):
            yield f"{where}.{TEAMS_REVEALED}[{k}]", team
        for team in config.get(TEAM_QUESTIONS, {}):
            yield f"{where}.{TEAM_QUESTIONS}", team
        if SHOWN_TEAM in config:
            yield f"{where}.{SHOWN_TEAM}", config[SHOWN_TEAM]


def _check_team_names(
    raw_steps: list[dict[str, Any]], teams: list[Team], make_id: Callable[[str], str]
) -> None:
    """Every team a step names is one of the record's teams."""
    known = {team.id for team in teams}
    for where, team in _team_names(raw_steps):
        if make_id(team) not in known:
            raise ProtocolError(f"{where}: unknown team {team!r}")


def _check_team_walls(steps: list[Step], clusters: list[Cluster], cards: list[Card]) -> None:
    """A card or cluster is on a team's wall only while its step runs in teams, and a
    card on the same wall as its cluster and the card it is stacked on (as the group
    console keeps them: it sees its own team's wall alone)."""
    in_teams = {step.id for step in steps if step.config.get(IN_TEAMS)}
    team_of = {c.id: c.team_id for c in clusters} | {c.id: c.team_id for c in cards}
    placed: list[tuple[str, Cluster | Card]] = [
        *_places(clusters, steps, "clusters"),
        *_places(cards, steps, "cards"),
    ]
    for where, item in placed:
        if item.team_id is not None and item.step_id not in in_teams:
            raise ProtocolError(f"{where}.team: the step does not run in teams")
    for where, card in _places(cards, steps, "cards"):
        for field_, other in (("cluster", card.cluster_id), ("stacked_on", card.stacked_on)):
            if other is not None and team_of.get(other, card.team_id) != card.team_id:
                raise ProtocolError(f"{where}.{field_}: on another team's wall")


def _topic(t: dict[str, Any], workshop_id: str, steps: list[Step], ids: _Ids, where: str) -> Topic:
    origin = t["origin"] or {}
    return Topic(
        ids.make_id(t["id"]),
        workshop_id,
        t["title"],
        _position(t, where),
        epoch(t["created_at"], f"{where}.created_at"),
        proposed=t["proposed"],
        participant_id=ids.who(t["participant"], f"{where}.participant"),
        origin_step_id=_step_at(steps, origin.get("step"), f"{where}.origin.step"),
        origin=origin.get("kind"),
        origin_id=ids.of(origin.get("ref")),
        origin_text=origin.get("text", ""),
        dots=t["dots"],
        rank=t["rank"],
        ranked_step_id=_step_at(steps, t["ranked_step"], f"{where}.ranked_step"),
    )


def _step_at(steps: list[Step], index: int | None, where: str) -> str | None:
    if index is None:
        return None
    if index >= len(steps):
        raise ProtocolError(f"{where}: {index} is not a step (0–{len(steps) - 1})")
    return steps[index].id


def _check_topic_references(
    topics: list[Topic],
    actions: list[ActionItem],
    dots_on_topics: list[tuple[str, str, str]],
    clusters: list[Cluster],
    cards: list[Card],
) -> None:
    """Each topic once; what names a topic (a dot, a row of a plan) names one that is
    there; a parked card or cluster is one of the record's (or gone: None)."""
    there = {t.id for t in topics}
    if len(there) != len(topics):
        raise ProtocolError("topics: the same topic id twice")
    for ours, where, theirs in dots_on_topics:
        if ID["t"].fullmatch(theirs) and ours not in there:
            raise ProtocolError(f"{where}: unknown topic {theirs!r}")
    for action in actions:
        if action.topic_id is not None and action.topic_id not in there:
            raise ProtocolError("actions: a row names a topic that is not there")
    parked = {c.id for c in cards} | {c.id for c in clusters}
    for topic in topics:
        if topic.origin_id is not None and topic.origin_id not in parked:
            raise ProtocolError("topics: a topic names a card or cluster that is not there")


def _check_revealed(step: Step, cards: list[Card], where: str) -> None:
    """The cards a step showed one by one are cards of that step."""
    own = {c.id for c in cards if c.step_id == step.id}
    for i, card_id in enumerate(step.config.get(REVEALED_CARDS, ())):
        if card_id not in own:
            raise ProtocolError(f"{where}.config.{REVEALED_CARDS}[{i}]: not a card of this step")


def _each(raw: dict[str, Any], section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    return enumerate(raw[section])


def _participants(
    raw: list[dict[str, Any]], make_id: Callable[[str], str]
) -> list[tuple[str, str | None, float, str | None]]:
    participants = [
        (
            make_id(p["id"]),
            p["nickname"],
            epoch(p["joined_at"], f"participants[{i}].joined_at"),
            p.get("group"),  # records before participant groups have none
        )
        for i, p in enumerate(raw)
    ]
    if len({pid for pid, *_ in participants}) != len(participants):
        raise ProtocolError("participants: the same id twice")
    return participants


def _workshop(meta: dict[str, Any], workshop_id: str, code: str, steps: list[Step]) -> Workshop:
    active = meta["active_step"]
    if active >= len(steps):
        raise ProtocolError(f"workshop.active_step: {active!r} is not a step (0–{len(steps) - 1})")
    return Workshop(
        workshop_id,
        code,
        meta["title"],
        new_id() + new_id(),
        steps[int(active)].id,
        0,
        epoch(meta["created_at"], "workshop.created_at"),
        groups=tuple(Group(g["id"], g["name"]) for g in meta.get("groups", [])),
        group_minimum=meta.get("group_minimum", MINIMUM),
    )


def _step(raw: dict[str, Any], position: int, workshop_id: str, ids: _Ids) -> Step:
    where = f"steps[{position}]"
    try:
        config = step_config(raw["kind"], raw["config"], where)
    except ValueError as error:
        raise ProtocolError(str(error)) from None
    if "rounds" in config:
        config["rounds"] = _rounds(config["rounds"], ids.who, f"{where}.config.rounds")
    if CIRCLES in config:
        config[CIRCLES] = _circles(config[CIRCLES], ids.who, f"{where}.config.{CIRCLES}")
    if REVEALED_CARDS in config:  # checked against the step's cards in _check_revealed
        config[REVEALED_CARDS] = [ids.make_id(card) for card in config[REVEALED_CARDS]]
    # A step run in teams names them (checked against the teams in _check_team_names).
    if TEAMS_REVEALED in config:
        config[TEAMS_REVEALED] = [ids.make_id(team) for team in config[TEAMS_REVEALED]]
    if TEAM_QUESTIONS in config:
        asked = config[TEAM_QUESTIONS].items()
        config[TEAM_QUESTIONS] = {ids.make_id(team): q for team, q in asked}
    if SHOWN_TEAM in config:
        config[SHOWN_TEAM] = ids.make_id(config[SHOWN_TEAM])
    return Step(
        ids.make_id(f"step{position}"),
        workshop_id,
        position,
        raw["kind"],
        raw["question"],
        raw["state"],
        raw["hidden"],
        raw["revealed"],
        config,
    )


def _position(data: dict[str, Any], where: str) -> int:
    """Where a thing sits; beyond LARGEST no real workshop's (nor SQLite's 64 bits)."""
    if abs(data["position"]) > LARGEST:
        raise ProtocolError(f"{where}.position: out of range")
    return int(data["position"])


def _cluster(c: dict[str, Any], step: Step, ids: _Ids, where: str) -> Cluster:
    return Cluster(
        ids.make_id(c["id"]),
        step.id,
        c["heading"],
        _position(c, where),
        epoch(c["created_at"], f"{where}.created_at"),
        ids.of(c.get("team")),  # absent in protocols made before small groups
    )


def _card(c: dict[str, Any], step: Step, ids: _Ids, where: str) -> Card:
    return Card(
        ids.make_id(c["id"]),
        step.id,
        ids.who(c["participant"], f"{where}.participant"),
        None,
        c["text"],
        c["colour"],
        ids.of(c["cluster"]),
        ids.of(c["stacked_on"]),
        _position(c, where),
        c["edited"],
        epoch(c["created_at"], f"{where}.created_at"),
        ids.of(c.get("team")),
    )


def _vote(
    v: dict[str, Any],
    step: Step,
    ids: _Ids,
    where: str,
    dots_on_clusters: list[tuple[str, str, str]],
    dots_on_topics: list[tuple[str, str, str]],
) -> Vote:
    key = v["key"]
    if dots.on_clusters(step.config):
        key = _dots_key(key, ids, f"{where}.key", dots_on_clusters, "k", "cluster")
    elif dots.on_topics(step.config):
        key = _dots_key(key, ids, f"{where}.key", dots_on_topics, "t", "topic")
    return Vote(
        new_id(),
        step.id,
        ids.who(v["participant"], f"{where}.participant") or "",
        key,
        v["value"],
        _float(v["x"]),
        _float(v["y"]),
        v["word"],
        epoch(v["created_at"], f"{where}.created_at"),
        ids.of(v.get("team")),  # the voter's team on a step run in teams
    )


def _dots_key(
    key: str, ids: _Ids, where: str, found: list[tuple[str, str, str]], prefix: str, what: str
) -> str:
    """A dot on a cluster (k…) or a topic (t…) names it, or one since gone (gone…)."""
    if not (ID[prefix].fullmatch(key) or ID[GONE].fullmatch(key)):
        raise ProtocolError(f"{where}: expected a {what} ({prefix}…) or {GONE}…, not {key!r}")
    found.append((ids.make_id(key), where, key))
    return ids.make_id(key)


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _action(a: dict[str, Any], step: Step, ids: _Ids, where: str) -> ActionItem:
    return ActionItem(
        new_id(),
        step.id,
        ids.who(a["participant"], f"{where}.participant"),
        a["what"],
        a["who"],
        a["due"],
        _position(a, where),
        epoch(a["created_at"], f"{where}.created_at"),
        # Absent in protocols made before the Maßnahmenplan had them.
        a.get("with_whom", ""),
        a.get("status", "open"),
        ids.of(a.get("topic")),
    )


def _person(p: dict[str, Any], step: Step, ids: _Ids, where: str) -> Person:
    left = p["left_at"]
    return Person(
        step.id,
        ids.who(p["participant"], f"{where}.participant") or "",
        p["nickname"],
        epoch(p["joined_at"], f"{where}.joined_at"),
        epoch(left, f"{where}.left_at") if left is not None else None,
    )


def _check_sections(raw: dict[str, Any], kind: str, where: str) -> None:
    """Cards on a cards step only, votes on a voting step, and so on. Clusters may be
    anywhere: the console makes them on whatever step is on screen."""
    for section in SECTIONS:
        if section not in kinds.of(kind).sections and raw.get(section):
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


def _circles(
    raw: list[dict[str, Any]], who: Callable[[Any, str], str | None], where: str
) -> list[dict[str, Any]]:
    """A SpeedMeet's circles by our ids: each sits only its own people, at tables of its
    own (no table number in two circles), one table per pair of a round."""
    ours: list[dict[str, Any]] = []
    placed: set[str | None] = set()
    tables_used: set[int] = set()
    for i, circle in enumerate(raw):
        at = f"{where}[{i}]"
        people = [who(p, f"{at}.people") for p in circle["people"]]
        if None in people or len(set(people)) != len(people) or placed & set(people):
            raise ProtocolError(f"{at}.people: someone is in no circle or in two")
        placed |= set(people)
        rounds = _rounds(circle["rounds"], who, f"{at}.rounds")
        if not {p for round_ in rounds for pair in round_ for p in pair} <= set(people):
            raise ProtocolError(f"{at}.rounds: someone meets in a circle they are not in")
        tables = circle["tables"]
        if len(set(tables)) != len(tables) or tables_used & set(tables):
            raise ProtocolError(f"{at}.tables: a table number twice")
        if any(len(round_) > len(tables) for round_ in rounds):
            raise ProtocolError(f"{at}.tables: fewer tables than pairs in a round")
        tables_used |= set(tables)
        ours.append({"people": people, "rounds": rounds, "tables": list(tables)})
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
    if dots.on_clusters(step.config):
        found = source_step(all_steps, step)
        if found is not None:
            source = Wall(found, (), tuple(c for c in restored.clusters if c.step_id == found.id))
    group_of = {pid: group for pid, _, _, group in restored.participants if group}
    return with_split(
        Snapshot(
            workshop=restored.workshop,
            steps=all_steps,
            wall=wall,
            source=source,
            votes=tuple(v for v in restored.votes if v.step_id == step.id),
            actions=tuple(a for a in restored.actions if a.step_id == step.id),
            people=tuple(p for p in restored.people if p.step_id == step.id),
            participants=len(restored.participants),
            now=time.time(),
            group_of=group_of,
            # Present only in a record exported with names (a Blitzlicht's protocol shows them).
            nicknames={pid: name for pid, name, _, _ in restored.participants if name},
            topics=tuple(restored.topics),
            plans=tuple(restored.actions),
            teams=tuple(restored.teams),
            members=tuple(restored.members),
            team_sizes=team_sizes(restored.teams, restored.members),
        )
    )
