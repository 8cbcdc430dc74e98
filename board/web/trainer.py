"""The trainer's actions: one POST route, a table of actions (and the active step's
kind's own, from board.kinds).

``POST /w/{code}/t/{action}`` with form fields; answers 204 (the change
reaches every console, board and phone over the sockets) or a refusal for
#flash. Each action takes the workshop's snapshot, read inside the write
transaction, and returns the changes to store.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import cast

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from board import agenda, cards, groups, kinds, reveal, steps, teams, topics, undo
from board.errors import Refused
from board.exercises import Library
from board.forms import Form
from board.i18n import translate
from board.kinds.cards import SHUFFLE
from board.snapshot import Snapshot
from board.steps import MAX_QUESTION_LENGTH
from board.store.repository import Change
from board.suggestions import Suggester
from board.web.requests import (
    form_of,
    grant_trainer,
    is_trainer,
    lang_of,
    page,
    refusal,
    service_of,
    workshop_of,
)
from board.workshops import Workshop, new_id, renew_trainer_link, show_join


@dataclass(frozen=True)
class TrainerInput(Form):
    """A trainer action's form, and what the actions need beside it."""

    card_max_length: int
    library: Library
    now: float
    lang: str = "de"  # the trainer's language: names a merge writes into headings

    def index(self) -> int:
        return self.integer("index", "1000000")

    def optional(self, name: str) -> int | None:
        """A whole number the trainer may leave empty (None)."""
        return self.integer(name) if self.text(name).strip() else None


Action = Callable[[Snapshot, TrainerInput], Sequence[Change]]


