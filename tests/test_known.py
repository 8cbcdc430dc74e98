"""What a process knows without asking: who is who for a few seconds, its latest writes."""

from __future__ import annotations

import dataclasses

from board.known import IDENTITY_SECONDS, Identities, Recent
from board.live.render import EVERYONE
from board.workshops import Participant, Workshop

ROOM = Workshop("w1", "ABC234", "Kundenbegeisterung", "secret", "s1", 0, 0.0)
OTHER_ROOM = dataclasses.replace(ROOM, id="w2", code="XYZ789")
ANNA = Participant("anna", "w1", "Anna", 0.0)
BEN = Participant("ben", "w2", "Ben", 0.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_workshop_and_a_participant_are_known_for_a_few_seconds_only() -> None:
    clock = Clock()
    known = Identities(clock)
    known.remember_workshop(ROOM)
    known.remember_participant(ANNA)
    clock.now += IDENTITY_SECONDS
    assert known.workshop("ABC234") == ROOM
    assert known.participant("anna") == ANNA
    clock.now += 0.1
    assert known.workshop("ABC234") is None
    assert known.participant("anna") is None


def test_an_ended_workshop_is_forgotten_with_everyone_in_it_and_nothing_else() -> None:
    known = Identities(Clock())
    for workshop in (ROOM, OTHER_ROOM):
        known.remember_workshop(workshop)
    for person in (ANNA, BEN):
        known.remember_participant(person)
    known.forget_workshop("w1")
    assert known.workshop("ABC234") is None and known.participant("anna") is None
    assert known.workshop("XYZ789") == OTHER_ROOM and known.participant("ben") == BEN


def test_a_renamed_participant_is_read_again() -> None:
    known = Identities(Clock())
    known.remember_participant(ANNA)
    known.forget_participant("anna")
    assert known.participant("anna") is None


def test_a_write_s_own_view_is_the_newest_while_later_writes_leave_it_alone() -> None:
    recent = Recent()
    recent.wrote("w1", 7, [])  # Anna's dot: her own view is in her answer
    assert recent.untouched("w1", 7, "anna")
    recent.wrote("w1", 8, ["ben"])  # Ben's card: his view, not hers
    recent.wrote("w2", 9, [EVERYONE])  # another workshop
    assert recent.untouched("w1", 7, "anna")
    recent.wrote("w1", 9, ["anna"])  # the trainer moved Anna's card
    assert not recent.untouched("w1", 7, "anna")
    assert recent.untouched("w1", 9, "anna")


def test_a_step_switch_after_a_write_changes_everyone_s_view() -> None:
    recent = Recent()
    recent.wrote("w1", 7, [])
    recent.wrote("w1", 8, [EVERYONE])
    assert not recent.untouched("w1", 7, "anna")


def test_a_write_not_heard_of_yet_makes_the_view_uncertain() -> None:
    recent = Recent()
    recent.wrote("w1", 7, [])
    recent.wrote("w1", 9, ["ben"])  # 8's notice is still on its way from another process
    assert not recent.untouched("w1", 7, "anna")
    assert not recent.untouched("w1", 6, "anna")  # a write never heard of at all


def test_a_write_told_twice_is_one_write_naming_whom_either_named() -> None:
    recent = Recent()
    recent.wrote("w1", 7, [])
    recent.wrote("w1", 8, [])  # a write whose commit then failed
    recent.wrote("w1", 8, ["anna"])  # the write that took its number, by its notice
    assert recent.untouched("w1", 8, "anna")
    assert not recent.untouched("w1", 7, "anna")
