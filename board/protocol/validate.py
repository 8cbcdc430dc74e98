"""The values of an imported record: the rules and limits live input keeps."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from board.action_plan import ActionItem, clean_fields
from board.cards import check_colour, clean_heading, clean_text
from board.errors import Refused
from board.i18n import translate
from board.pairs import speedmeet_name
from board.protocol.record import ProtocolError
from board.protocol.restore import Restored, _places, _snapshot
from board.steps import Step, clean_question
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
    clean_nickname,
    clean_title,
)

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
