"""The projector's frames of the teams' walls: which a change sends (team_frames)."""

from __future__ import annotations

from dataclasses import replace

from board.live import team_frames
from board.live.team_frames import Sent


def sent(**states: object) -> Sent:
    return Sent(team_frames.version(states), states)


def test_only_the_walls_that_changed_are_sent_from_the_state_last_sent() -> None:
    before = sent(a=("a", 1), b=("b", 1), c=("c", 1))
    after = sent(a=("a", 1), b=("b", 2), c=("c", 1))
    found = team_frames.delta(before, after)
    assert found is not None
    assert found.changed == {"b"}
    assert (found.base, found.version) == (before.version, after.version)
    assert found.base != found.version


def test_nothing_changed_is_an_empty_frame_of_the_same_state() -> None:
    found = team_frames.delta(sent(a=("a", 1)), sent(a=("a", 1)))
    assert found is not None and not found.changed and found.base == found.version


def test_another_layout_or_nothing_sent_yet_is_the_whole_wall() -> None:
    two = sent(a=("a", 1), b=("b", 1))
    assert team_frames.delta(None, two) is None
    assert team_frames.delta(two, None) is None, "presenting, or no longer in teams"
    assert team_frames.delta(two, sent(a=("a", 1))) is None, "a team gone"
    assert team_frames.delta(two, replace(two, states={"a": 1, "c": 1})) is None
