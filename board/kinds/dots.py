"""Themenspeicher: each person spends a budget of dots on options or clusters."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import jinja2
from markupsafe import Markup

from board import action_plan, kinds, steps, topics, votes
from board.errors import Refused
from board.exercise_fields import Invalid, boolean, integer, one_of, texts
from board.forms import Form
from board.i18n import language_context, text_in
from board.kinds import Decide, Kind, Translate, VoteChecker
from board.markup import md_escape
from board.workshops import new_id

# Where a dots step takes its options from (its setting options_from), when not its own.
CLUSTERS = "clusters"  # the clusters of the cards step before it
TOPICS = "topics"  # the Themenspeicher's topics


def on_clusters(config: Mapping[str, Any]) -> bool:
    """Whether a step's settings have its dots on the clusters of a cards step."""
    return config.get("options_from") == CLUSTERS


def on_topics(config: Mapping[str, Any]) -> bool:
    """Whether a step's settings have its dots on the Themenspeicher's topics."""
    return config.get("options_from") == TOPICS


if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.store.repository import Change
    from board.web.trainer import TrainerInput


def read_dot(form: Form, participant_id: str) -> Decide:
    delta, option = form.integer("delta"), form.text("option")

    def command(snap: Snapshot) -> list[Change]:
        votes.require_voting(snap.step)
        mine = snap.mine(participant_id)
        options = snap.results.options("de")
        changed = votes.dots_change(
            snap.step, options, mine, participant_id, option, delta, new_id(), time.time()
        )
        return [*changed]

    return command


