"""Blitzlicht: one short sentence or one word per person ("Was nehme ich mit?").

Each person has one statement on the step, stored as a vote's word: sending again
replaces it until the step closes. The board shows the statements one after another
(the trainer taps "Nächste" / "Zurück"), all together, or the words the room repeats
as a word cloud (board.wordcloud), as the trainer switches in the console. Their order
is shuffled, the same on every screen, so nobody can tell from it who wrote what.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from board import votes, wordcloud
from board.cards import has_visible
from board.errors import Refused
from board.exercise_fields import boolean, integer, one_of
from board.forms import Form
from board.i18n import LANGUAGES, number, text_in, translate
from board.kinds import Decide, Kind, Translate, VoteChecker, obey
from board.markup import md_escape, md_table
from board.steps import Step
from board.workshops import new_id

if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.store.repository import Change
    from board.web.trainer import TrainerInput

MAX_STATEMENT_LENGTH = 80  # one short sentence: the phone's counter shows it
# What the board shows: one statement after another, all of them, the word cloud.
VIEWS = ("one", "all", "cloud")
MAX_SHOWN = 10_000  # far beyond any room: an exercise file's or an import's bound
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_statement(raw: str) -> str:
    """One line, blanks folded; refuse an empty (or invisible) or too long statement."""
    text = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", raw)).split())
    if not has_visible(text):
        raise Refused("statement_empty", 422)
    if len(text) > MAX_STATEMENT_LENGTH:
        raise Refused("statement_too_long", 422, max=MAX_STATEMENT_LENGTH)
    return text


def answer(
    step: Step, mine: Sequence[votes.Vote], participant_id: str, text: str, vote_id: str, now: float
) -> list[votes.Vote]:
    """This person's statement: their earlier one, replaced (it keeps its place in the
    shuffled order), or a new one."""
    votes.require_voting(step)
    cleaned = clean_statement(text)
    for vote in mine:
        return [] if vote.word == cleaned else [replace(vote, word=cleaned)]
    return [votes.Vote(vote_id, step.id, participant_id, "", None, None, None, cleaned, now)]


def read_statement(form: Form, participant_id: str) -> Decide:
    text = form.text("text")
    clean_statement(text)  # refused at once, before the write

    def command(snap: Snapshot) -> list[Change]:
        mine = snap.mine(participant_id)
        return [*answer(snap.step, mine, participant_id, text, new_id(), time.time())]

    return command


def shuffled(step: Step, answers: Sequence[votes.Vote]) -> list[votes.Vote]:
    """The statements in an order that says nothing of who wrote them or when: by a hash
    of the step and the person (stable while people edit, the same on every screen)."""

    def place(vote: votes.Vote) -> str:
        return hashlib.sha256(f"{step.id}\x00{vote.participant_id}".encode()).hexdigest()

    return sorted((v for v in answers if v.word), key=place)


def view(step: Step) -> str:
    return str(step.config.get("view", "one"))


def set_view(step: Step, chosen: str) -> Step:
    if chosen not in VIEWS:
        raise Refused("bad_request", 400)
    return replace(step, config=step.config | {"view": chosen})


def move(step: Step, by: int, count: int) -> Step:
    """The next (``by`` 1) or previous (-1) statement on the board, within the answers;
    from the other views, the one last shown comes back first."""
    if view(step) != "one":
        by = 0
    shown = max(0, min(int(step.config.get("shown", 0)) + by, max(count - 1, 0)))
    return replace(step, config=step.config | {"shown": shown, "view": "one"})


@dataclass(frozen=True)
class FlashResult:
    statements: tuple[votes.Vote, ...]  # shuffled
    view: str
    shown: int  # which statement the board shows one at a time (an index into them)
    words: tuple[wordcloud.CloudWord, ...]  # the top words, most said first
    cloud: wordcloud.Cloud

    @property
    def n(self) -> int:
        return len(self.statements)

    @property
    def current(self) -> votes.Vote | None:
        return self.statements[self.shown] if self.statements else None


def question_words(step: Step) -> set[str]:
    """The words of the step's question, in every language: an answer's echo of them."""
    asked = [step.question, *(text_in(step.config.get("prompt"), lang) for lang in LANGUAGES)]
    return {word for text in asked for word in wordcloud.words_of(text)}


def flash_result(step: Step, answers: Sequence[votes.Vote]) -> FlashResult:
    statements = shuffled(step, answers)
    texts = (v.word or "" for v in statements)
    words = wordcloud.count_words(texts, echo=question_words(step))
    shown = max(0, min(int(step.config.get("shown", 0)), len(statements) - 1))
    return FlashResult(tuple(statements), view(step), shown, tuple(words), wordcloud.layout(words))


def _set_view(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    changed = set_view(snap.step, ctx.text("view"))
    return [] if changed == snap.step else [changed]


def _next(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    changed = move(snap.step, 1, snap.results.n)
    return [] if changed == snap.step else [changed]


def _previous(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    changed = move(snap.step, -1, snap.results.n)
    return [] if changed == snap.step else [changed]


class Flash(Kind):
    """Hidden by default: people write what they take away before reading the others'."""

    name = "flash"
    minutes = 10
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {"de": "Was nehme ich mit?", "en": "What do I take away?"}
    }

    def results(self, snap: Snapshot) -> FlashResult:
        return flash_result(snap.step, snap.votes)

    hideable = True
    settings = {
        "hidden": boolean,
        "view": one_of(VIEWS),
        "shown": integer(0, MAX_SHOWN),
    }
    defaults: ClassVar[dict[str, Any]] = {"hidden": True}
    inputs = {"vote": read_statement}
    trainer_actions = {"flash-view": _set_view, "flash-next": _next, "flash-prev": _previous}
    views = VIEWS
    hidden_note = "flash_hidden_note"
    hide_label = "hide_statements"

    vote_fields = ("word",)

    def vote_checker(self, snap: Snapshot) -> VoteChecker:
        def check(vote: votes.Vote, where: str) -> votes.Vote:
            self.keyless(vote, where)
            word = obey(f"{where}.word", clean_statement, vote.word or "")
            return replace(vote, word=word)

        return check

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        result: FlashResult = snap.results
        names = snap.nicknames
        for statement in result.statements:
            name = names.get(statement.participant_id)
            yield f"- {md_escape(statement.word or '')}" + (f" ({md_escape(name)})" if name else "")
        if result.words:
            yield ""
            rows = [(md_escape(w.text), number(w.count, lang)) for w in result.words]
            yield from md_table([t("flash_word"), t("count")], rows)

    def csv_vote(self, snap: Snapshot, vote: votes.Vote, lang: str) -> dict[str, object]:
        return {"record": translate(lang, "csv_statement"), "text": vote.word, "word": None}

    def csv_rows(self, snap: Snapshot, lang: str) -> Iterator[dict[str, object]]:
        """The top words, each with how often it was said."""
        result: FlashResult = snap.results
        for word in result.words:
            yield {"record": translate(lang, "flash_word"), "word": word.text, "value": word.count}

    def listed_votes(self, snap: Snapshot) -> Sequence[votes.Vote]:
        result: FlashResult = snap.results
        return result.statements


KIND = Flash()
