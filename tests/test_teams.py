"""Small-group work played through as a room would: forming teams, late joiners, the
group console and bringing the team walls back to the plenary. No server.

The forming rules are checked as properties over room sizes (hypothesis); the walls
are built by hand and the merge's changes applied the way the storage layer would.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board.cards import MAX_HEADING_LENGTH, Card, Change, Cluster, Wall
from board.changes import Deleted
from board.errors import Refused
from board.groups import NO_GROUP
from board.i18n import translator
from board.steps import new_cards_step
from board.teams import (
    MAX_TEAM_NAME,
    MAX_TEAM_SIZE,
    MAX_TEAMS,
    TEAM_COLOURS,
    Formation,
    Member,
    Team,
    appoint,
    choose,
    console_of,
    dissolve,
    form,
    hand_over,
    label,
    may_edit,
    members_of,
    merge,
    move,
    place_late_joiner,
    remove,
    rename,
    require_console,
    set_cap,
    team_of_participant,
    team_wall,
    volunteer,
)

DE, EN = translator("de"), translator("en")


def ids(prefix: str = "t") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def people(n: int, prefix: str = "p") -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(n)]


def formed(present: Sequence[str], **how: object) -> Formation:
    options: dict[str, object] = {"how": "random"} | how
    return form(present, workshop_id="w", rng=random.Random(7), new_id=ids(), **options)  # type: ignore[arg-type]


def sizes(formation: Formation) -> list[int]:
    count = Counter(m.team_id for m in formation.members)
    return [count[team.id] for team in formation.teams]


def seated(formation: Formation) -> list[list[str]]:
    return [members_of(team.id, formation.members) for team in formation.teams]


def assert_everyone_once(present: Sequence[str], formation: Formation) -> None:
    placed = [m.participant_id for m in formation.members]
    assert sorted(placed) == sorted(set(present))
    assert {m.team_id for m in formation.members} <= {t.id for t in formation.teams}


def assert_teams_well_formed(formation: Formation) -> None:
    teams = formation.teams
    assert [t.position for t in teams] == list(range(len(teams)))
    assert len({t.id for t in teams}) == len(teams)
    assert len({t.colour for t in teams}) == len(teams), "two teams share a colour"
    assert all(t.colour in TEAM_COLOURS for t in teams)


def applied(members: Sequence[Member], teams: Sequence[Team], changes: Sequence[object]):  # type: ignore[no-untyped-def]
    """The teams and members after the changes, as the storage layer would apply them."""
    by_person = {m.participant_id: m for m in members}
    by_id = {t.id: t for t in teams}
    for change in changes:
        if isinstance(change, Member):
            by_person[change.participant_id] = change
        elif isinstance(change, Team):
            by_id[change.id] = change
        elif isinstance(change, Deleted) and change.kind is Member:
            del by_person[change.id]
        else:
            raise AssertionError(change)
    return list(by_id.values()), list(by_person.values())


# -- forming at random ---------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.integers(1, 80), st.data())
def test_at_random_everyone_is_in_exactly_one_team_and_sizes_differ_by_at_most_one(
    n: int, data: st.DataObject
) -> None:
    count = data.draw(st.integers(1, min(n, MAX_TEAMS)))
    formation = form(
        people(n),
        workshop_id="w",
        how="random",
        count=count,
        rng=random.Random(data.draw(st.integers())),
        new_id=ids(),
    )
    assert len(formation.teams) == count
    assert_everyone_once(people(n), formation)
    assert_teams_well_formed(formation)
    assert min(sizes(formation)) >= 1, "an empty team"
    assert max(sizes(formation)) - min(sizes(formation)) <= 1


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 80), st.integers(1, 20))
def test_by_size_no_team_is_larger_than_asked_and_the_fewest_teams_are_made(
    n: int, size: int
) -> None:
    if math.ceil(n / size) > MAX_TEAMS:
        with pytest.raises(Refused) as refused:
            formed(people(n), size=size)
        assert refused.value.key == "teams_too_many"
        return
    formation = formed(people(n), size=size)
    assert_everyone_once(people(n), formation)
    assert max(sizes(formation)) <= size
    assert len(formation.teams) == math.ceil(n / size)
    assert max(sizes(formation)) - min(sizes(formation)) <= 1


def test_twenty_people_in_teams_of_four_make_five_teams() -> None:
    assert sizes(formed(people(20), size=4)) == [4, 4, 4, 4, 4]


def test_ten_people_in_teams_of_four_make_three_teams_of_four_three_three() -> None:
    assert sizes(formed(people(10), size=4)) == [4, 3, 3]


def test_the_same_seed_forms_the_same_teams_and_another_seed_mixes_differently() -> None:
    def teams_with(seed: int) -> list[list[str]]:
        made = form(
            people(12),
            workshop_id="w",
            how="random",
            count=3,
            rng=random.Random(seed),
            new_id=ids(),
        )
        return seated(made)

    assert teams_with(1) == teams_with(1)
    assert any(teams_with(1) != teams_with(seed) for seed in range(2, 6))


def test_someone_listed_twice_is_placed_once() -> None:
    formation = formed(["a", "b", "a", "c"], count=2)
    assert sorted(m.participant_id for m in formation.members) == ["a", "b", "c"]


def test_teams_are_named_gruppe_n_in_german_and_group_n_in_english() -> None:
    teams = formed(people(6), count=3).teams
    assert [team.name for team in teams] == ["", "", ""]
    assert [label(team, DE) for team in teams] == ["Gruppe 1", "Gruppe 2", "Gruppe 3"]
    assert label(teams[1], EN) == "Group 2"


def test_topic_names_name_the_first_teams_and_set_their_number() -> None:
    topics = ["Erreichbarkeit", "  Beschwerden  "]
    formation = formed(people(9), names=topics)
    assert [label(team, DE) for team in formation.teams] == ["Erreichbarkeit", "Beschwerden"]
    three = formed(people(9), count=3, names=topics)
    assert [label(team, DE) for team in three.teams] == [
        "Erreichbarkeit",
        "Beschwerden",
        "Gruppe 3",
    ]


@pytest.mark.parametrize(
    ("how", "key"),
    [
        ({"count": 2, "size": 3}, "teams_count_or_size"),
        ({}, "teams_how_many"),
        ({"count": 0}, "teams_how_many"),
        ({"size": 0}, "team_size_too_small"),
        ({"count": MAX_TEAMS + 1}, "teams_too_many"),
        ({"count": 2, "names": ["A", "B", "C"]}, "team_names_too_many"),
        ({"names": ["Kosten", "kosten "]}, "team_name_twice"),
        ({"names": ["x" * (MAX_TEAM_NAME + 1)]}, "team_name_too_long"),
        ({"how": "alphabetical", "count": 2}, "teams_how_unknown"),
    ],
)
def test_a_forming_that_cannot_work_is_refused_with_a_reason(
    how: dict[str, object], key: str
) -> None:
    with pytest.raises(Refused) as refused:
        formed(people(30), **how)
    assert refused.value.key == key


def test_forming_teams_in_an_empty_room_is_refused() -> None:
    for how in ({"count": 2}, {"size": 3}, {"how": "choice", "count": 2}):
        with pytest.raises(Refused) as refused:
            formed([], **how)
        assert refused.value.key == "teams_nobody"


def test_more_teams_than_people_present_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        formed(people(3), count=4)
    assert refused.value.key == "teams_too_few_people"
    assert refused.value.params == {"n": 3}


def test_every_team_of_the_largest_number_gets_its_own_colour() -> None:
    assert len(TEAM_COLOURS) >= MAX_TEAMS
    assert_teams_well_formed(formed(people(MAX_TEAMS), count=MAX_TEAMS))


# -- forming by participant group ----------------------------------------------------------
def room(**counts: int) -> tuple[list[str], dict[str, str | None]]:
    """People of each participant group (``none``: without one), in arrival order mixed."""
    present, groups_of = [], {}
    for group, n in counts.items():
        for person in people(n, prefix=group):
            present.append(person)
            groups_of[person] = None if group == "none" else group
    random.Random(3).shuffle(present)
    return present, groups_of


def groups_in(formation: Formation, groups_of: Mapping[str, str | None]) -> list[set[str]]:
    return [{g for p in team if (g := groups_of.get(p))} for team in seated(formation)]


def test_by_group_without_a_number_makes_one_team_per_participant_group() -> None:
    present, groups_of = room(lead=4, staff=11)
    formation = formed(present, how="by_group", groups_of=groups_of)
    assert sorted(sizes(formation)) == [4, 11]
    assert sorted(map(sorted, groups_in(formation, groups_of))) == [["lead"], ["staff"]]


def test_by_group_splits_the_large_group_and_keeps_the_small_one_whole() -> None:
    present, groups_of = room(lead=3, staff=17)
    formation = formed(present, how="by_group", groups_of=groups_of, count=4)
    assert all(len(groups) == 1 for groups in groups_in(formation, groups_of))
    by_group: dict[str, list[int]] = {}
    for team_groups, size in zip(groups_in(formation, groups_of), sizes(formation), strict=True):
        by_group.setdefault(next(iter(team_groups)), []).append(size)
    assert {group: sorted(n) for group, n in by_group.items()} == {"lead": [3], "staff": [5, 6, 6]}


def test_by_group_with_fewer_teams_than_groups_puts_whole_groups_together() -> None:
    present, groups_of = room(a=5, b=4, c=3, d=2)
    formation = formed(present, how="by_group", groups_of=groups_of, count=2)
    teams = groups_in(formation, groups_of)
    for group in "abcd":
        assert sum(group in team for team in teams) == 1, f"{group} is split"
    assert sorted(sizes(formation)) == [7, 7]


def test_people_without_a_participant_group_fill_the_smallest_teams() -> None:
    present, groups_of = room(lead=2, staff=6, none=4)
    groups_of["none00"] = NO_GROUP  # "keine Angabe" is no group either
    formation = formed(present, how="by_group", groups_of=groups_of, count=3)
    assert_everyone_once(present, formation)
    assert sorted(sizes(formation)) == [4, 4, 4]
    assert all(len(groups) == 1 for groups in groups_in(formation, groups_of))


def test_a_few_leaders_among_many_without_a_group_stay_together() -> None:
    present, groups_of = room(lead=2, none=18)
    formation = formed(present, how="by_group", groups_of=groups_of, count=4)
    assert sizes(formation) == [5, 5, 5, 5]
    assert sum("lead" in groups for groups in groups_in(formation, groups_of)) == 1


def test_by_group_when_nobody_chose_a_group_is_refused() -> None:
    present, groups_of = room(none=8)
    with pytest.raises(Refused) as refused:
        formed(present, how="by_group", groups_of=groups_of, count=2)
    assert refused.value.key == "teams_no_groups"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 12), min_size=1, max_size=5),
    st.integers(0, 10),
    st.data(),
)
def test_by_group_places_everyone_once_and_never_leaves_a_team_empty(
    group_sizes: list[int], ungrouped: int, data: st.DataObject
) -> None:
    present, groups_of = room(**{f"g{i}": n for i, n in enumerate(group_sizes)}, none=ungrouped)
    count = data.draw(st.none() | st.integers(1, min(len(present), MAX_TEAMS)))
    formation = formed(present, how="by_group", groups_of=groups_of, count=count)
    assert_everyone_once(present, formation)
    assert_teams_well_formed(formation)
    assert min(sizes(formation)) >= 1, "an empty team"
    teams = groups_in(formation, groups_of)
    if len(formation.teams) >= len(group_sizes):
        # Enough teams: no team mixes two participant groups …
        assert all(len(groups) <= 1 for groups in teams)
        if ungrouped == 0:
            # … and the teams of one participant group differ by at most one.
            for group in groups_of.values():
                theirs = [s for s, g in zip(sizes(formation), teams, strict=True) if group in g]
                assert max(theirs) - min(theirs) <= 1
    else:
        # Too few teams: no participant group is split.
        for group in {g for g in groups_of.values() if g}:
            assert sum(group in g for g in teams) == 1


# -- letting participants choose --------------------------------------------------------------
def test_chosen_teams_start_empty_with_room_for_an_even_share() -> None:
    formation = formed(people(10), how="choice", count=3)
    assert formation.members == ()
    assert [team.cap for team in formation.teams] == [4, 4, 4]


def test_the_trainer_may_set_the_cap_or_a_size_but_not_one_that_leaves_people_out() -> None:
    assert {t.cap for t in formed(people(10), how="choice", count=3, cap=5).teams} == {5}
    assert {t.cap for t in formed(people(10), how="choice", size=3).teams} == {3}
    with pytest.raises(Refused) as refused:
        formed(people(10), how="choice", count=3, cap=3)
    assert refused.value.key == "team_cap_too_small"


def test_a_participant_chooses_until_the_team_is_full() -> None:
    formation = formed(people(4), how="choice", count=2)
    teams, members = list(formation.teams), list(formation.members)
    first = teams[0].id
    for person in people(2):
        teams, members = applied(members, teams, choose(person, first, teams, members))
    assert members_of(first, members) == people(2)
    with pytest.raises(Refused) as refused:
        choose("p02", first, teams, members)
    assert refused.value.key == "team_full" and refused.value.status == 409
    assert refused.value.params == {"max": 2}


def test_switching_to_another_team_frees_the_place_in_the_first() -> None:
    formation = formed(people(2), how="choice", count=2)
    teams, members = list(formation.teams), list(formation.members)
    a, b = (t.id for t in teams)
    teams, members = applied(members, teams, choose("p00", a, teams, members))
    teams, members = applied(members, teams, choose("p00", b, teams, members))
    assert team_of_participant("p00", members) == b
    assert choose("p01", a, teams, members) == [Member(a, "p01")]
    assert choose("p00", b, teams, members) == []


def test_participants_cannot_choose_a_team_the_trainer_assigns() -> None:
    formation = formed(people(4), count=2)
    with pytest.raises(Refused) as refused:
        choose("p00", formation.teams[1].id, formation.teams, formation.members)
    assert refused.value.key == "team_not_chosen"


def test_the_trainer_raises_the_cap_when_latecomers_find_every_team_full() -> None:
    formation = formed(people(4), how="choice", count=2)
    teams, members = list(formation.teams), list(formation.members)
    for person, team in zip(people(4), [0, 0, 1, 1], strict=True):
        teams, members = applied(members, teams, choose(person, teams[team].id, teams, members))
    teams, members = applied(members, teams, set_cap(teams, members, 3))
    assert choose("late", teams[0].id, teams, members) == [Member(teams[0].id, "late")]
    with pytest.raises(Refused) as refused:
        set_cap(teams, members, 1)
    assert refused.value.key == "team_cap_below_members" and refused.value.params == {"n": 2}


# -- late joiners, moves, leaving -----------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=MAX_TEAMS))
def test_a_late_joiner_lands_in_a_smallest_team_the_first_among_equals(
    team_sizes: list[int],
) -> None:
    teams = [Team(f"t{i}", "w", "", TEAM_COLOURS[i], i) for i in range(len(team_sizes))]
    random.Random(len(team_sizes)).shuffle(teams)  # the order given is not the order shown
    members = [Member(f"t{i}", f"p{i}-{k}") for i, n in enumerate(team_sizes) for k in range(n)]
    [placed] = place_late_joiner("late", teams, members)
    assert isinstance(placed, Member) and placed.participant_id == "late"
    assert team_sizes[int(placed.team_id[1:])] == min(team_sizes)
    assert int(placed.team_id[1:]) == team_sizes.index(min(team_sizes))


def test_someone_who_has_a_team_is_not_placed_again() -> None:
    formation = formed(people(4), count=2)
    assert place_late_joiner("p00", formation.teams, formation.members) == []
    assert place_late_joiner("p09", (), ()) == []


def test_a_late_joiner_skips_a_full_chosen_team_but_is_never_left_out() -> None:
    teams = [replace(Team(f"t{i}", "w", "", TEAM_COLOURS[i], i), cap=2) for i in range(2)]
    members = [Member("t0", "a"), Member("t1", "b"), Member("t1", "c")]
    assert place_late_joiner("d", teams, members) == [Member("t0", "d")]
    full = [*members, Member("t0", "d")]
    assert place_late_joiner("e", teams, full) == [Member("t0", "e")]


def test_the_trainer_moves_a_person_even_into_a_full_team() -> None:
    teams = [replace(Team(f"t{i}", "w", "", TEAM_COLOURS[i], i), cap=1) for i in range(2)]
    members = [Member("t0", "a"), Member("t1", "b")]
    assert move("a", "t1", teams, members) == [Member("t1", "a")]
    assert move("a", "t0", teams, members) == []
    with pytest.raises(Refused) as refused:
        move("a", "t9", teams, members)
    assert refused.value.key == "team_not_found" and refused.value.status == 404


def test_leaving_takes_a_person_out_of_their_team() -> None:
    teams = [Team("t0", "w", "", "blue", 0)]
    members = [Member("t0", "a"), Member("t0", "b")]
    assert remove("a", teams, members) == [Deleted(Member, "a")]
    assert remove("nobody", teams, members) == []


def test_the_trainer_renames_a_team_after_its_topic_or_back_to_its_number() -> None:
    teams = [Team("t0", "w", "", "blue", 0), Team("t1", "w", "Kosten", "orange", 1)]
    [renamed] = rename(teams[0], "  Erreichbarkeit ", teams)
    assert isinstance(renamed, Team) and label(renamed, DE) == "Erreichbarkeit"
    [back] = rename(teams[1], "", teams)
    assert isinstance(back, Team) and label(back, DE) == "Gruppe 2"
    assert rename(teams[1], "Kosten", teams) == []
    for name, key in [("KOSTEN", "team_name_twice"), ("x" * 31, "team_name_too_long")]:
        with pytest.raises(Refused) as refused:
            rename(teams[0], name, teams)
        assert refused.value.key == key


# -- the group console ------------------------------------------------------------------
TEAMS = [Team("t0", "w", "", "blue", 0), Team("t1", "w", "", "orange", 1)]
MEMBERS = [Member("t0", "anna"), Member("t0", "ben"), Member("t1", "cem")]


def test_the_first_member_to_volunteer_gets_the_group_console() -> None:
    teams, members = applied(MEMBERS, TEAMS, volunteer("anna", "t0", TEAMS, MEMBERS))
    assert console_of(teams[0]) == "anna"
    assert volunteer("anna", "t0", teams, members) == []
    with pytest.raises(Refused) as refused:
        volunteer("ben", "t0", teams, members)
    assert refused.value.key == "team_console_taken" and refused.value.status == 409


def test_only_a_member_of_the_team_may_take_its_console() -> None:
    for command in (
        lambda: volunteer("cem", "t0", TEAMS, MEMBERS),
        lambda: appoint("cem", "t0", TEAMS, MEMBERS),
    ):
        with pytest.raises(Refused) as refused:
            command()
        assert refused.value.key == "team_not_member" and refused.value.status == 403


def test_the_trainer_appoints_whoever_held_it_before() -> None:
    teams, _ = applied(MEMBERS, TEAMS, volunteer("anna", "t0", TEAMS, MEMBERS))
    teams, _ = applied(MEMBERS, teams, appoint("ben", "t0", teams, MEMBERS))
    assert console_of(teams[0]) == "ben"
    teams, _ = applied(MEMBERS, teams, appoint(None, "t0", teams, MEMBERS))
    assert console_of(teams[0]) is None


def test_the_holder_hands_the_console_over_to_another_member() -> None:
    teams, _ = applied(MEMBERS, TEAMS, volunteer("anna", "t0", TEAMS, MEMBERS))
    with pytest.raises(Refused) as refused:
        hand_over("ben", "ben", "t0", teams, MEMBERS)
    assert refused.value.key == "team_console_not_yours"
    with pytest.raises(Refused) as refused:
        hand_over("anna", "cem", "t0", teams, MEMBERS)
    assert refused.value.key == "team_not_member"
    teams, _ = applied(MEMBERS, teams, hand_over("anna", "ben", "t0", teams, MEMBERS))
    assert console_of(teams[0]) == "ben"


@pytest.mark.parametrize(
    "leaves",
    [
        lambda teams, members: move("anna", "t1", teams, members),
        lambda teams, members: remove("anna", teams, members),
    ],
)
def test_a_console_holder_who_leaves_the_team_frees_the_console(leaves) -> None:  # type: ignore[no-untyped-def]
    teams, members = applied(MEMBERS, TEAMS, volunteer("anna", "t0", TEAMS, MEMBERS))
    teams, members = applied(members, teams, leaves(teams, members))
    assert console_of(teams[0]) is None
    assert volunteer("ben", "t0", teams, members)


def test_a_group_console_may_change_only_its_own_team_s_wall() -> None:
    teams, _ = applied(MEMBERS, TEAMS, volunteer("anna", "t0", TEAMS, MEMBERS))
    assert may_edit("anna", "t0", teams)
    assert not may_edit("anna", "t1", teams), "another team's wall"
    assert not may_edit("anna", None, teams), "the plenary wall"
    assert not may_edit("ben", "t0", teams), "a member without the console"
    assert not may_edit("anna", "gone", teams)
    with pytest.raises(Refused) as refused:
        require_console("ben", "t0", teams)
    assert refused.value.key == "team_console_only" and refused.value.status == 403
    require_console("anna", "t0", teams)


# -- walls: a team's part, and the merge into the plenary ---------------------------------
STEP = new_cards_step("s", "w", 0, "Was hilft unseren Kunden?")


def card(card_id: str, cluster_id: str | None = None, position: int = 0, **more: object) -> Card:
    base = Card(
        card_id, STEP.id, "p", None, card_id, "yellow", cluster_id, None, position, False, 0.0
    )
    return replace(base, **more)  # type: ignore[arg-type]


def cluster(cluster_id: str, heading: str, position: int = 0, step_id: str = STEP.id) -> Cluster:
    return Cluster(cluster_id, step_id, heading, position, 0.0)


def group_step_wall() -> tuple[Wall, dict[str, str]]:
    """Gruppe 1 clustered two cards under "Kosten" and left one unsorted (with a duplicate
    stacked on it); Gruppe 2 has "kosten " and "Wartezeit"; the plenary has "Kosten"."""
    cards = (
        card("a1", "k1", 0),
        card("a2", "k1", 1),
        card("a3", None, 0),
        card("a4", None, 0, stacked_on="a3"),
        card("b1", "k2", 0),
        card("b2", "k3", 0),
        card("b3", "k3", 1),
        card("plenary", "kp", 0),
    )
    clusters = (
        cluster("k1", "Kosten", 0),
        cluster("k2", "kosten ", 0),
        cluster("k3", "Wartezeit", 1),
        cluster("kp", "Kosten", 0),
    )
    team_of = {"a1": "t0", "a2": "t0", "a3": "t0", "a4": "t0", "k1": "t0"}
    team_of |= {"b1": "t1", "b2": "t1", "b3": "t1", "k2": "t1", "k3": "t1"}
    cards = tuple(replace(c, team_id=team_of.get(c.id)) for c in cards)
    clusters = tuple(replace(c, team_id=team_of.get(c.id)) for c in clusters)
    return Wall(STEP, cards, clusters), team_of


def walls_by_team(wall: Wall, team_of: Mapping[str, str]) -> dict[str, Wall]:
    return {team.id: team_wall(wall, team.id) for team in TEAMS}


def test_a_team_s_wall_holds_only_its_own_cards_and_clusters() -> None:
    wall, team_of = group_step_wall()
    first = team_wall(wall, "t0")
    assert [c.id for c in first.cards] == ["a1", "a2", "a3", "a4"]
    assert [c.id for c in first.clusters] == ["k1"]
    plenary = team_wall(wall, None)
    assert [c.id for c in plenary.cards] == ["plenary"] and [c.id for c in plenary.clusters] == [
        "kp"
    ]
    with pytest.raises(Refused):
        first.card("b1")  # a group console cannot reach another team's card


def after(wall: Wall, changes: Sequence[Change]) -> Wall:
    """The plenary wall once the merge's changes are stored."""
    cards = {c.id: c for c in wall.cards}
    clusters = {c.id: c for c in wall.clusters}
    for change in changes:
        if isinstance(change, Card):
            cards[change.id] = change
        elif isinstance(change, Cluster):
            clusters[change.id] = change
        elif isinstance(change, Deleted) and change.kind is Cluster:
            clusters.pop(change.id, None)  # a team's cluster: it was never on the plenary
        else:
            raise AssertionError(change)
    return Wall(wall.step, tuple(cards.values()), tuple(clusters.values()))


