"""Brakes that fit a room, run on a fake clock: no sleeping, every second is exact."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from board import ratelimit
from board.ratelimit import JoinGuard, RateLimit, address_key


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def spend(limit: RateLimit, key: str, times: int) -> list[bool]:
    return [limit.allow(key) for _ in range(times)]


# -- the token bucket per participant ------------------------------------------


def test_a_participant_may_send_a_minute_s_worth_at_once_and_then_waits(clock: Clock) -> None:
    limit = RateLimit(per_minute=60, clock=clock)
    assert spend(limit, "anna", 60) == [True] * 60
    assert not limit.allow("anna")


def test_the_bucket_refills_continuously(clock: Clock) -> None:
    limit = RateLimit(per_minute=60, clock=clock)  # one token a second
    spend(limit, "anna", 60)

    clock.advance(0.5)
    assert not limit.allow("anna")  # half a token is not enough
    clock.advance(0.5)
    assert limit.allow("anna")
    assert not limit.allow("anna")

    clock.advance(10)
    assert spend(limit, "anna", 11) == [True] * 10 + [False]


def test_a_quiet_participant_saves_up_no_more_than_one_minute(clock: Clock) -> None:
    limit = RateLimit(per_minute=30, clock=clock)
    limit.allow("anna")
    clock.advance(3600)
    assert spend(limit, "anna", 31) == [True] * 30 + [False]


def test_participants_have_their_own_buckets(clock: Clock) -> None:
    limit = RateLimit(per_minute=5, clock=clock)
    spend(limit, "anna", 5)
    assert not limit.allow("anna")
    assert spend(limit, "ben", 5) == [True] * 5


def test_an_expensive_action_costs_more_tokens(clock: Clock) -> None:
    limit = RateLimit(per_minute=5, clock=clock)
    assert limit.allow("anna", cost=4)
    assert not limit.allow("anna", cost=2)  # a refused action costs nothing...
    assert limit.allow("anna", cost=1)  # ...so the last token is still there


def test_idle_buckets_are_forgotten_when_the_table_is_full(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "MAX_KEYS", 3)
    limit = RateLimit(per_minute=60, clock=clock)
    for key in ("a", "b", "c"):
        limit.allow(key)
    clock.advance(61)  # every bucket is full again: forgetting it loses nothing

    limit.allow("d")

    assert set(limit._buckets) == {"d"}


def test_a_forgotten_bucket_starts_full(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_KEYS", 1)
    limit = RateLimit(per_minute=2, clock=clock)
    spend(limit, "anna", 2)
    clock.advance(61)
    limit.allow("ben")  # anna's bucket is forgotten here
    assert spend(limit, "anna", 3) == [True, True, False]


# -- back-off on wrong join codes ------------------------------------------------


def test_the_first_wrong_codes_are_free_because_people_mistype(clock: Clock) -> None:
    guard = JoinGuard(free=3, clock=clock)
    for _ in range(3):
        guard.failed("10.0.0.7")
        assert guard.wait_seconds("10.0.0.7") == 0


def test_after_the_free_failures_each_wrong_code_doubles_the_wait_up_to_the_cap(
    clock: Clock,
) -> None:
    guard = JoinGuard(free=3, max_wait=10, clock=clock)
    for _ in range(3):
        guard.failed("10.0.0.7")

    waits = []
    for _ in range(6):
        guard.failed("10.0.0.7")
        waits.append(guard.wait_seconds("10.0.0.7"))
        clock.advance(waits[-1])  # the phone waits, then guesses again

    assert waits == [1, 2, 4, 8, 10, 10]


def test_the_wait_counts_down_in_whole_seconds_rounded_up(clock: Clock) -> None:
    guard = JoinGuard(free=0, max_wait=100, clock=clock)
    for _ in range(4):
        guard.failed("10.0.0.7")  # the fourth costs 2**3 = 8 seconds
    assert guard.wait_seconds("10.0.0.7") == 8
    clock.advance(2.5)
    assert guard.wait_seconds("10.0.0.7") == 6  # 5.5 seconds left
    clock.advance(5.5)
    assert guard.wait_seconds("10.0.0.7") == 0


def test_one_address_guessing_does_not_slow_down_another(clock: Clock) -> None:
    guard = JoinGuard(free=1, clock=clock)
    for _ in range(5):
        guard.failed("10.0.0.7")
    assert guard.wait_seconds("10.0.0.7") > 0
    assert guard.wait_seconds("10.0.0.8") == 0


def test_an_address_that_never_failed_goes_ahead(clock: Clock) -> None:
    assert JoinGuard(clock=clock).wait_seconds("10.0.0.7") == 0


def test_after_the_window_the_free_failures_start_again(clock: Clock) -> None:
    guard = JoinGuard(free=2, window=600, max_wait=300, clock=clock)
    for _ in range(3):
        guard.failed("10.0.0.7")
    assert guard.wait_seconds("10.0.0.7") == 1

    clock.advance(601)
    for _ in range(2):
        guard.failed("10.0.0.7")
        assert guard.wait_seconds("10.0.0.7") == 0
    guard.failed("10.0.0.7")
    assert guard.wait_seconds("10.0.0.7") == 1


def test_within_the_window_the_back_off_keeps_growing(clock: Clock) -> None:
    guard = JoinGuard(free=1, window=600, max_wait=300, clock=clock)
    guard.failed("10.0.0.7")
    guard.failed("10.0.0.7")  # 1 second
    clock.advance(500)
    guard.failed("10.0.0.7")
    assert guard.wait_seconds("10.0.0.7") == 2


def test_an_address_still_waiting_when_the_window_ends_is_not_forgiven(clock: Clock) -> None:
    guard = JoinGuard(free=1, window=10, max_wait=100, clock=clock)
    for _ in range(7):
        guard.failed("10.0.0.7")  # six over the free one: 2**5 = 32 seconds
    assert guard.wait_seconds("10.0.0.7") == 32

    clock.advance(20)  # past the window, 12 seconds still to wait
    assert guard.wait_seconds("10.0.0.7") == 12
    guard.failed("10.0.0.7")
    assert guard.wait_seconds("10.0.0.7") == 64


# -- a wrong code from an address in back-off costs the guesser time -------------------


class Tarpit:
    """The guard's sleep: records each hold; a hold moves the clock on by itself, or
    waits for the test to let it go (``gate``), so no test really waits."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.held: list[float] = []
        self.gate: asyncio.Event | None = None

    async def sleep(self, seconds: float) -> None:
        self.held.append(seconds)
        if self.gate is not None:
            await self.gate.wait()
        self.clock.advance(seconds)


