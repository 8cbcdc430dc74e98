"""HTTP routes: pages, joining, participants' cards and the trainer's actions.

Routes only translate HTTP to service calls and outcomes to responses; the
rules live in the domain modules and every write goes through the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import segno
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from board import agenda, documents, kinds
from board.assets import PREFIX
from board.assets import shipped as shipped_assets
from board.errors import Refused
from board.exercises import Exercise, single_steps
from board.forms import Form
from board.i18n import LANGUAGES, translate
from board.live.render import cut_context
from board.ratelimit import Limit
from board.service import Service
from board.settings import Settings
from board.snapshot import Snapshot
from board.web import sockets, team_console, trainer
from board.web.guards import BodyTooLarge, GuardMiddleware
from board.web.requests import (
    PARTICIPANT_COOKIE,
    TRAINER_COOKIE,
    address_of,
    delete_cookie,
    field,
    form_of,
    grant_trainer,
    is_trainer,
    join_base,
    join_url,
    lang_of,
    page,
    participant_of,
    refusal,
    retry_after,
    service_of,
    set_cookie,
    unreachable_fix,
    workshop_of,
    wrong_code,
)
from board.workshops import Participant, Workshop, code_refusal, normalise_code

log = logging.getLogger(__name__)
# The JSON protocol of bench/export.py's large workshop (300 cards, 20 clusters,
# 10 steps, 100 participants) is 0.33 MiB; a full day at the limits (1,000 cards of
# 120 characters, 500 participants with 30-character nicknames, 20 clusters per card
# step, every vote) is 1.9 MiB. Four times that, with room to spare:
MAX_IMPORT_BYTES = 8 * 1024 * 1024
# Answers smaller than this go out as they are: gzip's header and the CPU are not worth it.
GZIP_MINIMUM = 500
# 6 (zlib's default) is within a few per cent of 9 in size at a third of the CPU;
# every page is compressed per request (static files are gzipped once, at startup).
GZIP_LEVEL = 6


# -- pages --------------------------------------------------------------------
async def start(request: Request) -> Response:
    notice = translate(lang_of(request), "deleted") if "deleted" in request.query_params else ""
    return _start_page(request, notice=notice)


def _start_page(
    request: Request,
    error: Refused | None = None,
    notice: str = "",
    chosen: Sequence[str] = (),
    focus: str = "",
    typed: Mapping[str, str] | None = None,
) -> Response:
    """The start page; after a refusal with its message and what the trainer typed, and
    with the agenda planned so far (``chosen``, in order; ``focus``: the control to keep)."""
    form = {"title": "", "question": "", "groups": ""} | dict(typed or {})
    message = translate(lang_of(request), error.key, **error.params) if error else ""
    library = service_of(request).library
    planned = [(key, found) for key in chosen if (found := library.get(key)) is not None]
    response = page(
        request,
        "start.html",
        error.status if error else 200,
        error=message,
        notice=notice,
        library=_library(service_of(request)),
        singles=single_steps(),
        chosen=chosen,
        planned=planned,
        planned_minutes=sum(exercise.minutes for _, exercise in planned),
        focus=focus,
        **form,
    )
    response.headers.update(retry_after(error) if error else {})
    return response


async def _allow(request: Request, limit: Limit, key: str) -> None:
    """Spend one of the address's tokens of ``limit``, or refuse with the wait."""
    address = address_of(request)
    if not await limit.admit(address):
        raise Refused(key, 429, seconds=await limit.retry_after(address))


def _texts(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str)]


def _replanned(keys: list[str], form: FormData) -> tuple[list[str], str] | None:
    """The plan after one of the start page's plan buttons, and the control to focus
    after it (the moved entry's same button); None when the form asks to create."""
    if "remove" in form:
        removed = field(form, "remove")
        return [key for key in keys if key != removed], ""
    if "move" in form:
        index, _, offset = field(form, "move").partition(":")
        if not (index.isdecimal() and offset in ("-1", "1")):
            return keys, ""
        moved = agenda.move_in_plan(keys, int(index), int(offset))
        place = max(0, min(int(index) + int(offset), len(moved) - 1))
        return moved, f"{'up' if offset == '-1' else 'down'}-{place}"
    if "replan" in form:
        return keys, ""
    return None