def headings(wall: Wall) -> list[tuple[str, list[str]]]:
    return [(k.heading, [c.id for c in wall.in_cluster(k.id)]) for k in wall.ordered_clusters()]


def test_as_clusters_each_team_s_clusters_come_labelled_with_the_team() -> None:
    wall, team_of = group_step_wall()
    plenary = team_wall(wall, None)
    merged = merge(
        walls_by_team(wall, team_of),
        TEAMS,
        plenary,
        mode="as_clusters",
        t=DE,
        new_id=ids("new"),
        now=1.0,
    )
    result = after(plenary, merged.changes)
    assert headings(result) == [
        ("Kosten", ["plenary"]),
        ("Gruppe 1: Kosten", ["a1", "a2"]),
        ("Gruppe 1", ["a3"]),
        ("Gruppe 2: kosten", ["b1"]),
        ("Gruppe 2: Wartezeit", ["b2", "b3"]),
    ]
    assert result.stacked_under("a3") == [replace(wall.card("a4"), team_id=None)]
    moved = [c for c in merged.changes if not isinstance(c, Deleted)]
    assert moved and all(c.team_id is None for c in moved), "all on the plenary's wall now"
    assert set(merged.to_plenary) == {c.id for c in wall.cards if c.id != "plenary"} | {
        "k1",
        "k2",
        "k3",
        "new1",
    }