@pytest.fixture
def tarpit(clock: Clock) -> Tarpit:
    return Tarpit(clock)


async def test_wrong_codes_within_the_free_ones_are_answered_at_once(clock, tarpit) -> None:
    guard = JoinGuard(free=3, clock=clock, sleep=tarpit.sleep)
    waits = [await guard.failed_guess("10.0.0.7") for _ in range(3)]
    assert waits == [0, 0, 0]  # "no such workshop", at once
    assert tarpit.held == []


async def test_a_wrong_code_from_an_address_in_back_off_is_held_for_its_wait(clock, tarpit) -> None:
    guard = JoinGuard(free=3, max_wait=300, max_hold=30, clock=clock, sleep=tarpit.sleep)
    for _ in range(3):
        await guard.failed_guess("10.0.0.7")
    assert await guard.failed_guess("10.0.0.7") == 1  # the 4th starts the back-off: 1 s
    assert tarpit.held == []  # it came from an address that was not waiting yet

    await guard.failed_guess("10.0.0.7")  # the 5th came while waiting: 2 s more
    assert tarpit.held == [2]

    for _ in range(6):  # while it waits, each guess doubles the wait: 4, 8, ... 64 s...
        clock.advance(0.5)
        await guard.failed_guess("10.0.0.7")
    assert tarpit.held[-1] == 30  # ...but nobody is held longer than max_hold


async def test_the_answer_after_a_hold_tells_how_long_to_wait_still(clock, tarpit) -> None:
    guard = JoinGuard(free=0, max_wait=300, max_hold=5, clock=clock, sleep=tarpit.sleep)
    for _ in range(6):
        await guard.failed_guess("10.0.0.7")  # waits of 1, 2, 4, 8, 16, 32 s
    wait = await guard.failed_guess("10.0.0.7")
    assert tarpit.held[-1] == 5
    assert wait == guard.wait_seconds("10.0.0.7") > 0  # what Retry-After says


async def test_one_address_has_only_a_few_guesses_held_at_a_time(clock, tarpit) -> None:
    guard = JoinGuard(free=0, held_per_address=2, clock=clock, sleep=tarpit.sleep)
    await guard.failed_guess("10.0.0.7")  # now in back-off
    tarpit.gate = asyncio.Event()
    guesses = [asyncio.create_task(guard.failed_guess("10.0.0.7")) for _ in range(5)]
    await settle(lambda: len(tarpit.held) == 2)
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(tarpit.held) == 2  # the other three wait for a slot
    assert not any(g.done() for g in guesses)

    other = asyncio.create_task(guard.failed_guess("10.0.0.8"))  # its own slots
    await asyncio.sleep(0)
    assert other.done() and tarpit.held == [tarpit.held[0], tarpit.held[1]]

    tarpit.gate.set()
    await asyncio.gather(*guesses)
    assert len(tarpit.held) == 5  # each was held in turn
    assert guard._slots == {}  # nothing kept after the last one


async def test_beyond_the_total_held_a_guess_is_answered_at_once_and_logged(
    clock, tarpit, caplog
) -> None:
    guard = JoinGuard(free=0, held_total=3, clock=clock, sleep=tarpit.sleep)
    for address in ("10.0.0.1", "10.0.0.2"):
        await guard.failed_guess(address)
    tarpit.gate = asyncio.Event()
    held = [asyncio.create_task(guard.failed_guess(a)) for a in ("10.0.0.1",) * 2 + ("10.0.0.2",)]
    await settle(lambda: len(tarpit.held) == 3)

    with caplog.at_level("WARNING", logger="board.ratelimit"):
        assert await guard.failed_guess("10.0.0.2") > 0  # 429 at once, not held
        await guard.failed_guess("10.0.0.1")
    assert len(tarpit.held) == 3
    assert len([r for r in caplog.records if "held already" in r.message]) == 1

    tarpit.gate.set()
    await asyncio.gather(*held)


async def settle(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition`` holds (fails after a deadline)."""
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0)


# -- whom a limit counts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),  # the same network: the same key
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_an_ipv6_client_counts_by_its_network(host: str, key: str) -> None:
    assert address_key(host) == key


def test_an_hourly_limit_may_be_spent_at_once_and_then_refills_slowly(clock: Clock) -> None:
    limit = RateLimit.per_hour(30, clock=clock)
    assert spend(limit, "10.0.0.7", 31) == [True] * 30 + [False]
    assert limit.wait_seconds("10.0.0.7") == 120  # one more every two minutes
    clock.advance(119)
    assert not limit.allow("10.0.0.7")
    clock.advance(1)
    assert limit.allow("10.0.0.7")
    assert limit.wait_seconds("10.0.0.8") == 0
