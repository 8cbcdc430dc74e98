"""SpeedMeet: who is here meets one another in rounds of pairs."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from board import pairs
from board.exercise_fields import integer
from board.forms import Form
from board.kinds import Decide, Kind, Translate

if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.store.repository import Change
    from board.web.trainer import TrainerInput


def read_join(form: Form, participant_id: str) -> Decide:
    nickname = form.text("nickname")

    def command(snap: Snapshot) -> list[Change]:
        return [*pairs.join(snap.step, snap.people, participant_id, nickname, time.time())]

    return command


def read_leave(form: Form, participant_id: str) -> Decide:
    def command(snap: Snapshot) -> list[Change]:
        return [*pairs.leave(snap.step, snap.people, participant_id, time.time())]

    return command


def set_timing(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    minutes, seconds = ctx.number("round_minutes"), ctx.integer("changeover_seconds")
    return [*pairs.set_timing(snap.step, minutes, seconds)]


@dataclass(frozen=True)
class SpeedMeetView:
    """A SpeedMeet at one moment, as the board and phones show it."""

    clock: pairs.Clock
    rounds: list[pairs.Round]
    names: dict[str, str]
    present: list[str]
    timing: tuple[float, float]  # talk and change-over, in seconds

    @property
    def round_count(self) -> int:
        """The rounds planned, or before the start those the people here would need."""
        return len(self.rounds) if self.rounds else pairs.rounds_needed(len(self.present))

    @property
    def total_minutes(self) -> int:
        """How long all rounds take, in whole minutes (rounded up): what a trainer plans."""
        return math.ceil(pairs.duration(self.round_count, *self.timing) / 60)

    @property
    def round_minutes(self) -> float:
        minutes = self.timing[0] / 60
        return int(minutes) if minutes.is_integer() else round(minutes, 2)

    max_circle: ClassVar[int] = pairs.MAX_CIRCLE

    @property
    def too_many(self) -> bool:
        """More people here than one circle takes."""
        return len(self.present) > self.max_circle

    @property
    def started(self) -> bool:
        return self.clock.round >= 0 or self.clock.phase_ends_at is not None and bool(self.rounds)

    @property
    def finished(self) -> bool:
        return bool(self.rounds) and self.clock.round >= len(self.rounds)

    @property
    def current(self) -> pairs.Round:
        if 0 <= self.clock.round < len(self.rounds):
            return self.rounds[self.clock.round]
        return []

    @property
    def upcoming(self) -> pairs.Round:
        """The round people change tables for (the next one while changing)."""
        index = self.clock.round if self.clock.talking else self.clock.round + 1
        return self.rounds[index] if 0 <= index < len(self.rounds) else []

    def sitting_out(self, round_: pairs.Round) -> list[str]:
        return [self.names[p] for p in pairs.sitting_out(round_, self.present)]

    def partner(self, round_: pairs.Round, participant_id: str) -> tuple[str, int] | None:
        found = pairs.partner(round_, participant_id)
        if found is None:
            return None
        return self.names.get(found[0], "?"), found[1]


class Pairs(Kind):
    """Not hideable: a SpeedMeet is the room's own talk. Every phone has its own view
    (its partner, its table), so no phone's section is everybody's empty one."""

    name = "pairs"
    minutes = 40
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {
            "de": "Lernen Sie sich kennen: kurze Gespräche zu zweit.",
            "en": "Get to know each other: short talks in pairs.",
        }
    }

    def results(self, snap: Snapshot) -> SpeedMeetView:
        return SpeedMeetView(
            clock=pairs.clock_of(snap.step, snap.now),
            rounds=pairs.planned(snap.step),
            names={p.participant_id: p.nickname for p in snap.people},
            present=[p.participant_id for p in snap.people if p.present],
            timing=pairs.timing(snap.step),
        )

    sections = frozenset({"clusters", "people"})
    settings = {"round_minutes": integer(1, 30), "changeover_seconds": integer(0, 300)}
    defaults: ClassVar[dict[str, Any]] = {"round_minutes": 4, "changeover_seconds": 30}
    inputs = {"pairs/join": read_join, "pairs/leave": read_leave}
    trainer_actions = {
        "pairs-timing": set_timing,
        "pairs-start": lambda snap, ctx: [*pairs.start(snap.step, snap.people, ctx.now)],
        "pairs-reset": lambda snap, ctx: [*pairs.reset(snap.step)],
    }
    personal = True
    uses_nicknames = True

    def alias_config(
        self, config: dict[str, Any], alias: Callable[[str], str | None]
    ) -> dict[str, Any]:
        """The planned rounds name participants."""
        if "rounds" not in config:
            return config
        rounds = [[[alias(a), alias(b)] for a, b in round_] for round_ in config["rounds"]]
        return config | {"rounds": rounds}

    def next_change_at(self, snap: Snapshot) -> float | None:
        meet: SpeedMeetView = snap.results
        return meet.clock.phase_ends_at

    def summary(self, snap: Snapshot) -> tuple[int, int]:
        """Rounds held and pairs that met."""
        meet: SpeedMeetView = snap.results
        held = meet.rounds if meet.finished else meet.rounds[: max(0, meet.clock.round + 1)]
        return len(held), len({frozenset(pair) for round_ in held for pair in round_})

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        rounds, met = self.summary(snap)
        yield f"{t('rounds_held')}: {rounds} · {t('pairs_met')}: {met}"


KIND = Pairs()