def step_action(change: Callable[[steps.Step, TrainerInput], steps.Step]) -> Action:
    def action(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
        changed = change(snap.step, ctx)
        return [] if changed == snap.step else [changed]

    return action


def _agenda_add(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    exercise = ctx.library.get(ctx.text("exercise"))
    if exercise is None:
        raise Refused("exercise_unknown", 422, name=ctx.text("exercise"))
    return agenda.add_exercise(snap.workshop, snap.steps, exercise, new_id)


def _timer_start(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    return agenda.start_timer(snap.workshop, ctx.number("minutes") * 60, ctx.now)


def _cluster_new(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    # With a card: the console's "N", a new cluster that starts with that card.
    if card_id := ctx.text("card_id"):
        return cards.start_cluster(snap.wall, new_id(), ctx.text("heading"), card_id, ctx.now)
    return cards.create_cluster(snap.wall, new_id(), ctx.text("heading"), ctx.now)


def _chosen(snap: Snapshot, ctx: TrainerInput, unsorted: bool, least: int) -> list[cards.Card]:
    """The cards the trainer left ticked in a suggestion (board.suggestions), in the order
    shown. A card deleted, stacked (or, for a cluster, sorted) since it was suggested
    refuses the whole suggestion: the trainer decides on what she sees, and the console
    shows the suggestion anew."""
    ids = _sent(ctx, "card_id")
    if len(set(ids)) < least:
        raise Refused("similar_too_few", 422, n=least)
    by_id = {card.id: card for card in snap.wall.cards}
    chosen = [by_id.get(card_id) for card_id in dict.fromkeys(ids)]
    fresh = [
        card
        for card in chosen
        if card is not None and card.stacked_on is None and not (unsorted and card.cluster_id)
    ]
    if len(fresh) != len(chosen):
        raise Refused("similar_stale", 409)
    return fresh


def _similar_stack(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    """A stack suggestion accepted: the ticked cards go under the first, in one action
    (one undo takes it back)."""
    first, *rest = _chosen(snap, ctx, unsorted=False, least=2)
    # Each card is on top of its own stack: what one stacking moves, no other does.
    return [change for card in rest for change in cards.stack(snap.wall, card.id, first.id)]


def _keep_apart(suggester: Suggester, ctx: TrainerInput, changes: Sequence[Change]) -> None:
    """A stack accepted with cards unticked: those are not suggested with it again."""
    stacked = [change for change in changes if isinstance(change, cards.Card)]
    if stacked:
        ticked = set(_sent(ctx, "card_id"))
        left_out = [card_id for card_id in _sent(ctx, "offered") if card_id not in ticked]
        suggester.keep_apart(stacked[0].step_id, ticked, left_out)


def _sent(ctx: TrainerInput, name: str) -> list[str]:
    """Every value of a field sent more than once (the ticked boxes)."""
    data = ctx.data
    sent = data.getlist(name) if isinstance(data, FormData) else data.get(name, [])
    return [sent] if isinstance(sent, str) else [v for v in sent if isinstance(v, str)]


def _similar_cluster(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    """A cluster proposal accepted: a new cluster with the (edited) heading and the
    ticked cards in it, in the order shown."""
    chosen = _chosen(snap, ctx, unsorted=True, least=1)
    [cluster] = cards.create_cluster(snap.wall, new_id(), ctx.text("heading"), ctx.now)
    assert isinstance(cluster, cards.Cluster)
    moved = [replace(card, cluster_id=cluster.id, position=i) for i, card in enumerate(chosen)]
    return [cluster, *moved]


ACTIONS: dict[str, Action] = {
    # the step on screen
    "question": step_action(lambda step, ctx: steps.set_question(step, ctx.text("question"))),
    "open": step_action(lambda step, ctx: steps.open_step(step)),
    "close": step_action(lambda step, ctx: steps.close_step(step)),
    "hide": step_action(lambda step, ctx: steps.set_hidden(step, True)),
    "unhide": step_action(lambda step, ctx: steps.set_hidden(step, False)),
    "reveal": lambda snap, ctx: snap.kind.reveal(snap),
    # the agenda and the timer
    "step-go": lambda snap, ctx: agenda.activate(snap.workshop, snap.steps, ctx.text("step_id")),
    "step-next": lambda snap, ctx: agenda.next_step(snap.workshop, snap.steps, 1),
    "step-prev": lambda snap, ctx: agenda.next_step(snap.workshop, snap.steps, -1),
    "step-move": lambda snap, ctx: agenda.move_step(snap.steps, ctx.text("step_id"), ctx.index()),
    "step-remove": lambda snap, ctx: agenda.remove_step(
        snap.workshop, snap.steps, ctx.text("step_id")
    ),
    "agenda-add": _agenda_add,
    "timer-start": _timer_start,
    "timer-stop": lambda snap, ctx: agenda.stop_timer(snap.workshop),
    "timer-gong": lambda snap, ctx: agenda.set_gong(snap.workshop, ctx.text("gong") == "on"),
    # how the board shows the way in: slide, header box or corner strip
    "join-display": lambda snap, ctx: show_join(snap.workshop, ctx.text("display")),
    # cards and clusters
    "card-text": lambda snap, ctx: cards.fix_wording(
        snap.wall, ctx.text("card_id"), ctx.text("text"), ctx.card_max_length
    ),
    "card-stack": lambda snap, ctx: cards.stack(
        snap.wall, ctx.text("card_id"), ctx.text("onto_id")
    ),
    "card-unstack": lambda snap, ctx: cards.unstack(snap.wall, ctx.text("card_id")),
    "card-delete": lambda snap, ctx: cards.delete_card(snap.wall, ctx.text("card_id")),
    "card-move": lambda snap, ctx: cards.move_card(
        snap.wall, ctx.text("card_id"), ctx.text("cluster_id") or None, ctx.index()
    ),
    "cluster-new": _cluster_new,
    "cluster-rename": lambda snap, ctx: cards.rename_cluster(
        snap.wall, ctx.text("cluster_id"), ctx.text("heading")
    ),
    "cluster-move": lambda snap, ctx: cards.move_cluster(
        snap.wall, ctx.text("cluster_id"), ctx.index()
    ),
    "cluster-merge": lambda snap, ctx: cards.merge_clusters(
        snap.wall, ctx.text("cluster_id"), ctx.text("into_id")
    ),
    "cluster-dissolve": lambda snap, ctx: cards.dissolve_cluster(snap.wall, ctx.text("cluster_id")),
    # Ähnliche Karten: a suggestion the console showed, accepted (board.suggestions)
    "similar-stack": _similar_stack,
    "similar-cluster": _similar_cluster,
    # participant groups: their names, and the step's results split by them or not
    "groups": lambda snap, ctx: groups.set_groups(snap.workshop, ctx.text("groups")),
    "group-split": step_action(
        lambda step, ctx: groups.show_split(step, ctx.text("split") == "on")
    ),
    # a lost device: a new trainer link, and every earlier one stops working
    "trainer-link": lambda snap, ctx: [renew_trainer_link(snap.workshop)],
}
# The Themenspeicher, on every step (board.topics).
ACTIONS |= {
    "topic-add": lambda snap, ctx: topics.add(
        snap.topics, snap.workshop.id, ctx.text("title"), new_id(), ctx.now
    ),
    "topic-rename": lambda snap, ctx: topics.rename(
        snap.topics, ctx.text("topic_id"), ctx.text("title")
    ),
    "topic-remove": lambda snap, ctx: topics.remove(snap.topics, ctx.text("topic_id")),
    "topic-move": lambda snap, ctx: topics.move(snap.topics, ctx.text("topic_id"), ctx.index()),
    "topic-accept": lambda snap, ctx: topics.accept(snap.topics, ctx.text("topic_id")),
    "topic-reject": lambda snap, ctx: topics.reject(snap.topics, ctx.text("topic_id")),
    "topic-park-card": lambda snap, ctx: topics.park_card(
        snap.topics, snap.wall, ctx.text("card_id"), new_id(), ctx.now
    ),
    "topic-park-cluster": lambda snap, ctx: topics.park_cluster(
        snap.topics, snap.wall, ctx.text("cluster_id"), new_id(), ctx.now
    ),
    "topic-proposals": lambda snap, ctx: topics.set_proposals(
        snap.workshop, ctx.text("allowed") == "on"
    ),
    "topics-show": lambda snap, ctx: topics.show_on_board(snap.workshop, ctx.text("shown") == "on"),
}


def _teams_form(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    """Form teams anew of everyone who joined (the teams there were go): so many teams or
    teams of so many, at random, by participant group, or chosen by the participants."""
    _no_team_walls(snap)
    number, by = ctx.optional("number"), ctx.text("by")
    how = cast(teams.How, ctx.text("how"))  # teams.form refuses any other
    formation = teams.form(
        [person.id for person in snap.roster],
        workshop_id=snap.workshop.id,
        how=how,
        rng=random.Random(),
        new_id=new_id,
        count=number if by != "size" else None,
        size=number if by == "size" else None,
        cap=ctx.optional("cap") if how == "choice" else None,
        groups_of={person.id: person.group_id for person in snap.roster},
        names=[line for line in ctx.text("names").splitlines() if line.strip()],
    )
    return [*teams.dissolve(snap.teams), *formation.teams, *formation.members]


def _no_team_walls(snap: Snapshot) -> None:
    """Teams formed anew or dissolved while a step runs in them would leave its cards on
    the walls of teams no more: first the merge."""
    if any(teams.in_teams(step) for step in snap.steps):
        raise Refused("teams_running", 409)


def _teams_dissolve(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    _no_team_walls(snap)
    return teams.dissolve(snap.teams)


def _team(snap: Snapshot, ctx: TrainerInput) -> teams.Team:
    found = next((team for team in snap.teams if team.id == ctx.text("team_id")), None)
    if found is None:
        raise Refused("team_not_found", 404)
    return found


def _team_move(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    person = ctx.text("participant_id")
    if person not in {p.id for p in snap.roster}:
        raise Refused("participant_unknown", 404)
    return teams.move(person, ctx.text("team_id"), snap.teams, snap.members)


# Small-group work (board.teams), on every step: forming, moving, naming, the group
# console's holder, the end of it.
ACTIONS |= {
    "teams-form": _teams_form,
    "team-move": _team_move,
    "team-rename": lambda snap, ctx: teams.rename(_team(snap, ctx), ctx.text("name"), snap.teams),
    "team-console": lambda snap, ctx: teams.appoint(
        ctx.text("participant_id") or None, _team(snap, ctx).id, snap.teams, snap.members
    ),
    "teams-dissolve": _teams_dissolve,
}


def _team_reveal(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    return reveal_team(snap, _team(snap, ctx))


def reveal_team(snap: Snapshot, team: teams.Team) -> list[Change]:
    """A team's hidden cards are revealed, dealt anew as "Alle aufdecken" deals a wall
    (board.reveal), within the team's wall."""
    step = teams.reveal_team(snap.step, team)
    dealt = reveal.reveal_all(snap.of_team(team.id).wall, SHUFFLE)
    return [*(change for change in dealt if not isinstance(change, steps.Step)), step]


def _team_show(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    team = _team(snap, ctx) if ctx.text("team_id") else None
    return [teams.show_team(snap.step, team)]


def _teams_merge(snap: Snapshot, ctx: TrainerInput) -> Sequence[Change]:
    if not snap.kind.takes_cards:  # a vote: the teams' votes together are the room's
        return [teams.end_team_votes(snap.step)]
    return teams.merge_step(
        snap.wall,
        snap.teams,
        mode=cast(teams.MergeMode, ctx.text("mode")),  # merge_step refuses any other
        t=partial(translate, ctx.lang),
        new_id=new_id,
        now=ctx.now,
    )


# A cards step run in small groups (board.teams): start it, a team's own question and
# reveal, which wall the projector shows, the merge into the plenary.
ACTIONS |= {
    "teams-run": lambda snap, ctx: [
        teams.run_in_teams(
            snap.step,
            snap.teams,
            snap.kind.teamable,
            empty=not (snap.wall.cards or snap.wall.clusters or snap.votes),
        )
    ],
    "team-question": lambda snap, ctx: [
        teams.set_team_question(
            snap.step, _team(snap, ctx), ctx.text("question"), MAX_QUESTION_LENGTH
        )
    ],
    "team-reveal": _team_reveal,
    "team-show": _team_show,
    "teams-merge": _teams_merge,
}
# While a step runs in teams, its cards are on the teams' walls: the console works on a
# team's wall from that team's group console page (board.web.team_console).
ON_THE_WALL = teams.TEAM_CARD_ACTIONS | {
    "similar-stack",
    "similar-cluster",
    "card-text",
    "card-delete",
    "reveal-next",
    "topic-park-card",
    "topic-park-cluster",
}
# The actions that decide on everyone who joined (snapshot.read's roster).
ON_THE_ROSTER = frozenset({"teams-form", "team-move"})


# Not a command on the snapshot: it takes back the step's latest undoable action.
UNDO = "undo"
# Nor this: it puts a participant in a group (a person, not a thing on the step).
GROUP_OF = "participant-group"


def action_names() -> set[str]:
    """Every trainer action: the table's, undo, the group of a participant, and
    every kind's own."""
    return set(ACTIONS) | {UNDO, GROUP_OF} | kinds.trainer_action_names()


def _with(run: Action, ctx: TrainerInput) -> kinds.Decide:
    return lambda snap: run(snap, ctx)


def command_for_team(name: str, ctx: TrainerInput) -> kinds.Decide:
    """A card or cluster action of a group console, on the wall it is given (a team's)."""
    return _with(ACTIONS[name], ctx)


def command_for(name: str, ctx: TrainerInput) -> kinds.Decide:
    """The trainer action ``name`` as a command; the step's own actions (a dot budget,
    a SpeedMeet's start) come from its kind."""
    run = ACTIONS.get(name)
    decide = kinds.trainer_command(name, ctx) if run is None else _with(run, ctx)
    if name not in ON_THE_WALL:
        return decide

    def on_the_plenary_wall(snap: Snapshot) -> Sequence[Change]:
        if snap.in_teams:
            raise Refused("team_wall_only", 409)
        return decide(snap)

    return on_the_plenary_wall


async def action(request: Request) -> Response:
    service = service_of(request)
    try:
        workshop = await workshop_of(request)
        if not is_trainer(request, workshop):
            raise Refused("trainer_only", 403)
        name = request.path_params["action"]
        if name not in action_names():
            raise Refused("not_found", 404)
        if name == UNDO:
            return _undone(request, (await service.undo(workshop)).kept)
        ctx = TrainerInput(
            await form_of(request),
            service.settings.card_max_length,
            service.library,
            time.time(),
            lang_of(request),
        )
        if name == GROUP_OF:
            await service.choose_group(workshop, ctx.text("participant_id"), ctx.text("group_id"))
            return Response(status_code=204)
        outcome = await service.execute(
            workshop,
            command_for(name, ctx),
            undo_as=name if name in undo.LABELS else None,
            roster=name in ON_THE_ROSTER,
        )
    except Refused as error:
        return refusal(request, error)
    if name == "similar-stack":
        _keep_apart(service.suggestions, ctx, outcome.changes)
    for change in outcome.changes:
        if isinstance(change, Workshop) and change.trainer_secret != workshop.trainer_secret:
            return _new_trainer_link(request, change)
    return Response(status_code=204)


def _undone(request: Request, kept: int) -> Response:
    """Undone (every screen hears it over the sockets); when a participant had changed
    or deleted some of the cards since, the trainer reads that their newer state stayed."""
    if not kept:
        return Response(status_code=204)
    message = translate(lang_of(request), "undo_kept_newer", n=kept)
    html = (
        service_of(request)
        .templates.get_template("_flash.html")
        .render(message=message, kind="ok", oob=False)
    )
    return HTMLResponse(html, headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})


def _new_trainer_link(request: Request, workshop: Workshop) -> Response:
    """This device keeps the console: the new link's cookie, and a reload shows the link."""
    response = Response(status_code=204, headers={"HX-Refresh": "true"})
    grant_trainer(request, response, workshop)
    return response


async def suggestions(request: Request) -> Response:
    """``GET /w/{code}/t/suggestions``: the console's panel of Ähnliche Karten, for the
    active step's wall (``?clusters=on``: with cluster proposals). The trainer's alone:
    the board and the phones never ask, and no frame carries it."""
    service = service_of(request)
    try:
        workshop = await workshop_of(request)
        if not is_trainer(request, workshop):
            raise Refused("trainer_only", 403)
        snap = await service.snapshot(workshop.id)
    except Refused as error:
        return refusal(request, error)
    asked = request.query_params.get("clusters") == "on"
    found = None
    # While the teams work, the walls are theirs (the group consoles have no panel).
    if snap.kind.takes_cards and snap.wall.cards and not snap.in_teams:
        found = await service.suggestions.for_wall(snap.wall, clusters=asked)
    # initial=False: the page's empty panel asks on load; an answer must not ask again.
    return page(
        request,
        "console/_suggestions.html",
        workshop=workshop,
        found=found,
        asked=asked,
        initial=False,
    )
