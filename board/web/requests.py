"""Helpers shared by the HTTP routes and the sockets: identity, language, pages, refusals."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, Response

from board.errors import Refused
from board.forms import Form
from board.i18n import choose_language, language_context, translate
from board.ratelimit import address_key
from board.service import Service
from board.tokens import COOKIE_MAX_AGE
from board.web.addresses import is_loopback_host, listens_everywhere
from board.web.guards import BodyTooLarge
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
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML", **retry_after(error)}
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


def grant_trainer(request: Request, response: Response, workshop: Workshop) -> str:
    """Give this browser the trainer cookie of the workshop's current trainer link;
    the token, for the link the console shows."""
    token = service_of(request).tokens.trainer(workshop.id, workshop.trainer_secret)
    set_cookie(request, response, TRAINER_COOKIE.format(code=workshop.code), token)
    return token


def delete_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, httponly=True, samesite="lax", secure=_secure(request))


def join_base(request: Request) -> str:
    """The base URL phones join at: BOARD_PUBLIC_URL, else the room address when the page
    was opened at 127.0.0.1 or localhost (no phone reaches those), else the page's own."""
    settings = service_of(request).settings
    if settings.public_url:
        return settings.public_url
    if settings.room_url and is_loopback_host(request.url.hostname):
        return settings.room_url
    return str(request.base_url).rstrip("/")


def join_url(request: Request, code: str) -> str:
    return f"{join_base(request)}/join/{code}"


def unreachable_fix(request: Request) -> str | None:
    """When phones cannot reach the join address: the i18n key of the fix to show."""
    if not is_loopback_host(urlsplit(join_base(request)).hostname):
        return None
    host = service_of(request).settings.host
    return "reach_fix_network" if listens_everywhere(host) else "reach_fix_host"


def address_of(conn: HTTPConnection) -> str:
    """Whom per-address limits count: the client as uvicorn gives it (behind a
    trusted proxy, from X-Forwarded-For), IPv6 by its /64."""
    return address_key(conn.client.host if conn.client else "?")


def retry_after(error: Refused) -> dict[str, str]:
    """The Retry-After header of a refusal that says how long to wait."""
    seconds = error.params.get("seconds")
    return {"Retry-After": str(seconds)} if error.status == 429 and seconds else {}


async def wrong_code(conn: HTTPConnection, error: Refused) -> Refused:
    """Count an unknown or malformed code as a failed guess; the refusal to answer with
    (while the address is in back-off: 429, after being held for a while)."""
    if error.status != 404:
        return error
    wait = await service_of(conn).join_guard.failed_guess(address_of(conn))
    return Refused("join_backoff", 429, seconds=wait) if wait else error


async def workshop_of(conn: HTTPConnection, *, known: bool = False) -> Workshop:
    """The workshop of the code in the URL. Every URL with a code comes here, so every
    wrong code counts as a guess; a valid code answers at once, never slowed. ``known``:
    as this process read it a moment ago, for who it is only (Service.known_workshop)."""
    code = normalise_code(conn.path_params["code"])
    try:
        if code is None:
            raise Refused("workshop_not_found", 404)
        service = service_of(conn)
        return await (service.known_workshop(code) if known else service.workshop(code))
    except Refused as error:
        raise await wrong_code(conn, error) from None


async def participant_of(
    conn: HTTPConnection, workshop: Workshop, *, known: bool = False
) -> Participant | None:
    """The participant of the workshop's cookie; ``known``: as read a moment ago."""
    service = service_of(conn)
    token = conn.cookies.get(PARTICIPANT_COOKIE.format(code=workshop.code))
    identity = service.tokens.read_participant(token, workshop.id)
    if identity is None:
        return None
    pid = identity.participant_id
    found = await (service.known_participant(pid) if known else service.participant(pid))
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
    if not files and _urlencoded(request):
        # Every tap of a phone: the body (the guard keeps it small) parsed as it is, as
        # Starlette's parser would (Latin-1 bytes, %-escapes as UTF-8), without its
        # streaming machinery.
        try:
            body = await request.body()
        except BodyTooLarge:
            raise
        except Exception as error:  # the phone went away mid-body
            raise Refused("bad_request", 400) from error
        fields: list[tuple[str, str | UploadFile]] = [
            *parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        ]
        return FormData(fields)
    try:
        form = await request.form()
    except BodyTooLarge:
        raise
    except Exception as error:  # malformed multipart or urlencoded body
        raise Refused("bad_request", 400) from error
    if not files:
        await form.close()
    return form


def _urlencoded(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").partition(";")[0]
    return media_type.strip().lower() == "application/x-www-form-urlencoded"


def field(form: FormData, name: str, default: str | None = None) -> str:
    """One field of a route's own form (see board.forms)."""
    return Form(form).text(name, default)
