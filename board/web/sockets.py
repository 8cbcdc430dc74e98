"""The WebSocket of every page: frames out, a few small messages in.

``/w/{code}/ws?role=board|trainer|phone&seq=N``. The role is checked against
the cookies (a trainer socket needs the trainer token, a phone socket a
participant cookie). ``seq`` is the last sequence number the page has seen:
if the workshop moved on since, the socket starts with a full render.

Client messages are JSON objects: ``{"type": "ping"}`` (answered with a
pong frame) and ``{"type": "resync"}`` (answered with a full render, limited
per socket and per address). Anything else, or a resync beyond the limit,
gets an error frame; the connection stays up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from board import teams
from board.errors import Refused
from board.i18n import translate
from board.live import render as live
from board.live.hub import QUEUE_SIZE, Frame, Subscription
from board.web.requests import (
    address_of,
    is_trainer,
    lang_of,
    participant_of,
    service_of,
    workshop_of,
)
from board.web.wire import SCOPE_KEY, Wire
from board.workshops import Workshop

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4096
ROLES = ("board", "trainer", "phone", "team")
# Close codes: 1008 policy (no reconnect), 1009 too big, 1013 try again later
# (the htmx ws extension reconnects on 1006, 1011, 1012 and 1013).
POLICY, TOO_BIG, TRY_AGAIN = 1008, 1009, 1013
CLOSE_TIMEOUT = 5.0


async def endpoint(ws: WebSocket) -> None:
    service = service_of(ws)
    role = ws.query_params.get("role", "")
    # Accept, then close with 1008 when refused: the browser then stops
    # reconnecting (a refused handshake would look like a network error).
    await ws.accept()
    wire: Wire | None = ws.scope.get(SCOPE_KEY)
    if wire is not None:
        wire.forget_handshake()
    admitted = await _admit(ws, role)
    if admitted is None:
        await ws.close(POLICY, "not allowed")
        return
    # Only ids from here on: this frame lives as long as the socket.
    workshop_id, seq, participant_id = admitted
    lang = lang_of(ws)
    audiences = {live.audience(role, lang)}
    if participant_id is not None:
        audiences.add(live.audience("mine", lang, participant_id))

    def full_frame() -> Awaitable[Frame]:
        return service.live.full_frame(workshop_id, role, lang, participant_id)

    if role == "team":  # a group console: its team's frames, while its holder holds it
        team_id, _, who = (participant_id or "").partition("/")
        participant_id = None  # their phone's socket counts them present
        audiences = {live.team_audience(team_id, who, lang)}

        def full_frame() -> Awaitable[Frame]:
            return service.live.team_full_frame(workshop_id, team_id, who, lang)

    subscription = service.hub.subscribe(workshop_id, frozenset(audiences))
    service.live.watch(workshop_id, seq)
    if role == "trainer" and await _admit(ws, role) is None:
        # A new trainer link came between the check and the subscription: closing
        # the old consoles missed this one.
        service.hub.unsubscribe(subscription)
        await ws.close(POLICY, "not allowed")
        return
    if participant_id is not None:
        await service.live.arrived(workshop_id, participant_id)
    connection = _Connection(ws, subscription, lang)
    try:
        seen = _int_or_none(ws.query_params.get("seq"))
        if seen is None or seen != seq:
            await connection.push(await full_frame())
        connection.listen()
        try:
            await connection.receive_loop(
                full_frame,
                lambda: service.request_limit.admit(participant_id or f"socket:{id(ws)}"),
                lambda: service.resync_limit.admit(address_of(ws)),
            )
        finally:
            await connection.stop()
    except WebSocketDisconnect:
        pass
    finally:
        service.hub.unsubscribe(subscription)
        if participant_id is not None:
            await service.live.left(workshop_id, participant_id)


async def _admit(ws: WebSocket, role: str) -> tuple[str, int, str | None] | None:
    """Workshop id, its seq and the phone's participant id, if the cookies grant the role."""
    try:
        workshop = await workshop_of(ws)
    except Refused:
        return None
    participant_id: str | None = None
    if role == "phone":
        participant = await participant_of(ws, workshop)
        participant_id = participant.id if participant else None
    if role == "team":  # the team's id in place of a participant's, once allowed
        return await _admit_team(ws, workshop)
    if (
        role not in ROLES
        or (role == "trainer" and not is_trainer(ws, workshop))
        or (role == "phone" and participant_id is None)
    ):
        return None
    return workshop.id, workshop.seq, participant_id


async def _admit_team(ws: WebSocket, workshop: Workshop) -> tuple[str, int, str | None] | None:
    """A group console's socket: ``team`` the team, ``as`` "trainer" (the trainer cookie)
    or "member" (the cookie of the participant holding the team's console, the teams as
    they are now). In place of a participant: "<team id>/<trainer or participant id>"."""
    team_id = ws.query_params.get("team", "")
    if ws.query_params.get("as") == live.TRAINER:
        trainer = is_trainer(ws, workshop)
        return (workshop.id, workshop.seq, f"{team_id}/{live.TRAINER}") if trainer else None
    participant = await participant_of(ws, workshop)
    if participant is None:
        return None
    snap = await service_of(ws).snapshot(workshop.id)
    if not teams.may_edit(participant.id, team_id, snap.teams):
        return None
    return workshop.id, workshop.seq, f"{team_id}/{participant.id}"


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


