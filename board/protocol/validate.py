"""The values of an imported record: the rules and limits live input keeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from board import kinds
from board import teams as team_rules
from board import topics as topic_rules
from board.action_plan import ActionItem, check_status, clean_fields, clean_with
from board.cards import check_colour, clean_heading, clean_text
from board.groups import check_choice, check_minimum, define
from board.pairs import speedmeet_name
from board.protocol.record import ProtocolError
from board.protocol.restore import Restored, _places, _snapshot
from board.steps import Step, clean_question
from board.votes import Vote
from board.workshops import (
    Workshop,
    clean_nickname,
    clean_title,
)

# -- the values: the rules live input keeps -----------------------------------------
T = TypeVar("T")


def _obey(where: str, rule: Callable[..., T], *args: Any, problem: str = "") -> T:
    return kinds.obey(where, rule, *args, problem=problem, error=ProtocolError)


def _checked_workshop(workshop: Workshop) -> Workshop:
    """Its title, and its groups by the rules the console keeps (ids as they are: the
    participants name them)."""
    _obey("workshop.groups", define, (), [group.name for group in workshop.groups])
    if len({group.id for group in workshop.groups}) != len(workshop.groups):
        raise ProtocolError("workshop.groups: the same id twice")
    return replace(
        workshop,
        title=_obey("workshop.title", clean_title, workshop.title),
        group_minimum=_obey("workshop.group_minimum", check_minimum, workshop.group_minimum),
    )


def check(restored: Restored, card_max_length: int) -> Restored:
    """Check every value against the rules and limits live input keeps (the domain's
    own functions), and clean it as they do. Raises ProtocolError naming the field."""
    steps = [
        _checked_step(step, f"steps[{step.position}]", card_max_length) for step in restored.steps
    ]
    checked = replace(restored, steps=steps)
    return replace(
        checked,
        workshop=_checked_workshop(restored.workshop),
        participants=[
            (
                pid,
                None
                if name is None
                else _obey(f"participants[{i}].nickname", clean_nickname, name),
                joined,
                None
                if group is None
                else _obey(
                    f"participants[{i}].group", check_choice, restored.workshop.groups, group
                ),
            )
            for i, (pid, name, joined, group) in enumerate(restored.participants)
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
        topics=[
            replace(t, title=_obey(f"topics[{i}].title", topic_rules.clean_title, t.title))
            for i, t in enumerate(restored.topics)
        ],
        teams=_checked_teams(restored.teams),
    )


def _checked_teams(teams: list[team_rules.Team]) -> list[team_rules.Team]:
    """Each team's name as the console keeps it: cleaned, none twice."""
    names = _obey("teams", team_rules.clean_names, [team.name for team in teams])
    return [replace(team, name=name) for team, name in zip(teams, names, strict=True)]


def _checked_action(item: ActionItem, where: str) -> ActionItem:
    what, who, due = _obey(where, clean_fields, item.what, item.who, item.due)
    with_whom = _obey(f"{where}.with_whom", clean_with, item.with_whom)
    status = _obey(f"{where}.status", check_status, item.status)
    return replace(item, what=what, who=who, due=due, with_whom=with_whom, status=status)


def _checked_step(step: Step, where: str, card_max_length: int) -> Step:
    if step.hidden and not step.hideable:
        raise ProtocolError(f"{where}.hidden: a {step.kind} step cannot be hidden")
    config = _checked_team_config(step.config, f"{where}.config", card_max_length)
    return replace(
        step,
        question=_obey(f"{where}.question", clean_question, step.question),
        config=config,
    )


def _checked_team_config(
    config: dict[str, Any], where: str, card_max_length: int
) -> dict[str, Any]:
    """A step run in teams: each team's question, and the team walls kept after the
    merge (names, headings, card texts), cleaned as the console and the phones do."""
    checked = dict(config)
    if team_rules.TEAM_QUESTIONS in config:
        at = f"{where}.{team_rules.TEAM_QUESTIONS}"
        asked = {
            team: _obey(at, clean_question, question)
            for team, question in config[team_rules.TEAM_QUESTIONS].items()
        }
        # A blank question is none: the team asks the step's (board.teams).
        checked[team_rules.TEAM_QUESTIONS] = {team: q for team, q in asked.items() if q}
    if team_rules.TEAM_WALLS in config:
        at = f"{where}.{team_rules.TEAM_WALLS}"
        checked[team_rules.TEAM_WALLS] = [
            _checked_team_wall(wall, f"{at}[{i}]", card_max_length)
            for i, wall in enumerate(config[team_rules.TEAM_WALLS])
        ]
    return checked


def _checked_team_wall(wall: dict[str, Any], where: str, card_max_length: int) -> dict[str, Any]:
    def texts(found: list[str], at: str) -> list[str]:
        return [
            _obey(f"{at}[{i}]", clean_text, text, card_max_length) for i, text in enumerate(found)
        ]

    name = _obey(f"{where}.name", team_rules.clean_name, wall["name"])
    if not name:
        raise ProtocolError(f"{where}.name: empty")
    return {
        "name": name,
        "question": _obey(f"{where}.question", clean_question, wall["question"]),
        "clusters": [
            {
                "heading": _obey(f"{where}.clusters[{i}].heading", clean_heading, c["heading"]),
                "cards": texts(c["cards"], f"{where}.clusters[{i}].cards"),
            }
            for i, c in enumerate(wall["clusters"])
        ],
        "unsorted": texts(wall["unsorted"], f"{where}.unsorted"),
    }


def _checked_votes(restored: Restored) -> list[Vote]:
    """Each vote as its step's kind would have stored it (board.kinds: Kind.vote_checker)."""
    steps = {step.id: step for step in restored.steps}
    checkers: dict[str, kinds.VoteChecker] = {}
    cast: set[tuple[str, str, str]] = set()
    checked = []
    for where, vote in _places(restored.votes, restored.steps, "votes"):
        step = steps[vote.step_id]
        kind = kinds.of(step.kind)
        fields = kind.vote_fields
        for name in ("value", "x", "y", "word"):
            if name not in fields and getattr(vote, name) is not None:
                raise ProtocolError(f"{where}.{name}: a {step.kind} vote has none")
        for name in fields[: kind.required_vote_fields]:
            if getattr(vote, name) is None:
                raise ProtocolError(f"{where}.{name}: missing")
        if (vote.step_id, vote.participant_id, vote.key) in cast:
            raise ProtocolError(f"{where}: the same participant votes twice on {vote.key!r}")
        cast.add((vote.step_id, vote.participant_id, vote.key))
        if step.id not in checkers:
            checkers[step.id] = kind.vote_checker(_snapshot(restored, step))
        try:
            checked.append(checkers[step.id](vote, where))
        except ValueError as problem:
            raise ProtocolError(str(problem)) from None
    return checked