def test_into_existing_clusters_with_the_same_heading_merge_whatever_the_case() -> None:
    wall, team_of = group_step_wall()
    plenary = team_wall(wall, None)
    merged = merge(
        walls_by_team(wall, team_of),
        TEAMS,
        plenary,
        mode="into_existing",
        t=DE,
        new_id=ids(),
        now=1.0,
    )
    result = after(plenary, merged.changes)
    assert headings(result) == [
        ("Kosten", ["plenary", "a1", "a2", "b1"]),
        ("Gruppe 1", ["a3"]),
        ("Wartezeit", ["b2", "b3"]),
    ]
    assert Deleted(Cluster, "k1") in merged.changes and Deleted(Cluster, "k2") in merged.changes
    assert "k1" not in merged.to_plenary


def test_team_clusters_of_the_same_heading_meet_even_without_a_plenary_one() -> None:
    wall, team_of = group_step_wall()
    empty = Wall(STEP, (), ())
    merged = merge(
        walls_by_team(wall, team_of),
        TEAMS,
        empty,
        mode="into_existing",
        t=DE,
        new_id=ids(),
        now=1.0,
    )
    assert headings(after(empty, merged.changes))[0] == ("Kosten", ["a1", "a2", "b1"])


def test_the_walls_merge_into_another_step_for_the_dot_vote() -> None:
    wall, team_of = group_step_wall()
    dots = Wall(new_cards_step("s2", "w", 1), (), ())
    merged = merge(
        walls_by_team(wall, team_of), TEAMS, dots, mode="as_clusters", t=EN, new_id=ids(), now=1.0
    )
    moved = [c for c in merged.changes if isinstance(c, Card | Cluster)]
    assert {c.step_id for c in moved} == {"s2"}
    assert ("Group 1: Kosten", ["a1", "a2"]) in headings(after(dots, merged.changes))


