"""Dots, scales, grids and moods: who may vote what, and the results. No I/O.

Every command takes the step, the participant's votes on it and the new
input, and returns the changes to store. Budgets and limits are checked here
on the state read inside the write transaction (``BEGIN IMMEDIATE``), so a
burst of taps cannot overspend.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from board.changes import Deleted
from board.errors import Refused
from board.steps import Step

MAX_WORD_LENGTH = 40
MAX_BUDGET = 50  # the most dots a step can give one person (console and exercise files)
QUADRANTS = ("top_left", "top_right", "bottom_left", "bottom_right")


@dataclass(frozen=True)
class Vote:
    id: str
    step_id: str
    participant_id: str
    key: str  # "" for a scale or mood, the situation for a grid, the option for dots
    value: int | None
    x: float | None
    y: float | None
    word: str | None
    created_at: float
    # On a step run in small groups (board.teams): the voter's team when they voted.
    team_id: str | None = None


@dataclass(frozen=True)
class Option:
    id: str
    label: str


def require_voting(step: Step) -> None:
    """Votes go to an open step only (which step is active is checked before, once,
    by board.kinds.require_active; the step's kind picked this rule)."""
    if not step.is_open:
        raise Refused("voting_closed", 409)


def _place(
    mine: Sequence[Vote],
    step: Step,
    participant_id: str,
    key: str,
    new_id: str,
    now: float,
    **fields: object,
) -> list[Vote]:
    """Put (or move) the one vote this person has under ``key``."""
    for vote in mine:
        if vote.key == key:
            moved = replace(vote, **fields)  # type: ignore[arg-type]
            return [] if moved == vote else [moved]
    values: dict[str, object] = {"value": None, "x": None, "y": None, "word": None} | fields
    return [Vote(new_id, step.id, participant_id, key, created_at=now, **values)]  # type: ignore[arg-type]


# -- Ein-Punkt-Abfrage ---------------------------------------------------------------
def scale_labels(step: Step) -> list[dict[str, str]]:
    return list(step.config.get("labels", []))


def check_scale_value(step: Step, value: int) -> int:
    """A position on the scale (0-based), as placed from a phone or imported."""
    if not 0 <= value < len(scale_labels(step)):
        raise Refused("scale_out_of_range", 422)
    return value


def scale_vote(
    step: Step, mine: Sequence[Vote], participant_id: str, value: int, new_id: str, now: float
) -> list[Vote]:
    """One dot per person on the scale; placing it again moves it."""
    value = check_scale_value(step, value)
    return _place(mine, step, participant_id, "", new_id, now, value=value)


@dataclass(frozen=True)
class ScaleResult:
    counts: list[int]
    n: int
    median: float | None  # 1-based position on the scale
    mean: float | None


def scale_result(step: Step, votes: Iterable[Vote]) -> ScaleResult:
    size = len(scale_labels(step))
    values = [v.value for v in votes if v.value is not None and 0 <= v.value < size]
    counts = [0] * size
    for value in values:
        counts[value] += 1
    if not values:
        return ScaleResult(counts, 0, None, None)
    positions = [value + 1 for value in values]
    return ScaleResult(
        counts, len(values), float(statistics.median(positions)), statistics.fmean(positions)
    )


# -- Koordinatenabfrage ----------------------------------------------------------------
def situations(step: Step) -> list[dict[str, str]]:
    return list(step.config.get("situations", []))


def grid_vote(
    step: Step,
    mine: Sequence[Vote],
    participant_id: str,
    situation: int,
    x: float,
    y: float,
    new_id: str,
    now: float,
) -> list[Vote]:
    """One point per person per situation, x and y from -1 to 1 (+/+ is top right)."""
    situation = check_situation(step, situation)
    x, y = check_point(x, y)
    return _place(mine, step, participant_id, str(situation), new_id, now, x=x, y=y)


def check_situation(step: Step, situation: int) -> int:
    if not 0 <= situation < len(situations(step)):
        raise Refused("situation_unknown", 422)
    return situation


def check_point(x: float, y: float) -> tuple[float, float]:
    """A point on the grid, x and y from -1 to 1, kept to four decimals."""
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):  # also refuses NaN
        raise Refused("point_outside", 422)
    return round(x, 4), round(y, 4)


def quadrant(x: float, y: float) -> str:
    """Points on an axis count to the "ok" side, as the axis labels read."""
    return ("top_" if y >= 0 else "bottom_") + ("right" if x >= 0 else "left")


@dataclass(frozen=True)
class GridResult:
    situation: int
    points: list[tuple[float, float]]
    quadrants: dict[str, int]


def grid_result(step: Step, votes: Iterable[Vote]) -> list[GridResult]:
    by_situation: dict[int, list[tuple[float, float]]] = {
        i: [] for i in range(len(situations(step)))
    }
    for vote in votes:
        if vote.x is None or vote.y is None or not vote.key.isdecimal():
            continue
        if int(vote.key) in by_situation:
            by_situation[int(vote.key)].append((vote.x, vote.y))
    results = []
    for situation, points in by_situation.items():
        counts = Counter(quadrant(x, y) for x, y in points)
        results.append(GridResult(situation, points, {q: counts[q] for q in QUADRANTS}))
    return results


