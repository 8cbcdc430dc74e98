"""Kartenabfrage: participants write cards, the trainer clusters them on the board."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from board import cards, reveal, teams
from board.exercise_fields import CARD_COLOUR, boolean, list_of
from board.i18n import translator
from board.kinds import Kind, Translate
from board.markup import md_escape
from board.workshops import new_id

if TYPE_CHECKING:
    from board.cards import Card, Wall
    from board.snapshot import Snapshot
    from board.store.repository import Change
    from board.web.trainer import TrainerInput


DENSITY = ((80, "wall--xdense"), (40, "wall--dense"), (16, "wall--medium"))
# Deals the cards at a reveal (tests put a seeded one in its place).
SHUFFLE: random.Random = random.SystemRandom()


def write(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """Zurufabfrage: the trainer writes a card the room calls out."""
    return [
        *cards.write_card(
            snap.wall,
            card_id=new_id(),
            text=ctx.text("text"),
            colour=ctx.text("colour"),
            cluster_id=ctx.text("cluster_id") or None,
            now=ctx.now,
            max_length=ctx.card_max_length,
        )
    ]


def edit_lock(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """The trainer turns the lock of participants' cards on this step on (``lock=on``,
    a checkbox) or off."""
    step = cards.set_edit_lock(snap.step, ctx.text("lock") == "on")
    return [] if step == snap.step else [step]


def reveal_next(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """ "Nächste Karte": the board shows the next hidden card large (board.reveal)."""
    return [*reveal.reveal_next(snap.wall, SHUFFLE)]


def set_colours(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    """The colours the step offers and what each means: ``colour_<name>=on`` for each
    offered colour, ``meaning_<name>`` its meaning (may be empty)."""
    chosen = [
        (colour, ctx.text(f"meaning_{colour}"))
        for colour in cards.COLOURS
        if ctx.text(f"colour_{colour}") == "on"
    ]
    step = cards.set_colours(snap.step, chosen)
    return [] if step == snap.step else [step]


def density(total: int) -> str:
    """The board wall's class for this many cards ("" : the roomiest)."""
    return next((name for limit, name in DENSITY if total > limit), "")


@dataclass(frozen=True)
class TeamWall:
    """One small group's wall as the protocol shows it: under the team's name, with its
    own question ("" where it asked the step's), its clusters and its unsorted cards
    (each card followed by those stacked on it)."""

    name: str
    question: str
    clusters: list[tuple[str, list[str]]]
    unsorted: list[str]


def team_walls(snap: Snapshot, t: Translate) -> list[TeamWall]:
    """A step run in teams, each team's wall: while the teams work, from the cards
    themselves (every team's, hidden ones too: the protocol is the trainer's); after the
    merge, as the step kept them (board.teams.TEAM_WALLS). Empty on any other step."""
    step = snap.step
    kept = teams.record(snap.wall, snap.teams, t) if teams.in_teams(step) else None
    walls: list[dict[str, Any]] = kept or list(step.config.get(teams.TEAM_WALLS, ()))
    return [
        TeamWall(
            str(wall["name"]),
            "" if wall["question"] == step.question else str(wall["question"]),
            [(c["heading"], list(c["cards"])) for c in wall["clusters"]],
            list(wall["unsorted"]),
        )
        for wall in walls
    ]


def plenary(snap: Snapshot) -> Snapshot:
    """The step's own wall, the plenary's (while the teams work: what is not a team's)."""
    return snap.of_team(None) if teams.in_teams(snap.step) else snap