def test_one_team_merges_after_it_has_presented() -> None:
    wall, team_of = group_step_wall()
    plenary = team_wall(wall, None)
    only_second = {"t1": team_wall(wall, "t1")}
    merged = merge(only_second, TEAMS, plenary, mode="as_clusters", t=DE, new_id=ids(), now=1.0)
    assert {c.id for c in merged.changes} == {"b1", "b2", "b3", "k2", "k3"}


def test_a_long_heading_with_its_team_name_is_cut_to_fit() -> None:
    long = "x" * MAX_HEADING_LENGTH
    team = Team("t0", "w", "y" * MAX_TEAM_NAME, "blue", 0)
    wall = Wall(STEP, (card("a1", "k1"),), (cluster("k1", long),))
    merged = merge(
        {"t0": wall}, [team], Wall(STEP, (), ()), mode="as_clusters", t=DE, new_id=ids(), now=0
    )
    [heading] = [c.heading for c in merged.changes if isinstance(c, Cluster)]
    assert len(heading) == MAX_HEADING_LENGTH and heading.endswith("…")
    assert heading.startswith("y" * MAX_TEAM_NAME + ": x")


def test_an_unknown_merge_mode_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        merge({}, TEAMS, Wall(STEP, (), ()), mode="sideways", t=DE, new_id=ids(), now=0)  # type: ignore[arg-type]
    assert refused.value.key == "merge_mode_unknown"


