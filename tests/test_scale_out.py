"""Several server processes on one data folder: Redis carries their notices, who is
connected and the limits; SQLite stays the one truth.

A real ``redis-server`` on a free port (the ``redis_server`` fixture of tests/conftest.py);
two buses stand for two processes, then two real servers on one SQLite folder: a card
written through one appears on a board connected to the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable

import httpx
from websockets.asyncio.client import connect

from board.live import redis_bus
from board.live.notices import Notice
from board.live.redis_bus import RedisNoticeBus
from board.live.redis_presence import RedisPresence
from board.live.render import EVERY_WORKSHOP
from board.ratelimit_redis import RedisJoinGuard, RedisRateLimit
from board.service import Service
from board.settings import Settings
from tests.conftest import create_workshop, join, serve
from tests.redis_server import DEADLINE


@contextlib.asynccontextmanager
async def two_processes(settings: Settings) -> AsyncIterator[tuple[Service, Service]]:
    """Two services on one data folder, as two server processes would have them."""
    services = (Service(settings), Service(settings))
    try:
        yield services
    finally:
        for service in services:
            await service.close_shared()  # (a served one let go of Redis at its shutdown)
            service.close()


async def until(condition: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(DEADLINE):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def a_card_notice(seq: int) -> Notice:
    return Notice("w1", seq, frozenset({"wall"}), frozenset({"p1"}))


async def test_a_notice_reaches_the_other_process_once_and_its_own_at_once(redis_server):
    here, there = RedisNoticeBus(redis_server.url), RedisNoticeBus(redis_server.url)
    heard_here: list[Notice] = []
    heard_there: list[Notice] = []
    here.listen(heard_here.append)
    there.listen(heard_there.append)
    await until(lambda: here.subscribed.is_set() and there.subscribed.is_set(), "subscribed")

    here.publish(a_card_notice(7))
    assert heard_here == [a_card_notice(7)]  # in memory, not waiting for Redis
    await until(lambda: bool(heard_there), "the other process's notice")
    assert heard_there == [a_card_notice(7)]

    there.publish(a_card_notice(8))  # and back: nothing more comes of our own
    await until(lambda: len(heard_here) == 2, "the notice from there")
    assert heard_here == [a_card_notice(7), a_card_notice(8)]
    assert heard_there == [a_card_notice(7), a_card_notice(8)]
    await here.close()
    await there.close()


async def test_a_burst_of_notices_reaches_the_other_process_whole_and_in_order(redis_server):
    here, there = RedisNoticeBus(redis_server.url), RedisNoticeBus(redis_server.url)
    heard_there: list[Notice] = []
    here.listen(lambda notice: None)
    there.listen(heard_there.append)
    await until(lambda: here.subscribed.is_set() and there.subscribed.is_set(), "subscribed")

    for seq in range(1, 1201):  # a dot burst: more than one batch of publishes
        here.publish(a_card_notice(seq))
    await until(lambda: len(heard_there) == 1200, "every notice")
    assert [notice.seq for notice in heard_there] == list(range(1, 1201))
    await here.close()
    await there.close()


async def test_notices_waiting_for_a_redis_that_is_away_are_bounded(redis_server, monkeypatch):
    monkeypatch.setattr(redis_bus, "OUTBOX_SIZE", 5)
    bus = RedisNoticeBus(redis_server.url)
    bus.listen(lambda notice: None)
    redis_server.stop()  # nothing can go out now
    for seq in range(1, 21):
        bus.publish(a_card_notice(seq))
    assert bus._outbox is not None and bus._outbox.qsize() <= 5  # the oldest were dropped
    await bus.close()


async def test_after_redis_comes_back_every_workshop_is_rendered_anew(redis_server):
    here, there = RedisNoticeBus(redis_server.url), RedisNoticeBus(redis_server.url)
    heard_there: list[Notice] = []
    here.listen(lambda notice: None)
    there.listen(heard_there.append)
    await until(lambda: there.subscribed.is_set(), "subscribed")

    redis_server.stop()  # notices of this time are lost for good
    await until(lambda: not there.subscribed.is_set(), "the subscription lost")
    redis_server.start()
    await until(lambda: any(n.workshop_id == EVERY_WORKSHOP for n in heard_there), "a resync")

    await until(lambda: here.subscribed.is_set(), "the publisher back too")
    here.publish(a_card_notice(9))
    await until(lambda: a_card_notice(9) in heard_there, "notices flowing again")
    await here.close()
    await there.close()


async def two_servers_show_a_card_across(settings: Settings) -> None:
    """A card written through one server reaches a board connected to the other."""
    async with two_processes(settings) as (first, second):
        with serve(settings, first) as writer, serve(settings, second) as shower:
            origin = {"origin": writer.url}
            async with httpx.AsyncClient(base_url=writer.url, headers=origin) as trainer:
                code = await create_workshop(trainer, "Zwei Prozesse")
            board = await connect(
                f"{shower.ws_url}/w/{code}/ws?role=board",
                origin=shower.url,  # type: ignore[arg-type]
                compression=None,
            )
            async with httpx.AsyncClient(base_url=writer.url, headers=origin) as phone:
                await join(phone, code)
                written = await phone.post(
                    f"/w/{code}/cards", data={"text": "Über Redis", "colour": "yellow"}
                )
                assert written.status_code == 200
            async with asyncio.timeout(DEADLINE):
                while "Über Redis" not in await board.recv():
                    pass
            await board.close()


async def test_a_card_written_through_one_process_shows_on_a_board_of_another(
    settings, redis_server
):
    await two_servers_show_a_card_across(
        settings.with_(hub_url=redis_server.url, change_poll_seconds=3600)  # no poll help
    )


async def test_without_redis_the_change_log_poll_carries_it_across(settings):
    await two_servers_show_a_card_across(settings.with_(change_poll_seconds=1))


# -- who is connected, across processes ---------------------------------------------


async def test_presence_counts_the_phones_of_every_process_and_forgets_a_dead_one(redis_server):
    here = RedisPresence(redis_server.url, ttl=1.0)
    there = RedisPresence(redis_server.url, ttl=1.0)
    await here.arrived("w1", "anna")
    await there.arrived("w1", "ben")
    await there.arrived("w1", "anna")  # one person, a socket on each process
    await here.refresh("w1")
    assert here.count("w1") == 2

    await here.left("w1", "anna")  # still there, on the other process
    await there.refresh("w1")
    assert there.count("w1") == 2

    # The other process dies without a word: its people drop out within the expiry.
    for task in there._tasks:  # noqa: SLF001
        task.cancel()
    assert there._client is not None  # noqa: SLF001
    await there._client.aclose()  # noqa: SLF001  # its connection dies with it
    await here.arrived("w1", "carla")

    def only_here() -> bool:
        return here.count("w1") == 1

    async with asyncio.timeout(DEADLINE):
        while True:
            await here.refresh("w1")
            if only_here():
                break
            await asyncio.sleep(0.1)
    await here.close()


async def test_a_board_counts_the_phones_connected_to_another_process(settings, redis_server):
    settings = settings.with_(hub_url=redis_server.url)
    async with two_processes(settings) as (first, second):
        with serve(settings, first) as one, serve(settings, second) as other:
            origin = {"origin": one.url}
            async with httpx.AsyncClient(base_url=one.url, headers=origin) as trainer:
                code = await create_workshop(trainer, "Wer ist da?")
            board = await connect(
                f"{other.ws_url}/w/{code}/ws?role=board",
                origin=other.url,  # type: ignore[arg-type]
                compression=None,
            )
            phones = []
            for server in (one, other, one):
                async with httpx.AsyncClient(
                    base_url=server.url, headers={"origin": server.url}
                ) as phone:
                    await join(phone, code)
                    cookies = "; ".join(f"{k}={v}" for k, v in phone.cookies.items())
                phones.append(
                    await connect(
                        f"{server.ws_url}/w/{code}/ws?role=phone",
                        origin=server.url,  # type: ignore[arg-type]
                        additional_headers={"cookie": cookies},
                        compression=None,
                    )
                )
            async with asyncio.timeout(DEADLINE):  # two phones here, one there: three
                while "<b data-present>3</b>" not in await board.recv():
                    pass
            for ws in (*phones, board):
                await ws.close()


async def test_the_presence_expiry_is_a_setting(settings, redis_server):
    service = Service(settings.with_(hub_url=redis_server.url, presence_seconds=4))
    assert isinstance(service.live.presence, RedisPresence)
    assert service.live.presence.ttl == 4
    await service.close_shared()
    service.close()


async def test_a_board_shows_the_count_drop_once_a_dead_process_s_people_expire(
    settings, redis_server
):
    """Nobody arrives or leaves on this process: the board's count still drops once the
    people of a process that died expire (the periodic poll looks at who is connected)."""
    here = Service(settings, presence=RedisPresence(redis_server.url, ttl=1.0))
    here.live.poll_seconds = 0.2
    there = RedisPresence(redis_server.url, ttl=1.0)
    workshop = await here.create_workshop("Wer ist noch da?")
    await there.arrived(workshop.id, "ben")
    board = here.hub.subscribe(workshop.id, frozenset({"board/de"}))
    here.live.watch(workshop.id, workshop.seq)
    here.live.listen()
    first = await here.live.full_frame(workshop.id, "board", "de", None)
    assert "<b data-present>1</b>" in first.text

    for task in there._tasks:  # noqa: SLF001  # the other process dies without a word
        task.cancel()
    assert there._client is not None  # noqa: SLF001
    await there._client.aclose()  # noqa: SLF001

    await until(
        lambda: any("<b data-present>0</b>" in frame.text for frame in board.frames),
        "the board's count without the dead process's people",
    )
    await here.close_shared()
    here.live.close()
    here.close()


# -- limits every process counts ------------------------------------------------------


async def test_a_participant_s_card_budget_is_one_across_processes(settings, redis_server):
    settings = settings.with_(hub_url=redis_server.url, cards_per_minute=3)
    async with two_processes(settings) as (here, there):
        assert isinstance(here.card_limit, RedisRateLimit)
        spent = [
            await here.card_limit.admit("anna"),
            await there.card_limit.admit("anna"),
            await here.card_limit.admit("anna"),
        ]
        assert spent == [True, True, True]
        assert not await there.card_limit.admit("anna")  # the fourth, wherever it lands
        assert 0 < await there.card_limit.retry_after("anna") <= 20  # a card per 20 s
        assert await there.card_limit.admit("ben")  # everyone has their own

        redis_server.stop()  # a brake, not a record: each process brakes on its own
        assert await there.card_limit.admit("carla")


async def test_wrong_join_codes_are_counted_across_processes(settings, redis_server):
    settings = settings.with_(hub_url=redis_server.url, join_failures_free=2)
    async with two_processes(settings) as (here, there):
        assert isinstance(here.join_guard, RedisJoinGuard)
        assert await here.join_guard.failed_guess("203.0.113.9") == 0  # people mistype
        assert await there.join_guard.failed_guess("203.0.113.9") == 0
        # The third wrong code of the address, on either process: from now on it waits.
        assert await here.join_guard.failed_guess("203.0.113.9") >= 1
        assert await there.join_guard.failed_guess("198.51.100.7") == 0  # another address


# -- one truth: the database ------------------------------------------------------------


async def test_two_processes_writing_at_once_keep_the_seq_gap_free(settings):
    """Every write takes its seq inside its own transaction (SQLite's write lock orders
    the processes): no seq twice, none skipped, every change logged under its own."""
    async with two_processes(settings) as (here, there):
        workshop = await here.create_workshop("Zwei Schreiber")
        start = workshop.seq

        async def write(service: Service, who: str) -> None:
            for n in range(40):
                await service.add_card(workshop, None, None, f"{who} {n}", "yellow")

        await asyncio.gather(write(here, "hier"), write(there, "dort"))
        logged = [
            seq
            for (seq,) in here.db.read_now(
                lambda conn: conn.execute(
                    "SELECT seq FROM change_log WHERE workshop_id = ? ORDER BY seq",
                    (workshop.id,),
                ).fetchall()
            )
        ]
        now = (await here.workshop(workshop.code)).seq
        assert now == start + 80
        assert logged[-80:] == list(range(start + 1, now + 1))
        for service in (here, there):  # each decided on the wall the other left too
            wall = (await service.snapshot(workshop.id)).wall
            assert len({card.text for card in wall.cards}) == 80


# -- when Redis misbehaves ------------------------------------------------------------


async def test_a_listener_that_fails_does_not_stop_the_notices(redis_server):
    here, there = RedisNoticeBus(redis_server.url), RedisNoticeBus(redis_server.url)
    heard: list[Notice] = []

    def fussy(notice: Notice) -> None:
        if notice.seq == 1:
            raise RuntimeError("a render that broke")
        heard.append(notice)

    here.listen(lambda notice: None)
    there.listen(fussy)
    await until(lambda: here.subscribed.is_set() and there.subscribed.is_set(), "subscribed")
    here.publish(a_card_notice(1))
    here.publish(a_card_notice(2))
    await until(lambda: bool(heard), "the notice after the failed one")
    assert heard == [a_card_notice(2)]
    await here.close()
    await there.close()


async def test_a_redis_that_stops_answering_holds_up_no_render(redis_server):
    presence = RedisPresence(redis_server.url)
    await presence.arrived("w1", "anna")
    assert redis_server.process is not None
    redis_server.process.send_signal(signal.SIGSTOP)  # alive, but answering nothing
    try:
        async with asyncio.timeout(DEADLINE):  # bounded by the client's read timeout
            await presence.arrived("w1", "ben")
            await presence.refresh("w1")
        assert presence.count("w1") == 2  # this process's own, as it knows them
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    await presence.close()
