"""Small-group work: the room splits into teams, each at its own wall. No I/O.

Not to be confused with participant groups (:mod:`board.groups`: "Führung" /
"Mitarbeitende", for results split by group). A *team* is a "Kleingruppe" for a
while of group work ("Gruppe 1 sammelt Ideen zu Erreichbarkeit …"); the UI says
"Gruppe N". Teams belong to a workshop; group steps use the teams of the moment.

Storage is two plain tables: ``teams`` (one :class:`Team` a row) and ``team_members``
(one :class:`Member` a row, keyed by the participant: a participant is in at most one
team). Commands return the changes to store, as :mod:`board.cards` does: new or
changed :class:`Team` and :class:`Member`, and ``Deleted(Member, participant_id)``.

Forming (:func:`form`), decided here:

* **How many**: ``count`` teams, or teams of at most ``size`` people (then
  ``ceil(present / size)`` teams), or as many as the trainer gave topic names.
  Never more teams than people present, never more than :data:`MAX_TEAMS`.
* **random**: shuffled and dealt out; sizes differ by at most one.
* **by_group**: teams drawn from the workshop's participant groups, so leaders
  talk among leaders. Without ``count``/``size``: one team per participant group
  with people present. With more teams than participant groups, the largest
  groups are split further (each into teams that differ by at most one) while
  one of their teams would be larger than the room's even share; with fewer,
  whole participant groups share a team (largest first into the smallest team).
  People with no participant group fill the smallest teams (an empty team
  first), so nobody makes a team of one for want of a group.
* **choice**: the teams start empty and participants pick one (:func:`choose`),
  each team taking at most its ``cap`` people: the trainer's, else
  ``ceil(present / count)``. A team with ``cap`` None is the trainer's to fill.

Names: ``""`` means the default, shown as ``t("team_n", n=position + 1)`` ("Gruppe 1"
/ "Group 1", see :func:`label`), so a team formed in German reads right in English.
A trainer's topic names are kept as typed.

The **group console**: one member per team may run the team's wall from a phone or
tablet (cluster, headings, stacks). It is a field of the team
(``console_participant_id``), not of a step: the person the team chose keeps the
role through the team's group steps until it is handed over or they leave the team.

Which cards, clusters and votes are a team's: their ``team_id`` (None: the plenary's).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from board.cards import Card, Change, Cluster, Wall, heading_from
from board.changes import Deleted
from board.errors import Refused
from board.groups import NO_GROUP
from board.steps import Step

MAX_TEAMS = 12  # side by side on a projector, still readable
MAX_TEAM_NAME = 30  # "Gruppe 1: <heading>" still fits a cluster heading
# People in one team at most, as a size or a cap: beyond any room, and a number every
# store keeps.
MAX_TEAM_SIZE = 1000
# Distinct colours, none of them a card colour (those mean something on a card); the
# stylesheets map each name to its colour. As many as teams, so no two teams share one.
TEAM_COLOURS: tuple[str, ...] = (
    "blue",
    "orange",
    "purple",
    "teal",
    "ochre",
    "magenta",
    "navy",
    "brown",
    "olive",
    "red",
    "slate",
    "violet",
)
HOW = ("random", "by_group", "choice")
How = Literal["random", "by_group", "choice"]
MERGE_MODES = ("as_clusters", "into_existing")
MergeMode = Literal["as_clusters", "into_existing"]


@dataclass(frozen=True)
class Team:
    id: str
    workshop_id: str
    name: str  # "": the default name, "Gruppe {position + 1}" (see label)
    colour: str  # one of TEAM_COLOURS
    position: int  # 0-based: the order on the projector and in the protocol
    # Participants choose this team themselves, at most this many (None: the trainer
    # assigns people).
    cap: int | None = None
    # Who holds the team's group console (None: nobody yet).
    console_participant_id: str | None = None


@dataclass(frozen=True)
class Member:
    team_id: str
    participant_id: str  # the row's key: deleted as Deleted(Member, participant_id)


TeamChange = Team | Member | Deleted


@dataclass(frozen=True)
class Formation:
    """The teams a forming made, in order, and who is in which."""

    teams: tuple[Team, ...]
    members: tuple[Member, ...]


def label(team: Team, t: Callable[..., str]) -> str:
    """The team's name as shown: its topic, else "Gruppe N" in the reader's language."""
    return team.name or t("team_n", n=team.position + 1)


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if len(name) > MAX_TEAM_NAME:
        raise Refused("team_name_too_long", 422, max=MAX_TEAM_NAME)
    return name


def clean_names(names: Iterable[str]) -> list[str]:
    """Topic names as the trainer typed them: each cleaned, none twice."""
    cleaned = [clean_name(name) for name in names]
    given = [name.casefold() for name in cleaned if name]
    if len(set(given)) != len(given):
        raise Refused("team_name_twice", 422)
    return cleaned


# -- forming ---------------------------------------------------------------------------
def form(
    present: Sequence[str],
    *,
    workshop_id: str,
    how: How,
    rng: random.Random,
    new_id: Callable[[], str],
    count: int | None = None,
    size: int | None = None,
    cap: int | None = None,
    groups_of: Mapping[str, str | None] | None = None,
    names: Sequence[str] = (),
) -> Formation:
    """Split the participants ``present`` into teams (see the module for the rules).

    ``groups_of`` maps a participant to their participant group (``Participant.group_id``)
    for ``by_group``; ``cap`` is the trainer's cap for ``choice``; ``names`` are topic
    names for the first teams (the others keep the default name).
    """
    if how not in HOW:
        raise Refused("teams_how_unknown", 422)
    if any(n is not None and n > MAX_TEAM_SIZE for n in (size, cap)):
        raise Refused("team_size_too_large", 422, max=MAX_TEAM_SIZE)
    people = list(dict.fromkeys(present))  # each once, in the order given
    topics = clean_names(names)
    buckets = _buckets(people, groups_of or {}) if how == "by_group" else []
    if how == "by_group" and not buckets:
        raise Refused("teams_no_groups", 409)
    number = _count(len(people), count, size, len(topics), len(buckets))
    if len(topics) > number:
        raise Refused("team_names_too_many", 422, max=number)
    teams = _new_teams(workshop_id, number, topics, new_id)
    if how == "choice":
        limit = _cap(len(people), number, size if cap is None else cap)
        return Formation(tuple(replace(team, cap=limit) for team in teams), ())
    if how == "random":
        seats = _deal(_shuffled(people, rng), number)
    else:
        seats = _by_group(people, groups_of or {}, number, rng)
    members = tuple(
        Member(team.id, person)
        for team, seated in zip(teams, seats, strict=True)
        for person in seated
    )
    return Formation(teams, members)


def dissolve(teams: Iterable[Team]) -> list[TeamChange]:
    """The trainer ends the group work (or forms anew): every team goes, and with it who
    was in which (the store deletes a team's members with it)."""
    return [Deleted(Team, team.id) for team in teams]


def _count(people: int, count: int | None, size: int | None, topics: int, buckets: int) -> int:
    """How many teams: asked for by number, by size, by the topics given, or (by group)
    one per participant group."""
    if count is not None and size is not None:
        raise Refused("teams_count_or_size", 422)
    if people == 0:
        raise Refused("teams_nobody", 409)
    if size is not None:
        if size < 1:
            raise Refused("team_size_too_small", 422)
        count = math.ceil(people / size)
    elif count is None:
        count = topics or buckets
    if count < 1:
        raise Refused("teams_how_many", 422)
    if count > MAX_TEAMS:
        raise Refused("teams_too_many", 422, max=MAX_TEAMS)
    if count > people:
        raise Refused("teams_too_few_people", 409, n=people)
    return count


def _cap(people: int, count: int, cap: int | None) -> int:
    if cap is None:
        return math.ceil(people / count)
    if cap * count < people:
        raise Refused("team_cap_too_small", 422, n=people)
    return cap


def _new_teams(
    workshop_id: str, count: int, topics: Sequence[str], new_id: Callable[[], str]
) -> tuple[Team, ...]:
    return tuple(
        Team(
            new_id(),
            workshop_id,
            topics[i] if i < len(topics) else "",
            TEAM_COLOURS[i % len(TEAM_COLOURS)],
            i,
        )
        for i in range(count)
    )


def _deal(people: Sequence[str], count: int) -> list[list[str]]:
    """Dealt out like cards: sizes differ by at most one, the first teams the larger."""
    return [list(people[i::count]) for i in range(count)]


def _group(groups_of: Mapping[str, str | None], person: str) -> str | None:
    group = groups_of.get(person)
    return None if group in (None, NO_GROUP) else group


def _buckets(people: Sequence[str], groups_of: Mapping[str, str | None]) -> list[list[str]]:
    """The people present of each participant group, groups in order of first appearance;
    people without a group are left out."""
    buckets: dict[str, list[str]] = {}
    for person in people:
        group = _group(groups_of, person)
        if group is not None:
            buckets.setdefault(group, []).append(person)
    return list(buckets.values())


def _shuffled(people: Sequence[str], rng: random.Random) -> list[str]:
    mixed = list(people)
    rng.shuffle(mixed)
    return mixed


def _by_group(
    people: Sequence[str], groups_of: Mapping[str, str | None], count: int, rng: random.Random
) -> list[list[str]]:
    """Teams in the order the participant groups first appear, each mixed at random."""
    buckets = [_shuffled(bucket, rng) for bucket in _buckets(people, groups_of)]
    if count < len(buckets):
        seats = _share(buckets, count)
    else:
        splits = _splits(buckets, count, len(people))
        seats = [
            seat for bucket, n in zip(buckets, splits, strict=True) for seat in _deal(bucket, n)
        ]
        seats += [[] for _ in range(count - len(seats))]
    # Those without a participant group fill the gaps: an empty team first, else the smallest.
    for person in _shuffled([p for p in people if _group(groups_of, p) is None], rng):
        min(seats, key=len).append(person)
    return seats


def _share(buckets: list[list[str]], count: int) -> list[list[str]]:
    """Fewer teams than participant groups: whole groups share teams, the largest group
    first into the smallest team (first among equals)."""
    seats: list[list[str]] = [[] for _ in range(count)]
    for bucket in sorted(buckets, key=len, reverse=True):  # stable: equal sizes keep order
        min(seats, key=len).extend(bucket)
    return seats


def _splits(buckets: list[list[str]], count: int, people: int) -> list[int]:
    """How many teams each participant group gets: one each, then one more to the group
    with the largest teams while those are larger than the room's even share (or while
    there are teams that only people without a group could fill, and too few such people)."""
    splits = [1] * len(buckets)
    share = math.ceil(people / count)
    ungrouped = people - sum(len(bucket) for bucket in buckets)
    left = count - len(buckets)
    while left > 0:
        open_ = [i for i, bucket in enumerate(buckets) if splits[i] < len(bucket)]
        if not open_:
            break  # every grouped person has a team of their own: the rest fill the others
        largest = max(open_, key=lambda i: math.ceil(len(buckets[i]) / splits[i]))
        if math.ceil(len(buckets[largest]) / splits[largest]) <= share and ungrouped >= left:
            break
        splits[largest] += 1
        left -= 1
    return splits


# -- who is where ---------------------------------------------------------------------
def members_of(team_id: str, members: Iterable[Member]) -> list[str]:
    return [m.participant_id for m in members if m.team_id == team_id]


def team_of_participant(participant_id: str, members: Iterable[Member]) -> str | None:
    return next((m.team_id for m in members if m.participant_id == participant_id), None)


def _team(team_id: str, teams: Iterable[Team]) -> Team:
    for team in teams:
        if team.id == team_id:
            return team
    raise Refused("team_not_found", 404)


def sizes(teams: Sequence[Team], members: Iterable[Member]) -> dict[str, int]:
    """How many people each team has (an empty team: 0)."""
    sizes = {team.id: 0 for team in teams}
    for member in members:
        if member.team_id in sizes:
            sizes[member.team_id] += 1
    return sizes


def _released(participant_id: str, team_id: str | None, teams: Iterable[Team]) -> list[TeamChange]:
    """Someone leaves a team: the team's console is free again if they held it."""
    team = next((team for team in teams if team.id == team_id), None)
    if team is None or team.console_participant_id != participant_id:
        return []
    return [replace(team, console_participant_id=None)]


def place_late_joiner(
    participant_id: str, teams: Sequence[Team], members: Sequence[Member]
) -> list[TeamChange]:
    """Someone arrives after the teams were formed: into the smallest team (the first by
    position among equals), one with room if a cap applies, else the smallest all the
    same (nobody is left without a team). Nothing if they already have a team."""
    if not teams or team_of_participant(participant_id, members) is not None:
        return []
    size = sizes(teams, members)
    ordered = sorted(teams, key=lambda team: (size[team.id], team.position))
    with_room = [t for t in ordered if t.cap is None or size[t.id] < t.cap]
    return [Member((with_room or ordered)[0].id, participant_id)]


def move(
    participant_id: str, to_team: str, teams: Sequence[Team], members: Sequence[Member]
) -> list[TeamChange]:
    """The trainer moves a person into another team (or gives one to someone without);
    the trainer may go over a team's cap."""
    _team(to_team, teams)
    current = team_of_participant(participant_id, members)
    if current == to_team:
        return []
    return [Member(to_team, participant_id), *_released(participant_id, current, teams)]


def choose(
    participant_id: str, team_id: str, teams: Sequence[Team], members: Sequence[Member]
) -> list[TeamChange]:
    """A participant picks a team to join (or switches), while it has room."""
    team = _team(team_id, teams)
    if team.cap is None:
        raise Refused("team_not_chosen", 403)
    current = team_of_participant(participant_id, members)
    if current == team_id:
        return []
    if sizes(teams, members)[team_id] >= team.cap:
        raise Refused("team_full", 409, max=team.cap)
    return [Member(team_id, participant_id), *_released(participant_id, current, teams)]


def set_cap(teams: Sequence[Team], members: Sequence[Member], cap: int) -> list[TeamChange]:
    """The trainer raises (or lowers) the cap of teams the participants choose; not below
    the people a team already has."""
    if cap > MAX_TEAM_SIZE:
        raise Refused("team_size_too_large", 422, max=MAX_TEAM_SIZE)
    size = sizes(teams, members)
    chosen = [team for team in teams if team.cap is not None]
    if not chosen:
        raise Refused("team_not_chosen", 409)
    fullest = max(size[team.id] for team in chosen)
    if cap < max(fullest, 1):
        raise Refused("team_cap_below_members", 422, n=max(fullest, 1))
    return [replace(team, cap=cap) for team in chosen if team.cap != cap]


def remove(
    participant_id: str, teams: Sequence[Team], members: Sequence[Member]
) -> list[TeamChange]:
    """Someone leaves the workshop: out of their team, and their console is free."""
    current = team_of_participant(participant_id, members)
    if current is None:
        return []
    return [Deleted(Member, participant_id), *_released(participant_id, current, teams)]


def rename(team: Team, name: str, teams: Sequence[Team]) -> list[TeamChange]:
    """The trainer names a team after its topic ("" gives back the default name)."""
    new = clean_name(name)
    if new and any(o.id != team.id and o.name.casefold() == new.casefold() for o in teams):
        raise Refused("team_name_twice", 422)
    return [] if new == team.name else [replace(team, name=new)]


# -- the group console -------------------------------------------------------------------
def console_of(team: Team) -> str | None:
    """Who holds the team's group console, if anyone."""
    return team.console_participant_id


def _require_member(participant_id: str, team: Team, members: Iterable[Member]) -> None:
    if participant_id not in members_of(team.id, members):
        raise Refused("team_not_member", 403)


def volunteer(
    participant_id: str, team_id: str, teams: Sequence[Team], members: Sequence[Member]
) -> list[TeamChange]:
    """A member takes the free group console of their team; the first one gets it."""
    team = _team(team_id, teams)
    _require_member(participant_id, team, members)
    if team.console_participant_id == participant_id:
        return []
    if team.console_participant_id is not None:
        raise Refused("team_console_taken", 409)
    return [replace(team, console_participant_id=participant_id)]


def appoint(
    participant_id: str | None, team_id: str, teams: Sequence[Team], members: Sequence[Member]
) -> list[TeamChange]:
    """The trainer gives the team's console to one of its members (None: to nobody),
    whoever held it before."""
    team = _team(team_id, teams)
    if participant_id is not None:
        _require_member(participant_id, team, members)
    if team.console_participant_id == participant_id:
        return []
    return [replace(team, console_participant_id=participant_id)]


def hand_over(
    holder: str, to: str, team_id: str, teams: Sequence[Team], members: Sequence[Member]
) -> list[TeamChange]:
    """The console's holder passes it to another member of the team."""
    team = _team(team_id, teams)
    if team.console_participant_id != holder:
        raise Refused("team_console_not_yours", 403)
    _require_member(to, team, members)
    return [] if to == holder else [replace(team, console_participant_id=to)]


def may_edit(participant_id: str, team_id: str | None, teams: Iterable[Team]) -> bool:
    """Whether this participant's group console may change the wall of ``team_id``: only
    its holder, only its own team's wall (never the plenary, ``None``)."""
    if team_id is None:
        return False
    team = next((t for t in teams if t.id == team_id), None)
    return team is not None and team.console_participant_id == participant_id


def require_console(participant_id: str, team_id: str | None, teams: Iterable[Team]) -> None:
    """:func:`may_edit`, as a refusal for the service to raise."""
    if not may_edit(participant_id, team_id, teams):
        raise Refused("team_console_only", 403)


# -- the walls of a group step ------------------------------------------------------------
def team_wall(wall: Wall, team_id: str | None) -> Wall:
    """The part of a group step's wall that is ``team_id``'s (None: the plenary's).

    The service runs the :mod:`board.cards` commands of a group console on this wall:
    a card or cluster of another team is then simply not found there, and what a
    command adds is the team's (``Wall.team_id``).
    """
    return Wall(
        wall.step,
        tuple(c for c in wall.cards if c.team_id == team_id),
        tuple(c for c in wall.clusters if c.team_id == team_id),
        team_id,
    )


@dataclass(frozen=True)
class Merged:
    """What merging team walls into the plenary changes: the cards and clusters (and
    clusters gone) to store, and the ids of the cards and clusters that now belong to
    the plenary (the service drops them from ``team_of``)."""

    changes: list[Change]
    to_plenary: tuple[str, ...]


def _key(heading: str) -> str:
    return " ".join(heading.split()).casefold()


def merge(
    walls_by_team: Mapping[str, Wall],
    teams: Sequence[Team],
    into: Wall,
    *,
    mode: MergeMode,
    t: Callable[..., str],
    new_id: Callable[[], str],
    now: float,
) -> Merged:
    """Bring the teams' walls (all or those that have presented) into the plenary wall
    ``into`` (the same step's plenary part, or another step), in the teams' order.

    ``as_clusters``: each team's cluster becomes a plenary cluster headed
    "Gruppe 1: <heading>"; a team's unsorted cards make one cluster named after the
    team. ``into_existing``: a team's cluster whose heading matches a plenary one
    (ignoring case and spaces, also one merged a moment before) adds its cards at that
    cluster's end and goes; the others come over under their own heading; unsorted
    cards go into (or start) the cluster named after the team. Every card of the team
    walls is in the changes exactly once; stacks come along with their top card.
    """
    if mode not in MERGE_MODES:
        raise Refused("merge_mode_unknown", 422)
    state = _Plenary(into, new_id, now)
    for team in sorted(teams, key=lambda team: team.position):
        wall = walls_by_team.get(team.id)
        if wall is not None:
            state.take(wall, label(team, t), mode)
    changes: list[Change] = list(state.changes.values())
    return Merged(changes, tuple(c.id for c in changes if not isinstance(c, Deleted)))


class _Plenary:
    """The plenary wall as the merge grows it: headings, positions, the changes so far."""

    def __init__(self, into: Wall, new_id: Callable[[], str], now: float) -> None:
        self.step_id = into.step.id
        self.team_id = into.team_id  # what comes over is the plenary's (or a team's)
        self.new_id = new_id
        self.now = now
        self.changes: dict[str, Card | Cluster | Deleted] = {}
        self.by_heading: dict[str, Cluster] = {}
        for cluster in into.ordered_clusters():  # the first of equal headings takes the cards
            self.by_heading.setdefault(_key(cluster.heading), cluster)
        self.next_cluster = max((c.position for c in into.clusters), default=-1) + 1
        self.next_card = {c.id: _end(into, c.id) for c in into.clusters}

    def take(self, wall: Wall, name: str, mode: MergeMode) -> None:
        for cluster in wall.ordered_clusters():
            heading = (
                cluster.heading
                if mode == "into_existing"
                else heading_from(f"{name}: {cluster.heading}")
            )
            target = self.by_heading.get(_key(heading)) if mode == "into_existing" else None
            if target is None:
                self._move_cluster(wall, cluster, heading)
            else:
                self.changes[cluster.id] = Deleted(Cluster, cluster.id)
                self._append(wall, wall.in_cluster(cluster.id), target)
        unsorted = _unsorted(wall)
        if unsorted:
            target = self.by_heading.get(_key(name)) if mode == "into_existing" else None
            self._append(wall, unsorted, target or self._new_cluster(heading_from(name)))
        for card in wall.cards:  # stacked cards come along under their top card
            if card.id not in self.changes:
                self.changes[card.id] = replace(card, step_id=self.step_id, team_id=self.team_id)

    def _move_cluster(self, wall: Wall, cluster: Cluster, heading: str) -> None:
        moved = replace(
            cluster,
            step_id=self.step_id,
            heading=heading,
            position=self.next_cluster,
            team_id=self.team_id,
        )
        self.next_cluster += 1
        self.changes[cluster.id] = moved
        self.by_heading.setdefault(_key(heading), moved)
        cards = wall.in_cluster(cluster.id)
        for position, card in enumerate(cards):
            self.changes[card.id] = replace(
                card, step_id=self.step_id, position=position, team_id=self.team_id
            )
        self.next_card[moved.id] = len(cards)

    def _new_cluster(self, heading: str) -> Cluster:
        cluster = Cluster(
            self.new_id(), self.step_id, heading, self.next_cluster, self.now, self.team_id
        )
        self.next_cluster += 1
        self.changes[cluster.id] = cluster
        self.by_heading.setdefault(_key(heading), cluster)
        self.next_card[cluster.id] = 0
        return cluster

    def _append(self, wall: Wall, cards: Sequence[Card], target: Cluster) -> None:
        for card in cards:
            position = self.next_card[target.id]
            self.next_card[target.id] += 1
            self.changes[card.id] = replace(
                card,
                step_id=self.step_id,
                cluster_id=target.id,
                position=position,
                team_id=self.team_id,
            )


def _unsorted(wall: Wall) -> list[Card]:
    """The team's top cards in no cluster of its wall, in order."""
    clusters = {cluster.id for cluster in wall.clusters}
    found = [c for c in wall.cards if c.stacked_on is None and c.cluster_id not in clusters]
    return sorted(found, key=lambda c: (c.position, c.created_at))


def _end(wall: Wall, cluster_id: str) -> int:
    return max((c.position for c in wall.in_cluster(cluster_id)), default=-1) + 1


# -- a step run in small groups -------------------------------------------------------------
# A cards step's settings (in its config) while the room works on it in teams: each team
# writes on its own wall (the cards' and clusters' team_id), hidden until the team (its
# group console, or the trainer) reveals it, and the projector shows the walls side by
# side or one of them; the merge brings them into the plenary wall of the same step.
IN_TEAMS = "in_teams"  # True while the step runs in teams
TEAM_QUESTIONS = "team_questions"  # {team id: its own question}; absent: the step's
TEAMS_REVEALED = "teams_revealed"  # the teams whose hidden cards are revealed
SHOWN_TEAM = "shown_team"  # the team whose wall the board shows full-screen (presenting)
# After the merge: each team's wall as it was, for the protocol ([{name, question,
# clusters: [{heading, cards}], unsorted}] in the teams' order).
TEAM_WALLS = "team_walls"
# The group console's own actions (board.web.team_console): the wall, never the step.
TEAM_CARD_ACTIONS = frozenset(
    {
        "card-move",
        "card-stack",
        "card-unstack",
        "cluster-new",
        "cluster-rename",
        "cluster-move",
        "cluster-merge",
        "cluster-dissolve",
    }
)


def in_teams(step: Step) -> bool:
    """Whether the step runs in small groups now (each team at its own wall)."""
    return bool(step.config.get(IN_TEAMS))


def run_in_teams(step: Step, formed: Sequence[Team], teamable: bool, empty: bool) -> Step:
    """Start group work on a step whose kind may run in teams (``teamable``: a
    Kartenabfrage, a scale, a mood, dots): the teams must be formed, and the step still
    ``empty`` (a card or a vote given for the plenary belongs to no team)."""
    if not teamable:
        raise Refused("team_step_cards_only", 409)
    if not formed:
        raise Refused("teams_none", 409)
    if in_teams(step):
        return step
    if not empty:
        raise Refused("team_step_not_empty", 409)
    config = {k: v for k, v in step.config.items() if k not in (TEAM_WALLS, SHOWN_TEAM)}
    return replace(step, config=config | {IN_TEAMS: True, TEAMS_REVEALED: []})


def team_step(step: Step, team_id: str | None) -> Step:
    """The step as a team works on it: its own question, its own reveal (and no reveal
    one card at a time: a team's wall is revealed at once)."""
    if not in_teams(step) or team_id is None:
        return step
    question = str(step.config.get(TEAM_QUESTIONS, {}).get(team_id, "")) or step.question
    revealed = step.revealed or team_id in step.config.get(TEAMS_REVEALED, ())
    return replace(step, question=question, revealed=revealed)


def set_team_question(step: Step, team: Team, question: str, max_length: int) -> Step:
    """A team's own question ("" again: the step's question)."""
    if not in_teams(step):
        raise Refused("team_step_not_running", 409)
    cleaned = " ".join(question.split())
    if len(cleaned) > max_length:
        raise Refused("question_too_long", 422, limit=max_length)
    questions = dict(step.config.get(TEAM_QUESTIONS, {}))
    if cleaned:
        questions[team.id] = cleaned
    else:
        questions.pop(team.id, None)
    return replace(step, config=step.config | {TEAM_QUESTIONS: questions})


def reveal_team(step: Step, team: Team) -> Step:
    """The team's hidden cards are revealed: to its members, its group console and the
    projector (never to another team's phones)."""
    if not in_teams(step):
        raise Refused("team_step_not_running", 409)
    if not step.hidden or team_step(step, team.id).revealed:
        raise Refused("nothing_hidden", 409)
    revealed = [*step.config.get(TEAMS_REVEALED, ()), team.id]
    return replace(step, config=step.config | {TEAMS_REVEALED: revealed})


def show_team(step: Step, team: Team | None) -> Step:
    """The projector shows this team's wall full-screen (it presents), or None: every
    wall side by side. A wall still hidden is not presented."""
    if not in_teams(step):
        raise Refused("team_step_not_running", 409)
    if team is None:
        return replace(step, config={k: v for k, v in step.config.items() if k != SHOWN_TEAM})
    if not team_step(step, team.id).results_visible:
        raise Refused("team_wall_hidden", 409)
    return replace(step, config=step.config | {SHOWN_TEAM: team.id})


def shown_team(step: Step, formed: Sequence[Team]) -> Team | None:
    """The team presenting on the projector now, if any (and still a team)."""
    wanted = step.config.get(SHOWN_TEAM) if in_teams(step) else None
    return next((team for team in formed if team.id == wanted), None)


def record(wall: Wall, formed: Sequence[Team], t: Callable[..., str]) -> list[dict[str, object]]:
    """Each team's wall as the protocol keeps it after the merge (see TEAM_WALLS)."""
    kept: list[dict[str, object]] = []
    for team in sorted(formed, key=lambda team: team.position):
        own = team_wall(wall, team.id)
        clusters = [
            {"heading": c.heading, "cards": [card.text for card in _with_stacks(own, c.id)]}
            for c in own.ordered_clusters()
        ]
        kept.append(
            {
                "name": label(team, t),
                "question": team_step(wall.step, team.id).question,
                "clusters": clusters,
                "unsorted": [card.text for card in _with_stacks(own, None)],
            }
        )
    return kept


def _with_stacks(wall: Wall, cluster_id: str | None) -> list[Card]:
    """A cluster's cards (None: the unsorted), each followed by those stacked on it."""
    found: list[Card] = []
    for card in wall.in_cluster(cluster_id):
        found += [card, *wall.stacked_under(card.id)]
    return found


def merge_step(
    wall: Wall,
    formed: Sequence[Team],
    *,
    mode: MergeMode,
    t: Callable[..., str],
    new_id: Callable[[], str],
    now: float,
) -> list[Change]:
    """End the group work: every team's wall comes into the step's plenary wall (see
    merge), revealed; the step keeps each team's wall as it was for the protocol."""
    if not in_teams(wall.step):
        raise Refused("team_step_not_running", 409)
    walls = {team.id: team_wall(wall, team.id) for team in formed}
    merged = merge(walls, formed, team_wall(wall, None), mode=mode, t=t, new_id=new_id, now=now)
    # Cards of a team that no longer exists (re-formed meanwhile) come over too.
    known = {team.id for team in formed}
    lost = [c for c in wall.cards if c.team_id is not None and c.team_id not in known]
    lost_clusters = [c for c in wall.clusters if c.team_id is not None and c.team_id not in known]
    changes: list[Change] = [*merged.changes]
    changes += [replace(c, team_id=None) for c in lost_clusters]
    changes += [replace(c, team_id=None) for c in lost]
    drop = (IN_TEAMS, TEAMS_REVEALED, SHOWN_TEAM, TEAM_QUESTIONS)
    config: dict[str, object] = {k: v for k, v in wall.step.config.items() if k not in drop}
    config[TEAM_WALLS] = record(wall, formed, t)
    step = replace(wall.step, config=config, revealed=wall.step.revealed or wall.step.hidden)
    return [*changes, step]


def end_team_votes(step: Step) -> Step:
    """End the group work on a vote (a scale, mood, dots): the room's result is then every
    team's votes together (each vote keeps its team for the record), revealed."""
    if not in_teams(step):
        raise Refused("team_step_not_running", 409)
    drop = (IN_TEAMS, TEAMS_REVEALED, SHOWN_TEAM, TEAM_QUESTIONS)
    config = {k: v for k, v in step.config.items() if k not in drop}
    return replace(step, config=config, revealed=step.revealed or step.hidden)
