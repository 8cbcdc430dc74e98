"""Ein-Punkt-Abfrage: each person puts one dot on a scale of labels."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from board import votes
from board.errors import Refused
from board.exercise_fields import boolean, texts
from board.forms import Form
from board.i18n import decimal, number, text_in
from board.kinds import Decide, Kind, Translate, VoteChecker, obey
from board.markup import label_at, md_table
from board.workshops import new_id

if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.store.repository import Change
    from board.web.trainer import TrainerInput


# A scale's bars: one blue from dark to light, an order without a verdict (no green for
# "agree", no red for "disagree": agreeing with "Der Kunde ist König" is not the good answer).
# The lightest keeps a 3:1 contrast to the board's paper (#f3ede2), as a chart's marks need.
BAR_DARKEST = (0x1F, 0x3A, 0x5F)
BAR_LIGHTEST = (0x66, 0x84, 0xA8)


def bar_colours(n: int) -> list[str]:
    """``n`` colours from darkest to lightest, evenly spaced (the first answer darkest)."""
    steps = max(n - 1, 1)
    return [
        "#"
        + "".join(
            f"{round(a + (b - a) * i / steps):02x}"
            for a, b in zip(BAR_DARKEST, BAR_LIGHTEST, strict=True)
        )
        for i in range(n)
    ]


def read_vote(form: Form, participant_id: str) -> Decide:
    value = form.integer("value")

    def command(snap: Snapshot) -> list[Change]:
        votes.require_voting(snap.step)
        mine = snap.mine(participant_id)
        return [*votes.scale_vote(snap.step, mine, participant_id, value, new_id(), time.time())]

    return command


def show_figures(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """Median and mean on the board, or the distribution alone (the trainer asks for the
    figures when the room has seen the bars: a mean anchors the talk on one number)."""
    show = ctx.text("show")
    if show not in ("0", "1"):
        raise Refused("bad_request", 400)
    step = snap.step
    changed = replace(step, config=step.config | {"show_figures": show == "1"})
    return [] if changed == step else [changed]


class Scale(Kind):
    name = "scale"
    teamable = True
    minutes = 5
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {"de": "Wie sehr stimmen Sie zu?", "en": "How far do you agree?"},
        "labels": [
            {"de": "trifft voll zu", "en": "fully agree"},
            {"de": "trifft eher zu", "en": "somewhat agree"},
            {"de": "teils, teils", "en": "partly"},
            {"de": "trifft eher nicht zu", "en": "somewhat disagree"},
            {"de": "trifft gar nicht zu", "en": "fully disagree"},
        ],
    }

    def results(self, snap: Snapshot) -> votes.ScaleResult:
        return votes.scale_result(snap.step, snap.votes)

    hideable = True
    splits = True
    # show_figures: median and mean on the board too (the console and the protocol
    # always show them); off at first, so the room sees the distribution.
    settings = {"labels": texts(2, 10), "hidden": boolean, "show_figures": boolean}
    required = frozenset({"labels"})
    defaults: ClassVar[dict[str, Any]] = {"hidden": False, "show_figures": False}
    inputs = {"vote": read_vote}
    trainer_actions = {"scale-figures": show_figures}
    results_link = "show_results"

    vote_fields = ("value",)

    def vote_checker(self, snap: Snapshot) -> VoteChecker:
        def check(vote: votes.Vote, where: str) -> votes.Vote:
            self.keyless(vote, where)
            value, last = vote.value or 0, len(votes.scale_labels(snap.step)) - 1
            problem = f"{value} is outside 0–{last}"
            obey(f"{where}.value", votes.check_scale_value, snap.step, value, problem=problem)
            return vote

        return check

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        result = snap.results
        labels = [text_in(label, lang) for label in snap.step.config["labels"]]
        yield from md_table([t("option"), t("count")], zip(labels, result.counts, strict=True))
        yield ""
        yield (
            f"n = {number(result.n, lang)}, {t('median')} {decimal(result.median, lang)}, "
            f"{t('mean')} {decimal(result.mean, lang)}"
        )

    def csv_vote(self, snap: Snapshot, vote: votes.Vote, lang: str) -> dict[str, object]:
        if vote.value is None:
            return {}
        return {
            "text": label_at(snap.step.config["labels"], vote.value, lang),
            "value": vote.value + 1,
        }


KIND = Scale()
