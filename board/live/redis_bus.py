"""Change notices between server processes, through Redis pub/sub.

Redis carries wake-ups, not truth: the database holds every change and its change-log
row, and a notice only says "workshop W is at seq N now, these regions changed". So:

- A process hears its own notices at once, in memory, as with the memory bus: its
  own screens never wait for Redis, nor go dark when Redis does.
- It publishes each notice on one channel (tagged with the process's own id, so it
  skips its own when they come back) from a sender task: ``publish`` never blocks a
  write, and a notice that cannot be sent is dropped and logged.
- A subscriber task hears every other process's notices and hands them to the
  listeners. When its connection breaks it reconnects with back-off; once back, every
  listener gets :data:`EVERY_WORKSHOP` (notices may have been lost meanwhile: render
  everything). A notice lost without a reconnect shows as a gap in a workshop's seq on
  the next one, or is found by the periodic change-log poll (board/live/render.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable

import redis.asyncio as redis
from redis.exceptions import RedisError

from board.live.notices import Listener, MemoryNoticeBus, Notice
from board.live.render import EVERY_WORKSHOP

log = logging.getLogger(__name__)

CHANNEL = "board:notices"
OUTBOX_SIZE = 10_000  # notices waiting for Redis; beyond, the oldest are dropped
RECONNECT_SECONDS = (0.1, 5.0)  # first and longest wait between attempts
PUBLISH_SECONDS = 2.0  # notices Redis does not take within this are dropped
CLOSE_SECONDS = 2.0  # how long closing waits for the tasks and the subscription
PUBLISH_BATCH = 500  # notices waiting together go out in one round trip (a dot burst)


async def cancelled(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel a backend's background tasks and wait until each has ended (a task that
    does not end within CLOSE_SECONDS is left behind: closing must not hang)."""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=CLOSE_SECONDS)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" later


class RedisNoticeBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self.origin = secrets.token_hex(8)
        self._local = MemoryNoticeBus()  # this process's listeners, on their loops
        self._outbox: asyncio.Queue[str] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._client: redis.Redis | None = None
        # Set while the subscription is up (tests and health checks wait for it).
        self.subscribed = asyncio.Event()

    # -- the NoticeBus interface -----------------------------------------------------
    def listen(self, listener: Listener) -> Callable[[], None]:
        stop = self._local.listen(listener)
        if not self._tasks:  # the first listener starts the traffic with Redis
            self._start()
        return stop

    def publish(self, notice: Notice) -> None:
        self._local.publish(notice)
        if self._outbox is None:
            return  # not started (nobody listens here yet): other processes poll
        if self._outbox.full():
            self._outbox.get_nowait()
            log.warning("dropped a change notice for Redis: %d waiting", OUTBOX_SIZE)
        self._outbox.put_nowait(f"{self.origin} {notice.to_json()}")

    # -- the tasks ---------------------------------------------------------------------
    def _start(self) -> None:
        # No read timeout (a quiet channel is not a dead one), but keepalive and a health
        # check: a connection that died without closing is noticed and reconnected.
        self._client = redis.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=15
        )
        self._outbox = asyncio.Queue(OUTBOX_SIZE)
        self._tasks = [
            asyncio.create_task(self._send(), name="redis-notices-out"),
            asyncio.create_task(self._receive(), name="redis-notices-in"),
        ]

    async def close(self) -> None:
        await cancelled(self._tasks)
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _send(self) -> None:
        assert self._outbox is not None and self._client is not None
        while True:
            batch = [await self._outbox.get()]
            while len(batch) < PUBLISH_BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            pipe = self._client.pipeline(transaction=False)
            for message in batch:
                pipe.publish(CHANNEL, message)
            try:
                await asyncio.wait_for(pipe.execute(), PUBLISH_SECONDS)
            except (RedisError, OSError, TimeoutError) as error:
                # Wake-ups lost: the receivers' gap check or change-log poll makes up.
                log.warning("could not publish %d change notices to Redis: %s", len(batch), error)

    async def _receive(self) -> None:
        assert self._client is not None
        wait = RECONNECT_SECONDS[0]
        connected_before = False
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.subscribed.set()
                wait = RECONNECT_SECONDS[0]
                if connected_before:  # what came while away is unknown: everything
                    log.info("Redis is back: every followed workshop is rendered anew")
                    self._local.publish(Notice(EVERY_WORKSHOP, None, frozenset()))
                connected_before = True
                async for message in pubsub.listen():
                    try:
                        self._heard(message.get("data"))
                    except Exception:  # one listener's failure must not stop the notices
                        log.exception("a change notice from Redis could not be handled")
            except (RedisError, OSError) as error:
                self.subscribed.clear()
                log.warning("lost the Redis notices (%s); trying again in %.1f s", error, wait)
            finally:
                # Bounded: a subscription cancelled in the middle of a read could hold
                # its connection's lock, and closing would wait for it forever.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), CLOSE_SECONDS)  # type: ignore[no-untyped-call]
            await asyncio.sleep(wait)
            wait = min(wait * 2, RECONNECT_SECONDS[1])

    def _heard(self, data: object) -> None:
        if not isinstance(data, bytes | str):
            return
        text = data.decode() if isinstance(data, bytes) else data
        origin, _, body = text.partition(" ")
        if origin == self.origin:
            return  # our own: heard in memory when it was published
        try:
            notice = Notice.from_json(body)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed change notice from Redis")
            return
        self._local.publish(notice)
