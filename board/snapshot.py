"""Everything about a workshop's active step, read in one transaction.

Commands decide on it (inside the write transaction) and templates render it
(after the commit). Results are computed here, from the rows, per request.
No template sees a snapshot whole except the console's: :meth:`Snapshot.for_audience`
cuts it to what a board, the phones or one phone may see.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import pairwise
from typing import Any, Generic, Protocol, TypeVar

from board import groups, kinds, pairs, teams, topics, undo
from board import votes as voting
from board.action_plan import ActionItem
from board.cards import Card, Wall
from board.changes import Deleted
from board.kinds import dots
from board.steps import Step
from board.store import repository
from board.store.database import Connection
from board.teams import Member, Team
from board.topics import Topic
from board.workshops import Participant, Workshop


class _Owned(Protocol):
    @property
    def participant_id(self) -> str | None: ...


T = TypeVar("T", bound=_Owned)


@dataclass(frozen=True)
class Snapshot:
    workshop: Workshop
    steps: tuple[Step, ...]
    wall: Wall
    source: Wall | None  # the cards step whose clusters a dots step votes on, no cards
    votes: tuple[voting.Vote, ...]
    actions: tuple[ActionItem, ...]
    people: tuple[pairs.Person, ...]
    participants: int
    now: float = field(default_factory=time.time)
    # In a cut for an audience that may not see the results yet: all it may know of
    # them (see Kind.hidden_counts).
    hidden_counts: tuple[int, ...] = ()
    # Join nicknames by participant, read only for a kind that offers them (see
    # Kind.uses_nicknames); a phone's cut keeps only its own.
    nicknames: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    # The trainer's latest undoable action on this step (the console's undo button).
    undoable: str | None = None
    # The active step is the agenda's first; and nobody has written or answered in it
    # yet (read before any cut hides cards): the room is still arriving.
    first_step: bool = False
    opening: bool = False
    # Each voter's participant group (the console's snapshot only: a cut drops it), and
    # the results split by group as the anonymity rule allows (board.groups; see
    # with_split), which a cut keeps while its audience may see the results.
    group_of: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    split: groups.Split | None = field(default=None, compare=False, hash=False)
    # Everyone who joined, with their group: for the console's group list only.
    roster: tuple[Participant, ...] = field(default=(), compare=False, hash=False)
    # The Themenspeicher, proposals included (a cut keeps what its audience may see), and
    # every Maßnahmenplan row of the workshop (the console's alone: where topics went).
    topics: tuple[Topic, ...] = ()
    plans: tuple[ActionItem, ...] = ()
    # The workshop's teams (Kleingruppen) and who is in which, with each team's size. A
    # cut keeps who is in a team for its own phone only (see _teams_for).
    teams: tuple[Team, ...] = ()
    members: tuple[Member, ...] = ()
    team_sizes: Mapping[str, int] = field(default_factory=dict, compare=False, hash=False)
    # On a step run in teams: how many cards (or voters) each team has (a room's cut holds
    # only the cards of the teams revealed; the projector counts the others).
    team_counts: Mapping[str, int] = field(default_factory=dict, compare=False, hash=False)
    # Read for everyone (not one participant's votes only): what a board's render reads,
    # so the state a write left may be rendered as it is (see after, Live.offer).
    whole: bool = field(default=True, compare=False)

    @property
    def step(self) -> Step:
        return self.wall.step

    @property
    def join_display(self) -> str:
        """How the board shows the way in: the trainer's choice, else the slide while the
        room arrives (an empty first step), else the header box."""
        chosen = self.workshop.join_display
        return chosen if chosen else ("slide" if self.opening else "box")

    @property
    def kind(self) -> kinds.Kind:
        return kinds.of(self.step.kind)

    @property
    def split_view(self) -> groups.Split | None:
        """The split the screens show: when the trainer switched the step to it."""
        return self.split if self.step.config.get("split") else None

    @property
    def undo_label(self) -> str | None:
        """What the undo button says it will undo (a message key), or None: nothing."""
        return None if self.undoable is None else undo.LABELS.get(self.undoable, "undo")

    @property
    def choosing(self) -> bool:
        """Whether participants choose their team themselves (the teams have a cap)."""
        return any(team.cap is not None for team in self.teams)

    def team_of_person(self, participant_id: str) -> Team | None:
        """This participant's team, if any (in a phone's cut: its own only)."""
        team_id = teams.team_of_participant(participant_id, self.members)
        return next((team for team in self.teams if team.id == team_id), None)

    def free_places(self, team: Team) -> int | None:
        """How many more may choose this team (None: the trainer fills it)."""
        if team.cap is None:
            return None
        return max(0, team.cap - self.team_sizes.get(team.id, 0))

    def in_team(self, team_id: str) -> list[tuple[int, Participant]]:
        """The console's members of a team, in the order they joined, each with their
        number in the room ("Person 3" where they gave no nickname)."""
        inside = set(teams.members_of(team_id, self.members))
        return [(n, p) for n, p in enumerate(self.roster, 1) if p.id in inside]

    def without_team(self) -> list[tuple[int, Participant]]:
        """The console's people in no team yet (in choose mode: those still choosing)."""
        inside = {m.participant_id for m in self.members}
        return [(n, p) for n, p in enumerate(self.roster, 1) if p.id not in inside]

    @property
    def in_teams(self) -> bool:
        """Whether the step runs in small groups now (board.teams.in_teams)."""
        return teams.in_teams(self.step)

    def step_of_team(self, team_id: str) -> Step:
        """The step as this team works on it: its question, its reveal."""
        return teams.team_step(self.step, team_id)

    def of_team(self, team_id: str | None) -> Snapshot:
        """One team's part of a step run in teams, as that team works on it: its cards
        and clusters, its question, its own reveal; it is then an ordinary step's wall
        to every template and command (a command's new cards and clusters are the
        team's, see Wall.team_id). None: the plenary's part."""
        step = teams.team_step(self.step, team_id)
        step = replace(step, config={k: v for k, v in step.config.items() if k != teams.IN_TEAMS})
        wall = teams.team_wall(self.wall, team_id)
        votes = tuple(v for v in self.votes if v.team_id == team_id)
        return replace(
            self, wall=replace(wall, step=step), votes=votes, undoable=None, team_counts={}
        )

    def team_walls(self) -> list[tuple[Team, Snapshot]]:
        """Each team with its part of a step run in teams, in the teams' order (in a
        room's cut: the cards of revealed teams only; see team_counts for the others)."""
        return [(team, self.of_team(team.id)) for team in self.teams]

    def presenting(self) -> tuple[Team, Snapshot] | None:
        """The team presenting on the projector, with its part of the step (None: the
        walls side by side, or no group work)."""
        team = teams.shown_team(self.step, self.teams)
        return None if team is None else (team, self.of_team(team.id))

    def for_team_console(self, team_id: str) -> Snapshot:
        """What a team's group console sees: the team's wall as the room would (its
        cards once the team revealed them, a counter before), nothing of other teams,
        nobody's identity."""
        return self.of_team(team_id)._cut(None)

    def for_audience(self, role: str, participant_id: str | None = None) -> Snapshot:
        """The snapshot as an audience may see it, before any template does.

        The console ("trainer") sees everything. Everyone else sees nobody's identity
        (other people are aliases) and no trainer secret; while the step's results wait
        for a reveal, a board and the phones' shared part get only counts
        (``hidden_counts``), and a phone's own part (``participant_id``) only its own
        cards, votes and proposals.
        """
        if role == "trainer":
            return self
        if participant_id is None:
            return self._room_cut
        return self._cut(participant_id)

    @cached_property
    def _room_cut(self) -> Snapshot:
        """Boards' and the phones' shared cut: made once for every board and language."""
        return self._cut(None)

    def _cut(self, participant_id: str | None) -> Snapshot:
        alias = _Aliases(self._aliases, participant_id)
        step = alias.step(self.step)
        cut = replace(
            self,
            workshop=replace(self.workshop, trainer_secret=""),
            steps=(step,),
            undoable=None,
            source=replace(self.source, cards=()) if self.source else None,
            people=alias.each(self.people),
            topics=self._topics_for(participant_id),
            plans=(),
        )
        shown, members, sizes = self._teams_for(participant_id)
        cut = replace(cut, teams=shown, members=members, team_sizes=sizes)
        cut = replace(cut, group_of={}, roster=())  # who is in which group stays here
        if participant_id is not None:  # a phone's own part: only its own (its own id)
            own = alias.own
            mine = self.nicknames.get(participant_id)
            clusters = self.wall.clusters
            if self.in_teams:
                # The step as its team works on it (its question, its reveal: what locks
                # its cards), no other team's question, and its own team's clusters only.
                team_id = next((m.team_id for m in members), "")
                step = teams.team_step(self._own_team_questions(step, {team_id}), team_id)
                clusters = tuple(c for c in clusters if c.team_id == team_id)
                cut = replace(cut, steps=(step,))
            return replace(
                cut,
                split=None,
                nicknames={participant_id: mine} if mine else {},
                wall=replace(
                    self.wall,
                    step=step,
                    cards=tuple(filter(own, self.wall.cards)),
                    clusters=clusters,
                ),
                votes=tuple(filter(own, self.votes)),
                actions=tuple(filter(own, self.actions)),
            )
        cut = replace(cut, nicknames={})
        if self.in_teams:
            # Each team's wall or result once it is revealed; of the others, how many
            # cards or voters only.
            open_ = {t.id for t in self.teams if teams.team_step(self.step, t.id).results_visible}
            return replace(
                cut,
                wall=replace(
                    self.wall,
                    step=step,
                    cards=alias.each(tuple(c for c in self.wall.cards if c.team_id in open_)),
                    clusters=tuple(c for c in self.wall.clusters if c.team_id in open_),
                ),
                votes=alias.each(tuple(v for v in self.votes if v.team_id in open_)),
                actions=(),
                split=None,
                team_counts=self._team_counts(),
            )
        if not self.step.results_visible:
            # Revealed one by one: the cards the room has seen so far, no other.
            seen = alias.each(self.wall.seen_by_room())
            return replace(
                cut,
                wall=replace(self.wall, step=step, cards=seen),
                votes=(),
                actions=(),
                split=None,
                hidden_counts=self.kind.hidden_counts(self),
            )
        return replace(
            cut,
            wall=replace(self.wall, step=step, cards=alias.each(self.wall.cards)),
            votes=alias.each(self.votes),
            actions=alias.each(self.actions),
        )

    def _team_counts(self) -> dict[str, int]:
        """How many cards (or, on a vote, voters) each team has on a step run in teams."""
        counted: dict[str, set[str]] = {}
        for card in self.wall.cards:
            counted.setdefault(card.team_id or "", set()).add(card.id)
        for vote in self.votes:
            counted.setdefault(vote.team_id or "", set()).add(vote.participant_id)
        return {team_id: len(found) for team_id, found in counted.items()}

    @staticmethod
    def _own_team_questions(step: Step, own: set[str]) -> Step:
        questions = step.config.get(teams.TEAM_QUESTIONS, {})
        kept = {team: q for team, q in questions.items() if team in own}
        return replace(step, config=step.config | {teams.TEAM_QUESTIONS: kept})

    def _teams_for(
        self, participant_id: str | None
    ) -> tuple[tuple[Team, ...], tuple[Member, ...], dict[str, int]]:
        """The teams as an audience may see them: who is in which never leaves the console
        but a phone's own membership. The room (a board, the phones' shared part) gets
        each team's name, colour and size; a phone its own team, and while people choose,
        every team with its free places. Who holds a group console: the holder alone."""
        if participant_id is None:
            shown = list(self.teams)
        else:
            own = teams.team_of_participant(participant_id, self.members)
            shown = [t for t in self.teams if self.choosing or t.id == own]
        cut = tuple(
            t
            if t.console_participant_id is None or t.console_participant_id == participant_id
            else replace(t, console_participant_id=None)
            for t in shown
        )
        mine = tuple(m for m in self.members if m.participant_id == participant_id)
        return cut, mine, {t.id: self.team_sizes.get(t.id, 0) for t in cut}

    def _topics_for(self, participant_id: str | None) -> tuple[Topic, ...]:
        """The Themenspeicher as the room may see it (no proposer named), and for a phone
        its own proposals besides: nobody else's wait is shown, nor a parked card whose
        step still hides its cards."""
        shown = [
            replace(t, participant_id=None) for t in topics.for_the_room(self.topics, self.steps)
        ]
        if participant_id is not None:
            own = [t for t in self.topics if t.proposed and t.participant_id == participant_id]
            mine = {t.id for t in self.topics if t.participant_id == participant_id}
            shown = [
                replace(t, participant_id=participant_id) if t.id in mine else t for t in shown
            ]
            shown += own
        return tuple(shown)

    @cached_property
    def _aliases(self) -> dict[str, str]:
        """Everybody in this snapshot as ``p1``, ``p2``… (once per snapshot: a render for
        each of a thousand phones must not rename everyone a thousand times)."""
        ids = {c.participant_id for c in self.wall.cards}
        ids |= {v.participant_id for v in self.votes} | {a.participant_id for a in self.actions}
        ids |= {p.participant_id for p in self.people}
        ids |= {p for round_ in pairs.planned(self.step) for pair in round_ for p in pair}
        return {found: f"p{n}" for n, found in enumerate(sorted(i for i in ids if i), 1)}

    def mine(self, participant_id: str) -> list[voting.Vote]:
        return [v for v in self.votes if v.participant_id == participant_id]

    @cached_property
    def results(self) -> Any:
        """The step's results as its kind computes them (a histogram, a ranking, …),
        from this snapshot: a cut one gives what its audience may see."""
        return self.kind.results(self)

    @cached_property
    def voters(self) -> int:
        return voting.voters(self.votes)

    def owns_nothing(self, participant_id: str) -> bool:
        """Whether this person's own view of the step is everybody's empty one: no card,
        vote, proposal or SpeedMeet place of theirs in it (so one render serves them all)."""
        return not self.kind.personal and participant_id not in self._owners

    @cached_property
    def _owners(self) -> frozenset[str | None]:
        return frozenset(
            [c.participant_id for c in self.wall.cards]
            + [v.participant_id for v in self.votes]
            + [a.participant_id for a in self.actions]
            + [p.participant_id for p in self.people]
            + [t.participant_id for t in self.topics]
            + [m.participant_id for m in self.members]  # their team shows on their phone
        )

    def next_change_at(self) -> float | None:
        """When the screens must change without anyone acting (a round, the timer)."""
        moments = [self.workshop.timer_ends_at]
        moments.append(self.kind.next_change_at(self))
        upcoming = [m for m in moments if m is not None and m > self.now]
        return min(upcoming) if upcoming else None


