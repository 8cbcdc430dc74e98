"""Dots, scales, grids and moods, played through as a room would: no server, no database.

Each command returns the votes to store; :func:`after` stores them the way the
storage layer would, so a test can look at what the room has voted next.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import pytest

from board.changes import Deleted
from board.errors import Refused
from board.exercises import BUILTIN_DIR, DEFAULT_WEATHER, load_file
from board.steps import Step
from board.votes import (
    MAX_WORD_LENGTH,
    QUADRANTS,
    Option,
    Vote,
    default_budget,
    dot_budget,
    dots_change,
    grid_result,
    grid_vote,
    mood_result,
    mood_vote,
    per_option_limit,
    quadrant,
    ranking,
    require_voting,
    scale_result,
    scale_vote,
    set_budget,
    voters,
)

FIVE_STEPS = [
    {"de": "trifft voll zu", "en": "fully agree"},
    {"de": "trifft eher zu", "en": "rather agree"},
    {"de": "teils, teils", "en": "partly"},
    {"de": "trifft eher nicht zu", "en": "rather disagree"},
    {"de": "trifft gar nicht zu", "en": "fully disagree"},
]
SITUATIONS = [
    {"de": "Ein Kunde beschwert sich lautstark", "en": "A customer complains loudly"},
    {"de": "Mit meiner Führungskraft", "en": "With my manager"},
    {"de": "Mit Kolleg*innen", "en": "With colleagues"},
]
EIGHT_PS = [
    "Public Values",
    "Produkt & Packung",
    "Preise",
    "Plätze",
    "Positionierung",
    "Promotion",
    "Prozesse & Interaktionen",
    "Personal & Partner",
]


# -- factories ----------------------------------------------------------------


def a_step(kind: str, *, state: str = "open", **config: Any) -> Step:
    return Step("step", "ws", 0, kind, "", state, False, False, config)


def a_scale(**fields: Any) -> Step:
    return a_step("scale", labels=FIVE_STEPS, **fields)


def a_grid() -> Step:
    return a_step("grid", situations=SITUATIONS)


def a_dots_step(**config: Any) -> Step:
    return a_step("dots", **config)


def a_mood(*, word: bool = True) -> Step:
    return a_step("mood", options=DEFAULT_WEATHER, word=word)


def options(*labels: str) -> list[Option]:
    """Options as the snapshot builds them from a file: ids are the positions."""
    return [Option(str(i), label) for i, label in enumerate(labels)]


def a_vote(
    by: str,
    *,
    key: str = "",
    value: int | None = None,
    x: float | None = None,
    y: float | None = None,
    word: str | None = None,
    at: float = 0.0,
    vote_id: str | None = None,
) -> Vote:
    return Vote(vote_id or f"v-{by}-{key}", "step", by, key, value, x, y, word, at)


def after(votes: Iterable[Vote], changes: Sequence[Vote | Deleted]) -> list[Vote]:
    """The votes once ``changes`` are stored (deleting what is not there fails loudly)."""
    stored = {vote.id: vote for vote in votes}
    for change in changes:
        if isinstance(change, Deleted):
            assert change.kind is Vote
            del stored[change.id]
        else:
            stored[change.id] = change
    return list(stored.values())


def refusal(command: Callable[[], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        command()
    return caught.value


# -- who may vote -------------------------------------------------------------


def test_a_vote_on_an_open_step_is_let_through() -> None:
    for kind in ("scale", "grid", "dots", "mood"):
        require_voting(a_step(kind))  # raises Refused when refused


def test_a_vote_after_the_trainer_closed_the_scale_is_refused() -> None:
    error = refusal(lambda: require_voting(a_scale(state="closed")))
    assert (error.key, error.status) == ("voting_closed", 409)


# Which step is active, and a scale dot sent to a grid: tests/test_kinds.py (the kind of
# the active step reads the input, before any rule of this module runs).


# -- Ein-Punkt-Abfrage ----------------------------------------------------------


def test_each_person_places_one_dot_on_the_scale() -> None:
    room: list[Vote] = []
    for n in range(12):
        changes = scale_vote(a_scale(), [], f"p{n}", n % 5, f"v{n}", now=float(n))
        assert len(changes) == 1
        room = after(room, changes)

    assert len(room) == 12
    assert {v.participant_id for v in room} == {f"p{n}" for n in range(12)}
    assert all(v.step_id == "step" and v.key == "" for v in room)
    assert [v.value for v in room] == [n % 5 for n in range(12)]


def test_placing_the_dot_again_moves_it_and_keeps_its_id() -> None:
    first = scale_vote(a_scale(), [], "anna", 0, "v1", now=10.0)
    moved = scale_vote(a_scale(), first, "anna", 3, "v2", now=20.0)

    assert len(moved) == 1
    assert moved[0].id == "v1"
    assert moved[0].value == 3
    assert moved[0].created_at == 10.0
    assert after(first, moved) == moved


def test_placing_the_dot_on_the_same_spot_changes_nothing() -> None:
    first = scale_vote(a_scale(), [], "anna", 2, "v1", now=10.0)
    assert scale_vote(a_scale(), first, "anna", 2, "v2", now=20.0) == []


@pytest.mark.parametrize("value", [0, 4])
def test_both_ends_of_the_scale_take_a_dot(value: int) -> None:
    assert scale_vote(a_scale(), [], "anna", value, "v1", 0.0)[0].value == value


@pytest.mark.parametrize("value", [-1, 5, 99])
def test_a_dot_beside_the_scale_is_refused(value: int) -> None:
    error = refusal(lambda: scale_vote(a_scale(), [], "anna", value, "v1", 0.0))
    assert (error.key, error.status) == ("scale_out_of_range", 422)


def test_the_scale_shows_counts_n_median_and_mean_on_its_positions() -> None:
    # Two say "trifft voll zu", one "trifft eher zu", one "trifft gar nicht zu".
    room = [a_vote(p, value=v) for p, v in [("a", 0), ("b", 0), ("c", 1), ("d", 4)]]
    result = scale_result(a_scale(), room)

    assert result.counts == [2, 1, 0, 0, 1]
    assert result.n == 4
    # Positions 1, 1, 2, 5 (1-based): median between 1 and 2, mean 9 / 4.
    assert result.median == 1.5
    assert result.mean == 2.25


def test_an_odd_number_of_dots_has_a_position_as_median() -> None:
    room = [a_vote(p, value=v) for p, v in [("a", 0), ("b", 2), ("c", 4)]]
    result = scale_result(a_scale(), room)
    assert (result.n, result.median, result.mean) == (3, 3.0, 3.0)


def test_a_scale_nobody_voted_on_has_zeros_and_no_median() -> None:
    result = scale_result(a_scale(), [])
    assert result.counts == [0, 0, 0, 0, 0]
    assert (result.n, result.median, result.mean) == (0, None, None)


def test_a_dot_that_is_no_longer_on_the_scale_is_not_counted() -> None:
    room = [a_vote("a", value=1), a_vote("b", value=7)]
    result = scale_result(a_scale(), room)
    assert result.counts == [0, 1, 0, 0, 0]
    assert (result.n, result.median) == (1, 2.0)


# -- Koordinatenabfrage ---------------------------------------------------------


def test_one_point_per_person_for_each_situation() -> None:
    room: list[Vote] = []
    room = after(room, grid_vote(a_grid(), room, "anna", 0, 0.5, -0.5, "v1", 1.0))
    room = after(room, grid_vote(a_grid(), room, "anna", 1, -0.2, 0.9, "v2", 2.0))
    room = after(room, grid_vote(a_grid(), [], "ben", 0, 0.1, 0.1, "v3", 3.0))

    assert sorted((v.participant_id, v.key, v.x, v.y) for v in room) == [
        ("anna", "0", 0.5, -0.5),
        ("anna", "1", -0.2, 0.9),
        ("ben", "0", 0.1, 0.1),
    ]


def test_moving_a_point_replaces_it_and_leaves_the_other_situations_alone() -> None:
    mine = [
        a_vote("anna", key="0", x=0.5, y=-0.5, vote_id="v1"),
        a_vote("anna", key="1", x=-0.2, y=0.9, vote_id="v2"),
    ]
    changes = grid_vote(a_grid(), mine, "anna", 0, -0.7, 0.3, "v9", 5.0)

    assert [(v.id, v.key, v.x, v.y) for v in changes] == [("v1", "0", -0.7, 0.3)]
    room = after(mine, changes)
    assert len(room) == 2
    assert next(v for v in room if v.key == "1").x == -0.2


def test_a_point_is_kept_to_four_decimals() -> None:
    [vote] = grid_vote(a_grid(), [], "anna", 0, 0.123456, -0.987654, "v1", 0.0)
    assert (vote.x, vote.y) == (0.1235, -0.9877)


@pytest.mark.parametrize("x, y", [(1.0, 1.0), (-1.0, -1.0), (0.0, 0.0), (1.0, -1.0)])
def test_the_corners_and_the_centre_of_the_field_are_inside(x: float, y: float) -> None:
    [vote] = grid_vote(a_grid(), [], "anna", 0, x, y, "v1", 0.0)
    assert (vote.x, vote.y) == (x, y)


@pytest.mark.parametrize(
    "x, y",
    [
        (math.nan, 0.0),
        (0.0, math.nan),
        (math.inf, 0.0),
        (0.0, -math.inf),
        (1.0001, 0.0),
        (0.0, -1.0001),
        (2.0, 2.0),
    ],
)
def test_a_point_outside_the_field_or_not_a_number_is_refused(x: float, y: float) -> None:
    error = refusal(lambda: grid_vote(a_grid(), [], "anna", 0, x, y, "v1", 0.0))
    assert (error.key, error.status) == ("point_outside", 422)


@pytest.mark.parametrize("situation", [-1, 3, 100])
def test_a_point_for_a_situation_the_exercise_does_not_have_is_refused(situation: int) -> None:
    error = refusal(lambda: grid_vote(a_grid(), [], "anna", situation, 0.0, 0.0, "v1", 0.0))
    assert (error.key, error.status) == ("situation_unknown", 422)


@pytest.mark.parametrize(
    "x, y, expected",
    [
        (0.5, 0.5, "top_right"),
        (0.5, -0.5, "bottom_right"),
        (-0.5, 0.5, "top_left"),
        (-0.5, -0.5, "bottom_left"),
        # On an axis a point counts to the "ok" side, as the axis labels read.
        (0.0, 0.5, "top_right"),
        (0.0, -0.5, "bottom_right"),
        (0.5, 0.0, "top_right"),
        (-0.5, 0.0, "top_left"),
        (0.0, 0.0, "top_right"),
    ],
)
def test_each_point_falls_into_one_quadrant(x: float, y: float, expected: str) -> None:
    assert quadrant(x, y) == expected


# Ernst's OK-Corral: what one does in each field, by "ich bin (nicht) ok" and "du bist (nicht) ok".
ERNST = {
    ("ich bin ok", "du bist ok"): "miteinander auskommen",
    ("ich bin ok", "du bist nicht ok"): "loswerden",
    ("ich bin nicht ok", "du bist ok"): "weggehen",
    ("ich bin nicht ok", "du bist nicht ok"): "nicht weiterkommen",
}


@pytest.mark.parametrize("x", [0.5, -0.5])
@pytest.mark.parametrize("y", [0.5, -0.5])
def test_the_quadrants_read_as_in_ernsts_ok_corral(x: float, y: float) -> None:
    # x is "ich bin ok" (right) against "ich bin nicht ok"; y is "du bist ok" (up).
    ok_corral = load_file(BUILTIN_DIR / "3-ok-corral.toml").steps[0].config
    me = "ich bin ok" if x > 0 else "ich bin nicht ok"
    you = "du bist ok" if y > 0 else "du bist nicht ok"
    assert ok_corral["quadrants"][quadrant(x, y)]["de"] == ERNST[me, you]


def test_the_board_gets_every_single_point_and_the_quadrant_counts() -> None:
    room = [
        a_vote("a", key="0", x=0.5, y=0.5),
        a_vote("b", key="0", x=0.9, y=0.1),
        a_vote("c", key="0", x=-0.3, y=-0.8),
        a_vote("a", key="2", x=0.2, y=-0.4),
    ]
    results = grid_result(a_grid(), room)

    assert [r.situation for r in results] == [0, 1, 2]
    first, second, third = results
    # Every dot, never an average.
    assert first.points == [(0.5, 0.5), (0.9, 0.1), (-0.3, -0.8)]
    assert first.quadrants == {"top_left": 0, "top_right": 2, "bottom_left": 1, "bottom_right": 0}
    assert second.points == []
    assert second.quadrants == dict.fromkeys(QUADRANTS, 0)
    assert third.quadrants["bottom_right"] == 1
    assert sum(third.quadrants.values()) == 1


def test_points_for_situations_that_are_gone_are_not_shown() -> None:
    room = [
        a_vote("a", key="7", x=0.5, y=0.5),
        a_vote("b", key="", x=0.5, y=0.5),
        a_vote("c", key="0", x=None, y=None, value=1),
    ]
    assert all(r.points == [] for r in grid_result(a_grid(), room))


# -- Mehr-Punkt-Abfrage ---------------------------------------------------------


def test_the_default_budget_is_about_a_third_of_the_options_and_at_least_one() -> None:
    for count in range(0, 31):
        budget = default_budget(count)
        assert budget >= 1
        if count >= 2:
            assert abs(budget - count / 3) <= 0.5, count


@pytest.mark.parametrize("count, expected", [(1, 1), (2, 1), (3, 1), (5, 2), (8, 3), (30, 10)])
def test_default_budgets_a_trainer_would_expect(count: int, expected: int) -> None:
    assert default_budget(count) == expected
    assert dot_budget(a_dots_step(), count) == expected


def test_an_explicit_budget_replaces_the_default() -> None:
    assert dot_budget(a_dots_step(budget=5), 8) == 5
    assert dot_budget(set_budget(a_dots_step(), 7), 8) == 7


def test_setting_a_budget_keeps_the_rest_of_the_step() -> None:
    step = set_budget(a_dots_step(max_per_option=2, options_from="clusters"), 4)
    assert step.config == {"max_per_option": 2, "options_from": "clusters", "budget": 4}


@pytest.mark.parametrize("budget", [0, -1, 51])
def test_a_budget_out_of_range_is_refused(budget: int) -> None:
    error = refusal(lambda: set_budget(a_dots_step(), budget))
    assert (error.key, error.status) == ("budget_out_of_range", 422)
    # The message names the limit the check used, not a number typed into the catalog.
    assert error.params == {"max": 50}


def test_without_a_stacking_limit_all_dots_may_go_on_one_option() -> None:
    assert per_option_limit(a_dots_step(), 8) == 3
    assert per_option_limit(a_dots_step(budget=6), 8) == 6
    assert per_option_limit(a_dots_step(max_per_option=2), 8) == 2


def spend(
    step: Step,
    offered: list[Option],
    mine: list[Vote],
    option_id: str,
    delta: int = 1,
    *,
    by: str = "anna",
    n: int = 0,
) -> tuple[list[Vote], list[Vote | Deleted]]:
    changes = dots_change(step, offered, mine, by, option_id, delta, f"v{n}", float(n))
    return after(mine, changes), changes


def test_a_person_spends_the_whole_budget_and_the_next_dot_is_refused() -> None:
    step, offered = a_dots_step(), options(*EIGHT_PS)  # budget 3
    mine: list[Vote] = []
    for n, option_id in enumerate(["0", "4", "4"]):
        mine, _ = spend(step, offered, mine, option_id, n=n)
    assert sorted((v.key, v.value) for v in mine) == [("0", 1), ("4", 2)]

    error = refusal(lambda: dots_change(step, offered, mine, "anna", "7", 1, "v9", 9.0))
    assert (error.key, error.status) == ("no_dots_left", 409)
    assert sum(v.value or 0 for v in mine) == 3


def test_the_first_dot_on_an_option_is_a_new_vote_with_one_dot() -> None:
    _, changes = spend(a_dots_step(), options(*EIGHT_PS), [], "2", n=4)
    assert changes == [Vote("v4", "step", "anna", "2", 1, None, None, None, 4.0)]


def test_a_second_dot_on_the_same_option_stacks_on_the_same_vote() -> None:
    step, offered = a_dots_step(), options(*EIGHT_PS)
    mine, _ = spend(step, offered, [], "2", n=1)
    first = mine[0]
    mine, changes = spend(step, offered, mine, "2", n=2)
    assert changes == [replace(first, value=2)]
    assert len(mine) == 1


def test_an_explicit_budget_lets_a_person_spend_more() -> None:
    step, offered = a_dots_step(budget=5), options(*EIGHT_PS)
    mine: list[Vote] = []
    for n in range(5):
        mine, _ = spend(step, offered, mine, str(n), n=n)
    assert len(mine) == 5
    assert refusal(lambda: spend(step, offered, mine, "5")).key == "no_dots_left"


def test_the_stacking_limit_stops_a_third_dot_on_one_option() -> None:
    step, offered = a_dots_step(budget=5, max_per_option=2), options(*EIGHT_PS)
    mine: list[Vote] = []
    mine, _ = spend(step, offered, mine, "1", n=1)
    mine, _ = spend(step, offered, mine, "1", n=2)

    error = refusal(lambda: spend(step, offered, mine, "1", n=3))
    assert (error.key, error.status, error.params) == ("option_full", 409, {"max": 2})
    # The other options still take the remaining dots.
    mine, _ = spend(step, offered, mine, "2", n=4)
    assert sorted((v.key, v.value) for v in mine) == [("1", 2), ("2", 1)]


def test_everyone_has_their_own_budget() -> None:
    step, offered = a_dots_step(), options(*EIGHT_PS)  # budget 3
    room: list[Vote] = []
    for n, person in enumerate(["anna", "ben", "cem"]):
        mine: list[Vote] = []
        for k in range(3):
            mine, _ = spend(step, offered, mine, "0", by=person, n=10 * n + k)
        room += mine
    assert ranking(offered, room)[0].dots == 9
    assert voters(room) == 3


def test_taking_a_dot_back_lowers_the_stack_and_keeps_the_vote() -> None:
    step, offered = a_dots_step(), options(*EIGHT_PS)
    stack = a_vote("anna", key="3", value=2, vote_id="v1")
    mine, changes = spend(step, offered, [stack], "3", -1)
    assert changes == [replace(stack, value=1)]
    assert [(v.key, v.value) for v in mine] == [("3", 1)]


def test_taking_back_the_last_dot_on_an_option_deletes_the_vote() -> None:
    step, offered = a_dots_step(), options(*EIGHT_PS)
    mine = [a_vote("anna", key="3", value=1, vote_id="v1")]
    mine, changes = spend(step, offered, mine, "3", -1)
    assert changes == [Deleted(Vote, "v1")]
    assert mine == []


def test_a_dot_taken_back_can_be_spent_again() -> None:
    step, offered = a_dots_step(), options(*EIGHT_PS)
    mine = [a_vote("anna", key=str(n), value=1, vote_id=f"v{n}") for n in range(3)]
    assert refusal(lambda: spend(step, offered, mine, "7")).key == "no_dots_left"
    mine, _ = spend(step, offered, mine, "0", -1)
    mine, _ = spend(step, offered, mine, "7")
    assert sorted(v.key for v in mine) == ["1", "2", "7"]


def test_taking_back_a_dot_that_is_not_there_is_refused() -> None:
    step, offered = a_dots_step(), options(*EIGHT_PS)
    mine = [a_vote("anna", key="3", value=1)]
    error = refusal(lambda: spend(step, offered, mine, "4", -1))
    assert (error.key, error.status) == ("no_dot_to_take_back", 409)


def test_a_dot_on_an_option_that_is_not_offered_is_refused() -> None:
    error = refusal(lambda: spend(a_dots_step(), options(*EIGHT_PS), [], "8"))
    assert (error.key, error.status) == ("option_unknown", 422)


@pytest.mark.parametrize("delta", [0, 2, -2])
def test_only_one_dot_at_a_time(delta: int) -> None:
    error = refusal(lambda: spend(a_dots_step(), options(*EIGHT_PS), [], "0", delta))
    assert (error.key, error.status) == ("bad_request", 400)


def test_dots_on_an_option_that_is_gone_do_not_block_the_budget() -> None:
    step, offered = a_dots_step(budget=1), [Option("k1", "Mehr Zeit"), Option("k2", "Ruhe")]
    # Anna put her dot on cluster k0, which the trainer has since merged into k1.
    mine = [a_vote("anna", key="k0", value=1)]
    changes = dots_change(step, offered, mine, "anna", "k1", 1, "v2", 2.0)
    assert [(v.key, v.value) for v in changes if isinstance(v, Vote)] == [("k1", 1)]


def test_the_themenspeicher_ranks_by_dots_and_ties_share_a_rank() -> None:
    offered = options("A", "B", "C", "D")
    room = [
        a_vote("p1", key="0", value=3),
        a_vote("p2", key="0", value=2),
        a_vote("p1", key="1", value=3),
        a_vote("p3", key="2", value=3),
        a_vote("p4", key="3", value=1),
    ]
    ranked = ranking(offered, room)
    assert [(r.option.label, r.dots, r.rank) for r in ranked] == [
        ("A", 5, 1),
        ("B", 3, 2),
        ("C", 3, 2),
        ("D", 1, 4),
    ]


def test_tied_options_stay_in_the_order_of_the_file() -> None:
    # Not alphabetical, not by id: the order the exercise lists them.
    offered = [Option("z", "Preise"), Option("m", "Plätze"), Option("a", "Promotion")]
    room = [a_vote("p1", key="a", value=2), a_vote("p2", key="z", value=2)]
    ranked = ranking(offered, room)
    assert [(r.option.label, r.dots, r.rank) for r in ranked] == [
        ("Preise", 2, 1),
        ("Promotion", 2, 1),
        ("Plätze", 0, 3),
    ]


def test_before_anyone_votes_every_option_shares_the_first_rank() -> None:
    ranked = ranking(options(*EIGHT_PS), [])
    assert [r.option.label for r in ranked] == EIGHT_PS
    assert {(r.dots, r.rank) for r in ranked} == {(0, 1)}


def test_voters_counts_people_not_dots() -> None:
    room = [a_vote("p1", key="0", value=2), a_vote("p1", key="1"), a_vote("p2", key="0")]
    assert voters(room) == 2
    assert voters([]) == 0


# -- Stimmungsbarometer ---------------------------------------------------------


@pytest.mark.parametrize("value", range(len(DEFAULT_WEATHER)))
def test_every_weather_can_be_picked(value: int) -> None:
    [vote] = mood_vote(a_mood(), [], "anna", value, "", "v1", 0.0)
    assert vote.value == value
    assert vote.word is None


@pytest.mark.parametrize("value", [-1, len(DEFAULT_WEATHER)])
def test_a_weather_that_is_not_offered_is_refused(value: int) -> None:
    error = refusal(lambda: mood_vote(a_mood(), [], "anna", value, "", "v1", 0.0))
    assert (error.key, error.status) == ("mood_unknown", 422)


def test_the_word_is_trimmed_and_its_spaces_collapsed() -> None:
    [vote] = mood_vote(a_mood(), [], "anna", 0, "  ganz \n  schön  ", "v1", 0.0)
    assert vote.word == "ganz schön"


def test_a_blank_word_is_no_word() -> None:
    [vote] = mood_vote(a_mood(), [], "anna", 2, " \t ", "v1", 0.0)
    assert vote.word is None


def test_a_word_up_to_the_limit_is_kept_and_spaces_around_it_do_not_count() -> None:
    word = "x" * MAX_WORD_LENGTH
    [vote] = mood_vote(a_mood(), [], "anna", 0, f"   {word}   ", "v1", 0.0)
    assert vote.word == word


def test_a_word_over_the_limit_is_refused_with_the_limit() -> None:
    long_word = "x" * (MAX_WORD_LENGTH + 1)
    error = refusal(lambda: mood_vote(a_mood(), [], "anna", 0, long_word, "v1", 0.0))
    assert (error.key, error.status, error.params) == (
        "word_too_long",
        422,
        {"max": MAX_WORD_LENGTH},
    )


def test_the_word_is_dropped_when_the_exercise_asks_for_no_word() -> None:
    [vote] = mood_vote(a_mood(word=False), [], "anna", 1, "neblig", "v1", 0.0)
    assert (vote.value, vote.word) == (1, None)


def test_picking_another_weather_moves_the_vote() -> None:
    mine = mood_vote(a_mood(), [], "anna", 0, "sonnig", "v1", 1.0)
    changes = mood_vote(a_mood(), mine, "anna", 3, "verregnet", "v2", 2.0)
    assert [(v.id, v.value, v.word, v.created_at) for v in changes] == [("v1", 3, "verregnet", 1.0)]


def test_the_weather_shows_counts_and_the_words_oldest_first() -> None:
    room = [
        a_vote("c", value=3, word="zäh", at=30.0),
        a_vote("a", value=0, word="sonnig", at=10.0),
        a_vote("b", value=0, at=20.0),
        a_vote("d", value=4, word="Gewitter", at=5.0),
    ]
    result = mood_result(a_mood(), room)
    assert result.counts == [2, 0, 0, 1, 1]
    assert result.n == 4
    assert result.words == [(4, "Gewitter"), (0, "sonnig"), (3, "zäh")]


def test_a_weather_nobody_picked_shows_zeros() -> None:
    result = mood_result(a_mood(), [])
    assert (result.counts, result.n, result.words) == ([0] * len(DEFAULT_WEATHER), 0, [])


def test_a_weather_no_longer_offered_is_not_counted() -> None:
    room = [a_vote("a", value=9, word="seltsam"), a_vote("b", value=1)]
    result = mood_result(a_mood(), room)
    assert (result.n, result.words) == (1, [])
    assert result.counts[1] == 1
