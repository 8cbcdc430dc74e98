"""Limits that fit a room: per participant, on failed join-code guesses, and on
expensive anonymous requests per address.

Successful joins are never limited: a whole room shares one public address,
and a valid code always gets in at once, even from an address in back-off.
State is in memory; it is only a brake, losing it on restart is harmless.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
MAX_KEYS = 100_000

# Failed guesses from an address in back-off are held this long at most before their
# 429 (below common proxy read timeouts of 60 s), this many at a time per address
# (the rest wait for a slot: about one guess per 7.5 s), and this many across all
# addresses (beyond: 429 at once). A held guess costs a sleeping task of a few KiB
# beside the connection its client keeps open anyway; 2,000 stays above what a proxy
# limiting connections per address should allow one address (see README).
MAX_HOLD_SECONDS = 30.0
HELD_PER_ADDRESS = 4
HELD_TOTAL = 2000


def address_key(host: str) -> str:
    """The key of a client address: IPv4 as it is, IPv6 by its /64 network.

    One IPv6 host usually has a whole /64 to pick addresses from; a room's Wi-Fi
    is one /64 too, just as it is one NAT address in IPv4.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class Limit(Protocol):
    """So many actions per key (a participant, an address) in a while.

    :class:`RateLimit` keeps its buckets in this process; board/ratelimit_redis.py keeps
    them in Redis, where every process of the room counts."""

    async def admit(self, key: str, cost: float = 1.0) -> bool:
        """Spend ``cost`` of ``key``'s allowance, or say no (spending nothing)."""
        ...

    async def retry_after(self, key: str, cost: float = 1.0) -> int:
        """Whole seconds until ``key`` may spend ``cost`` again (0: now)."""
        ...


class Guard(Protocol):
    """Back-off on wrong join codes per address (:class:`JoinGuard` in this process)."""

    def wait_seconds(self, address: str) -> int:
        """Seconds this address must still wait before guessing again (0: go ahead)."""
        ...

    async def failed_guess(self, address: str) -> int:
        """Count a wrong code; the seconds the address must wait (0: answer "unknown")."""
        ...


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimit:
    """A token bucket per key: ``per_minute`` actions, refilled continuously.

    A bucket holds ``burst`` tokens (by default one minute's worth).
    """

    def __init__(
        self, per_minute: float, clock: Clock = time.monotonic, burst: int | None = None
    ) -> None:
        self.capacity = float(per_minute if burst is None else burst)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def per_hour(cls, count: int, clock: Clock = time.monotonic) -> RateLimit:
        """``count`` actions an hour, all of them at once if need be."""
        return cls(count / 60, clock, burst=count)

    def allow(self, key: str, cost: float = 1.0) -> bool:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < cost:
            return False
        bucket.tokens -= cost
        return True

    async def admit(self, key: str, cost: float = 1.0) -> bool:
        return self.allow(key, cost)

    async def retry_after(self, key: str, cost: float = 1.0) -> int:
        return self.wait_seconds(key, cost)

    def wait_seconds(self, key: str, cost: float = 1.0) -> int:
        """Whole seconds until ``key`` may spend ``cost`` again (0: now)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0
        tokens = bucket.tokens + (self._clock() - bucket.updated) * self.rate
        return max(0, math.ceil((cost - tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        full_after = self.capacity / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.updated > full_after]:
            del self._buckets[key]
        if len(self._buckets) >= MAX_KEYS:  # all busy: start afresh rather than grow
            self._buckets.clear()


@dataclass
class _Failures:
    count: int
    first: float
    blocked_until: float


class JoinGuard:
    """Back-off on wrong join codes per address, for every URL that takes a code.

    The first ``free`` failures in ``window`` seconds cost nothing (people
    mistype); after that each failure doubles the wait, up to ``max_wait``.
    The guard is asked only about wrong codes: a valid code always gets in at
    once. So back-off cannot mean "refuse everything"; instead a wrong code
    from an address that is waiting costs the guesser time (see failed_guess).
    """

    def __init__(
        self,
        free: int = 10,
        window: float = 600.0,
        max_wait: float = 300.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_hold: float = MAX_HOLD_SECONDS,
        held_per_address: int = HELD_PER_ADDRESS,
        held_total: int = HELD_TOTAL,
    ) -> None:
        self.free = free
        self.window = window
        self.max_wait = max_wait
        self.max_hold = max_hold
        self.held_per_address = held_per_address
        self.held_total = held_total
        self._clock = clock
        self._sleep = sleep
        self._by_address: dict[str, _Failures] = {}
        self._slots: dict[str, _Slots] = {}
        self._held = 0  # held or waiting for a slot, across all addresses
        self._overflow_logged = float("-inf")

    def wait_seconds(self, address: str) -> int:
        """Seconds this address must still wait before guessing again (0: go ahead)."""
        remaining = self._remaining(address)
        return int(remaining + 0.999) if remaining > 0 else 0

    def _remaining(self, address: str) -> float:
        entry = self._by_address.get(address)
        return 0.0 if entry is None else max(0.0, entry.blocked_until - self._clock())

    def failed(self, address: str) -> None:
        now = self._clock()
        entry = self._by_address.get(address)
        if entry is None or now - entry.first > self.window and now >= entry.blocked_until:
            if len(self._by_address) >= MAX_KEYS:
                self._by_address.clear()
            entry = self._by_address[address] = _Failures(0, now, 0.0)
        entry.count += 1
        over = entry.count - self.free
        if over > 0:
            entry.blocked_until = now + min(self.max_wait, 2.0 ** (over - 1))

    async def failed_guess(self, address: str) -> int:
        """Count a wrong code; the seconds the address must wait (0: answer "unknown").

        A wrong code from an address that was already waiting is held (a tarpit)
        for its wait, at most ``max_hold`` seconds, before it gets its answer, and
        only ``held_per_address`` at a time: further guesses queue for a slot, so
        one address guesses at most held_per_address / max_hold times a second.
        Beyond ``held_total`` held guesses (all addresses) memory wins: answered at once.
        """
        if not self.wait_seconds(address):
            self.failed(address)
            return self.wait_seconds(address)
        self.failed(address)
        await self.hold(address, self._remaining(address))
        return max(1, self.wait_seconds(address))  # it was waiting: a 429, never "unknown"

    async def hold(self, address: str, seconds: float) -> None:
        """Hold a guess of an address in back-off for ``seconds`` (at most ``max_hold``),
        ``held_per_address`` at a time."""
        if self._held >= self.held_total:
            self._log_overflow()
            return
        slots = self._slots.get(address)
        if slots is None:
            slots = self._slots[address] = _Slots(asyncio.Semaphore(self.held_per_address))
        slots.users += 1
        self._held += 1
        try:
            async with slots.semaphore:
                await self._sleep(min(self.max_hold, seconds))
        finally:
            self._held -= 1
            slots.users -= 1
            if not slots.users:
                del self._slots[address]

    def _log_overflow(self) -> None:
        now = self._clock()
        if now - self._overflow_logged >= 60:  # one line a minute, not one per guess
            self._overflow_logged = now
            log.warning(
                "%d wrong join codes are held already: answering further ones at once "
                "(limit the connections per address in the reverse proxy)",
                self.held_total,
            )


@dataclass
class _Slots:
    semaphore: asyncio.Semaphore
    users: int = 0
