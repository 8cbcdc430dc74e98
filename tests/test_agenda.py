"""The agenda and its timer, as a trainer moves through a workshop: no server, no database."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from itertools import count
from pathlib import Path

import pytest

from board.agenda import (
    MAX_STEPS,
    MAX_TIMER_SECONDS,
    activate,
    add_exercise,
    check_size,
    move_in_plan,
    move_step,
    next_step,
    plan,
    remove_step,
    set_gong,
    start_timer,
    steps_from,
    stop_timer,
)
from board.changes import Deleted
from board.errors import Refused
from board.exercises import Exercise, StepSpec
from board.steps import Step
from board.workshops import Workshop

# -- factories ----------------------------------------------------------------

TEXT = {"de": "Frage", "en": "Question"}


def an_exercise(*kinds: str, hidden: bool = False) -> Exercise:
    steps = tuple(StepSpec(kind, {"prompt": TEXT, "hidden": hidden}) for kind in kinds)
    return Exercise("demo", TEXT, TEXT, steps, Path("demo.toml"))


def a_workshop(active: str | None = None) -> Workshop:
    return Workshop("ws", "ACDEFG", "Kundenbegeisterung", "secret", active, 0, 0.0)


def a_step(step_id: str, position: int, kind: str = "cards") -> Step:
    return Step(step_id, "ws", position, kind, "", "open", False, False, {})


def an_agenda(*ids: str) -> list[Step]:
    return [a_step(step_id, i) for i, step_id in enumerate(ids)]


def ids() -> Callable[[], str]:
    numbers: Iterator[int] = count(1)
    return lambda: f"new{next(numbers)}"


def refusal(command: Callable[[], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        command()
    return caught.value


def stored(steps: Sequence[Step], changes: Sequence[Step]) -> list[Step]:
    """The agenda once ``changes`` are stored, in order."""
    by_id = {s.id: s for s in steps} | {s.id: s for s in changes}
    return sorted(by_id.values(), key=lambda s: s.position)


def positions(steps: Sequence[Step], changes: Sequence[Step]) -> list[str]:
    return [s.id for s in stored(steps, changes)]


# -- adding exercises -----------------------------------------------------------


def test_an_exercise_becomes_steps_in_its_order() -> None:
    steps = steps_from(an_exercise("scale", "cards", "scale"), "ws", 3, ids())
    assert [(s.id, s.position, s.kind) for s in steps] == [
        ("new1", 3, "scale"),
        ("new2", 4, "cards"),
        ("new3", 5, "scale"),
    ]
    assert all(s.workshop_id == "ws" and s.is_open and s.question == "" for s in steps)
    assert steps[0].config["prompt"] == TEXT


def test_a_hidden_exercise_starts_hidden_and_not_revealed() -> None:
    [step] = steps_from(an_exercise("grid", hidden=True), "ws", 0, ids())
    assert (step.hidden, step.revealed) == (True, False)


def test_an_empty_agenda_gets_the_first_new_step_active() -> None:
    changes = add_exercise(a_workshop(), [], an_exercise("cards", "dots"), ids())
    steps = [c for c in changes if isinstance(c, Step)]
    workshops = [c for c in changes if isinstance(c, Workshop)]
    assert [(s.id, s.position) for s in steps] == [("new1", 0), ("new2", 1)]
    assert [w.active_step_id for w in workshops] == ["new1"]


def test_added_steps_continue_after_the_last_position() -> None:
    agenda = [a_step("a", 0), a_step("b", 5)]  # a gap left by a removed step
    changes = add_exercise(a_workshop("a"), agenda, an_exercise("mood", "cards"), ids())
    assert [(c.id, c.position) for c in changes if isinstance(c, Step)] == [
        ("new1", 6),
        ("new2", 7),
    ]
    # The step on the board stays on the board.
    assert not any(isinstance(c, Workshop) for c in changes)


def test_the_agenda_has_a_limit() -> None:
    agenda = an_agenda(*(f"s{i}" for i in range(MAX_STEPS - 1)))
    added = add_exercise(a_workshop("s0"), agenda, an_exercise("cards"), ids())
    assert len(added) == 1
    error = refusal(
        lambda: add_exercise(a_workshop("s0"), agenda, an_exercise("cards", "dots"), ids())
    )
    assert (error.key, error.status, error.params) == ("agenda_full", 409, {"max": MAX_STEPS})


# -- moving and removing steps ----------------------------------------------------


def test_moving_a_step_to_the_front_renumbers_only_what_moved() -> None:
    agenda = an_agenda("a", "b", "c", "d")
    changes = move_step(agenda, "c", 0)
    assert positions(agenda, changes) == ["c", "a", "b", "d"]
    assert sorted(s.id for s in changes) == ["a", "b", "c"]  # d kept its place
    assert [s.position for s in stored(agenda, changes)] == [0, 1, 2, 3]


def test_moving_a_step_down_the_agenda() -> None:
    agenda = an_agenda("a", "b", "c", "d")
    assert positions(agenda, move_step(agenda, "a", 2)) == ["b", "c", "a", "d"]


@pytest.mark.parametrize(
    "index, expected", [(99, ["a", "c", "d", "b"]), (-5, ["b", "a", "c", "d"])]
)
def test_moving_past_either_end_stops_at_the_end(index: int, expected: list[str]) -> None:
    agenda = an_agenda("a", "b", "c", "d")
    assert positions(agenda, move_step(agenda, "b", index)) == expected


def test_moving_a_step_to_where_it_is_changes_nothing() -> None:
    assert move_step(an_agenda("a", "b", "c"), "b", 1) == []


def test_moving_closes_gaps_in_the_positions() -> None:
    agenda = [a_step("a", 0), a_step("b", 4), a_step("c", 9)]
    changes = move_step(agenda, "a", 0)
    assert [(s.id, s.position) for s in changes] == [("b", 1), ("c", 2)]


def test_moving_an_unknown_step_is_refused() -> None:
    error = refusal(lambda: move_step(an_agenda("a", "b"), "x", 0))
    assert (error.key, error.status) == ("step_not_found", 404)


def test_removing_a_step_that_is_not_on_the_board_deletes_only_it() -> None:
    agenda = an_agenda("a", "b", "c")
    assert remove_step(a_workshop("a"), agenda, "b") == [Deleted(Step, "b")]


def test_removing_the_step_on_the_board_shows_the_next_one() -> None:
    agenda = list(reversed(an_agenda("a", "b", "c")))  # order comes from positions
    changes = remove_step(a_workshop("b"), agenda, "b")
    assert changes == [Deleted(Step, "b"), replace(a_workshop("b"), active_step_id="c")]


def test_removing_the_last_step_while_it_is_on_the_board_goes_back_one() -> None:
    agenda = an_agenda("a", "b", "c")
    changes = remove_step(a_workshop("c"), agenda, "c")
    assert changes == [Deleted(Step, "c"), replace(a_workshop("c"), active_step_id="b")]


def test_the_only_step_stays() -> None:
    error = refusal(lambda: remove_step(a_workshop("a"), an_agenda("a"), "a"))
    assert (error.key, error.status) == ("last_step", 409)


def test_removing_an_unknown_step_is_refused() -> None:
    error = refusal(lambda: remove_step(a_workshop("a"), an_agenda("a", "b"), "x"))
    assert (error.key, error.status) == ("step_not_found", 404)


# -- going through the agenda -------------------------------------------------------


def test_the_trainer_puts_any_step_on_the_board() -> None:
    agenda = an_agenda("a", "b", "c")
    assert activate(a_workshop("a"), agenda, "c") == [replace(a_workshop(), active_step_id="c")]


def test_putting_the_current_step_on_the_board_again_changes_nothing() -> None:
    assert activate(a_workshop("b"), an_agenda("a", "b"), "b") == []


def test_an_unknown_step_cannot_go_on_the_board() -> None:
    error = refusal(lambda: activate(a_workshop("a"), an_agenda("a"), "x"))
    assert (error.key, error.status) == ("step_not_found", 404)


def test_next_and_previous_follow_the_positions() -> None:
    agenda = [a_step("c", 2), a_step("a", 0), a_step("b", 1)]
    assert [w.active_step_id for w in next_step(a_workshop("a"), agenda, 1)] == ["b"]
    assert [w.active_step_id for w in next_step(a_workshop("b"), agenda, 1)] == ["c"]
    assert [w.active_step_id for w in next_step(a_workshop("c"), agenda, -1)] == ["b"]


@pytest.mark.parametrize("active, offset", [("c", 1), ("a", -1)])
def test_there_is_no_step_past_either_end(active: str, offset: int) -> None:
    error = refusal(lambda: next_step(a_workshop(active), an_agenda("a", "b", "c"), offset))
    assert (error.key, error.status) == ("no_more_steps", 409)


def test_with_nothing_on_the_board_next_goes_to_the_first_step() -> None:
    agenda = an_agenda("a", "b")
    assert [w.active_step_id for w in next_step(a_workshop(None), agenda, 1)] == ["a"]


# -- the timer ------------------------------------------------------------------------


def test_a_five_minute_timer_ends_five_minutes_from_now() -> None:
    [workshop] = start_timer(a_workshop("a"), 300, now=1000.0)
    assert (workshop.timer_ends_at, workshop.timer_seconds) == (1300.0, 300)


@pytest.mark.parametrize("seconds", [1, MAX_TIMER_SECONDS])
def test_timers_at_the_limits_are_taken(seconds: int) -> None:
    [workshop] = start_timer(a_workshop("a"), seconds, now=0.0)
    assert workshop.timer_seconds == seconds


@pytest.mark.parametrize("seconds", [0, -60, MAX_TIMER_SECONDS + 1])
def test_a_timer_out_of_range_is_refused_with_the_limit_in_minutes(seconds: int) -> None:
    error = refusal(lambda: start_timer(a_workshop("a"), seconds, now=0.0))
    assert (error.key, error.status) == ("timer_out_of_range", 422)
    assert error.params == {"max": 240}


def test_stopping_the_timer_clears_it_and_stopping_again_changes_nothing() -> None:
    [running] = start_timer(a_workshop("a"), 60, now=0.0)
    [stopped] = stop_timer(running)
    assert (stopped.timer_ends_at, stopped.timer_seconds) == (None, None)
    assert stop_timer(stopped) == []


# -- the plan on the start page -------------------------------------------------------
def test_a_plan_keeps_the_trainer_s_order_and_appends_what_is_newly_ticked() -> None:
    assert plan([], ["a", "b"]) == ["a", "b"]
    assert plan(["b", "a"], ["a", "b", "c"]) == ["b", "a", "c"]
    assert plan(["b", "a"], ["a"]) == ["a"]  # b unticked
    assert plan(["a", "a"], ["a", "a"]) == ["a"]  # a key is planned once


@pytest.mark.parametrize(
    ("index", "offset", "expected"),
    [
        (1, -1, ["b", "a", "c"]),
        (1, 1, ["a", "c", "b"]),
        (0, -1, ["a", "b", "c"]),  # the first stays first
        (2, 1, ["a", "b", "c"]),  # the last stays last
        (7, -1, ["a", "b", "c"]),  # no such entry: nothing moves
    ],
)
def test_an_entry_moves_within_the_plan(index: int, offset: int, expected: list[str]) -> None:
    assert move_in_plan(["a", "b", "c"], index, offset) == expected


def test_a_new_workshop_s_agenda_keeps_the_step_limit() -> None:
    one = Exercise("one", {"de": "Eins"}, {}, (StepSpec("cards", {}),), Path("one.toml"))
    check_size([one] * MAX_STEPS)
    with pytest.raises(Refused) as refused:
        check_size([one] * (MAX_STEPS + 1))
    assert (refused.value.key, refused.value.params) == ("agenda_full", {"max": MAX_STEPS})


@pytest.mark.parametrize(
    "move",
    [
        lambda w, agenda: activate(w, agenda, "b"),
        lambda w, agenda: next_step(w, agenda, 1),
        lambda w, agenda: remove_step(w, agenda, "a"),
    ],
    ids=["go to a step", "next", "remove the active step"],
)
def test_a_timer_started_on_a_step_is_cleared_when_the_room_moves_on(
    move: Callable[[Workshop, list[Step]], list[object]],
) -> None:
    agenda = an_agenda("a", "b")
    [running] = start_timer(a_workshop("a"), 60, now=0.0)
    [moved] = [change for change in move(running, agenda) if isinstance(change, Workshop)]
    assert moved.active_step_id == "b"
    assert (moved.timer_ends_at, moved.timer_seconds) == (None, None)


def test_staying_on_the_step_keeps_its_timer() -> None:
    [running] = start_timer(a_workshop("a"), 60, now=0.0)
    assert activate(running, an_agenda("a", "b"), "a") == []
    assert move_step(an_agenda("a", "b"), "a", 1)  # reordering the agenda is no step change


def test_the_gong_is_on_by_default_and_switching_it_twice_changes_nothing() -> None:
    workshop = a_workshop("a")
    assert workshop.gong is True
    [quiet] = set_gong(workshop, False)
    assert quiet.gong is False
    assert set_gong(quiet, False) == []
    assert set_gong(quiet, True)[0].gong is True
