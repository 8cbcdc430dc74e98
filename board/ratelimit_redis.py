"""Rate limits shared by every server process, in Redis.

With several processes, limits kept in each would let a participant or an address do
N times as much. :class:`RedisRateLimit` keeps the same token bucket as
:class:`board.ratelimit.RateLimit` in a Redis hash per key, updated by one Lua script
(atomic, on Redis's clock, so processes on several hosts agree). A limit is a brake,
not a record: when Redis cannot be reached, the process's own bucket answers.
"""

from __future__ import annotations

import logging
import math

import redis.asyncio as redis
from redis.exceptions import RedisError

from board.ratelimit import JoinGuard, RateLimit

log = logging.getLogger(__name__)

# KEYS[1]: the bucket; ARGV: capacity, refill per second, cost, spend (1) or look (0).
# Returns {1 if allowed else 0, the tokens left as a string}.
BUCKET = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local capacity, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(bucket[1]) or capacity
local updated = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= cost then
  allowed = 1
  if ARGV[4] == '1' then tokens = tokens - cost end
end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
  redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
end
return {allowed, tostring(tokens)}
"""


class RedisRateLimit:
    """``local``'s rule (capacity and refill), counted in Redis under ``name``."""

    def __init__(self, client: redis.Redis, name: str, local: RateLimit) -> None:
        self.client = client
        self.name = name
        self.local = local
        self._script = client.register_script(BUCKET)

    async def admit(self, key: str, cost: float = 1.0) -> bool:
        found = await self._bucket(key, cost, spend=True)
        return self.local.allow(key, cost) if found is None else found[0]

    async def retry_after(self, key: str, cost: float = 1.0) -> int:
        found = await self._bucket(key, cost, spend=False)
        if found is None:
            return self.local.wait_seconds(key, cost)
        return max(0, math.ceil((cost - found[1]) / self.local.rate))

    async def _bucket(self, key: str, cost: float, spend: bool) -> tuple[bool, float] | None:
        try:
            allowed, tokens = await self._script(
                keys=[f"board:limit:{self.name}:{key}"],
                args=[self.local.capacity, self.local.rate, cost, "1" if spend else "0"],
            )
        except (RedisError, OSError) as error:
            log.warning("rate limit %s from this process only: %s", self.name, error)
            return None
        return bool(int(allowed)), float(tokens)


# KEYS[1]: an address's wrong codes; ARGV: free, window, max_wait (seconds).
# Counts one more and returns {the wait before it, the wait after it} as strings.
FAILURES = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local free, window, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local entry = redis.call('HMGET', KEYS[1], 'count', 'first', 'until')
local count = tonumber(entry[1]) or 0
local first = tonumber(entry[2]) or now
local blocked = tonumber(entry[3]) or 0
local before = math.max(0, blocked - now)
if count == 0 or (now - first > window and now >= blocked) then
  count, first, blocked = 0, now, 0
end
count = count + 1
if count > free then blocked = now + math.min(max_wait, 2 ^ (count - free - 1)) end
redis.call('HSET', KEYS[1], 'count', count, 'first', tostring(first), 'until', tostring(blocked))
redis.call('EXPIRE', KEYS[1], math.ceil(window + max_wait))
return {tostring(before), tostring(math.max(0, blocked - now))}
"""


class RedisJoinGuard(JoinGuard):
    """:class:`JoinGuard` with the wrong codes of each address counted in Redis by every
    process; a guess is still held (the tarpit) by the process it came to."""

    def __init__(self, client: redis.Redis, free: int) -> None:
        super().__init__(free=free)
        self._script = client.register_script(FAILURES)

    async def failed_guess(self, address: str) -> int:
        try:
            before, after = await self._script(
                keys=[f"board:join-failures:{address}"],
                args=[self.free, self.window, self.max_wait],
            )
        except (RedisError, OSError) as error:
            log.warning("wrong join codes counted by this process only: %s", error)
            return await super().failed_guess(address)
        wait = float(after)
        if float(before) <= 0:
            return math.ceil(wait)
        await self.hold(address, wait)
        return max(1, math.ceil(wait))  # it was waiting: a 429, never "unknown"


def shared_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
