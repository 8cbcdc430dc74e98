"""Maßnahmenplan: what, who, by when — proposed from phones or typed by the trainer. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from board.changes import Deleted
from board.errors import Refused
from board.steps import Step

MAX_WHAT = 200
MAX_WHO = 60
MAX_DUE = 40


@dataclass(frozen=True)
class ActionItem:
    id: str
    step_id: str
    participant_id: str | None  # None: typed by the trainer
    what: str
    who: str
    due: str
    position: int
    created_at: float


def _clean(raw: str, limit: int, key: str) -> str:
    value = " ".join(raw.split())
    if len(value) > limit:
        raise Refused(key, 422, max=limit)
    return value


def clean_fields(what: str, who: str, due: str) -> tuple[str, str, str]:
    cleaned = _clean(what, MAX_WHAT, "what_too_long")
    if not cleaned:
        raise Refused("what_empty", 422)
    return cleaned, _clean(who, MAX_WHO, "who_too_long"), _clean(due, MAX_DUE, "due_too_long")


def propose(
    step: Step,
    items: Sequence[ActionItem],
    participant_id: str | None,
    what: str,
    who: str,
    due: str,
    new_id: str,
    now: float,
    by_trainer: bool = False,
) -> list[ActionItem]:
    if not step.is_open and not by_trainer:
        raise Refused("voting_closed", 409)
    what, who, due = clean_fields(what, who, due)
    position = max((item.position for item in items), default=-1) + 1
    return [ActionItem(new_id, step.id, participant_id, what, who, due, position, now)]


def _item(items: Sequence[ActionItem], item_id: str) -> ActionItem:
    for item in items:
        if item.id == item_id:
            return item
    raise Refused("action_not_found", 404)


def edit(
    items: Sequence[ActionItem], item_id: str, what: str, who: str, due: str
) -> list[ActionItem]:
    """The trainer edits any item in the console."""
    item = _item(items, item_id)
    what, who, due = clean_fields(what, who, due)
    changed = replace(item, what=what, who=who, due=due)
    return [] if changed == item else [changed]


def remove(items: Sequence[ActionItem], item_id: str) -> list[Deleted]:
    return [Deleted(ActionItem, _item(items, item_id).id)]