async def create_workshop(request: Request) -> Response:
    """Create the workshop with the planned agenda; or, for a plan button (which works
    without JavaScript as a plain submit), show the start page with the changed plan."""
    service = service_of(request)
    form = await form_of(request)
    keys = agenda.plan(_texts(form, "order"), _texts(form, "exercise"))
    typed = {n: v for n in ("title", "question", "groups") if isinstance(v := form.get(n, ""), str)}
    replanned = _replanned(keys, form)
    if replanned is not None:
        keys, focus = replanned
        return _start_page(request, chosen=keys, focus=focus, typed=typed)
    try:
        await _allow(request, service.workshop_limit, "workshops_limited")
        workshop = await service.create_workshop(
            field(form, "title", ""), field(form, "question", ""), keys, field(form, "groups", "")
        )
    except Refused as error:
        return _start_page(request, error, chosen=keys, typed=typed)  # nothing typed is lost
    response = RedirectResponse(f"/w/{workshop.code}/trainer", 303)
    grant_trainer(request, response, workshop)
    return response


async def join_form(request: Request) -> Response:
    return page(request, "join.html", code="")


async def join_by_form(request: Request) -> Response:
    form = await form_of(request)
    return await _join(request, field(form, "code", ""), field(form, "nickname", ""))


async def join_by_link(request: Request) -> Response:
    return await _join(request, request.path_params["code"], "")


async def _join(request: Request, typed: str, nickname: str) -> Response:
    service = service_of(request)
    code = normalise_code(typed)
    try:
        if code is None:
            raise code_refusal(typed)
        workshop = await service.workshop(code)
    except Refused as error:
        # Only a wrong code meets the guard: a valid one gets in at once, from any address.
        return _join_error(request, typed, await wrong_code(request, error))
    if await participant_of(request, workshop) is not None:
        return RedirectResponse(f"/w/{workshop.code}", 303)
    try:
        participant = await service.join(workshop, nickname)
    except Refused as error:
        return _join_error(request, typed, error)
    response = RedirectResponse(f"/w/{workshop.code}", 303)
    token = service.tokens.participant(workshop.id, participant.id)
    set_cookie(request, response, PARTICIPANT_COOKIE.format(code=workshop.code), token)
    return response


def _join_error(request: Request, typed: str, error: Refused) -> Response:
    message = translate(lang_of(request), error.key, **error.params)
    response = page(request, "join.html", error.status, code=typed[:20], error=message)
    response.headers.update(retry_after(error))
    return response


async def phone(request: Request) -> Response:
    workshop = await workshop_of(request)
    participant = await participant_of(request, workshop)
    if participant is None:
        return RedirectResponse(f"/join/{workshop.code}", 303)
    snap = await service_of(request).snapshot(workshop.id)
    return page(
        request,
        "phone/page.html",
        participant=participant,
        me=participant.id,
        **_view(request, snap, "phone", participant.id),
    )


async def phone_wall(request: Request) -> Response:
    workshop = await workshop_of(request)
    participant = await participant_of(request, workshop)
    if participant is None and not is_trainer(request, workshop):
        return RedirectResponse(f"/join/{workshop.code}", 303)
    snap = await service_of(request).snapshot(workshop.id)
    if snap.in_teams and participant is not None:  # their own team's wall, no other
        team = snap.team_of_person(participant.id)
        snap = snap.of_team(team.id if team else "")
    return page(request, "phone/wall.html", **_view(request, snap, "board"))


async def board_page(request: Request) -> Response:
    workshop = await workshop_of(request)
    snap = await service_of(request).snapshot(workshop.id)
    return page(
        request,
        "board/page.html",
        join_url=join_url(request, workshop.code),
        **_view(request, snap, "board"),
    )


async def console(request: Request) -> Response:
    workshop = await workshop_of(request)
    if "token" in request.query_params:
        return _trainer_link(request, workshop)
    if not is_trainer(request, workshop):
        return page(request, "forbidden.html", 403)
    service = service_of(request)
    snap = await service.snapshot(workshop.id)
    token = service.tokens.trainer(workshop.id, workshop.trainer_secret)
    base = join_base(request)  # the trainer link must open on the trainer's phone too
    response = page(
        request,
        "console/page.html",
        join_url=join_url(request, workshop.code),
        unreachable_fix=unreachable_fix(request),
        trainer_url=f"{base}/w/{workshop.code}/trainer?token={quote(token)}",
        board_url=f"{base}/w/{workshop.code}/board",
        library=_library(service),
        **_view(request, snap, "trainer"),
    )
    grant_trainer(request, response, workshop)
    return response


