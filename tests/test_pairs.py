"""SpeedMeet: everyone meets everyone once, also when people come and go mid-way.

The planning rules are checked as properties over group sizes and random
sequences of joins and leaves (hypothesis); the clock and the step commands
are played through as a trainer would run them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board.errors import Refused
from board.pairs import (
    MAX_CIRCLE,
    Clock,
    Person,
    Round,
    circle_rounds,
    clock,
    clock_of,
    duration,
    join,
    leave,
    met_pairs,
    partner,
    planned,
    replan,
    reset,
    rounds_needed,
    set_timing,
    sitting_out,
    start,
)
from board.steps import Step, new_step

# When a property fails, hypothesis imports libcst to write a patch with the failing
# example; libcst's import warns (mypy_extensions.TypedDict), and with warnings as errors
# that turned the failure into an INTERNALERROR that stopped the whole session.
TALK = 4 * 60.0
CHANGE = 30.0
PERIOD = TALK + CHANGE


# -- checks on plans ----------------------------------------------------------


def all_pairs(people: Sequence[str]) -> set[frozenset[str]]:
    return {frozenset(pair) for pair in combinations(people, 2)}


def assert_no_one_twice(round_: Round) -> None:
    seated = [person for pair in round_ for person in pair]
    assert len(seated) == len(set(seated)), round_
    assert all(a != b for a, b in round_), round_


def assert_fixed_group_plan(people: Sequence[str], rounds: list[Round]) -> None:
    n = len(people)
    assert len(rounds) == (n - 1 if n % 2 == 0 else n)
    for round_ in rounds:
        assert_no_one_twice(round_)
        assert len(round_) == n // 2  # a full round: nobody sits out who could talk
    met = [frozenset(pair) for round_ in rounds for pair in round_]
    assert len(met) == len(set(met)), "a pair met twice"
    assert set(met) == all_pairs(people)
    breaks = {person: 0 for person in people}
    for round_ in rounds:
        for person in sitting_out(round_, people):
            breaks[person] += 1
    assert set(breaks.values()) == ({1} if n % 2 else {0})


def most_pairs(people: frozenset[str], met: set[frozenset[str]]) -> int:
    """The size of a maximum matching over unmet pairs, by trying every choice (small groups)."""
    if len(people) < 2:
        return 0
    first = min(people)
    rest = people - {first}
    best = most_pairs(rest, met)  # the first one sits out
    for other in rest:
        if frozenset((first, other)) not in met:
            best = max(best, 1 + most_pairs(rest - {other}, met))
    return best


def assert_replanned(held: list[Round], present: Sequence[str], rounds: list[Round]) -> None:
    """Rounds begun stay; each new round is a maximum matching over unmet present pairs."""
    assert rounds[: len(held)] == held
    met = met_pairs(held)
    for round_ in rounds[len(held) :]:
        assert round_, "an empty round was planned"
        assert_no_one_twice(round_)
        seated = {person for pair in round_ for person in pair}
        assert seated <= set(present), "someone absent was seated"
        for pair in round_:
            assert frozenset(pair) not in met, f"{pair} meet twice"
        idle = sitting_out(round_, present)
        for a, b in combinations(idle, 2):
            assert frozenset((a, b)) in met, f"{a} and {b} sit out but have not met"
        if len(present) <= 9:
            assert len(round_) == most_pairs(frozenset(present), met), "not a maximum matching"
        met |= met_pairs([round_])
    assert all_pairs(present) <= met, "planning stopped with unmet pairs"


def names(n: int) -> list[str]:
    return [f"p{i:02d}" for i in range(n)]


# -- the circle method for a fixed group --------------------------------------


@pytest.mark.parametrize("n", range(2, 41))
def test_the_circle_method_for_every_group_size_from_2_to_40(n: int) -> None:
    assert_fixed_group_plan(names(n), circle_rounds(names(n)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=6), min_size=2, max_size=40, unique=True))
def test_the_circle_method_works_for_any_nicknames(people: list[str]) -> None:
    assert_fixed_group_plan(people, circle_rounds(people))


def test_ten_people_meet_in_nine_rounds_of_five_tables() -> None:
    rounds = circle_rounds(names(10))
    assert len(rounds) == 9
    assert {len(r) for r in rounds} == {5}


@pytest.mark.parametrize("n", [0, 1])
def test_nobody_to_meet_means_no_rounds(n: int) -> None:
    assert circle_rounds(names(n)) == []


@pytest.mark.parametrize("n", range(0, 41))
def test_the_rounds_needed_are_the_rounds_the_circle_plans(n: int) -> None:
    assert rounds_needed(n) == len(circle_rounds(names(n)))


def test_ten_people_four_minutes_and_half_a_minute_to_change_take_forty_minutes() -> None:
    # The source: ten people, four-minute talks, nine colleagues "innerhalb einer knappen
    # Stunde". Nine talks of 4 min and eight change-overs of 30 s between them.
    assert duration(rounds_needed(10), talk=240.0, change=30.0) == 9 * 240 + 8 * 30 == 2400


def test_no_change_over_after_the_last_round_as_the_clock_counts() -> None:
    rounds, talk, change = 3, 60.0, 15.0
    ends = duration(rounds, talk, change)
    assert clock(0.0, rounds, talk, change, now=ends - 0.001).talking
    assert clock(0.0, rounds, talk, change, now=ends) == Clock(rounds, False, None)
    assert duration(0, talk, change) == 0


def test_a_circle_is_at_most_ten_people_as_in_the_source() -> None:
    assert MAX_CIRCLE == 10


def test_a_fresh_plan_for_a_group_that_has_met_nobody_is_the_circle() -> None:
    assert replan([], names(7)) == circle_rounds(names(7))


# -- re-planning when people come and go ----------------------------------------


events = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=3),  # rounds held before the change
        st.integers(min_value=0, max_value=3),  # people who join
        st.lists(st.integers(min_value=0, max_value=100), max_size=3),  # who leaves
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=2, max_value=12), events)
def test_nobody_meets_twice_while_people_join_and_leave(
    start_size: int, changes: list[tuple[int, int, list[int]]]
) -> None:
    present = names(start_size)
    newcomers = iter(f"new{i}" for i in range(100))
    rounds = circle_rounds(present)
    assert_fixed_group_plan(present, rounds)
    held: list[Round] = []
    for hold, joining, leaving in changes:
        held = rounds[: len(held) + hold]
        if len(held) == len(rounds):
            break  # the SpeedMeet is over: nothing left to re-plan
        present = present + [next(newcomers) for _ in range(joining)]
        for index in leaving:
            if present:
                present = present[:index] + present[index + 1 :]
        rounds = replan(held, present)
        assert_replanned(held, present, rounds)
    met = [frozenset(pair) for round_ in rounds for pair in round_]
    assert len(met) == len(set(met)), "a pair met twice over the whole session"


def test_a_latecomer_meets_everyone_in_the_rounds_left() -> None:
    group = names(6)
    rounds = circle_rounds(group)
    held = rounds[:2]
    rounds = replan(held, [*group, "kim"])
    assert_replanned(held, [*group, "kim"], rounds)
    kim_meets = {found[0] for r in rounds if (found := partner(r, "kim"))}
    assert kim_meets == set(group)


def test_when_someone_leaves_nobody_waits_for_them() -> None:
    group = names(6)
    held = circle_rounds(group)[:1]
    rounds = replan(held, group[1:])
    assert all(partner(r, group[0]) is None for r in rounds[1:])
    assert_replanned(held, group[1:], rounds)


def test_when_everyone_present_has_met_nothing_more_is_planned() -> None:
    group = names(4)
    rounds = circle_rounds(group)
    assert replan(rounds, group) == rounds
    # Two of them leave: the others have met too; one newcomer alone has nobody new.
    assert replan(rounds, group[:2]) == rounds


# -- where a SpeedMeet is in time -----------------------------------------------


def test_before_anyone_presses_start_there_is_no_round() -> None:
    assert clock(None, 9, TALK, CHANGE, now=1000.0) == Clock(-1, False, None)
    assert clock(1000.0, 0, TALK, CHANGE, now=1000.0) == Clock(-1, False, None)


def test_a_start_in_the_future_counts_down_to_it() -> None:
    assert clock(1000.0, 9, TALK, CHANGE, now=990.0) == Clock(-1, False, 1000.0)


def test_the_first_round_talks_from_the_start() -> None:
    assert clock(1000.0, 9, TALK, CHANGE, now=1000.0) == Clock(0, True, 1000.0 + TALK)
    assert clock(1000.0, 9, TALK, CHANGE, now=1000.0 + TALK - 1) == Clock(0, True, 1000.0 + TALK)


def test_after_the_talk_people_change_tables_until_the_next_round() -> None:
    at_change = 1000.0 + TALK
    assert clock(1000.0, 9, TALK, CHANGE, now=at_change) == Clock(0, False, 1000.0 + PERIOD)
    assert clock(1000.0, 9, TALK, CHANGE, now=1000.0 + PERIOD - 0.5).round == 0


def test_round_k_talks_from_start_plus_k_periods() -> None:
    for k in range(9):
        begins = 1000.0 + k * PERIOD
        assert clock(1000.0, 9, TALK, CHANGE, now=begins) == Clock(k, True, begins + TALK)


def test_after_the_last_talk_there_is_no_change_of_tables_the_meet_is_finished() -> None:
    last_begins = 1000.0 + 8 * PERIOD
    assert clock(1000.0, 9, TALK, CHANGE, now=last_begins + TALK) == Clock(9, False, None)
    assert clock(1000.0, 9, TALK, CHANGE, now=last_begins + 10 * PERIOD) == Clock(9, False, None)


def test_without_a_change_over_the_next_round_follows_at_once() -> None:
    assert clock(0.0, 3, 60.0, 0.0, now=60.0) == Clock(1, True, 120.0)


def test_partner_names_who_and_the_table_counted_from_one() -> None:
    round_ = [("anna", "ben"), ("cem", "dana"), ("eli", "fay")]
    assert partner(round_, "anna") == ("ben", 1)
    assert partner(round_, "dana") == ("cem", 2)
    assert partner(round_, "fay") == ("eli", 3)
    assert partner(round_, "gus") is None
    assert sitting_out(round_, ["anna", "gus", "cem", "hal"]) == ["gus", "hal"]


# -- the SpeedMeet step ---------------------------------------------------------


def a_speedmeet(**config: Any) -> Step:
    return new_step("sm", "ws", 0, "pairs", {"round_minutes": 4, "changeover_seconds": 30} | config)


def a_person(
    pid: str, *, name: str | None = None, at: float = 0.0, left: float | None = None
) -> Person:
    return Person("sm", pid, name or pid.capitalize(), at, left)


def refusal(command: Callable[[], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        command()
    return caught.value


def stored(people: list[Person], changes: Sequence[Step | Person]) -> list[Person]:
    by_id = {p.participant_id: p for p in people}
    for change in changes:
        if isinstance(change, Person):
            by_id[change.participant_id] = change
    return list(by_id.values())


def the_person(changes: Sequence[Step | Person]) -> Person:
    [person] = changes
    assert isinstance(person, Person)
    return person


def started(people: list[Person], at: float = 0.0, **config: Any) -> Step:
    [step] = start(a_speedmeet(**config), people, at)
    return step


def test_joining_with_a_nickname_takes_part() -> None:
    changes = join(a_speedmeet(), [], "p1", "  Anna  Lena ", now=5.0)
    assert changes == [Person("sm", "p1", "Anna Lena", 5.0, None)]


@pytest.mark.parametrize("nickname", ["", "   ", "\n"])
def test_a_nickname_is_needed_so_partners_find_each_other(nickname: str) -> None:
    error = refusal(lambda: join(a_speedmeet(), [], "p1", nickname, 0.0))
    assert (error.key, error.status) == ("nickname_needed", 422)


def test_a_nickname_over_the_limit_is_refused() -> None:
    assert refusal(lambda: join(a_speedmeet(), [], "p1", "x" * 31, 0.0)).key == "nickname_too_long"


@pytest.mark.parametrize("nickname", ["Anna", "anna", "ANNA"])
def test_a_nickname_someone_present_uses_is_taken_whatever_the_case(nickname: str) -> None:
    people = [a_person("p1", name="Anna")]
    error = refusal(lambda: join(a_speedmeet(), people, "p2", nickname, 0.0))
    assert (error.key, error.status) == ("nickname_taken", 409)


def test_the_nickname_of_someone_who_left_is_free_again() -> None:
    people = [a_person("p1", name="Anna", left=3.0)]
    person = the_person(join(a_speedmeet(), people, "p2", "anna", 5.0))
    assert (person.participant_id, person.nickname) == ("p2", "anna")


def test_joining_again_with_the_same_name_changes_nothing() -> None:
    people = [a_person("p1", name="Anna")]
    assert join(a_speedmeet(), people, "p1", "Anna", 5.0) == []


def test_someone_who_left_comes_back() -> None:
    people = [a_person("p1", name="Anna", at=1.0, left=3.0)]
    person = the_person(join(a_speedmeet(), people, "p1", "Anna", 5.0))
    assert person.present
    assert (person.nickname, person.joined_at) == ("Anna", 1.0)


def test_leaving_marks_the_person_as_gone() -> None:
    people = [a_person("p1"), a_person("p2")]
    gone = the_person(leave(a_speedmeet(), people, "p1", now=7.0))
    assert (gone.participant_id, gone.left_at, gone.present) == ("p1", 7.0, False)
    assert leave(a_speedmeet(), stored(people, [gone]), "p1", now=8.0) == []
    assert leave(a_speedmeet(), people, "stranger", now=8.0) == []


@pytest.mark.parametrize(
    "people",
    [[], [a_person("p1")], [a_person("p1"), a_person("p2", left=1.0)]],
    ids=["nobody", "one", "one-and-one-who-left"],
)
def test_start_needs_two_people_present(people: list[Person]) -> None:
    error = refusal(lambda: start(a_speedmeet(), people, 10.0))
    assert (error.key, error.status) == ("too_few_people", 409)


def test_start_plans_the_circle_in_the_order_people_joined() -> None:
    people = [
        a_person("cem", at=3.0),
        a_person("anna", at=1.0),
        a_person("gone", at=0.5, left=2.0),
        a_person("ben", at=2.0),
    ]
    step = started(people, at=100.0)
    assert step.config["started_at"] == 100.0
    assert planned(step) == circle_rounds(["anna", "ben", "cem"])
    assert step.config["round_minutes"] == 4  # the timing stays
    assert clock_of(step, 100.0) == Clock(0, True, 100.0 + TALK)


def test_joining_before_the_start_changes_no_plan() -> None:
    changes = join(a_speedmeet(), [a_person("p1")], "p2", "Ben", 0.0)
    assert [type(c) for c in changes] == [Person]


def test_a_latecomer_is_planned_into_the_rounds_not_yet_begun() -> None:
    people = [a_person(p, at=i) for i, p in enumerate(["anna", "ben", "cem", "dana"])]
    step = started(people, at=0.0)
    before = planned(step)
    now = PERIOD + 10  # round 2 (index 1) is under way

    person, replanned_step = join(step, people, "kim", "Kim", now)
    assert isinstance(person, Person) and isinstance(replanned_step, Step)
    after_join = planned(replanned_step)
    assert after_join[:2] == before[:2]  # the rounds begun stay as they were
    present = ["anna", "ben", "cem", "dana", "kim"]
    assert_replanned(before[:2], present, after_join)
    assert replanned_step.config["started_at"] == 0.0
    assert clock_of(replanned_step, now).round == 1


def test_while_tables_change_the_coming_round_is_replanned() -> None:
    people = [a_person(p, at=i) for i, p in enumerate(["anna", "ben", "cem", "dana"])]
    step = started(people, at=0.0)
    before = planned(step)
    now = TALK + 5  # round 1 is over, people are changing tables

    gone, replanned_step = leave(step, people, "anna", now)
    assert isinstance(gone, Person) and isinstance(replanned_step, Step)
    rounds = planned(replanned_step)
    assert rounds[:1] == before[:1]
    assert all(partner(r, "anna") is None for r in rounds[1:])
    assert_replanned(before[:1], ["ben", "cem", "dana"], rounds)


def test_once_the_meet_is_over_nothing_is_replanned() -> None:
    people = [a_person("anna"), a_person("ben")]
    step = started(people, at=0.0)  # one round
    changes = join(step, people, "kim", "Kim", now=TALK + 1)
    assert [type(c) for c in changes] == [Person]


def test_changing_ones_nickname_mid_way_keeps_the_plan() -> None:
    people = [a_person(p, at=i) for i, p in enumerate(["anna", "ben", "cem", "dana", "eli"])]
    step = started(people, at=0.0)
    assert len(planned(step)) == 5
    # Anna fixes a typo in her nickname during round 2; nobody joined or left.
    changes = join(step, people, "anna", "Annie", now=PERIOD + 10)
    assert changes == [replace(people[0], nickname="Annie")]


def test_reset_forgets_the_plan_and_keeps_the_timing() -> None:
    step = started([a_person("anna"), a_person("ben")], at=0.0)
    [fresh] = reset(step)
    assert "started_at" not in fresh.config and "rounds" not in fresh.config
    assert (fresh.config["round_minutes"], fresh.config["changeover_seconds"]) == (4, 30)
    assert clock_of(fresh, 100.0) == Clock(-1, False, None)
    assert reset(fresh) == []


def test_the_trainer_sets_short_rounds_before_the_start() -> None:
    [step] = set_timing(a_speedmeet(), 0.5, 0)
    assert (step.config["round_minutes"], step.config["changeover_seconds"]) == (0.5, 0)
    assert set_timing(step, 0.5, 0) == []


@pytest.mark.parametrize("minutes, seconds", [(4 / 60, 30), (30.5, 30), (0, 30), (4, -1), (4, 301)])
def test_timing_out_of_range_is_refused(minutes: float, seconds: int) -> None:
    error = refusal(lambda: set_timing(a_speedmeet(), minutes, seconds))
    assert (error.key, error.status) == ("timing_out_of_range", 422)


@pytest.mark.parametrize("minutes, seconds", [(5 / 60, 0), (30, 300)])
def test_timing_at_the_limits_is_taken(minutes: float, seconds: int) -> None:
    [step] = set_timing(a_speedmeet(), minutes, seconds)
    assert step.config["round_minutes"] == minutes


def test_timing_cannot_change_once_started() -> None:
    step = started([a_person("anna"), a_person("ben")], at=0.0)
    error = refusal(lambda: set_timing(step, 5, 30))
    assert (error.key, error.status) == ("already_started", 409)


def test_the_step_clock_uses_the_steps_timing() -> None:
    step = started([a_person("anna"), a_person("ben"), a_person("cem")], at=0.0)
    step = replace(step, config=step.config | {"round_minutes": 1, "changeover_seconds": 10})
    assert clock_of(step, 65.0) == Clock(0, False, 70.0)
    assert clock_of(step, 75.0) == Clock(1, True, 130.0)