@st.composite
def team_walls(draw: st.DrawFn) -> tuple[dict[str, Wall], Wall]:
    """Up to four teams' walls with random clusters, cards and stacks, and a plenary."""
    headings = st.sampled_from(["Kosten", "kosten", "Zeit", " ZEIT ", "Ort", "Gruppe 1"])
    serial = itertools.count()
    walls = {}
    for team in range(draw(st.integers(1, 4))):
        clusters = [
            cluster(f"k{next(serial)}", draw(headings), i) for i in range(draw(st.integers(0, 3)))
        ]
        cards: list[Card] = []
        for i in range(draw(st.integers(0, 8))):
            where = draw(st.sampled_from([None, *[k.id for k in clusters]]))
            onto = draw(st.sampled_from([None, *[c.id for c in cards if c.stacked_on is None]]))
            cards.append(card(f"c{next(serial)}", None if onto else where, i, stacked_on=onto))
        walls[f"t{team}"] = Wall(STEP, tuple(cards), tuple(clusters))
    plenary_clusters = tuple(
        cluster(f"p{i}", draw(headings), i) for i in range(draw(st.integers(0, 2)))
    )
    plenary_cards = tuple(card(f"pc{i}", k.id, 0) for i, k in enumerate(plenary_clusters))
    return walls, Wall(STEP, plenary_cards, plenary_clusters)