class Cards(Kind):
    name = "cards"
    minutes = 20
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {
            "de": "Was fällt Ihnen dazu ein? Eine Idee pro Karte.",
            "en": "What comes to mind? One idea per card.",
        }
    }
    sections = frozenset({"clusters", "cards"})
    hideable = True
    takes_cards = True
    teamable = True
    settings = {
        "hidden": boolean,
        "colours": list_of(CARD_COLOUR, 1, 6),
        cards.LOCK_EDITS: boolean,
    }
    defaults: ClassVar[dict[str, Any]] = {"hidden": False}
    closed_note = "step_closed_note"
    hidden_note = "hidden_note"
    hide_label = "hide_until_reveal"
    reveal_label = "reveal_all"
    results_link = "show_wall"
    trainer_actions = {
        "card-write": write,
        "edit-lock": edit_lock,
        "reveal-next": reveal_next,
        "card-colours": set_colours,
    }

    def reveal(self, snap: Snapshot) -> Sequence[Change]:
        """ "Alle aufdecken": every card at once, shuffled (board.reveal)."""
        return reveal.reveal_all(snap.wall, SHUFFLE)

    def hidden_counts(self, snap: Snapshot) -> tuple[int, ...]:
        return (len(snap.wall.cards),)

    def wall_class(self, snap: Snapshot) -> str:
        """Denser cards as the wall fills (a hidden wall shows only a counter)."""
        found = density(len(snap.wall.cards))
        return f" {found}" if found else " "

    def team_walls(self, snap: Snapshot, t: Translate) -> list[TeamWall]:
        """For the protocol's template: see :func:`team_walls`."""
        return team_walls(snap, t)

    def plenary(self, snap: Snapshot) -> Snapshot:
        """For the protocol's template: see :func:`plenary`."""
        return plenary(snap)

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        named = cards.colour_names(snap.step, lang, t)
        if cards.has_legend(snap.step):
            legend = " · ".join(named[m.colour] for m in cards.meanings(snap.step))
            yield f"{t('colour_legend')}: {md_escape(legend)}"
            yield ""
        walls = team_walls(snap, t)
        if not walls:
            yield from _md_wall(snap.wall, named, t, "###")
            return
        for team in walls:  # each group's wall, then the plenary's: one level down
            yield from _md_team_wall(team, t)
        yield f"### {t('protocol_plenary')}"
        yield ""
        wall = plenary(snap).wall
        if wall.cards or wall.clusters:
            yield from _md_wall(wall, named, t, "####")
        else:
            yield f"*{t('protocol_plenary_pending')}*"

    def csv_rows(self, snap: Snapshot, lang: str) -> Iterator[dict[str, object]]:
        """On a step run in teams, a row per card of each group's wall: the group (in
        Who), its question, the cluster it is in (none: unsorted) and the card's text."""
        t = translator(lang)
        for team in team_walls(snap, t):
            asked = {"prompt": team.question} if team.question else {}
            for heading, texts in [*team.clusters, (None, team.unsorted)]:
                for text in texts:
                    yield asked | {
                        "record": t("csv_team_card"),
                        "cluster": heading,
                        "text": text,
                        "who": team.name,
                    }


def _md_wall(wall: Wall, named: dict[str, str], t: Translate, level: str) -> Iterator[str]:
    for cluster in wall.ordered_clusters():
        yield f"{level} {md_escape(cluster.heading)}"
        yield ""
        yield from _md_cards(wall, wall.in_cluster(cluster.id), named, t)
        yield ""
    unsorted = wall.in_cluster(None)
    if unsorted:
        yield f"{level} {t('unsorted')}"
        yield ""
        yield from _md_cards(wall, unsorted, named, t)


def _md_team_wall(team: TeamWall, t: Translate) -> Iterator[str]:
    yield f"### {md_escape(t('protocol_team_wall', name=team.name))}"
    yield ""
    if team.question:
        yield f"{t('protocol_team_question')}: *{md_escape(team.question)}*"
        yield ""
    unsorted = [(t("unsorted"), team.unsorted)] if team.unsorted else []
    for heading, texts in [*team.clusters, *unsorted]:
        yield f"#### {md_escape(heading)}"
        yield ""
        yield from (f"- {md_escape(text)}" for text in texts)
        yield ""
    if not team.clusters and not team.unsorted:
        yield f"*{t('no_cards_yet')}*"
        yield ""


def _md_cards(
    wall: Wall, cards: Iterable[Card], named: dict[str, str], t: Translate
) -> Iterator[str]:
    for card in cards:
        stacked = len(wall.stacked_under(card.id))
        extra = f" (×{stacked + 1})" if stacked else ""
        edited = f" · *{t('edited')}*" if card.edited else ""  # as the HTML and PDF mark it
        yield f"- {md_escape(card.text)}{extra} — {md_escape(named[card.colour])}{edited}"


KIND = Cards()
