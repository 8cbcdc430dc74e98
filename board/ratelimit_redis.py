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

from board.ratelimit import RateLimit

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


def shared_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
