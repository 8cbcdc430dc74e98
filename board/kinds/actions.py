"""Maßnahmenplan: participants propose actions (what, who, by when), the trainer edits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from board import action_plan
from board.forms import Form
from board.kinds import Decide, Kind, Translate
from board.markup import md_table
from board.workshops import new_id

if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.store.repository import Change
    from board.web.trainer import TrainerInput


def read_proposal(form: Form, participant_id: str) -> Decide:
    what, who, due = form.text("what"), form.text("who"), form.text("due")

    def command(snap: Snapshot) -> list[Change]:
        return [
            *action_plan.propose(
                snap.step, snap.actions, participant_id, what, who, due, new_id(), time.time()
            )
        ]

    return command


def add(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    what, who, due = ctx.text("what"), ctx.text("who"), ctx.text("due")
    return [
        *action_plan.propose(
            snap.step, snap.actions, None, what, who, due, new_id(), ctx.now, by_trainer=True
        )
    ]


def edit(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    what, who, due = ctx.text("what"), ctx.text("who"), ctx.text("due")
    return [*action_plan.edit(snap.actions, ctx.text("item_id"), what, who, due)]


class Actions(Kind):
    """Not hideable: an action plan is the room's own talk."""

    name = "actions"
    minutes = 15
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {"de": "Was nehmen wir uns vor?", "en": "What will we do?"}
    }
    sections = frozenset({"clusters", "actions"})
    inputs = {"actions": read_proposal}
    spends_card_budget = frozenset({"actions"})
    trainer_actions = {
        "action-add": add,
        "action-edit": edit,
        "action-delete": lambda snap, ctx: [*action_plan.remove(snap.actions, ctx.text("item_id"))],
    }

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        rows = ([a.what, a.who, a.due] for a in snap.actions)
        yield from md_table([t("what"), t("who"), t("due")], rows)


KIND = Actions()
