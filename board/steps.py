"""A step of the workshop's agenda and what the trainer does with it. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from board.errors import Refused
from board.i18n import text_in

MAX_QUESTION_LENGTH = 200
STATES = ("open", "closed")


# Kinds whose results can wait for a reveal: filled by board.kinds.register from each
# kind's ``hideable``.
HIDEABLE: set[str] = set()


@dataclass(frozen=True)
class Step:
    id: str
    workshop_id: str
    position: int
    kind: str
    question: str
    state: str
    hidden: bool
    revealed: bool
    # The exercise's texts and the kind's settings (see board.exercises).
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def hideable(self) -> bool:
        return self.kind in HIDEABLE

    @property
    def results_visible(self) -> bool:
        """Whether boards and phones may see what was written or voted."""
        return not self.hidden or self.revealed or not self.hideable

    def prompt(self, lang: str) -> str:
        """The question as the trainer typed it, else the exercise's prompt."""
        return self.question or text_in(self.config.get("prompt"), lang)

    def title(self, lang: str) -> str:
        return text_in(self.config.get("title"), lang)


def new_cards_step(step_id: str, workshop_id: str, position: int, question: str = "") -> Step:
    """A Kartenabfrage, open from the start so phones can write at once."""
    return Step(step_id, workshop_id, position, "cards", question, "open", False, False)


def new_step(
    step_id: str, workshop_id: str, position: int, kind: str, config: dict[str, Any]
) -> Step:
    """A step from an exercise file: open, hidden if the exercise says so."""
    hidden = bool(config.get("hidden", False))
    return Step(step_id, workshop_id, position, kind, "", "open", hidden, False, dict(config))


def clean_question(raw: str) -> str:
    question = " ".join(raw.split())
    if len(question) > MAX_QUESTION_LENGTH:
        raise Refused("question_too_long", max=MAX_QUESTION_LENGTH)
    return question


def set_question(step: Step, question: str) -> Step:
    return replace(step, question=clean_question(question))


def open_step(step: Step) -> Step:
    return replace(step, state="open")


def close_step(step: Step) -> Step:
    return replace(step, state="closed")


def set_hidden(step: Step, hidden: bool) -> Step:
    """Hide cards until revealed; once revealed, a step cannot be hidden again."""
    if hidden and not step.hideable:
        raise Refused("cannot_hide", 409)
    if hidden and step.revealed:
        raise Refused("already_revealed", 409)
    return replace(step, hidden=hidden)


def reveal(step: Step) -> Step:
    if not step.hidden:
        raise Refused("nothing_hidden", 409)
    return replace(step, revealed=True)
