"""SpeedMeet: who is here meets one another in rounds of pairs."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from board import circles as parallel  # (a view's field is called circles)
from board import i18n, pairs
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
        return [*parallel.join_step(snap.step, snap.people, participant_id, nickname, time.time())]

    return command


def read_leave(form: Form, participant_id: str) -> Decide:
    def command(snap: Snapshot) -> list[Change]:
        return [*parallel.leave_step(snap.step, snap.people, participant_id, time.time())]

    return command


def set_timing(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    minutes, seconds = ctx.number("round_minutes"), ctx.integer("changeover_seconds")
    return [*pairs.set_timing(snap.step, minutes, seconds)]


def set_circle_size(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    return [*parallel.set_size(snap.step, ctx.integer("circle_size"))]


def _spans(numbers: Sequence[int]) -> str:
    """Table numbers as runs: 1–5, 16."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)


@dataclass(frozen=True)
class Seating:
    """One circle in one round, as the board lists it: its tables and who has a break."""

    number: int  # Kreis 1, 2, … (1-based)
    tables: list[tuple[int, str, str]]  # the room-wide table number and the two names
    out: list[str]  # the names of those here in this circle who have a break


@dataclass(frozen=True)
class SpeedMeetView:
    """A SpeedMeet at one moment, as the board and phones show it."""

    clock: pairs.Clock
    circles: tuple[parallel.Circle, ...]  # once started; one circle for a room that fits one
    names: dict[str, str]
    present: list[str]  # in the order they joined
    timing: tuple[float, float]  # talk and change-over, in seconds
    circle_size: int = pairs.MAX_CIRCLE  # the trainer's largest circle

    @cached_property
    def rounds(self) -> list[pairs.Round]:
        """Round k of every circle together (the room's rounds)."""
        return parallel.room_rounds(self.circles)

    @cached_property
    def planned(self) -> tuple[parallel.Circle, ...]:
        """The circles: as started, or before the start as the people here would sit."""
        return self.circles or parallel.plan(self.present, self.circle_size)

    @property
    def several(self) -> bool:
        """More than one circle (one circle shows as it always has)."""
        return len(self.planned) > 1

    @property
    def sizes(self) -> list[int]:
        return [len(circle.people) for circle in self.planned]

    @property
    def round_count(self) -> int:
        """The rounds planned, or before the start those the people here would need."""
        return parallel.rounds_of(self.planned)

    @property
    def total_minutes(self) -> int:
        """How long all rounds take, in whole minutes (rounded up): what a trainer plans."""
        return math.ceil(parallel.total_duration(self.planned, *self.timing) / 60)

    @property
    def round_minutes(self) -> float:
        minutes = self.timing[0] / 60
        return int(minutes) if minutes.is_integer() else round(minutes, 2)

    min_circle: ClassVar[int] = parallel.MIN_CIRCLE
    max_circle: ClassVar[int] = pairs.MAX_CIRCLE

    @property
    def started(self) -> bool:
        return self.clock.round >= 0 or self.clock.phase_ends_at is not None and bool(self.rounds)

    @property
    def finished(self) -> bool:
        return bool(self.rounds) and self.clock.round >= len(self.rounds)

    @property
    def shown_round(self) -> int:
        """The round the screens show: the one talking, or the one people change tables for."""
        return self.clock.round if self.clock.talking else self.clock.round + 1

    def seating(self, round_index: int) -> list[Seating]:
        """Every circle's tables in round ``round_index``, numbered across the room."""
        here = set(self.present)
        shown = []
        for number, circle in enumerate(self.circles, start=1):
            round_ = circle.rounds[round_index] if 0 <= round_index < len(circle.rounds) else []
            seated = {p for pair in round_ for p in pair}
            tables = [
                (circle.tables[i], self.names.get(a, "?"), self.names.get(b, "?"))
                for i, (a, b) in enumerate(round_)
            ]
            out = [self.names[p] for p in circle.people if p in here and p not in seated]
            shown.append(Seating(number, tables, out))
        return shown

    def circle_lines(self, t: Translate) -> list[str]:
        """Each circle as the protocol names it: "Kreis 1: 10 Personen, Tische 1–5"."""
        return [
            f"{t('circle_name', number=number)}: "
            + t("circle_people_tables", n=len(circle.people), tables=_spans(circle.tables))
            for number, circle in enumerate(self.circles, start=1)
        ]

    def circle_number(self, participant_id: str) -> int | None:
        """The participant's circle, counted from 1, while the room meets in more than one
        (None: one circle, or in none)."""
        found = parallel.circle_of(self.circles, participant_id)
        return None if found is None or len(self.circles) < 2 else found + 1

    def seat(self, round_index: int, participant_id: str) -> tuple[str, int] | None:
        """Whom the participant meets in the round and at which (room-wide) table."""
        found = parallel.seat(self.circles, round_index, participant_id)
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
            clock=parallel.clock_of(snap.step, snap.now),
            circles=parallel.of_step(snap.step),
            names={p.participant_id: p.nickname for p in snap.people},
            present=parallel.present_in_order(snap.people),
            timing=pairs.timing(snap.step),
            circle_size=parallel.size_of(snap.step),
        )

    sections = frozenset({"clusters", "people"})
    settings = {
        "round_minutes": integer(1, 30),
        "changeover_seconds": integer(0, 300),
        parallel.SIZE: integer(parallel.MIN_CIRCLE, pairs.MAX_CIRCLE),
    }
    defaults: ClassVar[dict[str, Any]] = {"round_minutes": 4, "changeover_seconds": 30}
    inputs = {"pairs/join": read_join, "pairs/leave": read_leave}
    trainer_actions = {
        "pairs-timing": set_timing,
        "pairs-circle-size": set_circle_size,
        "pairs-start": lambda snap, ctx: [*parallel.start(snap.step, snap.people, ctx.now)],
        "pairs-reset": lambda snap, ctx: [*parallel.reset(snap.step)],
    }
    personal = True
    uses_nicknames = True

    def alias_config(
        self, config: dict[str, Any], alias: Callable[[str], str | None]
    ) -> dict[str, Any]:
        """The planned rounds (and circles) name participants."""

        def aliased(rounds: list[list[list[str]]]) -> list[list[list[str | None]]]:
            return [[[alias(a), alias(b)] for a, b in round_] for round_ in rounds]

        if "rounds" in config:
            config = config | {"rounds": aliased(config["rounds"])}
        if parallel.CIRCLES in config:
            config = config | {
                parallel.CIRCLES: [
                    c | {"people": [alias(p) for p in c["people"]], "rounds": aliased(c["rounds"])}
                    for c in config[parallel.CIRCLES]
                ]
            }
        return config

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
        meet: SpeedMeetView = snap.results
        if len(meet.circles) > 1:
            yield ""
            yield from (f"- {line}" for line in meet.circle_lines(t))

    def csv_rows(self, snap: Snapshot, lang: str) -> Iterator[dict[str, object]]:
        """A row per circle of a SpeedMeet in circles: its people and its tables."""
        meet: SpeedMeetView = snap.results
        if len(meet.circles) < 2:
            return
        t = i18n.translator(lang)
        for line, circle in zip(meet.circle_lines(t), meet.circles, strict=True):
            yield {"record": t("csv_circle"), "text": line, "value": len(circle.people)}


KIND = Pairs()
