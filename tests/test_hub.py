"""Live fan-out: one frame per audience, the same object to every socket, bounded queues."""

from __future__ import annotations

import pytest

from board.live.hub import QUEUE_SIZE, Frame, MemoryHub, Subscription, create_hub

WS = "workshop:ws"


def drain(subscription: Subscription) -> list[Frame]:
    frames = []
    while (frame := subscription.next_frame()) is not None:
        frames.append(frame)
    return frames


async def test_a_frame_reaches_only_the_sockets_of_its_audience() -> None:
    hub = MemoryHub()
    board = hub.subscribe(WS, frozenset({"board/de"}))
    console = hub.subscribe(WS, frozenset({"trainer/de", "board/de"}))
    phone = hub.subscribe(WS, frozenset({"phone/en"}))
    elsewhere = hub.subscribe("workshop:other", frozenset({"board/de"}))

    frame = Frame(1, "<div id=wall>…</div>")
    await hub.publish(WS, "board/de", frame)

    assert drain(board) == [frame]
    assert drain(console) == [frame]
    assert drain(phone) == []
    assert drain(elsewhere) == []


async def test_thirty_phones_get_the_very_same_frame_object() -> None:
    hub = MemoryHub()
    phones = [hub.subscribe(WS, frozenset({"phone/de"})) for _ in range(30)]

    frame = Frame(7, "<section>rendered once</section>")
    await hub.publish(WS, "phone/de", frame)

    received = [phone.next_frame() for phone in phones]
    assert all(got is frame for got in received)


async def test_frames_arrive_in_the_order_they_were_published() -> None:
    hub = MemoryHub()
    board = hub.subscribe(WS, frozenset({"board/de"}))
    frames = [Frame(n, f"frame {n}") for n in range(1, 6)]
    for frame in frames:
        await hub.publish(WS, "board/de", frame)
    assert drain(board) == frames


async def test_a_frozen_phone_is_dropped_once_and_its_frames_freed() -> None:
    hub = MemoryHub()
    frozen = hub.subscribe(WS, frozenset({"phone/de"}))
    drops: list[bool] = []
    frozen.on_overflow = lambda: drops.append(True)
    reading = hub.subscribe(WS, frozenset({"phone/de"}))

    for n in range(QUEUE_SIZE):
        await hub.publish(WS, "phone/de", Frame(n, "x"))
        assert reading.next_frame() is not None
    assert not frozen.overflowed
    assert len(frozen.frames) == QUEUE_SIZE

    for n in range(QUEUE_SIZE, QUEUE_SIZE + 10):  # the queue is full: it overflows once
        await hub.publish(WS, "phone/de", Frame(n, "x"))
        assert reading.next_frame() is not None

    frames = drain(frozen)
    assert frozen.overflowed
    assert frames == []  # the 64 stale frames were dropped, none came after
    assert drops == [True]  # the connection is told once to drop the socket


async def test_an_overflowed_socket_stays_silent_until_it_reconnects() -> None:
    hub = MemoryHub()
    frozen = hub.subscribe(WS, frozenset({"board/de"}))
    for n in range(QUEUE_SIZE + 1):
        await hub.publish(WS, "board/de", Frame(n, "x"))
    assert frozen.overflowed and not frozen.frames

    await hub.publish(WS, "board/de", Frame(999, "later"))
    assert not frozen.frames


async def test_a_socket_that_unsubscribed_gets_nothing() -> None:
    hub = MemoryHub()
    gone = hub.subscribe(WS, frozenset({"board/de"}))
    staying = hub.subscribe(WS, frozenset({"board/de"}))

    hub.unsubscribe(gone)
    await hub.publish(WS, "board/de", Frame(1, "x"))

    assert not gone.frames
    assert len(staying.frames) == 1


def test_unsubscribing_twice_is_harmless() -> None:
    hub = MemoryHub()
    subscription = hub.subscribe(WS, frozenset({"board/de"}))
    hub.unsubscribe(subscription)
    hub.unsubscribe(subscription)
    assert hub.audiences(WS) == set()


def test_audiences_are_those_with_at_least_one_socket() -> None:
    hub = MemoryHub()
    assert hub.audiences(WS) == set()

    board = hub.subscribe(WS, frozenset({"board/de"}))
    hub.subscribe(WS, frozenset({"trainer/en", "board/en"}))
    hub.subscribe("workshop:other", frozenset({"phone/de"}))
    assert hub.audiences(WS) == {"board/de", "trainer/en", "board/en"}

    hub.unsubscribe(board)
    assert hub.audiences(WS) == {"trainer/en", "board/en"}


def test_sockets_are_counted_by_audience_prefix() -> None:
    hub = MemoryHub()
    for lang in ("de", "en", "de"):
        hub.subscribe(WS, frozenset({f"phone/{lang}", f"mine/p-{lang}/{lang}"}))
    hub.subscribe(WS, frozenset({"board/de"}))
    assert hub.count(WS, "phone/") == 3
    assert hub.count(WS, "board/") == 1
    assert hub.count("workshop:other", "phone/") == 0


@pytest.mark.parametrize("url", ["", "memory://"])
def test_the_memory_hub_is_the_default_backend(url: str) -> None:
    assert isinstance(create_hub(url), MemoryHub)


def test_an_unknown_hub_backend_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="redis://"):
        create_hub("redis://localhost")


def test_a_frame_is_encoded_once_as_an_unmasked_text_frame_a_client_reads_back() -> None:
    from websockets.frames import Frame as WireFrame
    from websockets.frames import Opcode
    from websockets.streams import StreamReader

    text = "<div id=wall>Rückruf binnen 24 Stunden " + "x" * 70_000 + "</div>"  # 64-bit length
    reader = StreamReader()
    reader.feed_data(Frame(3, text).wire)
    parser = WireFrame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        parsed = done.value
    assert parsed.opcode is Opcode.TEXT and parsed.fin
    assert parsed.data.decode() == text
