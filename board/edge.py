"""Helpers shared by the HTTP routes and the sockets: identity, language, pages, refusals."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, Response

from board.errors import Refused
from board.i18n import choose_language, language_context, translate
from board.middleware import BodyTooLarge
from board.service import Service
from board.tokens import COOKIE_MAX_AGE
from board.workshops import Participant, Workshop, normalise_code

PARTICIPANT_COOKIE = "mb_p_{code}"
TRAINER_COOKIE = "mb_t_{code}"


def service_of(conn: HTTPConnection) -> Service:
    service: Service = conn.app.state.service
    return service


def lang_of(conn: HTTPConnection) -> str:
    return choose_language(conn.cookies.get("lang"), conn.headers.get("accept-language"))


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    service = service_of(request)
    html = service.templates.get_template(name).render(
        path=request.url.path,
        oob=False,
        card_max_length=service.settings.card_max_length,
        **language_context(lang),
        **context,
    )
    return HTMLResponse(html, status)


def refusal(request: Request, error: Refused) -> Response:
    """A refused command: the message in the user's language, for htmx's #flash."""
    message = translate(lang_of(request), error.key, **error.params)
    html = (
        service_of(request)
        .templates.get_template("_flash.html")
        .render(message=message, kind="error", oob=False)
    )
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return HTMLResponse(html, error.status, headers=headers)


def _secure(request: Request) -> bool:
    mode = service_of(request).settings.secure_cookies
    return request.url.scheme == "https" if mode == "auto" else mode == "true"


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """Every cookie of ours: HttpOnly, SameSite=Lax, and Secure behind TLS. A participant
    cookie lives as long as its token is accepted (the retention period)."""
    max_age = COOKIE_MAX_AGE
    if name.startswith(PARTICIPANT_COOKIE.format(code="")):
        max_age = service_of(request).tokens.participant_max_age
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=_secure(request)
    )


def delete_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, httponly=True, samesite="lax", secure=_secure(request))


def join_url(request: Request, code: str) -> str:
    base = service_of(request).settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/join/{code}"


async def workshop_of(conn: HTTPConnection) -> Workshop:
    code = normalise_code(conn.path_params["code"])
    if code is None:
        raise Refused("workshop_not_found", 404)
    return await service_of(conn).workshop(code)


async def participant_of(conn: HTTPConnection, workshop: Workshop) -> Participant | None:
    service = service_of(conn)
    token = conn.cookies.get(PARTICIPANT_COOKIE.format(code=workshop.code))
    identity = service.tokens.read_participant(token, workshop.id)
    if identity is None:
        return None
    found = await service.participant(identity.participant_id)
    return found if found is not None and found.workshop_id == workshop.id else None


def is_trainer(conn: HTTPConnection, workshop: Workshop, token: str | None = None) -> bool:
    """The trainer cookie (or ``token``, the trainer link's) is of this workshop's current
    link generation. Only the console takes a token from the address (see web.console)."""
    if token is None:
        token = conn.cookies.get(TRAINER_COOKIE.format(code=workshop.code))
    return service_of(conn).tokens.is_trainer(token, workshop.id, workshop.trainer_secret)


async def form_of(request: Request, *, files: bool = False) -> FormData:
    """The request's form fields. Files sent where none is expected are closed at once
    (their fields read as refused); with files=True the caller closes the form."""
    try:
        form = await request.form()
    except BodyTooLarge:
        raise
    except Exception as error:  # malformed multipart or urlencoded body
        raise Refused("bad_request", 400) from error
    if not files:
        await form.close()
    return form


def field(form: FormData, name: str, default: str | None = None) -> str:
    value = form.get(name, default)
    if not isinstance(value, str):
        raise Refused("bad_request", 400)
    return value
