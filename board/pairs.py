"""SpeedMeet: who meets whom in which round, at which table. No I/O.

For a fixed group the circle method is optimal: n-1 rounds for even n, n
rounds for odd n with one break each, and everyone meets everyone exactly
once. When people join or leave mid-way, the rounds not yet begun are
planned again, round by round, as a maximum matching over the pairs that
have not met yet among those present: no pair meets twice while unmet pairs
remain, and as few people as possible sit out each round.

Time decides the current round: round k talks from ``started_at + k*(R+C)``
for R seconds, then C seconds to change tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import networkx as nx

from board.errors import Refused
from board.steps import Step
from board.workshops import clean_nickname

Pair = tuple[str, str]
Round = list[Pair]  # one table per pair, in table order


MIN_ROUND_SECONDS = 5
MAX_ROUND_MINUTES = 30
MAX_CHANGEOVER_SECONDS = 300
# People in one SpeedMeet circle, as in the source: ten meet nine others for four minutes
# each within an hour. More make the round too long; the console says so before the start.
MAX_CIRCLE = 10


@dataclass(frozen=True)
class Person:
    step_id: str
    participant_id: str
    nickname: str
    joined_at: float
    left_at: float | None

    @property
    def present(self) -> bool:
        return self.left_at is None


def circle_rounds(people: Sequence[str]) -> list[Round]:
    """The round-robin schedule: fix one seat, rotate the others."""
    seats: list[str | None] = list(people)
    if len(seats) < 2:
        return []
    if len(seats) % 2:
        seats.append(None)  # the one paired with None has a break
    n = len(seats)
    rounds: list[Round] = []
    for _ in range(n - 1):
        pairs = [(seats[i], seats[n - 1 - i]) for i in range(n // 2)]
        rounds.append([(a, b) for a, b in pairs if a is not None and b is not None])
        seats = [seats[0], seats[-1], *seats[1:-1]]
    return rounds


def rounds_needed(people: int) -> int:
    """How many rounds everyone-meets-everyone takes for ``people`` (as circle_rounds
    plans them: n-1 for even n, n for odd n)."""
    if people < 2:
        return 0
    return people - 1 if people % 2 == 0 else people


def duration(rounds: int, talk: float, change: float) -> float:
    """How long ``rounds`` take in seconds: every round's talk, and a change-over between
    two rounds (none after the last: the clock ends with the last talk)."""
    return rounds * talk + max(rounds - 1, 0) * change


def met_pairs(rounds: Iterable[Round]) -> set[frozenset[str]]:
    return {frozenset(pair) for round_ in rounds for pair in round_}


def plan_rounds(present: Sequence[str], met: set[frozenset[str]]) -> list[Round]:
    """Plan until no unmet pair is left among ``present`` (maximum matching per round)."""
    met = set(met)
    if not met and len(present) >= 2:
        return circle_rounds(present)
    order = {person: i for i, person in enumerate(present)}
    rounds: list[Round] = []
    while True:
        graph = nx.Graph()
        graph.add_nodes_from(present)
        for a, b in combinations(present, 2):
            if frozenset((a, b)) not in met:
                graph.add_edge(a, b)
        if graph.number_of_edges() == 0:
            return rounds
        matching = nx.max_weight_matching(graph, maxcardinality=True)
        round_ = sorted(
            (tuple(sorted(pair, key=order.__getitem__)) for pair in matching),
            key=lambda pair: order[pair[0]],
        )
        rounds.append([(a, b) for a, b in round_])
        met |= met_pairs([rounds[-1]])


def replan(held: Sequence[Round], present: Sequence[str]) -> list[Round]:
    """Keep the rounds already held (or under way) and plan the rest for ``present``."""
    return [*held, *plan_rounds(present, met_pairs(held))]


def sitting_out(round_: Round, present: Iterable[str]) -> list[str]:
    busy = {person for pair in round_ for person in pair}
    return [person for person in present if person not in busy]


@dataclass(frozen=True)
class Clock:
    """Where a SpeedMeet is at time ``now``."""

    round: int  # 0-based; == number of rounds when finished; -1 before the start
    talking: bool  # False while changing tables
    phase_ends_at: float | None


def clock(started_at: float | None, rounds: int, talk: float, change: float, now: float) -> Clock:
    if started_at is None or rounds == 0:
        return Clock(-1, False, None)
    if now < started_at:
        return Clock(-1, False, started_at)
    period = talk + change
    index = int((now - started_at) // period)
    if index >= rounds:
        return Clock(rounds, False, None)
    round_start = started_at + index * period
    if now < round_start + talk:
        return Clock(index, True, round_start + talk)
    if index + 1 >= rounds:
        return Clock(rounds, False, None)
    return Clock(index, False, round_start + period)


def partner(round_: Round, person: str) -> tuple[str, int] | None:
    """Who ``person`` meets in this round, and at which table (1-based)."""
    for table, (a, b) in enumerate(round_, start=1):
        if person == a:
            return b, table
        if person == b:
            return a, table
    return None


# -- the SpeedMeet step: its plan lives in the step's config --------------------------
def timing(step: Step) -> tuple[float, float]:
    """Talk and change-over time in seconds."""
    return (
        float(step.config.get("round_minutes", 4)) * 60,
        float(step.config.get("changeover_seconds", 30)),
    )


def planned(step: Step) -> list[Round]:
    return [[(a, b) for a, b in round_] for round_ in step.config.get("rounds", [])]


def clock_of(step: Step, now: float) -> Clock:
    talk, change = timing(step)
    return clock(step.config.get("started_at"), len(planned(step)), talk, change, now)


def _with_plan(step: Step, **plan: Any) -> Step:
    config = {k: v for k, v in step.config.items() if k not in ("started_at", "rounds")}
    return replace(step, config=config | {k: v for k, v in plan.items() if v is not None})


def _replanned(step: Step, people: Sequence[Person], now: float) -> list[Step]:
    """After someone joins or leaves: keep the rounds begun, plan the rest."""
    now_at = clock_of(step, now)
    if now_at.round < 0 or now_at.round >= len(planned(step)):
        return []  # not started, or over: nothing to re-plan
    held = planned(step)[: now_at.round + 1]
    present = [p.participant_id for p in people if p.present]
    rounds = replan(held, present)
    return [_with_plan(step, started_at=step.config["started_at"], rounds=rounds)]


def speedmeet_name(raw: str) -> str:
    """The nickname partners look for: required here, however anonymous the rest is."""
    name = clean_nickname(raw)
    if not name:
        raise Refused("nickname_needed", 422)
    return name


def join(
    step: Step, people: Sequence[Person], participant_id: str, nickname: str, now: float
) -> list[Step | Person]:
    """Take part (with a nickname, so partners find each other)."""
    name = speedmeet_name(nickname)
    others = [p for p in people if p.participant_id != participant_id]
    if any(p.nickname.casefold() == name.casefold() and p.present for p in others):
        raise Refused("nickname_taken", 409)
    existing = next((p for p in people if p.participant_id == participant_id), None)
    person = (
        replace(existing, nickname=name, left_at=None)
        if existing
        else Person(step.id, participant_id, name, now, None)
    )
    if person == existing:
        return []
    if existing is not None and existing.present:  # only the nickname changed
        return [person]
    return [person, *_replanned(step, [*others, person], now)]


def leave(
    step: Step, people: Sequence[Person], participant_id: str, now: float
) -> list[Step | Person]:
    person = next((p for p in people if p.participant_id == participant_id and p.present), None)
    if person is None:
        return []
    gone = replace(person, left_at=now)
    others = [p for p in people if p.participant_id != participant_id]
    return [gone, *_replanned(step, [*others, gone], now)]


def start(step: Step, people: Sequence[Person], now: float) -> list[Step]:
    """Plan all rounds for who is here (circle method) and start the first one now."""
    present = [p.participant_id for p in sorted(people, key=lambda p: p.joined_at) if p.present]
    if len(present) < 2:
        raise Refused("too_few_people", 409)
    return [_with_plan(step, started_at=now, rounds=circle_rounds(present))]


def reset(step: Step) -> list[Step]:
    return [] if "started_at" not in step.config else [_with_plan(step)]


def set_timing(step: Step, round_minutes: float, changeover_seconds: int) -> list[Step]:
    """Round length in minutes (decimals allowed, at least 5 seconds) and change-over."""
    if "started_at" in step.config:
        raise Refused("already_started", 409)
    if not (
        MIN_ROUND_SECONDS / 60 <= round_minutes <= MAX_ROUND_MINUTES
        and 0 <= changeover_seconds <= MAX_CHANGEOVER_SECONDS
    ):
        raise Refused("timing_out_of_range", 422)
    config = step.config | {
        "round_minutes": round_minutes,
        "changeover_seconds": changeover_seconds,
    }
    return [] if config == step.config else [replace(step, config=config)]