def _trainer_link(request: Request, workshop: Workshop) -> Response:
    """The trainer link: its token becomes the cookie, then on to the address without it,
    so the token stays out of the browser's history and of every later log line."""
    token = request.query_params["token"]
    linked = is_trainer(request, workshop, token)
    if not (linked or is_trainer(request, workshop)):
        return page(request, "forbidden.html", 403)
    clean = request.url.remove_query_params("token")
    response = RedirectResponse(clean.path + (f"?{clean.query}" if clean.query else ""), 303)
    if linked:
        grant_trainer(request, response, workshop)
    return response


def _library(service: Service) -> list[Exercise]:
    return service.library.in_order()


def _view(
    request: Request, snap: Snapshot, role: str, participant_id: str | None = None
) -> dict[str, Any]:
    """A page's context: the snapshot cut to what ``role`` (and this phone) may see."""
    return {
        **cut_context(snap.for_audience(role, participant_id)),
        "role": role,
        "present": service_of(request).live.present(snap.workshop.id),
    }


async def qr_svg(request: Request) -> Response:
    workshop = await workshop_of(request)
    qr = segno.make(join_url(request, workshop.code), error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=10, border=2, dark="#111", light="#fff", omitsize=True)
    return Response(
        buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-cache"}
    )


async def switch_language(request: Request) -> Response:
    lang = request.path_params["lang"]
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target[1:2] in ("/", "\\"):  # no other host
        target = "/"
    response = RedirectResponse(target, 303)
    if lang in LANGUAGES:
        set_cookie(request, response, "lang", lang)
    return response


async def healthz(request: Request) -> Response:
    ok = await service_of(request).db.healthy()
    return JSONResponse({"status": "ok" if ok else "db-error"}, 200 if ok else 503)


# -- the protocol ------------------------------------------------------------------
EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


async def protocol_export(request: Request) -> Response:
    workshop = await workshop_of(request)
    if not is_trainer(request, workshop):
        return page(request, "forbidden.html", 403)
    fmt = request.path_params["fmt"]
    if fmt not in documents.FORMATS:
        raise Refused("not_found", 404)
    service = service_of(request)
    record = await service.export(workshop, names=request.query_params.get("names") == "1")
    body = await asyncio.to_thread(
        documents.render, record, fmt, lang_of(request), service.templates
    )
    name = documents.filename(record, fmt)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    headers = {
        "Content-Disposition": f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
    }
    if fmt == "html":
        headers["Content-Security-Policy"] = EXPORT_CSP  # a document: styles inline, no scripts
    return Response(body, media_type=documents.FORMATS[fmt], headers=headers)


async def import_workshop(request: Request) -> Response:
    service = service_of(request)
    try:
        await _allow(request, service.import_limit, "imports_limited")  # before reading the file
        form = await form_of(request, files=True)
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise Refused("import_not_json", 422)
            try:
                record = json.loads(await upload.read())
            except (ValueError, UnicodeDecodeError, RecursionError):
                raise Refused("import_not_json", 422) from None
        finally:
            await form.close()
        workshop = await service.import_protocol(record)
    except Refused as error:
        return _start_page(request, error)
    response = RedirectResponse(f"/w/{workshop.code}/trainer", 303)
    grant_trainer(request, response, workshop)
    return response


async def delete_form(request: Request) -> Response:
    workshop = await workshop_of(request)
    if not is_trainer(request, workshop):
        return page(request, "forbidden.html", 403)
    return page(request, "delete.html", workshop=workshop)


async def delete_workshop(request: Request) -> Response:
    workshop = await workshop_of(request)
    if not is_trainer(request, workshop):
        return page(request, "forbidden.html", 403)
    form = await form_of(request)
    if normalise_code(field(form, "confirm", "")) != workshop.code:
        message = translate(lang_of(request), "delete_confirm_wrong")
        return page(request, "delete.html", 422, workshop=workshop, error=message)
    await service_of(request).delete_workshop(workshop)
    response = RedirectResponse("/?deleted=1", 303)
    delete_cookie(request, response, TRAINER_COOKIE.format(code=workshop.code))
    return response


