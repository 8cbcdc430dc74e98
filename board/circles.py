"""SpeedMeet in parallel circles: a large room meets in several circles at once. No I/O.

One circle of more than :data:`board.pairs.MAX_CIRCLE` people takes too long (ten
people, four-minute talks: forty minutes). So the room splits into the fewest circles
of at most ``max_size`` (the trainer's choice, up to MAX_CIRCLE), sizes differing by
at most one, in the order people joined; each circle is planned everyone-meets-
everyone with the circle method of :mod:`board.pairs`, and all circles keep the
same clock: round k is round k everywhere. A smaller circle finishes a round or two
earlier; the SpeedMeet lasts as long as its longest circle (:func:`total_duration`).

Tables are numbered across the room: circle 1 sits at tables 1…k, circle 2 goes on
at k+1, so "Tisch 7" is one table. A circle has a table for each pair of its fullest
round; when a re-plan needs one more, it gets the next number after every table in
use, so no table anyone sits at changes its number.

People coming and going mid-way (``held``: the rounds held or under way, the clock's
round + 1) are re-planned within their circle as :func:`board.pairs.replan` does: the
rounds begun stay, the rest meet the unmet pairs. A late joiner goes into the
smallest circle (the first among equals), even if it then has one more than
``max_size``: a new circle of one would meet nobody. Someone who leaves leaves their
circle. Before the start, plan afresh with :func:`plan`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from board import pairs
from board.errors import Refused
from board.pairs import MAX_CIRCLE, Person, Round, circle_rounds, duration, partner, replan
from board.steps import Step

# Below four, a circle is one or two talks: not worth a circle of its own.
MIN_CIRCLE = 4


@dataclass(frozen=True)
class Circle:
    people: tuple[str, ...]  # who is in the circle now, in the order they joined it
    rounds: tuple[Round, ...]  # round k of the room's clock: this circle's pairs
    tables: tuple[int, ...]  # the table of each pair of a round, in order (room-wide numbers)


def check_circle_size(size: int) -> int:
    """The trainer's largest circle."""
    if not MIN_CIRCLE <= size <= MAX_CIRCLE:
        raise Refused("circle_size_range", 422, low=MIN_CIRCLE, high=MAX_CIRCLE)
    return size


def split(people: Sequence[str], max_size: int = MAX_CIRCLE) -> list[list[str]]:
    """The fewest circles of at most ``max_size``, sizes differing by at most one, cut in
    the order given (the first circles the larger)."""
    people = list(dict.fromkeys(people))
    count = math.ceil(len(people) / max(max_size, 1))
    base, extra = divmod(len(people), count) if count else (0, 0)
    circles, start = [], 0
    for i in range(count):
        end = start + base + (1 if i < extra else 0)
        circles.append(people[start:end])
        start = end
    return circles


def plan(people: Sequence[str], max_size: int = MAX_CIRCLE) -> tuple[Circle, ...]:
    """Every circle's rounds (circle method) and its tables, numbered across the room."""
    circles: list[Circle] = []
    next_table = 1
    for members in split(people, max_size):
        rounds = tuple(circle_rounds(members))
        tables = tuple(range(next_table, next_table + _tables_needed(rounds)))
        next_table += len(tables)
        circles.append(Circle(tuple(members), rounds, tables))
    return tuple(circles)


def _tables_needed(rounds: Sequence[Round]) -> int:
    return max((len(round_) for round_ in rounds), default=0)


def rounds_of(circles: Sequence[Circle]) -> int:
    """How many rounds the SpeedMeet has: its longest circle's."""
    return max((len(circle.rounds) for circle in circles), default=0)


def total_duration(circles: Sequence[Circle], talk: float, change: float) -> float:
    """How long the whole SpeedMeet takes in seconds, shown before the start: the longest
    circle's rounds, with a change-over between two rounds (none after the last, as
    :func:`board.pairs.duration` and the clock count)."""
    return duration(rounds_of(circles), talk, change)


def circle_of(circles: Sequence[Circle], person: str) -> int | None:
    """The index of the person's circle (None: in none)."""
    return next((i for i, c in enumerate(circles) if person in c.people), None)


def seat(circles: Sequence[Circle], round_index: int, person: str) -> tuple[str, int] | None:
    """Whom ``person`` meets in round ``round_index`` and at which table (room-wide), or
    None: a break, their circle is done, or they are in no circle."""
    index = circle_of(circles, person)
    if index is None:
        return None
    circle = circles[index]
    if not 0 <= round_index < len(circle.rounds):
        return None
    found = partner(circle.rounds[round_index], person)
    if found is None:
        return None
    other, table = found
    return other, circle.tables[table - 1]


def join(circles: Sequence[Circle], person: str, held: int) -> tuple[Circle, ...]:
    """Someone arrives mid-way: into the smallest circle, which is planned again."""
    if not circles or circle_of(circles, person) is not None:
        return tuple(circles)
    smallest = min(range(len(circles)), key=lambda i: len(circles[i].people))
    return _replanned(circles, smallest, (*circles[smallest].people, person), held)


def leave(circles: Sequence[Circle], person: str, held: int) -> tuple[Circle, ...]:
    """Someone leaves mid-way: their circle is planned again without them."""
    index = circle_of(circles, person)
    if index is None:
        return tuple(circles)
    people = tuple(p for p in circles[index].people if p != person)
    return _replanned(circles, index, people, held)