def source_step(steps: tuple[Step, ...], step: Step) -> Step | None:
    """The nearest cards step before ``step`` on the agenda."""
    earlier = [s for s in steps if kinds.of(s.kind).takes_cards and s.position < step.position]
    return max(earlier, key=lambda s: s.position) if earlier else None


def read(
    conn: Connection,
    workshop_id: str,
    participant_id: str | None = None,
    known: tuple[int, Wall] | None = None,
    roster: bool = False,
    locked: Workshop | None = None,
) -> Snapshot:
    """The workshop's active step; with ``participant_id``, only that person's votes.

    A vote command or a phone's own view needs no one else's votes, and reading
    every vote of a step for each of a thousand dots would make a burst quadratic.
    ``known`` is the active step's wall as it was at a seq (a write of this process
    left it so, see after): taken instead of reading every card again while the
    workshop is still at that seq (every write bumps it, in any process). ``roster``:
    everyone who joined, whatever else is read (forming teams splits them). ``locked``:
    the workshop as the write transaction took it (repository.lock_workshop), not read
    again. Only what the step's kind holds is read (its sections: a card wall has no
    votes): on PostgreSQL every read is a round trip.
    """
    workshop = locked if locked is not None else repository.workshop_by_id(conn, workshop_id)
    steps = tuple(repository.steps(conn, workshop_id))
    seq, wall = known if known is not None else (None, None)
    if seq != workshop.seq or wall is None or wall.step.id != workshop.active_step_id:
        wall = repository.wall(conn, workshop.active_step_id)
    step = wall.step
    source = None
    # Everyone who joined, read once: for the nicknames a kind asks for, and for the
    # groups of a snapshot that may split its results (not a phone's own).
    uses_nicknames = kinds.of(step.kind).uses_nicknames
    if participant_id is not None and kinds.of(step.kind).takes_cards and not workshop.groups:
        # A card wall has no votes to leave out (and no groups: nobody else to read): a
        # participant's card is decided on the whole snapshot, which the boards' render
        # then takes as the write left it instead of reading it again (Live.offer).
        participant_id = None
    splits = participant_id is None and bool(workshop.groups)
    # The teams, and who is in which only while there are teams (one read otherwise).
    formed = tuple(repository.teams(conn, workshop_id))
    members = tuple(repository.members(conn, workshop_id)) if formed else ()
    # The console lists each team's people; forming a team needs everyone who joined.
    roster = roster or (participant_id is None and bool(formed))
    everyone = (
        tuple(repository.participants(conn, workshop_id))
        if uses_nicknames or splits or roster
        else ()
    )
    nicknames = {p.id: p.nickname for p in everyone if p.nickname} if uses_nicknames else {}
    holds = kinds.of(step.kind).sections.__contains__
    if dots.on_clusters(step.config):
        found = source_step(steps, step)
        # Its clusters are the options; its cards no screen shows here (a cut drops
        # them): a vote on a wall of 300 cards must not read them.
        source = repository.wall(conn, found.id, with_cards=False) if found else None
    snap = Snapshot(
        workshop=workshop,
        steps=steps,
        wall=wall,
        source=source,
        votes=tuple(repository.votes(conn, step.id, participant_id)) if holds("votes") else (),
        actions=tuple(repository.action_items(conn, step.id)) if holds("actions") else (),
        people=tuple(repository.people(conn, step.id)) if holds("people") else (),
        participants=repository.count_participants(conn, workshop_id),
        nicknames=nicknames,
        undoable=repository.last_undo_action(conn, step.id),
        topics=tuple(repository.topics(conn, workshop_id)),
        # A phone's command decides on its own things only; a render or the trainer's
        # command may need where topics went (the console's topic list, top N).
        plans=() if participant_id else tuple(repository.plans(conn, workshop_id)),
        whole=participant_id is None,
        teams=formed,
        members=members,
        team_sizes=teams.sizes(formed, members),
        roster=everyone if roster else (),
    )
    if splits:
        group_of = {person.id: person.group_id for person in everyone if person.group_id}
        snap = with_split(replace(snap, roster=everyone, group_of=group_of))
    first = min(steps, key=lambda s: s.position).id == step.id if steps else False
    # A phone's snapshot holds only its own votes: it may think a voted-on step empty,
    # which costs the boards one needless render of the join display, nothing more.
    empty = not (snap.wall.cards or snap.votes or snap.actions)
    return replace(snap, first_step=first, opening=first and empty and not snap.people)


