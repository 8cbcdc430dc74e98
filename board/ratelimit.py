"""Limits that fit a room: per participant, and on failed join-code guesses.

Successful joins are never limited: a whole room shares one public address.
State is in memory; it is only a brake, losing it on restart is harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
MAX_KEYS = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimit:
    """A token bucket per key: ``per_minute`` actions, refilled continuously."""

    def __init__(self, per_minute: int, clock: Clock = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

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
    """Back-off on wrong join codes per address.

    The first ``free`` failures in ``window`` seconds cost nothing (people
    mistype); after that each failure doubles the wait, up to ``max_wait``.
    While an address waits, every code it tries is refused, so it cannot
    keep guessing in the meantime.
    """

    def __init__(
        self,
        free: int = 10,
        window: float = 600.0,
        max_wait: float = 300.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.free = free
        self.window = window
        self.max_wait = max_wait
        self._clock = clock
        self._by_address: dict[str, _Failures] = {}

    def wait_seconds(self, address: str) -> int:
        """Seconds this address must still wait before guessing again (0: go ahead)."""
        entry = self._by_address.get(address)
        if entry is None:
            return 0
        remaining = entry.blocked_until - self._clock()
        return int(remaining + 0.999) if remaining > 0 else 0

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