@settings(max_examples=200, deadline=None)
@given(team_walls(), st.sampled_from(["as_clusters", "into_existing"]))
def test_a_merge_moves_every_card_exactly_once_and_loses_none(
    walls_and_plenary: tuple[dict[str, Wall], Wall], mode: str
) -> None:
    walls, plenary = walls_and_plenary
    teams = [Team(f"t{i}", "w", "", TEAM_COLOURS[i], i) for i in range(len(walls))]
    merged = merge(walls, teams, plenary, mode=mode, t=DE, new_id=ids(), now=1.0)  # type: ignore[arg-type]
    moved = [c.id for c in merged.changes if isinstance(c, Card)]
    team_cards = [c.id for wall in walls.values() for c in wall.cards]
    assert sorted(moved) == sorted(team_cards), "a card lost or moved twice"
    result = after(plenary, merged.changes)
    assert len(result.cards) == len(plenary.cards) + len(team_cards)
    clusters = {k.id for k in result.clusters}
    for c in result.cards:
        if c.stacked_on is None:
            assert c.cluster_id in clusters, f"{c.id} lies in no cluster of the plenary"
        else:
            assert c.cluster_id is None and result.card(c.stacked_on)
    for k in result.clusters:  # positions in a cluster stay distinct: the order is kept
        positions = [c.position for c in result.in_cluster(k.id)]
        assert len(positions) == len(set(positions))
    assert len({k.position for k in result.clusters}) == len(result.clusters)
    if mode == "into_existing":

        def key(k: Cluster) -> str:
            return " ".join(k.heading.split()).casefold()

        old = {key(k) for k in plenary.clusters}
        new = [key(k) for k in result.clusters if k not in plenary.clusters]
        assert len(set(new)) == len(new), "two clusters of the same heading came over"
        assert not old & set(new), "a cluster came over beside a plenary one of its heading"


def test_dissolving_removes_every_team_and_the_store_takes_their_members_with_them() -> None:
    made = formed([f"p{i}" for i in range(6)], how="random", count=3)
    assert dissolve(made.teams) == [Deleted(Team, team.id) for team in made.teams]
    assert dissolve(()) == []


@pytest.mark.parametrize("option", ["size", "cap"])
def test_a_size_or_cap_beyond_any_room_is_refused(option: str) -> None:
    how = "choice" if option == "cap" else "random"
    with pytest.raises(Refused) as refused:
        formed(["a", "b"], how=how, **{option: MAX_TEAM_SIZE + 1})
    assert refused.value.key == "team_size_too_large"
    chosen = formed(["a", "b"], how="choice", count=2)
    with pytest.raises(Refused):
        set_cap(chosen.teams, (), MAX_TEAM_SIZE + 1)
