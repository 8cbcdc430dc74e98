"""Maßnahmenplan: participants propose actions (Was / Wer / Mit wem / Bis wann), the
trainer edits them and sets their status; rows may come from the Themenspeicher."""

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
    with_whom = form.text("with_whom")

    def command(snap: Snapshot) -> list[Change]:
        return [
            *action_plan.propose(
                snap.step,
                snap.actions,
                participant_id,
                what,
                who,
                due,
                new_id(),
                time.time(),
                with_whom=with_whom,
            )
        ]

    return command


def add(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    what, who, due = ctx.text("what"), ctx.text("who"), ctx.text("due")
    return [
        *action_plan.propose(
            snap.step,
            snap.actions,
            None,
            what,
            who,
            due,
            new_id(),
            ctx.now,
            by_trainer=True,
            with_whom=ctx.text("with_whom"),
        )
    ]


def edit(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    what, who, due = ctx.text("what"), ctx.text("who"), ctx.text("due")
    # Mit wem and Status only when the form has them (an older console's form has not).
    with_whom = ctx.text("with_whom", None) if "with_whom" in ctx.data else None
    status = ctx.text("status", None) if "status" in ctx.data else None
    return [*action_plan.edit(snap.actions, ctx.text("item_id"), what, who, due, with_whom, status)]


def set_status(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    return [*action_plan.set_status(snap.actions, ctx.text("item_id"), ctx.text("status"))]


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
        "action-status": set_status,
        "action-delete": lambda snap, ctx: [*action_plan.remove(snap.actions, ctx.text("item_id"))],
    }

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        rows = (
            [a.what, a.who, a.with_whom, a.due, t(f"action_status_{a.status}")]
            for a in snap.actions
        )
        yield from md_table([t("what"), t("who"), t("with_whom"), t("due"), t("status")], rows)


KIND = Actions()
