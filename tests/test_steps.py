"""What the trainer does with a step: ask the question, open, close, hide and reveal."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from board.errors import Refused
from board.steps import (
    MAX_QUESTION_LENGTH,
    close_step,
    new_cards_step,
    open_step,
    reveal,
    set_hidden,
    set_question,
)


def refusal(command: Callable[[], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        command()
    return caught.value


def test_a_new_card_collection_is_open_and_visible_so_phones_can_write_at_once() -> None:
    step = new_cards_step("s1", "ws", 0, "What slows our releases down?")
    assert (step.id, step.workshop_id, step.position) == ("s1", "ws", 0)
    assert step.kind == "cards"
    assert step.question == "What slows our releases down?"
    assert step.is_open
    assert not step.hidden
    assert not step.revealed


def test_a_step_may_start_without_a_question() -> None:
    assert new_cards_step("s1", "ws", 0).question == ""


def test_the_trainer_closes_and_reopens_the_collection() -> None:
    closed = close_step(new_cards_step("s1", "ws", 0))
    assert closed.state == "closed"
    assert not closed.is_open
    reopened = open_step(closed)
    assert reopened.state == "open"
    assert reopened.is_open


def test_a_question_is_stored_with_its_whitespace_collapsed() -> None:
    step = set_question(new_cards_step("s1", "ws", 0), "  What slows \n our   releases?  ")
    assert step.question == "What slows our releases?"


def test_a_question_may_be_cleared() -> None:
    assert set_question(new_cards_step("s1", "ws", 0, "Old"), "   ").question == ""


def test_a_question_longer_than_the_limit_is_refused() -> None:
    step = new_cards_step("s1", "ws", 0)
    assert set_question(step, "x" * MAX_QUESTION_LENGTH).question == "x" * MAX_QUESTION_LENGTH
    error = refusal(lambda: set_question(step, "x" * (MAX_QUESTION_LENGTH + 1)))
    assert error.key == "question_too_long"
    assert error.params == {"max": MAX_QUESTION_LENGTH}


def test_the_limit_applies_after_collapsing_whitespace() -> None:
    padded = "  " + "x" * MAX_QUESTION_LENGTH + "\n\n"
    assert set_question(new_cards_step("s1", "ws", 0), padded).question == "x" * MAX_QUESTION_LENGTH


def test_cards_collected_hidden_are_shown_once_revealed() -> None:
    hidden = set_hidden(new_cards_step("s1", "ws", 0), True)
    assert hidden.hidden
    assert not hidden.revealed
    revealed = reveal(hidden)
    assert revealed.revealed
    assert revealed.hidden  # it was collected hidden; that stays on the record


def test_a_revealed_step_cannot_be_hidden_again() -> None:
    revealed = reveal(set_hidden(new_cards_step("s1", "ws", 0), True))
    error = refusal(lambda: set_hidden(revealed, True))
    assert (error.key, error.status) == ("already_revealed", 409)


def test_the_trainer_may_switch_a_hidden_collection_back_to_open_collection() -> None:
    hidden = set_hidden(new_cards_step("s1", "ws", 0), True)
    assert not set_hidden(hidden, False).hidden


def test_nothing_is_revealed_when_nothing_is_hidden() -> None:
    error = refusal(lambda: reveal(new_cards_step("s1", "ws", 0)))
    assert (error.key, error.status) == ("nothing_hidden", 409)


def test_step_commands_return_a_new_step_and_leave_the_old_one_as_it_was() -> None:
    step = new_cards_step("s1", "ws", 0)
    close_step(step)
    set_hidden(step, True)
    assert step == new_cards_step("s1", "ws", 0)
