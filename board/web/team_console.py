"""A team's group console: one member runs the team's wall from a phone or tablet.

``GET /w/{code}/g/{team_id}`` is the page, ``POST /w/{code}/g/{team_id}/{action}`` its
actions: the console's card and cluster actions (board.teams.TEAM_CARD_ACTIONS) and
the team's reveal, each decided on that team's part of the step alone (see
service.on_team_wall), so nothing of another team can be reached. Who may: the
member holding the team's group console (checked again inside the write, against the
teams as they are then), and the trainer, who steps into any team's wall from here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from board import teams
from board.errors import Refused
from board.live.render import cut_context
from board.service import on_team_wall
from board.snapshot import Snapshot
from board.store.repository import Change
from board.web import trainer
from board.web.requests import (
    form_of,
    is_trainer,
    lang_of,
    page,
    participant_of,
    refusal,
    service_of,
    workshop_of,
)
from board.workshops import Workshop

REVEAL = "reveal"


async def _holder(request: Request, workshop: Workshop) -> str | None:
    """The participant asking as their team's group console (None: the trainer)."""
    if is_trainer(request, workshop):
        return None
    participant = await participant_of(request, workshop, known=True)
    if participant is None:
        raise Refused("not_joined", 403)
    return participant.id


def _team(snap: Snapshot, team_id: str) -> teams.Team:
    found = next((team for team in snap.teams if team.id == team_id), None)
    if found is None:
        raise Refused("team_not_found", 404)
    return found


async def console_page(request: Request) -> Response:
    workshop = await workshop_of(request)
    team_id = request.path_params["team_id"]
    try:
        holder = await _holder(request, workshop)
    except Refused:
        return RedirectResponse(f"/join/{workshop.code}", 303)
    snap = await service_of(request).snapshot(workshop.id)
    found = next((team for team in snap.teams if team.id == team_id), None)
    if found is None or (holder is not None and not teams.may_edit(holder, team_id, snap.teams)):
        return page(request, "forbidden.html", 403)
    return page(
        request,
        "team/page.html",
        **cut_context(snap.for_team_console(team_id)),
        role="team",
        team=found,
        trainer_view=holder is None,
        running=snap.in_teams,
        present=service_of(request).live.present(workshop.id),
    )


async def action(request: Request) -> Response:
    service = service_of(request)
    team_id, name = request.path_params["team_id"], request.path_params["action"]
    try:
        workshop = await workshop_of(request)
        holder = await _holder(request, workshop)
        if holder is not None and not await service.request_limit.admit(holder):
            raise Refused("rate_limited", 429)
        if name != REVEAL and name not in teams.TEAM_CARD_ACTIONS:
            raise Refused("not_found", 404)
        ctx = trainer.TrainerInput(
            await form_of(request),
            service.settings.card_max_length,
            service.library,
            time.time(),
            lang_of(request),
        )

        def command(snap: Snapshot) -> Sequence[Change]:
            if holder is not None:  # the holder as the teams are now, in this write
                teams.require_console(holder, team_id, snap.teams)
            if name == REVEAL:
                if not snap.in_teams:
                    raise Refused("team_step_not_running", 409)
                return trainer.reveal_team(snap, _team(snap, team_id))
            return on_team_wall(team_id, trainer.command_for_team(name, ctx))(snap)

        # Not as the holder's phone: the answer is no phone view, so their phone (another
        # tab, or later) hears of it as every other member's does.
        await service.execute(workshop, command)
    except Refused as error:
        return refusal(request, error)
    return Response(status_code=204)
