"""Who is connected, across server processes, in Redis.

Each process keeps the people with a socket open on it in a Redis hash of its own per
workshop (``board:presence:<workshop>:<process>``), written as they come and go, and
lists itself in the workshop's set of processes with the moment its entry expires.
A heartbeat renews both every third of ``ttl``: when a process dies, its people drop
out of the count within ``ttl`` seconds, without anyone cleaning up after it.

The count is read on every render, so it is answered from memory: this process's own
people, and the others' as read by :meth:`RedisPresence.refresh`, which the renderer
awaits before it renders the count (board/live/render.py). A socket's arrival is
written before its notice goes out, so the processes that hear it count it. While Redis is
away the count is this process's own people and the others' as last read (a failed
refresh keeps them), and once it is back the heartbeat writes everyone again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection

import redis.asyncio as redis
from redis.exceptions import RedisError

from board.live.presence import MemoryPresence
from board.live.redis_bus import cancelled
from board.settings import Settings

log = logging.getLogger(__name__)

TTL_SECONDS = float(Settings.presence_seconds)  # BOARD_PRESENCE_SECONDS's default


def _people_key(workshop_id: str, process: str) -> str:
    return f"board:presence:{workshop_id}:{process}"


def _processes_key(workshop_id: str) -> str:
    return f"board:presence:{workshop_id}"


class RedisPresence:
    def __init__(self, url: str, ttl: float = TTL_SECONDS) -> None:
        self.url = url
        self.ttl = ttl
        self.process = secrets.token_hex(8)
        self._own = MemoryPresence()
        self._others: dict[str, set[str]] = {}  # by workshop, as last refreshed
        self._refreshed: dict[str, float] = {}  # by workshop: when, on the monotonic clock
        # By workshop and person: the lock that orders their writes, and how many wait.
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._client: redis.Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- the Presence interface ---------------------------------------------------------
    async def arrived(self, workshop_id: str, participant_id: str) -> None:
        self._own.add(workshop_id, participant_id)
        await self._tell(workshop_id, participant_id)

    async def left(self, workshop_id: str, participant_id: str) -> None:
        self._own.remove(workshop_id, participant_id)
        await self._tell(workshop_id, participant_id)

    async def _tell(self, workshop_id: str, participant_id: str) -> None:
        """Write whether the person is here now, one write per person at a time (a
        phone's close and its reconnect must not reach Redis in the wrong order)."""
        key = (workshop_id, participant_id)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                if participant_id in self._own.people(workshop_id):
                    await self._safely(functools.partial(self._add, workshop_id, participant_id))
                else:
                    people = _people_key(workshop_id, self.process)
                    await self._safely(lambda client: client.hdel(people, participant_id))
        finally:
            lock, users = self._locks[key]
            if users > 1:
                self._locks[key] = (lock, users - 1)
            else:
                del self._locks[key]

    def count(self, workshop_id: str) -> int:
        return len(self._own.people(workshop_id) | self._others.get(workshop_id, set()))

    async def refresh(self, workshop_id: str, max_age: float = 0.0) -> None:
        now = time.monotonic()
        if max_age and now - self._refreshed.get(workshop_id, -max_age) < max_age:
            return  # read a moment ago (a room reconnecting at once reads Redis once)
        self._refreshed[workshop_id] = now
        client = self._started()
        try:
            processes_key = _processes_key(workshop_id)
            # Two round trips however many processes: a render waits for this.
            async with client.pipeline(transaction=False) as pipe:
                pipe.zremrangebyscore(processes_key, "-inf", time.time())
                pipe.zrange(processes_key, 0, -1)
                _, listed = await pipe.execute()
            elsewhere = [str(p) for p in listed if str(p) != self.process]
            others: set[str] = set()
            if elsewhere:
                async with client.pipeline(transaction=False) as pipe:
                    for process in elsewhere:
                        pipe.hkeys(_people_key(workshop_id, process))
                    for keys in await pipe.execute():
                        others.update(str(k) for k in keys)
        except (RedisError, OSError) as error:
            log.warning("could not read who is connected elsewhere: %s", error)
            return
        if others:
            self._others[workshop_id] = others
        else:
            self._others.pop(workshop_id, None)

    async def close(self) -> None:
        """Stop, and take this process's people out of Redis (a crash leaves them to expire)."""
        await cancelled(self._tasks)
        self._tasks = []
        if self._client is not None:
            with contextlib.suppress(RedisError, OSError):
                for workshop_id in list(self._own._present):  # noqa: SLF001
                    await self._client.delete(_people_key(workshop_id, self.process))
                    await self._client.zrem(_processes_key(workshop_id), self.process)
            await self._client.aclose()
            self._client = None

    # -- Redis ------------------------------------------------------------------------------
    def _started(self) -> redis.Redis:
        if self._client is None:
            # A read timeout: a Redis that stops answering must not hold up a render.
            self._client = redis.Redis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=2, decode_responses=True
            )
            self._tasks = [asyncio.create_task(self._heartbeat(), name="redis-presence-beat")]
        return self._client

    async def _safely(self, write: Callable[[redis.Redis], Awaitable[object]]) -> None:
        try:
            await write(self._started())
        except (RedisError, OSError) as error:  # the heartbeat writes it again later
            log.warning("could not tell Redis who is connected: %s", error)

    async def _add(self, workshop_id: str, participant_id: str, client: redis.Redis) -> None:
        await self._renew(client, workshop_id, {participant_id})

    async def _renew(
        self,
        client: redis.Redis,
        workshop_id: str,
        people: Collection[str] = (),
    ) -> None:
        """Write ``people`` as here and renew this process's entries: one round trip (a
        room of phones arriving at once writes one each)."""
        mine = _people_key(workshop_id, self.process)
        async with client.pipeline(transaction=False) as pipe:
            if people:
                pipe.hset(mine, mapping=dict.fromkeys(people, 1))
            pipe.expire(mine, int(self.ttl) + 1)
            pipe.zadd(_processes_key(workshop_id), {self.process: time.time() + self.ttl})
            pipe.expire(_processes_key(workshop_id), int(self.ttl) + 1)
            await pipe.execute()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            for workshop_id in list(self._own._present):  # noqa: SLF001
                people = self._own.people(workshop_id)
                await self._safely(
                    functools.partial(self._renew_all, workshop_id=workshop_id, people=people)
                )

    async def _renew_all(self, client: redis.Redis, *, workshop_id: str, people: set[str]) -> None:
        """Everyone again, too: what Redis lost while it was away comes back."""
        await self._renew(client, workshop_id, people)