def after(snap: Snapshot, changes: Sequence[object], seq: int) -> Snapshot | None:
    """The snapshot as a write of ``changes`` on it left the database, where that is plain:
    cards and votes of the active step stored or deleted, each row as the repository
    stores it (in the order it reads them: by creation). None where a read must tell (the
    workshop, a step, a cluster, anything else changed): the answer to a phone's write is
    rendered from this instead of a second read (see Service.own_view), and so are the
    screens' frames where ``snap`` is whole (see Live.offer)."""
    step_id = snap.step.id
    cards, votes = _Rows(snap.wall.cards), _Rows(snap.votes)
    for change in changes:
        if isinstance(change, Deleted) and change.kind is Card:
            cards.delete(change.id)
        elif isinstance(change, Deleted) and change.kind is voting.Vote:
            votes.delete(change.id)
        elif isinstance(change, Card) and change.step_id == step_id:
            cards.upsert(change)
        elif isinstance(change, voting.Vote) and change.step_id == step_id:
            votes.upsert(change)
        else:
            return None
    if not (cards.plain and votes.plain):
        return None
    return _left(snap, cards.rows(), votes.rows(), seq)


def _left(
    snap: Snapshot, cards: tuple[Card, ...], votes: tuple[voting.Vote, ...], seq: int
) -> Snapshot:
    empty = not (cards or votes or snap.actions)
    left = replace(
        snap,
        # At the write's seq: the answer's own section says how new it is (an older
        # frame arriving after it must not replace it, see static/js/live.js).
        workshop=replace(snap.workshop, seq=seq),
        wall=replace(snap.wall, cards=cards),
        votes=votes,
        opening=snap.first_step and empty and not snap.people,
    )
    # The results split by group follow the votes (computed on the whole, as read does).
    return with_split(left) if snap.split is not None else left


