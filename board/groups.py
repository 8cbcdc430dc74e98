"""Participant groups of a workshop, and results split by them. No I/O.

A trainer may name a few groups ("Führung" / "Mitarbeitende", "bis 30" / "über 30");
each participant picks one (or "keine Angabe"), or the trainer assigns it. A step
of a kind that opts in (``Kind.splits``) can then show its result per group beside
the total.

Anonymity: a group's result is shown only when at least ``minimum`` of its members
answered (in every part of the step they answered in: a grid's situations are
counted one by one). Everyone else — smaller groups and people without a group — is
the *rest*: only in the total. Because the total minus the shown groups is the rest's
result, the rest must itself be empty or at least ``minimum`` people; while it is
not, the smallest shown group is folded into it too (with groups A of 5 and B of 2,
A is folded as well: total − A would be B's answers). So no screen and no protocol
shows, or lets anyone subtract, the answers of fewer than ``minimum`` people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from board.errors import Refused

if TYPE_CHECKING:
    from board.steps import Step
    from board.votes import Vote
    from board.workshops import Participant, Workshop

MAX_GROUPS = 6  # side by side with the total on a projector, still readable
MAX_GROUP_NAME = 30
# The default of BOARD_GROUP_MINIMUM, and the smallest it may be (1 would show one
# person's answers).
MINIMUM = 3
LOWEST_MINIMUM = 2
HIGHEST_MINIMUM = 50
# What a participant sends for "keine Angabe": chosen, but no group (NULL: not asked yet).
NO_GROUP = ""


@dataclass(frozen=True)
class Group:
    id: str  # g1, g2 …: stays when the trainer renames it
    name: str


def parse_names(raw: str) -> list[str]:
    """Group names as the trainer types them: one per line (or separated by ";")."""
    names = [" ".join(part.split()) for line in raw.splitlines() for part in line.split(";")]
    return [name for name in names if name]


def define(current: Sequence[Group], names: Sequence[str]) -> tuple[Group, ...]:
    """The groups named ``names``, in that order: a name kept keeps its id (who is in it
    stays), a new name gets a new id, a name left out is gone."""
    if len(names) > MAX_GROUPS:
        raise Refused("groups_too_many", 422, max=MAX_GROUPS)
    if len({name.casefold() for name in names}) != len(names):
        raise Refused("groups_twice", 422)
    for name in names:
        if len(name) > MAX_GROUP_NAME:
            raise Refused("group_name_too_long", 422, max=MAX_GROUP_NAME)
    ids = {group.name.casefold(): group.id for group in current}
    used = {group.id for group in current}
    defined = []
    for name in names:
        group_id = ids.get(name.casefold()) or _free_id(used)
        used.add(group_id)
        defined.append(Group(group_id, name))
    return tuple(defined)


def _free_id(used: set[str]) -> str:
    n = 1
    while f"g{n}" in used:
        n += 1
    return f"g{n}"


def set_groups(workshop: Workshop, raw: str) -> list[Workshop]:
    groups = define(workshop.groups, parse_names(raw))
    return [] if groups == workshop.groups else [replace(workshop, groups=groups)]


def check_choice(groups: Sequence[Group], group_id: str) -> str:
    """A participant's choice: one of the groups, or NO_GROUP."""
    if group_id != NO_GROUP and group_id not in {group.id for group in groups}:
        raise Refused("group_unknown", 422)
    return group_id


def choose(participant: Participant, groups: Sequence[Group], group_id: str) -> Participant:
    return replace(participant, group_id=check_choice(groups, group_id))


def show_split(step: Step, on: bool) -> Step:
    """The step's results split by group on the screens, or all together."""
    from board import kinds  # the registry imports the kinds, which import this module

    if on and not kinds.of(step.kind).splits:
        raise Refused("split_not_possible", 409)
    return replace(step, config=step.config | {"split": on})


def check_minimum(value: int) -> int:
    if not LOWEST_MINIMUM <= value <= HIGHEST_MINIMUM:
        raise Refused("group_minimum_range", 422, low=LOWEST_MINIMUM, high=HIGHEST_MINIMUM)
    return value


# -- results split by group ----------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One group's result (or, with ``group`` None, everybody's)."""

    group: Group | None
    colour: int  # the group's place among the workshop's groups: its colour everywhere
    voters: int
    result: Any


@dataclass(frozen=True)
class Split:
    total: Part
    groups: tuple[Part, ...]  # only groups that may be shown, in the workshop's order
    folded: bool  # some group's answers are only in the total (the board says so)
    # Everyone not in a shown group (no one, or at least the minimum: see the module),
    # for kinds that draw every answer in its group's colour (a grid's dots).
    rest: Part

    @property
    def shown(self) -> bool:
        return bool(self.groups)


def shown_groups(
    scopes: Iterable[Sequence[Vote]],
    group_of: Mapping[str, str],
    groups: Sequence[Group],
    minimum: int,
) -> list[Group]:
    """The groups whose results may be shown: the anonymity rule (see the module)."""
    scopes = list(scopes)
    counts = [_voters_by_group(scope, group_of) for scope in scopes]
    everyone = [len({v.participant_id for v in scope}) for scope in scopes]

    def smallest(group: Group) -> int:
        answered = [count[group.id] for count in counts if count.get(group.id)]
        return min(answered, default=0)

    shown = [g for g in groups if smallest(g) >= minimum]
    while shown:
        rest = [
            total - sum(count.get(g.id, 0) for g in shown)
            for total, count in zip(everyone, counts, strict=True)
        ]
        if all(n == 0 or n >= minimum for n in rest):
            break
        # The rest could be read off as total − shown: fold the smallest shown group in.
        fold = min(reversed(shown), key=smallest)
        shown.remove(fold)
    return shown


def _voters_by_group(votes: Sequence[Vote], group_of: Mapping[str, str]) -> dict[str, int]:
    people: dict[str, set[str]] = {}
    for vote in votes:
        group_id = group_of.get(vote.participant_id)
        if group_id:
            people.setdefault(group_id, set()).add(vote.participant_id)
    return {group_id: len(who) for group_id, who in people.items()}


def split(
    votes: Sequence[Vote],
    group_of: Mapping[str, str],
    groups: Sequence[Group],
    minimum: int,
    result_of: Callable[[Sequence[Vote]], Any],
    scopes: Callable[[Sequence[Vote]], Iterable[Sequence[Vote]]],
) -> Split:
    """The total and each group's result that the anonymity rule lets be shown;
    ``result_of`` computes a kind's result over some of the votes, ``scopes`` cuts the
    votes into the parts counted one by one (see :func:`shown_groups`)."""
    shown = shown_groups(scopes(votes), group_of, groups, minimum)
    answered = {group_of.get(v.participant_id) for v in votes}
    colour = {group.id: i for i, group in enumerate(groups)}
    parts = []
    for group in shown:
        theirs = [v for v in votes if group_of.get(v.participant_id) == group.id]
        parts.append(Part(group, colour[group.id], _people(theirs), result_of(theirs)))
    shown_ids = {group.id for group in shown}
    others = [v for v in votes if group_of.get(v.participant_id) not in shown_ids]
    total = Part(None, -1, _people(votes), result_of(votes))
    rest = Part(None, -1, _people(others), result_of(others))
    folded = any(g.id in answered for g in groups if g not in shown)
    return Split(total, tuple(parts), folded, rest)


def _people(votes: Sequence[Vote]) -> int:
    return len({vote.participant_id for vote in votes})
