"""SpeedMeet: who is here meets one another in rounds of pairs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from board import pairs
from board.exercise_fields import integer
from board.kinds import Decide, Form, Kind, Translate

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
    minutes, seconds = ctx.decimal("round_minutes"), ctx.number("changeover_seconds")
    return [*pairs.set_timing(snap.step, minutes, seconds)]


class Pairs(Kind):
    """Not hideable: a SpeedMeet is the room's own talk. Every phone has its own view
    (its partner, its table), so no phone's section is everybody's empty one."""

    name = "pairs"
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

    def alias_config(
        self, config: dict[str, Any], alias: Callable[[str], str | None]
    ) -> dict[str, Any]:
        """The planned rounds name participants."""
        if "rounds" not in config:
            return config
        rounds = [[[alias(a), alias(b)] for a, b in round_] for round_ in config["rounds"]]
        return config | {"rounds": rounds}

    def next_change_at(self, snap: Snapshot) -> float | None:
        return snap.speedmeet.clock.phase_ends_at

    def summary(self, snap: Snapshot) -> tuple[int, int]:
        """Rounds held and pairs that met."""
        meet = snap.speedmeet
        held = meet.rounds if meet.finished else meet.rounds[: max(0, meet.clock.round + 1)]
        return len(held), len({frozenset(pair) for round_ in held for pair in round_})

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        rounds, met = self.summary(snap)
        yield f"{t('rounds_held')}: {rounds} · {t('pairs_met')}: {met}"


KIND = Pairs()