class _Connection:
    __slots__ = ("service", "ws", "wire", "subscription", "lang", "sent_seq", "_sender", "_closing")

    def __init__(self, ws: WebSocket, subscription: Subscription, lang: str) -> None:
        self.service = service_of(ws)
        self.ws = ws
        self.wire: Wire | None = ws.scope.get(SCOPE_KEY)
        self.subscription = subscription
        self.lang = lang
        self.sent_seq = -1
        # Runs only while frames wait: an idle socket has no task of its own.
        self._sender: asyncio.Task[None] | None = None
        self._closing: asyncio.Future[None] | None = None

    async def push(self, frame: Frame) -> None:
        if frame.final:
            self._quiet()
            await self.ws.send_text(frame.text)
            await self.ws.close(POLICY, "closed for good")
            return
        # A frame rendered before a newer full render was sent is stale: skip it.
        if frame.seq < self.sent_seq:
            return
        self.sent_seq = frame.seq
        await self.ws.send_text(frame.text)

    def write_now(self, frame: Frame) -> bool:
        """Write ``frame``'s bytes straight to the transport, if the socket can take them
        now and nothing waits before them; False leaves it to the queue and the sender."""
        wire = self.wire
        if (
            wire is None
            or frame.final  # the socket closes after it: that goes the long way
            or (self._sender is not None and not self._sender.done())
            or not wire.open()
        ):
            return False
        if frame.seq >= self.sent_seq:  # else stale: a newer full render went out
            self.sent_seq = frame.seq
            wire.write(frame.wire)
        return True

    def listen(self) -> None:
        """Send the subscription's frames from now on (and drop the socket if it lags)."""
        if self.subscription.overflowed:  # it fell behind during the first full render
            self.drop()
            return
        self.subscription.write_now = self.write_now
        self.subscription.on_frame = self._wake
        self.subscription.on_overflow = self.drop
        self._wake()

    def _wake(self) -> None:
        if self.subscription.frames and (self._sender is None or self._sender.done()):
            self._sender = asyncio.create_task(self._send_waiting())

    async def _send_waiting(self) -> None:
        try:
            while (frame := self.subscription.next_frame()) is not None:
                await self.push(frame)
        except Exception:  # the client is gone: its receive loop ends the connection
            self._quiet()

    def _quiet(self) -> None:
        """No more frames to this socket."""
        self.subscription.write_now = None
        self.subscription.on_frame = None

    async def stop(self) -> None:
        self._quiet()
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender

    def drop(self) -> None:
        """Too slow to keep up: stop sending and close; it reconnects for a full render."""
        log.info("dropped a socket %d frames behind (its client stopped reading)", QUEUE_SIZE)
        self._quiet()
        if self._sender is not None:
            self._sender.cancel()
        self._closing = asyncio.ensure_future(self._close_slow())

    async def _close_slow(self) -> None:
        try:
            await asyncio.wait_for(self.ws.close(TRY_AGAIN, "too slow"), CLOSE_TIMEOUT)
        except Exception:
            # Its client reads nothing, not even the close frame: cut the connection, so
            # the socket is gone now rather than when the server's pings give up on it.
            if self.wire is not None:
                self.wire.abort()

    async def receive_loop(
        self,
        full_frame: Callable[[], Awaitable[Frame]],
        allow: Callable[[], Awaitable[bool]],
        allow_resync: Callable[[], Awaitable[bool]],
    ) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            raw = message.get("text")
            if raw is None:
                raw_bytes = message.get("bytes") or b""
                size = len(raw_bytes)
            else:
                size = len(raw.encode())
            if size > MAX_MESSAGE_BYTES:
                await self.ws.close(TOO_BIG, "message too big")
                return
            if not await allow():
                await self.error("rate_limited")
                continue
            kind = _message_type(raw)
            if kind == "ping":
                await self.ws.send_text('<template id="pong"></template>')
            elif kind == "resync":
                if self._closing is not None:  # being dropped: it reconnects for a full render
                    continue
                if not await allow_resync():  # many sockets of one address asking for renders
                    await self.error("rate_limited")
                    continue
                # Sent unless a newer frame went out while it was rendered (a screen
                # that still misses something asks again).
                await self.push(await full_frame())
            else:
                await self.error("message_malformed")

    async def error(self, key: str) -> None:
        if self.ws.application_state != WebSocketState.CONNECTED:
            return
        message = translate(self.lang, key)
        html = self.service.templates.get_template("_flash.html").render(
            message=message, kind="error", oob=True
        )
        await self.ws.send_text(html)


def _message_type(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    return kind if kind in ("ping", "resync") else None