def _replanned(
    circles: Sequence[Circle], index: int, people: tuple[str, ...], held: int
) -> tuple[Circle, ...]:
    circle = circles[index]
    begun = list(circle.rounds[:held])
    # A circle that finished early waits in empty rounds: its next talk is on the room's clock.
    begun += [[] for _ in range(held - len(begun))]
    planned = replan(begun, people)
    while planned and not planned[-1]:  # waiting, and nobody new to meet: done
        planned.pop()
    rounds = tuple(planned)
    tables = circle.tables
    extra = _tables_needed(rounds) - len(tables)
    if extra > 0:
        last = max((t for c in circles for t in c.tables), default=0)
        tables = (*tables, *range(last + 1, last + 1 + extra))
    changed = replace(circle, people=people, rounds=rounds, tables=tables)
    return (*circles[:index], changed, *circles[index + 1 :])


# -- in a step's config (JSON) ----------------------------------------------------------------
def to_config(circles: Sequence[Circle]) -> list[dict[str, Any]]:
    """The circles as a step's config keeps them (plain lists, for JSON)."""
    return [
        {
            "people": list(c.people),
            "rounds": [[list(pair) for pair in round_] for round_ in c.rounds],
            "tables": list(c.tables),
        }
        for c in circles
    ]


def from_config(raw: Sequence[dict[str, Any]]) -> tuple[Circle, ...]:
    return tuple(
        Circle(
            tuple(c["people"]),
            tuple([(a, b) for a, b in round_] for round_ in c["rounds"]),
            tuple(c["tables"]),
        )
        for c in raw
    )


# -- the SpeedMeet step: the trainer's circle size and, once started, the circles ----------
# A room that fits one circle keeps its plan as before (config "rounds", board.pairs);
# a larger one keeps its circles instead (config "circles"), never both.
SIZE = "circle_size"
CIRCLES = "circles"


def size_of(step: Step) -> int:
    return int(step.config.get(SIZE, MAX_CIRCLE))


def of_step(step: Step) -> tuple[Circle, ...]:
    """The step's circles once started; a one-circle plan as one circle at tables 1…k."""
    if CIRCLES in step.config:
        return from_config(step.config[CIRCLES])
    rounds = pairs.planned(step)
    if not rounds:
        return ()
    people = tuple(dict.fromkeys(p for round_ in rounds for pair in round_ for p in pair))
    return (Circle(people, tuple(rounds), tuple(range(1, _tables_needed(rounds) + 1))),)


def room_rounds(circles: Sequence[Circle]) -> list[Round]:
    """Round k of every circle together: who meets in round k anywhere in the room."""
    return [
        [pair for circle in circles if k < len(circle.rounds) for pair in circle.rounds[k]]
        for k in range(rounds_of(circles))
    ]


def clock_of(step: Step, now: float) -> pairs.Clock:
    talk, change = pairs.timing(step)
    started = step.config.get("started_at")
    return pairs.clock(started, rounds_of(of_step(step)), talk, change, now)


def present_in_order(people: Sequence[Person]) -> list[str]:
    """Who is here, in the order they joined (the circles are cut in it)."""
    return [p.participant_id for p in sorted(people, key=lambda p: p.joined_at) if p.present]


def start(step: Step, people: Sequence[Person], now: float) -> list[Step]:
    """Split the room into circles and start the first round now; a room that fits one
    circle starts as :func:`board.pairs.start` does."""
    present = present_in_order(people)
    if len(split(present, size_of(step))) <= 1:
        return pairs.start(step, people, now)
    circles = plan(present, size_of(step))
    return [_with_circles(step, started_at=now, circles=to_config(circles))]


def reset(step: Step) -> list[Step]:
    return [] if "started_at" not in step.config else [_with_circles(step)]


def _with_circles(step: Step, **plan_: Any) -> Step:
    config = {k: v for k, v in step.config.items() if k not in ("started_at", "rounds", CIRCLES)}
    return replace(step, config=config | plan_)


def set_size(step: Step, size: int) -> list[Step]:
    """The trainer's largest circle, before the start."""
    if "started_at" in step.config:
        raise Refused("already_started", 409)
    config = step.config | {SIZE: check_circle_size(size)}
    return [] if config == step.config else [replace(step, config=config)]


def join_step(
    step: Step, people: Sequence[Person], participant_id: str, nickname: str, now: float
) -> list[Step | Person]:
    """Take part (board.pairs.join); in a room of circles a latecomer goes into one."""
    changes = pairs.join(step, people, participant_id, nickname, now)
    if not changes:
        return []
    return [*changes, *_replanned_step(step, now, lambda c, held: join(c, participant_id, held))]


def leave_step(
    step: Step, people: Sequence[Person], participant_id: str, now: float
) -> list[Step | Person]:
    changes = pairs.leave(step, people, participant_id, now)
    if not changes:
        return []
    return [*changes, *_replanned_step(step, now, lambda c, held: leave(c, participant_id, held))]


def _replanned_step(
    step: Step,
    now: float,
    change: Callable[[tuple[Circle, ...], int], tuple[Circle, ...]],
) -> list[Step]:
    """The circles after someone came or went while the rounds run (as board.pairs
    re-plans one circle: not before the start, nor once over)."""
    if CIRCLES not in step.config:
        return []
    circles = of_step(step)
    at = clock_of(step, now)
    if not 0 <= at.round < rounds_of(circles):
        return []
    changed = change(circles, at.round + 1)
    if changed == circles:
        return []
    return [replace(step, config=step.config | {CIRCLES: to_config(changed)})]
