"""The workshop's agenda and its timer: which steps, in which order, which is on. No I/O.

Phones and boards always show the active step; the trainer moves the agenda.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from board.changes import Deleted
from board.errors import Refused
from board.exercises import Exercise
from board.steps import Step, new_step
from board.workshops import Workshop

MAX_STEPS = 60
MAX_TIMER_SECONDS = 4 * 60 * 60


def steps_from(
    exercise: Exercise, workshop_id: str, first_position: int, new_id: Callable[[], str]
) -> list[Step]:
    return [
        new_step(new_id(), workshop_id, first_position + i, spec.kind, spec.config)
        for i, spec in enumerate(exercise.steps)
    ]


# -- the plan on the start page, before the workshop exists ---------------------------
def plan(order: Sequence[str], chosen: Sequence[str]) -> list[str]:
    """The start page's agenda: the order so far without what was unticked, then what was
    newly ticked, in the order the page lists it. Keys of exercises or single steps."""
    ticked = list(dict.fromkeys(chosen))
    kept = [key for key in dict.fromkeys(order) if key in ticked]
    return kept + [key for key in ticked if key not in kept]


def move_in_plan(keys: Sequence[str], index: int, offset: int) -> list[str]:
    """The plan with the entry at ``index`` moved ``offset`` places (within the ends)."""
    moved = list(keys)
    if not 0 <= index < len(moved):
        return moved
    target = max(0, min(index + offset, len(moved) - 1))
    moved.insert(target, moved.pop(index))
    return moved


def check_size(exercises: Sequence[Exercise]) -> None:
    """A new workshop's agenda fits the limit an agenda keeps later."""
    if sum(len(exercise.steps) for exercise in exercises) > MAX_STEPS:
        raise Refused("agenda_full", 422, max=MAX_STEPS)


def add_exercise(
    workshop: Workshop, steps: Sequence[Step], exercise: Exercise, new_id: Callable[[], str]
) -> list[Step | Workshop]:
    """Append an exercise's steps; an empty agenda gets the first one active."""
    if len(steps) + len(exercise.steps) > MAX_STEPS:
        raise Refused("agenda_full", 409, max=MAX_STEPS)
    start = max((step.position for step in steps), default=-1) + 1
    added: list[Step | Workshop] = list(steps_from(exercise, workshop.id, start, new_id))
    if workshop.active_step_id is None and added:
        first = added[0]
        assert isinstance(first, Step)
        added.append(replace(workshop, active_step_id=first.id))
    return added


def _find(steps: Sequence[Step], step_id: str) -> Step:
    for step in steps:
        if step.id == step_id:
            return step
    raise Refused("step_not_found", 404)


def ordered(steps: Sequence[Step]) -> list[Step]:
    return sorted(steps, key=lambda step: step.position)


def move_step(steps: Sequence[Step], step_id: str, index: int) -> list[Step]:
    step = _find(steps, step_id)
    order = [s for s in ordered(steps) if s.id != step.id]
    order.insert(max(0, min(index, len(order))), step)
    return [replace(s, position=i) for i, s in enumerate(order) if s.position != i]


def remove_step(
    workshop: Workshop, steps: Sequence[Step], step_id: str
) -> list[Step | Workshop | Deleted]:
    """Remove a step and everything written on it; the last step stays."""
    step = _find(steps, step_id)
    order = ordered(steps)
    if len(order) == 1:
        raise Refused("last_step", 409)
    changes: list[Step | Workshop | Deleted] = [Deleted(Step, step.id)]
    if workshop.active_step_id == step.id:
        index = order.index(step)
        neighbour = order[index + 1] if index + 1 < len(order) else order[index - 1]
        changes.append(_go_to(workshop, neighbour.id))
    return changes


def activate(workshop: Workshop, steps: Sequence[Step], step_id: str) -> list[Workshop]:
    """Go to a step: every phone and board switches to it."""
    step = _find(steps, step_id)
    if workshop.active_step_id == step.id:
        return []
    return [_go_to(workshop, step.id)]


def _go_to(workshop: Workshop, step_id: str) -> Workshop:
    # The timer belongs to the step it was started on: "time is up" must not follow
    # the room into the next step, on any screen.
    return replace(workshop, active_step_id=step_id, timer_ends_at=None, timer_seconds=None)


def next_step(workshop: Workshop, steps: Sequence[Step], offset: int) -> list[Workshop]:
    order = ordered(steps)
    ids = [step.id for step in order]
    index = ids.index(workshop.active_step_id) if workshop.active_step_id in ids else -1
    target = index + offset
    if not 0 <= target < len(order):
        raise Refused("no_more_steps", 409)
    return activate(workshop, steps, ids[target])


def start_timer(workshop: Workshop, seconds: float, now: float) -> list[Workshop]:
    if not 1 <= seconds <= MAX_TIMER_SECONDS:  # also refuses inf and nan
        raise Refused("timer_out_of_range", 422, max=MAX_TIMER_SECONDS // 60)
    whole = round(seconds)
    return [replace(workshop, timer_ends_at=now + whole, timer_seconds=whole)]


def stop_timer(workshop: Workshop) -> list[Workshop]:
    if workshop.timer_ends_at is None:
        return []
    return [replace(workshop, timer_ends_at=None, timer_seconds=None)]


def set_gong(workshop: Workshop, on: bool) -> list[Workshop]:
    """Whether the board sounds a gong when the timer runs out."""
    return [] if workshop.gong == on else [replace(workshop, gong=on)]