# -- participants' cards --------------------------------------------------------
Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Tap:
    """A participant's write as its route gets it: where, who, and what they sent."""

    request: Request
    service: Service
    workshop: Workshop
    participant: Participant
    form: FormData

    def text(self, name: str) -> str:
        return field(self.form, name, "")

    async def spend_card_budget(self) -> None:
        """A text for the board (a card, a topic, a statement) counts against the cards."""
        if not await self.service.card_limit.admit(self.participant.id):
            raise Refused("rate_limited", 429)


def participant_action(action: Callable[[Tap], Awaitable[None]], renames: bool = False) -> Handler:
    """Wrap a participant's write: identity, rate limit, errors, then their card list."""

    async def handler(request: Request) -> Response:
        service = service_of(request)
        try:
            # Who they are from memory after the first tap (board.known): every write
            # reads the workshop's state again itself.
            workshop = await workshop_of(request, known=True)
            participant = await participant_of(request, workshop, known=True)
            if participant is None:
                raise Refused("not_joined", 403)
            if not await service.request_limit.admit(participant.id):
                raise Refused("rate_limited", 429)
            form = await form_of(request)
            await action(Tap(request, service, workshop, participant, form))
        except Refused as error:
            return refusal(request, error)
        snap = await service.own_view(workshop.id, participant.id)
        # "Sie sind: …" sits outside #mine: after a rename it follows out of band.
        renamed = await service.participant(participant.id) if renames else None
        return page(
            request,
            "phone/_mine.html",
            me=participant.id,
            answer=True,  # what else of theirs changed goes out of band (phone/_mine.html)
            renamed=renamed,
            **_view(request, snap, "phone", participant.id),
        )

    return handler


async def _add_card(tap: Tap) -> None:
    await tap.spend_card_budget()
    client_id = tap.text("client_id")[:64] or None
    await tap.service.add_card(
        tap.workshop, tap.participant.id, client_id, tap.text("text"), tap.text("colour")
    )


async def _edit_card(tap: Tap) -> None:
    await tap.spend_card_budget()
    card_id = tap.request.path_params["card_id"]
    await tap.service.edit_card(
        tap.workshop, tap.participant.id, card_id, tap.text("text"), tap.text("colour")
    )


async def _delete_card(tap: Tap) -> None:
    card_id = tap.request.path_params["card_id"]
    await tap.service.delete_card(tap.workshop, tap.participant.id, card_id)


async def _nickname(tap: Tap) -> None:
    await tap.service.set_nickname(tap.participant, tap.text("nickname"))


async def _choose_group(tap: Tap) -> None:
    await tap.service.choose_group(tap.workshop, tap.participant.id, tap.text("group_id"))


async def _choose_team(tap: Tap) -> None:
    await tap.service.choose_team(tap.workshop, tap.participant.id, tap.text("team_id"))


async def _volunteer(tap: Tap) -> None:
    await tap.service.volunteer(tap.workshop, tap.participant.id)


async def _propose_topic(tap: Tap) -> None:
    await tap.spend_card_budget()
    await tap.service.propose_topic(tap.workshop, tap.participant.id, tap.text("title"))


def step_input(name: str) -> Handler:
    """A participant's input to the active step, named by the route; its kind reads it."""

    async def run(tap: Tap) -> None:
        if kinds.spends_card_budget(name):
            await tap.spend_card_budget()
        await tap.service.step_input(tap.workshop, tap.participant.id, name, Form(tap.form))

    return participant_action(run)


# -- the app --------------------------------------------------------------------
async def refused_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    if request.headers.get("hx-request"):
        return refusal(request, exc)
    message = translate(lang_of(request), exc.key, **exc.params)
    response = page(request, "error.html", exc.status, message=message)
    response.headers.update(retry_after(exc))
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    key = "not_found" if exc.status_code == 404 else "bad_request"
    return page(request, "error.html", exc.status_code, message=translate(lang_of(request), key))


async def body_too_large(request: Request, exc: Exception) -> Response:
    return refusal(request, Refused("body_too_large", 413))


async def server_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: a page in the user's language, the details only in the log."""
    return await refused_page(request, Refused("server_error", 500))


async def _retention(service: Service, days: int) -> None:
    """Delete workshops older than ``days`` days, now and every hour."""
    while True:
        try:
            deleted = await service.delete_older_than(days)
            if deleted:
                log.info("retention: deleted %d workshop(s) older than %d days", deleted, days)
        except Refused:
            log.exception("retention: could not delete old workshops")
        await asyncio.sleep(3600)


