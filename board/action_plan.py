"""Maßnahmenplan: Was / Wer / Mit wem / Bis wann / Status — proposed from phones or typed
by the trainer, or taken from the top topics of the Themenspeicher. No I/O."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from board.changes import Deleted
from board.errors import Refused
from board.steps import Step

MAX_WHAT = 200
MAX_WHO = 60
MAX_DUE = 40
MAX_WITH = MAX_WHO
# The status a trainer sets (Status: offen, in Arbeit, erledigt); each is the message
# key action_status_<status>.
STATUSES = ("open", "doing", "done")


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
    with_whom: str = ""  # Mit wem
    status: str = "open"
    topic_id: str | None = None  # the Themenspeicher topic it came from


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


def clean_with(with_whom: str) -> str:
    return _clean(with_whom, MAX_WITH, "with_too_long")


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise Refused("action_status_unknown", 422, value=status[:20])
    return status


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
    with_whom: str = "",
) -> list[ActionItem]:
    if not step.is_open and not by_trainer:
        raise Refused("voting_closed", 409)
    what, who, due = clean_fields(what, who, due)
    position = _next_position(items)
    return [
        ActionItem(
            new_id, step.id, participant_id, what, who, due, position, now, clean_with(with_whom)
        )
    ]


def _next_position(items: Sequence[ActionItem]) -> int:
    return max((item.position for item in items), default=-1) + 1


def from_topics(
    step: Step,
    items: Sequence[ActionItem],
    topics: Sequence[tuple[str, str]],
    new_ids: Iterator[str],
    now: float,
) -> list[ActionItem]:
    """A row per topic (id, title) not yet in this plan, in the order given: what the
    room chose becomes what to do, and each row remembers its topic."""
    planned = {item.topic_id for item in items}
    position = _next_position(items)
    rows = []
    for topic_id, title in topics:
        if topic_id in planned:
            continue
        what = _clean(title, MAX_WHAT, "what_too_long")
        rows.append(
            ActionItem(next(new_ids), step.id, None, what, "", "", position, now, topic_id=topic_id)
        )
        position += 1
    return rows


def _item(items: Sequence[ActionItem], item_id: str) -> ActionItem:
    for item in items:
        if item.id == item_id:
            return item
    raise Refused("action_not_found", 404)


def edit(
    items: Sequence[ActionItem],
    item_id: str,
    what: str,
    who: str,
    due: str,
    with_whom: str | None = None,
    status: str | None = None,
) -> list[ActionItem]:
    """The trainer edits any item in the console (a field not sent stays as it is)."""
    item = _item(items, item_id)
    what, who, due = clean_fields(what, who, due)
    changed = replace(item, what=what, who=who, due=due)
    if with_whom is not None:
        changed = replace(changed, with_whom=clean_with(with_whom))
    if status is not None:
        changed = replace(changed, status=check_status(status))
    return [] if changed == item else [changed]


def set_status(items: Sequence[ActionItem], item_id: str, status: str) -> list[ActionItem]:
    item = _item(items, item_id)
    changed = replace(item, status=check_status(status))
    return [] if changed == item else [changed]


def remove(items: Sequence[ActionItem], item_id: str) -> list[Deleted]:
    return [Deleted(ActionItem, _item(items, item_id).id)]
