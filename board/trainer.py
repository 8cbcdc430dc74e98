"""The trainer's actions on the active step: one POST route, a table of actions.

``POST /w/{code}/t/{action}`` with form fields; answers 204 (the change
reaches every console and board over the socket) or a refusal for #flash.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from board import cards, steps
from board.cards import Change, Wall
from board.edge import form_of, is_trainer, refusal, service_of, workshop_of
from board.errors import Refused
from board.workshops import new_id

Action = Callable[[Wall, FormData, int], list[Change]]


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise Refused("bad_request", 400)
    return value


def _index(form: FormData) -> int:
    try:
        return int(_text(form, "index") or "1000000")
    except ValueError:
        raise Refused("bad_request", 400) from None


def _on_step(change: Callable[[steps.Step], steps.Step]) -> Action:
    def action(wall: Wall, form: FormData, max_length: int) -> list[Change]:
        changed = change(wall.step)
        return [] if changed == wall.step else [changed]

    return action


ACTIONS: dict[str, Action] = {
    "question": lambda wall, form, _: _on_step(
        lambda step: steps.set_question(step, _text(form, "question"))
    )(wall, form, 0),
    "open": _on_step(steps.open_step),
    "close": _on_step(steps.close_step),
    "hide": _on_step(lambda step: steps.set_hidden(step, True)),
    "unhide": _on_step(lambda step: steps.set_hidden(step, False)),
    "reveal": _on_step(steps.reveal),
    "card-text": lambda wall, form, limit: cards.fix_wording(
        wall, _text(form, "card_id"), _text(form, "text"), limit
    ),
    "card-stack": lambda wall, form, _: cards.stack(
        wall, _text(form, "card_id"), _text(form, "onto_id")
    ),
    "card-unstack": lambda wall, form, _: cards.unstack(wall, _text(form, "card_id")),
    "card-move": lambda wall, form, _: cards.move_card(
        wall, _text(form, "card_id"), _text(form, "cluster_id") or None, _index(form)
    ),
    "cluster-new": lambda wall, form, _: cards.create_cluster(
        wall, new_id(), _text(form, "heading"), time.time()
    ),
    "cluster-rename": lambda wall, form, _: cards.rename_cluster(
        wall, _text(form, "cluster_id"), _text(form, "heading")
    ),
    "cluster-move": lambda wall, form, _: cards.move_cluster(
        wall, _text(form, "cluster_id"), _index(form)
    ),
    "cluster-merge": lambda wall, form, _: cards.merge_clusters(
        wall, _text(form, "cluster_id"), _text(form, "into_id")
    ),
    "cluster-dissolve": lambda wall, form, _: cards.dissolve_cluster(
        wall, _text(form, "cluster_id")
    ),
}


async def action(request: Request) -> Response:
    service = service_of(request)
    try:
        workshop = await workshop_of(request)
        if not is_trainer(request, workshop):
            raise Refused("trainer_only", 403)
        run = ACTIONS.get(request.path_params["action"])
        if run is None:
            raise Refused("not_found", 404)
        form = await form_of(request)
        limit = service.settings.card_max_length
        await service.on_wall(workshop, lambda wall: run(wall, form, limit))
    except Refused as error:
        return refusal(request, error)
    return Response(status_code=204)