def create_app(settings: Settings | None = None, service: Service | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    service = service or Service(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.live.listen()  # the change notices of every process, this one's too
        retention = None
        if settings.retention_days:
            retention = asyncio.create_task(_retention(service, settings.retention_days))
        yield
        if retention is not None:
            retention.cancel()
        await service.live.settled()
        service.live.close()
        await service.close_shared()

    code = "/w/{code}"
    socket_route = WebSocketRoute(f"{code}/ws", sockets.endpoint)
    routes = [
        # A phone's inputs to the step (a vote, a proposal…, each under its kind's name),
        # then its cards: first, since the router tries routes in order and a burst is
        # a thousand of these (no route takes another's path and method: test_web).
        *(
            Route(f"{code}/{name}", step_input(name), methods=["POST"])
            for name in kinds.input_names()
        ),
        Route(f"{code}/cards", participant_action(_add_card), methods=["POST"]),
        Route(f"{code}/cards/{{card_id}}", participant_action(_edit_card), methods=["POST"]),
        Route(
            f"{code}/cards/{{card_id}}/delete",
            participant_action(_delete_card),
            methods=["POST"],
        ),
        Route("/", start),
        Route("/workshops", create_workshop, methods=["POST"]),
        Route("/workshops/import", import_workshop, methods=["POST"]),
        Route("/join", join_form),
        Route("/join", join_by_form, methods=["POST"]),
        Route("/join/{code}", join_by_link),
        Route(code, phone),
        Route(f"{code}/wall", phone_wall),
        Route(f"{code}/board", board_page),
        Route(f"{code}/trainer", console),
        Route(f"{code}/qr.svg", qr_svg),
        Route(f"{code}/protocol.{{fmt}}", protocol_export),
        Route(f"{code}/delete", delete_form),
        Route(f"{code}/delete", delete_workshop, methods=["POST"]),
        Route(f"{code}/nickname", participant_action(_nickname, renames=True), methods=["POST"]),
        Route(f"{code}/group", participant_action(_choose_group, renames=True), methods=["POST"]),
        Route(f"{code}/topics", participant_action(_propose_topic), methods=["POST"]),
        Route(f"{code}/team", participant_action(_choose_team), methods=["POST"]),
        Route(f"{code}/team-console", participant_action(_volunteer), methods=["POST"]),
        Route(f"{code}/g/{{team_id}}", team_console.console_page),
        Route(f"{code}/g/{{team_id}}/{{action}}", team_console.action, methods=["POST"]),
        Route(f"{code}/t/{{action}}", trainer.action, methods=["POST"]),
        Route(f"{code}/t/suggestions", trainer.suggestions),
        socket_route,
        Route("/lang/{lang}", switch_language),
        Route("/healthz", healthz),
        # Bundled, versioned and compressed once (board/assets.py); PageGZip below
        # leaves them alone.
        Route(f"{PREFIX}/{{file:path}}", shipped_assets().endpoint, name="static"),
    ]
    app = GuardedStarlette(
        functools.partial(
            GuardMiddleware,
            public_url=settings.public_url,
            large_bodies={"/workshops/import": MAX_IMPORT_BYTES},
            sockets=socket_route,
        ),
        routes=routes,
        # Inside the guard (which adds its headers to the compressed answer too) and
        # outside the exception layer, so error pages are compressed as well. The live
        # socket never reaches it: the guard hands it straight to its endpoint.
        middleware=[Middleware(PageGZip, minimum_size=GZIP_MINIMUM, compresslevel=GZIP_LEVEL)],
        lifespan=lifespan,
        exception_handlers={
            Refused: refused_page,
            HTTPException: http_error,
            BodyTooLarge: body_too_large,
            Exception: server_error,
        },
    )
    app.state.service = service
    return app


class PageGZip(GZipMiddleware):
    """gzip per request for pages; a static file comes encoded already, and its plain
    answer names Vary itself (the middleware would add it a second time)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{PREFIX}/"):
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class GuardedStarlette(Starlette):
    """Starlette with the guard outside everything, its error layer included: a 500
    carries the security headers too (``add_middleware`` would put it inside)."""

    def __init__(self, guard: Callable[[ASGIApp], ASGIApp], **options: Any) -> None:
        self.guard = guard
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return self.guard(super().build_middleware_stack())
