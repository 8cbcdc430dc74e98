"""Exercise kinds: one module per kind, one registry.

A kind says in one place what a step of it is: the settings an exercise file may
give it, how a participant's input is read into a command (before the write
transaction, so a malformed number never holds up the writer), which domain
rules the command runs, which trainer actions it adds, its results (a histogram, a
ranking …), what of it a board or a phone may not see while it is hidden, its label,
and its rows in the protocol's Markdown and CSV. Its templates live together in
``templates/kinds/<name>/``: ``phone.html`` (a participant's own section),
``board.html``, ``console.html`` and ``protocol.html``, and optionally
``phone_step.html`` and ``controls.html``.

Routes, the live screens and the protocol ask the registry; they name no kind.
A kind from elsewhere (a plug-in, a test) joins with :func:`register`, giving the
folder of its templates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import jinja2

from board import steps
from board.errors import Refused
from board.exercise_fields import Validator
from board.forms import Form
from board.i18n import translate
from board.settings import TEMPLATES_DIR

if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.steps import Step
    from board.store.repository import Change
    from board.votes import Vote
    from board.web.trainer import TrainerInput

# A command: decides on the workshop as read inside the write transaction.
Decide = Callable[["Snapshot"], Sequence["Change"]]
# A participant's input: (their form, their id) → the command, or a refusal at once.
Input = Callable[["Form", str], Decide]
TrainerAction = Callable[["Snapshot", "TrainerInput"], Sequence["Change"]]
# Checks one imported vote (and where it is in the record); the vote as stored.
VoteChecker = Callable[["Vote", str], "Vote"]
T = TypeVar("T")
Translate = Callable[..., str]


class Kind:
    """What a kind of step is; a subclass per kind, one instance in the registry."""

    name: ClassVar[str]
    # Whether its results can wait for a reveal (what a board and phones see meanwhile
    # is :meth:`hidden_counts`).
    hideable: ClassVar[bool] = False
    # Whether participants write cards on it (the card routes).
    takes_cards: ClassVar[bool] = False
    # Whether the step may run in small groups (board.teams): each team its own wall or
    # its own result, question and reveal.
    teamable: ClassVar[bool] = False
    # The settings an exercise file may give a step of this kind: their checks, the
    # required ones, and the defaults of the others.
    settings: ClassVar[Mapping[str, Validator]] = {}
    required: ClassVar[frozenset[str]] = frozenset()
    defaults: ClassVar[Mapping[str, Any]] = {}
    # What participants send (the route's last part → how to read it), and which of
    # those spend the card budget (they are texts for the board, like cards).
    inputs: ClassVar[Mapping[str, Input]] = {}
    spends_card_budget: ClassVar[frozenset[str]] = frozenset()
    trainer_actions: ClassVar[Mapping[str, TrainerAction]] = {}
    # What a step of it holds in a protocol (clusters: the console makes them anywhere).
    sections: ClassVar[frozenset[str]] = frozenset({"clusters", "votes"})
    # The fields its votes carry in a protocol (the others stay empty), and how many of
    # the first of them are required.
    vote_fields: ClassVar[tuple[str, ...]] = ()
    required_vote_fields: ClassVar[int] = 1
    # Whether every phone's own section differs (no shared render of the empty one).
    personal: ClassVar[bool] = False
    # Whether a phone's own section offers the person's join nickname (a SpeedMeet's name).
    uses_nicknames: ClassVar[bool] = False
    # Texts (i18n keys) the shared screens use for this kind.
    closed_note: ClassVar[str] = "voting_closed_note"
    hidden_note: ClassVar[str] = "results_hidden_note"
    hide_label: ClassVar[str] = "hide_results"
    reveal_label: ClassVar[str] = "reveal"
    results_link: ClassVar[str | None] = None  # a link from the phone to the results
    # Its label per language, for a kind not in the catalogs (see label()).
    labels: ClassVar[Mapping[str, str]] = {}
    # The folder of its templates; None: the shipped templates/kinds/<name>/.
    templates: ClassVar[Path | None] = None
    # Minutes a step of it takes in a workshop, a trainer's rule of thumb: the start page
    # adds them up to the agenda's planned duration.
    minutes: ClassVar[int] = 10
    # A step of it chosen on its own on the start page: its prompt (both languages) and
    # settings, as an exercise file would give them; None when it needs an exercise's
    # content (a grid's situations and axes).
    alone: ClassVar[Mapping[str, Any] | None] = None

    # Whether its results can be shown split by participant group (board.groups): the
    # console offers the switch, :meth:`results_over` computes one group's result.
    splits: ClassVar[bool] = False

    def results_over(self, snap: Snapshot, votes: Sequence[Vote]) -> Any:
        """Its results over some of the step's votes (one group's)."""
        return self.results(replace(snap, votes=tuple(votes)))

    def split_scopes(self, cast: Sequence[Vote]) -> Iterable[Sequence[Vote]]:
        """The parts of a step in which the anonymity minimum is counted, one by one
        (a grid's situations); by default the whole step."""
        return [cast]

    def complete(self, config: dict[str, Any], where: str) -> dict[str, Any]:
        """What the kind needs beyond single settings (raise exercise_fields.Invalid)."""
        return config

    def next_change_at(self, snap: Snapshot) -> float | None:
        """When its screens change without anyone acting (the end of a round)."""
        return None

    def label(self, lang: str) -> str:
        """Its method's name, as trainers call it ("Kartenabfrage"): a built-in kind's from
        the catalogs, an outside kind's from its ``labels``."""
        return self.labels.get(lang) or translate(lang, f"kind_{self.name}")

    def results(self, snap: Snapshot) -> Any:
        """Its results on this snapshot, as its templates and rows show them (Snapshot.results)."""
        return None

    def alias_config(
        self, config: dict[str, Any], alias: Callable[[str], str | None]
    ) -> dict[str, Any]:
        """The step's settings with participants named by ``alias`` (they keep some)."""
        return config

    def hidden_counts(self, snap: Snapshot) -> tuple[int, ...]:
        """All a board shows of a hidden step: how many took part."""
        return (len({v.participant_id for v in snap.votes}),)

    def vote_checker(self, snap: Snapshot) -> VoteChecker:
        """For an imported protocol: a check of each vote of this step (``snap``, as
        restored, has them all), which stores it as the phone's command would have.
        Raises ValueError "where: problem"."""

        def refuse(vote: Vote, where: str) -> Vote:
            raise ValueError(f"{where}: a {self.name} step takes no votes")

        return refuse

    def keyless(self, vote: Vote, where: str) -> None:
        """For a vote_checker of a kind whose votes name no option: their key is empty."""
        if vote.key:
            raise ValueError(f"{where}.key: a {self.name} vote has an empty key")

    def reveal(self, snap: Snapshot) -> Sequence[Change]:
        """The trainer reveals the step's hidden results (a kind may deal them anew)."""
        step = steps.reveal(snap.step)
        return [] if step == snap.step else [step]

    def wall_class(self, snap: Snapshot) -> str:
        """Extra classes of the board's wall (a leading space each)."""
        return ""

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        """The step's lines in the Markdown protocol."""
        yield from ()

    def listed_votes(self, snap: Snapshot) -> Sequence[Vote]:
        """Its votes in the order a protocol lists them (a Blitzlicht's shuffled)."""
        return snap.votes

    def csv_vote(self, snap: Snapshot, vote: Vote, lang: str) -> dict[str, object]:
        """What a vote's CSV row says beyond its raw fields (its label, its place)."""
        return {}

    def csv_rows(self, snap: Snapshot, lang: str) -> Iterator[dict[str, object]]:
        """Rows of its results in the CSV protocol beyond one per card, vote and action."""
        yield from ()

    def template(self, part: str) -> str:
        return f"kinds/{self.name}/{part}.html"


def obey(
    where: str,
    rule: Callable[..., T],
    *args: Any,
    problem: str = "",
    error: type[ValueError] = ValueError,
) -> T:
    """Apply a domain rule to an imported value; a refusal names the field at fault
    (raised as ``error``: the protocol's import raises its own)."""
    try:
        return rule(*args)
    except Refused as refused:
        raise error(
            f"{where}: {problem or translate('en', refused.key, **refused.params)}"
        ) from None


REGISTRY: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind (a later one with the same name replaces the earlier)."""
    REGISTRY[kind.name] = kind
    if kind.hideable:
        steps.HIDEABLE.add(kind.name)
    else:
        steps.HIDEABLE.discard(kind.name)
    return kind


def unregister(name: str) -> None:
    REGISTRY.pop(name, None)
    steps.HIDEABLE.discard(name)


def of(name: str) -> Kind:
    found = REGISTRY.get(name)
    if found is None:
        raise Refused("wrong_kind", 409)
    return found


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def input_names() -> list[str]:
    """Every participant input some kind takes (each is a route)."""
    return sorted({name for kind in REGISTRY.values() for name in kind.inputs})


def spends_card_budget(name: str) -> bool:
    return any(name in kind.spends_card_budget for kind in REGISTRY.values())


def trainer_action_names() -> set[str]:
    return {name for kind in REGISTRY.values() for name in kind.trainer_actions}


def require_active(step: Step, step_id: str) -> None:
    """Input goes to the step on screen only: the phone may still show the last one."""
    if step.id != step_id:
        raise Refused("step_not_active", 409)


def participant_command(step: Step, name: str, form: Form, participant_id: str) -> Decide:
    """Read a participant's ``name`` input for the active ``step`` into a command.

    Read and checked here, before the write; the command checks again, in the write
    transaction, that the step is still the active one.
    """
    step_id = form.text("step_id")
    require_active(step, step_id)
    read = of(step.kind).inputs.get(name)
    if read is None:
        raise Refused("wrong_kind", 409)
    decide = read(form, participant_id)

    def command(snap: Snapshot) -> Sequence[Change]:
        require_active(snap.step, step_id)
        return decide(snap)

    return command


def trainer_command(name: str, ctx: TrainerInput) -> Decide:
    """The active step's kind's own trainer action ``name``."""

    def command(snap: Snapshot) -> Sequence[Change]:
        action = of(snap.step.kind).trainer_actions.get(name)
        if action is None:
            raise Refused("wrong_kind", 409)
        return action(snap, ctx)

    return command


class KindTemplates(jinja2.BaseLoader):
    """Finds ``kinds/<name>/<file>`` in the folder of the registered kind ``name``."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        top, name, file = (template.split("/", 2) + ["", ""])[:3]
        kind = REGISTRY.get(name)
        if top != "kinds" or kind is None or not file:
            raise jinja2.TemplateNotFound(template)
        folder = kind.templates or TEMPLATES_DIR / "kinds" / name
        return jinja2.FileSystemLoader(folder).get_source(environment, file)


# The built-in kinds, registered on import.
from board.kinds import (  # noqa: E402
    actions,
    cards,
    dots,
    flash,
    grid,
    mood,
    pairs,
    scale,
    target,
)

for _module in (cards, scale, grid, dots, mood, pairs, actions, target, flash):
    register(_module.KIND)