def set_budget(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    changed = votes.set_budget(snap.step, ctx.integer("budget"))
    return [] if changed == snap.step else [changed]


MAX_OPTIONS = 30  # options an exercise file may give a dots step


def from_topics(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """ "Themen aus dem Themenspeicher übernehmen": the step's options become the topics
    (live: a topic added or renamed meanwhile follows, as clusters do). Not once dots
    are placed: they were placed on other options."""
    if on_topics(snap.step.config):
        return []
    if snap.votes:
        raise Refused("dots_already_placed", 409)
    if not topics.for_the_room(snap.topics, snap.steps):
        raise Refused("topics_none", 409)
    config = {k: v for k, v in snap.step.config.items() if k not in ("options", "options_from")}
    return [replace(snap.step, config=config | {"options_from": TOPICS})]


def _on_topics(snap: Snapshot) -> None:
    if not on_topics(snap.step.config):
        raise Refused("dots_not_on_topics", 409)


def keep_ranking(snap: Snapshot, ctx: TrainerInput | None = None) -> list[Change]:
    """Store the ranking on the topics (their dots and rank by this step)."""
    _on_topics(snap)
    ranked = [(e.option.id, e.dots, e.rank) for e in snap.results.ranking("de")]
    return [*topics.keep_ranking(snap.topics, ranked, snap.step.id)]


def top_to_plan(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """ "Top 3 in den Maßnahmenplan": the ranking is kept, and the topics ranked 1 to n
    become rows of the Maßnahmenplan after this step (a new one at the end if there is
    none), each linked to its topic; a topic already in that plan is not added twice."""
    kept = keep_ranking(snap)
    now_topics = {t.id: t for t in snap.topics} | {
        t.id: t for t in kept if isinstance(t, topics.Topic)
    }
    best = topics.top(
        list(now_topics.values()), snap.step.id, ctx.integer("n", str(topics.TOP_DEFAULT))
    )
    if not best:
        raise Refused("dots_none_yet", 409)
    plan, made = _plan_step(snap)
    items = [item for item in snap.plans if item.step_id == plan.id]
    ids = iter(lambda: new_id(), None)
    rows = action_plan.from_topics(plan, items, [(t.id, t.title) for t in best], ids, ctx.now)
    return [*kept, *made, *rows]


def _plan_step(snap: Snapshot) -> tuple[steps.Step, list[Change]]:
    """The Maßnahmenplan the top topics go to: the next after this step, else the first
    on the agenda, else a new one at its end."""
    plans = sorted((s for s in snap.steps if s.kind == "actions"), key=lambda s: s.position)
    after = [s for s in plans if s.position > snap.step.position]
    if after or plans:
        return (after or plans)[0], []
    alone = kinds.of("actions").alone or {}
    position = max(s.position for s in snap.steps) + 1
    made = steps.new_step(new_id(), snap.workshop.id, position, "actions", dict(alone))
    return made, [made]


class DotResults:
    """A dots step's options (from the file, or the clusters of the card step it
    follows), the budget, what one person spent, and the ranking."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        # Per language, once per snapshot: the budget, the limits and every row of a
        # phone's list ask for them again.
        self._options: dict[str, list[votes.Option]] = {}

    def options(self, lang: str) -> list[votes.Option]:
        if lang not in self._options:
            self._options[lang] = self._read_options(lang)
        return list(self._options[lang])

    def _read_options(self, lang: str) -> list[votes.Option]:
        step = self.snap.step
        if on_topics(step.config):
            shown = topics.for_the_room(self.snap.topics, self.snap.steps)
            return [votes.Option(t.id, t.title) for t in shown]
        if on_clusters(step.config):
            source = self.snap.source
            return (
                []
                if source is None
                else [votes.Option(c.id, c.heading) for c in source.ordered_clusters()]
            )
        return [
            votes.Option(str(i), text_in(o, lang))
            for i, o in enumerate(step.config.get("options", []))
        ]

    def explanation(self, option_id: str, lang: str) -> str:
        """What an option of the file means, as the phone shows it under the option
        (an exercise's ``explanations``, one per option); "" for none."""
        explanations = self.snap.step.config.get("explanations", [])
        if not option_id.isdecimal() or int(option_id) >= len(explanations):
            return ""
        return text_in(explanations[int(option_id)], lang)

    def budget(self) -> int:
        return votes.dot_budget(self.snap.step, len(self.options("de")))

    def spent(self, participant_id: str) -> int:
        return votes.dots_spent(self.options("de"), self.snap.mine(participant_id))

    def placed(self, participant_id: str) -> dict[str, int]:
        """This person's dots on each option they placed some on."""
        return {v.key: v.value or 0 for v in self.snap.mine(participant_id)}

    def per_option_limit(self) -> int:
        return votes.per_option_limit(self.snap.step, len(self.options("de")))

    def ranking(self, lang: str) -> list[votes.Ranked]:
        return votes.ranking(self.options(lang), self.snap.votes)


@dataclass(frozen=True)
class PhoneList:
    """A phone's dot list: the dots left of the budget, and its rows ready as HTML."""

    left: int
    budget: int
    rows: Markup  # empty without options


class PhoneRows:
    """A phone's dot list, row by row: each row rendered once per option, language,
    count and which of its buttons is off, then kept. In a dot burst every phone's
    answer shows the same few rows in other combinations, and rendering them each time
    was most of the event loop's work per dot."""

    ROWS_KEPT = 4096  # about 1 KB each: 8 options × a few counts × a few rooms

    def __init__(self, env: jinja2.Environment) -> None:
        self._env = env
        self._row = lru_cache(maxsize=self.ROWS_KEPT)(self._render)

    def __call__(self, snap: Snapshot, me: str, code: str, lang: str) -> PhoneList:
        """``me``'s list on the snapshot's dots step: what they placed, and the buttons
        the step's rules leave them (open, the budget, the limit per option)."""
        results = snap.results
        step = snap.step
        budget, per_option = results.budget(), results.per_option_limit()
        placed = results.placed(me)
        left = budget - results.spent(me)
        room_left = step.is_open and left > 0
        vote_url = f"/w/{code}/vote"
        rows = []
        for option in results.options(lang):
            n = placed.get(option.id, 0)
            can_take = step.is_open and n > 0
            can_place = room_left and n < per_option
            explanation = results.explanation(option.id, lang)
            key = (lang, vote_url, step.id, option.id, option.label, explanation)
            rows.append(self._row(key, n, can_take, can_place))
        return PhoneList(left, budget, Markup("\n".join(rows)))

    def _render(
        self, key: tuple[str, str, str, str, str, str], n: int, can_take: bool, can_place: bool
    ) -> str:
        lang, vote_url, step_id, option_id, label, explanation = key
        template = self._env.get_template(f"kinds/{KIND.name}/_option.html")
        return template.render(
            **language_context(lang),
            vote_url=vote_url,
            step_id=step_id,
            option_id=option_id,
            label=label,
            explanation=explanation,
            n=n,
            can_take=can_take,
            can_place=can_place,
        )


class Dots(Kind):
    name = "dots"
    teamable = True
    minutes = 10
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {
            "de": "Woran wollen wir zuerst arbeiten? Verteilen Sie Ihre Punkte.",
            "en": "What shall we work on first? Spend your dots.",
        },
        "options_from": CLUSTERS,
    }

    def results(self, snap: Snapshot) -> DotResults:
        return DotResults(snap)

    hideable = True
    splits = True
    settings = {
        "options": texts(2, MAX_OPTIONS),
        "explanations": texts(2, MAX_OPTIONS),
        "options_from": one_of([CLUSTERS, TOPICS]),
        "budget": integer(1, votes.MAX_BUDGET),
        "max_per_option": integer(1, votes.MAX_BUDGET),
        "hidden": boolean,
    }
    defaults: ClassVar[dict[str, Any]] = {"hidden": False}
    inputs = {"vote": read_dot}
    trainer_actions = {
        "dots-budget": set_budget,
        "dots-from-topics": from_topics,
        "dots-keep-ranking": keep_ranking,
        "dots-top-actions": top_to_plan,
    }
    results_link = "show_results"

    vote_fields = ("value",)

    def vote_checker(self, snap: Snapshot) -> VoteChecker:
        """Dots on an option, within what the step can have given. Its budget may have
        been higher while people voted (the console changes it, and clusters come and
        go), so the bound is the most a step can give, unless the exercise fixed a
        per-option limit. Dots on a cluster no longer offered count for nothing, as on
        the board."""
        options = snap.results.options("de")
        offered = {option.id for option in options}
        # Dots on clusters or topics: their ids (or ones since gone), not positions.
        by_id = on_clusters(snap.step.config) or on_topics(snap.step.config)
        most = max(votes.MAX_BUDGET, snap.results.budget())
        per_option = (
            snap.results.per_option_limit() if "max_per_option" in snap.step.config else most
        )
        mine: dict[str, list[votes.Vote]] = {}
        for vote in snap.votes:
            mine.setdefault(vote.participant_id, []).append(vote)
        spent = {who: votes.dots_spent(options, theirs) for who, theirs in mine.items()}

        def check(vote: votes.Vote, where: str) -> votes.Vote:
            if not by_id and vote.key not in offered:
                last = len(offered) - 1
                raise ValueError(f"{where}.key: {vote.key!r} is not an option (0–{last})")
            if not 1 <= (vote.value or 0) <= per_option:
                raise ValueError(f"{where}.value: {vote.value} is outside 1–{per_option}")
            if spent[vote.participant_id] > most:
                raise ValueError(f"{where}: this participant spends more than {most} dots")
            return vote

        return check

    def complete(self, config: dict[str, Any], where: str) -> dict[str, Any]:
        if ("options" in config) == ("options_from" in config):
            raise Invalid(
                f"{where}.options", 'give either options or options_from = "clusters" or "topics"'
            )
        explained = len(config.get("explanations", config.get("options", [])))
        if explained != len(config.get("options", [])):
            raise Invalid(f"{where}.explanations", "expected one explanation per option")
        return config

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        # A real ordered list: its numbers count on (1, 2, 3 in any renderer), so a rank
        # shared with the one above is said in words.
        for place, entry in enumerate(snap.results.ranking(lang), start=1):
            shared = f" ({t('rank_shared', rank=entry.rank)})" if entry.rank != place else ""
            dots = t("dots_count", n=entry.dots)
            yield f"{place}. {md_escape(entry.option.label)} — {dots}{shared}"

    def csv_vote(self, snap: Snapshot, vote: votes.Vote, lang: str) -> dict[str, object]:
        options = {o.id: o.label for o in snap.results.options(lang)}
        return {"text": options.get(vote.key, vote.key)}


KIND = Dots()
