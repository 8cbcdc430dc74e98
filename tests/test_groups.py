"""Participant groups and results split by them: the anonymity rule, no server."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from board.errors import Refused
from board.groups import (
    MAX_GROUP_NAME,
    MAX_GROUPS,
    NO_GROUP,
    Group,
    check_choice,
    define,
    parse_names,
    shown_groups,
    split,
)
from board.votes import Vote

YOUNG, OLD = Group("g1", "bis 30"), Group("g2", "über 30")


def scale_vote(who: str, value: int, key: str = "") -> Vote:
    return Vote(f"v-{who}-{key}", "s", who, key, value, None, None, None, 0.0)


def room(young: int, old: int, unsaid: int = 0) -> tuple[list[Vote], dict[str, str]]:
    """The young answer 1 (fully agree), the older 5, those without a group 3."""
    cast, group_of = [], {}
    for i in range(young):
        cast.append(scale_vote(f"y{i}", 0))
        group_of[f"y{i}"] = YOUNG.id
    for i in range(old):
        cast.append(scale_vote(f"o{i}", 4))
        group_of[f"o{i}"] = OLD.id
    cast += [scale_vote(f"n{i}", 2) for i in range(unsaid)]
    return cast, group_of


def counts(some: Sequence[Vote]) -> list[int]:
    return [sum(1 for v in some if v.value == value) for value in range(5)]


def split_room(young: int, old: int, unsaid: int = 0, minimum: int = 3):  # type: ignore[no-untyped-def]
    cast, group_of = room(young, old, unsaid)
    return split(cast, group_of, (YOUNG, OLD), minimum, counts, lambda votes: [votes])


def test_two_groups_of_three_are_both_shown_beside_the_total() -> None:
    result = split_room(3, 3)
    assert [p.group for p in result.groups] == [YOUNG, OLD]
    assert [p.voters for p in result.groups] == [3, 3]
    assert result.groups[0].result == [3, 0, 0, 0, 0]
    assert result.groups[1].result == [0, 0, 0, 0, 3]
    assert result.total.result == [3, 0, 0, 0, 3] and result.total.voters == 6
    assert not result.folded


def test_a_group_of_two_folds_into_the_total() -> None:
    # Five young, two older, and two without a group: the older two are in the rest with
    # those two (four people), so the young may be shown.
    result = split_room(5, 2, unsaid=2)
    assert [p.group for p in result.groups] == [YOUNG]
    assert result.folded
    assert result.rest.voters == 4


def test_a_lone_small_group_hides_the_whole_split() -> None:
    # Young 5, older 2, nobody else: total minus the young would be the older two's answers.
    result = split_room(5, 2)
    assert result.groups == ()
    assert result.folded
    assert result.total.result == [5, 0, 0, 0, 2]


def test_one_person_without_a_group_cannot_be_subtracted() -> None:
    # Both groups have three, but one person chose "keine Angabe": total minus both groups
    # would be that one person's answer, so one group folds too.
    result = split_room(3, 4, unsaid=1)
    assert [p.group for p in result.groups] == [OLD]
    assert result.rest.voters == 4
    assert result.folded  # the young three are only in the total


def test_the_minimum_is_a_setting() -> None:
    assert split_room(4, 4, minimum=5).groups == ()
    assert len(split_room(5, 5, minimum=5).groups) == 2


def test_a_group_nobody_of_answered_is_neither_shown_nor_folded() -> None:
    result = split_room(4, 0, unsaid=3)
    assert [p.group for p in result.groups] == [YOUNG]
    assert not result.folded


def test_each_situation_counts_on_its_own() -> None:
    # Three young put a dot in the first situation, only two of them in the second:
    # the second would show two people's dots, so the young are not shown at all.
    cast = [scale_vote(f"y{i}", 0, "0") for i in range(3)]
    cast += [scale_vote(f"y{i}", 0, "1") for i in range(2)]
    cast += [scale_vote(f"o{i}", 0, key) for i in range(3) for key in "01"]
    group_of = {f"y{i}": YOUNG.id for i in range(3)} | {f"o{i}": OLD.id for i in range(3)}

    def by_key(votes: Sequence[Vote]) -> list[list[Vote]]:
        return [[v for v in votes if v.key == key] for key in "01"]

    shown = shown_groups(by_key(cast), group_of, (YOUNG, OLD), 3)
    assert shown == []  # the older three alone would leave the young two to subtract


def test_group_names_are_typed_one_per_line() -> None:
    assert parse_names(" bis 30 \n\nüber   30;  ") == ["bis 30", "über 30"]


def test_a_renamed_list_keeps_the_ids_of_kept_names() -> None:
    first = define((), ["Führung", "Mitarbeitende"])
    assert [g.id for g in first] == ["g1", "g2"]
    again = define(first, ["Mitarbeitende", "Neu"])
    # "Neu" does not inherit the members of the dropped "Führung" (g1).
    assert again == (Group("g2", "Mitarbeitende"), Group("g3", "Neu"))


@pytest.mark.parametrize(
    ("names", "key"),
    [
        ([f"G{i}" for i in range(MAX_GROUPS + 1)], "groups_too_many"),
        (["Team", "team"], "groups_twice"),
        (["x" * (MAX_GROUP_NAME + 1)], "group_name_too_long"),
    ],
)
def test_group_lists_a_board_cannot_show_are_refused(names: list[str], key: str) -> None:
    with pytest.raises(Refused) as refused:
        define((), names)
    assert refused.value.key == key


def test_a_participant_chooses_a_group_or_none() -> None:
    assert check_choice((YOUNG, OLD), "g2") == "g2"
    assert check_choice((YOUNG, OLD), NO_GROUP) == NO_GROUP
    with pytest.raises(Refused):
        check_choice((YOUNG, OLD), "g9")
