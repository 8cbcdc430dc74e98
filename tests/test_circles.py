"""SpeedMeet in parallel circles: a room of thirty meets in three circles at once.

The split and the plans are checked as properties over room sizes and circle sizes
(hypothesis); people joining and leaving mid-way are played through round by round.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board.circles import (
    CIRCLES,
    MIN_CIRCLE,
    SIZE,
    Circle,
    check_circle_size,
    circle_of,
    from_config,
    join,
    join_step,
    leave,
    leave_step,
    of_step,
    plan,
    rounds_of,
    seat,
    set_size,
    size_of,
    split,
    to_config,
    total_duration,
)
from board.circles import reset as reset_step
from board.circles import start as start_step
from board.errors import Refused
from board.pairs import MAX_CIRCLE, Person, circle_rounds, duration, partner, rounds_needed
from board.steps import Step, new_step

TALK, CHANGE = 240.0, 30.0
PERIOD = TALK + CHANGE


def names(n: int) -> list[str]:
    return [f"p{i:02d}" for i in range(n)]


def pairs_of(circle: Circle) -> list[frozenset[str]]:
    return [frozenset(pair) for round_ in circle.rounds for pair in round_]


def tables_in_round(circles: Sequence[Circle], k: int) -> list[int]:
    return [
        circle.tables[i]
        for circle in circles
        if k < len(circle.rounds)
        for i in range(len(circle.rounds[k]))
    ]


def assert_tables_unique(circles: Sequence[Circle]) -> None:
    every = [table for circle in circles for table in circle.tables]
    assert len(every) == len(set(every)), "two circles share a table number"
    for circle in circles:
        assert all(len(round_) <= len(circle.tables) for round_ in circle.rounds)
    for k in range(rounds_of(circles)):
        used = tables_in_round(circles, k)
        assert len(used) == len(set(used)), f"two pairs at one table in round {k}"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 120), st.integers(MIN_CIRCLE, MAX_CIRCLE))
def test_the_fewest_circles_none_too_large_and_sizes_differ_by_at_most_one(
    n: int, max_size: int
) -> None:
    circles = split(names(n), max_size)
    assert [p for circle in circles for p in circle] == names(n), "someone lost or reordered"
    assert len(circles) == -(-n // max_size)
    assert all(1 <= len(circle) <= max_size for circle in circles)
    if circles:
        assert max(map(len, circles)) - min(map(len, circles)) <= 1


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 120), st.integers(MIN_CIRCLE, MAX_CIRCLE))
def test_in_every_circle_everyone_meets_everyone_exactly_once_at_tables_of_their_own(
    n: int, max_size: int
) -> None:
    circles = plan(names(n), max_size)
    for circle in circles:
        met = pairs_of(circle)
        assert len(met) == len(set(met)), "a pair met twice"
        assert set(met) == {frozenset(p) for p in combinations(circle.people, 2)}
        assert len(circle.people) <= max_size
        for round_ in circle.rounds:
            seated = [p for pair in round_ for p in pair]
            assert len(seated) == len(set(seated))
    assert_tables_unique(circles)
    every = [t for circle in circles for t in circle.tables]
    assert sorted(every) == list(range(1, len(every) + 1)), "table numbers skip or repeat"


def test_thirty_people_meet_in_three_circles_of_ten_at_tables_1_to_15() -> None:
    circles = plan(names(30))
    assert [len(c.people) for c in circles] == [10, 10, 10]
    assert [c.tables for c in circles] == [(1, 2, 3, 4, 5), (6, 7, 8, 9, 10), (11, 12, 13, 14, 15)]
    assert rounds_of(circles) == 9
    # As long as one circle of ten: nine talks and eight change-overs.
    assert total_duration(circles, TALK, CHANGE) == 9 * TALK + 8 * CHANGE


def test_twenty_three_people_make_circles_of_eight_eight_seven_as_long_as_the_largest() -> None:
    circles = plan(names(23))
    assert [len(c.people) for c in circles] == [8, 8, 7]
    assert [len(c.rounds) for c in circles] == [7, 7, 7]  # odd seven: one break each
    assert total_duration(circles, TALK, CHANGE) == duration(7, TALK, CHANGE)
    eleven = plan(names(11))
    assert [len(c.rounds) for c in eleven] == [rounds_needed(6), rounds_needed(5)] == [5, 5]


def test_the_trainer_may_make_circles_smaller() -> None:
    circles = plan(names(20), max_size=6)
    assert [len(c.people) for c in circles] == [5, 5, 5, 5]
    assert total_duration(circles, TALK, CHANGE) == duration(5, TALK, CHANGE)


@pytest.mark.parametrize("n", range(0, MAX_CIRCLE + 1))
def test_a_room_that_fits_one_circle_is_planned_as_before(n: int) -> None:
    circles = plan(names(n))
    assert len(circles) == (1 if n else 0)
    if n:
        [circle] = circles
        assert list(circle.rounds) == circle_rounds(names(n))
        for k, round_ in enumerate(circle.rounds):
            for person in names(n):
                assert seat(circles, k, person) == partner(round_, person)


def test_nobody_to_meet_takes_no_time() -> None:
    assert plan([]) == ()
    assert total_duration((), TALK, CHANGE) == 0


@pytest.mark.parametrize("size", [MIN_CIRCLE - 1, MAX_CIRCLE + 1, 0])
def test_a_circle_size_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(Refused) as refused:
        check_circle_size(size)
    assert refused.value.key == "circle_size_range"
    assert refused.value.params == {"low": MIN_CIRCLE, "high": MAX_CIRCLE}


def test_a_circle_size_in_range_is_taken() -> None:
    assert check_circle_size(MIN_CIRCLE) == MIN_CIRCLE
    assert check_circle_size(MAX_CIRCLE) == MAX_CIRCLE


def test_seat_names_the_partner_and_the_room_wide_table() -> None:
    circles = plan(names(20))  # two circles of ten, tables 1-5 and 6-10
    a, b = circles[1].rounds[0][0]
    assert seat(circles, 0, a) == (b, 6)
    assert seat(circles, 0, b) == (a, 6)
    assert seat(circles, 99, a) is None  # after the last round
    assert seat(circles, 0, "stranger") is None


# -- coming and going mid-way ----------------------------------------------------------------
def test_a_latecomer_joins_the_smallest_circle_and_meets_all_of_it() -> None:
    circles = plan(names(19))  # ten and nine
    assert [len(c.people) for c in circles] == [10, 9]
    held = 3
    circles = join(circles, "kim", held)
    assert circle_of(circles, "kim") == 1
    kim_meets = {s[0] for k in range(rounds_of(circles)) if (s := seat(circles, k, "kim"))}
    assert kim_meets == set(names(19)[10:])
    assert circles[0] == plan(names(19))[0], "the other circle is not touched"
    assert circles[1].rounds[:held] == plan(names(19))[1].rounds[:held], "rounds begun stay"
    assert_tables_unique(circles)


def test_a_circle_that_needs_one_more_table_gets_the_next_number_after_all_others() -> None:
    circles = plan(names(18))  # two circles of nine: four tables each, a break each round
    assert [c.tables for c in circles] == [(1, 2, 3, 4), (5, 6, 7, 8)]
    circles = join(circles, "kim", 1)  # ten in circle 1 talk at five tables
    assert circle_of(circles, "kim") == 0
    assert [c.tables for c in circles] == [(1, 2, 3, 4, 9), (5, 6, 7, 8)]
    circles = join(circles, "lou", 1)  # into circle 2, now the smaller
    assert [c.tables for c in circles] == [(1, 2, 3, 4, 9), (5, 6, 7, 8, 10)]
    assert_tables_unique(circles)
    assert 9 in tables_in_round(circles, 1), "the new table is used"


def test_someone_joining_twice_is_not_placed_twice() -> None:
    circles = plan(names(12))
    assert join(circles, "p00", 2) == circles
    assert leave(circles, "stranger", 2) == circles


def test_when_someone_leaves_their_circle_plans_on_without_them() -> None:
    circles = plan(names(16))
    gone = circles[1].people[0]
    after = leave(circles, gone, 2)
    assert gone not in after[1].people
    assert all(seat(after, k, gone) is None for k in range(2, rounds_of(after)))
    assert after[0] == circles[0]


def test_a_circle_that_finished_early_plans_a_latecomer_on_the_room_s_clock() -> None:
    circles = plan(names(17))  # nine (9 rounds) and eight (7 rounds)
    assert [len(c.rounds) for c in circles] == [9, 7]
    # Round 8 of the room: circle 2 has been done for a while; kim joins it.
    circles = join(circles, "kim", 8)
    assert circle_of(circles, "kim") == 1
    second = circles[1]
    assert all(not r for r in second.rounds[7:8]), "a round in the past stays empty"
    meets = {s[0] for k in range(8, rounds_of(circles)) if (s := seat(circles, k, "kim"))}
    assert meets == set(names(17)[9:])


events = st.lists(
    st.tuples(
        st.integers(0, 3),  # rounds held before the change
        st.booleans(),  # someone joins (else someone leaves)
        st.integers(0, 200),  # who leaves
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 40), st.integers(MIN_CIRCLE, MAX_CIRCLE), events)
def test_nobody_meets_twice_and_tables_stay_unique_while_people_come_and_go(
    n: int, max_size: int, changes: list[tuple[int, bool, int]]
) -> None:
    circles = plan(names(n), max_size)
    newcomers = iter(f"new{i}" for i in range(100))
    held = 0
    for hold, joining, who in changes:
        held += hold
        if held >= rounds_of(circles):
            break  # the SpeedMeet is over: nothing left to re-plan
        before = circles
        if joining:
            sizes = [len(c.people) for c in circles]
            circles = join(circles, next(newcomers), held)
            grown = [i for i, c in enumerate(circles) if len(c.people) > sizes[i]]
            assert [sizes[i] for i in grown] == [min(sizes)], "not into a smallest circle"
        else:
            everyone = [p for c in circles for p in c.people]
            if everyone:
                circles = leave(circles, everyone[who % len(everyone)], held)
        for old, new in zip(before, circles, strict=True):
            begun = [*old.rounds[:held], *[[] for _ in range(held - len(old.rounds))]]
            assert list(new.rounds[:held]) == begun[: len(new.rounds)], "a round begun changed"
            assert set(new.tables) >= set(old.tables), "a table lost its number"
        assert_tables_unique(circles)
        for circle in circles:
            met = pairs_of(circle)
            assert len(met) == len(set(met)), "a pair met twice"
            unmet = {frozenset(p) for p in combinations(circle.people, 2)} - set(met)
            assert not unmet, "planning stopped with unmet pairs"
    assert Counter(p for c in circles for p in c.people).most_common(1)[0][1] == 1


def test_the_circles_keep_in_a_step_s_config_as_json() -> None:
    circles = join(plan(names(23)), "kim", 2)
    stored = json.loads(json.dumps(to_config(circles)))
    assert from_config(stored) == circles


# -- the SpeedMeet step: circles in its config ----------------------------------------------


def a_speedmeet(size: int) -> Step:
    config = {"round_minutes": 4, "changeover_seconds": 30, SIZE: size}
    return new_step("sm", "ws", 0, "pairs", config)


def the_room(n: int) -> list[Person]:
    return [Person("sm", pid, pid.upper(), float(i), None) for i, pid in enumerate(names(n))]


def the_step(changes: Sequence[object]) -> Step:
    [step] = [c for c in changes if isinstance(c, Step)]
    return step


def test_a_room_larger_than_a_circle_starts_in_circles_kept_in_the_config() -> None:
    step = the_step(start_step(a_speedmeet(8), the_room(23), 100.0))
    assert "rounds" not in step.config and step.config["started_at"] == 100.0
    assert [c.people for c in of_step(step)] == [c.people for c in plan(names(23), 8)]


def test_a_room_that_fits_one_circle_starts_as_one_plan_of_rounds() -> None:
    step = the_step(start_step(a_speedmeet(8), the_room(8), 100.0))
    assert CIRCLES not in step.config and step.config["rounds"] == circle_rounds(names(8))
    [one] = of_step(step)
    assert one.tables == (1, 2, 3, 4) and list(one.rounds) == circle_rounds(names(8))


def test_someone_leaving_mid_way_leaves_their_circle_and_is_met_no_more() -> None:
    people = the_room(23)
    step = the_step(start_step(a_speedmeet(8), people, 0.0))
    in_round_2 = PERIOD + 10  # round 2 under way: two rounds held
    changes = leave_step(step, people, "p03", in_round_2)
    after = of_step(the_step(changes))
    assert "p03" not in after[0].people and after[1:] == of_step(step)[1:]
    assert all("p03" not in pair for round_ in after[0].rounds[2:] for pair in round_)
    assert after[0].rounds[:2] == of_step(step)[0].rounds[:2]  # the rounds begun stay


def test_a_latecomer_before_the_start_changes_no_circle() -> None:
    step = a_speedmeet(8)
    changes = join_step(step, the_room(23), "kim", "Kim", 0.0)
    assert not [c for c in changes if isinstance(c, Step)]


def test_reset_forgets_the_circles_and_keeps_the_circle_size() -> None:
    step = the_step(start_step(a_speedmeet(8), the_room(23), 0.0))
    [again] = reset_step(step)
    assert CIRCLES not in again.config and "started_at" not in again.config
    assert size_of(again) == 8


def test_the_circle_size_is_set_before_the_start_only() -> None:
    [step] = set_size(a_speedmeet(8), 5)
    assert size_of(step) == 5
    with pytest.raises(Refused) as refused:
        set_size(the_step(start_step(step, the_room(23), 0.0)), 6)
    assert refused.value.key == "already_started"
