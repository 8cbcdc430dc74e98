"""Edge guards as plain ASGI middleware: security headers, body size, origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.routing import Match, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from board.i18n import choose_language, translate
from board.web.wire import SCOPE_KEY, wire_of

MAX_BODY_BYTES = 64 * 1024
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _lang(headers: Headers) -> str:
    cookie = None
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "lang":
            cookie = value
    return choose_language(cookie, headers.get("accept-language"))


async def _refuse(send: Send, status: int, key: str, headers: Headers) -> None:
    body = translate(_lang(headers), key).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def same_origin(headers: Headers, public_url: str = "") -> bool:
    """A browser's request comes from our own pages (or from no browser at all).

    Browsers send Origin on every cross-site POST and WebSocket handshake; a
    client without Origin is not a browser and carries no victim's cookies.
    """
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    netloc = urlsplit(origin).netloc
    allowed = {headers.get("host", "")}
    if public_url:
        allowed.add(urlsplit(public_url).netloc)
    return netloc in allowed


class GuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        public_url: str = "",
        max_body: int = MAX_BODY_BYTES,
        large_bodies: dict[str, int] | None = None,
        sockets: WebSocketRoute | None = None,
    ) -> None:
        self.app = app
        self.public_url = public_url
        self.max_body = max_body
        self.large_bodies = large_bodies or {}
        self.sockets = sockets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if not same_origin(Headers(scope=scope), self.public_url):
                await send({"type": "websocket.close", "code": 1008, "reason": "origin"})
                return
            await self._socket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] in UNSAFE_METHODS and not same_origin(headers, self.public_url):
            await _refuse(send, 403, "foreign_origin", headers)
            return
        limit = self.large_bodies.get(scope["path"], self.max_body)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(send, 413, "body_too_large", headers)
            return

        received = 0

        async def limited_receive() -> Message:
            # A chunked body has no Content-Length: count as it arrives. The
            # app turns BodyTooLarge into a 413 (see board.web.routes).
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in message.get("headers", [])}
                extra = [h for h in SECURITY_HEADERS if h[0] not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            # The app's own error page failed too: still an answer with every header,
            # never the server's bare one. Re-raised so the server logs it.
            if not started:
                await _refuse(send, 500, "server_error", headers)
            raise

    async def _socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The live socket goes straight to its endpoint, past the router and the
        exception middleware: their coroutines would sit on every idle socket's stack
        for the whole workshop (about 5 KiB a socket, a sixth of what one costs).
        Those layers add nothing here: the endpoint raises no HTTP exceptions."""
        if self.sockets is not None:
            match, child = self.sockets.matches(scope)
            if match is Match.FULL:
                # Into the scope itself, as Starlette's router does (a copy is a dict per
                # idle socket): the path's values and the transport, to write frames
                # straight to it (board/web/wire.py).
                scope.update(child)
                scope[SCOPE_KEY] = wire_of(send)
                await self.sockets.endpoint(WebSocket(scope, receive, send))
                return
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was being read."""
