"""A kind that is not shipped: "thumbs", where each participant taps 👍 or 👎.

Its module and templates are all there is to it; tests/test_kinds.py registers it
and drives it through every screen and every protocol format.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from board import votes
from board.errors import Refused
from board.exercise_fields import boolean
from board.kinds import Decide, Form, Kind, Translate, VoteChecker
from board.snapshot import Snapshot
from board.store.repository import Change
from board.workshops import new_id

THUMBS = ("👎", "👍")  # a vote's value is the index: 1 is up


def read_thumb(form: Form, participant_id: str) -> Decide:
    thumb = form.text("thumb")
    if thumb not in ("up", "down"):
        raise Refused("bad_request", 400)
    value = int(thumb == "up")

    def command(snap: Snapshot) -> list[Change]:
        votes.require_voting(snap.step)
        mine = snap.mine(participant_id)
        if mine:
            return [] if mine[0].value == value else [replace(mine[0], value=value)]
        step_id, now = snap.step.id, time.time()
        return [votes.Vote(new_id(), step_id, participant_id, "", value, None, None, None, now)]

    return command


def counts(snap: Snapshot) -> tuple[int, int]:
    """Thumbs down, thumbs up."""
    up = sum(1 for vote in snap.votes if vote.value == 1)
    return len(snap.votes) - up, up


class Thumbs(Kind):
    name = "thumbs"
    labels = {"de": "Daumenprobe", "en": "Thumbs poll"}
    hideable = True
    settings = {"hidden": boolean}
    defaults: ClassVar[dict[str, Any]] = {"hidden": False}
    inputs = {"thumb": read_thumb}
    results_link = "show_results"
    templates = Path(__file__).parent / "templates"
    vote_fields = ("value",)

    def vote_checker(self, snap: Snapshot) -> VoteChecker:
        def check(vote: votes.Vote, where: str) -> votes.Vote:
            if vote.key or vote.value not in (0, 1):
                raise ValueError(f"{where}.value: expected 0 (down) or 1 (up)")
            return vote

        return check

    def counts(self, snap: Snapshot) -> tuple[int, int]:
        return counts(snap)

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        down, up = counts(snap)
        yield f"{THUMBS[1]} Daumen hoch: {up} · {THUMBS[0]} Daumen runter: {down}"

    def csv_vote(self, snap: Snapshot, vote: votes.Vote, lang: str) -> dict[str, object]:
        return {"text": THUMBS[vote.value or 0]}


KIND = Thumbs()
EXERCISES = Path(__file__).parent / "exercises"
