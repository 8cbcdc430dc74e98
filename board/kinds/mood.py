"""Stimmungsbarometer: each person picks a weather, and maybe one word."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from board import votes
from board.exercise_fields import MOOD_OPTION, boolean, list_of
from board.forms import Form
from board.i18n import text_in
from board.kinds import Decide, Kind, Translate, VoteChecker, obey
from board.markup import label_at, md_escape, md_table
from board.workshops import new_id

if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.store.repository import Change

DEFAULT_WEATHER = [
    {"icon": "sun", "label": {"de": "Sonnenschein", "en": "Sunshine"}},
    {"icon": "sun-cloud", "label": {"de": "Heiter bis wolkig", "en": "Sunny spells"}},
    {"icon": "cloud", "label": {"de": "Bewölkt", "en": "Cloudy"}},
    {"icon": "rain", "label": {"de": "Regen", "en": "Rain"}},
    {"icon": "storm", "label": {"de": "Sturm", "en": "Storm"}},
]


def read_weather(form: Form, participant_id: str) -> Decide:
    value, word = form.integer("value"), form.text("word")

    def command(snap: Snapshot) -> list[Change]:
        votes.require_voting(snap.step)
        mine = snap.mine(participant_id)
        step = snap.step
        return [*votes.mood_vote(step, mine, participant_id, value, word, new_id(), time.time())]

    return command


class Mood(Kind):
    """Not hideable: the room's weather steers nobody."""

    name = "mood"
    teamable = True
    minutes = 5
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {"de": "Wie ist die Stimmung?", "en": "How is the mood?"}
    }

    def results(self, snap: Snapshot) -> votes.MoodResult:
        return votes.mood_result(snap.step, snap.votes)

    settings = {"options": list_of(MOOD_OPTION, 2, 7), "word": boolean}
    defaults: ClassVar[dict[str, Any]] = {"word": True}
    inputs = {"vote": read_weather}
    results_link = "show_results"

    vote_fields = ("value", "word")

    def vote_checker(self, snap: Snapshot) -> VoteChecker:
        def check(vote: votes.Vote, where: str) -> votes.Vote:
            self.keyless(vote, where)
            step, value = snap.step, vote.value or 0
            problem = f"{value} is outside 0–{len(votes.mood_options(step)) - 1}"
            obey(f"{where}.value", votes.check_mood_value, step, value, problem=problem)
            word = obey(f"{where}.word", votes.clean_word, step, vote.word) if vote.word else None
            return replace(vote, word=word)

        return check

    def complete(self, config: dict[str, Any], where: str) -> dict[str, Any]:
        config.setdefault("options", DEFAULT_WEATHER)
        return config

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        mood = snap.results
        weathers = [text_in(o["label"], lang) for o in snap.step.config["options"]]
        yield from md_table([t("option"), t("count")], zip(weathers, mood.counts, strict=True))
        if mood.words:
            yield ""
            yield f"{t('words')}: " + ", ".join(md_escape(w) for _, w in mood.words)

    def csv_vote(self, snap: Snapshot, vote: votes.Vote, lang: str) -> dict[str, object]:
        if vote.value is None:
            return {}
        labels = [option["label"] for option in snap.step.config["options"]]
        return {"text": label_at(labels, vote.value, lang)}


KIND = Mood()
