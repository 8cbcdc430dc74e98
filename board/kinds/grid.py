"""Koordinatenabfrage: a point per person and situation on a field of four quadrants."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from board import votes
from board.exercise_fields import AXIS, QUADRANTS, boolean, texts
from board.forms import Form
from board.i18n import text_in, translate
from board.kinds import Decide, Kind, Translate, VoteChecker, obey
from board.markup import label_at, md_table
from board.workshops import new_id

if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.store.repository import Change


def read_point(form: Form, participant_id: str) -> Decide:
    situation = form.integer("situation")
    outside = ("point_outside", 422)
    x, y = form.number("x", not_finite=outside), form.number("y", not_finite=outside)

    def command(snap: Snapshot) -> list[Change]:
        votes.require_voting(snap.step)
        mine = snap.mine(participant_id)
        placed = votes.grid_vote(
            snap.step, mine, participant_id, situation, x, y, new_id(), time.time()
        )
        return [*placed]

    return command


class Grid(Kind):
    name = "grid"
    minutes = 15

    def results(self, snap: Snapshot) -> list[votes.GridResult]:
        return votes.grid_result(snap.step, snap.votes)

    hideable = True
    splits = True
    settings = {
        "x_axis": AXIS,
        "y_axis": AXIS,
        "quadrants": QUADRANTS,
        "situations": texts(1, 8),
        "hidden": boolean,
    }
    required = frozenset({"x_axis", "y_axis", "quadrants", "situations"})
    defaults: ClassVar[dict[str, Any]] = {"hidden": True}
    inputs = {"vote": read_point}
    results_link = "show_results"

    vote_fields = ("x", "y")
    required_vote_fields = 2

    def vote_checker(self, snap: Snapshot) -> VoteChecker:
        def check(vote: votes.Vote, where: str) -> votes.Vote:
            if not re.fullmatch(r"0|[1-9][0-9]?", vote.key):
                raise ValueError(f"{where}.key: expected a situation number, not {vote.key!r}")
            step, last = snap.step, len(votes.situations(snap.step)) - 1
            problem = f"{vote.key} is outside 0–{last}"
            obey(f"{where}.key", votes.check_situation, step, int(vote.key), problem=problem)
            assert vote.x is not None and vote.y is not None
            problem = f"({vote.x}, {vote.y}) is outside -1–1"
            x, y = obey(where, votes.check_point, vote.x, vote.y, problem=problem)
            return replace(vote, x=x, y=y)

        return check

    def split_scopes(self, cast: Sequence[votes.Vote]) -> list[list[votes.Vote]]:
        """Each situation on its own: a group is shown where enough of it answered."""
        by_situation: dict[str, list[votes.Vote]] = {}
        for vote in cast:
            by_situation.setdefault(vote.key, []).append(vote)
        return list(by_situation.values())

    def hidden_counts(self, snap: Snapshot) -> tuple[int, ...]:
        """How many points each situation has (where they are is the secret)."""
        return tuple(len(result.points) for result in snap.results)

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        step = snap.step
        corners = ("top_right", "top_left", "bottom_left", "bottom_right")
        rows = [
            [text_in(step.config["situations"][r.situation], lang), len(r.points)]
            + [r.quadrants[c] for c in corners]
            for r in snap.results
        ]
        header = [t("situation"), "n"] + [
            text_in(step.config["quadrants"][c], lang) for c in corners
        ]
        yield from md_table(header, rows)

    def csv_vote(self, snap: Snapshot, vote: votes.Vote, lang: str) -> dict[str, object]:
        if not vote.key.isdecimal():
            return {}
        row: dict[str, object] = {
            "text": label_at(snap.step.config["situations"], int(vote.key), lang)
        }
        if vote.x is not None and vote.y is not None:
            row["cluster"] = translate(lang, f"quadrant_{votes.quadrant(vote.x, vote.y)}")
        return row


KIND = Grid()