R = TypeVar("R", Card, voting.Vote)


class _Rows(Generic[R]):
    """Rows as the repository reads them (by creation, then as stored) while a write's
    changes are applied, each in one step however many (a move renumbers a cluster)."""

    def __init__(self, rows: tuple[R, ...]) -> None:
        self._rows: list[R | None] = list(rows)
        self._at = {row.id: i for i, row in enumerate(rows)}
        self._kept = len(rows)  # the rows stored before: the rest are new, as stored
        # False where the rows are not plain from the changes: a stored row's creation
        # time changed (its place is the database's to tell).
        self.plain = True

    def delete(self, row_id: str) -> None:
        at = self._at.pop(row_id, None)
        if at is not None:
            self._rows[at] = None

    def upsert(self, row: R) -> None:
        at = self._at.get(row.id)
        if at is None:
            self._at[row.id] = len(self._rows)
            self._rows.append(row)
            return
        stored = self._rows[at]
        if stored is not None and stored.created_at != row.created_at:
            self.plain = False
        self._rows[at] = row

    def rows(self) -> tuple[R, ...]:
        rows = [row for row in self._rows if row is not None]
        new = sum(1 for row in self._rows[self._kept :] if row is not None)
        # The new rows are last, after the newest stored one: unless a clock went back.
        tail = rows[max(0, len(rows) - new - 1) :] if new else []
        if any(a.created_at > b.created_at for a, b in pairwise(tail)):
            rows.sort(key=lambda row: row.created_at)  # stable: ties stay as stored
        return tuple(rows)