# -- Mehr-Punkt-Abfrage --------------------------------------------------------------
def default_budget(options: int) -> int:
    """About a third of the options, at least one (the Metaplan rule of thumb)."""
    return max(1, round(options / 3))


def dot_budget(step: Step, options: int) -> int:
    budget = step.config.get("budget")
    return int(budget) if budget else default_budget(options)


def per_option_limit(step: Step, options: int) -> int:
    limit = step.config.get("max_per_option")
    return int(limit) if limit else dot_budget(step, options)


def set_budget(step: Step, budget: int) -> Step:
    if not 1 <= budget <= MAX_BUDGET:
        raise Refused("budget_out_of_range", 422, max=MAX_BUDGET)
    return replace(step, config=step.config | {"budget": budget})


def dots_spent(options: Sequence[Option], mine: Iterable[Vote]) -> int:
    """Dots on the options offered now: those on a cluster since merged or dissolved
    are free again (they can no longer be taken back)."""
    offered = {o.id for o in options}
    return sum(v.value or 0 for v in mine if v.key in offered)


def dots_change(
    step: Step,
    options: Sequence[Option],
    mine: Sequence[Vote],
    participant_id: str,
    option_id: str,
    delta: int,
    new_id: str,
    now: float,
) -> list[Vote | Deleted]:
    """Spend (+1) or take back (-1) one dot on an option."""
    if option_id not in {o.id for o in options}:
        raise Refused("option_unknown", 422)
    if delta not in (1, -1):
        raise Refused("bad_request", 400)
    spent = dots_spent(options, mine)
    current = next((v for v in mine if v.key == option_id), None)
    on_option = current.value or 0 if current else 0
    if delta == 1:
        if spent >= dot_budget(step, len(options)):
            raise Refused("no_dots_left", 409)
        if on_option >= per_option_limit(step, len(options)):
            raise Refused("option_full", 409, max=per_option_limit(step, len(options)))
    elif on_option == 0:
        raise Refused("no_dot_to_take_back", 409)
    if current is None:
        return [Vote(new_id, step.id, participant_id, option_id, 1, None, None, None, now)]
    if on_option + delta == 0:
        return [Deleted(Vote, current.id)]
    return [replace(current, value=on_option + delta)]


@dataclass(frozen=True)
class Ranked:
    option: Option
    dots: int
    rank: int


def ranking(options: Sequence[Option], votes: Iterable[Vote]) -> list[Ranked]:
    """The Themenspeicher: options by dots, ties share a rank (1, 2, 2, 4)."""
    dots = Counter[str]()
    for vote in votes:
        dots[vote.key] += vote.value or 0
    order = sorted(enumerate(options), key=lambda pair: (-dots[pair[1].id], pair[0]))
    ranked: list[Ranked] = []
    for place, (_, option) in enumerate(order, start=1):
        same = ranked and ranked[-1].dots == dots[option.id]
        ranked.append(Ranked(option, dots[option.id], ranked[-1].rank if same else place))
    return ranked


def voters(votes: Iterable[Vote]) -> int:
    return len({vote.participant_id for vote in votes})


# -- Stimmungsbarometer --------------------------------------------------------------
def mood_options(step: Step) -> list[dict[str, object]]:
    return list(step.config.get("options", []))


def mood_vote(
    step: Step,
    mine: Sequence[Vote],
    participant_id: str,
    value: int,
    word: str,
    new_id: str,
    now: float,
) -> list[Vote]:
    value = check_mood_value(step, value)
    cleaned = clean_word(step, word)
    return _place(mine, step, participant_id, "", new_id, now, value=value, word=cleaned)


def check_mood_value(step: Step, value: int) -> int:
    if not 0 <= value < len(mood_options(step)):
        raise Refused("mood_unknown", 422)
    return value


def clean_word(step: Step, word: str) -> str | None:
    """The one word beside a mood; none where the step asks for none."""
    cleaned = " ".join(word.split())
    if len(cleaned) > MAX_WORD_LENGTH:
        raise Refused("word_too_long", 422, max=MAX_WORD_LENGTH)
    if not step.config.get("word", True):
        return None
    return cleaned or None


@dataclass(frozen=True)
class MoodResult:
    counts: list[int]
    n: int
    words: list[tuple[int, str]]  # (option, word), oldest first


def mood_result(step: Step, votes: Iterable[Vote]) -> MoodResult:
    size = len(mood_options(step))
    counts = [0] * size
    words: list[tuple[float, int, str]] = []
    n = 0
    for vote in votes:
        if vote.value is None or not 0 <= vote.value < size:
            continue
        counts[vote.value] += 1
        n += 1
        if vote.word:
            words.append((vote.created_at, vote.value, vote.word))
    return MoodResult(counts, n, [(value, word) for _, value, word in sorted(words)])