def with_split(snap: Snapshot) -> Snapshot:
    """The snapshot with its results split by group (while the workshop has groups and
    the step's kind splits), computed on the whole snapshot, before any cut."""
    if not (snap.workshop.groups and snap.kind.splits):
        return snap
    kind = snap.kind
    split = groups.split(
        snap.votes,
        snap.group_of,
        snap.workshop.groups,
        snap.workshop.group_minimum,
        lambda some: kind.results_over(snap, some),
        kind.split_scopes,
    )
    return replace(snap, split=split)


class _Aliases:
    """Other participants as ``p1``, ``p2``…: who did what stays apart (a SpeedMeet's
    pairs), who they are does not leave the server. ``me`` stays itself."""

    def __init__(self, names: dict[str, str], me: str | None) -> None:
        self.names = names
        self.me = me

    def id(self, participant_id: str | None) -> str | None:
        if participant_id is None or participant_id == self.me:
            return participant_id
        return self.names.get(participant_id, "")

    def own(self, item: _Owned) -> bool:
        return self.me is not None and item.participant_id == self.me

    def each(self, items: tuple[T, ...]) -> tuple[T, ...]:
        return tuple(_aliased(item, self.id(item.participant_id)) for item in items)

    def step(self, step: Step) -> Step:
        return replace(step, config=kinds.of(step.kind).alias_config(step.config, self.id))


# The cut's copies of rows, by the row they copy (the very object, held here so its id
# is not another's) and the alias they got: every render of a wall cuts every card
# again, and a write's wall shares the cards it did not change with the wall before
# (see after), so most are the same card with the same alias as the last time. A
# memo of a pure function, so the cut stays what it is by construction; cleared
# when full.
_CUT_ROWS: dict[int, tuple[object, str | None, Any]] = {}
MAX_CUT_ROWS = 50_000


def _aliased(item: T, alias: str | None) -> T:
    found = _CUT_ROWS.get(id(item))
    if found is not None and found[0] is item and found[1] == alias:
        cut: T = found[2]
        return cut
    cut = replace(item, participant_id=alias)  # type: ignore[type-var]
    if len(_CUT_ROWS) >= MAX_CUT_ROWS:
        _CUT_ROWS.clear()
    _CUT_ROWS[id(item)] = (item, alias, cut)
    return cut
